//! Client operations by name: `{"op": "call_tool", "name": "echo", "arguments": {...}}`. The
//! one path every binding (blocking or async) takes into the client.

use mcpstream::handlers::ProgressHandler;
use mcpstream::{Client, Error, RequestOptions};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
// Operations without fields are empty structs, not unit variants: serde refuses unknown
// fields only in struct variants.
pub enum Operation {
    Connect {},
    Request {
        method: String,
        #[serde(default)]
        params: Option<Map<String, Value>>,
        #[serde(default)]
        timeout: Option<f64>,
    },
    Notify {
        method: String,
        #[serde(default)]
        params: Option<Map<String, Value>>,
    },
    Ping {},
    ListTools {},
    CallTool {
        name: String,
        #[serde(default)]
        arguments: Option<Map<String, Value>>,
        #[serde(default)]
        timeout: Option<f64>,
    },
    ListResources {},
    ReadResource {
        uri: String,
    },
    ListPrompts {},
    GetPrompt {
        name: String,
        #[serde(default)]
        arguments: Option<Map<String, Value>>,
    },
    SetLoggingLevel {
        level: String,
    },
    Close {},
    /// Adopts an existing session without `initialize`; see [`Client::resume`].
    Resume {
        session_id: String,
        protocol_version: String,
    },
}

impl Operation {
    /// Reads an operation; a missing or mistyped field is the caller's mistake, named.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let invalid = |message: String| Error::InvalidArgument { message };
        let value: Value =
            serde_json::from_str(text).map_err(|e| invalid(describe_serde_error(&e)))?;
        if let Some(fields) = value.as_object() {
            check_field_types(fields).map_err(invalid)?;
        }
        serde_json::from_value(value).map_err(|e| invalid(describe_serde_error(&e)))
    }

    /// Runs the operation, and says whether it started, ended or replaced the session: the
    /// binding then lets the session-change callback run before the call returns, so callers
    /// see a consistent order (`connect()` returns after "connected" was reported).
    pub async fn run_and_settle(
        self,
        client: Client,
        on_progress: Option<ProgressHandler>,
    ) -> (Result<Value, Error>, bool) {
        let before = client.session();
        let outcome = self.run(client.clone(), on_progress).await;
        let after = client.session();
        let session_moved = match (&before, &after) {
            (Some(a), Some(b)) => !Arc::ptr_eq(a, b),
            (None, None) => false,
            _ => true,
        };
        (outcome, session_moved)
    }

    /// Runs the operation. The result is JSON: the server's result, the close outcome as a
    /// string for `close`, `null` for operations without a result. `on_progress` applies to
    /// `request` and `call_tool`.
    pub async fn run(
        self,
        client: Client,
        on_progress: Option<ProgressHandler>,
    ) -> Result<Value, Error> {
        let opts = |timeout: Option<f64>| -> Result<RequestOptions, Error> {
            Ok(RequestOptions {
                timeout: seconds("timeout", timeout)?,
                on_progress: on_progress.clone(),
                ..RequestOptions::default()
            })
        };
        Ok(match self {
            Self::Connect {} => client.connect().await?,
            Self::Request {
                method,
                params,
                timeout,
            } => {
                let opts = opts(timeout)?;
                client
                    .request_with(&method, params.map(Value::Object), opts)
                    .await?
            }
            Self::Notify { method, params } => {
                client.notify(&method, params.map(Value::Object)).await?;
                Value::Null
            }
            Self::Ping {} => {
                client.ping().await?;
                Value::Null
            }
            Self::ListTools {} => client.list_tools().await?,
            Self::CallTool {
                name,
                arguments,
                timeout,
            } => {
                let opts = opts(timeout)?;
                client
                    .call_tool_with(&name, arguments.map(Value::Object), opts)
                    .await?
            }
            Self::ListResources {} => client.list_resources().await?,
            Self::ReadResource { uri } => client.read_resource(&uri).await?,
            Self::ListPrompts {} => client.list_prompts().await?,
            Self::GetPrompt { name, arguments } => {
                client
                    .get_prompt(&name, arguments.map(Value::Object))
                    .await?
            }
            Self::SetLoggingLevel { level } => {
                client.set_logging_level(&level).await?;
                Value::Null
            }
            Self::Close {} => Value::from(client.close().await.as_str()),
            Self::Resume {
                session_id,
                protocol_version,
            } => {
                client.resume(&session_id, &protocol_version)?;
                Value::Null
            }
        })
    }
}

/// What each field of any operation must hold. serde reads tagged enums through a buffer and
/// then cannot say which field had the wrong type, so the types are checked here first.
const FIELD_KINDS: &[(&str, Kind)] = &[
    ("op", Kind::Text),
    ("method", Kind::Text),
    ("name", Kind::Text),
    ("uri", Kind::Text),
    ("session_id", Kind::Text),
    ("protocol_version", Kind::Text),
    ("level", Kind::Text),
    ("params", Kind::Mapping),
    ("arguments", Kind::Mapping),
    ("timeout", Kind::Number),
];

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Mapping,
    Number,
}

fn check_field_types(fields: &Map<String, Value>) -> Result<(), String> {
    let op = fields
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or("operation");
    for (name, kind) in FIELD_KINDS {
        let Some(value) = fields.get(*name).filter(|v| !v.is_null()) else {
            continue;
        };
        let (fits, wanted) = match kind {
            Kind::Text => (value.is_string(), "a string"),
            Kind::Mapping => (value.is_object(), "a mapping (dict / Hash)"),
            Kind::Number => (value.is_number(), "a number of seconds"),
        };
        if !fits {
            return Err(format!(
                "{op}: {name} must be {wanted}, not {}",
                kind_of(value)
            ));
        }
    }
    Ok(())
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "None / nil",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list / Array",
        Value::Object(_) => "a mapping",
    }
}

/// serde's own words, without the position in a JSON text the caller never wrote.
pub(crate) fn describe_serde_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.split(" at line ").next().unwrap_or(&text).to_owned()
}

/// Seconds from the caller as a duration; negative, NaN or infinite values are refused.
pub fn seconds(name: &str, secs: Option<f64>) -> Result<Option<Duration>, Error> {
    secs.map(|s| {
        Duration::try_from_secs_f64(s).map_err(|_| Error::InvalidArgument {
            message: format!("{name} must be a non-negative number of seconds, not {s}"),
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        match Operation::from_json(text) {
            Err(Error::InvalidArgument { message }) => message,
            other => panic!("{text} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn operations_are_read_by_name() {
        match Operation::from_json(
            r#"{"op": "call_tool", "name": "echo", "arguments": {"a": 1}, "timeout": 2.5}"#,
        ) {
            Ok(Operation::CallTool {
                name,
                arguments,
                timeout,
            }) => {
                assert_eq!(name, "echo");
                assert_eq!(arguments.unwrap()["a"], 1);
                assert_eq!(timeout, Some(2.5));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Operation::from_json(
                r#"{"op": "resume", "session_id": "a", "protocol_version": "2025-06-18"}"#
            ),
            Ok(Operation::Resume { .. })
        ));
        assert!(matches!(
            Operation::from_json(r#"{"op": "ping"}"#),
            Ok(Operation::Ping {})
        ));
        assert!(matches!(
            Operation::from_json(r#"{"op": "call_tool", "name": "x", "arguments": null}"#),
            Ok(Operation::CallTool {
                arguments: None,
                ..
            })
        ));
    }

    #[test]
    fn mistakes_are_named() {
        assert!(refused(r#"{"op": "call_tool"}"#).contains("name"));
        assert!(refused(r#"{"op": "explode"}"#).contains("explode"));
        assert!(refused(r#"{"op": "ping", "extra": 1}"#).contains("extra"));
        assert_eq!(
            refused(r#"{"op": "call_tool", "name": "x", "arguments": "a string"}"#),
            "call_tool: arguments must be a mapping (dict / Hash), not a string"
        );
        assert_eq!(
            refused(r#"{"op": "read_resource", "uri": 3}"#),
            "read_resource: uri must be a string, not a number"
        );
        assert!(
            refused(r#"{"op": "request", "method": "m", "timeout": "soon"}"#).contains("timeout")
        );
        assert!(refused(r#"{"name": "x"}"#).contains("op"));
        assert!(refused(r#"{"op": "resume", "session_id": "a"}"#).contains("protocol_version"));
        assert!(seconds("timeout", Some(-1.0)).is_err());
        assert!(seconds("timeout", Some(f64::NAN)).is_err());
    }
}
