//! Waiting without the GVL: the request runs on the shared runtime while this Ruby thread
//! waits outside the GVL in short slices, checking for interrupts (Ctrl-C, Thread#raise,
//! Thread#kill, Timeout.timeout) between them. An interrupt aborts the request and the client
//! stays usable.

use crate::errors;
use magnus::block::Proc;
use magnus::{Ruby, Value};
use mcpstream::handlers::ProgressHandler;
use mcpstream::runtime::start_call;
use std::ffi::c_void;
use std::future::Future;
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

pub const SLICE: Duration = Duration::from_millis(50);

struct Work<F, R> {
    f: Option<F>,
    result: Option<R>,
}

unsafe extern "C" fn run<F: FnOnce() -> R, R>(data: *mut c_void) -> *mut c_void {
    // SAFETY: `data` is the `Work` on the caller's stack, alive for this whole call.
    let work = unsafe { &mut *(data as *mut Work<F, R>) };
    if let Some(f) = work.f.take() {
        work.result = Some(f());
    }
    std::ptr::null_mut()
}

/// Runs `f` with the GVL released. `f` must touch no Ruby object and return promptly (no
/// unblocking function is registered). `None` if Ruby skipped it for a pending interrupt.
pub fn without_gvl<F: FnOnce() -> R, R>(f: F) -> Option<R> {
    let mut work = Work {
        f: Some(f),
        result: None,
    };
    // SAFETY: `run::<F, R>` matches `work`'s type and only uses it for the call's duration.
    unsafe {
        rb_sys::rb_thread_call_without_gvl2(
            Some(run::<F, R>),
            &mut work as *mut Work<F, R> as *mut c_void,
            None,
            std::ptr::null_mut(),
        );
    }
    work.result
}

/// What a waiting call hears from the runtime.
pub enum Event<T> {
    Progress(String),
    Done(mcpstream::Result<T>),
}

/// Runs `fut` (given a progress handler that reports to this thread) on the shared runtime
/// and waits for it outside the GVL. The call's progress block runs here, on the calling
/// thread, between waits: in order, before the call returns, and free to call the client.
pub fn block_on<T, F>(
    ruby: &Ruby,
    fut: impl FnOnce(ProgressHandler) -> F,
    on_progress: Option<Proc>,
) -> Result<T, magnus::Error>
where
    F: Future<Output = mcpstream::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let (sender, receiver) = channel::<Event<T>>();
    let progress_sender = sender.clone();
    let progress: ProgressHandler = Arc::new(move |params| {
        let _ = progress_sender.send(Event::Progress(params.to_string()));
    });
    let fut = fut(progress);
    let call = start_call(async move {
        let _ = sender.send(Event::Done(fut.await));
    });
    loop {
        match without_gvl(|| receiver.recv_timeout(SLICE)) {
            Some(Ok(Event::Done(result))) => return result.map_err(|e| errors::to_ruby(ruby, e)),
            Some(Ok(Event::Progress(params))) => {
                if let Some(block) = &on_progress {
                    // The Ruby side wraps the block so its own errors are reported there;
                    // what reaches here is an interrupt (Thread#kill, Timeout, Ctrl-C).
                    if let Err(interrupt) = block.call::<_, Value>((params,)) {
                        call.cancel();
                        return Err(interrupt);
                    }
                }
            }
            Some(Err(RecvTimeoutError::Timeout)) | None => {}
            Some(Err(RecvTimeoutError::Disconnected)) => {
                return Err(magnus::Error::new(
                    ruby.exception_runtime_error(),
                    "the runtime dropped the call",
                ))
            }
        }
        if let Err(interrupt) = ruby.thread_check_ints() {
            call.cancel();
            return Err(interrupt);
        }
    }
}
