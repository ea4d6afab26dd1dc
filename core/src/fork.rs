//! `fork()`: Python and Ruby applications fork after loading (gunicorn `--preload`, Celery,
//! multiprocessing, Puma, Unicorn, Resque), and the child keeps the parent's memory but only
//! the forking thread. The runtime's workers, the connections' tasks and any lock another
//! thread held are gone, so nothing made before the fork may be touched in the child: it would
//! wait forever on a worker that no longer exists.
//!
//! Each process has a generation, bumped in the child by a `pthread_atfork` handler (so every
//! fork is seen, whoever calls it: Python, Ruby, C, Rust). What must not cross a fork is kept
//! per generation ([`PerProcess`]) and rebuilt on first use in the child; what only the parent
//! can use (a subscription fed by a task of its runtime) is [`ProcessBound`]: absent in the
//! child. Either way the parent's copy is leaked there, never dropped, since dropping would
//! reach into the dead runtime.

use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};

static GENERATION: AtomicU64 = AtomicU64::new(0);
static HOOK: Once = Once::new();

extern "C" fn in_child_after_fork() {
    // Runs in the child before fork() returns: only async-signal-safe work belongs here.
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Registers the at-fork handler (once per process image; the child inherits it).
pub fn watch() {
    HOOK.call_once(|| {
        // SAFETY: registers a handler that only increments an atomic.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(in_child_after_fork)) };
        if rc != 0 {
            log::warn!("pthread_atfork failed ({rc}); a forked child may not run calls");
        }
    });
}

/// How many forks lie between the first process that loaded mcpstream and this one.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}

/// A value that must not cross `fork()`: made anew on first use in each process (bindings use
/// it for their own channels to the language's threads).
pub struct PerProcess<T> {
    /// Never dropped in a process other than its maker's; `None` once discarded.
    slot: Mutex<(u64, ManuallyDrop<Option<T>>)>,
    make: Box<dyn Fn() -> T + Send + Sync>,
}

impl<T: Clone> PerProcess<T> {
    pub fn new(make: impl Fn() -> T + Send + Sync + 'static) -> Self {
        watch();
        let first = make();
        Self {
            slot: Mutex::new((generation(), ManuallyDrop::new(Some(first)))),
            make: Box::new(make),
        }
    }

    /// This process's value.
    pub fn get(&self) -> T {
        let now = generation();
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if slot.0 != now {
            // The parent's value is overwritten, not dropped (ManuallyDrop).
            slot.1 = ManuallyDrop::new(None);
            slot.0 = now;
        }
        T::clone(slot.1.get_or_insert_with(|| (self.make)()))
    }

    /// Lets go of this process's value (clones already handed out keep theirs); the next
    /// `get` makes a new one. The HTTP clients use it so a closed client holds no sockets.
    pub fn discard(&self) {
        let now = generation();
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if slot.0 != now {
            slot.1 = ManuallyDrop::new(None);
            slot.0 = now;
            return;
        }
        let ours = slot.1.take();
        // Dropped outside the lock: it may run arbitrary code (closing connections).
        drop(slot);
        drop(ours);
    }
}

impl<T> Drop for PerProcess<T> {
    fn drop(&mut self) {
        let slot = self.slot.get_mut().unwrap_or_else(|p| p.into_inner());
        if slot.0 == generation() {
            // SAFETY: dropped once, here, and never used again.
            unsafe { ManuallyDrop::drop(&mut slot.1) };
        }
    }
}

/// A value that belongs to the process that made it, such as a handle to a task of its runtime
/// or a channel such a task feeds: usable there, absent in a forked child (where no task feeds
/// it), and leaked rather than dropped there, since dropping it would reach into the parent's
/// runtime.
pub struct ProcessBound<T> {
    generation: u64,
    value: ManuallyDrop<T>,
}

impl<T> ProcessBound<T> {
    pub fn new(value: T) -> Self {
        watch();
        Self {
            generation: generation(),
            value: ManuallyDrop::new(value),
        }
    }

    /// The value, in the process that made it; `None` in a forked child.
    pub fn get(&self) -> Option<&T> {
        (self.generation == generation()).then_some(&*self.value)
    }

    pub fn get_mut(&mut self) -> Option<&mut T> {
        (self.generation == generation()).then_some(&mut *self.value)
    }
}

impl<T> Drop for ProcessBound<T> {
    fn drop(&mut self) {
        if self.generation == generation() {
            // SAFETY: dropped once, here, and never used again.
            unsafe { ManuallyDrop::drop(&mut self.value) };
        }
    }
}

impl<T> std::fmt::Debug for ProcessBound<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProcessBound { .. }")
    }
}

impl<T> std::fmt::Debug for PerProcess<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PerProcess { .. }")
    }
}

/// What a client made before a fork does on first use in the child: it keeps its session (the
/// same id, now shared with the parent) and forgets whatever belonged to the parent's threads
/// and runtime: the standalone GET stream (the parent keeps receiving the session's
/// notifications on it; a second one could take them away from the parent), and the progress
/// listeners and server requests of calls that were in flight there.
impl crate::Client {
    pub(crate) fn adopt_if_forked(&self) {
        let inner = &self.inner;
        let now = generation();
        if inner.generation.load(Ordering::Acquire) == now {
            return;
        }
        // The inherited session is recorded before the generation says the client is adopted:
        // another thread of the child that sees the new generation must not close it first.
        let mut inherited = crate::client::lock(&inner.inherited);
        if inner.generation.load(Ordering::Acquire) == now {
            return;
        }
        inner.forget_the_parents_tasks();
        *inherited = inner.session.current();
        inner.generation.store(now, Ordering::Release);
        drop(inherited);
        log::info!(
            "a client made before fork() is used in the child: new connections, the same session"
        );
    }

    /// The session came from the parent process, which may still use it.
    pub(crate) fn is_inherited(&self, session: &std::sync::Arc<crate::Session>) -> bool {
        crate::client::lock(&self.inner.inherited)
            .as_ref()
            .is_some_and(|inherited| std::sync::Arc::ptr_eq(inherited, session))
    }
}

impl crate::client::Inner {
    /// Handles to tasks of the parent's runtime: aborting or dropping one would reach into it.
    pub(crate) fn forget_the_parents_tasks(&self) {
        use crate::client::lock;
        std::mem::forget(lock(&self.standalone).take());
        std::mem::forget(std::mem::take(&mut *lock(&self.progress)));
        std::mem::forget(std::mem::take(&mut *lock(&self.server_requests)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn a_value_is_made_once_per_process() {
        let made = Arc::new(AtomicUsize::new(0));
        let counter = made.clone();
        let value = PerProcess::new(move || counter.fetch_add(1, Ordering::SeqCst));
        assert_eq!(value.get(), 0);
        assert_eq!(value.get(), 0);
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_discarded_value_is_made_again_on_next_use() {
        let made = Arc::new(AtomicUsize::new(0));
        let counter = made.clone();
        let value = PerProcess::new(move || Arc::new(counter.fetch_add(1, Ordering::SeqCst)));
        let first = value.get();
        value.discard();
        assert_eq!(Arc::strong_count(&first), 1, "the slot let go of its value");
        assert_eq!(*value.get(), 1);
        assert_eq!(*value.get(), 1);
    }

    #[test]
    fn a_process_bound_value_is_absent_and_leaked_in_a_forked_child() {
        let value = ProcessBound::new(Arc::new(()));
        let witness = Arc::clone(value.get().unwrap());
        // SAFETY: the child only reads memory, drops a value that ProcessBound leaks, and _exits.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let absent = value.get().is_none();
            drop(value);
            let leaked = Arc::strong_count(&witness) == 2;
            unsafe { libc::_exit(if absent && leaked { 0 } else { 1 }) };
        }
        let mut status = 0;
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        drop(value);
        assert_eq!(Arc::strong_count(&witness), 1, "dropped in its own process");
    }

    #[test]
    fn a_forked_child_makes_its_own_value() {
        let value = PerProcess::new(std::process::id);
        let parent = value.get();
        // SAFETY: the child only reads memory, calls getpid and _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let ok = value.get() != parent && value.get() == std::process::id();
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        assert_eq!(value.get(), parent);
    }
}
