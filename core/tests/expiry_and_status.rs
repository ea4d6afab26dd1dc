//! What each HTTP status means to the client: expiry only for a 404 to a request that carried
//! a session id, and every other failure keeps the session.

mod common;
use common::*;
use mcpstream::{Client, Error, HttpErrorKind, SessionExpiryPolicy};
use serde_json::json;

#[tokio::test]
async fn a_404_with_a_session_is_expiry_and_clears_the_session() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let sid = client.session_id().unwrap();
    assert_eq!(server.expire_sessions(), 1);

    let err = client.ping().await.unwrap_err();
    match &err {
        Error::SessionExpired { session_id, status } => {
            assert_eq!(session_id, &sid);
            assert_eq!(*status, 404);
        }
        other => panic!("expected SessionExpired, got {other:?}"),
    }
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.http_kind(), Some(HttpErrorKind::NotFound));
    assert!(client.session().is_none(), "local session state is cleared");

    // The next request is refused locally (nothing is sent without a session); a new connect
    // starts a new session.
    let pings = posts(&server, "ping").len();
    let again = client.ping().await.unwrap_err();
    assert!(matches!(again, Error::NotConnected), "{again:?}");
    assert_eq!(posts(&server, "ping").len(), pings);
    client.connect().await.unwrap();
    assert_ne!(client.session_id().unwrap(), sid);
    client.ping().await.unwrap();
}

#[tokio::test]
async fn a_404_on_the_get_stream_is_expiry_too() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let sid = client.session_id().unwrap();
    server.expire_sessions();
    match client.open_event_stream().await {
        Err(Error::SessionExpired { session_id, .. }) => assert_eq!(session_id, sid),
        Err(other) => panic!("expected SessionExpired, got {other:?}"),
        Ok(_) => panic!("expected SessionExpired, got a stream"),
    }
    assert!(client.session().is_none());
    let get = with_method(&server, "GET").pop().unwrap();
    assert_eq!(get.header("mcp-session-id"), Some(sid.as_str()));
    assert_eq!(get.status, 404);
}

#[tokio::test]
async fn a_404_without_a_session_is_a_plain_not_found() {
    let server = server();
    let client =
        Client::with_options(&format!("{}/nowhere", server.base_url()), quick_options()).unwrap();
    let err = client.connect().await.unwrap_err();
    match &err {
        Error::Http {
            status: 404,
            kind: HttpErrorKind::NotFound,
            ..
        } => {}
        other => panic!("expected Http 404, got {other:?}"),
    }
    assert!(!err.is_session_expired());
}

#[tokio::test]
async fn a_404_carrying_method_not_found_is_never_expiry() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let sid = client.session_id().unwrap();
    server.script(script(
        "tools/call",
        404,
        "application/json",
        r#"{"jsonrpc":"2.0","id":{{id}},"error":{"code":-32601,"message":"Method not found"}}"#,
    ));
    let err = client
        .call_tool("echo", Some(json!({"text": "x"})))
        .await
        .unwrap_err();
    match err {
        Error::Rpc { code, message, .. } => {
            assert_eq!(code, -32601);
            assert_eq!(message, "Method not found");
        }
        other => panic!("expected Rpc -32601, got {other:?}"),
    }
    assert_eq!(client.session_id(), Some(sid));
    client.ping().await.unwrap();
}

/// server-everything's answer to a session it does not know (it says 400 where the spec says
/// 404). Taken as an expiry so that `on_session_expired` can recover after such a server
/// restarts, instead of failing every later call with the same 400.
#[tokio::test]
async fn a_400_refusing_the_session_is_expiry_and_the_policy_recovers() {
    let server = server();
    let client = Client::with_options(
        &server.url(),
        quick_options().on_session_expired(SessionExpiryPolicy::ReinitializeAndRetry),
    )
    .unwrap();
    client.connect().await.unwrap();
    let sid = client.session_id().unwrap();
    server.script(script(
        "ping",
        400,
        "application/json",
        r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}"#,
    ));
    client.ping().await.unwrap();
    let new_sid = client.session_id().unwrap();
    assert_ne!(new_sid, sid, "a new session replaced the refused one");
    assert_eq!(posts(&server, "initialize").len(), 2);

    // A 400 about anything else is an HTTP error and keeps the session.
    server.script(script(
        "ping",
        400,
        "text/plain",
        "Bad Request: malformed params",
    ));
    match client.ping().await.unwrap_err() {
        Error::Http { status: 400, .. } => {}
        other => panic!("expected Http 400, got {other:?}"),
    }
    assert_eq!(client.session_id(), Some(new_sid));
}

#[tokio::test]
async fn a_server_error_keeps_the_session_and_reports_status_kind_and_body() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let sid = client.session_id().unwrap();
    server.script(script(
        "ping",
        500,
        "text/html",
        "<html><body>upstream broke</body></html>",
    ));
    let err = client.ping().await.unwrap_err();
    // One line naming the request; the body stays on the error, out of the message.
    assert_eq!(
        err.to_string(),
        format!("POST {}: HTTP 500 (server_error)", server.url())
    );
    match err {
        Error::Http {
            status,
            kind,
            body,
            method,
            url,
        } => {
            assert_eq!(status, 500);
            assert_eq!(kind, HttpErrorKind::ServerError);
            assert!(body.contains("upstream broke"), "{body}");
            assert_eq!((method.as_str(), url), ("POST", server.url()));
        }
        other => panic!("expected Http 500, got {other:?}"),
    }
    assert_eq!(client.session_id(), Some(sid));
    client.ping().await.unwrap();
}

#[tokio::test]
async fn error_bodies_are_capped() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    server.script(script("ping", 503, "text/plain", &"e".repeat(200_000)));
    match client.ping().await.unwrap_err() {
        Error::Http {
            status: 503, body, ..
        } => assert!(body.len() <= 8 * 1024, "{}", body.len()),
        other => panic!("{other:?}"),
    }
    client.ping().await.unwrap();
}

#[tokio::test]
async fn server_side_rejections_are_typed_http_errors() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    for (status, kind) in [
        (400, HttpErrorKind::BadRequest),
        (401, HttpErrorKind::Unauthorized),
        (403, HttpErrorKind::Forbidden),
        (405, HttpErrorKind::MethodNotAllowed),
        (429, HttpErrorKind::TooManyRequests),
    ] {
        server.script(script("ping", status, "", ""));
        let err = client.ping().await.unwrap_err();
        assert_eq!(err.http_kind(), Some(kind), "{err:?}");
        assert_eq!(err.status(), Some(status));
        assert!(client.session_id().is_some(), "{status} keeps the session");
    }
}

#[tokio::test]
async fn json_rpc_errors_carry_code_message_and_data() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    match client.call_tool("no-such-tool", None).await.unwrap_err() {
        Error::Rpc { code, message, .. } => {
            assert_eq!(code, -32602);
            assert!(message.contains("no-such-tool"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match client.request("no/such/method", None).await.unwrap_err() {
        Error::Rpc { code: -32601, .. } => {}
        other => panic!("{other:?}"),
    }
    server.script(sse_script(
        "ping",
        &[r#"{"jsonrpc":"2.0","id":{{id}},"error":{"code":-32000,"message":"busy","data":{"retry":true}}}"#],
    ));
    match client.ping().await.unwrap_err() {
        Error::Rpc {
            code: -32000, data, ..
        } => assert_eq!(data, Some(json!({"retry": true}))),
        other => panic!("{other:?}"),
    }
    // A failing tool is a result with isError, not an error.
    let out = client
        .call_tool("fail", Some(json!({"message": "nope"})))
        .await
        .unwrap();
    assert_eq!(out["isError"], true);
    assert_eq!(text_of(&out), "nope");
}
