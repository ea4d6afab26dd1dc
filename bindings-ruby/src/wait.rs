//! Blocking calls without the GVL: the request runs on the shared runtime while this Ruby
//! thread waits outside the GVL in short slices, checking for interrupts (Ctrl-C,
//! Thread#raise, Thread#kill, Timeout.timeout) between them. An interrupt aborts the request
//! and the client stays usable.

use crate::errors;
use magnus::Ruby;
use mcpstream::blocking::{spawn, PendingCall};
use std::ffi::c_void;
use std::future::Future;
use std::time::Duration;

const SLICE: Duration = Duration::from_millis(50);

struct Slice<T> {
    call: *const PendingCall<T>,
    result: Option<T>,
}

unsafe extern "C" fn wait_slice<T>(data: *mut c_void) -> *mut c_void {
    // SAFETY: `data` is the `Slice` on the caller's stack, alive for this whole call.
    let slice = unsafe { &mut *(data as *mut Slice<T>) };
    slice.result = unsafe { &*slice.call }.wait_for(SLICE);
    std::ptr::null_mut()
}

pub fn block_on<T, F>(ruby: &Ruby, fut: F) -> Result<T, magnus::Error>
where
    F: Future<Output = mcpstream::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let call = spawn(fut);
    loop {
        let mut slice = Slice {
            call: &call,
            result: None,
        };
        // SAFETY: the function only touches `slice` (no Ruby objects) and returns within SLICE.
        // No unblocking function is needed because the wait never lasts longer than a slice.
        unsafe {
            rb_sys::rb_thread_call_without_gvl2(
                Some(wait_slice::<mcpstream::Result<T>>),
                &mut slice as *mut Slice<mcpstream::Result<T>> as *mut c_void,
                None,
                std::ptr::null_mut(),
            );
        }
        if let Some(result) = slice.result {
            return result.map_err(|e| errors::to_ruby(ruby, e));
        }
        if let Err(interrupt) = ruby.thread_check_ints() {
            call.cancel();
            return Err(interrupt);
        }
    }
}
