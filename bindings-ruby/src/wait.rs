//! Waiting without the GVL: the request runs on the shared runtime while this Ruby thread
//! waits outside the GVL in short slices, checking for interrupts (Ctrl-C, Thread#raise,
//! Thread#kill, Timeout.timeout) between them. An interrupt aborts the request and the client
//! stays usable.

use crate::errors;
use magnus::Ruby;
use mcpstream::blocking::spawn;
use std::ffi::c_void;
use std::future::Future;
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

pub fn block_on<T, F>(ruby: &Ruby, fut: F) -> Result<T, magnus::Error>
where
    F: Future<Output = mcpstream::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let call = spawn(fut);
    loop {
        if let Some(Some(result)) = without_gvl(|| call.wait_for(SLICE)) {
            return result.map_err(|e| errors::to_ruby(ruby, e));
        }
        if let Err(interrupt) = ruby.thread_check_ints() {
            call.cancel();
            return Err(interrupt);
        }
    }
}
