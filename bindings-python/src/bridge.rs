//! Core futures as asyncio futures: the work runs on the shared runtime, the result is handed
//! to the event loop with `call_soon_threadsafe`, and cancelling the asyncio future aborts the
//! work (which, for a request, sends `notifications/cancelled`).

use crate::{errors, gate, values};
use mcpstream::handlers::ProgressHandler;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde_json::Value;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::task::AbortHandle;

static RESOLVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Called as the asyncio future's done-callback: a cancelled future stops its work.
#[pyclass(frozen)]
struct Canceller {
    task: Mutex<Option<AbortHandle>>,
}

#[pymethods]
impl Canceller {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future.call_method0("cancelled")?.is_truthy()? {
            if let Some(task) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
                task.abort();
            }
        }
        Ok(())
    }
}

/// A core progress handler that runs `callback` (the `_hooks.progress` adapter) on the running
/// event loop. The loop runs it before it resolves the call's future, which comes later.
pub fn progress_on_loop(py: Python<'_>, callback: Py<PyAny>) -> PyResult<ProgressHandler> {
    let event_loop = py
        .import("asyncio")?
        .call_method0("get_running_loop")?
        .unbind();
    Ok(Arc::new(move |params: &Value| {
        let text = params.to_string();
        gate::with_python(|py| {
            // A closed loop (the program moved on) has no one left to tell.
            let _ = event_loop.call_method1(py, "call_soon_threadsafe", (&callback, text));
        });
    }))
}

/// Operations yield JSON values, which become Python objects as `json.loads` would make them.
pub fn to_asyncio<'py, F>(py: Python<'py>, work: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = mcpstream::Result<Value>> + Send + 'static,
{
    to_asyncio_with(py, work, |py, value| values::to_python(py, &value))
}

/// As [`to_asyncio`], for work whose result `convert` makes a Python value of (with the GIL,
/// on the runtime thread that finished the work).
pub fn to_asyncio_with<'py, T, F>(
    py: Python<'py>,
    work: F,
    convert: impl FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = mcpstream::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let future = event_loop.call_method0("create_future")?;
    let resolve = RESOLVE.get_or_try_init(py, || {
        py.import("mcpstream._bridge")?
            .getattr("resolve")
            .map(Bound::unbind)
    })?;
    let (loop_ref, future_ref, resolve) = (
        event_loop.unbind(),
        future.clone().unbind(),
        resolve.clone_ref(py),
    );
    let task = mcpstream::runtime::shared().spawn(async move {
        let outcome = work.await;
        gate::with_python(|py| {
            let converted = outcome
                .map_err(|e| errors::to_py(py, e))
                .and_then(|value| convert(py, value));
            let (ok, value) = match converted {
                Ok(value) => (true, value),
                Err(e) => (false, e.into_value(py).into_any()),
            };
            // A closed loop (the program moved on) has no one left to tell.
            let _ =
                loop_ref.call_method1(py, "call_soon_threadsafe", (resolve, future_ref, ok, value));
        });
    });
    let canceller = Canceller {
        task: Mutex::new(Some(task.abort_handle())),
    };
    future.call_method1("add_done_callback", (canceller,))?;
    Ok(future)
}
