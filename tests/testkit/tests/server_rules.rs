//! The reference server's side of the session rules (S1–S9), checked with raw HTTP so that
//! client bugs cannot hide server bugs.

use mcpstream_testkit::{Config, TestServer};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{json, Value};

const ACCEPT_BOTH: &str = "application/json, text/event-stream";

fn post(http: &Client, url: &str, body: &Value) -> RequestBuilder {
    http.post(url)
        .header("accept", ACCEPT_BOTH)
        .header("content-type", "application/json")
        .body(body.to_string())
}

fn init_body() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
           "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}})
}

async fn start_session(http: &Client, url: &str) -> String {
    let resp = post(http, url, &init_body()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let sid = resp.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = resp.text().await.unwrap();
    assert!(body.starts_with("id: "), "SSE event with an id: {body:?}");
    assert!(body.contains(r#""protocolVersion":"2025-06-18""#), "{body}");
    sid
}

fn ping() -> Value {
    json!({"jsonrpc": "2.0", "id": 2, "method": "ping"})
}

#[tokio::test]
async fn session_ids_are_random_visible_ascii() {
    let server = TestServer::start(Config::default());
    let http = Client::new();
    let a = start_session(&http, &server.url()).await;
    let b = start_session(&http, &server.url()).await;
    assert_ne!(a, b);
    for id in [&a, &b] {
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}

#[tokio::test]
async fn unknown_or_terminated_sessions_get_404_on_post_get_and_delete() {
    let server = TestServer::start(Config::default());
    let http = Client::new();
    let url = server.url();
    let sid = start_session(&http, &url).await;
    let with = |r: RequestBuilder, id: &str| r.header("mcp-session-id", id.to_owned());

    assert_eq!(
        with(post(&http, &url, &ping()), &sid)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    for id in ["made-up", sid.as_str()] {
        if id == sid {
            let del = with(http.delete(&url), &sid).send().await.unwrap();
            assert_eq!(del.status(), 200, "DELETE ends a live session");
        }
        let p = with(post(&http, &url, &ping()), id).send().await.unwrap();
        assert_eq!(p.status(), 404, "POST {id}");
        let g = with(http.get(&url).header("accept", "text/event-stream"), id)
            .send()
            .await
            .unwrap();
        assert_eq!(g.status(), 404, "GET {id}");
        let d = with(http.delete(&url), id).send().await.unwrap();
        assert_eq!(d.status(), 404, "DELETE {id}");
    }
}

#[tokio::test]
async fn requests_without_a_session_get_400() {
    let server = TestServer::start(Config::default());
    let http = Client::new();
    let resp = post(&http, &server.url(), &ping()).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let del = http.delete(server.url()).send().await.unwrap();
    assert_eq!(del.status(), 400);
}

#[tokio::test]
async fn bad_origin_version_accept_content_type_and_json_are_refused() {
    let server = TestServer::start(Config::default());
    let http = Client::new();
    let url = server.url();
    let sid = start_session(&http, &url).await;
    let ok = || post(&http, &url, &ping()).header("mcp-session-id", sid.clone());

    let r = ok()
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = ok()
        .header("origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "loopback origins are fine");
    let r = ok()
        .header("mcp-protocol-version", "1999-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = ok()
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        400,
        "a version other than the session's negotiated one"
    );
    let r = ok()
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(&url)
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .header("mcp-session-id", sid.clone())
        .body(ping().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 406);
    let r = http
        .post(&url)
        .header("accept", ACCEPT_BOTH)
        .header("content-type", "text/plain")
        .header("mcp-session-id", sid.clone())
        .body(ping().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = http
        .post(&url)
        .header("accept", ACCEPT_BOTH)
        .header("content-type", "application/json")
        .header("mcp-session-id", sid.clone())
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], -32700);
    let r = post(&http, &url, &json!([ping()]))
        .header("mcp-session-id", sid.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "no batches");
}

#[tokio::test]
async fn notifications_get_202_and_get_opens_a_stream() {
    let server = TestServer::start(Config::default());
    let http = Client::new();
    let url = server.url();
    let sid = start_session(&http, &url).await;
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let r = post(&http, &url, &note)
        .header("mcp-session-id", sid.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert!(r.bytes().await.unwrap().is_empty());
    let mut g = http
        .get(&url)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", sid.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(g.status(), 200);
    assert_eq!(g.headers()["content-type"], "text/event-stream");
    let first = g.chunk().await.unwrap().unwrap();
    assert!(first.starts_with(b":"), "opens with a comment");
    // Ending the session ends its GET streams.
    server.expire_sessions();
    let rest = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Ok(Some(_)) = g.chunk().await {}
    })
    .await;
    assert!(rest.is_ok(), "the stream ended with the session");
}

#[tokio::test]
async fn stateless_json_and_no_delete_modes() {
    let stateless = TestServer::start(Config {
        stateless: true,
        json_response: true,
        ..Config::default()
    });
    let http = Client::new();
    let resp = post(&http, &stateless.url(), &init_body())
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("mcp-session-id").is_none());
    assert_eq!(resp.headers()["content-type"], "application/json");
    let r = post(&http, &stateless.url(), &ping()).send().await.unwrap();
    assert_eq!(r.status(), 200, "no session needed");
    let r = http
        .get(stateless.url())
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = http.delete(stateless.url()).send().await.unwrap();
    assert_eq!(r.status(), 405);

    let no_delete = TestServer::start(Config {
        allow_delete: false,
        ..Config::default()
    });
    let sid = start_session(&http, &no_delete.url()).await;
    let r = http
        .delete(no_delete.url())
        .header("mcp-session-id", sid)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[test]
fn the_binary_prints_its_url_and_serves() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mcpstream-testserver"))
        .args(["--port", "0", "--json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"),
        "{url:?}"
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        post(&Client::new(), &url, &init_body())
            .send()
            .await
            .unwrap()
            .status()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, 200);
}
