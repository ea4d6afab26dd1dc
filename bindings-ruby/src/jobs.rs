//! Ruby code may only run on Ruby threads, so handlers are jobs: the core's handler closures
//! (on runtime threads) put them on a channel, a Ruby thread owned by the client takes them
//! with `next_job` (waiting outside the GVL) and returns answers with `answer`.

use mcpstream::handlers::{
    Handlers, NotificationHandler, ProgressHandler, RequestHandler, SessionChangeHandler,
};
use mcpstream::ops::{handler_result, internal_error, HandlerAnswer};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
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
pub type Answer = HandlerAnswer;

pub struct Jobs {
    tx: Sender<Job>,
    rx: Mutex<Receiver<Job>>,
    next_id: AtomicU64,
    waiting: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
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
                    Ok(Ok(answer)) => handler_result(answer),
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

    /// Marks the end of a call's progress: posted after its last progress job, so the Ruby
    /// side knows every callback for the call has been delivered.
    pub fn end_progress(&self, block_id: u64) {
        self.post("progress_end", Some(block_id.to_string()), None, None);
    }

    /// A progress callback that posts jobs naming the Ruby block registered under `block_id`.
    pub fn progress(self: &Arc<Self>, block_id: u64) -> ProgressHandler {
        let jobs = self.clone();
        Arc::new(move |params: &Value| {
            jobs.post(
                "progress",
                Some(block_id.to_string()),
                Some(params.to_string()),
                None,
            );
        })
    }
}
