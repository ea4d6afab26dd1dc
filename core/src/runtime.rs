//! The one shared multi-threaded runtime (started lazily, never one per call or per client),
//! and the two ways work gets onto a runtime: [`spawn_detached`] for the client's own
//! background tasks, [`start_call`] for a caller that waits for the result on its own thread.

use once_cell::sync::Lazy;
use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio::task::AbortHandle;

static RUNTIME: Lazy<Runtime> = Lazy::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name("mcpstream")
        // A request that authorizes on the way nests deep futures; unoptimised builds (the
        // bindings' debug builds) overflowed the 2 MiB default. Untouched stack costs nothing.
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("cannot start the mcpstream runtime")
});

/// The shared runtime, for bindings that bridge it to their own event loop.
pub fn shared() -> &'static Runtime {
    &RUNTIME
}

/// Runs a background task of the client on the current runtime, or on the shared one outside
/// any runtime (drop guards and `resume()` may run anywhere).
pub(crate) fn spawn_detached<F>(fut: F) -> AbortHandle
where
    F: Future<Output = ()> + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.spawn(fut).abort_handle(),
        Err(_) => RUNTIME.spawn(fut).abort_handle(),
    }
}

/// A call running on the shared runtime that a thread can wait for in slices (to check for
/// Ctrl-C between them) and abandon.
pub struct PendingCall<T> {
    result: mpsc::Receiver<T>,
    task: AbortHandle,
}

impl<T> PendingCall<T> {
    /// `Some(result)` once finished; `None` if still running after `slice`.
    pub fn wait_for(&self, slice: Duration) -> Option<T> {
        self.result.recv_timeout(slice).ok()
    }

    /// Waits as long as it takes; `None` only if the runtime dropped the task.
    pub fn wait(self) -> Option<T> {
        self.result.recv().ok()
    }

    /// Stops the call; dropping it aborts the request (and its HTTP exchange).
    pub fn cancel(self) {
        self.task.abort();
    }
}

/// Starts `fut` on the shared runtime for a caller that will wait for it on its own thread.
pub fn start_call<F>(fut: F) -> PendingCall<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    let task = RUNTIME.spawn(async move {
        let _ = tx.send(fut.await);
    });
    PendingCall {
        result: rx,
        task: task.abort_handle(),
    }
}
