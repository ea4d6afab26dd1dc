//! One enum for every client operation, so the blocking and the asyncio entry points share a
//! single path into the core. Values cross the boundary as JSON text: serde_json on this side,
//! Python's C-accelerated `json` on the other.

use mcpstream::handlers::ProgressHandler;
use mcpstream::{Client, Error, RequestOptions};
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
}

fn parse_json(what: &str, text: Option<String>) -> Result<Option<Value>, Error> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| Error::InvalidArgument {
            message: format!("{what} is not valid JSON: {e}"),
        })
    })
    .transpose()
}

pub fn seconds(timeout: Option<f64>) -> Result<Option<Duration>, Error> {
    timeout
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| Error::InvalidArgument {
                message: format!("timeout must be a non-negative number of seconds, not {s}"),
            })
        })
        .transpose()
}

impl Op {
    pub fn parse(
        name: &str,
        text: Option<String>,
        json: Option<String>,
        timeout: Option<f64>,
        on_progress: Option<ProgressHandler>,
    ) -> Result<Self, Error> {
        let opts = |timeout: Option<f64>| -> Result<RequestOptions, Error> {
            Ok(RequestOptions {
                timeout: seconds(timeout)?,
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
            other => {
                return Err(Error::InvalidArgument {
                    message: format!("unknown operation {other:?}"),
                })
            }
        })
    }

    /// Runs the operation; the result is JSON text (the close outcome for `close`, `None` for
    /// calls without a result).
    pub async fn run(self, client: Client) -> mcpstream::Result<Option<String>> {
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
        };
        Ok(Some(value.to_string()))
    }
}
