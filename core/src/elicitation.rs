//! SEP-1034: form elicitation schemas may give each field a `default`. A handler that accepts
//! without supplying a field means "the default", so the answer the server receives carries it;
//! a server can then rely on every defaulted field being present.

use serde_json::{Map, Value};

/// The `requestedSchema` of an `elicitation/create` request, if it is a form with properties.
pub(crate) fn requested_properties(params: Option<&Value>) -> Option<Map<String, Value>> {
    params?
        .get("requestedSchema")?
        .get("properties")?
        .as_object()
        .cloned()
}

/// Fills the fields an accepting answer left out with the schema's defaults. Answers that
/// decline or cancel, and fields the handler did supply, are left alone.
pub(crate) fn apply_defaults(properties: &Map<String, Value>, answer: &mut Value) {
    let Some(reply) = answer.as_object_mut() else {
        return;
    };
    if reply.get("action").and_then(Value::as_str) != Some("accept") {
        return;
    }
    let content = reply
        .entry("content")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(content) = content.as_object_mut() else {
        return;
    };
    for (name, schema) in properties {
        if let Some(default) = schema.get("default") {
            content
                .entry(name.clone())
                .or_insert_with(|| default.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn properties() -> Map<String, Value> {
        requested_properties(Some(&json!({
            "message": "m",
            "requestedSchema": {"type": "object", "properties": {
                "name": {"type": "string", "default": "John Doe"},
                "age": {"type": "integer", "default": 30},
                "verified": {"type": "boolean", "default": true},
                "note": {"type": "string"}
            }}
        })))
        .unwrap()
    }

    #[test]
    fn accepted_answers_gain_missing_defaults_only() {
        let mut answer = json!({"action": "accept", "content": {"age": 41}});
        apply_defaults(&properties(), &mut answer);
        assert_eq!(
            answer,
            json!({"action": "accept", "content": {"age": 41, "name": "John Doe", "verified": true}})
        );
        let mut bare = json!({"action": "accept"});
        apply_defaults(&properties(), &mut bare);
        assert_eq!(bare["content"]["name"], "John Doe");
    }

    #[test]
    fn declines_and_odd_answers_are_untouched() {
        for original in [
            json!({"action": "decline"}),
            json!({"action": "cancel"}),
            json!({"action": "accept", "content": "not an object"}),
            json!("not an object"),
        ] {
            let mut answer = original.clone();
            apply_defaults(&properties(), &mut answer);
            assert_eq!(answer, original);
        }
        assert!(requested_properties(Some(&json!({"mode": "url"}))).is_none());
        assert!(requested_properties(None).is_none());
    }
}
