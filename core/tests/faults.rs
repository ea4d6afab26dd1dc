//! The fault matrix through the core: every misbehaviour of the testkit's hostile lane gives a
//! typed error (or the documented success) within the timeout plus a small slack, never a
//! panic or a hang, and the client works afterwards. Each case leaves a record for
//! docs/reliability.md; the cases that measure memory (64 MiB answers, a notification flood)
//! are in faults_memory.rs.
//! Python and Ruby run the same cases (bindings-*/test*/test_faults.*).

mod common;
mod faults_support;

use common::{quick_options, server, server_with, text_of, TestServer};
use faults_support::{bound, outcome, record, SLACK, TIMEOUT};
use mcpstream::handlers::request_handler;
use mcpstream::{
    blocking, Client, ClientOptions, CloseOutcome, EraChoice, Error, Handlers, RequestOptions,
    SessionExpiryPolicy,
};
use mcpstream_testkit::{Fault, FaultKind, ServerEra, MODERN_VERSION};
use serde_json::{json, Value};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn options() -> ClientOptions {
    let mut options = quick_options().timeout(TIMEOUT).close_timeout(TIMEOUT);
    options.connect_timeout = TIMEOUT;
    options
}

async fn connected(server: &TestServer, options: ClientOptions) -> Client {
    let client = Client::with_options(&server.url(), options).unwrap();
    client.connect().await.unwrap();
    client
}

async fn echo(client: &Client) -> Result<Value, Error> {
    client.call_tool("echo", Some(json!({"text": "hi"}))).await
}

async fn timed<T>(work: impl Future<Output = Result<T, Error>>) -> (Result<T, Error>, Duration) {
    let started = Instant::now();
    let result = work.await;
    (result, started.elapsed())
}

/// The client still works: a call succeeds, in a new session if the old one is gone.
async fn still_usable(client: &Client) {
    if client.session().is_none() {
        client
            .connect()
            .await
            .expect("connect again after the fault");
    }
    let out = echo(client).await.expect("a call after the fault");
    assert_eq!(text_of(&out), "hi");
}

/// One case: `fault` armed for `tools/call`, the call's outcome and time checked and recorded,
/// then the client used again.
async fn call_case(case: &str, fault: Fault, expected: &str) {
    let server = server();
    let client = connected(&server, options()).await;
    server.hostile(fault.for_method("tools/call"));
    let (result, elapsed) = timed(echo(&client)).await;
    finish(case, &server, &client, result, elapsed, expected).await;
}

async fn finish<T: std::fmt::Debug>(
    case: &str,
    server: &TestServer,
    client: &Client,
    result: Result<T, Error>,
    elapsed: Duration,
    expected: &str,
) {
    let got = outcome(&result);
    assert_eq!(got, expected, "{case}: {result:?}");
    assert!(elapsed <= bound(), "{case}: took {elapsed:?}");
    server.calm();
    still_usable(client).await;
    record(case, &got, elapsed, bound(), None);
}

#[tokio::test]
async fn close_after_request() {
    call_case(
        "close_after_request",
        Fault::new(FaultKind::CloseAfterRequest),
        "TransportError",
    )
    .await;
}

#[tokio::test]
async fn sse_cut_mid_event() {
    call_case(
        "sse_cut_mid_event",
        Fault::new(FaultKind::SseCutMidEvent),
        "ProtocolError",
    )
    .await;
}

#[tokio::test]
async fn never_answer() {
    call_case(
        "never_answer",
        Fault::new(FaultKind::NeverAnswer),
        "TimeoutError",
    )
    .await;
}

#[tokio::test]
async fn never_answer_initialize() {
    let server = server();
    let client = Client::with_options(&server.url(), options()).unwrap();
    server.hostile(Fault::new(FaultKind::NeverAnswer).for_method("initialize"));
    let (result, elapsed) = timed(client.connect()).await;
    assert!(client.session().is_none());
    finish(
        "never_answer_initialize",
        &server,
        &client,
        result,
        elapsed,
        "TimeoutError",
    )
    .await;
}

#[tokio::test]
async fn keepalive_forever() {
    call_case(
        "keepalive_forever",
        Fault::new(FaultKind::KeepaliveForever),
        "TimeoutError",
    )
    .await;
}

#[tokio::test]
async fn drip_json() {
    let server = server();
    let client = connected(&server, options()).await;
    server.hostile(Fault::new(FaultKind::DripJson).for_method("tools/call"));
    let (result, elapsed) = timed(echo(&client)).await;
    assert_eq!(text_of(result.as_ref().unwrap()), "dripped");
    finish("drip_json", &server, &client, result, elapsed, "ok").await;
}

#[tokio::test]
async fn drip_json_slower_than_the_timeout() {
    call_case(
        "drip_json_slow",
        Fault::new(FaultKind::DripJson).interval_ms(50),
        "TimeoutError",
    )
    .await;
}

#[tokio::test]
async fn garbage_json() {
    call_case(
        "garbage_json",
        Fault::new(FaultKind::GarbageJson),
        "ProtocolError",
    )
    .await;
}

#[tokio::test]
async fn wrong_id() {
    call_case("wrong_id", Fault::new(FaultKind::WrongId), "ProtocolError").await;
}

#[tokio::test]
async fn html_500() {
    call_case("html500", Fault::new(FaultKind::Html500), "HTTPError 500").await;
}

#[tokio::test]
async fn not_found_after_connect() {
    let server = server();
    let client = connected(&server, options()).await;
    server.hostile(Fault::new(FaultKind::NotFound).for_method("tools/call"));
    let (result, elapsed) = timed(echo(&client)).await;
    assert!(client.session().is_none(), "a 404 ends the session");
    finish(
        "not_found",
        &server,
        &client,
        result,
        elapsed,
        "SessionExpiredError",
    )
    .await;
}

#[tokio::test]
async fn redirect_to_another_origin() {
    let server = server();
    let options = options().header("Authorization", "Bearer secret");
    let client = connected(&server, options).await;
    server.hostile(Fault::new(FaultKind::RedirectCrossOrigin).for_method("tools/call"));
    let (result, elapsed) = timed(echo(&client)).await;
    assert!(
        server.elsewhere_requests().is_empty(),
        "nothing reached the other origin: {:?}",
        server.elsewhere_requests()
    );
    assert!(client.session().is_some());
    finish(
        "redirect_cross_origin",
        &server,
        &client,
        result,
        elapsed,
        "HTTPError 307",
    )
    .await;
}

#[tokio::test]
async fn redirect_302_on_post() {
    call_case(
        "redirect_post_302",
        Fault::new(FaultKind::RedirectPost).status(302),
        "HTTPError 302",
    )
    .await;
}

#[tokio::test]
async fn redirect_303_on_post() {
    call_case(
        "redirect_post_303",
        Fault::new(FaultKind::RedirectPost).status(303),
        "HTTPError 303",
    )
    .await;
}

#[tokio::test]
async fn delete_never_answers() {
    let server = server();
    let client = connected(&server, options()).await;
    server.hostile(Fault::new(FaultKind::DeleteNeverAnswers));
    let started = Instant::now();
    let closed = client.close().await;
    let elapsed = started.elapsed();
    assert!(
        matches!(&closed, CloseOutcome::Failed(Error::Timeout { .. })),
        "{closed:?}"
    );
    // What the bindings return too: they say "failed", not why.
    let got = format!("close: {}", closed.as_str());
    assert!(elapsed <= bound(), "took {elapsed:?}");
    assert!(client.session().is_none(), "local state is cleared anyway");
    server.calm();
    still_usable(&client).await;
    record("delete_never_answers", &got, elapsed, bound(), None);
}

#[tokio::test]
async fn dies_mid_call_and_comes_back_without_sessions() {
    let server = server();
    let client = connected(&server, options()).await;
    server.hostile(Fault::new(FaultKind::DieAndForget).for_method("tools/call"));
    let (result, elapsed) = timed(echo(&client)).await;
    finish(
        "die_and_forget",
        &server,
        &client,
        result,
        elapsed,
        "SessionExpiredError",
    )
    .await;
}

#[tokio::test]
async fn dies_mid_call_and_the_retry_policy_does_not_run_the_call_twice() {
    let server = server();
    let options = options().on_session_expired(SessionExpiryPolicy::ReinitializeAndRetry);
    let client = connected(&server, options).await;
    let before = client.session_id().unwrap();
    server.hostile(Fault::new(FaultKind::DieAndForget).for_method("tools/call"));
    let (result, elapsed) = timed(echo(&client)).await;
    // Resuming the cut stream meets the 404 of a forgotten session. The server had taken the
    // call, so it may have run: the policy starts a new session but does not send it again.
    assert_ne!(client.session_id().unwrap(), before);
    assert_eq!(common::posts(&server, "tools/call").len(), 1, "sent once");
    finish(
        "die_and_forget_retry",
        &server,
        &client,
        result,
        elapsed,
        "SessionExpiredError",
    )
    .await;
}

async fn initialize_case(case: &str, kind: FaultKind) {
    let server = server();
    let client = Client::with_options(&server.url(), options()).unwrap();
    server.hostile(Fault::new(kind));
    let (result, elapsed) = timed(client.connect()).await;
    assert!(client.session().is_none(), "{case}: no session was kept");
    finish(case, &server, &client, result, elapsed, "ProtocolError").await;
}

#[tokio::test]
async fn initialize_with_an_invalid_session_id() {
    initialize_case(
        "initialize_bad_session_id",
        FaultKind::InitializeBadSessionId,
    )
    .await;
}

#[tokio::test]
async fn initialize_with_an_unknown_protocol_version() {
    initialize_case(
        "initialize_unknown_version",
        FaultKind::InitializeUnknownVersion,
    )
    .await;
}

#[tokio::test]
async fn input_required_forever() {
    let server = server_with(|c| c.era = ServerEra::ModernOnly);
    let asked = Arc::new(AtomicUsize::new(0));
    let count = asked.clone();
    let handlers = Handlers {
        elicitation: Some(request_handler(move |_| {
            count.fetch_add(1, Ordering::Relaxed);
            async { Ok(json!({"action": "accept", "content": {"answer": "again"}})) }
        })),
        ..Handlers::default()
    };
    let mut options = options()
        .era(EraChoice::Modern(MODERN_VERSION.into()))
        .handlers(handlers);
    options.max_input_rounds = 3;
    let client = connected(&server, options).await;
    server.hostile(
        Fault::new(FaultKind::InputRequiredForever)
            .for_method("tools/call")
            .times(0),
    );
    let (result, elapsed) = timed(echo(&client)).await;
    assert_eq!(asked.load(Ordering::Relaxed), 3, "one answer per round");
    finish(
        "input_required_forever",
        &server,
        &client,
        result,
        elapsed,
        "ProtocolError",
    )
    .await;
}

/// 16 threads share one blocking client; half of their calls time out, the other half must
/// come back with their own answers.
#[test]
fn sixteen_threads_half_timing_out() {
    let server = server();
    let client = Arc::new(blocking::Client::with_options(&server.url(), options()).unwrap());
    client.connect().unwrap();
    let started = Instant::now();
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                (0..3)
                    .map(|i| {
                        if t % 2 == 0 {
                            let slow = client.call_tool_with(
                                "slow",
                                Some(json!({"ms": 3000})),
                                RequestOptions::timeout(Duration::from_millis(300)),
                            );
                            outcome(&slow)
                        } else {
                            let text = format!("{t}-{i}");
                            let out = client.call_tool("echo", Some(json!({"text": text})));
                            match out {
                                Ok(v) if text_of(&v) == text => "ok".to_owned(),
                                other => format!("wrong answer {other:?}"),
                            }
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let outcomes: Vec<Vec<String>> = threads
        .into_iter()
        .map(|t| t.join().expect("no thread panicked"))
        .collect();
    let elapsed = started.elapsed();
    for (t, got) in outcomes.iter().enumerate() {
        let want = if t % 2 == 0 { "TimeoutError" } else { "ok" };
        assert!(got.iter().all(|o| o == want), "thread {t}: {got:?}");
    }
    // Three 300 ms timeouts in a row per slow thread, in parallel.
    let limit = Duration::from_millis(900) + bound();
    assert!(elapsed <= limit, "took {elapsed:?}");
    client
        .call_tool("echo", Some(json!({"text": "after"})))
        .unwrap();
    record("threads16_half_timeout", "ok", elapsed, limit, None);
}

/// Handlers that call their own client: a progress callback and a notification handler start
/// calls of their own (an async callback cannot block), an elicitation handler awaits one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reentrant_handlers() {
    let server = server();
    let slot: Arc<std::sync::OnceLock<Client>> = Arc::default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Result<Value, Error>>();
    let from_notes = (slot.clone(), tx.clone());
    let from_elicitation = slot.clone();
    let handlers = Handlers {
        notification: Some(Arc::new(move |_: &str, _: Option<&Value>| {
            let (slot, tx) = from_notes.clone();
            if let Some(client) = slot.get().cloned() {
                tokio::spawn(async move {
                    let _ = tx.send(echo(&client).await);
                });
            }
        })),
        elicitation: Some(request_handler(move |_| {
            let client = from_elicitation.get().cloned();
            async move {
                let inner = echo(&client.expect("set")).await?;
                Ok(json!({"action": "accept", "content": {"name": text_of(&inner)}}))
            }
        })),
        ..Handlers::default()
    };
    let client = connected(&server, options().handlers(handlers)).await;
    let _ = slot.set(client.clone());
    let started = Instant::now();
    // Progress: each notification starts a call on the same client.
    let progress_tx = tx.clone();
    let progress_client = client.clone();
    let on_progress: mcpstream::handlers::ProgressHandler = Arc::new(move |_: &Value| {
        let (client, tx) = (progress_client.clone(), progress_tx.clone());
        tokio::spawn(async move {
            let _ = tx.send(echo(&client).await);
        });
    });
    let opts = RequestOptions {
        on_progress: Some(on_progress),
        ..RequestOptions::default()
    };
    let out = client
        .call_tool_with("progress", Some(json!({"steps": 3})), opts)
        .await
        .unwrap();
    assert_eq!(text_of(&out), "done 3");
    // Notifications: without a progress token the tool logs each step.
    client
        .call_tool("progress", Some(json!({"steps": 2})))
        .await
        .unwrap();
    // Elicitation: the handler's own call finishes before it answers.
    let asked = client
        .call_tool("ask", Some(json!({"kind": "elicitation"})))
        .await
        .unwrap();
    assert!(asked.to_string().contains("hi"), "{asked}");
    for _ in 0..5 {
        let inner = tokio::time::timeout(bound(), rx.recv())
            .await
            .expect("every nested call finished")
            .expect("a result");
        assert_eq!(text_of(&inner.unwrap()), "hi");
    }
    let elapsed = started.elapsed();
    assert!(elapsed <= bound(), "took {elapsed:?}");
    still_usable(&client).await;
    record("reentrant_handlers", "ok", elapsed, bound(), None);
}

/// Handlers that fail: an elicitation handler's error goes back to the server as a JSON-RPC
/// error; progress and notification callbacks that panic take down nothing but themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raising_handlers() {
    let server = server();
    let handlers = Handlers {
        notification: Some(Arc::new(|_: &str, _: Option<&Value>| {
            panic!("a notification handler that panics")
        })),
        elicitation: Some(request_handler(|_| async {
            Err(Error::Rpc {
                code: -32000,
                message: "the handler failed".into(),
                data: None,
            })
        })),
        ..Handlers::default()
    };
    let client = connected(&server, options().handlers(handlers)).await;
    let started = Instant::now();
    let on_progress: mcpstream::handlers::ProgressHandler =
        Arc::new(|_: &Value| panic!("a progress callback that panics"));
    let opts = RequestOptions {
        on_progress: Some(on_progress),
        ..RequestOptions::default()
    };
    let spawned = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .call_tool_with("progress", Some(json!({"steps": 2})), opts)
                .await
        })
    };
    let progress = tokio::time::timeout(bound(), spawned)
        .await
        .expect("no hang");
    let logged = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .call_tool("progress", Some(json!({"steps": 2})))
                .await
        })
    };
    let logged = tokio::time::timeout(bound(), logged)
        .await
        .expect("no hang");
    let asked = tokio::time::timeout(
        bound(),
        client.call_tool("ask", Some(json!({"kind": "elicitation"}))),
    )
    .await
    .expect("no hang");
    let elapsed = started.elapsed();
    let describe = |r: &Result<Result<Value, Error>, tokio::task::JoinError>| match r {
        Err(e) if e.is_panic() => "panic reaches the caller".to_owned(),
        Err(e) => format!("{e:?}"),
        Ok(r) => outcome(r),
    };
    let got = format!(
        "progress: {}; notification: {}; elicitation: {}",
        describe(&progress),
        describe(&logged),
        outcome(&asked)
    );
    eprintln!("raising_handlers: {got}; ask answered {asked:?}");
    // A panicking callback is caught and logged; the call goes on (as in Python and Ruby).
    assert_eq!(got, "progress: ok; notification: ok; elicitation: ok");
    assert!(elapsed <= bound() * 3, "took {elapsed:?}");
    still_usable(&client).await;
    record("raising_handlers", &got, elapsed, bound() * 3, None);
}

/// Dropping the future of a connect, a call and a close (Rust's Ctrl-C) while each is blocked
/// on a server that never answers: the drop returns at once and the client works afterwards.
#[tokio::test]
async fn dropped_while_blocked() {
    let server = server();
    let mut options = options().timeout(Duration::from_secs(30));
    options.connect_timeout = Duration::from_secs(30);
    options.close_timeout = Duration::from_secs(30);
    let client = Client::with_options(&server.url(), options).unwrap();
    let abandon = Duration::from_millis(300);
    // From the moment the future is dropped to the moment the caller has control again.
    async fn latency<T>(abandon: Duration, blocked: impl Future<Output = T>) -> Duration {
        let started = Instant::now();
        assert!(
            tokio::time::timeout(abandon, blocked).await.is_err(),
            "the operation should still be blocked"
        );
        started.elapsed().saturating_sub(abandon)
    }
    let mut latencies = Vec::new();
    server.hostile(Fault::new(FaultKind::NeverAnswer).for_method("initialize"));
    latencies.push(latency(abandon, client.connect()).await);
    server.calm();
    client.connect().await.unwrap();
    server.hostile(Fault::new(FaultKind::NeverAnswer).for_method("tools/call"));
    latencies.push(latency(abandon, echo(&client)).await);
    server.calm();
    still_usable(&client).await;
    server.hostile(Fault::new(FaultKind::DeleteNeverAnswers));
    latencies.push(latency(abandon, client.close()).await);
    server.calm();
    still_usable(&client).await;
    let worst = latencies.iter().copied().max().unwrap();
    assert!(worst <= SLACK, "{latencies:?}");
    record("interrupt_connect_call_close", "ok", worst, SLACK, None);
}
