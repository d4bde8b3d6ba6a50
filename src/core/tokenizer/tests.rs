//! Host tests of the tokenizer wrapper on a tiny WordLevel tokenizer: enough
//! to exercise loading, padding, truncation and chat templates without a
//! fixture file (real tokenizers are compared with Python in tests/node/).

use serde_json::json;

use super::*;
use crate::core::error::ErrorCode;

const TINY: &str = r#"{
  "version": "1.0", "truncation": {"direction": "Right", "max_length": 2, "strategy": "LongestFirst", "stride": 0},
  "padding": null,
  "added_tokens": [
    {"id": 0, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 3, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 4, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 5, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
  ],
  "normalizer": null,
  "pre_tokenizer": {"type": "Whitespace"},
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
    "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
             {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
    "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [3], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [4], "tokens": ["[SEP]"]}}},
  "decoder": null,
  "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hello": 1, "world": 2, "[CLS]": 3, "[SEP]": 4, "[PAD]": 5, ",": 6}, "unk_token": "[UNK]"}
}"#;

fn tiny(config: serde_json::Value) -> LoadedTokenizer {
    LoadedTokenizer::from_files("a/b", TINY.as_bytes(), Some(config.to_string().as_bytes())).unwrap()
}

#[test]
fn encodes_and_decodes() {
    let t = tiny(json!({"x": 1}));
    // The file's truncation (max 2) is ignored, as transformers does.
    assert_eq!(t.encode("hello world zzz", false).unwrap(), vec![1, 2, 0]);
    assert_eq!(t.encode("hello", true).unwrap(), vec![3, 1, 4]);
    assert_eq!(t.tokenize("hello world", None, false).unwrap(), vec!["hello", "world"]);
    assert_eq!(t.decode(&[1, 2], false).unwrap(), "hello world");
    assert_eq!(t.decode(&[3, 1, 4], true).unwrap(), "hello");
    assert_eq!(
        t.encode_many(&["hello", "", "world hello"], false).unwrap(),
        (vec![1, 2, 1], vec![1, 1, 3])
    );
    assert_eq!(t.config()["x"], 1);
    assert_eq!(
        t.special_added_tokens().iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![0, 3, 4, 5]
    );
    assert_eq!(t.vocab().len(), 7);
    assert_eq!(t.token_to_id("world"), Some(2));
}

#[test]
fn the_fast_loader_builds_what_the_crate_does() {
    let fast = super::fast_load::load(TINY.as_bytes(), false)
        .unwrap()
        .expect("fast path taken")
        .tokenizer;
    let mut slow = tokenizers::Tokenizer::from_bytes(TINY.as_bytes()).unwrap();
    let _ = slow.with_truncation(None);
    assert_eq!(fast.to_string(false).unwrap(), slow.to_string(false).unwrap());
    // Unusual files go to the crate's loader.
    assert!(
        super::fast_load::load(TINY.replace("\"1.0\"", "\"2.0\"").as_bytes(), false)
            .unwrap()
            .is_none()
    );
    assert!(
        super::fast_load::load(TINY.replace("\"type\": \"WordLevel\", ", "").as_bytes(), false)
            .unwrap()
            .is_none()
    );
}

/// A BPE model with a continuing-subword prefix, its merges as `merges`.
fn tiny_bpe(merges: &str) -> String {
    format!(
        r###"{{"version": "1.0", "added_tokens": [{{"id": 7, "content": "<s>", "single_word": false, "lstrip": false,
            "rstrip": false, "normalized": false, "special": true}}],
          "normalizer": null, "pre_tokenizer": {{"type": "Whitespace"}}, "post_processor": null, "decoder": null,
          "model": {{"type": "BPE", "dropout": null, "unk_token": "[UNK]", "continuing_subword_prefix": "##",
            "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": false, "ignore_merges": false,
            "vocab": {{"[UNK]": 0, "a": 1, "##b": 2, "ab": 3, "b": 4, "##c": 5, "abc": 6}},
            "merges": {merges}}}}}"###
    )
}

#[test]
fn bpe_models_load_as_the_crate_loads_them_in_both_merge_forms() {
    for merges in [
        r###"[["a", "##b"], ["ab", "##c"]]"###,
        r###"["#version: 0.2", "a ##b", "ab ##c"]"###,
    ] {
        let json = tiny_bpe(merges);
        let fast = super::fast_load::load(json.as_bytes(), false)
            .unwrap()
            .expect("fast path taken")
            .tokenizer;
        let mut slow = tokenizers::Tokenizer::from_bytes(json.as_bytes()).unwrap();
        let _ = slow.with_truncation(None);
        assert_eq!(
            fast.to_string(false).unwrap(),
            slow.to_string(false).unwrap(),
            "{merges}"
        );
        let ids = |t: &tokenizers::Tokenizer| t.encode("abc ab <s> zz", false).unwrap().get_ids().to_vec();
        assert_eq!(ids(&fast), ids(&slow));
        assert_eq!(ids(&fast), vec![6, 3, 7, 0]);
    }
    // `type` is usually the model's first key, but need not be.
    let late = tiny_bpe(r###"[["a", "##b"]], "type": "BPE""###).replacen(r#""type": "BPE", "#, "", 1);
    assert!(late.find(r#""type": "BPE""#) > late.find("merges"));
    let fast = super::fast_load::load(late.as_bytes(), false)
        .unwrap()
        .expect("fast path taken")
        .tokenizer;
    assert_eq!(fast.encode("ab", false).unwrap().get_ids(), &[3]);
    // A legacy line without exactly one space is the crate's to report.
    let bad = tiny_bpe(r###"["a ##b c"]"###);
    assert!(super::fast_load::load(bad.as_bytes(), false).unwrap().is_none());
    let err = LoadedTokenizer::from_files("o/r", bad.as_bytes(), None).err().unwrap();
    assert_eq!(err.code, ErrorCode::InvalidTokenizer);
}

#[test]
fn a_merge_shorter_than_the_subword_prefix_is_refused_not_a_crash() {
    // The crate's builder would subtract past zero here and panic.
    let json = tiny_bpe(r#"[["a", "b"]]"#);
    let err = LoadedTokenizer::from_files("o/r", json.as_bytes(), None).err().unwrap();
    assert_eq!(err.code, ErrorCode::InvalidTokenizer);
    assert!(err.message.contains("continuing_subword_prefix"), "{}", err.message);
}

#[test]
fn clean_up_applies_to_non_bpe_models_when_asked() {
    let t = tiny(json!({"clean_up_tokenization_spaces": true}));
    assert_eq!(t.decode_with(&[1, 6, 2], false, None).unwrap(), "hello, world");
    assert_eq!(t.decode_with(&[1, 6, 2], false, Some(false)).unwrap(), "hello , world");
    assert_eq!(
        t.batch_decode(&[&[1], &[2, 6]], false, None).unwrap(),
        vec!["hello", "world,"]
    );
}

#[test]
fn malformed_files_are_typed_errors() {
    for bad in [&b"{"[..], b"", b"[]", b"{\"model\": 5}", b"\xff\xfe"] {
        let err = LoadedTokenizer::from_files("a/b", bad, None).err().unwrap();
        assert_eq!(err.code, ErrorCode::InvalidTokenizer);
        assert_eq!(err.file.as_deref(), Some("tokenizer.json"));
        assert!(err.message.contains("a/b"));
    }
    let err = LoadedTokenizer::from_files("a/b", TINY.as_bytes(), Some(b"[1]"))
        .err()
        .unwrap();
    assert_eq!(err.file.as_deref(), Some("tokenizer_config.json"));
}

#[test]
fn unknown_model_types_are_unsupported() {
    let other = TINY.replace("\"type\": \"WordLevel\"", "\"type\": \"Tiktoken\"");
    let err = LoadedTokenizer::from_files("a/b", other.as_bytes(), None)
        .err()
        .unwrap();
    assert_eq!(err.code, ErrorCode::UnsupportedTokenizer, "{}", err.message);
    assert!(err.message.contains("Tiktoken"));
    let other = TINY.replace("\"type\": \"Whitespace\"", "\"type\": \"Whitespacy\"");
    let err = LoadedTokenizer::from_files("a/b", other.as_bytes(), None)
        .err()
        .unwrap();
    assert_eq!(err.code, ErrorCode::UnsupportedTokenizer, "{}", err.message);
}

#[test]
fn unknown_ids_do_not_panic() {
    let t = tiny(json!({}));
    let _ = t.decode(&[u32::MAX, 7, 1], true);
}

fn opts(f: impl FnOnce(&mut CallOptions)) -> CallOptions {
    let mut o = CallOptions::new();
    f(&mut o);
    o
}

#[test]
fn pads_on_the_configured_side() {
    let mut t = tiny(json!({"pad_token": "[PAD]", "padding_side": "left"}));
    let out = t
        .call(
            &["hello", "hello world hello"],
            None,
            &opts(|o| o.padding = Padding::Longest),
        )
        .unwrap();
    assert_eq!(out.input_ids, vec![vec![5, 5, 3, 1, 4], vec![3, 1, 2, 1, 4]]);
    assert_eq!(
        out.attention_mask.unwrap(),
        vec![vec![0, 0, 1, 1, 1], vec![1, 1, 1, 1, 1]]
    );
    assert_eq!(out.token_type_ids, None);
    let mut t = tiny(json!({"pad_token": "[PAD]"}));
    let out = t
        .call(
            &["hello"],
            None,
            &opts(|o| {
                o.padding = Padding::MaxLength;
                o.max_length = Some(6);
                o.pad_to_multiple_of = Some(4);
                o.return_token_type_ids = Some(true);
            }),
        )
        .unwrap();
    assert_eq!(out.input_ids, vec![vec![3, 1, 4, 5, 5, 5, 5, 5]]);
    assert_eq!(out.token_type_ids.unwrap(), vec![vec![0; 8]]);
}

#[test]
fn truncates_pairs_and_keeps_special_tokens() {
    let mut t = tiny(json!({"tokenizer_class": "BertTokenizer", "model_max_length": 6}));
    // max_length alone turns truncation on.
    let out = t
        .call(
            &["hello world hello"],
            Some(&["world world"]),
            &opts(|o| o.max_length = Some(6)),
        )
        .unwrap();
    assert_eq!(out.input_ids, vec![vec![3, 1, 2, 4, 2, 4]]);
    assert_eq!(out.token_type_ids.unwrap(), vec![vec![0, 0, 0, 0, 1, 1]]);
    // truncation: true without max_length uses model_max_length.
    let out = t
        .call(
            &["hello world hello world hello"],
            None,
            &opts(|o| o.truncation = Truncation::LongestFirst),
        )
        .unwrap();
    assert_eq!(out.input_ids, vec![vec![3, 1, 2, 1, 2, 4]]);
    // truncation_side from the config.
    let mut left = tiny(json!({"truncation_side": "left"}));
    let out = left
        .call(&["hello hello world"], None, &opts(|o| o.max_length = Some(4)))
        .unwrap();
    // Right truncation would keep "hello hello" ([1, 1]).
    assert_eq!(out.input_ids, vec![vec![3, 1, 2, 4]]);
    // The tokenizer's own settings are back to no truncation afterwards.
    assert_eq!(t.encode("hello world hello world hello", false).unwrap().len(), 5);
    // Absurd padding lengths are refused before anything is allocated.
    let mut padded = tiny(json!({"pad_token": "[PAD]"}));
    let huge = opts(|o| {
        o.padding = Padding::MaxLength;
        o.max_length = Some(1 << 30);
    });
    assert_eq!(
        padded.call(&["hello"], None, &huge).err().unwrap().code,
        ErrorCode::InvalidOption
    );
    // Too short for the special tokens: a typed error, not a panic.
    let err = t
        .call(&["hello world"], Some(&["world"]), &opts(|o| o.max_length = Some(1)))
        .err()
        .unwrap();
    assert_eq!(err.code, ErrorCode::InvalidOption);
    let err = t.call(&["a", "b"], Some(&["c"]), &CallOptions::new()).err().unwrap();
    assert_eq!(err.code, ErrorCode::InvalidOption);
}

#[test]
fn padding_needs_a_pad_token() {
    let mut t = tiny(json!({}));
    let err = t
        .call(&["hello", "world hello"], None, &opts(|o| o.padding = Padding::Longest))
        .err()
        .unwrap();
    assert_eq!(err.code, ErrorCode::InvalidOption);
    // eos stands in for a missing pad token, as in Transformers.js.
    let mut t = tiny(json!({"eos_token": "[SEP]"}));
    let out = t
        .call(&["hello", "world hello"], None, &opts(|o| o.padding = Padding::Longest))
        .unwrap();
    assert_eq!(out.input_ids[0], vec![3, 1, 4, 4]);
}

const TEMPLATE: &str = "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('no system') }}{% endif %}\
{{ bos_token }}{{ m['role'] | upper }}: {{ m.content.strip() }}\n{% endfor %}\
{% if tools %}{{ tools | tojson }}{% endif %}{% if add_generation_prompt %}ASSISTANT:{% endif %}{{ strftime_now('%Y') }}{{ extra }}";

#[test]
fn renders_chat_templates() {
    let mut t = tiny(json!({"bos_token": "[CLS]", "chat_template": TEMPLATE}));
    let messages = json!([{"role": "user", "content": " hi <b> "}, {"role": "assistant", "content": "yo", "x": null}]);
    let options = ChatOptions {
        add_generation_prompt: true,
        tools: Some(json!([{"type": "function", "function": {"name": "f", "b": 1.5, "a": "é"}}])),
        now: Some(LocalTime {
            local_ms: 1_721_743_509_000,
        }),
        extra: [("extra".to_owned(), json!("!"))].into_iter().collect(),
        ..Default::default()
    };
    let out = t.render_chat(&messages, &options).unwrap();
    assert!(!out.batched);
    assert_eq!(
        out.texts,
        vec!["[CLS]USER: hi <b>\n[CLS]ASSISTANT: yo\n[{\"type\": \"function\", \"function\": {\"name\": \"f\", \"b\": 1.5, \"a\": \"é\"}}]ASSISTANT:2024!"]
    );
    let batch = t
        .render_chat(
            &json!([[{"role": "user", "content": "a"}], [{"role": "user", "content": "b"}]]),
            &ChatOptions::default(),
        )
        .unwrap();
    assert!(batch.batched);
    assert_eq!(batch.texts, vec!["[CLS]USER: a\n1970", "[CLS]USER: b\n1970"]);
    let err = t
        .render_chat(&json!([{"role": "system", "content": "x"}]), &ChatOptions::default())
        .err()
        .unwrap();
    assert_eq!(err.code, ErrorCode::ChatTemplate);
    assert!(err.message.contains("no system"), "{}", err.message);
    for bad in [json!([]), json!("x"), json!([1])] {
        assert_eq!(
            t.render_chat(&bad, &ChatOptions::default()).err().unwrap().code,
            ErrorCode::InvalidOption
        );
    }
    let broken = ChatOptions {
        chat_template: Some("{% if %}".into()),
        ..Default::default()
    };
    assert_eq!(
        t.render_chat(&messages, &broken).err().unwrap().code,
        ErrorCode::ChatTemplate
    );
}

#[test]
fn chooses_among_named_templates() {
    let t =
        tiny(json!({"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]}));
    assert_eq!(t.chat_template_source(None, false).unwrap(), "D");
    assert_eq!(t.chat_template_source(None, true).unwrap(), "T");
    assert_eq!(t.chat_template_source(Some("tool_use"), false).unwrap(), "T");
    assert_eq!(t.chat_template_source(Some("{{ 1 }}"), false).unwrap(), "{{ 1 }}");
    let t = tiny(json!({"chat_template": [{"name": "rag", "template": "R"}]}));
    assert_eq!(
        t.chat_template_source(None, false).err().unwrap().code,
        ErrorCode::ChatTemplate
    );
    let t = tiny(json!({}));
    assert_eq!(
        t.chat_template_source(None, false).err().unwrap().code,
        ErrorCode::ChatTemplate
    );
}

#[test]
fn continues_the_final_message() {
    let mut t = tiny(
        json!({"chat_template": "{% for m in messages %}<{{ m.role }}>{{ m.content | trim }}</{{ m.role }}>\n{% endfor %}"}),
    );
    let messages = json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "The answer is "}]);
    let options = ChatOptions {
        continue_final: Some("content".into()),
        ..Default::default()
    };
    // `trim` removed the space before the tag: the text is cut before it too.
    assert_eq!(
        t.render_chat(&messages, &options).unwrap().texts,
        vec!["<user>hi</user>\n<assistant>The answer is"]
    );
    let parts = json!([{"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "image"}]}]);
    let mut t2 = tiny(json!({"chat_template": "{{ messages[0].content[0].text }}!"}));
    assert_eq!(t2.render_chat(&parts, &options).unwrap().texts, vec!["a"]);
    for bad in [
        ChatOptions {
            continue_final: Some("content".into()),
            add_generation_prompt: true,
            ..Default::default()
        },
        ChatOptions {
            continue_final: Some("reasoning".into()),
            ..Default::default()
        },
    ] {
        assert_eq!(
            t.render_chat(&messages, &bad).err().unwrap().code,
            ErrorCode::InvalidOption
        );
    }
}

#[test]
fn chat_template_jinja_wins_over_the_config_as_in_transformers() {
    let named = json!({"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]});
    for config in [json!({}), json!({"chat_template": "from config"}), named] {
        let mut t = tiny(config)
            .with_chat_template_file("a/b", b"{% for m in messages %}{{ m.content }}\r\n{% endfor %}")
            .unwrap();
        // The file replaces even named templates: `tools` no longer picks tool_use.
        assert_eq!(
            t.chat_template_source(None, true).unwrap(),
            "{% for m in messages %}{{ m.content }}\n{% endfor %}"
        );
        assert_eq!(
            t.chat_template_value(),
            json!("{% for m in messages %}{{ m.content }}\n{% endfor %}")
        );
        let out = t
            .render_chat(&json!([{"role": "user", "content": "hi"}]), &ChatOptions::default())
            .unwrap();
        assert_eq!(out.texts, vec!["hi\n"]);
    }
    // Without the file the config's value is what the getter shows.
    assert_eq!(tiny(json!({"chat_template": "C"})).chat_template_value(), json!("C"));
    assert_eq!(tiny(json!({})).chat_template_value(), serde_json::Value::Null);
}

const GENERATION_TEMPLATE: &str = "{% for m in messages %}{{ m.role }}: \
{%- if m.role == 'assistant' %} {% generation %}{{ m.content }} [SEP]{% endgeneration %}\
{%- else %} {{ m.content }}{% endif %}{{ '\\n' }}{% endfor %}";

#[test]
fn generation_blocks_render_as_plain_text_and_mark_the_assistant_tokens() {
    let mut t = tiny(json!({"pad_token": "[PAD]", "chat_template": GENERATION_TEMPLATE}));
    let chat = json!([
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "world , hello"},
        {"role": "user", "content": "world"}
    ]);
    let plain = t.render_chat(&chat, &ChatOptions::default()).unwrap();
    let tracked = t
        .render_chat(
            &chat,
            &ChatOptions {
                track_generation: true,
                ..Default::default()
            },
        )
        .unwrap();
    // Tracking does not change the text.
    assert_eq!(plain.texts, tracked.texts);
    assert_eq!(
        tracked.texts[0],
        "user: hello\nassistant: world , hello [SEP]\nuser: world\n"
    );
    assert_eq!(tracked.generation_spans, vec![vec![(23, 42)]]);
    assert!(!tracked.no_generation_tag);

    let texts: Vec<&str> = tracked.texts.iter().map(String::as_str).collect();
    let options = opts(|o| o.add_special_tokens = false);
    let out = t
        .call_with_assistant_masks(&texts, &tracked.generation_spans, &options)
        .unwrap();
    // user : hello assistant : world , hello [SEP] user : world
    assert_eq!(
        out.assistant_masks.unwrap(),
        vec![vec![0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0]]
    );

    // Batched and padded on the left: the mask is shifted with the ids and
    // padding stays 0.
    t.settings.padding_side = Side::Left;
    let two = [texts[0], "assistant: hello"];
    let spans = vec![tracked.generation_spans[0].clone(), vec![(11, 16)]];
    let out = t
        .call_with_assistant_masks(
            &two,
            &spans,
            &opts(|o| {
                o.add_special_tokens = false;
                o.padding = Padding::Longest;
            }),
        )
        .unwrap();
    let masks = out.assistant_masks.unwrap();
    assert_eq!(masks[1], vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(out.input_ids[1][..9], [5; 9]);

    // Truncation that cuts the block's start off leaves the row unmarked.
    let out = t
        .call_with_assistant_masks(
            &texts[..1],
            &tracked.generation_spans,
            &opts(|o| {
                o.add_special_tokens = false;
                o.max_length = Some(4);
            }),
        )
        .unwrap();
    assert_eq!(out.assistant_masks.unwrap(), vec![vec![0, 0, 0, 0]]);
}

#[test]
fn masks_without_a_generation_tag_are_flagged_and_continuing_is_refused() {
    let mut t = tiny(json!({"chat_template": TEMPLATE}));
    let chat = json!([{"role": "user", "content": "hello"}]);
    let tracked = ChatOptions {
        track_generation: true,
        ..Default::default()
    };
    let out = t.render_chat(&chat, &tracked).unwrap();
    assert!(out.no_generation_tag);
    assert_eq!(out.generation_spans, vec![vec![]]);
    let err = t
        .render_chat(
            &chat,
            &ChatOptions {
                continue_final: Some("content".into()),
                ..tracked
            },
        )
        .err()
        .unwrap();
    assert_eq!(err.code, ErrorCode::InvalidOption);
}

/// tiny_bpe's file, loaded with its pre-parsed form kept.
fn kept_form(json: &str) -> (tokenizers::Tokenizer, Vec<u8>) {
    let loaded = super::fast_load::load(json.as_bytes(), true).unwrap().unwrap();
    (
        loaded.tokenizer,
        loaded.pre_parsed.expect("a BPE model has a pre-parsed form"),
    )
}

#[test]
fn the_pre_parsed_form_gives_the_same_tokenizer_as_the_file() {
    for merges in [
        r###"[["a", "##b"], ["ab", "##c"]]"###,
        r###"["#version: 0.2", "a ##b", "ab ##c"]"###,
    ] {
        let json = tiny_bpe(merges);
        let (from_json, kept) = kept_form(&json);
        let from_kept = super::pre_parsed::load(&kept, json.len() as u64).expect("sound form");
        assert_eq!(from_kept.to_string(false).unwrap(), from_json.to_string(false).unwrap());
        let ids = |t: &tokenizers::Tokenizer| t.encode("abc ab <s> zz", false).unwrap().get_ids().to_vec();
        assert_eq!(ids(&from_kept), vec![6, 3, 7, 0]);
        // Only asked-for forms are made, and only BPE models have one.
        assert!(super::fast_load::load(json.as_bytes(), false)
            .unwrap()
            .unwrap()
            .pre_parsed
            .is_none());
    }
    assert!(super::fast_load::load(TINY.as_bytes(), true)
        .unwrap()
        .unwrap()
        .pre_parsed
        .is_none());
}

#[test]
fn the_pre_parsed_form_lists_tokens_in_id_order() {
    // About the order the crate's builder looks tokens up in (see
    // `encode`), whatever order the file and the vocabulary table have.
    let json = tiny_bpe(r###"[["a", "##b"], ["ab", "##c"]]"###).replace(
        r###"{"[UNK]": 0, "a": 1, "##b": 2, "ab": 3, "b": 4, "##c": 5, "abc": 6}"###,
        r###"{"abc": 6, "b": 4, "[UNK]": 0, "##c": 5, "a": 1, "ab": 3, "##b": 2}"###,
    );
    let (_, kept) = kept_form(&json);
    assert_eq!(super::pre_parsed::listed_ids(&kept), Some((0..7).collect()));
}

#[test]
fn a_damaged_stale_or_foreign_pre_parsed_form_is_not_used() {
    let json = tiny_bpe(r###"[["a", "##b"], ["ab", "##c"]]"###);
    let (_, kept) = kept_form(&json);
    let size = json.len() as u64;
    assert!(
        super::pre_parsed::load(&kept, size + 1).is_none(),
        "made from another file"
    );
    for cut in 0..kept.len() {
        assert!(super::pre_parsed::load(&kept[..cut], size).is_none(), "cut at {cut}");
    }
    for at in 0..kept.len() {
        let mut flipped = kept.clone();
        flipped[at] ^= 0x10;
        assert!(super::pre_parsed::load(&flipped, size).is_none(), "byte {at} flipped");
    }
    let mut longer = kept.clone();
    longer.push(0);
    assert!(super::pre_parsed::load(&longer, size).is_none());
    assert!(super::pre_parsed::load(json.as_bytes(), size).is_none());
}

#[test]
fn models_the_form_cannot_hold_are_simply_read_as_json() {
    // Two tokens with one id: the merges could not name them by id.
    let json = tiny_bpe(r###"[["a", "##b"]]"###).replace(r#""abc": 6"#, r#""abc": 5"#);
    let loaded = super::fast_load::load(json.as_bytes(), true).unwrap().unwrap();
    assert!(loaded.pre_parsed.is_none());
    // Ids far from dense would need a huge table.
    let json = tiny_bpe(r###"[["a", "##b"]]"###).replace(r#""abc": 6"#, r#""abc": 4000000"#);
    let loaded = super::fast_load::load(json.as_bytes(), true).unwrap().unwrap();
    assert!(loaded.pre_parsed.is_none());
}

#[test]
fn a_build_from_the_cache_takes_a_sound_form_and_else_the_file_with_a_new_form() {
    let json = tiny_bpe(r###"[["a", "##b"], ["ab", "##c"]]"###);
    let size = json.len() as u64;
    let (_, kept) = kept_form(&json);
    let ids = |t: &TokenizerJson| t.0.encode("abc ab", false).unwrap().get_ids().to_vec();
    // A sound form: the file is not needed, and no new form is made.
    let (parsed, form) = TokenizerJson::from_kept_or_file("a/b", Some(&kept), None, size)
        .unwrap()
        .expect("built from the form");
    assert_eq!((ids(&parsed), form), (vec![6, 3], None));
    // An unsound one (made from a file of another size), and no file: ask for the file.
    let stale = TokenizerJson::from_kept_or_file("a/b", Some(&kept), None, size + 1).unwrap();
    assert!(stale.is_none());
    // With the file: built from it, with a new form to keep.
    let (parsed, form) = TokenizerJson::from_kept_or_file("a/b", Some(&kept), Some(json.as_bytes()), size + 1)
        .unwrap()
        .expect("built from the file");
    assert_eq!(ids(&parsed), vec![6, 3]);
    assert_eq!(form, Some(kept));
    // A file that does not load is the load's error, as ever.
    let err = TokenizerJson::from_kept_or_file("a/b", None, Some(b"{"), 1)
        .err()
        .unwrap();
    assert_eq!(err.code, ErrorCode::InvalidTokenizer);
}
