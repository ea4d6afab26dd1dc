//! `connect()` returns only once the server has answered the standalone GET (or the bound ran
//! out), so a server that sends a tool's requests on that stream never sends them into the
//! void. The reference server's `--get-delay-ms` makes the race certain: it answers the GET
//! late, and `ask` with `wait: false` pushes on the GET stream at once or fails.

mod common;
use common::*;
use mcpstream::handlers::request_handler;
use mcpstream::{Client, ClientOptions, Handlers, SessionExpiryPolicy};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn answering_elicitation() -> ClientOptions {
    quick_options().standalone_stream(true).handlers(Handlers {
        elicitation: Some(request_handler(|_| async {
            Ok(json!({"action": "accept", "content": {"name": "Ada"}}))
        })),
        ..Handlers::default()
    })
}

async fn ask_on_the_get_stream_at_once(client: &Client) -> Value {
    client
        .call_tool(
            "ask",
            Some(json!({"kind": "elicitation", "via": "get", "wait": false})),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_server_request_sent_right_after_connect_reaches_the_handler() {
    let server = server_with(|c| c.get_delay_ms = 300);
    let client = Client::with_options(&server.url(), answering_elicitation()).unwrap();
    client.connect().await.unwrap();
    let out = ask_on_the_get_stream_at_once(&client).await;
    assert_eq!(
        out["structuredContent"]["result"]["content"]["name"], "Ada",
        "{out}"
    );
}

#[tokio::test]
async fn after_reinitializing_the_new_stream_is_open_before_the_retry() {
    let server = server_with(|c| c.get_delay_ms = 300);
    let opts =
        answering_elicitation().on_session_expired(SessionExpiryPolicy::ReinitializeAndRetry);
    let client = Client::with_options(&server.url(), opts).unwrap();
    client.connect().await.unwrap();
    let old = client.session_id().unwrap();
    server.expire_sessions();
    let out = ask_on_the_get_stream_at_once(&client).await;
    assert_eq!(
        out["structuredContent"]["result"]["content"]["name"], "Ada",
        "{out}"
    );
    assert_ne!(client.session_id().unwrap(), old);
}

#[tokio::test]
async fn a_server_that_never_answers_the_get_delays_connect_by_the_bound_only() {
    let server = server_with(|c| c.get_delay_ms = 20_000);
    let bound = Duration::from_millis(300);
    let opts = answering_elicitation().standalone_open_timeout(bound);
    let client = Client::with_options(&server.url(), opts).unwrap();
    let started = Instant::now();
    client.connect().await.unwrap();
    let took = started.elapsed();
    assert!(
        took >= bound && took < bound + Duration::from_millis(700),
        "connect took {took:?}"
    );
    let out = client
        .call_tool("echo", Some(json!({"text": "still usable"})))
        .await
        .unwrap();
    assert_eq!(text_of(&out), "still usable");
}

#[tokio::test]
async fn a_refused_get_does_not_hold_connect_up() {
    let server = server_with(|c| c.stateless = true);
    let opts = answering_elicitation().standalone_open_timeout(Duration::from_secs(5));
    let client = Client::with_options(&server.url(), opts).unwrap();
    let started = Instant::now();
    client.connect().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "405 ends the wait"
    );
    assert_eq!(with_method(&server, "GET")[0].status, 405);
}
