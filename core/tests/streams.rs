//! Server-initiated messages, resumability, cancellation and the session-expiry policy,
//! against the reference server.

mod common;
use common::*;
use mcpstream::handlers::request_handler;
use mcpstream::{
    Client, ClientOptions, Error, Handlers, ReconnectPolicy, RequestOptions, SessionChange,
    SessionChangeReason, SessionExpiryPolicy,
};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn fast_reconnect() -> ReconnectPolicy {
    ReconnectPolicy {
        max_attempts: 3,
        max_total: Duration::from_secs(5),
        default_retry: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
    }
}

fn stream_options() -> ClientOptions {
    let mut opts = quick_options().standalone_stream(true);
    opts.reconnect = fast_reconnect();
    opts
}

type Seen<T> = Arc<Mutex<Vec<T>>>;

fn recorder<T>() -> Seen<T> {
    Arc::new(Mutex::new(Vec::new()))
}

fn progress_values(seen: &Seen<Value>) -> Vec<u64> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|p| p["progress"].as_u64().unwrap())
        .collect()
}

fn progress_recorder() -> (Seen<Value>, RequestOptions) {
    let seen = recorder();
    let sink = seen.clone();
    let opts = RequestOptions {
        on_progress: Some(Arc::new(move |p: &Value| {
            sink.lock().unwrap().push(p.clone())
        })),
        ..RequestOptions::default()
    };
    (seen, opts)
}

#[tokio::test]
async fn a_stream_cut_mid_event_resumes_with_nothing_lost_or_doubled() {
    let server = server_with(|c| c.retry_ms = Some(100));
    let client = Client::with_options(&server.url(), quick_options()).unwrap();
    client.connect().await.unwrap();
    let (seen, opts) = progress_recorder();
    let started = Instant::now();
    let args = json!({"steps": 6, "delay_ms": 20, "drop_after": 3, "mid_event": true});
    let out = client
        .call_tool_with("progress", Some(args), opts)
        .await
        .unwrap();
    assert_eq!(text_of(&out), "done 6");
    assert_eq!(progress_values(&seen), [1, 2, 3, 4, 5, 6]);
    let call = posts(&server, "tools/call").pop().unwrap();
    assert_eq!(
        call.body["params"]["_meta"]["progressToken"],
        call.body["id"]
    );
    let resume = with_method(&server, "GET").pop().expect("resumed with GET");
    let last = resume.header("last-event-id").expect("with Last-Event-ID");
    assert!(
        last.ends_with("_3"),
        "the last complete event was the 3rd progress: {last}"
    );
    assert_eq!(
        resume.header("mcp-session-id"),
        client.session_id().as_deref()
    );
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "waited the server's retry"
    );
}

#[tokio::test]
async fn a_stream_closed_on_purpose_after_priming_is_resumed() {
    let server = server_with(|c| c.retry_ms = Some(50));
    let client = client(&server);
    client.connect().await.unwrap();
    let (seen, opts) = progress_recorder();
    let out = client
        .call_tool_with(
            "progress",
            Some(json!({"steps": 3, "drop_after": 0, "delay_ms": 30})),
            opts,
        )
        .await
        .unwrap();
    assert_eq!(text_of(&out), "done 3");
    assert_eq!(progress_values(&seen), [1, 2, 3]);
    assert!(
        with_method(&server, "GET")[0]
            .header("last-event-id")
            .unwrap()
            .ends_with("_0"),
        "the priming event's id"
    );
}

#[tokio::test]
async fn reconnection_gives_up_inside_its_budget_with_a_clear_error() {
    let server = server();
    let mut opts = quick_options();
    opts.reconnect = ReconnectPolicy {
        max_attempts: 2,
        ..fast_reconnect()
    };
    let client = Client::with_options(&server.url(), opts).unwrap();
    client.connect().await.unwrap();
    server.script(script(
        "ping",
        200,
        "text/event-stream",
        "id: 7_0\ndata:\n\n",
    ));
    for _ in 0..5 {
        server.script(ScriptedResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            http_method: Some("GET".into()),
            ..Default::default()
        });
    }
    let started = Instant::now();
    let err = client.ping().await.unwrap_err();
    assert!(
        matches!(&err, Error::Protocol { message } if message.contains("gave up resuming")),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        with_method(&server, "GET").len(),
        2,
        "an immediately closed stream still counts as an attempt"
    );
    assert!(client.session_id().is_some());
}

fn policy_client(
    server: &TestServer,
    policy: SessionExpiryPolicy,
) -> (Client, Seen<SessionChange>) {
    let changes = recorder();
    let sink = changes.clone();
    let handlers = Handlers {
        session_change: Some(Arc::new(move |c: &SessionChange| {
            sink.lock().unwrap().push(c.clone())
        })),
        ..Handlers::default()
    };
    let opts = quick_options()
        .on_session_expired(policy)
        .handlers(handlers);
    (Client::with_options(&server.url(), opts).unwrap(), changes)
}

#[tokio::test]
async fn after_a_restart_raise_reports_the_expiry() {
    let server = server();
    let (client, changes) = policy_client(&server, SessionExpiryPolicy::Raise);
    client.connect().await.unwrap();
    let old = client.session_id();
    changes.lock().unwrap().clear();
    server.expire_sessions();
    assert!(client.ping().await.unwrap_err().is_session_expired());
    assert!(client.session().is_none());
    let changes = changes.lock().unwrap().clone();
    assert_eq!(
        changes,
        [SessionChange {
            old_session_id: old,
            new_session_id: None,
            reason: SessionChangeReason::Expired
        }]
    );
}

#[tokio::test]
async fn after_a_restart_reinitialize_starts_a_session_and_still_reports() {
    let server = server();
    let (client, changes) = policy_client(&server, SessionExpiryPolicy::Reinitialize);
    client.connect().await.unwrap();
    let old = client.session_id();
    changes.lock().unwrap().clear();
    server.expire_sessions();
    assert!(client.ping().await.unwrap_err().is_session_expired());
    let new = client.session_id();
    assert!(new.is_some() && new != old);
    assert_eq!(server.session_ids(), vec![new.clone().unwrap()]);
    let changes = changes.lock().unwrap().clone();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].reason, SessionChangeReason::Reinitialized);
    assert_eq!(
        (
            changes[0].old_session_id.clone(),
            changes[0].new_session_id.clone()
        ),
        (old, new)
    );
    client.ping().await.unwrap();
}

#[tokio::test]
async fn after_a_restart_retry_policy_makes_the_call_succeed_once_reinitialized() {
    let server = server();
    let (client, changes) = policy_client(&server, SessionExpiryPolicy::ReinitializeAndRetry);
    client.connect().await.unwrap();
    let old = client.session_id().unwrap();
    changes.lock().unwrap().clear();
    server.expire_sessions();
    let calls = (0..10).map(|i| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .call_tool("echo", Some(json!({"text": format!("{i}")})))
                .await
        })
    });
    for (i, call) in calls.enumerate() {
        assert_eq!(text_of(&call.await.unwrap().unwrap()), i.to_string());
    }
    let new = client.session_id().unwrap();
    assert_ne!(new, old);
    assert_eq!(
        posts(&server, "initialize").len(),
        2,
        "one new session for all ten calls"
    );
    let changes = changes.lock().unwrap().clone();
    assert_eq!(changes.len(), 1, "the callback fired once: {changes:?}");
    assert_eq!(changes[0].reason, SessionChangeReason::Reinitialized);
    let retried: Vec<_> = posts(&server, "tools/call")
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    assert_eq!(retried.len(), 10);
    assert!(retried
        .iter()
        .all(|r| r.header("mcp-session-id") == Some(new.as_str())));
}

#[tokio::test]
async fn a_timed_out_request_is_cancelled_on_the_server() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let err = client
        .call_tool_with(
            "slow",
            Some(json!({"ms": 2000})),
            RequestOptions::timeout(Duration::from_millis(150)),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }));
    let call_id = posts(&server, "tools/call")[0].body["id"].clone();
    eventually("notifications/cancelled", || {
        !posts(&server, "notifications/cancelled").is_empty()
    })
    .await;
    let cancel = posts(&server, "notifications/cancelled").pop().unwrap();
    assert_eq!(cancel.body["params"]["requestId"], call_id);
    assert_eq!(cancel.body["params"]["reason"], "the request timed out");
    assert_eq!(
        cancel.header("mcp-session-id"),
        client.session_id().as_deref()
    );
}

#[tokio::test]
async fn a_dropped_call_is_cancelled_on_the_server_but_initialize_never_is() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let dropped = tokio::time::timeout(
        Duration::from_millis(150),
        client.call_tool("slow", Some(json!({"ms": 2000}))),
    )
    .await;
    assert!(dropped.is_err());
    eventually("notifications/cancelled", || {
        !posts(&server, "notifications/cancelled").is_empty()
    })
    .await;
    assert_eq!(
        posts(&server, "notifications/cancelled")[0].body["params"]["reason"],
        "the client abandoned the request"
    );

    let stalled = server_with(|_| ());
    stalled.script(ScriptedResponse {
        status: 200,
        for_method: Some("initialize".into()),
        delay_ms: 2000,
        ..Default::default()
    });
    let impatient = Client::with_options(
        &stalled.url(),
        quick_options().timeout(Duration::from_millis(150)),
    )
    .unwrap();
    assert!(matches!(
        impatient.connect().await,
        Err(Error::Timeout { .. })
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        posts(&stalled, "notifications/cancelled").is_empty(),
        "initialize is never cancelled"
    );
}

#[tokio::test]
async fn progress_can_reset_the_timeout_under_a_hard_maximum() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let args = json!({"steps": 5, "delay_ms": 120});
    let strict = RequestOptions::timeout(Duration::from_millis(300));
    assert!(matches!(
        client
            .call_tool_with("progress", Some(args.clone()), strict)
            .await,
        Err(Error::Timeout { .. })
    ));
    let resetting = RequestOptions {
        reset_timeout_on_progress: true,
        ..RequestOptions::timeout(Duration::from_millis(300))
    };
    assert_eq!(
        text_of(
            &client
                .call_tool_with("progress", Some(args.clone()), resetting.clone())
                .await
                .unwrap()
        ),
        "done 5"
    );
    let mut capped = quick_options();
    capped.max_request_time = Duration::from_millis(400);
    let capped = Client::with_options(&server.url(), capped).unwrap();
    capped.connect().await.unwrap();
    match capped
        .call_tool_with("progress", Some(args), resetting)
        .await
    {
        Err(Error::Timeout { after }) => assert_eq!(after, Duration::from_millis(400)),
        other => panic!("the hard maximum applies: {other:?}"),
    }
}

/// SEP-1034: the server receives the schema's defaults for the fields an accepting handler left
/// out, and the handler's own values where it gave them.
#[tokio::test]
async fn an_accepted_elicitation_carries_the_schemas_defaults() {
    let server = server();
    let handlers = Handlers {
        elicitation: Some(request_handler(|_| async {
            Ok(json!({"action": "accept", "content": {"age": 41}}))
        })),
        ..Handlers::default()
    };
    let client = Client::with_options(&server.url(), quick_options().handlers(handlers)).unwrap();
    client.connect().await.unwrap();
    let schema = json!({"type": "object", "properties": {
        "name": {"type": "string", "default": "John Doe"},
        "age": {"type": "integer", "default": 30},
        "score": {"type": "number", "default": 95.5},
        "status": {"type": "string", "enum": ["active", "pending"], "default": "active"},
        "verified": {"type": "boolean", "default": true},
        "note": {"type": "string"}
    }});
    let out = client
        .call_tool(
            "ask",
            Some(json!({"kind": "elicitation",
                        "params": {"message": "defaults?", "requestedSchema": schema}})),
        )
        .await
        .unwrap();
    assert_eq!(
        out["structuredContent"]["result"]["content"],
        json!({"name": "John Doe", "age": 41, "score": 95.5, "status": "active", "verified": true}),
        "{out}"
    );
}

fn elicitation_handlers(delay: Duration) -> Handlers {
    Handlers {
        elicitation: Some(request_handler(move |params| async move {
            tokio::time::sleep(delay).await;
            let asked = params.unwrap_or_default()["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            Ok(json!({"action": "accept", "content": {"name": "Ada", "asked": asked}}))
        })),
        ..Handlers::default()
    }
}

#[tokio::test]
async fn a_tool_that_elicits_input_completes_through_the_handler_on_either_stream() {
    let server = server();
    let client = Client::with_options(
        &server.url(),
        stream_options().handlers(elicitation_handlers(Duration::ZERO)),
    )
    .unwrap();
    client.connect().await.unwrap();
    let caps = &posts(&server, "initialize")[0].body["params"]["capabilities"];
    assert_eq!(
        caps,
        &json!({"elicitation": {}}),
        "only what has a handler is advertised"
    );
    for via in ["post", "get"] {
        let out = client
            .call_tool("ask", Some(json!({"kind": "elicitation", "via": via})))
            .await
            .unwrap();
        let answer = &out["structuredContent"];
        assert_eq!(
            answer["result"]["content"]["name"], "Ada",
            "via {via}: {out}"
        );
        assert_eq!(answer["result"]["content"]["asked"], "What is your name?");
    }
    // Without a handler the server gets a method-not-found error, and the call still ends.
    let out = client
        .call_tool("ask", Some(json!({"kind": "sampling"})))
        .await
        .unwrap();
    assert_eq!(out["structuredContent"]["error"]["code"], -32601);
}

#[tokio::test]
async fn a_slow_handler_blocks_nothing_else() {
    let server = server();
    let client = Client::with_options(
        &server.url(),
        quick_options().handlers(elicitation_handlers(Duration::from_millis(800))),
    )
    .unwrap();
    client.connect().await.unwrap();
    let asking = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .call_tool("ask", Some(json!({"kind": "elicitation"})))
                .await
        }
    });
    eventually("the server's elicitation request", || {
        !posts(&server, "tools/call").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    for _ in 0..5 {
        client.ping().await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "pings waited for the handler"
    );
    assert!(!asking.is_finished());
    assert_eq!(
        asking.await.unwrap().unwrap()["structuredContent"]["result"]["action"],
        "accept"
    );
}

#[tokio::test]
async fn a_server_ping_is_answered_while_a_long_call_is_in_flight() {
    let server = server();
    let client = Client::with_options(&server.url(), stream_options()).unwrap();
    client.connect().await.unwrap();
    eventually("the standalone GET stream", || {
        !with_method(&server, "GET").is_empty()
    })
    .await;
    let long_call = tokio::spawn({
        let client = client.clone();
        async move { client.call_tool("slow", Some(json!({"ms": 1500}))).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let delivered = server
        .state()
        .push(&json!({"jsonrpc": "2.0", "id": "push-ping", "method": "ping"}));
    assert_eq!(delivered, 1);
    let pong = || {
        server
            .requests()
            .into_iter()
            .find(|r| r.body.get("id") == Some(&json!("push-ping")))
    };
    eventually("the pong", || pong().is_some()).await;
    assert!(
        !long_call.is_finished(),
        "answered while the call was still running"
    );
    assert_eq!(pong().unwrap().body["result"], json!({}));
    long_call.await.unwrap().unwrap();
}

#[tokio::test]
async fn notifications_reach_the_notification_handler() {
    let server = server();
    let seen: Seen<(String, Value)> = recorder();
    let sink = seen.clone();
    let handlers = Handlers {
        notification: Some(Arc::new(move |method: &str, params: Option<&Value>| {
            sink.lock()
                .unwrap()
                .push((method.to_owned(), params.cloned().unwrap_or_default()))
        })),
        ..Handlers::default()
    };
    let client = Client::with_options(&server.url(), stream_options().handlers(handlers)).unwrap();
    client.connect().await.unwrap();
    let (progress, opts) = progress_recorder();
    client
        .call_tool_with("progress", Some(json!({"steps": 2, "log": true})), opts)
        .await
        .unwrap();
    assert_eq!(
        progress_values(&progress),
        [1, 2],
        "progress goes to its request, not the handler"
    );
    eventually("the GET stream", || !with_method(&server, "GET").is_empty()).await;
    server
        .state()
        .push(&json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}));
    eventually("list_changed", || seen.lock().unwrap().len() == 3).await;
    let methods: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(m, _)| m.clone())
        .collect();
    assert_eq!(
        methods,
        [
            "notifications/message",
            "notifications/message",
            "notifications/tools/list_changed"
        ]
    );
    assert_eq!(seen.lock().unwrap()[0].1["data"], "step 1");
}

#[tokio::test]
async fn the_standalone_stream_carries_the_session_and_stops_on_405() {
    let server = server();
    let client = Client::with_options(&server.url(), stream_options()).unwrap();
    client.connect().await.unwrap();
    eventually("the GET stream", || !with_method(&server, "GET").is_empty()).await;
    let get = with_method(&server, "GET").pop().unwrap();
    assert_eq!(get.header("mcp-session-id"), client.session_id().as_deref());
    assert_eq!(get.header("mcp-protocol-version"), Some("2025-11-25"));
    assert_eq!(get.header("accept"), Some("text/event-stream"));

    let stateless = server_with(|c| c.stateless = true);
    let client = Client::with_options(&stateless.url(), stream_options()).unwrap();
    client.connect().await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let gets = with_method(&stateless, "GET");
    assert_eq!(gets.len(), 1, "405 means no stream: no retries");
    assert_eq!(gets[0].status, 405);
}

#[tokio::test]
async fn a_404_on_the_standalone_stream_is_an_expiry_and_follows_the_policy() {
    let server = server();
    let mut opts = stream_options().on_session_expired(SessionExpiryPolicy::Reinitialize);
    let changes: Seen<SessionChange> = recorder();
    let sink = changes.clone();
    opts.handlers.session_change = Some(Arc::new(move |c: &SessionChange| {
        sink.lock().unwrap().push(c.clone())
    }));
    let client = Client::with_options(&server.url(), opts).unwrap();
    client.connect().await.unwrap();
    let old = client.session_id().unwrap();
    eventually("the GET stream", || !with_method(&server, "GET").is_empty()).await;
    server.expire_sessions(); // ends the stream; the reconnect gets 404
                              // The change is reported right after the new session is in place: wait for both.
    eventually("a new session, reported", || {
        client.session_id().is_some_and(|s| s != old) && changes.lock().unwrap().len() >= 2
    })
    .await;
    let statuses: Vec<u16> = with_method(&server, "GET")
        .iter()
        .map(|r| r.status)
        .collect();
    assert!(statuses.contains(&404), "{statuses:?}");
    let reasons: Vec<_> = changes.lock().unwrap().iter().map(|c| c.reason).collect();
    assert_eq!(
        reasons,
        [
            SessionChangeReason::Connected,
            SessionChangeReason::Reinitialized
        ]
    );
}

#[tokio::test]
async fn a_client_can_resume_a_known_session_without_initialize() {
    let server = server();
    let first = client(&server);
    first.connect().await.unwrap();
    let (sid, version) = (
        first.session_id().unwrap(),
        first.protocol_version().unwrap(),
    );
    let second = client(&server);
    second.resume(&sid, &version).unwrap();
    assert_eq!(second.session_id(), Some(sid.clone()));
    assert_eq!(
        text_of(
            &second
                .call_tool("echo", Some(json!({"text": "again"})))
                .await
                .unwrap()
        ),
        "again"
    );
    assert_eq!(posts(&server, "initialize").len(), 1);
    assert_eq!(
        posts(&server, "tools/call")[0].header("mcp-session-id"),
        Some(sid.as_str())
    );
    assert!(matches!(
        second.resume("bad id", &version),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        second.resume(&sid, "1999-01-01"),
        Err(Error::InvalidArgument { .. })
    ));
}
