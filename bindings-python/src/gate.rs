//! Runtime threads may call into Python (to finish an asyncio future, or run a handler).
//! Doing so while the interpreter finalizes kills the thread mid-call (CPython makes a thread
//! that retakes the GIL during finalization exit at once), which crashes in Rust frames. So
//! every such call passes this gate: it is counted, and `shutdown()`, run by `atexit` before
//! finalization, closes the gate and waits for the calls already inside to leave.

use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static CLOSED: AtomicBool = AtomicBool::new(false);
static INSIDE: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` with the GIL unless the interpreter is shutting down (then `None`).
pub fn with_python<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    INSIDE.fetch_add(1, Ordering::SeqCst);
    let result = if CLOSED.load(Ordering::SeqCst) {
        None
    } else {
        Some(Python::attach(f))
    };
    INSIDE.fetch_sub(1, Ordering::SeqCst);
    result
}

/// Registered with `os.register_at_fork`: in a child, the runtime threads that were inside
/// the gate at fork time do not exist, so none is waited for at exit.
#[pyfunction]
pub fn after_fork_in_child() {
    INSIDE.store(0, Ordering::SeqCst);
}

/// Closes the gate and waits (GIL released, at most a second) for calls inside to finish.
#[pyfunction]
pub fn shutdown(py: Python<'_>) {
    CLOSED.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(1);
    py.detach(|| {
        while INSIDE.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}
