//! `mcpstream_native`: the Ruby face of the core. It translates arguments, results and errors
//! and releases the GVL while waiting; the protocol logic stays in the core crate.

mod errors;
mod jobs;
mod wait;

use magnus::{function, method, prelude::*, Error, RModule, Ruby};
use mcpstream::{ClientOptions, RequestOptions, SessionExpiryPolicy};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

#[magnus::wrap(class = "MCPStream::NativeClient", free_immediately, size)]
struct NativeClient {
    inner: mcpstream::Client,
    jobs: Arc<jobs::Jobs>,
}

fn invalid(message: impl Into<String>) -> mcpstream::Error {
    mcpstream::Error::InvalidArgument {
        message: message.into(),
    }
}

fn seconds(name: &str, secs: Option<f64>) -> Result<Option<Duration>, mcpstream::Error> {
    secs.map(|s| {
        Duration::try_from_secs_f64(s)
            .map_err(|_| invalid(format!("{name} must be a non-negative number of seconds")))
    })
    .transpose()
}

fn json(what: &str, text: Option<String>) -> Result<Option<Value>, mcpstream::Error> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| invalid(format!("{what} is not valid JSON: {e}")))
    })
    .transpose()
}

/// `(headers, timeout, close_timeout, max_response_bytes, client_info_json,
/// standalone_stream, on_session_expired, handler kinds)`.
type Config = (
    Vec<(String, String)>,
    f64,
    f64,
    usize,
    Option<String>,
    bool,
    String,
    Vec<String>,
);

impl NativeClient {
    fn new(ruby: &Ruby, url: String, config: Config) -> Result<Self, Error> {
        let (
            headers,
            timeout,
            close_timeout,
            max_response_bytes,
            client_info,
            standalone,
            policy,
            kinds,
        ) = config;
        let jobs = jobs::Jobs::new();
        let build = || -> mcpstream::Result<Self> {
            let positive = |name: &str, s: f64| {
                seconds(name, Some(s))?
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| invalid(format!("{name} must be positive")))
            };
            let policy = match policy.as_str() {
                "raise" => SessionExpiryPolicy::Raise,
                "reinitialize" => SessionExpiryPolicy::Reinitialize,
                "retry" => SessionExpiryPolicy::ReinitializeAndRetry,
                other => {
                    return Err(invalid(format!(
                        "on_session_expired must be :raise, :reinitialize or :retry, not {other:?}"
                    )))
                }
            };
            let mut opts = ClientOptions::default()
                .timeout(positive("timeout", timeout)?)
                .close_timeout(positive("close_timeout", close_timeout)?)
                .max_response_bytes(max_response_bytes)
                .standalone_stream(standalone)
                .on_session_expired(policy)
                .handlers(jobs.handlers(&kinds));
            opts.headers = headers;
            if let Some(info) = json("client_info", client_info)? {
                opts.client_info = info;
            }
            Ok(Self {
                inner: mcpstream::Client::with_options(&url, opts)?,
                jobs: jobs.clone(),
            })
        };
        build().map_err(|e| errors::to_ruby(ruby, e))
    }

    fn session_id(&self) -> Option<String> {
        self.inner.session_id()
    }

    fn protocol_version(&self) -> Option<String> {
        self.inner.protocol_version()
    }

    fn initialize_result_json(&self) -> Option<String> {
        self.inner
            .session()
            .map(|s| s.initialize_result.to_string())
    }

    /// The next handler job for the client's Ruby dispatcher thread, or nil after a short wait.
    fn next_job(ruby: &Ruby, rb_self: &Self) -> Result<Option<jobs::Job>, Error> {
        let job = wait::without_gvl(|| rb_self.jobs.take(wait::SLICE * 4)).flatten();
        ruby.thread_check_ints()?;
        Ok(job)
    }

    fn answer(&self, id: u64, ok: bool, json: Option<String>, code: i64, message: String) {
        self.jobs.answer(id, (ok, json, code, message));
    }

    /// Runs one operation with the GVL released; returns JSON text (or the close outcome).
    /// `progress_block` names the Ruby block (kept by the dispatcher) that gets progress.
    fn call(
        ruby: &Ruby,
        rb_self: &Self,
        op: String,
        text: Option<String>,
        params: Option<String>,
        timeout: Option<f64>,
        progress_block: Option<u64>,
    ) -> Result<Option<String>, Error> {
        let client = rb_self.inner.clone();
        let prepared = (|| -> mcpstream::Result<_> {
            Ok((json("params", params)?, seconds("timeout", timeout)?))
        })();
        let (params, timeout) = prepared.map_err(|e| errors::to_ruby(ruby, e))?;
        let name = || {
            text.clone()
                .ok_or_else(|| invalid(format!("{op} needs a name")))
        };
        let on_progress = progress_block.map(|id| rb_self.jobs.progress(id));
        let opts = RequestOptions {
            timeout,
            on_progress,
            ..RequestOptions::default()
        };
        let to_text = |v: Value| Some(v.to_string());
        macro_rules! run {
            ($fut:expr) => {
                wait::block_on(ruby, $fut)
            };
        }
        let outcome = match op.as_str() {
            "connect" => run!(async move { client.connect().await.map(to_text) }),
            "request" => {
                let method = name().map_err(|e| errors::to_ruby(ruby, e))?;
                run!(async move {
                    client
                        .request_with(&method, params, opts)
                        .await
                        .map(to_text)
                })
            }
            "notify" => {
                let method = name().map_err(|e| errors::to_ruby(ruby, e))?;
                run!(async move { client.notify(&method, params).await.map(|_| None) })
            }
            "ping" => run!(async move { client.ping().await.map(|_| None) }),
            "list_tools" => run!(async move { client.list_tools().await.map(to_text) }),
            "call_tool" => {
                let tool = name().map_err(|e| errors::to_ruby(ruby, e))?;
                run!(async move {
                    client
                        .call_tool_with(&tool, params, opts)
                        .await
                        .map(to_text)
                })
            }
            "list_resources" => run!(async move { client.list_resources().await.map(to_text) }),
            "read_resource" => {
                let uri = name().map_err(|e| errors::to_ruby(ruby, e))?;
                run!(async move { client.read_resource(&uri).await.map(to_text) })
            }
            "list_prompts" => run!(async move { client.list_prompts().await.map(to_text) }),
            "get_prompt" => {
                let prompt = name().map_err(|e| errors::to_ruby(ruby, e))?;
                run!(async move { client.get_prompt(&prompt, params).await.map(to_text) })
            }
            "close" => run!(async move { Ok(Some(client.close().await.as_str().to_owned())) }),
            other => Err(errors::to_ruby(
                ruby,
                invalid(format!("unknown operation {other:?}")),
            )),
        };
        if let Some(id) = progress_block {
            rb_self.jobs.end_progress(id);
        }
        outcome
    }
}

#[magnus::init(name = "mcpstream_native")]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let module: RModule = ruby.define_module("MCPStream")?;
    let class = module.define_class("NativeClient", ruby.class_object())?;
    class.define_singleton_method("new", function!(NativeClient::new, 2))?;
    class.define_method("session_id", method!(NativeClient::session_id, 0))?;
    class.define_method(
        "protocol_version",
        method!(NativeClient::protocol_version, 0),
    )?;
    class.define_method(
        "initialize_result_json",
        method!(NativeClient::initialize_result_json, 0),
    )?;
    class.define_method("call", method!(NativeClient::call, 5))?;
    class.define_method("next_job", method!(NativeClient::next_job, 0))?;
    class.define_method("answer", method!(NativeClient::answer, 5))?;
    module.const_set("NATIVE_VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
