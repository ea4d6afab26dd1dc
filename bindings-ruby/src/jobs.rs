//! Ruby code may only run on Ruby threads, so handlers are jobs: the core's handler closures
//! (on runtime threads) put them on a channel, a Ruby thread owned by the client takes them
//! with `next_job` (waiting outside the GVL) and returns answers with `answer`.

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
/// A call waits at most this long for its session-change block to have run.
const FENCE_TIMEOUT: Duration = Duration::from_secs(5);

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

pub struct Jobs {
    tx: Sender<Job>,
    rx: Mutex<Receiver<Job>>,
    next_id: AtomicU64,
    waiting: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
    has_session_change: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Jobs {
    pub fn new() -> Arc<Self> {
        let (tx, rx) = channel();
        Arc::new(Self {
            tx,
            rx: Mutex::new(rx),
            next_id: AtomicU64::new(1),
            waiting: Mutex::default(),
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
        let _ = self.tx.send((id, kind, a, b, c));
        id
    }

    /// The next job, if one arrives within `wait`.
    pub fn take(&self, wait: Duration) -> Option<Job> {
        lock(&self.rx).recv_timeout(wait).ok()
    }

    pub fn answer(&self, id: u64, answer: Answer) {
        if let Some(waiting) = lock(&self.waiting).remove(&id) {
            let _ = waiting.send(answer);
        }
    }

    fn request_handler(self: &Arc<Self>, kind: &'static str) -> RequestHandler {
        let jobs = self.clone();
        Arc::new(move |params: Option<Value>| {
            let jobs = jobs.clone();
            Box::pin(async move {
                let (tx, rx) = oneshot::channel();
                let id = {
                    let mut waiting = lock(&jobs.waiting);
                    let id = jobs.post(kind, params.map(|p| p.to_string()), None, None);
                    waiting.insert(id, tx);
                    id
                };
                let answer = tokio::time::timeout(ANSWER_TIMEOUT, rx).await;
                lock(&jobs.waiting).remove(&id);
                match answer {
                    Ok(Ok(answer)) => handler_result(kind, &answer),
                    Ok(Err(_)) | Err(_) => Err(internal_error(format!(
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
    pub async fn fence(self: &Arc<Self>) {
        if !self.has_session_change.load(Ordering::Relaxed) {
            return;
        }
        let (tx, rx) = oneshot::channel();
        {
            let mut waiting = lock(&self.waiting);
            let id = self.post("fence", None, None, None);
            waiting.insert(id, tx);
        }
        let _ = tokio::time::timeout(FENCE_TIMEOUT, rx).await;
    }
}
