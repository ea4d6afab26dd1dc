//! The reference server over TLS: its certificate verifies against the test CA for 127.0.0.1
//! and localhost, ALPN picks HTTP/2 unless the client insists on HTTP/1.1, and with mTLS a
//! client certificate from the test CA is the only way in.

mod support;

use mcpstream_testkit::{certs, Config, TestServer, TlsMode};
use reqwest::{Client, StatusCode, Version};
use support::{echo, identity, json_body, rpc_result, stateless, trusting_ca};

fn tls_server(mode: TlsMode) -> TestServer {
    TestServer::start(Config {
        tls: mode,
        ..stateless()
    })
}

#[tokio::test]
async fn https_with_the_test_ca_trusted_negotiates_http2() {
    let server = tls_server(TlsMode::On);
    assert!(
        server.url().starts_with("https://127.0.0.1:"),
        "{}",
        server.url()
    );
    let client = trusting_ca().build().unwrap();
    let answer = echo(&client, &server.url(), "over tls").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.version(), Version::HTTP_2, "ALPN offers h2 first");
    let body = answer.text().await.unwrap();
    assert_eq!(rpc_result(&body)["content"][0]["text"], "over tls");
    let logged = server.requests();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].http_version, "HTTP/2.0");
    assert_eq!((server.connections(), server.tls_handshakes()), (1, 1));
}

#[tokio::test]
async fn a_client_that_allows_only_http1_gets_http1_over_tls() {
    let server = tls_server(TlsMode::On);
    let client = trusting_ca().http1_only().build().unwrap();
    let answer = echo(&client, &server.url(), "h1").await.unwrap();
    assert_eq!(answer.version(), Version::HTTP_11);
    answer.text().await.unwrap();
    assert_eq!(server.requests()[0].http_version, "HTTP/1.1");
}

#[tokio::test]
async fn the_certificate_names_localhost_too() {
    let server = tls_server(TlsMode::On);
    let url = format!("https://localhost:{}/mcp", server.addr().port());
    // Pinned to 127.0.0.1: localhost may resolve to ::1 first, where nothing listens.
    let client = trusting_ca()
        .resolve("localhost", server.addr())
        .build()
        .unwrap();
    let answer = echo(&client, &url, "by name").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_client_without_the_test_ca_refuses_the_server() {
    let server = tls_server(TlsMode::On);
    // The system roots know nothing of the test CA.
    let client = Client::builder().no_proxy().build().unwrap();
    let refused = echo(&client, &server.url(), "x").await.unwrap_err();
    assert!(refused.is_connect(), "{refused:?}");
    assert!(server.requests().is_empty());
    assert_eq!(server.tls_handshakes(), 0);
    wait_for(|| server.tls_failures() == 1).await;
}

#[tokio::test]
async fn mtls_refuses_a_client_without_a_certificate() {
    let server = tls_server(TlsMode::Mutual);
    let client = trusting_ca().build().unwrap();
    assert!(echo(&client, &server.url(), "x").await.is_err());
    assert!(server.requests().is_empty());
    wait_for(|| server.tls_failures() == 1).await;
}

#[tokio::test]
async fn mtls_refuses_a_certificate_from_another_ca() {
    let server = tls_server(TlsMode::Mutual);
    let stranger = identity(certs::STRANGER_CERT_PEM, certs::STRANGER_KEY_PEM);
    let client = trusting_ca().identity(stranger).build().unwrap();
    assert!(echo(&client, &server.url(), "x").await.is_err());
    assert!(server.requests().is_empty());
    wait_for(|| server.tls_failures() == 1).await;
}

#[tokio::test]
async fn mtls_accepts_the_test_client_certificate() {
    let server = tls_server(TlsMode::Mutual);
    let mine = identity(certs::CLIENT_CERT_PEM, certs::CLIENT_KEY_PEM);
    let client = trusting_ca().identity(mine).build().unwrap();
    let answer = echo(&client, &server.url(), "mutual").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        rpc_result(&answer.text().await.unwrap())["content"][0]["text"],
        "mutual"
    );
    assert_eq!((server.tls_handshakes(), server.tls_failures()), (1, 0));
}

#[tokio::test]
async fn the_admin_routes_report_connections_and_handshakes() {
    let server = tls_server(TlsMode::On);
    let client = trusting_ca().build().unwrap();
    echo(&client, &server.url(), "one")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let admin = format!("{}/_admin/connections", server.base_url());
    let counts: serde_json::Value = json_body(client.get(&admin).send().await.unwrap()).await;
    assert_eq!(
        counts,
        serde_json::json!({"accepted": 1, "tls_handshakes": 1, "tls_failures": 0})
    );
    let log: serde_json::Value = json_body(
        client
            .get(format!("{}/_admin/requests", server.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(log[0]["http_version"], "HTTP/2.0");
}

/// The server counts a failed handshake when it notices, which may be just after the client.
async fn wait_for(condition: impl Fn() -> bool) {
    for _ in 0..200 {
        if condition() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the server never counted it");
}
