//! close(): DELETE with the session headers, state cleared whatever happens, and an honest
//! report of what happened.

mod common;
use common::*;
use mcpstream::{CloseOutcome, Error};
use std::time::{Duration, Instant};

#[tokio::test]
async fn close_without_a_session_sends_nothing() {
    let server = server();
    let client = client(&server);
    assert!(matches!(client.close().await, CloseOutcome::NoSession));
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn close_twice_sends_one_delete() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let sid = client.session_id().unwrap();
    assert!(matches!(client.close().await, CloseOutcome::Terminated));
    assert!(matches!(client.close().await, CloseOutcome::NoSession));
    let deletes = with_method(&server, "DELETE");
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].header("mcp-session-id"), Some(sid.as_str()));
    assert_eq!(
        deletes[0].header("mcp-protocol-version"),
        Some("2025-11-25")
    );
    // A closed session's id is refused by the server.
    assert!(server.session_ids().is_empty());
}

#[tokio::test]
async fn close_on_405_means_termination_is_not_supported() {
    let server = server_with(|c| c.allow_delete = false);
    let client = client(&server);
    client.connect().await.unwrap();
    assert_eq!(client.close().await.as_str(), "not_supported");
    assert!(client.session().is_none());
    assert_eq!(with_method(&server, "DELETE")[0].status, 405);
}

#[tokio::test]
async fn close_on_404_means_already_gone() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    server.expire_sessions();
    assert!(matches!(client.close().await, CloseOutcome::AlreadyGone));
    assert!(client.session().is_none());
}

#[tokio::test]
async fn close_with_the_server_gone_still_clears_state() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    server.stop();
    let started = Instant::now();
    match client.close().await {
        CloseOutcome::Failed(Error::Transport { .. }) => {}
        other => panic!("expected a transport failure, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by close_timeout"
    );
    assert!(client.session().is_none());
    assert!(matches!(client.close().await, CloseOutcome::NoSession));
}

#[tokio::test]
async fn close_is_bounded_by_its_own_timeout() {
    let server = server();
    let opts = quick_options().close_timeout(Duration::from_millis(300));
    let client = mcpstream::Client::with_options(&server.url(), opts).unwrap();
    client.connect().await.unwrap();
    server.script(ScriptedResponse {
        status: 200,
        http_method: Some("DELETE".into()),
        delay_ms: 5_000,
        ..Default::default()
    });
    let started = Instant::now();
    match client.close().await {
        CloseOutcome::Failed(Error::Timeout { after }) => {
            assert_eq!(after, Duration::from_millis(300))
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(client.session().is_none());
}

/// What each DELETE answer means. Peers differ: rmcp answers 202 (terminated), server-everything
/// answers a session it no longer knows with 400 "No valid session ID provided" (already gone, as
/// a 404 would be). Any other status is a failure. Local state is cleared whatever the answer.
#[tokio::test]
async fn close_reads_each_answer_to_delete() {
    let server = server();
    let client = client(&server);
    for (status, body, want) in [
        (202, "", "terminated"),
        (
            400,
            r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}"#,
            "already_gone",
        ),
        (400, "Bad Request: something else", "failed"),
        (500, "", "failed"),
    ] {
        client.connect().await.unwrap();
        server.script(ScriptedResponse {
            status,
            body: body.into(),
            http_method: Some("DELETE".into()),
            ..Default::default()
        });
        let outcome = client.close().await;
        let got = match &outcome {
            CloseOutcome::Terminated => "terminated",
            CloseOutcome::AlreadyGone => "already_gone",
            CloseOutcome::Failed(e) if e.status() == Some(status) => "failed",
            _ => "other",
        };
        assert_eq!(got, want, "{status} {body}: {outcome:?}");
        assert!(client.session().is_none(), "cleared whatever the answer");
    }
}

#[tokio::test]
async fn dropping_a_close_midway_still_clears_state() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    server.script(ScriptedResponse {
        status: 200,
        http_method: Some("DELETE".into()),
        delay_ms: 5_000,
        ..Default::default()
    });
    let abandoned = tokio::time::timeout(Duration::from_millis(100), client.close()).await;
    assert!(abandoned.is_err());
    assert!(client.session().is_none());
}
