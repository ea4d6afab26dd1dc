//! Python callables as core handlers. The Python layer passes adapters with fixed shapes
//! (JSON text in, tuples out), so this side only moves values across and keeps every call
//! behind the interpreter gate. Request handlers run on the blocking pool, since Python code
//! may block; notification and progress callbacks run inline to keep their order.

use crate::gate;
use mcpstream::handlers::{
    Handlers, NotificationHandler, ProgressHandler, RequestHandler, SessionChangeHandler,
};
use mcpstream::ops::{handler_result, internal_error, HandlerAnswer};
use pyo3::prelude::*;
use serde_json::Value;
use std::sync::Arc;

/// The adapter returns a [`HandlerAnswer`]: `(ok, json, code, message)`.
fn request_handler(callable: Py<PyAny>) -> RequestHandler {
    let callable = Arc::new(callable);
    Arc::new(move |params: Option<Value>| {
        let callable = callable.clone();
        Box::pin(async move {
            let text = params.map(|p| p.to_string());
            let called = tokio::task::spawn_blocking(move || {
                gate::with_python(|py| -> PyResult<HandlerAnswer> {
                    callable.bind(py).call1((text,))?.extract()
                })
            })
            .await;
            match called {
                Ok(Some(Ok(answer))) => handler_result(answer),
                Ok(Some(Err(e))) => Err(internal_error(format!("handler failed: {e}"))),
                Ok(None) => Err(internal_error("the Python interpreter is shutting down")),
                Err(_) => Err(internal_error("handler task failed")),
            }
        })
    })
}

fn report(py: Python<'_>, outcome: PyResult<Bound<'_, PyAny>>) {
    if let Err(e) = outcome {
        e.write_unraisable(py, None);
    }
}

fn notification_handler(callable: Py<PyAny>) -> NotificationHandler {
    Arc::new(move |method: &str, params: Option<&Value>| {
        let text = params.map(Value::to_string);
        gate::with_python(|py| report(py, callable.bind(py).call1((method, text))));
    })
}

fn session_change_handler(callable: Py<PyAny>) -> SessionChangeHandler {
    Arc::new(move |change: &mcpstream::SessionChange| {
        gate::with_python(|py| {
            let args = (
                change.old_session_id.clone(),
                change.new_session_id.clone(),
                change.reason.as_str(),
            );
            report(py, callable.bind(py).call1(args));
        });
    })
}

pub fn progress_handler(callable: Py<PyAny>) -> ProgressHandler {
    Arc::new(move |params: &Value| {
        let text = params.to_string();
        gate::with_python(|py| report(py, callable.bind(py).call1((text,))));
    })
}

/// `(sampling, elicitation, roots, notification, session_change)`, each an adapter or None.
pub type Hooks = (
    Option<Py<PyAny>>,
    Option<Py<PyAny>>,
    Option<Py<PyAny>>,
    Option<Py<PyAny>>,
    Option<Py<PyAny>>,
);

pub fn handlers(hooks: Hooks) -> Handlers {
    let (sampling, elicitation, roots, notification, session_change) = hooks;
    Handlers {
        sampling: sampling.map(request_handler),
        elicitation: elicitation.map(request_handler),
        roots: roots.map(request_handler),
        notification: notification.map(notification_handler),
        session_change: session_change.map(session_change_handler),
    }
}
