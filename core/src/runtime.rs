//! The one shared multi-threaded runtime (started lazily, never one per call or per client),
//! and the two ways work gets onto a runtime: [`spawn_detached`] for the client's own
//! background tasks, [`start_call`] for a caller that waits for the result on its own thread.

use crate::fork;
use std::future::Future;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::mpsc;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio::task::AbortHandle;

/// The runtime of one process: a forked child builds its own, since the parent's workers did
/// not survive the fork (see `fork.rs`).
struct ProcessRuntime {
    generation: u64,
    runtime: Runtime,
}

static CURRENT: AtomicPtr<ProcessRuntime> = AtomicPtr::new(std::ptr::null_mut());

fn build() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name("mcpstream")
        // A request that authorizes on the way nests deep futures; unoptimised builds (the
        // bindings' debug builds) overflowed the 2 MiB default. Untouched stack costs nothing.
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("cannot start the mcpstream runtime")
}

/// The shared runtime of this process, for bindings that bridge it to their own event loop.
pub fn shared() -> &'static Runtime {
    let generation = fork::generation();
    loop {
        let current = CURRENT.load(Ordering::Acquire);
        // SAFETY: entries are leaked, never freed, once published.
        if let Some(entry) = unsafe { current.as_ref() } {
            if entry.generation == generation {
                return &entry.runtime;
            }
        }
        fork::watch();
        let fresh = Box::into_raw(Box::new(ProcessRuntime {
            generation,
            runtime: build(),
        }));
        match CURRENT.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
            // The parent's runtime (if this is a child) stays leaked: dropping it would wait
            // for workers that do not exist here.
            Ok(_) => {
                // SAFETY: just published, never freed.
                return unsafe { &(*fresh).runtime };
            }
            Err(_) => {
                // Another thread published first: ours was never seen by anyone.
                // SAFETY: `fresh` came from Box::into_raw above and was not published.
                let lost = unsafe { Box::from_raw(fresh) };
                lost.runtime.shutdown_background();
            }
        }
    }
}

/// Runs a background task of the client on the current runtime, or on the shared one outside
/// any runtime (drop guards and `resume()` may run anywhere).
pub(crate) fn spawn_detached<F>(fut: F) -> AbortHandle
where
    F: Future<Output = ()> + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.spawn(fut).abort_handle(),
        Err(_) => shared().spawn(fut).abort_handle(),
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
    let task = shared().spawn(async move {
        let _ = tx.send(fut.await);
    });
    PendingCall {
        result: rx,
        task: task.abort_handle(),
    }
}
