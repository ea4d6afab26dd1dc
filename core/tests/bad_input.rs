//! Whatever the server sends, the client answers with a typed error: never a panic, a hang or
//! a silent drop.

mod common;
use common::*;
use mcpstream::{Client, Error, RequestOptions};
use serde_json::json;
use std::time::{Duration, Instant};

async fn connected(server: &TestServer) -> Client {
    let c = client(server);
    c.connect().await.unwrap();
    c
}

fn assert_protocol(err: Error, mentions: &str) {
    match &err {
        Error::Protocol { message } => {
            assert!(message.contains(mentions), "{message:?} lacks {mentions:?}")
        }
        other => panic!("expected a protocol error mentioning {mentions:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn garbage_json_is_a_protocol_error() {
    let server = server();
    let client = connected(&server).await;
    server.script(script("ping", 200, "application/json", "{not json"));
    assert_protocol(client.ping().await.unwrap_err(), "invalid JSON");
    server.script(script(
        "ping",
        200,
        "application/json",
        r#"[{"jsonrpc":"2.0","id":{{id}},"result":{}}]"#,
    ));
    assert_protocol(client.ping().await.unwrap_err(), "batches");
    server.script(script(
        "ping",
        200,
        "application/json",
        r#"{"jsonrpc":"2.0","id":987654,"result":{}}"#,
    ));
    assert_protocol(client.ping().await.unwrap_err(), "another message");
    server.script(script("ping", 200, "application/json", ""));
    assert_protocol(client.ping().await.unwrap_err(), "no JSON-RPC response");
    client.ping().await.expect("the client is still usable");
}

#[tokio::test]
async fn malformed_sse_is_a_protocol_error() {
    let server = server();
    let client = connected(&server).await;
    server.script(sse_script("ping", &["{\"jsonrpc\":\"2.0\",\"id\":"]));
    assert_protocol(client.ping().await.unwrap_err(), "invalid JSON");
    server.script(sse_script("ping", &["[1,2,3]"]));
    assert_protocol(client.ping().await.unwrap_err(), "batches");
    client.ping().await.unwrap();
}

#[tokio::test]
async fn an_sse_stream_that_ends_without_the_response_is_an_error() {
    let server = server();
    let client = connected(&server).await;
    server.script(sse_script(
        "ping",
        &[r#"{"jsonrpc":"2.0","method":"notifications/message","params":{}}"#],
    ));
    assert_protocol(
        client.ping().await.unwrap_err(),
        "gave no event id to resume from",
    );
    // With an event id the client tries to resume; a server that cannot is a quick, typed error.
    server.script(script(
        "ping",
        200,
        "text/event-stream",
        ": only a comment\n\nid: 5\ndata:\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":{{id}}",
    ));
    let started = Instant::now();
    let err = client.ping().await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let resume = with_method(&server, "GET").pop().expect("a resumption GET");
    assert_eq!(resume.header("last-event-id"), Some("5"));
}

#[tokio::test]
async fn sse_with_priming_event_crlf_and_other_ids_still_finds_the_response() {
    let server = server();
    let client = connected(&server).await;
    let body = "id: p\r\ndata:\r\nretry: 500\r\n\r\n: note\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":424242,\"result\":{}}\r\n\r\nevent: message\r\nid: 7\r\ndata: {\"jsonrpc\":\"2.0\",\r\ndata: \"id\":{{id}},\"result\":{\"ok\":1}}\r\n\r\n";
    server.script(script(
        "tools/call",
        200,
        "text/event-stream; charset=utf-8",
        body,
    ));
    let out = client
        .call_tool("echo", Some(json!({"text": "x"})))
        .await
        .unwrap();
    assert_eq!(out, json!({"ok": 1}));
}

#[tokio::test]
async fn unexpected_answers_to_a_request_are_protocol_errors() {
    let server = server();
    let client = connected(&server).await;
    server.script(script("ping", 200, "text/html", "<html>hi</html>"));
    assert_protocol(client.ping().await.unwrap_err(), "Content-Type");
    server.script(script("ping", 202, "", ""));
    assert_protocol(client.ping().await.unwrap_err(), "HTTP 202");
    server.script(script("ping", 200, "", ""));
    assert_protocol(client.ping().await.unwrap_err(), "(none)");
    client.ping().await.unwrap();
}

#[tokio::test]
async fn an_oversize_json_body_is_a_size_error() {
    let server = server_with(|c| c.json_response = true);
    let client =
        Client::with_options(&server.url(), quick_options().max_response_bytes(64 * 1024)).unwrap();
    client.connect().await.unwrap();
    let fits = client
        .call_tool("big", Some(json!({"bytes": 32 * 1024})))
        .await
        .unwrap();
    assert_eq!(text_of(&fits).len(), 32 * 1024);
    let err = client
        .call_tool("big", Some(json!({"bytes": 1024 * 1024})))
        .await
        .unwrap_err();
    assert_protocol(err, "maximum response size of 65536 bytes");
    // Content-Length alone is enough to refuse before reading.
    server.script(script(
        "ping",
        200,
        "application/json",
        &"x".repeat(100_000),
    ));
    assert_protocol(client.ping().await.unwrap_err(), "maximum response size");
    client.ping().await.unwrap();
}

#[tokio::test]
async fn an_oversize_sse_event_is_a_size_error() {
    let server = server();
    let client =
        Client::with_options(&server.url(), quick_options().max_response_bytes(64 * 1024)).unwrap();
    client.connect().await.unwrap();
    let err = client
        .call_tool("big", Some(json!({"bytes": 1024 * 1024})))
        .await
        .unwrap_err();
    assert_protocol(err, "maximum response size");
    client.ping().await.unwrap();
}

#[tokio::test]
async fn the_default_limit_is_16_mib() {
    let server = server_with(|c| c.json_response = true);
    let client = connected(&server).await;
    assert_eq!(client.options().max_response_bytes, 16 * 1024 * 1024);
    let err = client
        .call_tool("big", Some(json!({"bytes": 17 * 1024 * 1024})))
        .await
        .unwrap_err();
    assert_protocol(err, "16777216");
}

#[tokio::test]
async fn a_slow_call_times_out_and_the_client_stays_usable() {
    let server = server();
    let client = connected(&server).await;
    let started = Instant::now();
    let err = client
        .call_tool_with(
            "slow",
            Some(json!({"ms": 3000})),
            RequestOptions::timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after } if after == Duration::from_millis(200)),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(client.session_id().is_some(), "a timeout keeps the session");
    let out = client
        .call_tool("slow", Some(json!({"ms": 10})))
        .await
        .unwrap();
    assert_eq!(text_of(&out), "slept 10 ms");
}

#[tokio::test]
async fn the_client_timeout_applies_to_every_call() {
    let server = server();
    let client = Client::with_options(
        &server.url(),
        quick_options().timeout(Duration::from_millis(150)),
    )
    .unwrap();
    client.connect().await.unwrap();
    let err = client
        .call_tool("slow", Some(json!({"ms": 3000})))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_host_is_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client =
        Client::with_options(&format!("http://127.0.0.1:{port}/mcp"), quick_options()).unwrap();
    let started = Instant::now();
    match client.connect().await.unwrap_err() {
        Error::Transport { message } => assert!(message.contains(&port.to_string()), "{message}"),
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(client.session().is_none());
}

#[tokio::test]
async fn a_server_that_dies_mid_session_gives_transport_errors() {
    let server = server();
    let client = connected(&server).await;
    server.stop();
    assert!(matches!(
        client.ping().await.unwrap_err(),
        Error::Transport { .. }
    ));
    assert!(
        client.session().is_some(),
        "a network failure is not an expiry"
    );
}
