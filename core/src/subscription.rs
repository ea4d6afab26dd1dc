//! `subscriptions/listen` (E18, E19): the modern era's way to hear about changes. One POST
//! whose SSE answer stays open: the server acknowledges the filter it honours, then sends the
//! notifications asked for, each tagged with the subscription's id. Every notification also
//! reaches the client's notification handler. A stream that drops is listened to again with
//! backoff; nothing is replayed, so the application is told and should re-read what it shows.

use crate::client::Client;
use crate::era::Era;
use crate::error::{Error, Result};
use crate::fork::ProcessBound;
use crate::jsonrpc::{self, Incoming, RequestId};
use crate::modern::{self, Envelope, META_SUBSCRIPTION_ID};
use crate::options::ReconnectPolicy;
use crate::runtime::spawn_detached;
use crate::stream::{MessageStream, Next};
use crate::transport::Reply;
use bytes::Bytes;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

const ACKNOWLEDGED: &str = "notifications/subscriptions/acknowledged";

/// What `subscriptions/listen` asks to hear about (a `SubscriptionFilter`). Field names are
/// the bindings' keyword arguments; `to_value` writes the wire names, leaving out what is off.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionFilter {
    #[serde(default)]
    pub tools_list_changed: Option<bool>,
    #[serde(default)]
    pub prompts_list_changed: Option<bool>,
    #[serde(default)]
    pub resources_list_changed: Option<bool>,
    /// URIs whose `notifications/resources/updated` the client wants.
    #[serde(default)]
    pub resource_subscriptions: Option<Vec<String>>,
}

impl SubscriptionFilter {
    pub fn to_value(&self) -> Value {
        let mut filter = serde_json::Map::new();
        let flags = [
            ("toolsListChanged", self.tools_list_changed),
            ("promptsListChanged", self.prompts_list_changed),
            ("resourcesListChanged", self.resources_list_changed),
        ];
        for (name, on) in flags {
            if on == Some(true) {
                filter.insert(name.into(), Value::Bool(true));
            }
        }
        if let Some(uris) = &self.resource_subscriptions {
            filter.insert("resourceSubscriptions".into(), json!(uris));
        }
        Value::Object(filter)
    }
}

/// What a subscription reports, in order.
#[derive(Debug, Clone)]
pub enum SubscriptionEvent {
    /// A notification the filter asked for (`notifications/tools/list_changed`,
    /// `notifications/resources/updated`, …), with its params.
    Notification { method: String, params: Value },
    /// The stream dropped and the client listened again (after this many attempts). Nothing
    /// sent in between was replayed: re-read whatever the subscription was about.
    Relistened { attempts: u32, acknowledged: Value },
    /// The subscription is over: ended by the server (`error: None`), given up, or made
    /// before `fork()` and read in the child ([`SubscriptionEvent::made_before_fork`]).
    Ended { error: Option<Error> },
}

/// An open `subscriptions/listen`. Dropping it (or `close()`) closes the stream, which is how
/// a client ends a subscription.
///
/// A subscription stays with the process that listened: after `fork()` the stream and the
/// task reading it are the parent's, which keeps receiving. In the child its first event is
/// `Ended` with an [`Error::InvalidArgument`] that says so (then `None`), at once, and dropping
/// it there leaves the parent's stream alone; listen again in the child to hear from the
/// server there.
#[derive(Debug)]
pub struct Subscription {
    acknowledged: Value,
    feed: ProcessBound<Feed>,
    /// In a forked child: the `Ended` event was returned.
    told_forked: bool,
}

/// The events, and the task that reads the stream and sends them.
#[derive(Debug)]
struct Feed {
    events: mpsc::UnboundedReceiver<SubscriptionEvent>,
    task: AbortHandle,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Subscription {
    /// The part of the filter the server honours (it may narrow what was asked).
    pub fn acknowledged(&self) -> &Value {
        &self.acknowledged
    }

    /// The next event; `None` after `Ended` was returned (or once closed).
    pub async fn next_event(&mut self) -> Option<SubscriptionEvent> {
        match self.feed.get_mut() {
            Some(feed) => feed.events.recv().await,
            None => self.forked_end(),
        }
    }

    /// The next event if one is waiting, without waiting.
    pub fn try_next_event(&mut self) -> Option<SubscriptionEvent> {
        match self.feed.get_mut() {
            Some(feed) => feed.events.try_recv().ok(),
            None => self.forked_end(),
        }
    }

    pub fn close(self) {}

    /// In a forked child no task feeds the events (it was the parent's): waiting would never
    /// end, so the subscription ends here, once.
    fn forked_end(&mut self) -> Option<SubscriptionEvent> {
        if std::mem::replace(&mut self.told_forked, true) {
            return None;
        }
        Some(SubscriptionEvent::made_before_fork())
    }
}

impl SubscriptionEvent {
    /// How a subscription made before `fork()` ends in the child.
    pub fn made_before_fork() -> Self {
        Self::Ended {
            error: Some(Error::invalid_argument(
                "this subscription was made before fork() and stays with the parent process; listen again in this process",
            )),
        }
    }
}

impl Client {
    /// Opens `subscriptions/listen` with a `SubscriptionFilter`, e.g.
    /// `{"toolsListChanged": true, "resourceSubscriptions": ["file:///a"]}`, and returns once
    /// the server acknowledged it. Modern era only: in the session era the standalone GET
    /// stream carries the server's notifications to the notification handler.
    pub async fn listen(&self, filter: Value) -> Result<Subscription> {
        if self.era().is_none() {
            return Err(Error::NotConnected);
        }
        if self.era() != Some(Era::Modern) {
            return Err(Error::invalid_argument(
                "subscriptions/listen needs a connection in the modern era (2026-07-28); in the session era notifications come on the standalone stream",
            ));
        }
        if !filter.is_object() {
            return Err(Error::invalid_argument(
                "the subscription filter must be an object",
            ));
        }
        let (stream, acknowledged) = self.open_listen(&filter).await?;
        let (tx, events) = mpsc::unbounded_channel();
        let client = self.downgrade();
        let policy = self.inner.options.reconnect;
        let task = spawn_detached(async move {
            follow(client, filter, stream, policy, tx).await;
        });
        Ok(Subscription {
            acknowledged,
            feed: ProcessBound::new(Feed { events, task }),
            told_forked: false,
        })
    }

    /// POSTs the listen request and reads up to its acknowledgement.
    async fn open_listen(&self, filter: &Value) -> Result<(Listening, Value)> {
        let Some(session) = self.session().filter(|s| s.era == Era::Modern) else {
            return Err(Error::invalid_argument(
                "the client is no longer connected in the modern era",
            ));
        };
        let id = self.next_id();
        let envelope = Envelope {
            version: &session.protocol_version,
            capabilities: &self.inner.capabilities,
            client_info: &self.inner.options.client_info,
            log_level: None,
        };
        let params = envelope.wrap(Some(json!({ "notifications": filter })));
        let headers = modern::standard_headers("subscriptions/listen", &params)?;
        let body = Bytes::from(jsonrpc::request_body(
            &id,
            "subscriptions/listen",
            Some(params),
        ));
        let limit = self.inner.options.timeout;
        let opening = async {
            let transport = &self.inner.transport;
            let (_, reply) = transport
                .post_request(&id, body, Some(&session), &headers)
                .await?;
            let Reply::Stream(stream) = reply else {
                return Err(Error::protocol(
                    "the server answered subscriptions/listen without a stream (it ended the subscription at once)",
                ));
            };
            let mut stream = *stream;
            loop {
                match stream.next().await? {
                    Next::Message(Incoming::Notification { method, params })
                        if method == ACKNOWLEDGED =>
                    {
                        let honoured = params
                            .as_ref()
                            .and_then(|p| p.get("notifications"))
                            .cloned()
                            .unwrap_or_else(|| json!({}));
                        return Ok((
                            Listening {
                                id: id.clone(),
                                stream,
                            },
                            honoured,
                        ));
                    }
                    Next::Message(message) if jsonrpc::answers(&message, &id) => {
                        message.into_result()?;
                        return Err(Error::protocol(
                            "the server ended the subscription before acknowledging it",
                        ));
                    }
                    Next::Message(_) => continue,
                    Next::Ended => {
                        return Err(Error::protocol(
                            "the subscription stream ended before it was acknowledged",
                        ))
                    }
                }
            }
        };
        tokio::time::timeout(limit, opening)
            .await
            .unwrap_or(Err(Error::Timeout { after: limit }))
    }
}

/// An acknowledged listen stream and the request id that names the subscription.
struct Listening {
    id: RequestId,
    stream: MessageStream,
}

/// Reads a subscription until it ends, listening again when the stream drops.
async fn follow(
    client: std::sync::Weak<crate::client::Inner>,
    filter: Value,
    mut listening: Listening,
    policy: ReconnectPolicy,
    tx: mpsc::UnboundedSender<SubscriptionEvent>,
) {
    loop {
        let ended = read_until_end(&client, &mut listening, &tx).await;
        let outcome = match ended {
            StreamEnd::Over(error) => {
                let _ = tx.send(SubscriptionEvent::Ended { error });
                return;
            }
            StreamEnd::Dropped => relisten(&client, &filter, policy).await,
        };
        match outcome {
            Ok((next, attempts, acknowledged)) => {
                listening = next;
                let _ = tx.send(SubscriptionEvent::Relistened {
                    attempts,
                    acknowledged,
                });
            }
            Err(error) => {
                let _ = tx.send(SubscriptionEvent::Ended { error: Some(error) });
                return;
            }
        }
    }
}

enum StreamEnd {
    /// Ended by the server (`None`) or by an error it sent.
    Over(Option<Error>),
    /// The connection went away without a response: listen again.
    Dropped,
}

async fn read_until_end(
    client: &std::sync::Weak<crate::client::Inner>,
    listening: &mut Listening,
    tx: &mpsc::UnboundedSender<SubscriptionEvent>,
) -> StreamEnd {
    loop {
        let message = match listening.stream.next().await {
            Ok(Next::Message(m)) => m,
            Ok(Next::Ended) => return StreamEnd::Dropped,
            Err(e) => return StreamEnd::Over(Some(e)),
        };
        if jsonrpc::answers(&message, &listening.id) {
            // E19: a result for the listen request is the server's graceful end.
            return StreamEnd::Over(message.into_result().err());
        }
        let Incoming::Notification { method, params } = message else {
            continue;
        };
        let params = params.unwrap_or_else(|| json!({}));
        if method == "notifications/cancelled"
            && params.get("requestId") == Some(&listening.id.to_value())
        {
            return StreamEnd::Over(None);
        }
        let tagged = params.pointer(&format!(
            "/_meta/{}",
            META_SUBSCRIPTION_ID.replace('/', "~1")
        ));
        if tagged.is_some_and(|t| *t != listening.id.to_value()) {
            continue;
        }
        if let Some(client) = Client::upgrade(client) {
            client.dispatch(Incoming::Notification {
                method: method.clone(),
                params: Some(params.clone()),
            });
        }
        if tx
            .send(SubscriptionEvent::Notification { method, params })
            .is_err()
        {
            return StreamEnd::Over(None);
        }
    }
}

async fn relisten(
    client: &std::sync::Weak<crate::client::Inner>,
    filter: &Value,
    policy: ReconnectPolicy,
) -> Result<(Listening, u32, Value)> {
    let started = tokio::time::Instant::now();
    let mut delay = policy.default_retry;
    let mut last_error = None;
    for attempt in 1..=policy.max_attempts {
        tokio::time::sleep(delay).await;
        let Some(client) = Client::upgrade(client) else {
            return Err(Error::protocol("the client was dropped"));
        };
        match client.open_listen(filter).await {
            Ok((listening, acknowledged)) => return Ok((listening, attempt, acknowledged)),
            Err(e @ (Error::Transport { .. } | Error::Timeout { .. })) => last_error = Some(e),
            Err(e) => return Err(e),
        }
        if started.elapsed() >= policy.max_total {
            break;
        }
        delay = (delay * 2)
            .min(policy.max_delay)
            .max(Duration::from_millis(1));
    }
    let why = last_error.map_or_else(String::new, |e| format!(": {e}"));
    Err(Error::protocol(format!(
        "gave up listening again after the subscription stream dropped{why}"
    )))
}
