//! Ruby code may only run on Ruby threads, so handlers are jobs: the core's handler closures
//! (on runtime threads) put them on a channel, a Ruby thread owned by the client takes them
//! with `next_job` (waiting outside the GVL) and returns answers with `answer`. Authorization's
//! callbacks are jobs too (`auth.rs`).

use mcpstream::fork::PerProcess;
use mcpstream::handlers::{Handlers, NotificationHandler, RequestHandler, SessionChangeHandler};
use mcpstream_binding_kit::answer::internal_error;
use mcpstream_binding_kit::handler_result;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// A request handler the Ruby side never answers must not hold the server's request forever.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(300);

/// `(id, kind, first, second, third)`: what the Ruby dispatcher receives.
pub type Job = (
    u64,
    &'static str,
    Option<String>,
    Option<String>,
    Option<String>,
);
/// The binding kit's JSON answer (`{"result": …}`, `{"error": …}` or `{"raised": …}`).
pub type Answer = String;

/// The way to the dispatcher thread. Per process: after `fork()` the parent's dispatcher
/// thread is gone (and may have held the receiver's lock), so a child makes its own.
type Channel = (Sender<Job>, Arc<Mutex<Receiver<Job>>>);
type Waiting = Arc<Mutex<HashMap<u64, oneshot::Sender<Answer>>>>;

pub struct Jobs {
    channel: PerProcess<Channel>,
    next_id: AtomicU64,
    waiting: PerProcess<Waiting>,
    has_session_change: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Jobs {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            channel: PerProcess::new(|| {
                let (tx, rx) = channel();
                (tx, Arc::new(Mutex::new(rx)))
            }),
            next_id: AtomicU64::new(1),
            waiting: PerProcess::new(Waiting::default),
            has_session_change: AtomicBool::new(false),
        })
    }

    fn post(
        &self,
        kind: &'static str,
        a: Option<String>,
        b: Option<String>,
        c: Option<String>,
    ) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let _ = self.channel.get().0.send((id, kind, a, b, c));
        id
    }

    /// The next job, if one arrives within `wait`.
    pub fn take(&self, wait: Duration) -> Option<Job> {
        let receiver = self.channel.get().1;
        let job = lock(&receiver).recv_timeout(wait).ok();
        job
    }

    pub fn answer(&self, id: u64, answer: Answer) {
        if let Some(waiting) = lock(&self.waiting.get()).remove(&id) {
            let _ = waiting.send(answer);
        }
    }

    /// Posts a job that wants an answer and waits for it: `None` when none came within
    /// `limit` (`None`: no limit of its own) or the dispatcher dropped it. A wait that is
    /// dropped (its call cancelled or timed out) forgets the job, so a late answer is ignored.
    pub async fn ask(
        self: &Arc<Self>,
        kind: &'static str,
        fields: (Option<String>, Option<String>, Option<String>),
        limit: Option<Duration>,
    ) -> Option<Answer> {
        struct Forget(Waiting, u64);
        impl Drop for Forget {
            fn drop(&mut self) {
                lock(&self.0).remove(&self.1);
            }
        }
        let (tx, rx) = oneshot::channel();
        let waiting = self.waiting.get();
        let id = {
            let mut waiting = lock(&waiting);
            let (a, b, c) = fields;
            let id = self.post(kind, a, b, c);
            waiting.insert(id, tx);
            id
        };
        let _forget = Forget(waiting, id);
        match limit {
            Some(limit) => tokio::time::timeout(limit, rx).await.ok()?.ok(),
            None => rx.await.ok(),
        }
    }

    fn request_handler(self: &Arc<Self>, kind: &'static str) -> RequestHandler {
        let jobs = self.clone();
        Arc::new(move |params: Option<Value>| {
            let jobs = jobs.clone();
            Box::pin(async move {
                let fields = (params.map(|p| p.to_string()), None, None);
                match jobs.ask(kind, fields, Some(ANSWER_TIMEOUT)).await {
                    Some(answer) => handler_result(kind, &answer),
                    None => Err(internal_error(format!(
                        "the Ruby {kind} handler did not answer"
                    ))),
                }
            })
        })
    }

    /// Core handlers for the kinds that have a Ruby block.
    pub fn handlers(self: &Arc<Self>, kinds: &[String]) -> Handlers {
        let has = |k: &str| kinds.iter().any(|x| x == k);
        self.has_session_change
            .store(has("session_change"), Ordering::Relaxed);
        let notification: Option<NotificationHandler> = has("notification").then(|| {
            let jobs = self.clone();
            Arc::new(move |method: &str, params: Option<&Value>| {
                jobs.post(
                    "notification",
                    Some(method.to_owned()),
                    params.map(Value::to_string),
                    None,
                );
            }) as NotificationHandler
        });
        let session_change: Option<SessionChangeHandler> = has("session_change").then(|| {
            let jobs = self.clone();
            Arc::new(move |c: &mcpstream::SessionChange| {
                jobs.post(
                    "session_change",
                    c.old_session_id.clone(),
                    c.new_session_id.clone(),
                    Some(c.reason.as_str().into()),
                );
            }) as SessionChangeHandler
        });
        Handlers {
            sampling: has("sampling").then(|| self.request_handler("sampling")),
            elicitation: has("elicitation").then(|| self.request_handler("elicitation")),
            roots: has("roots").then(|| self.request_handler("roots")),
            notification,
            session_change,
        }
    }

    /// Resolves once the dispatcher has taken every job posted before it (bounded, so a
    /// client whose dispatcher is gone does not hang). At once without a session-change block,
    /// the only job a call waits for.
    pub async fn fence(self: &Arc<Self>, limit: Duration) {
        if !self.has_session_change.load(Ordering::Relaxed) {
            return;
        }
        self.ask("fence", (None, None, None), Some(limit)).await;
    }
}
