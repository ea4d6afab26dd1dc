//! The recording test proxy: CONNECT tunnels (an https request through it stays TLS end to
//! end), absolute-form forwarding of plain http (SSE included), Basic credentials (407 with
//! `Proxy-Authenticate` without them), loopback-only targets, and its record.

mod support;

use futures_util::StreamExt;
use mcpstream_testkit::proxy::ProxyCredentials;
use mcpstream_testkit::{Config, ProxiedRequest, ProxyConfig, TestProxy, TestServer, TlsMode};
use reqwest::{Client, Proxy, StatusCode};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::time::Duration;
use support::{call, echo, json_body, rpc_result, stateless, trusting_ca};

fn guarded_proxy() -> TestProxy {
    TestProxy::start(ProxyConfig {
        credentials: ProxyCredentials::parse("alice:s3cret"),
    })
}

fn via(proxy_url: &str) -> reqwest::ClientBuilder {
    trusting_ca().proxy(Proxy::all(proxy_url).unwrap())
}

#[tokio::test]
async fn an_https_request_goes_through_a_connect_tunnel() {
    let server = TestServer::start(Config {
        tls: TlsMode::On,
        ..stateless()
    });
    let proxy = TestProxy::start(ProxyConfig::default());
    let client = via(&proxy.url()).build().unwrap();
    let answer = echo(&client, &server.url(), "tunnelled").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        rpc_result(&answer.text().await.unwrap())["content"][0]["text"],
        "tunnelled"
    );
    let proxied = proxy.proxied();
    assert_eq!(proxied.len(), 1, "{proxied:?}");
    assert_eq!(
        (
            proxied[0].method.as_str(),
            proxied[0].target.clone(),
            proxied[0].status
        ),
        ("CONNECT", server.addr().to_string(), 200)
    );
    assert_eq!(
        server.tls_handshakes(),
        1,
        "TLS ran end to end through the tunnel"
    );
}

#[tokio::test]
async fn a_plain_http_request_is_forwarded_and_its_sse_streams_through() {
    let server = TestServer::start(stateless());
    let proxy = TestProxy::start(ProxyConfig::default());
    let client = Client::builder()
        .proxy(Proxy::http(proxy.url()).unwrap())
        .build()
        .unwrap();
    let answer = call(
        &client,
        &server.url(),
        3,
        "progress",
        json!({"steps": 2, "delay_ms": 400}),
    )
    .await
    .unwrap();
    assert_eq!(answer.headers()["content-type"], "text/event-stream");
    let started = std::time::Instant::now();
    let mut chunks = answer.bytes_stream();
    let mut text = String::new();
    let mut first_progress = None;
    while let Some(chunk) = chunks.next().await {
        text.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        if first_progress.is_none() && text.contains("notifications/progress") {
            first_progress = Some(started.elapsed());
        }
    }
    let first = first_progress.expect("a progress event");
    assert!(
        first + Duration::from_millis(300) < started.elapsed(),
        "not buffered: {first:?}"
    );
    assert!(rpc_result(&text)["content"].is_array(), "{text}");
    let proxied = proxy.proxied();
    assert_eq!(proxied.len(), 1);
    assert_eq!(
        (
            proxied[0].method.as_str(),
            proxied[0].target.as_str(),
            proxied[0].status
        ),
        ("POST", server.url().as_str(), 200)
    );
    let reached = server.requests();
    assert_eq!(reached.len(), 1);
    assert_eq!(reached[0].header("proxy-authorization"), None);
}

#[tokio::test]
async fn without_credentials_the_proxy_answers_407() {
    let server = TestServer::start(Config {
        tls: TlsMode::On,
        ..stateless()
    });
    let proxy = guarded_proxy();
    let client = via(&proxy.url()).build().unwrap();
    assert!(
        echo(&client, &server.url(), "x").await.is_err(),
        "the tunnel is refused"
    );

    // What the client saw, on the wire.
    let (status, head) = raw_request(
        &proxy,
        &format!("CONNECT {0} HTTP/1.1\r\nHost: {0}\r\n\r\n", server.addr()),
    );
    assert_eq!(status, 407);
    assert!(
        head.contains("proxy-authenticate: basic realm=\"mcpstream-test-proxy\""),
        "{head}"
    );
    let proxied = proxy.proxied();
    assert_eq!(proxied.len(), 2);
    assert!(proxied
        .iter()
        .all(|p| p.status == 407 && !p.authorized && p.user.is_none()));
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn wrong_credentials_are_refused_and_right_ones_let_the_request_through() {
    let server = TestServer::start(Config {
        tls: TlsMode::On,
        ..stateless()
    });
    let proxy = guarded_proxy();
    let wrong = via(&proxy.url_with_credentials("alice", "guess"))
        .build()
        .unwrap();
    assert!(echo(&wrong, &server.url(), "x").await.is_err());
    let right = via(&proxy.url_with_credentials("alice", "s3cret"))
        .build()
        .unwrap();
    let answer = echo(&right, &server.url(), "let in").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let outcome: Vec<_> = proxy
        .proxied()
        .into_iter()
        .map(|p| (p.user, p.authorized, p.status))
        .collect();
    assert_eq!(
        outcome,
        [
            (Some("alice".to_owned()), false, 407),
            (Some("alice".to_owned()), true, 200)
        ]
    );
}

#[tokio::test]
async fn targets_off_this_machine_are_refused_without_being_contacted() {
    let proxy = TestProxy::start(ProxyConfig::default());
    // Nothing is sent there: the proxy refuses before connecting.
    let (status, _) = raw_request(
        &proxy,
        "CONNECT 192.0.2.1:443 HTTP/1.1\r\nHost: 192.0.2.1:443\r\n\r\n",
    );
    assert_eq!(status, 403);
    let (status, _) = raw_request(
        &proxy,
        "GET http://example.invalid/mcp HTTP/1.1\r\nHost: example.invalid\r\n\r\n",
    );
    assert_eq!(status, 403);
    let targets: Vec<_> = proxy
        .proxied()
        .into_iter()
        .map(|p| (p.target, p.status))
        .collect();
    assert_eq!(
        targets,
        [
            ("192.0.2.1:443".to_owned(), 403),
            ("http://example.invalid/mcp".to_owned(), 403)
        ]
    );
}

#[tokio::test]
async fn the_admin_route_lists_and_clears_the_record() {
    let server = TestServer::start(stateless());
    let proxy = TestProxy::start(ProxyConfig::default());
    let client = Client::builder()
        .proxy(Proxy::http(proxy.url()).unwrap())
        .build()
        .unwrap();
    echo(&client, &server.url(), "x")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Absolute-form to the proxy's own address, as a client configured with it sends.
    let admin = format!("{}/_admin/proxied", proxy.url());
    let record: Value = json_body(client.get(&admin).send().await.unwrap()).await;
    let listed: Vec<ProxiedRequest> = serde_json::from_value(record["proxied"].clone()).unwrap();
    assert_eq!(listed, proxy.proxied());
    assert_eq!(listed[0].target, server.url());
    assert!(record["connections"].as_u64().unwrap() >= 1);
    let cleared = client.delete(&admin).send().await.unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert!(proxy.proxied().is_empty());
}

/// Sends one raw request to the proxy; its status and lowercased response head.
fn raw_request(proxy: &TestProxy, request: &str) -> (u16, String) {
    let mut tcp = std::net::TcpStream::connect(proxy.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp.write_all(request.as_bytes()).unwrap();
    let mut reader = BufReader::new(tcp);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line.to_ascii_lowercase());
    }
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head)
}
