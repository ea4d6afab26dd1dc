//! `mcpstream_native`: the Ruby face of the core. It translates arguments, results and errors
//! and releases the GVL while waiting; the protocol logic stays in the core crate.

mod errors;
mod jobs;
mod wait;

use magnus::{function, method, prelude::*, Error, RModule, Ruby};
use mcpstream::ops::{parse_json, positive_seconds, Op};
use mcpstream::ClientOptions;
use std::sync::Arc;

#[magnus::wrap(class = "MCPStream::NativeClient", free_immediately, size)]
struct NativeClient {
    inner: mcpstream::Client,
    jobs: Arc<jobs::Jobs>,
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
            let mut opts = ClientOptions::default()
                .timeout(positive_seconds("timeout", timeout)?)
                .close_timeout(positive_seconds("close_timeout", close_timeout)?)
                .max_response_bytes(max_response_bytes)
                .standalone_stream(standalone)
                .on_session_expired(policy.parse()?)
                .handlers(jobs.handlers(&kinds));
            opts.headers = headers;
            if let Some(info) = parse_json("client_info", client_info)? {
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
        let on_progress = progress_block.map(|id| rb_self.jobs.progress(id));
        let outcome = match Op::parse(&op, text, params, timeout, on_progress) {
            Ok(op) => wait::block_on(ruby, op.run(rb_self.inner.clone())),
            Err(e) => Err(errors::to_ruby(ruby, e)),
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
