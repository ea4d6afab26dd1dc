//! Python callables as core handlers. The Python layer passes adapters with fixed shapes
//! (JSON text in, JSON text answers out), so this side only moves values across and keeps
//! every call behind the interpreter gate. Nothing here runs Python on a runtime worker:
//! request handlers run on the blocking pool (each on its own thread, since Python code may
//! block), and notification and session-change callbacks go to the client's dispatcher
//! thread, in order. (Progress callbacks run on the thread or loop waiting for the call; see
//! `wait.rs` and `bridge.rs`.)

use crate::dispatcher::Dispatcher;
use crate::gate;
use mcpstream::handlers::{Handlers, NotificationHandler, RequestHandler, SessionChangeHandler};
use mcpstream_binding_kit::answer::internal_error;
use mcpstream_binding_kit::{handler_result, refused_result};
use pyo3::exceptions::PyRuntimeWarning;
use pyo3::prelude::*;
use serde_json::Value;
use std::sync::Arc;

/// The adapter returns the answer as JSON text (see `mcpstream_binding_kit::answer`).
fn request_handler(kind: &'static str, callable: Py<PyAny>) -> RequestHandler {
    let callable = Arc::new(callable);
    Arc::new(move |params: Option<Value>| {
        let callable = callable.clone();
        Box::pin(async move {
            let text = params.map(|p| p.to_string());
            let called = tokio::task::spawn_blocking(move || {
                gate::with_python(|py| -> PyResult<String> {
                    let answer: String = callable.bind(py).call1((text,))?.extract()?;
                    if let Some(complaint) = refused_result(kind, &answer) {
                        warn(py, &complaint);
                    }
                    Ok(answer)
                })
            })
            .await;
            match called {
                Ok(Some(Ok(answer))) => handler_result(kind, &answer),
                Ok(Some(Err(e))) => Err(internal_error(format!("the {kind} handler failed: {e}"))),
                Ok(None) => Err(internal_error("the Python interpreter is shutting down")),
                Err(_) => Err(internal_error(format!(
                    "the {kind} handler's thread failed"
                ))),
            }
        })
    })
}

/// A `RuntimeWarning` for the developer: a handler's answer the server was refused, which
/// the call in progress may never mention.
fn warn(py: Python<'_>, message: &str) {
    let warned = py.import("warnings").and_then(|warnings| {
        let category = py.get_type::<PyRuntimeWarning>();
        warnings.call_method1("warn", (format!("mcpstream: {message}"), category))
    });
    report(py, warned);
}

fn report(py: Python<'_>, outcome: PyResult<Bound<'_, PyAny>>) {
    if let Err(e) = outcome {
        e.write_unraisable(py, None);
    }
}

/// Posts `call` (with the GIL, behind the gate) to the dispatcher thread.
fn deferred(
    callbacks: &Dispatcher,
    call: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyAny>> + Send + 'static,
) {
    callbacks.post(move || {
        gate::with_python(|py| report(py, call(py)));
    });
}

fn notification_handler(callable: Py<PyAny>, callbacks: &Dispatcher) -> NotificationHandler {
    let callable = Arc::new(callable);
    let callbacks = callbacks.clone();
    Arc::new(move |method: &str, params: Option<&Value>| {
        let (callable, method) = (callable.clone(), method.to_owned());
        let text = params.map(Value::to_string);
        deferred(&callbacks, move |py| {
            callable.bind(py).call1((method, text))
        });
    })
}

fn session_change_handler(callable: Py<PyAny>, callbacks: &Dispatcher) -> SessionChangeHandler {
    let callable = Arc::new(callable);
    let callbacks = callbacks.clone();
    Arc::new(move |change: &mcpstream::SessionChange| {
        let callable = callable.clone();
        let args = (
            change.old_session_id.clone(),
            change.new_session_id.clone(),
            change.reason.as_str(),
        );
        deferred(&callbacks, move |py| callable.bind(py).call1(args));
    })
}

/// The adapters a client was built with, by name.
pub struct Hooks {
    pub sampling: Option<Py<PyAny>>,
    pub elicitation: Option<Py<PyAny>>,
    pub roots: Option<Py<PyAny>>,
    pub notification: Option<Py<PyAny>>,
    pub session_change: Option<Py<PyAny>>,
}

impl Hooks {
    pub fn into_handlers(self, callbacks: &Dispatcher) -> Handlers {
        Handlers {
            sampling: self.sampling.map(|f| request_handler("sampling", f)),
            elicitation: self.elicitation.map(|f| request_handler("elicitation", f)),
            roots: self.roots.map(|f| request_handler("roots", f)),
            notification: self
                .notification
                .map(|f| notification_handler(f, callbacks)),
            session_change: self
                .session_change
                .map(|f| session_change_handler(f, callbacks)),
        }
    }
}
