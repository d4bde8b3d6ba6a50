//! The messages as the template sees them: prepared as transformers
//! prepares them, and the last one tagged for `continue_final_message`.

use serde_json::{Map, Value};

/// Appended to the message to continue, then cut off the rendered text
/// with whatever the template put after it (transformers' method).
const CONTINUE_TAG: &str = "CONTINUE_FINAL_MESSAGE_TAG ";
/// The names reasoning is given under, in transformers' order of preference.
const REASONING_FIELDS: [&str; 3] = ["reasoning_content", "thinking", "reasoning"];

/// As transformers prepares each message: keys set to null are dropped, and
/// reasoning given under an older name is also offered as
/// `reasoning_content` (and `thinking`, which gpt-oss templates read).
pub(super) fn prepare_message(message: &Map<String, Value>) -> Value {
    let mut out: Map<String, Value> = message
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let reasoning = REASONING_FIELDS.iter().find_map(|k| out.get(*k).cloned());
    if let Some(reasoning) = reasoning {
        let mut aliased = Map::new();
        aliased.insert("thinking".into(), reasoning.clone());
        for (k, v) in out {
            aliased.insert(k, v);
        }
        aliased.insert("reasoning_content".into(), reasoning);
        out = aliased;
    }
    Value::Object(out)
}

/// Put the tag after the text to continue; returns the messages and that text.
pub(super) fn tag_final_message(
    mut messages: Vec<Value>,
    field: &str,
    source: &str,
) -> Result<(Vec<Value>, String), String> {
    let fields: Vec<&str> = {
        let last = messages
            .last()
            .and_then(Value::as_object)
            .ok_or("the conversation is empty")?;
        let value = last
            .get(field)
            .ok_or(format!("the final message has no `{field}` to continue"))?;
        if REASONING_FIELDS.contains(&field) {
            // Reasoning is offered under several names: tag every copy.
            REASONING_FIELDS
                .iter()
                .copied()
                .filter(|f| last.get(*f) == Some(value))
                .collect()
        } else {
            vec![field]
        }
    };
    if !fields.iter().any(|f| source.contains(f)) {
        return Err(format!(
            "`continue_final_message` names `{field}`, which the chat template does not use"
        ));
    }
    let last = messages
        .last_mut()
        .and_then(Value::as_object_mut)
        .ok_or("the conversation is empty")?;
    let mut original = None;
    for f in &fields {
        match last.get_mut(*f) {
            Some(Value::String(text)) => {
                original.get_or_insert_with(|| text.clone());
                text.push_str(CONTINUE_TAG);
            }
            Some(Value::Array(blocks)) => {
                // The last block with text, as transformers picks it.
                let block = blocks
                    .iter_mut()
                    .rev()
                    .find_map(|b| b.get_mut("text").filter(|t| t.is_string()))
                    .ok_or("the final message has no text to continue")?;
                if let Value::String(text) = block {
                    original.get_or_insert_with(|| text.clone());
                    text.push_str(CONTINUE_TAG);
                }
            }
            _ => return Err(format!("the final message's `{f}` is not text")),
        }
    }
    Ok((messages, original.unwrap_or_default()))
}

/// Cut the rendered text right after the continued message.
pub(super) fn cut_at_tag(rendered: String, text: &str) -> Result<String, String> {
    let tag = CONTINUE_TAG.trim();
    let at = rendered.rfind(tag).filter(|_| rendered.contains(text.trim())).ok_or(
        "the final message does not appear in the rendered chat (the template changes it), so it cannot be continued",
    )?;
    Ok(if rendered[at..].starts_with(CONTINUE_TAG) {
        rendered[..at].to_owned()
    } else {
        // The template trimmed the message's trailing space: so do we.
        rendered[..at].trim_end().to_owned()
    })
}
