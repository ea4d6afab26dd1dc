//! `mcpstream_native`: the Ruby face of the core. It translates arguments, results and errors
//! and releases the GVL while waiting; the protocol logic stays in the core crate, and what the
//! Python and Ruby bindings share is in the binding kit.

mod auth;
mod errors;
mod jobs;
mod logging;
mod subscription;
mod values;
mod wait;

use magnus::block::Proc;
use magnus::{function, method, prelude::*, Error, RModule, Ruby};
use mcpstream_binding_kit::{verdict_json, BindingOptions, ListenFilter, SharedSubscription};
use std::sync::Arc;
use subscription::NativeSubscription;

#[magnus::wrap(class = "MCPStream::NativeClient", free_immediately, size)]
struct NativeClient {
    inner: mcpstream::Client,
    jobs: Arc<jobs::Jobs>,
}

impl NativeClient {
    /// `options` is a JSON object of the client's settings by name (what it leaves out takes
    /// the core's default); `handler_kinds` names the handlers the Ruby side has blocks for,
    /// and `authorize` and `token_store` when its `auth` has those objects.
    fn new(
        ruby: &Ruby,
        url: String,
        options: String,
        handler_kinds: Vec<String>,
    ) -> Result<Self, Error> {
        let jobs = jobs::Jobs::new();
        let build = || -> mcpstream::Result<Self> {
            let opts = BindingOptions::from_json(&options)?.client_options(
                jobs.handlers(&handler_kinds),
                auth::hooks(&jobs, &handler_kinds),
            )?;
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

    fn server_info(&self) -> Option<String> {
        self.inner.server_info().map(|v| v.to_string())
    }

    fn server_capabilities(&self) -> Option<String> {
        self.inner.server_capabilities().map(|v| v.to_string())
    }

    /// "legacy" or "modern"; the Ruby side makes it a Symbol.
    fn era(&self) -> Option<&'static str> {
        self.inner.era().map(mcpstream::Era::as_str)
    }

    /// JSON text in the shape the `prior` option takes back.
    fn verdict(&self) -> Option<String> {
        self.inner.verdict().map(|v| verdict_json(&v).to_string())
    }

    fn instructions(&self) -> Option<String> {
        self.inner.instructions()
    }

    fn discover_result(&self) -> Option<String> {
        self.inner.discover_result().map(|v| v.to_string())
    }

    /// Forgets the era this process remembered for the server at `url`.
    fn forget_verdict(ruby: &Ruby, url: String) -> Result<(), Error> {
        mcpstream::era::forget_verdict(&url).map_err(|e| errors::to_ruby(ruby, e))
    }

    /// The next handler job for the client's Ruby dispatcher thread, or nil after a short wait.
    fn next_job(ruby: &Ruby, rb_self: &Self) -> Result<Option<jobs::Job>, Error> {
        let job = wait::without_gvl(|| rb_self.jobs.take(wait::SLICE * 4)).flatten();
        ruby.thread_check_ints()?;
        Ok(job)
    }

    /// The binding kit's complaint about a handler's answer that is not a result (nil, a
    /// String, ...), for the Ruby side to warn with; nil for a usable answer.
    fn refused_result(kind: String, answer: String) -> Option<String> {
        mcpstream_binding_kit::refused_result(&kind, &answer)
    }

    /// A handler's answer to job `id`, as the binding kit's JSON answer.
    fn answer(&self, id: u64, answer: String) {
        self.jobs.answer(id, answer);
    }

    /// Runs one operation (a Hash naming it and its fields, or that Hash's JSON text) with the
    /// GVL released; returns its result as `JSON.parse` would read it. `on_progress`, if given,
    /// gets each progress notification's params as JSON text, on this thread. A call that moved
    /// the session returns after the session-change block has run.
    fn call(
        ruby: &Ruby,
        rb_self: &Self,
        op: magnus::Value,
        on_progress: Option<Proc>,
    ) -> Result<magnus::Value, Error> {
        let op = values::operation(ruby, op)?.map_err(|e| errors::to_ruby(ruby, e))?;
        let client = rb_self.inner.clone();
        let jobs = rb_self.jobs.clone();
        let with_progress = on_progress.is_some();
        let settle = op.settle(&client);
        let value = wait::block_on(
            ruby,
            move |progress| async move {
                let progress = with_progress.then_some(progress);
                let (outcome, session_moved) = op.run_and_settle(client, progress).await;
                if session_moved {
                    jobs.fence(settle.limit()).await;
                }
                outcome
            },
            on_progress,
        )?;
        values::to_ruby(ruby, &value)
    }

    /// Opens `subscriptions/listen` with `filter` (a JSON object of `listen`'s keyword
    /// arguments) with the GVL released; returns once the server acknowledged it.
    fn listen(ruby: &Ruby, rb_self: &Self, filter: String) -> Result<NativeSubscription, Error> {
        let filter = ListenFilter::from_json(&filter).map_err(|e| errors::to_ruby(ruby, e))?;
        let client = rb_self.inner.clone();
        wait::block_on(
            ruby,
            move |_| async move { client.listen(filter).await.map(SharedSubscription::new) },
            None,
        )
        .map(NativeSubscription::new)
    }
}

#[magnus::init(name = "mcpstream_native")]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let module: RModule = ruby.define_module("MCPStream")?;
    let class = module.define_class("NativeClient", ruby.class_object())?;
    class.define_singleton_method("new", function!(NativeClient::new, 3))?;
    class.define_method("session_id", method!(NativeClient::session_id, 0))?;
    class.define_method(
        "protocol_version",
        method!(NativeClient::protocol_version, 0),
    )?;
    class.define_method("server_info", method!(NativeClient::server_info, 0))?;
    class.define_method(
        "server_capabilities",
        method!(NativeClient::server_capabilities, 0),
    )?;
    class.define_method("era", method!(NativeClient::era, 0))?;
    class.define_method("verdict", method!(NativeClient::verdict, 0))?;
    class.define_method("instructions", method!(NativeClient::instructions, 0))?;
    class.define_method("discover_result", method!(NativeClient::discover_result, 0))?;
    class.define_singleton_method("forget_verdict", function!(NativeClient::forget_verdict, 1))?;
    class.define_singleton_method("log_level=", function!(logging::set_log_level, 1))?;
    class.define_singleton_method("next_log_record", function!(logging::next_log_record, 0))?;
    class.define_method("call", method!(NativeClient::call, 2))?;
    class.define_method("next_job", method!(NativeClient::next_job, 0))?;
    class.define_method("answer", method!(NativeClient::answer, 2))?;
    class.define_singleton_method("refused_result", function!(NativeClient::refused_result, 2))?;
    class.define_method("listen", method!(NativeClient::listen, 1))?;
    let subscription = module.define_class("NativeSubscription", ruby.class_object())?;
    subscription.define_method("acknowledged", method!(NativeSubscription::acknowledged, 0))?;
    subscription.define_method("next_event", method!(NativeSubscription::next_event, 1))?;
    subscription.define_method("close", method!(NativeSubscription::close, 0))?;
    module.const_set("NATIVE_VERSION", env!("CARGO_PKG_VERSION"))?;
    module.const_set(
        "DEFAULT_MAX_RESPONSE_BYTES",
        mcpstream::DEFAULT_MAX_RESPONSE_BYTES,
    )?;
    Ok(())
}
