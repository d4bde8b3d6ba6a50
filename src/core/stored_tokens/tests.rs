use serde_json::json;

use super::*;
use crate::core::token::tests::FakeEnv;

/// What three `hf auth login --token` runs wrote (huggingface_hub 2.4.0).
const HF_WROTE: &str =
    "[first token]\nhf_token = hf_aaaa\n\n[second]\nhf_token = hf_bbbb\n\n[with%pct=x]\nhf_token = hf_cccc\n\n";

#[test]
fn reads_what_hf_auth_login_writes() {
    let stored = StoredTokens::parse(HF_WROTE);
    let names: Vec<&str> = stored.sections().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["first token", "second", "with%pct=x"]);
    assert_eq!(
        stored.get("with%pct=x").and_then(Section::token).as_deref(),
        Some("hf_cccc")
    );
}

#[test]
fn writes_what_hf_auth_login_writes_sorted_by_name() {
    let mut stored = StoredTokens::default();
    for (name, token) in [
        ("with%pct=x", "hf_cccc"),
        ("first token", "hf_aaaa"),
        ("second", "hf_bbbb"),
    ] {
        stored.save(name, token).unwrap();
    }
    assert_eq!(stored.render(), HF_WROTE);
}

#[test]
fn saving_a_name_again_replaces_its_whole_section() {
    let mut stored =
        StoredTokens::parse("[me]\nhf_token = old\nrefresh_token = r\nexpires_at = 1\n\n[other]\nhf_token = o\n");
    stored.save("me", "new").unwrap();
    assert_eq!(stored.render(), "[me]\nhf_token = new\n\n[other]\nhf_token = o\n\n");
    assert!(stored.remove("me").is_some() && stored.remove("me").is_none());
}

#[test]
fn configparser_details_are_followed() {
    let text = "; comment\n# other\n[A]\nHF_TOKEN: hf_x\nRefresh_Token = r\n  more\n\n[DEFAULT]\nexpires_at = 9\n";
    let stored = StoredTokens::parse(text);
    let section = stored.get("A").unwrap();
    assert_eq!(section.token().as_deref(), Some("hf_x"));
    assert_eq!(section.field("refresh_token"), Some("r\nmore"));
    assert_eq!(section.field("expires_at"), Some("9"));
    assert!(stored.get("DEFAULT").is_none());
}

#[test]
fn a_file_configparser_refuses_counts_as_empty() {
    for bad in [
        "[a]\nhf_token = 1\n[a]\nhf_token = 2\n",
        "hf_token = 1\n[a]\n",
        "[a]\nno separator here\n",
        "[a]\nhf_token = 1\nhf_token = 2\n",
        "[]\nhf_token = 1\n",
    ] {
        assert_eq!(StoredTokens::parse(bad), StoredTokens::default(), "{bad:?}");
    }
}

#[test]
fn names_that_could_not_be_read_back_are_refused() {
    let mut stored = StoredTokens::default();
    for bad in ["", "a]b", "two\nlines", "DEFAULT"] {
        assert_eq!(
            stored.save(bad, "hf_x").unwrap_err().code,
            ErrorCode::InvalidOption,
            "{bad:?}"
        );
    }
}

#[test]
fn the_file_sits_beside_the_token_file() {
    let env = FakeEnv::default().with_var("HF_TOKEN_PATH", "/x/tok");
    assert_eq!(stored_tokens_path(&env).as_deref(), Some("/x/stored_tokens"));
    let env = FakeEnv::default().with_var("HF_HOME", "/h");
    assert_eq!(stored_tokens_path(&env).as_deref(), Some("/h/stored_tokens"));
}

#[test]
fn tokens_are_masked_as_hf_auth_list_masks_them() {
    assert_eq!(mask("hf_abcdefghijklmnop"), "hf_****mnop");
    assert_eq!(mask("ab"), "ab****ab");
}

#[test]
fn the_login_name_is_the_display_name_else_oauth_user() {
    let named = json!({ "name": "alice", "auth": { "accessToken": { "displayName": "laptop" } } });
    assert_eq!(name_from_whoami(&named).unwrap(), "laptop");
    let oauth = json!({ "name": "alice", "auth": { "type": "oauth" } });
    assert_eq!(name_from_whoami(&oauth).unwrap(), "oauth-alice");
    assert!(name_from_whoami(&json!({})).is_err());
}

#[test]
fn debug_never_shows_tokens() {
    let stored = StoredTokens::parse("[a]\nhf_token = hf_supersecretvalue\nrefresh_token = hf_refreshsecret\n");
    let shown = format!("{stored:?}");
    assert!(!shown.contains("secret"), "{shown}");
    assert!(refuse_org_token("api_org_x").is_err() && refuse_org_token("hf_x").is_ok());
}
