use super::*;
use crate::core::classify::AccessAdvice;
use crate::core::endpoint::Endpoint;
use crate::core::token::tests::FakeEnv;
use crate::core::token::{resolve_token, TokenOption};
use crate::hub::fake::{FakeCredentials, FakeReply, FakeStore, FakeTransport};

const TOKEN_FILE: &str = "/h/token";
const STORED: &str = "/h/stored_tokens";

fn files(store: &FakeStore) -> AuthFiles<'_, FakeStore> {
    AuthFiles {
        store,
        token_file: TOKEN_FILE.into(),
        stored_file: STORED.into(),
    }
}

fn text(store: &FakeStore, path: &str) -> Option<String> {
    store
        .files
        .borrow()
        .get(path)
        .map(|b| String::from_utf8(b.clone()).unwrap())
}

fn token(value: &str) -> Token {
    resolve_token(&TokenOption::Value(value.into()), &FakeEnv::default())
        .unwrap()
        .unwrap()
}

#[test]
fn login_stores_the_named_token_and_makes_it_active() {
    let store = FakeStore::default();
    let auth = files(&store);
    pollster::block_on(auth.login("laptop", "hf_aaaa1111")).unwrap();
    pollster::block_on(auth.login("ci", "hf_bbbb2222")).unwrap();
    assert_eq!(text(&store, TOKEN_FILE).as_deref(), Some("hf_bbbb2222"));
    assert_eq!(
        text(&store, STORED).as_deref(),
        Some("[ci]\nhf_token = hf_bbbb2222\n\n[laptop]\nhf_token = hf_aaaa1111\n\n")
    );
}

#[test]
fn switch_rewrites_only_the_token_file() {
    let store = FakeStore::default();
    let auth = files(&store);
    pollster::block_on(auth.login("laptop", "hf_aaaa1111")).unwrap();
    pollster::block_on(auth.login("ci", "hf_bbbb2222")).unwrap();
    let before = text(&store, STORED);
    pollster::block_on(auth.switch("laptop")).unwrap();
    assert_eq!(text(&store, TOKEN_FILE).as_deref(), Some("hf_aaaa1111"));
    assert_eq!(text(&store, STORED), before);
    let err = pollster::block_on(auth.switch("nope")).unwrap_err();
    assert!(
        err.message.contains("\"nope\"") && err.message.contains("ci, laptop"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("hf_"), "{}", err.message);
}

#[test]
fn list_masks_tokens_and_marks_the_current_one() {
    let store = FakeStore::default();
    let auth = files(&store);
    pollster::block_on(auth.login("laptop", "hf_aaaa1111")).unwrap();
    pollster::block_on(auth.login("ci", "hf_bbbb2222")).unwrap();
    let rows = pollster::block_on(auth.list(Some(&token("hf_aaaa1111"))));
    let shown: Vec<(&str, &str, bool)> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.masked.as_str(), r.active))
        .collect();
    assert_eq!(shown, [("ci", "hf_****2222", false), ("laptop", "hf_****1111", true)]);
    assert!(pollster::block_on(auth.list(None)).iter().all(|r| !r.active));
}

#[test]
fn logout_of_one_name_removes_its_section_and_the_token_file_if_it_was_active() {
    let store = FakeStore::default();
    let auth = files(&store);
    pollster::block_on(auth.login("laptop", "hf_aaaa1111")).unwrap();
    pollster::block_on(auth.login("ci", "hf_bbbb2222")).unwrap();
    let current = token("hf_bbbb2222");
    let out = pollster::block_on(auth.logout(Some("laptop"), Some(&current))).unwrap();
    assert_eq!(out, LogoutOutcome::Named { was_active: false });
    assert_eq!(text(&store, TOKEN_FILE).as_deref(), Some("hf_bbbb2222"));
    let out = pollster::block_on(auth.logout(Some("ci"), Some(&current))).unwrap();
    assert_eq!(out, LogoutOutcome::Named { was_active: true });
    assert_eq!(text(&store, TOKEN_FILE), None);
    assert_eq!(text(&store, STORED).as_deref(), Some(""));
    assert_eq!(
        pollster::block_on(auth.logout(Some("ci"), None)).unwrap(),
        LogoutOutcome::NotLoggedIn
    );
}

#[test]
fn logout_of_everything_removes_both_files() {
    let store = FakeStore::default();
    let auth = files(&store);
    pollster::block_on(auth.login("laptop", "hf_aaaa1111")).unwrap();
    let current = token("hf_aaaa1111");
    assert_eq!(
        pollster::block_on(auth.logout(Some("other"), Some(&current))).unwrap(),
        LogoutOutcome::UnknownName
    );
    assert_eq!(
        pollster::block_on(auth.logout(None, Some(&current))).unwrap(),
        LogoutOutcome::All
    );
    assert!(store.files.borrow().is_empty());
}

#[test]
fn an_environment_token_is_named() {
    let env = FakeEnv::default().with_var("HUGGING_FACE_HUB_TOKEN", "hf_envtoken1");
    let from_env = resolve_token(&TokenOption::Unset, &env).unwrap();
    assert_eq!(env_variable(from_env.as_ref()), Some("HUGGING_FACE_HUB_TOKEN"));
    assert_eq!(env_variable(Some(&token("hf_x1234567"))), None);
}

fn login_with(transport: &FakeTransport, store: &FakeStore, token_value: &str) -> Result<LoggedIn, HubError> {
    let credentials = FakeCredentials::new(Some(token_value));
    let client = HubClient {
        transport,
        credentials: &credentials,
        endpoint: Endpoint::parse("https://huggingface.co").unwrap(),
        advice: AccessAdvice::TOKEN,
    };
    pollster::block_on(login(&client, &files(store), token_value))
}

#[test]
fn login_asks_the_hub_and_stores_the_token_under_its_display_name() {
    let whoami = br#"{"name":"alice","orgs":[{"name":"acme"}],"auth":{"accessToken":{"displayName":"laptop"}}}"#;
    let t = FakeTransport::new().reply("https://huggingface.co/api/whoami-v2", FakeReply::ok(whoami));
    let store = FakeStore::default();
    let done = login_with(&t, &store, "hf_aaaa1111").unwrap();
    assert_eq!(
        done,
        LoggedIn {
            user: "alice".into(),
            orgs: vec!["acme".into()],
            token_name: "laptop".into()
        }
    );
    assert_eq!(text(&store, TOKEN_FILE).as_deref(), Some("hf_aaaa1111"));
    assert_eq!(t.seen(), [("https://huggingface.co/api/whoami-v2".to_owned(), true)]);
}

#[test]
fn a_token_the_hub_refuses_or_an_org_token_writes_nothing() {
    let t = FakeTransport::new().reply(
        "https://huggingface.co/api/whoami-v2",
        FakeReply::error(401, "", "Invalid credentials in Authorization header"),
    );
    let store = FakeStore::default();
    assert_eq!(
        login_with(&t, &store, "hf_bad_token_1").unwrap_err().code,
        ErrorCode::InvalidToken
    );
    assert_eq!(
        login_with(&t, &store, "api_org_abcdef").unwrap_err().code,
        ErrorCode::InvalidToken
    );
    assert!(store.files.borrow().is_empty());
    assert_eq!(t.seen().len(), 1, "an org token is refused before any request");
}
