//! Subscriptions as the bindings hand them over: the filter under the user's keyword names,
//! each event as JSON, and a subscription that a waiting thread may give up on (Ctrl-C, a
//! timeout, a cancelled coroutine) without losing it, and that any thread may close.

use crate::errors::{describe, ErrorClass, ErrorFacts, BASE_CLASS};
use crate::operation::describe_serde_error;
use mcpstream::fork::{self, ProcessBound};
use mcpstream::{Error, Subscription, SubscriptionEvent, SubscriptionFilter};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex};

/// `listen`'s keyword arguments (the core's `SubscriptionFilter`, read under the names the
/// user wrote), as the JSON filter `Client::listen` sends. A mistyped or unknown argument is
/// named, as for operations.
pub struct ListenFilter;

impl ListenFilter {
    pub fn from_json(text: &str) -> Result<Value, Error> {
        let reader = &mut serde_json::Deserializer::from_str(text);
        let filter: SubscriptionFilter = serde_path_to_error::deserialize(reader).map_err(|e| {
            let path = e.path().to_string();
            let message = describe_serde_error(e.inner());
            Error::InvalidArgument {
                message: if path == "." {
                    format!("listen: {message}")
                } else {
                    format!("listen: {path}: {message}")
                },
            }
        })?;
        Ok(filter.to_value())
    }
}

/// An event as JSON, `{"type": "notification" | "relistened" | "ended", ...}` with the fields
/// of its kind, and the error that ended the subscription, if any. That error is always one
/// of the mcpstream classes: the caller passed nothing wrong when a subscription ends (an
/// `InvalidArgument` there means the client was closed meanwhile), so `ValueError` or
/// `ArgumentError` would send them looking in the wrong place.
pub fn event_json(event: SubscriptionEvent) -> (Value, Option<ErrorFacts>) {
    match event {
        SubscriptionEvent::Notification { method, params } => (
            json!({"type": "notification", "method": method, "params": params}),
            None,
        ),
        SubscriptionEvent::Relistened {
            attempts,
            acknowledged,
        } => (
            json!({"type": "relistened", "attempts": attempts, "acknowledged": acknowledged}),
            None,
        ),
        SubscriptionEvent::Ended { error } => {
            let facts = error.as_ref().map(describe).map(|mut facts| {
                if facts.class == ErrorClass::Argument {
                    facts.class = ErrorClass::Named(BASE_CLASS);
                }
                facts
            });
            (json!({"type": "ended"}), facts)
        }
    }
}

/// A subscription shared between the binding's object and the runtime tasks waiting on it.
/// A wait holds the subscription only while it runs, and receiving is cancel-safe, so a wait
/// dropped halfway (interrupted, timed out) loses no event and leaves the stream open.
///
/// After `fork()` it stays with the parent: in the child the first wait returns the core's
/// `SubscriptionEvent::made_before_fork` at once, later ones `None`. Nothing of the parent's is
/// touched there: a parent thread waiting at fork time holds `events` for ever in the child.
#[derive(Debug)]
pub struct SharedSubscription {
    acknowledged: Value,
    state: ProcessBound<State>,
    /// The last process (fork generation) told that the subscription is the parent's, or that
    /// closed it: later waits there return `None`.
    done_in: AtomicU64,
}

#[derive(Debug)]
struct State {
    /// `None` once closed or ended: later waits return at once.
    events: Mutex<Option<Subscription>>,
    closed: watch::Sender<bool>,
}

impl SharedSubscription {
    pub fn new(subscription: Subscription) -> Arc<Self> {
        Arc::new(Self {
            acknowledged: subscription.acknowledged().clone(),
            state: ProcessBound::new(State {
                events: Mutex::new(Some(subscription)),
                closed: watch::channel(false).0,
            }),
            done_in: AtomicU64::new(u64::MAX),
        })
    }

    /// The filter the server honours.
    pub fn acknowledged(&self) -> &Value {
        &self.acknowledged
    }

    /// The next event, waiting at most `limit` (`None`: as long as it takes). `None` when
    /// nothing came in time, after the `ended` event, or once closed.
    pub async fn next_event(&self, limit: Option<Duration>) -> Option<SubscriptionEvent> {
        let Some(state) = self.state.get() else {
            let now = fork::generation();
            let told = self.done_in.swap(now, Ordering::AcqRel) == now;
            return (!told).then(SubscriptionEvent::made_before_fork);
        };
        let mut closed = state.closed.subscribe();
        let waiting = async {
            let mut held = state.events.lock().await;
            let event = held.as_mut()?.next_event().await;
            if matches!(event, None | Some(SubscriptionEvent::Ended { .. })) {
                held.take();
            }
            event
        };
        let bounded = async {
            match limit {
                Some(limit) => tokio::time::timeout(limit, waiting).await.ok().flatten(),
                None => waiting.await,
            }
        };
        tokio::select! {
            event = bounded => event,
            // A close from another thread must not wait for an event that may never come.
            _ = closed.wait_for(|closed| *closed) => None,
        }
    }

    /// Ends the subscription (closing its stream, which is how a client ends one) without
    /// blocking: a wait in progress returns `None` and lets go of it.
    pub fn close(self: &Arc<Self>) {
        let Some(state) = self.state.get() else {
            // The stream is the parent's to close.
            self.done_in.store(fork::generation(), Ordering::Release);
            return;
        };
        state.closed.send_replace(true);
        if let Ok(mut held) = state.events.try_lock() {
            held.take();
            return;
        }
        let this = Arc::clone(self);
        mcpstream::runtime::shared().spawn(async move {
            if let Some(state) = this.state.get() {
                state.events.lock().await.take();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::Field;
    use mcpstream::{Client, ClientOptions, EraChoice};
    use mcpstream_testkit::{Config, ServerEra, TestServer};

    #[test]
    fn filters_are_read_by_the_users_names() {
        let filter = ListenFilter::from_json(
            r#"{"tools_list_changed": true, "prompts_list_changed": false,
                "resources_list_changed": null, "resource_subscriptions": ["mem://a"]}"#,
        )
        .unwrap();
        assert_eq!(
            filter,
            json!({"toolsListChanged": true, "resourceSubscriptions": ["mem://a"]})
        );
        assert_eq!(ListenFilter::from_json("{}").unwrap(), json!({}));
        let refused = |text: &str| match ListenFilter::from_json(text) {
            Err(Error::InvalidArgument { message }) => message,
            other => panic!("{text} should be refused, got {other:?}"),
        };
        assert!(refused(r#"{"tools": true}"#).contains("tools"));
        let wrong = refused(r#"{"resource_subscriptions": "mem://a"}"#);
        assert!(
            wrong.starts_with("listen: resource_subscriptions: "),
            "{wrong}"
        );
        assert!(refused(r#"{"tools_list_changed": "yes"}"#).contains("tools_list_changed"));
    }

    #[test]
    fn events_become_json_and_an_ending_error_stays_an_mcpstream_error() {
        let (value, error) = event_json(SubscriptionEvent::Notification {
            method: "notifications/tools/list_changed".into(),
            params: json!({"a": 1}),
        });
        assert_eq!(
            value,
            json!({"type": "notification", "method": "notifications/tools/list_changed", "params": {"a": 1}})
        );
        assert!(error.is_none());
        let (value, _) = event_json(SubscriptionEvent::Relistened {
            attempts: 2,
            acknowledged: json!({"toolsListChanged": true}),
        });
        assert_eq!(
            value,
            json!({"type": "relistened", "attempts": 2, "acknowledged": {"toolsListChanged": true}})
        );
        assert_eq!(
            event_json(SubscriptionEvent::Ended { error: None }),
            (json!({"type": "ended"}), None)
        );
        let (_, error) = event_json(SubscriptionEvent::Ended {
            error: Some(Error::Rpc {
                code: -32603,
                message: "gone".into(),
                data: None,
            }),
        });
        let error = error.unwrap();
        assert_eq!(error.class, ErrorClass::Named("RPCError"));
        assert_eq!(error.fields[0], ("code", Field::Int(-32603)));
        let (_, error) = event_json(SubscriptionEvent::Ended {
            error: Some(Error::InvalidArgument {
                message: "not connected".into(),
            }),
        });
        assert_eq!(error.unwrap().class, ErrorClass::Named(BASE_CLASS));
    }

    fn modern_client(server: &TestServer) -> Client {
        let options = ClientOptions {
            era: "modern".parse::<EraChoice>().unwrap(),
            ..ClientOptions::default()
        };
        Client::with_options(&server.url(), options).unwrap()
    }

    async fn until(mut done: impl FnMut() -> bool) {
        for _ in 0..200 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_abandoned_wait_keeps_the_subscription_and_close_ends_a_wait() {
        let server = TestServer::start(Config {
            era: ServerEra::ModernOnly,
            ..Config::default()
        });
        let client = modern_client(&server);
        client.connect().await.unwrap();
        let filter = ListenFilter::from_json(r#"{"tools_list_changed": true}"#).unwrap();
        let shared = SharedSubscription::new(client.listen(filter).await.unwrap());
        assert_eq!(shared.acknowledged(), &json!({"toolsListChanged": true}));

        // Timed out, then dropped halfway (as an interrupted thread's wait is): still open.
        let short = Some(Duration::from_millis(20));
        assert!(shared.next_event(short).await.is_none());
        let abandoned = tokio::spawn({
            let shared = shared.clone();
            async move { shared.next_event(None).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        abandoned.abort();
        let _ = abandoned.await;
        let notify = json!({"method": "notifications/tools/list_changed"});
        assert_eq!(server.notify_listeners(&notify), Ok(1));
        match shared.next_event(Some(Duration::from_secs(5))).await {
            Some(SubscriptionEvent::Notification { method, .. }) => {
                assert_eq!(method, "notifications/tools/list_changed")
            }
            other => panic!("{other:?}"),
        }

        // Closing while another task waits: the wait returns, and the stream is closed.
        let waiting = tokio::spawn({
            let shared = shared.clone();
            async move { shared.next_event(None).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        shared.close();
        assert!(waiting.await.unwrap().is_none());
        assert!(shared.next_event(None).await.is_none());
        until(|| server.open_listeners() == 0).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_ended_event_is_the_last() {
        let server = TestServer::start(Config {
            era: ServerEra::ModernOnly,
            ..Config::default()
        });
        let client = modern_client(&server);
        client.connect().await.unwrap();
        let filter = ListenFilter::from_json(r#"{"prompts_list_changed": true}"#).unwrap();
        let shared = SharedSubscription::new(client.listen(filter).await.unwrap());
        assert_eq!(server.notify_listeners(&json!({"end": true})), Ok(1));
        let limit = Some(Duration::from_secs(5));
        assert!(matches!(
            shared.next_event(limit).await,
            Some(SubscriptionEvent::Ended { error: None })
        ));
        assert!(shared.next_event(None).await.is_none());
    }
}
