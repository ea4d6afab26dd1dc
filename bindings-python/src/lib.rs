//! `mcpstream._native`: the Python face of the core. It translates arguments, results and
//! errors and bridges the runtime; the protocol logic stays in the core crate.

mod bridge;
mod errors;
mod gate;
mod hooks;
mod wait;

use mcpstream::ops::{parse_json, positive_seconds, Op};
use mcpstream::ClientOptions;
use pyo3::prelude::*;

#[pyclass(frozen, module = "mcpstream._native")]
struct NativeClient {
    inner: mcpstream::Client,
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (url, headers, timeout, close_timeout, max_response_bytes, client_info_json, standalone_stream, on_session_expired, hooks))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        url: &str,
        headers: Vec<(String, String)>,
        timeout: f64,
        close_timeout: f64,
        max_response_bytes: usize,
        client_info_json: Option<String>,
        standalone_stream: bool,
        on_session_expired: &str,
        hooks: hooks::Hooks,
    ) -> PyResult<Self> {
        let build = || {
            let mut opts = ClientOptions::default()
                .timeout(positive_seconds("timeout", timeout)?)
                .close_timeout(positive_seconds("close_timeout", close_timeout)?)
                .max_response_bytes(max_response_bytes)
                .standalone_stream(standalone_stream)
                .on_session_expired(on_session_expired.parse()?)
                .handlers(hooks::handlers(hooks));
            opts.headers = headers;
            if let Some(info) = parse_json("client_info", client_info_json)? {
                opts.client_info = info;
            }
            mcpstream::Client::with_options(url, opts)
        };
        build()
            .map(|inner| Self { inner })
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

    /// The InitializeResult of the current session as JSON text, if connected.
    #[getter]
    fn initialize_result_json(&self) -> Option<String> {
        self.inner
            .session()
            .map(|s| s.initialize_result.to_string())
    }

    /// Runs an operation, blocking this thread (not the GIL) until it finishes.
    #[pyo3(signature = (op, text=None, json=None, timeout=None, on_progress=None))]
    fn call(
        &self,
        py: Python<'_>,
        op: &str,
        text: Option<String>,
        json: Option<String>,
        timeout: Option<f64>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Option<String>> {
        let progress = on_progress.map(hooks::progress_handler);
        let op = Op::parse(op, text, json, timeout, progress).map_err(|e| errors::to_py(py, e))?;
        wait::block_on(py, op.run(self.inner.clone()))
    }

    /// Starts an operation and returns an asyncio awaitable for its result. Cancelling the
    /// awaitable drops the request.
    #[pyo3(signature = (op, text=None, json=None, timeout=None, on_progress=None))]
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        text: Option<String>,
        json: Option<String>,
        timeout: Option<f64>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let progress = on_progress.map(hooks::progress_handler);
        let op = Op::parse(op, text, json, timeout, progress).map_err(|e| errors::to_py(py, e))?;
        bridge::to_asyncio(py, op.run(self.inner.clone()))
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClient>()?;
    m.add_function(wrap_pyfunction!(gate::shutdown, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
