//! A blocking facade over the async client, for threads that are not async (and for the
//! Python and Ruby bindings). All blocking clients share one lazily started multi-threaded
//! runtime: there is never a runtime per call or per client.

use crate::client::{self, CloseOutcome};
use crate::era::{Era, Verdict};
use crate::error::Result;
use crate::options::{ClientOptions, RequestOptions};
use crate::runtime;
use crate::session::Session;
use crate::subscription::SubscriptionEvent;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

/// Runs `fut` on the shared runtime and blocks this thread until it finishes. Unlike
/// `Runtime::block_on` this is safe to call from inside another runtime's task (it blocks
/// that thread, as any blocking call would, but does not panic).
pub fn run<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    runtime::start_call(fut)
        .wait()
        .expect("the runtime dropped a running task")
}

/// The blocking twin of [`client::Client`]: same methods, same semantics, no `.await`.
#[derive(Clone, Debug)]
pub struct Client {
    inner: client::Client,
}

macro_rules! blocking {
    ($self:ident, |$c:ident| $body:expr) => {{
        let $c = $self.inner.clone();
        run(async move { $body.await })
    }};
}

impl Client {
    pub fn new(url: &str) -> Result<Self> {
        Self::with_options(url, ClientOptions::default())
    }

    pub fn with_options(url: &str, options: ClientOptions) -> Result<Self> {
        Ok(Self {
            inner: client::Client::with_options(url, options)?,
        })
    }

    /// The async client behind this one (they share the session and connections).
    pub fn as_async(&self) -> &client::Client {
        &self.inner
    }

    pub fn session(&self) -> Option<Arc<Session>> {
        self.inner.session()
    }

    pub fn session_id(&self) -> Option<String> {
        self.inner.session_id()
    }

    pub fn protocol_version(&self) -> Option<String> {
        self.inner.protocol_version()
    }

    pub fn connect(&self) -> Result<Value> {
        blocking!(self, |c| c.connect())
    }

    pub fn url(&self) -> &str {
        self.inner.url()
    }

    pub fn options(&self) -> &ClientOptions {
        self.inner.options()
    }

    pub fn server_info(&self) -> Option<Value> {
        self.inner.server_info()
    }

    pub fn server_capabilities(&self) -> Option<Value> {
        self.inner.server_capabilities()
    }

    pub fn era(&self) -> Option<Era> {
        self.inner.era()
    }

    pub fn verdict(&self) -> Option<Verdict> {
        self.inner.verdict()
    }

    pub fn instructions(&self) -> Option<String> {
        self.inner.instructions()
    }

    pub fn discover_result(&self) -> Option<Value> {
        self.inner.discover_result()
    }

    pub fn request(&self, method: &str, params: Option<Value>) -> Result<Value> {
        let method = method.to_owned();
        blocking!(self, |c| c.request(&method, params))
    }

    pub fn request_with(
        &self,
        method: &str,
        params: Option<Value>,
        opts: RequestOptions,
    ) -> Result<Value> {
        let method = method.to_owned();
        blocking!(self, |c| c.request_with(&method, params, opts))
    }

    pub fn call_tool_with(
        &self,
        name: &str,
        arguments: Option<Value>,
        opts: RequestOptions,
    ) -> Result<Value> {
        let name = name.to_owned();
        blocking!(self, |c| c.call_tool_with(&name, arguments, opts))
    }

    /// Adopts a known session without `initialize`; see [`client::Client::resume`].
    pub fn resume(&self, session_id: &str, protocol_version: &str) -> Result<()> {
        self.inner.resume(session_id, protocol_version)
    }

    pub fn notify(&self, method: &str, params: Option<Value>) -> Result<()> {
        let method = method.to_owned();
        blocking!(self, |c| c.notify(&method, params))
    }

    pub fn ping(&self) -> Result<()> {
        blocking!(self, |c| c.ping())
    }

    pub fn list_tools(&self) -> Result<Value> {
        blocking!(self, |c| c.list_tools())
    }

    pub fn call_tool(&self, name: &str, arguments: Option<Value>) -> Result<Value> {
        let name = name.to_owned();
        blocking!(self, |c| c.call_tool(&name, arguments))
    }

    pub fn list_resources(&self) -> Result<Value> {
        blocking!(self, |c| c.list_resources())
    }

    pub fn read_resource(&self, uri: &str) -> Result<Value> {
        let uri = uri.to_owned();
        blocking!(self, |c| c.read_resource(&uri))
    }

    pub fn list_prompts(&self) -> Result<Value> {
        blocking!(self, |c| c.list_prompts())
    }

    pub fn get_prompt(&self, name: &str, arguments: Option<Value>) -> Result<Value> {
        let name = name.to_owned();
        blocking!(self, |c| c.get_prompt(&name, arguments))
    }

    pub fn set_logging_level(&self, level: &str) -> Result<()> {
        let level = level.to_owned();
        blocking!(self, |c| c.set_logging_level(&level))
    }

    pub fn complete_authorization(&self, callback_url: &str) -> Result<()> {
        let callback_url = callback_url.to_owned();
        blocking!(self, |c| c.complete_authorization(&callback_url))
    }

    pub fn list_tools_with(&self, opts: RequestOptions) -> Result<Value> {
        blocking!(self, |c| c.list_tools_with(opts))
    }

    pub fn list_resources_with(&self, opts: RequestOptions) -> Result<Value> {
        blocking!(self, |c| c.list_resources_with(opts))
    }

    pub fn read_resource_with(&self, uri: &str, opts: RequestOptions) -> Result<Value> {
        let uri = uri.to_owned();
        blocking!(self, |c| c.read_resource_with(&uri, opts))
    }

    pub fn list_prompts_with(&self, opts: RequestOptions) -> Result<Value> {
        blocking!(self, |c| c.list_prompts_with(opts))
    }

    pub fn get_prompt_with(
        &self,
        name: &str,
        arguments: Option<Value>,
        opts: RequestOptions,
    ) -> Result<Value> {
        let name = name.to_owned();
        blocking!(self, |c| c.get_prompt_with(&name, arguments, opts))
    }

    pub fn clear_cache(&self) {
        self.inner.clear_cache()
    }

    pub fn listen(&self, filter: Value) -> Result<Subscription> {
        blocking!(self, |c| c.listen(filter)).map(|inner| Subscription { inner: Some(inner) })
    }

    pub fn close(&self) -> CloseOutcome {
        blocking!(self, |c| c.close())
    }
}

/// A subscription read from a thread that is not async.
#[derive(Debug)]
pub struct Subscription {
    /// Lent to the runtime while a thread waits for the next event.
    inner: Option<crate::subscription::Subscription>,
}

impl Subscription {
    pub fn acknowledged(&self) -> &Value {
        self.inner
            .as_ref()
            .expect("only absent while next_event runs")
            .acknowledged()
    }

    /// The next event, waiting at most `limit` (`None` waits as long as it takes). `None` when
    /// nothing came in time, or after the subscription ended.
    pub fn next_event(&mut self, limit: Option<std::time::Duration>) -> Option<SubscriptionEvent> {
        let mut inner = self.inner.take()?;
        let (event, inner) = run(async move {
            let event = match limit {
                Some(limit) => tokio::time::timeout(limit, inner.next_event())
                    .await
                    .ok()
                    .flatten(),
                None => inner.next_event().await,
            };
            (event, inner)
        });
        self.inner = Some(inner);
        event
    }

    pub fn close(self) {}
}
