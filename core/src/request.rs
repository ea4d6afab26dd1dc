//! One request from start to finish: progress token and listener, the deadline (optionally
//! reset by progress, always under a hard maximum), `notifications/cancelled` when the request
//! is abandoned, resuming a broken SSE stream, and the session-expiry policy.

use crate::client::{lock, Client};
use crate::era::Era;
use crate::error::{Error, Result};
use crate::handlers::ProgressHandler;
use crate::jsonrpc::{self, answers, Incoming, RequestId};
use crate::options::{RequestOptions, SessionExpiryPolicy};
use crate::runtime::spawn_detached;
use crate::session::Session;
use crate::stream::{MessageStream, Next, Resumption};
use crate::transport::Reply;
use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Where a request's progress notifications go. Cloned out of the table before delivery, so
/// no lock is held while the handler runs.
#[derive(Clone)]
pub(crate) struct ProgressSink {
    handler: Option<ProgressHandler>,
    /// Woken on each progress notification when progress resets the timeout.
    bump: Option<Arc<Notify>>,
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

impl ProgressSink {
    pub fn deliver(&self, params: &Value) {
        if let Some(handler) = &self.handler {
            crate::handlers::shielded("progress callback", || handler(params));
        }
        if let Some(bump) = &self.bump {
            bump.notify_one();
        }
    }
}

/// What one send of a request came to.
pub(crate) struct Attempt {
    /// The session it was sent with.
    pub session: Option<Arc<Session>>,
    pub outcome: Result<Value>,
    /// The server took the request (its answer stream began), so it may have run it even if
    /// the outcome is an error.
    pub delivered: bool,
}

/// What to do when a response stream ends before its response.
#[derive(Clone, Copy)]
pub(crate) enum OnBreak<'a> {
    /// Fail the request (`initialize`, and every modern-era request: their streams are
    /// never resumed).
    Fail,
    /// Resume with GET + `Last-Event-ID`, carrying this session.
    Resume(Option<&'a Session>),
}

impl<'a> OnBreak<'a> {
    fn for_session(session: Option<&'a Session>) -> Self {
        match session {
            Some(s) if !s.resumes_streams() => Self::Fail,
            _ => Self::Resume(session),
        }
    }
}

/// Removes a request's progress listener when the request ends, however it ends.
struct ProgressRegistration<'a> {
    client: &'a Client,
    token: String,
}

impl Drop for ProgressRegistration<'_> {
    fn drop(&mut self) {
        lock(&self.client.inner.progress).remove(&self.token);
    }
}

/// Sends `notifications/cancelled` if the request is abandoned: on timeout, or when the
/// caller drops the future. Disarmed once the request has an outcome of its own.
struct CancelOnDrop {
    client: Client,
    id: RequestId,
    reason: &'static str,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let client = self.client.clone();
        let params = json!({"requestId": self.id.to_value(), "reason": self.reason});
        spawn_detached(async move {
            let body = Bytes::from(jsonrpc::notification_body(
                "notifications/cancelled",
                Some(params),
            ));
            let _ = client.post_message(body).await;
        });
    }
}

/// The key a progress token is filed under: its JSON text, so 5 and "5" stay distinct.
pub(crate) fn token_key(token: &Value) -> String {
    token.to_string()
}

impl Client {
    /// [`Client::request_with`]: the request, then the session-expiry policy.
    pub(crate) async fn send_request(
        &self,
        method: &str,
        params: Option<Value>,
        opts: RequestOptions,
    ) -> Result<Value> {
        let params = with_meta(params, opts.meta.as_ref());
        let current = self.session_for_call().await?;
        log::debug!("{method} ({})", crate::session::shown(&current));
        if current.era == Era::Modern {
            let outcome = self
                .send_stateless(current, method, params.as_ref(), &opts)
                .await;
            match &outcome {
                Ok(_) => self.verdict_proven(),
                Err(e) => {
                    if self.reconnect_if_disproved(e).await? {
                        return Box::pin(self.send_request(method, params, opts)).await;
                    }
                }
            }
            return outcome;
        }
        let id = self.next_id();
        let wants_progress = opts.on_progress.is_some() || opts.reset_timeout_on_progress;
        let params = if wants_progress {
            Some(with_progress_token(params, &id))
        } else {
            params
        };
        let body = Bytes::from(jsonrpc::request_body(&id, method, params));
        let first = self
            .attempt(Some(current), &id, body.clone(), &[], &opts)
            .await;
        let Err(Error::SessionExpired { session_id, status }) = first.outcome else {
            return first.outcome;
        };
        let expired_error = Error::SessionExpired { session_id, status };
        let Some(expired) = first.session else {
            return Err(expired_error);
        };
        match self.inner.options.on_session_expired {
            SessionExpiryPolicy::Raise => Err(expired_error),
            SessionExpiryPolicy::ReinitializeAndRetry if !first.delivered => {
                self.reinitialize(&expired).await?;
                // At most once: a second expiry reaches the caller.
                self.attempt(self.session(), &id, body, &[], &opts)
                    .await
                    .outcome
            }
            // The server had taken the request (its stream began) before it forgot the
            // session, so it may have run: sending it again could run a tool twice.
            SessionExpiryPolicy::Reinitialize | SessionExpiryPolicy::ReinitializeAndRetry => {
                let _ = self.reinitialize(&expired).await;
                Err(expired_error)
            }
        }
    }

    /// One send of the request under its deadline, with `session`'s headers and `extra` ones.
    pub(crate) async fn attempt(
        &self,
        session: Option<Arc<Session>>,
        id: &RequestId,
        body: Bytes,
        extra: &[(HeaderName, HeaderValue)],
        opts: &RequestOptions,
    ) -> Attempt {
        let bump = opts
            .reset_timeout_on_progress
            .then(|| Arc::new(Notify::new()));
        let _progress = (opts.on_progress.is_some() || bump.is_some()).then(|| {
            let token = token_key(&id.to_value());
            let sink = ProgressSink {
                handler: opts.on_progress.clone(),
                bump: bump.clone(),
            };
            lock(&self.inner.progress).insert(token.clone(), sink);
            ProgressRegistration {
                client: self,
                token,
            }
        });
        let mut cancel = CancelOnDrop {
            client: self.clone(),
            id: id.clone(),
            reason: "the client abandoned the request",
            armed: session.as_ref().is_none_or(|s| s.cancels_by_notification()),
        };
        let timeout = opts.timeout.unwrap_or(self.inner.options.timeout);
        let delivered = AtomicBool::new(false);
        let exchange = self.exchange(id, body, session.as_deref(), extra, &delivered);
        let outcome = self.within_deadline(exchange, timeout, bump).await;
        match &outcome {
            Err(Error::Timeout { .. }) => cancel.reason = "the request timed out",
            _ => cancel.armed = false,
        }
        // In the modern era the exchange, dropped unfinished above, was the cancellation.
        drop(cancel);
        if let (Err(Error::SessionExpired { .. }), Some(s)) = (&outcome, &session) {
            self.expired(s);
        }
        Attempt {
            session,
            outcome,
            delivered: delivered.into_inner(),
        }
    }

    /// `work`, or `Error::Timeout` once `timeout` has passed (time the user spent
    /// authorizing meanwhile not counted).
    pub(crate) async fn within<T>(
        &self,
        timeout: Duration,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        self.within_deadline(work, timeout, None).await
    }

    async fn within_deadline<T>(
        &self,
        work: impl std::future::Future<Output = Result<T>>,
        timeout: Duration,
        bump: Option<Arc<Notify>>,
    ) -> Result<T> {
        let start = Instant::now();
        let mut hard = start + self.inner.options.max_request_time.max(timeout);
        let mut deadline = start + timeout;
        let auth = self.inner.transport.authorizer();
        let mut paused = auth.map(|a| a.time_with_user());
        tokio::pin!(work);
        loop {
            let progressed = async {
                match &bump {
                    Some(n) => n.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                outcome = &mut work => return outcome,
                _ = tokio::time::sleep_until(deadline) => {
                    if let (Some(auth), Some(mark)) = (auth, paused) {
                        // The work goes on meanwhile: it may be what is waiting for the user.
                        let extra = tokio::select! {
                            outcome = &mut work => return outcome,
                            extra = auth.time_with_user_since(mark) => extra,
                        };
                        if !extra.is_zero() {
                            paused = Some(mark + extra);
                            deadline += extra;
                            hard += extra;
                            continue;
                        }
                    }
                    let after = if deadline == hard { hard - start } else { timeout };
                    return Err(Error::Timeout { after });
                }
                _ = progressed => deadline = (Instant::now() + timeout).min(hard),
            }
        }
    }

    async fn exchange(
        &self,
        id: &RequestId,
        body: Bytes,
        session: Option<&Session>,
        extra: &[(HeaderName, HeaderValue)],
        delivered: &AtomicBool,
    ) -> Result<Value> {
        let transport = &self.inner.transport;
        let (_, reply) = transport.post_request(id, body, session, extra).await?;
        match reply {
            Reply::Json(message) => message.into_result(),
            Reply::Stream(stream) => {
                delivered.store(true, Ordering::Relaxed);
                self.await_response(id, *stream, OnBreak::for_session(session))
                    .await?
                    .into_result()
            }
        }
    }

    /// Reads a request's SSE stream until its response, dispatching everything else. A stream
    /// that ends early is resumed with GET + `Last-Event-ID` (the server replays what was lost)
    /// within the reconnect policy's bounds, unless `on_break` says it must not be.
    pub(crate) async fn await_response(
        &self,
        id: &RequestId,
        mut stream: MessageStream,
        on_break: OnBreak<'_>,
    ) -> Result<Incoming> {
        let mut resumption = Resumption::new(self.inner.options.reconnect);
        loop {
            match stream.next().await? {
                Next::Message(m) if answers(&m, id) => {
                    stream.finish().await;
                    return Ok(m);
                }
                Next::Message(m) => {
                    resumption.made_progress();
                    self.dispatch(m);
                }
                Next::Ended => {
                    let OnBreak::Resume(session) = on_break else {
                        return Err(Error::protocol(format!(
                            "the SSE stream ended before the response to request {id}"
                        )));
                    };
                    resumption.note_end(&stream);
                    let Some(last) = resumption.last_event_id.clone() else {
                        return Err(Error::protocol(format!(
                            "the SSE stream ended before the response to request {id} and gave no event id to resume from"
                        )));
                    };
                    stream = self.reopen(id, &mut resumption, session, &last).await?;
                }
            }
        }
    }

    async fn reopen(
        &self,
        id: &RequestId,
        resumption: &mut Resumption,
        session: Option<&Session>,
        last: &str,
    ) -> Result<MessageStream> {
        let what = format!("the stream of request {id}");
        loop {
            tokio::time::sleep(resumption.next_delay(&what)?).await;
            match self
                .inner
                .transport
                .open_event_stream(session, Some(last))
                .await
            {
                Ok(Some(stream)) => return Ok(stream),
                Ok(None) => {
                    return Err(Error::protocol(format!(
                        "{what} broke and the server cannot resume it (GET answered 405)"
                    )))
                }
                // The server may be restarting: connection failures count as attempts.
                Err(Error::Transport { .. } | Error::Timeout { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Adds the caller's `_meta` entries to the params (a caller's own `_meta` in `params` keeps
/// its entries; `extra` wins over them).
fn with_meta(params: Option<Value>, extra: Option<&Map<String, Value>>) -> Option<Value> {
    let Some(extra) = extra.filter(|e| !e.is_empty()) else {
        return params;
    };
    let mut params = match params {
        Some(Value::Object(map)) => map,
        None => Map::new(),
        Some(other) => return Some(other),
    };
    let meta = params.entry("_meta").or_insert_with(|| json!({}));
    if let Value::Object(meta) = meta {
        meta.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Some(Value::Object(params))
}

/// Adds `_meta.progressToken` (the request id) to the params, keeping any other `_meta`.
pub(crate) fn with_progress_token(params: Option<Value>, id: &RequestId) -> Value {
    let mut params = match params {
        Some(Value::Object(map)) => Value::Object(map),
        _ => json!({}),
    };
    let meta = params
        .as_object_mut()
        .expect("made an object above")
        .entry("_meta")
        .or_insert_with(|| json!({}));
    if let Value::Object(meta) = meta {
        meta.insert("progressToken".into(), id.to_value());
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_meta_goes_beside_the_params_own() {
        let extra: Map<String, Value> =
            serde_json::from_value(json!({"traceparent": "00-a-b-01"})).unwrap();
        assert_eq!(
            with_meta(Some(json!({"name": "x", "_meta": {"k": 1}})), Some(&extra)),
            Some(json!({"name": "x", "_meta": {"k": 1, "traceparent": "00-a-b-01"}}))
        );
        assert_eq!(
            with_meta(None, Some(&extra)),
            Some(json!({"_meta": {"traceparent": "00-a-b-01"}}))
        );
        assert_eq!(with_meta(None, Some(&Map::new())), None);
    }

    #[test]
    fn progress_token_is_added_beside_existing_meta() {
        let p = with_progress_token(
            Some(json!({"name": "x", "_meta": {"trace": 1}})),
            &RequestId::Number(7),
        );
        assert_eq!(
            p,
            json!({"name": "x", "_meta": {"trace": 1, "progressToken": 7}})
        );
        assert_eq!(
            with_progress_token(None, &RequestId::Number(1)),
            json!({"_meta": {"progressToken": 1}})
        );
    }

    #[test]
    fn token_keys_keep_numbers_and_strings_apart() {
        assert_ne!(token_key(&json!(5)), token_key(&json!("5")));
    }
}
