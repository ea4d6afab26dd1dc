//! The modern era's request headers that mirror the body (`Mcp-Method`, `Mcp-Name`,
//! `Mcp-Param-*` from `x-mcp-header` annotations), and their value encoding (E4): values
//! are compared after decoding, so a client may use the `=?base64?…?=` form for any value.

use crate::base64;
use axum::http::HeaderMap;
use serde_json::Value;

pub const METHOD_HEADER: &str = "mcp-method";
pub const NAME_HEADER: &str = "mcp-name";
pub const PARAM_HEADER_PREFIX: &str = "Mcp-Param-";

/// A header's value as the client meant it: the base64 form decoded, anything else as sent.
/// `None` when it is not UTF-8 either way.
pub fn decode_value(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?;
    match text
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    {
        Some(encoded) => String::from_utf8(base64::decode(encoded)?).ok(),
        None => Some(text.to_owned()),
    }
}

/// What a mirrored argument's header must say; `None` when the value is not mirrored at all
/// (null, a float, an object), so the header must be absent.
pub fn expected_value(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// One header's disagreement with the body, for a `-32020` answer.
#[derive(Debug, PartialEq)]
pub struct Mismatch {
    pub header: String,
    pub expected: Option<String>,
    pub received: Option<String>,
}

impl Mismatch {
    pub fn message(&self) -> String {
        match (&self.expected, &self.received) {
            (Some(_), None) => format!("header {} is missing", self.header),
            (None, Some(_)) => format!("header {} must be absent", self.header),
            _ => format!("header {} does not match the body", self.header),
        }
    }
}

/// Compares a header (case-insensitive name) with what the body says it must be.
pub fn check(headers: &HeaderMap, name: &str, expected: Option<&str>) -> Result<(), Mismatch> {
    let received = headers.get(name).map(|v| decode_value(v.as_bytes()));
    let agrees = match (expected, &received) {
        (None, None) => true,
        (Some(e), Some(Some(r))) => e == r,
        _ => false,
    };
    if agrees {
        return Ok(());
    }
    Err(Mismatch {
        header: name.to_owned(),
        expected: expected.map(str::to_owned),
        received: received.map(|r| r.unwrap_or_else(|| "<not UTF-8>".to_owned())),
    })
}

/// Every `x-mcp-header` annotation of a tool's input schema, with the path of `properties`
/// keys that reaches it.
pub fn annotations(schema: &Value) -> Vec<(Vec<String>, String)> {
    let mut found = Vec::new();
    walk(schema, &mut Vec::new(), &mut found);
    found
}

fn walk(schema: &Value, path: &mut Vec<String>, found: &mut Vec<(Vec<String>, String)>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (key, property) in properties {
        path.push(key.clone());
        if let Some(name) = property.get("x-mcp-header").and_then(Value::as_str) {
            found.push((path.clone(), name.to_owned()));
        }
        walk(property, path, found);
        path.pop();
    }
}

/// Checks the `Mcp-Param-*` headers a `tools/call` must carry for `schema`'s annotations.
pub fn check_params(
    headers: &HeaderMap,
    schema: &Value,
    arguments: &Value,
) -> Result<(), Mismatch> {
    for (path, name) in annotations(schema) {
        let value = path
            .iter()
            .try_fold(arguments, |v, key| v.get(key))
            .unwrap_or(&Value::Null);
        check(
            headers,
            &format!("{PARAM_HEADER_PREFIX}{name}"),
            expected_value(value).as_deref(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn decodes_both_forms() {
        assert_eq!(decode_value(b"eu").as_deref(), Some("eu"));
        assert_eq!(
            decode_value(b"=?base64?5pel5pys?=").as_deref(),
            Some("日本")
        );
        assert_eq!(
            decode_value(b"=?base64?IGV1IA==?=").as_deref(),
            Some(" eu ")
        );
        assert_eq!(decode_value(b"=?base64?!!?="), None);
        assert_eq!(
            decode_value(b"=?BASE64?ZXU=?=").as_deref(),
            Some("=?BASE64?ZXU=?=")
        );
    }

    #[test]
    fn mirrors_annotated_arguments_only_when_they_have_a_value() {
        let schema = json!({"properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "count": {"type": "integer", "x-mcp-header": "Count"},
            "nested": {"type": "object", "properties": {"flag": {"type": "boolean", "x-mcp-header": "Flag"}}},
            "note": {"type": "string"}}});
        assert_eq!(annotations(&schema).len(), 3);
        let args = json!({"region": "日本", "count": 3, "nested": {"flag": false}, "note": "x"});
        let good = headers(&[
            ("mcp-param-region", "=?base64?5pel5pys?="),
            ("mcp-param-count", "3"),
            ("mcp-param-flag", "false"),
        ]);
        assert_eq!(check_params(&good, &schema, &args), Ok(()));
        let err = check_params(
            &good,
            &schema,
            &json!({"region": null, "count": 3, "nested": {"flag": false}}),
        )
        .unwrap_err();
        assert_eq!(err.header, "Mcp-Param-Region");
        assert!(err.message().contains("absent"));
        let err = check_params(&headers(&[]), &schema, &json!({"count": 3})).unwrap_err();
        assert!(err.message().contains("missing"), "{}", err.message());
        assert_eq!(
            check_params(&headers(&[]), &schema, &json!({"count": 2.5})),
            Ok(())
        );
    }
}
