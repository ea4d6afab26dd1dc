//! Redirects never carry the session to another origin; one client serves many threads.

mod common;
use common::*;
use mcpstream::{blocking, Client, Error, HttpErrorKind, RedirectPolicy};
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn same_origin_307_is_followed_with_the_session_headers() {
    let server = server();
    let client =
        Client::with_options(&format!("{}/moved", server.base_url()), quick_options()).unwrap();
    client.connect().await.unwrap();
    let sid = client.session_id().unwrap();
    client.ping().await.unwrap();
    let ping = posts(&server, "ping")
        .into_iter()
        .find(|r| r.path == "/mcp")
        .unwrap();
    assert_eq!(ping.header("mcp-session-id"), Some(sid.as_str()));
    let hops = server
        .requests()
        .iter()
        .filter(|r| r.path == "/moved")
        .count();
    assert_eq!(
        hops, 3,
        "initialize, initialized and ping each went through the redirect"
    );
}

#[tokio::test]
async fn a_cross_origin_redirect_is_not_followed() {
    let server = server();
    let elsewhere = common::server();
    let client = Client::with_options(
        &server.url(),
        quick_options().header("Authorization", "Bearer secret"),
    )
    .unwrap();
    client.connect().await.unwrap();
    let mut redirect = script("ping", 307, "", "");
    redirect.headers.push(("location".into(), elsewhere.url()));
    server.script(redirect);
    let err = client.ping().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                status: 307,
                kind: HttpErrorKind::Redirect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        elsewhere.requests().is_empty(),
        "nothing, least of all the session id, reached the other origin"
    );
    assert!(client.session_id().is_some());
}

#[tokio::test]
async fn redirects_can_be_refused_entirely() {
    let server = server();
    let opts = quick_options().redirects(RedirectPolicy::None);
    let client = Client::with_options(&format!("{}/moved", server.base_url()), opts).unwrap();
    let err = client.connect().await.unwrap_err();
    assert_eq!(err.http_kind(), Some(HttpErrorKind::Redirect));
}

#[test]
fn one_blocking_client_serves_100_calls_from_8_threads() {
    let server = server();
    let client = Arc::new(blocking::Client::with_options(&server.url(), quick_options()).unwrap());
    client.connect().unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                let mut results = Vec::new();
                for i in (t..100).step_by(8) {
                    let text = format!("call {i}");
                    let out = client
                        .call_tool("echo", Some(json!({"text": text})))
                        .unwrap();
                    results.push((text, out["content"][0]["text"].as_str().unwrap().to_owned()));
                }
                results
            })
        })
        .collect();
    let mut total = 0;
    for t in threads {
        for (sent, got) in t.join().expect("no thread panicked") {
            assert_eq!(sent, got);
            total += 1;
        }
    }
    assert_eq!(total, 100);
    assert_eq!(posts(&server, "tools/call").len(), 100);
    let sid = client.session_id().unwrap();
    assert!(posts(&server, "tools/call")
        .iter()
        .all(|r| r.header("mcp-session-id") == Some(sid.as_str())));
    assert_eq!(client.close().as_str(), "terminated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_async_calls_share_one_session() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let calls = (0..100).map(|i| {
        let client = client.clone();
        tokio::spawn(async move { client.call_tool("add", Some(json!({"a": i, "b": 1}))).await })
    });
    for (i, call) in calls.enumerate() {
        let out = call.await.unwrap().unwrap();
        assert_eq!(out["structuredContent"]["sum"], json!((i + 1) as f64));
    }
}

#[test]
fn the_blocking_client_works_inside_an_async_context_without_panicking() {
    let server = server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = server.url();
    let sid = rt.block_on(async move {
        let client = blocking::Client::with_options(&url, quick_options()).unwrap();
        client.connect().unwrap();
        client.session_id()
    });
    assert!(sid.is_some());
}
