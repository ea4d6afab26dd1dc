//! Blocking calls: the GIL is released while the request runs on the shared runtime, and
//! retaken every slice to let Python handle signals, so Ctrl-C interrupts a call promptly.

use crate::errors;
use mcpstream::blocking::spawn;
use pyo3::prelude::*;
use std::future::Future;
use std::time::Duration;

const SLICE: Duration = Duration::from_millis(50);

pub fn block_on<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = mcpstream::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut call = spawn(fut);
    loop {
        // The receiver is Send but not Sync, so it moves into the GIL-free closure and back.
        let (back, finished) = py.detach(move || {
            let finished = call.wait_for(SLICE);
            (call, finished)
        });
        call = back;
        if let Some(result) = finished {
            return result.map_err(|e| errors::to_py(py, e));
        }
        if let Err(interrupt) = py.check_signals() {
            // Dropping the request aborts its HTTP exchange; the client stays usable.
            call.cancel();
            return Err(interrupt);
        }
    }
}
