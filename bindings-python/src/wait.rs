//! Blocking calls: the GIL is released while the request runs on the shared runtime, and
//! retaken every slice to let Python handle signals, so Ctrl-C interrupts a call promptly.
//! The call's progress callbacks run here too, on the calling thread while it waits: in
//! order, never on a runtime thread, all of them before the call returns, and a callback that
//! calls the client again simply nests.

use crate::{dispatcher, errors};
use mcpstream::handlers::ProgressHandler;
use mcpstream::runtime::start_call;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use std::future::Future;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

const SLICE: Duration = Duration::from_millis(50);

/// What a waiting call hears from the runtime.
pub enum Event<T> {
    Progress(String),
    Done(mcpstream::Result<T>),
}

/// The channel a call's events arrive on.
pub struct Inbox<T> {
    sender: Sender<Event<T>>,
    receiver: Receiver<Event<T>>,
}

impl<T: Send + 'static> Inbox<T> {
    pub fn new() -> Self {
        let (sender, receiver) = channel();
        Self { sender, receiver }
    }

    /// A core progress handler that hands each notification to the waiting thread.
    pub fn progress_handler(&self) -> ProgressHandler {
        let sender = self.sender.clone();
        Arc::new(move |params| {
            let _ = sender.send(Event::Progress(params.to_string()));
        })
    }
}

pub fn block_on<T, F>(
    py: Python<'_>,
    fut: F,
    inbox: Inbox<T>,
    on_progress: Option<Py<PyAny>>,
) -> PyResult<T>
where
    F: Future<Output = mcpstream::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    // A callback calling its own client: let another thread run the client's callbacks.
    dispatcher::hand_off();
    let Inbox {
        sender,
        mut receiver,
    } = inbox;
    let call = start_call(async move {
        let _ = sender.send(Event::Done(fut.await));
    });
    loop {
        // The receiver is Send but not Sync, so it moves into the GIL-free closure and back.
        let (back, event) = py.detach(move || {
            let event = receiver.recv_timeout(SLICE);
            (receiver, event)
        });
        receiver = back;
        match event {
            Ok(Event::Done(result)) => return result.map_err(|e| errors::to_py(py, e)),
            Ok(Event::Progress(params)) => {
                if let Some(callback) = &on_progress {
                    if let Err(e) = callback.bind(py).call1((params,)) {
                        // Ctrl-C or SystemExit in the callback ends the call; other errors are
                        // the callback's own and are reported without stopping the call.
                        if !e.is_instance_of::<PyException>(py) {
                            call.cancel();
                            return Err(e);
                        }
                        e.write_unraisable(py, None);
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyException::new_err("the runtime dropped the call"))
            }
        }
        if let Err(interrupt) = py.check_signals() {
            // Dropping the request aborts its HTTP exchange; the client stays usable.
            call.cancel();
            return Err(interrupt);
        }
    }
}
