//! Python callbacks (notifications, progress, session changes) run on a thread the client
//! owns, one at a time in arrival order, never on a runtime worker: a callback that blocks or
//! calls the same client then stalls neither the runtime nor other clients.
//!
//! A callback may call its own client. That call blocks the dispatcher thread, and the call
//! may need callbacks of its own (its progress) to run before it returns, so a dispatcher
//! thread that is about to block hands its role to a fresh thread first ([`hand_off`]); it
//! finishes the callback it is in and then ends.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// Which thread is the dispatcher: the one started with this generation.
    generation: u64,
    thread_running: bool,
    /// Jobs being run right now (more than one only across a hand-off).
    running: usize,
    closed: bool,
    /// The process (`mcpstream::fork::generation`) whose thread serves the queue.
    process: u64,
}

impl Queue {
    /// After `fork()` the parent's dispatcher thread is gone: the child starts its own, and
    /// the parent's pending callbacks (which may hold the parent's runtime's wakers) are
    /// forgotten, not dropped.
    fn in_this_process(&mut self) -> &mut Self {
        let now = mcpstream::fork::generation();
        if self.process != now {
            self.process = now;
            std::mem::forget(std::mem::take(&mut self.jobs));
            self.running = 0;
            self.thread_running = false;
            self.generation += 1;
        }
        self
    }
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

thread_local! {
    /// Set on dispatcher threads: whose queue they serve, and as which generation.
    static SERVING: RefCell<Option<(Weak<Shared>, u64)>> = const { RefCell::new(None) };
}

fn lock(shared: &Shared) -> MutexGuard<'_, Queue> {
    shared.queue.lock().unwrap_or_else(|p| p.into_inner())
}

/// Posts jobs to a client's dispatcher thread (started on the first job).
#[derive(Clone, Default)]
pub struct Dispatcher {
    shared: Arc<Shared>,
}

impl Dispatcher {
    pub fn post(&self, job: impl FnOnce() + Send + 'static) {
        let mut guard = lock(&self.shared);
        let queue = guard.in_this_process();
        if queue.closed {
            return;
        }
        queue.jobs.push_back(Box::new(job));
        if !queue.thread_running {
            queue.thread_running = true;
            start_thread(&self.shared, queue);
        }
        drop(guard);
        self.shared.ready.notify_all();
    }

    /// Resolves once every job posted before it has run (or been dropped on close); at once
    /// when nothing is queued or running.
    pub fn fence(&self) -> oneshot::Receiver<()> {
        let (done, fenced) = oneshot::channel();
        let idle = {
            let mut guard = lock(&self.shared);
            let queue = guard.in_this_process();
            queue.jobs.is_empty() && queue.running == 0
        };
        if idle {
            let _ = done.send(());
        } else {
            self.post(move || {
                let _ = done.send(());
            });
        }
        fenced
    }

    /// Ends the thread once the queue is empty; later jobs are dropped.
    pub fn close(&self) {
        lock(&self.shared).closed = true;
        self.shared.ready.notify_all();
    }
}

/// Starts the thread serving `queue` (whose lock the caller holds) as `queue.generation`.
fn start_thread(shared: &Arc<Shared>, queue: &mut Queue) {
    let weak = Arc::downgrade(shared);
    let generation = queue.generation;
    let spawned = std::thread::Builder::new()
        .name("mcpstream-callbacks".into())
        .spawn(move || serve(weak, generation));
    if spawned.is_err() {
        // No thread can be had: drop the jobs rather than let their waiters hang.
        queue.thread_running = false;
        queue.jobs.clear();
    }
}

fn serve(weak: Weak<Shared>, generation: u64) {
    SERVING.with(|s| *s.borrow_mut() = Some((weak.clone(), generation)));
    while let Some(job) = next_job(&weak, generation) {
        job();
        if let Some(shared) = weak.upgrade() {
            lock(&shared).running -= 1;
        }
    }
}

fn next_job(weak: &Weak<Shared>, generation: u64) -> Option<Job> {
    let shared = weak.upgrade()?;
    let mut queue = lock(&shared);
    loop {
        if queue.generation != generation {
            return None; // handed off: another thread serves the queue now
        }
        if let Some(job) = queue.jobs.pop_front() {
            queue.running += 1;
            return Some(job);
        }
        if queue.closed {
            queue.thread_running = false;
            return None;
        }
        queue = shared.ready.wait(queue).unwrap_or_else(|p| p.into_inner());
    }
}

/// Called before this thread blocks on a client call. On a dispatcher thread, a new thread
/// takes over the queue, so callbacks the call depends on can still run.
pub fn hand_off() {
    let serving = SERVING.with(|s| s.borrow().clone());
    let Some((weak, generation)) = serving else {
        return;
    };
    let Some(shared) = weak.upgrade() else {
        return;
    };
    let mut queue = lock(&shared);
    if queue.generation != generation {
        return; // this thread already handed off
    }
    queue.generation += 1;
    start_thread(&shared, &mut queue);
    drop(queue);
    shared.ready.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn jobs_run_in_order_on_one_thread() {
        let d = Dispatcher::default();
        let (tx, rx) = mpsc::channel();
        for i in 0..50 {
            let tx = tx.clone();
            d.post(move || tx.send((i, std::thread::current().id())).unwrap());
        }
        let seen: Vec<_> = (0..50)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        assert_eq!(
            seen.iter().map(|s| s.0).collect::<Vec<_>>(),
            (0..50).collect::<Vec<_>>()
        );
        assert!(seen.iter().all(|s| s.1 == seen[0].1));
        assert_ne!(seen[0].1, std::thread::current().id());
        d.close();
    }

    #[test]
    fn a_job_that_hands_off_lets_later_jobs_run_while_it_waits() {
        let d = Dispatcher::default();
        let (tx, rx) = mpsc::channel::<&str>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let inner = d.clone();
        let outer_tx = tx.clone();
        d.post(move || {
            hand_off();
            // Waits for a job posted after this one: only a new thread can run it.
            let later_tx = outer_tx.clone();
            inner.post(move || {
                later_tx.send("later").unwrap();
                release_tx.send(()).unwrap();
            });
            release_rx.recv_timeout(Duration::from_secs(5)).unwrap();
            outer_tx.send("outer").unwrap();
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "later");
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "outer");
        d.close();
    }

    #[test]
    fn a_fence_waits_for_what_was_posted_before_it() {
        let d = Dispatcher::default();
        assert!(d.fence().try_recv().is_ok(), "idle: resolved at once");
        let (tx, rx) = mpsc::channel();
        d.post(move || {
            std::thread::sleep(Duration::from_millis(100));
            tx.send(()).unwrap();
        });
        let mut fence = d.fence();
        assert!(fence.try_recv().is_err(), "a job is queued or running");
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
        let started = std::time::Instant::now();
        while fence.try_recv().is_err() {
            assert!(started.elapsed() < Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(5));
        }
        d.close();
    }

    #[test]
    fn hand_off_outside_a_dispatcher_does_nothing() {
        hand_off();
    }
}
