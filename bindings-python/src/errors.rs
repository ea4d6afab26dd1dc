//! Core errors become the exception classes defined in `mcpstream/errors.py`, so Python code
//! gets real classes with docstrings and attributes, created in Python and raised from Rust.

use mcpstream::{Error, HttpErrorKind};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    let module = ERRORS.get_or_try_init(py, || py.import("mcpstream.errors").map(Bound::unbind))?;
    Ok(module.bind(py).getattr(name)?.cast_into()?)
}

pub fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let loads = JSON_LOADS.get_or_try_init(py, || {
        py.import("json")?.getattr("loads").map(Bound::unbind)
    })?;
    loads.bind(py).call1((text,))
}

pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    build(py, &error).unwrap_or_else(|failure| failure)
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let message = error.to_string();
    let kwargs = PyDict::new(py);
    let name = match error {
        Error::Transport { .. } => "TransportError",
        Error::Timeout { .. } => "TimeoutError",
        Error::Http { status, kind, body } => {
            kwargs.set_item("status", status)?;
            kwargs.set_item("error_type", kind.as_str())?;
            kwargs.set_item("body", body)?;
            "HTTPError"
        }
        Error::SessionExpired { session_id, status } => {
            kwargs.set_item("session_id", session_id)?;
            kwargs.set_item("status", status)?;
            kwargs.set_item("error_type", HttpErrorKind::from_status(*status).as_str())?;
            "SessionExpiredError"
        }
        Error::Rpc {
            code,
            message,
            data,
        } => {
            kwargs.set_item("code", code)?;
            kwargs.set_item("rpc_message", message)?;
            match data {
                Some(data) => kwargs.set_item("data", json_loads(py, &data.to_string())?)?,
                None => kwargs.set_item("data", py.None())?,
            }
            "RPCError"
        }
        Error::Protocol { .. } => "ProtocolError",
        Error::InvalidArgument { message } => return Ok(PyValueError::new_err(message.clone())),
        _ => "MCPError",
    };
    let instance = class(py, name)?.call((message,), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}
