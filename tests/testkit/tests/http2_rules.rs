//! HTTP/2 on the reference server: h2c with prior knowledge on the plain port, many calls
//! multiplexed on one connection (the request log shows one peer), and SSE streaming over h2
//! event by event, as over HTTP/1.1.

mod support;

use futures_util::StreamExt;
use mcpstream_testkit::{Config, TestServer, TlsMode};
use reqwest::{Client, StatusCode, Version};
use serde_json::json;
use std::time::{Duration, Instant};
use support::{call, echo, rpc_result, stateless, trusting_ca};

fn h2c_client() -> Client {
    Client::builder()
        .no_proxy()
        .http2_prior_knowledge()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test]
async fn h2c_prior_knowledge_and_http1_share_the_plain_port() {
    let server = TestServer::start(stateless());
    let h2 = echo(&h2c_client(), &server.url(), "h2c").await.unwrap();
    assert_eq!(h2.version(), Version::HTTP_2);
    assert_eq!(
        rpc_result(&h2.text().await.unwrap())["content"][0]["text"],
        "h2c"
    );
    let h1_client = Client::builder().no_proxy().build().unwrap();
    let h1 = echo(&h1_client, &server.url(), "h1").await.unwrap();
    assert_eq!(h1.version(), Version::HTTP_11);
    h1.text().await.unwrap();
    let versions: Vec<_> = server
        .requests()
        .into_iter()
        .map(|r| r.http_version)
        .collect();
    assert_eq!(versions, ["HTTP/2.0", "HTTP/1.1"]);
    assert_eq!((server.connections(), server.tls_handshakes()), (2, 0));
}

#[tokio::test]
async fn sixteen_concurrent_calls_share_one_http2_connection() {
    let server = TestServer::start(Config {
        tls: TlsMode::On,
        ..stateless()
    });
    let client = trusting_ca().build().unwrap();
    // Until ALPN has said h2, a client cannot know that one connection will do: open it first.
    echo(&client, &server.url(), "warm")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Held open together: each call waits 200 ms in the tool, so all 16 overlap.
    let calls = (0..16).map(|id| {
        let (client, url) = (client.clone(), server.url());
        async move {
            let answer = call(&client, &url, id, "slow", json!({"ms": 200}))
                .await
                .unwrap();
            assert_eq!(answer.status(), StatusCode::OK);
            answer.text().await.unwrap()
        }
    });
    let started = Instant::now();
    let bodies = futures_util::future::join_all(calls).await;
    assert_eq!(bodies.len(), 16);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let log = server.requests();
    assert_eq!(log.len(), 17);
    assert!(log.iter().all(|r| r.http_version == "HTTP/2.0"));
    assert!(log.iter().all(|r| r.peer == log[0].peer), "one connection");
    assert_eq!((server.connections(), server.tls_handshakes()), (1, 1));
}

#[tokio::test]
async fn sse_events_arrive_one_by_one_over_http2() {
    let server = TestServer::start(Config {
        tls: TlsMode::On,
        ..stateless()
    });
    let client = trusting_ca().build().unwrap();
    let started = Instant::now();
    let answer = call(
        &client,
        &server.url(),
        7,
        "progress",
        json!({"steps": 3, "delay_ms": 300}),
    )
    .await
    .unwrap();
    assert_eq!(answer.version(), Version::HTTP_2);
    assert_eq!(answer.headers()["content-type"], "text/event-stream");
    let mut chunks = answer.bytes_stream();
    let mut text = String::new();
    let mut first_progress = None;
    while let Some(chunk) = chunks.next().await {
        text.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        if first_progress.is_none() && text.contains("notifications/progress") {
            first_progress = Some(started.elapsed());
        }
    }
    let (first, total) = (first_progress.expect("a progress event"), started.elapsed());
    assert!(total >= Duration::from_millis(900), "{total:?}");
    assert!(
        first + Duration::from_millis(500) < total,
        "streamed: first at {first:?} of {total:?}"
    );
    assert_eq!(text.matches("notifications/progress").count(), 3);
    assert!(rpc_result(&text)["content"].is_array(), "{text}");
}
