//! Client operations by name, with JSON-text arguments and results: the one path every
//! language binding (blocking or async) takes into the client, so that the bindings only
//! translate values and never decide what an operation does.

use crate::handlers::ProgressHandler;
use crate::{Client, Error, RequestOptions};
use serde_json::Value;
use std::time::Duration;

pub enum Op {
    Connect,
    Request {
        method: String,
        params: Option<Value>,
        opts: RequestOptions,
    },
    Notify {
        method: String,
        params: Option<Value>,
    },
    Ping,
    ListTools,
    CallTool {
        name: String,
        arguments: Option<Value>,
        opts: RequestOptions,
    },
    ListResources,
    ReadResource {
        uri: String,
    },
    ListPrompts,
    GetPrompt {
        name: String,
        arguments: Option<Value>,
    },
    Close,
    /// Adopts an existing session without `initialize`; see [`Client::resume`].
    Resume {
        session_id: String,
        protocol_version: String,
    },
}

/// A handler's answer as a binding returns it: `(ok, json, code, message)`, the result as JSON
/// text when `ok`, else a JSON-RPC error with `json` (if any) as its data.
pub type HandlerAnswer = (bool, Option<String>, i64, String);

/// A JSON-RPC internal error (-32603) to send the server when a handler fails.
pub fn internal_error(message: impl Into<String>) -> Error {
    Error::Rpc {
        code: crate::jsonrpc::INTERNAL_ERROR,
        message: message.into(),
        data: None,
    }
}

/// Turns a binding's handler answer into what the core sends back to the server.
pub fn handler_result(answer: HandlerAnswer) -> Result<Value, Error> {
    let parse = |json: &str| serde_json::from_str::<Value>(json);
    match answer {
        (true, Some(json), _, _) => {
            parse(&json).map_err(|e| internal_error(format!("handler result is not JSON: {e}")))
        }
        (true, None, _, _) => Err(internal_error("handler returned no result")),
        (false, data, code, message) => Err(Error::Rpc {
            code,
            message,
            data: data.and_then(|d| parse(&d).ok()),
        }),
    }
}

/// Parses optional JSON text from the caller; bad JSON is the caller's mistake.
pub fn parse_json(what: &str, text: Option<String>) -> Result<Option<Value>, Error> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| Error::InvalidArgument {
            message: format!("{what} is not valid JSON: {e}"),
        })
    })
    .transpose()
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

/// Like [`seconds`], for settings that must be greater than zero.
pub fn positive_seconds(name: &str, secs: f64) -> Result<Duration, Error> {
    seconds(name, Some(secs))?
        .filter(|d| !d.is_zero())
        .ok_or_else(|| Error::InvalidArgument {
            message: format!("{name} must be a positive number of seconds"),
        })
}

impl Op {
    /// `text` is the operation's name-like argument (method, tool, uri or prompt), `json` its
    /// params or arguments as JSON text.
    pub fn parse(
        name: &str,
        text: Option<String>,
        json: Option<String>,
        timeout: Option<f64>,
        on_progress: Option<ProgressHandler>,
    ) -> Result<Self, Error> {
        let opts = |timeout: Option<f64>| -> Result<RequestOptions, Error> {
            Ok(RequestOptions {
                timeout: seconds("timeout", timeout)?,
                on_progress: on_progress.clone(),
                ..RequestOptions::default()
            })
        };
        let required = |text: Option<String>| {
            text.ok_or_else(|| Error::InvalidArgument {
                message: format!("{name} needs a name"),
            })
        };
        Ok(match name {
            "connect" => Self::Connect,
            "request" => Self::Request {
                method: required(text)?,
                params: parse_json("params", json)?,
                opts: opts(timeout)?,
            },
            "notify" => Self::Notify {
                method: required(text)?,
                params: parse_json("params", json)?,
            },
            "ping" => Self::Ping,
            "list_tools" => Self::ListTools,
            "call_tool" => Self::CallTool {
                name: required(text)?,
                arguments: parse_json("arguments", json)?,
                opts: opts(timeout)?,
            },
            "list_resources" => Self::ListResources,
            "read_resource" => Self::ReadResource {
                uri: required(text)?,
            },
            "list_prompts" => Self::ListPrompts,
            "get_prompt" => Self::GetPrompt {
                name: required(text)?,
                arguments: parse_json("arguments", json)?,
            },
            "close" => Self::Close,
            "resume" => {
                let field = |params: &Value, key: &str| {
                    params
                        .get(key)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| Error::InvalidArgument {
                            message: format!("resume needs {key} as a string"),
                        })
                };
                let params = parse_json("resume arguments", json)?.unwrap_or_default();
                Self::Resume {
                    session_id: field(&params, "session_id")?,
                    protocol_version: field(&params, "protocol_version")?,
                }
            }
            other => {
                return Err(Error::InvalidArgument {
                    message: format!("unknown operation {other:?}"),
                })
            }
        })
    }

    /// Runs the operation; the result is JSON text (the close outcome for `close`, `None` for
    /// calls without a result).
    pub async fn run(self, client: Client) -> crate::Result<Option<String>> {
        let value = match self {
            Self::Connect => client.connect().await?,
            Self::Request {
                method,
                params,
                opts,
            } => client.request_with(&method, params, opts).await?,
            Self::Notify { method, params } => {
                client.notify(&method, params).await?;
                return Ok(None);
            }
            Self::Ping => {
                client.ping().await?;
                return Ok(None);
            }
            Self::ListTools => client.list_tools().await?,
            Self::CallTool {
                name,
                arguments,
                opts,
            } => client.call_tool_with(&name, arguments, opts).await?,
            Self::ListResources => client.list_resources().await?,
            Self::ReadResource { uri } => client.read_resource(&uri).await?,
            Self::ListPrompts => client.list_prompts().await?,
            Self::GetPrompt { name, arguments } => client.get_prompt(&name, arguments).await?,
            Self::Close => return Ok(Some(client.close().await.as_str().to_owned())),
            Self::Resume {
                session_id,
                protocol_version,
            } => {
                client.resume(&session_id, &protocol_version)?;
                return Ok(None);
            }
        };
        Ok(Some(value.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn handler_answers_become_results_or_rpc_errors() {
        assert_eq!(
            handler_result((true, Some("{\"a\":1}".into()), 0, String::new())).unwrap(),
            json!({"a": 1})
        );
        match handler_result((false, Some("[1]".into()), -1, "no".into())) {
            Err(Error::Rpc {
                code: -1,
                message,
                data,
            }) => {
                assert_eq!((message.as_str(), data), ("no", Some(json!([1]))))
            }
            other => panic!("{other:?}"),
        }
        for bad in [
            (true, None, 0, String::new()),
            (true, Some("{".into()), 0, String::new()),
        ] {
            assert!(matches!(
                handler_result(bad),
                Err(Error::Rpc { code: -32603, .. })
            ));
        }
    }

    #[test]
    fn resume_takes_a_session_id_and_a_version() {
        let args = r#"{"session_id": "abc", "protocol_version": "2025-06-18"}"#;
        match Op::parse("resume", None, Some(args.into()), None, None) {
            Ok(Op::Resume {
                session_id,
                protocol_version,
            }) => assert_eq!(
                (session_id.as_str(), protocol_version.as_str()),
                ("abc", "2025-06-18")
            ),
            _ => panic!("resume should parse"),
        }
        for bad in [
            None,
            Some("{}".to_owned()),
            Some(r#"{"session_id": 1}"#.to_owned()),
        ] {
            assert!(matches!(
                Op::parse("resume", None, bad, None, None),
                Err(Error::InvalidArgument { .. })
            ));
        }
    }

    #[test]
    fn arguments_are_checked() {
        assert!(matches!(
            parse_json("params", Some("{".into())),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(seconds("timeout", Some(-1.0)).is_err());
        assert!(positive_seconds("timeout", 0.0).is_err());
        assert!(
            Op::parse("call_tool", None, None, None, None).is_err(),
            "a tool needs a name"
        );
        assert!(Op::parse("explode", None, None, None, None).is_err());
        assert!("sometimes".parse::<crate::SessionExpiryPolicy>().is_err());
        assert_eq!(
            "retry".parse::<crate::SessionExpiryPolicy>().unwrap(),
            crate::SessionExpiryPolicy::ReinitializeAndRetry
        );
    }
}
