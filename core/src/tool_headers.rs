//! `x-mcp-header` (E5): tool arguments the server wants mirrored as `Mcp-Param-*` headers. The
//! client learns them from `tools/list`, drops tools whose annotations are invalid (a server
//! that cannot agree with us on a header would refuse every call), and adds the headers to
//! each `tools/call`.

use crate::modern::{encode_value, header_value};
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

const ANNOTATION: &str = "x-mcp-header";
/// Keywords whose values are data, not schemas: an `x-mcp-header` key there is not an annotation.
const DATA_KEYWORDS: &[&str] = &["const", "default", "enum", "examples"];

/// One mirrored argument: the header suffix and where the argument sits in `arguments`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeaderParam {
    pub header: String,
    pub path: Vec<String>,
}

/// What the client knows of one listed tool.
#[derive(Debug, Clone)]
pub(crate) enum ToolHeaders {
    Valid(Vec<HeaderParam>),
    /// Dropped from what `list_tools` returned, for this reason.
    Invalid(String),
}

/// The annotated arguments of a tool's `inputSchema`, or why the tool is invalid.
pub(crate) fn header_params(input_schema: Option<&Value>) -> Result<Vec<HeaderParam>, String> {
    let mut found = Vec::new();
    if let Some(schema) = input_schema {
        scan(schema, &mut Vec::new(), true, &mut found)?;
    }
    let mut seen = HashSet::new();
    for param in &found {
        if !seen.insert(param.header.to_ascii_lowercase()) {
            return Err(format!(
                "x-mcp-header {:?} is used twice (header names ignore case)",
                param.header
            ));
        }
    }
    Ok(found)
}

/// Walks a schema. `by_properties` says the path from the root went through `properties`
/// keys only, the one place an annotation is allowed.
fn scan(
    schema: &Value,
    path: &mut Vec<String>,
    by_properties: bool,
    found: &mut Vec<HeaderParam>,
) -> Result<(), String> {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                if key == ANNOTATION {
                    if !by_properties || path.is_empty() {
                        return Err(format!(
                            "x-mcp-header at {} is not on a property reached through \"properties\"",
                            describe(path)
                        ));
                    }
                    found.push(annotation(value, map, path)?);
                } else if key == "properties" {
                    let Value::Object(properties) = value else {
                        continue;
                    };
                    for (name, sub) in properties {
                        path.push(name.clone());
                        scan(sub, path, by_properties, found)?;
                        path.pop();
                    }
                } else if !DATA_KEYWORDS.contains(&key.as_str()) {
                    scan(value, path, false, found)?;
                }
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| scan(item, path, false, found)),
        _ => Ok(()),
    }
}

fn annotation(
    value: &Value,
    property: &serde_json::Map<String, Value>,
    path: &[String],
) -> Result<HeaderParam, String> {
    let where_ = describe(path);
    let Some(header) = value.as_str().filter(|h| !h.is_empty()) else {
        return Err(format!(
            "x-mcp-header at {where_} is not a non-empty string"
        ));
    };
    if !header.bytes().all(is_tchar) {
        return Err(format!(
            "x-mcp-header {header:?} at {where_} is not an HTTP token (letters, digits, !#$%&'*+-.^_`|~)"
        ));
    }
    if !is_primitive(property.get("type")) {
        return Err(format!(
            "x-mcp-header {header:?} at {where_} is on a property that is not a string, integer or boolean"
        ));
    }
    Ok(HeaderParam {
        header: header.to_owned(),
        path: path.to_vec(),
    })
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `string`, `integer` or `boolean`, alone or with `null`.
fn is_primitive(declared: Option<&Value>) -> bool {
    let primitive = |t: &str| matches!(t, "string" | "integer" | "boolean");
    match declared {
        Some(Value::String(t)) => primitive(t),
        Some(Value::Array(types)) => {
            let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
            let non_null: Vec<&&str> = names.iter().filter(|t| **t != "null").collect();
            names.len() == types.len() && non_null.len() == 1 && primitive(non_null[0])
        }
        _ => false,
    }
}

fn describe(path: &[String]) -> String {
    if path.is_empty() {
        "the schema root".to_owned()
    } else {
        format!("properties.{}", path.join(".properties."))
    }
}

/// Splits a `tools/list` page into the tools kept and what is known of every tool's headers.
/// Invalid tools are logged and left out.
pub(crate) fn sort_tools(
    tools: Vec<Value>,
    table: &mut HashMap<String, ToolHeaders>,
) -> Vec<Value> {
    let mut kept = Vec::with_capacity(tools.len());
    for tool in tools {
        let Some(name) = tool.get("name").and_then(Value::as_str).map(str::to_owned) else {
            kept.push(tool);
            continue;
        };
        match header_params(tool.get("inputSchema")) {
            Ok(params) => {
                table.insert(name, ToolHeaders::Valid(params));
                kept.push(tool);
            }
            Err(reason) => {
                log::warn!("ignoring tool {name:?} from tools/list: {reason}");
                table.insert(name, ToolHeaders::Invalid(reason));
            }
        }
    }
    kept
}

/// `Mcp-Param-*` headers for a call's arguments; absent and null arguments send none.
pub(crate) fn param_headers(
    params: &[HeaderParam],
    arguments: Option<&Value>,
) -> crate::Result<Vec<(HeaderName, HeaderValue)>> {
    let mut headers = Vec::new();
    let Some(arguments) = arguments else {
        return Ok(headers);
    };
    for param in params {
        let value = param.path.iter().try_fold(arguments, |at, key| at.get(key));
        let Some(encoded) = value.and_then(encode_value) else {
            continue;
        };
        let name = HeaderName::from_bytes(format!("mcp-param-{}", param.header).as_bytes())
            .expect("a token makes a valid header name");
        headers.push((name, header_value(&encoded)?));
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema_with(property: Value) -> Value {
        json!({"type": "object", "properties": {"p": property}})
    }

    #[test]
    fn valid_annotations_are_found_with_their_paths() {
        let schema = json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "count": {"type": "integer", "x-mcp-header": "Count"},
            "opts": {"type": "object", "properties": {
                "dry": {"type": ["boolean", "null"], "x-mcp-header": "Dry-Run"}
            }},
            "note": {"type": "string"}
        }});
        let params = header_params(Some(&schema)).unwrap();
        let mut names: Vec<_> = params.iter().map(|p| p.header.as_str()).collect();
        names.sort();
        assert_eq!(names, ["Count", "Dry-Run", "Region"]);
        let dry = params.iter().find(|p| p.header == "Dry-Run").unwrap();
        assert_eq!(dry.path, ["opts", "dry"]);
        assert!(header_params(None).unwrap().is_empty());
    }

    #[test]
    fn invalid_annotations_make_the_tool_invalid() {
        let bad = [
            schema_with(json!({"type": "string", "x-mcp-header": ""})),
            schema_with(json!({"type": "string", "x-mcp-header": "Has Space"})),
            schema_with(json!({"type": "string", "x-mcp-header": "Colon:"})),
            schema_with(json!({"type": "string", "x-mcp-header": "Ünï"})),
            schema_with(json!({"type": "string", "x-mcp-header": "Tab\t"})),
            schema_with(json!({"type": "string", "x-mcp-header": 7})),
            schema_with(json!({"type": "number", "x-mcp-header": "N"})),
            schema_with(json!({"type": "object", "x-mcp-header": "O"})),
            schema_with(json!({"x-mcp-header": "Untyped"})),
            json!({"type": "object", "properties": {
                "a": {"type": "string", "x-mcp-header": "Same"},
                "b": {"type": "string", "x-mcp-header": "same"}}}),
            json!({"type": "object", "properties": {"list": {"type": "array",
                "items": {"type": "string", "x-mcp-header": "Item"}}}}),
            json!({"anyOf": [{"type": "object", "properties": {
                "a": {"type": "string", "x-mcp-header": "A"}}}]}),
            json!({"$defs": {"d": {"type": "string", "x-mcp-header": "D"}}}),
            json!({"type": "string", "x-mcp-header": "Root"}),
        ];
        for schema in bad {
            assert!(header_params(Some(&schema)).is_err(), "{schema}");
        }
        // Data that happens to contain the key is not an annotation.
        let data = schema_with(json!({"type": "object", "default": {"x-mcp-header": "no"}}));
        assert!(header_params(Some(&data)).unwrap().is_empty());
    }

    #[test]
    fn invalid_tools_are_left_out_and_remembered() {
        let tools = vec![
            json!({"name": "ok", "inputSchema": schema_with(json!({"type": "string", "x-mcp-header": "P"}))}),
            json!({"name": "bad", "inputSchema": schema_with(json!({"type": "number", "x-mcp-header": "P"}))}),
        ];
        let mut table = HashMap::new();
        let kept = sort_tools(tools, &mut table);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0]["name"], "ok");
        assert!(matches!(table["ok"], ToolHeaders::Valid(ref p) if p.len() == 1));
        assert!(matches!(table["bad"], ToolHeaders::Invalid(_)));
    }

    #[test]
    fn headers_mirror_present_arguments_only() {
        let params = vec![
            HeaderParam {
                header: "Region".into(),
                path: vec!["region".into()],
            },
            HeaderParam {
                header: "Count".into(),
                path: vec!["count".into()],
            },
            HeaderParam {
                header: "Dry".into(),
                path: vec!["o".into(), "dry".into()],
            },
        ];
        let args = json!({"region": "日本", "count": null, "o": {"dry": true}});
        let headers = param_headers(&params, Some(&args)).unwrap();
        let text: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            text,
            [
                (
                    "mcp-param-region".to_owned(),
                    "=?base64?5pel5pys?=".to_owned()
                ),
                ("mcp-param-dry".to_owned(), "true".to_owned())
            ]
        );
        assert!(param_headers(&params, None).unwrap().is_empty());
    }
}
