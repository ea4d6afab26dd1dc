//! `subscriptions/listen` against the reference server: acknowledgement, notifications tagged
//! with the subscription, the server's graceful end, the client closing, and listening again
//! after the stream drops.

mod common;
use common::*;
use mcpstream::{Client, ClientOptions, EraChoice, Error, Handlers, SubscriptionEvent};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn options() -> ClientOptions {
    let mut opts = quick_options().era(EraChoice::Modern("2026-07-28".into()));
    opts.reconnect.default_retry = Duration::from_millis(50);
    opts.reconnect.max_delay = Duration::from_millis(200);
    opts
}

async fn next(sub: &mut mcpstream::Subscription) -> SubscriptionEvent {
    tokio::time::timeout(Duration::from_secs(5), sub.next_event())
        .await
        .expect("an event within 5 s")
        .expect("the subscription is still open")
}

async fn until_listeners(server: &TestServer, n: usize) {
    eventually(&format!("{n} open listen streams"), || {
        server.open_listeners() == n
    })
    .await;
}

/// A connected client and an acknowledged `toolsListChanged` subscription the server holds.
async fn listening(server: &TestServer, opts: ClientOptions) -> (Client, mcpstream::Subscription) {
    let client = Client::with_options(&server.url(), opts).unwrap();
    client.connect().await.unwrap();
    let sub = client
        .listen(json!({"toolsListChanged": true}))
        .await
        .unwrap();
    until_listeners(server, 1).await;
    (client, sub)
}

#[tokio::test]
async fn notifications_arrive_tagged_and_the_server_can_end_it() {
    let server = server();
    let heard = Arc::new(Mutex::new(Vec::<(String, Value)>::new()));
    let log = heard.clone();
    let opts = options().handlers(Handlers {
        notification: Some(Arc::new(move |method: &str, params: Option<&Value>| {
            log.lock()
                .unwrap()
                .push((method.to_owned(), params.cloned().unwrap_or_default()))
        })),
        ..Handlers::default()
    });
    let client = Client::with_options(&server.url(), opts).unwrap();
    client.connect().await.unwrap();
    let filter = json!({"toolsListChanged": true, "resourceSubscriptions": ["mem://greeting"]});
    let mut sub = client.listen(filter.clone()).await.unwrap();
    assert_eq!(sub.acknowledged(), &filter);
    let listen = &posts(&server, "subscriptions/listen")[0];
    assert_eq!(listen.header("mcp-method"), Some("subscriptions/listen"));
    assert_eq!(listen.body["params"]["notifications"], filter);
    let listen_id = listen.body["id"].clone();

    server
        .notify_listeners(&json!({"method": "notifications/tools/list_changed"}))
        .unwrap();
    match next(&mut sub).await {
        SubscriptionEvent::Notification { method, params } => {
            assert_eq!(method, "notifications/tools/list_changed");
            assert_eq!(
                params["_meta"]["io.modelcontextprotocol/subscriptionId"],
                listen_id
            );
        }
        other => panic!("{other:?}"),
    }
    server
        .notify_listeners(
            &json!({"method": "notifications/resources/updated", "uri": "mem://greeting"}),
        )
        .unwrap();
    match next(&mut sub).await {
        SubscriptionEvent::Notification { method, params } => {
            assert_eq!(method, "notifications/resources/updated");
            assert_eq!(params["uri"], "mem://greeting");
        }
        other => panic!("{other:?}"),
    }
    let methods: Vec<String> = heard
        .lock()
        .unwrap()
        .iter()
        .map(|(m, _)| m.clone())
        .collect();
    assert_eq!(
        methods,
        [
            "notifications/tools/list_changed",
            "notifications/resources/updated"
        ],
        "the notification handler hears them too"
    );
    server.notify_listeners(&json!({"end": true})).unwrap();
    assert!(matches!(
        next(&mut sub).await,
        SubscriptionEvent::Ended { error: None }
    ));
    assert!(sub.next_event().await.is_none());
}

#[tokio::test]
async fn closing_the_subscription_closes_its_stream() {
    let server = server();
    let (_client, sub) = listening(&server, options()).await;
    sub.close();
    until_listeners(&server, 0).await;
}

#[tokio::test]
async fn a_dropped_stream_is_listened_to_again_and_the_application_told() {
    let server = server();
    let (_client, mut sub) = listening(&server, options()).await;
    server.notify_listeners(&json!({"drop": true})).unwrap();
    match next(&mut sub).await {
        SubscriptionEvent::Relistened {
            attempts,
            acknowledged,
        } => {
            assert_eq!(attempts, 1);
            assert_eq!(acknowledged, json!({"toolsListChanged": true}));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(posts(&server, "subscriptions/listen").len(), 2);
    server
        .notify_listeners(&json!({"method": "notifications/tools/list_changed"}))
        .unwrap();
    assert!(matches!(
        next(&mut sub).await,
        SubscriptionEvent::Notification { .. }
    ));
}

#[tokio::test]
async fn a_server_gone_for_good_ends_the_subscription_within_the_reconnect_budget() {
    let server = server();
    let mut opts = options();
    opts.reconnect.max_attempts = 2;
    let (_client, mut sub) = listening(&server, opts).await;
    server.stop();
    match next(&mut sub).await {
        SubscriptionEvent::Ended { error: Some(e) } => {
            assert!(e.to_string().contains("gave up"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn listening_needs_the_modern_era() {
    let server = server();
    let client = Client::with_options(&server.url(), quick_options()).unwrap();
    client.connect().await.unwrap();
    let err = client.listen(json!({})).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
}
