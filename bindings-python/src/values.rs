//! JSON values as Python objects and back, without JSON text in between: a large tool result
//! or argument is copied once instead of being written out, copied and parsed again on each
//! side (`json.dumps` and `json.loads` cost more than the rest of a 1 MiB call).
//!
//! Both directions give exactly what the JSON text round trip gave. Python values whose text
//! `json.dumps` writes in its own way (subclasses, tuples' siblings, non-string keys, NaN,
//! huge integers, unpaired surrogates, cycles) are not converted here: the caller falls back
//! to `json.dumps`, which keeps its behaviour and errors.

use mcpstream_binding_kit::Operation;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Deeper than this, the caller falls back to `json.dumps` and the JSON parser (whose own
/// limit then applies, as before).
const MAX_DEPTH: usize = 100;

/// The Python object `json.loads` makes of `value`'s JSON text.
pub fn to_python(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Number(n) => number(py, n)?,
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, to_python(py, item)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

fn number(py: Python<'_>, n: &Number) -> PyResult<Py<PyAny>> {
    Ok(if let Some(i) = n.as_i64() {
        i.into_pyobject(py)?.into_any().unbind()
    } else if let Some(u) = n.as_u64() {
        u.into_pyobject(py)?.into_any().unbind()
    } else {
        // A JSON number that is neither becomes a float either way.
        PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN))
            .into_any()
            .unbind()
    })
}

/// The operation `op` names: a dict of its fields (or their JSON text). What the fields hold
/// that JSON cannot fails as `json.dumps` fails (a `TypeError`, say); what an operation cannot
/// take is the inner error.
pub fn operation(op: &Bound<'_, PyAny>) -> PyResult<Result<Operation, mcpstream::Error>> {
    if let Ok(text) = op.cast_exact::<PyString>() {
        return Ok(Operation::from_json(&text.to_cow()?));
    }
    if let Some(value) = from_python(op) {
        return Ok(Operation::from_value(value));
    }
    let text = op.py().import("json")?.call_method1("dumps", (op,))?;
    Ok(Operation::from_json(
        &text.cast_into::<PyString>()?.to_cow()?,
    ))
}

/// `object` as the value the JSON parser reads from `json.dumps(object)`, when that is sure
/// to be the same; `None` when the caller must take the text route.
pub fn from_python(object: &Bound<'_, PyAny>) -> Option<Value> {
    plain(object, 0)
}

fn plain(object: &Bound<'_, PyAny>, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    if object.is_none() {
        return Some(Value::Null);
    }
    // Exact types only: json.dumps writes subclasses (IntEnum, str enums) its own way.
    if let Ok(b) = object.cast_exact::<PyBool>() {
        return Some(Value::Bool(b.is_true()));
    }
    if let Ok(s) = object.cast_exact::<PyString>() {
        // Unpaired surrogates fail here, as the parser refuses their escapes.
        return s.to_cow().ok().map(|text| Value::String(text.into_owned()));
    }
    if let Ok(i) = object.cast_exact::<PyInt>() {
        // Outside 64 bits the parser reads a float: the text route says the same.
        return match i.extract::<i64>() {
            Ok(i) => Some(Value::from(i)),
            Err(_) => i.extract::<u64>().ok().map(Value::from),
        };
    }
    if let Ok(f) = object.cast_exact::<PyFloat>() {
        // json.dumps writes NaN and the infinities as bare words the parser refuses.
        return Number::from_f64(f.value()).map(Value::Number);
    }
    if let Ok(dict) = object.cast_exact::<PyDict>() {
        let mut map = Map::new();
        for (key, item) in dict.iter() {
            // json.dumps turns number, bool and None keys into text of its own.
            let key = key.cast_exact::<PyString>().ok()?.to_cow().ok()?;
            map.insert(key.into_owned(), plain(&item, depth + 1)?);
        }
        return Some(Value::Object(map));
    }
    if let Ok(list) = object.cast_exact::<PyList>() {
        return list.iter().map(|item| plain(&item, depth + 1)).collect();
    }
    if let Ok(tuple) = object.cast_exact::<PyTuple>() {
        return tuple.iter().map(|item| plain(&item, depth + 1)).collect();
    }
    None
}
