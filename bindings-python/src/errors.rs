//! Core errors become the exception classes defined in `mcpstream/errors.py`, by the binding
//! kit's error table, so Python code gets real classes with docstrings and attributes,
//! created in Python and raised from Rust.

use mcpstream::Error;
use mcpstream_binding_kit::{describe, ErrorClass, ErrorFacts, Field};
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

fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let loads = JSON_LOADS.get_or_try_init(py, || {
        py.import("json")?.getattr("loads").map(Bound::unbind)
    })?;
    loads.bind(py).call1((text,))
}

pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    from_facts(py, describe(&error))
}

/// The exception a row of the error table describes.
pub fn from_facts(py: Python<'_>, facts: ErrorFacts) -> PyErr {
    build(py, facts).unwrap_or_else(|failure| failure)
}

fn build(py: Python<'_>, facts: ErrorFacts) -> PyResult<PyErr> {
    let name = match facts.class {
        ErrorClass::Argument => return Ok(PyValueError::new_err(facts.message)),
        ErrorClass::Named(name) => name,
    };
    let kwargs = PyDict::new(py);
    for (key, field) in facts.fields {
        match field {
            Field::Int(n) => kwargs.set_item(key, n)?,
            Field::Text(s) => kwargs.set_item(key, s)?,
            Field::Json(Some(value)) => {
                kwargs.set_item(key, json_loads(py, &value.to_string())?)?
            }
            Field::Json(None) => kwargs.set_item(key, py.None())?,
        }
    }
    let instance = class(py, name)?.call((facts.message,), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}
