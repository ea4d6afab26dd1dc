//! `mcpstream._native`: the Python face of the core. It translates arguments, results and
//! errors and bridges the runtime; the protocol logic stays in the core crate, and what the
//! Python and Ruby bindings share is in the binding kit.

mod auth;
mod bridge;
mod dispatcher;
mod errors;
mod gate;
mod hooks;
mod logging;
mod subscription;
mod values;
mod wait;

use dispatcher::Dispatcher;
use mcpstream::handlers::ProgressHandler;
use mcpstream_binding_kit::{
    verdict_json, BindingOptions, ListenFilter, Operation, SharedSubscription,
};
use pyo3::prelude::*;
use std::future::Future;
use std::sync::Arc;
use subscription::NativeSubscription;

#[pyclass(frozen, module = "mcpstream._native")]
struct NativeClient {
    inner: mcpstream::Client,
    /// Runs this client's Python callbacks, off the runtime's threads.
    callbacks: Dispatcher,
}

impl Drop for NativeClient {
    fn drop(&mut self) {
        self.callbacks.close();
    }
}

#[pymethods]
impl NativeClient {
    /// `options` is a JSON object of the client's settings by name; what it leaves out takes
    /// the core's default. Handlers are the adapters from `mcpstream._hooks`.
    #[new]
    // Each handler is its own keyword-only argument: named, not positional.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (url, options, *, on_sampling=None, on_elicitation=None, on_roots=None,
                        on_notification=None, on_session_change=None, on_authorize=None,
                        token_store=None))]
    fn new(
        py: Python<'_>,
        url: &str,
        options: &str,
        on_sampling: Option<Py<PyAny>>,
        on_elicitation: Option<Py<PyAny>>,
        on_roots: Option<Py<PyAny>>,
        on_notification: Option<Py<PyAny>>,
        on_session_change: Option<Py<PyAny>>,
        on_authorize: Option<Py<PyAny>>,
        token_store: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        logging::sync_level(py)?;
        let callbacks = Dispatcher::default();
        let handlers = hooks::Hooks {
            sampling: on_sampling,
            elicitation: on_elicitation,
            roots: on_roots,
            notification: on_notification,
            session_change: on_session_change,
        }
        .into_handlers(&callbacks);
        let build = || {
            let auth = auth::hooks(on_authorize, token_store);
            let opts = BindingOptions::from_json(options)?.client_options(handlers, auth)?;
            mcpstream::Client::with_options(url, opts)
        };
        build()
            .map(|inner| Self { inner, callbacks })
            .map_err(|e| errors::to_py(py, e))
    }

    #[getter]
    fn url(&self) -> &str {
        self.inner.url()
    }

    #[getter]
    fn session_id(&self) -> Option<String> {
        self.inner.session_id()
    }

    #[getter]
    fn protocol_version(&self) -> Option<String> {
        self.inner.protocol_version()
    }

    /// The current session's `serverInfo` as JSON text, if connected.
    #[getter]
    fn server_info(&self) -> Option<String> {
        self.inner.server_info().map(|v| v.to_string())
    }

    /// The current session's server `capabilities` as JSON text, if connected.
    #[getter]
    fn server_capabilities(&self) -> Option<String> {
        self.inner.server_capabilities().map(|v| v.to_string())
    }

    /// `"legacy"` or `"modern"`, the era `connect()` settled on; `None` when not connected.
    #[getter]
    fn era(&self) -> Option<&'static str> {
        self.inner.era().map(mcpstream::Era::as_str)
    }

    /// What `connect()` learnt about the server's era, as JSON text in the shape the `prior`
    /// option takes back.
    #[getter]
    fn verdict(&self) -> Option<String> {
        self.inner.verdict().map(|v| verdict_json(&v).to_string())
    }

    #[getter]
    fn instructions(&self) -> Option<String> {
        self.inner.instructions()
    }

    /// The server's description in the shape of a `DiscoverResult` (in either era), as JSON text.
    #[getter]
    fn discover_result(&self) -> Option<String> {
        self.inner.discover_result().map(|v| v.to_string())
    }

    /// Runs an operation (a dict naming it, see the binding kit) and returns its result as
    /// the object `json.loads` would make of it, blocking this thread (not the GIL) until it
    /// finishes. Progress callbacks run on this thread while it waits.
    #[pyo3(signature = (op, on_progress=None))]
    fn call(
        &self,
        py: Python<'_>,
        op: &Bound<'_, PyAny>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let inbox = wait::Inbox::new();
        let progress = on_progress.is_some().then(|| inbox.progress_handler());
        let work = self.work(py, op, progress)?;
        let value = wait::block_on(py, work, inbox, on_progress)?;
        values::to_python(py, &value)
    }

    /// Starts an operation and returns an asyncio awaitable for its result.
    /// Progress callbacks run on the event loop, before the awaitable completes. Cancelling
    /// the awaitable drops the request.
    #[pyo3(signature = (op, on_progress=None))]
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        op: &Bound<'py, PyAny>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let progress = on_progress
            .map(|callback| bridge::progress_on_loop(py, callback))
            .transpose()?;
        let work = self.work(py, op, progress)?;
        bridge::to_asyncio(py, work)
    }

    /// Opens `subscriptions/listen` with `listen_filter` (a JSON object of `listen`'s keyword
    /// arguments) and returns once the server acknowledged it, blocking like `call`.
    fn listen(&self, py: Python<'_>, listen_filter: &str) -> PyResult<NativeSubscription> {
        let work = self.listening(py, listen_filter)?;
        wait::block_on(py, work, wait::Inbox::new(), None).map(NativeSubscription::new)
    }

    /// `listen` as an asyncio awaitable; cancelling it drops the listen request.
    fn listen_async<'py>(
        &self,
        py: Python<'py>,
        listen_filter: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let work = self.listening(py, listen_filter)?;
        bridge::to_asyncio_with(py, work, |py, shared| {
            Ok(Py::new(py, NativeSubscription::new(shared))?.into_any())
        })
    }
}

impl NativeClient {
    /// The operation as a future, which ends only after the session-change callbacks it
    /// caused have run.
    fn work(
        &self,
        py: Python<'_>,
        op: &Bound<'_, PyAny>,
        progress: Option<ProgressHandler>,
    ) -> PyResult<impl Future<Output = mcpstream::Result<serde_json::Value>> + Send + 'static> {
        let op = values::operation(op)?.map_err(|e| errors::to_py(py, e))?;
        if matches!(op, Operation::Connect {}) {
            logging::sync_level(py)?;
        }
        let (client, callbacks) = (self.inner.clone(), self.callbacks.clone());
        let settle = op.settle(&client);
        Ok(async move {
            let (outcome, session_moved) = op.run_and_settle(client, progress).await;
            if session_moved {
                let _ = tokio::time::timeout(settle.limit(), callbacks.fence()).await;
            }
            outcome
        })
    }

    /// The listen request as a future, its filter checked first.
    fn listening(
        &self,
        py: Python<'_>,
        filter: &str,
    ) -> PyResult<impl Future<Output = mcpstream::Result<Arc<SharedSubscription>>> + Send + 'static>
    {
        let filter = ListenFilter::from_json(filter).map_err(|e| errors::to_py(py, e))?;
        let client = self.inner.clone();
        Ok(async move { client.listen(filter).await.map(SharedSubscription::new) })
    }
}

/// Forgets the era this process remembered for the server at `url`: its next client probes.
#[pyfunction]
fn forget_verdict(py: Python<'_>, url: &str) -> PyResult<()> {
    mcpstream::era::forget_verdict(url).map_err(|e| errors::to_py(py, e))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClient>()?;
    m.add_class::<NativeSubscription>()?;
    m.add_function(wrap_pyfunction!(gate::shutdown, m)?)?;
    // The core sees every fork itself (pthread_atfork) and gives the child its own runtime;
    // this resets what the binding keeps about Python threads.
    let after_fork = wrap_pyfunction!(gate::after_fork_in_child, m)?;
    let kwargs = pyo3::types::PyDict::new(m.py());
    kwargs.set_item("after_in_child", &after_fork)?;
    m.py()
        .import("os")?
        .call_method("register_at_fork", (), Some(&kwargs))?;
    m.add_function(wrap_pyfunction!(forget_verdict, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "DEFAULT_MAX_RESPONSE_BYTES",
        mcpstream::DEFAULT_MAX_RESPONSE_BYTES,
    )?;
    Ok(())
}
