//! The fault cases that measure memory: a 64 MiB JSON answer, a 64 MiB single SSE event and an
//! endless flood of notifications. One test in its own binary, so the process's peak RSS
//! belongs to one case at a time: it is reset before each (clear_refs) and its growth must stay
//! under a bound smaller than the answer, which proves the client never held it whole.

mod common;
mod faults_support;

use common::{quick_options, server, text_of};
use faults_support::{
    bound, outcome, peak_rss_mib, record, reset_peak_rss, rss_mib, Memory, RSS_BOUND_MIB, TIMEOUT,
};
use mcpstream::{Client, Handlers};
use mcpstream_testkit::{Fault, FaultKind, TestServer};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

const HUGE: u64 = 64 * 1024 * 1024;

async fn case(case: &str, server: &TestServer, client: &Client, fault: Fault, expected: &str) {
    server.hostile(fault.for_method("tools/call"));
    reset_peak_rss();
    let baseline = rss_mib();
    let started = Instant::now();
    let result = client.call_tool("echo", Some(json!({"text": "hi"}))).await;
    let elapsed = started.elapsed();
    let growth = peak_rss_mib() - baseline;
    let got = outcome(&result);
    eprintln!("{case}: {got} in {elapsed:?}, peak RSS +{growth:.1} MiB");
    assert_eq!(got, expected, "{case}: {result:?}");
    assert!(elapsed <= bound(), "{case}: took {elapsed:?}");
    assert!(
        growth < RSS_BOUND_MIB,
        "{case}: peak RSS grew by {growth:.1} MiB (bound {RSS_BOUND_MIB} MiB)"
    );
    server.calm();
    let out = client
        .call_tool("echo", Some(json!({"text": "after"})))
        .await
        .expect("the client works after the fault");
    assert_eq!(text_of(&out), "after");
    record(
        case,
        &got,
        elapsed,
        bound(),
        Some(Memory { growth_mib: growth }),
    );
}

#[test]
fn memory_stays_bounded_while_64_mib_or_a_flood_arrives() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = server();
        let notes = Arc::new(AtomicUsize::new(0));
        let counter = notes.clone();
        let handlers = Handlers {
            notification: Some(Arc::new(move |_: &str, _: Option<&Value>| {
                counter.fetch_add(1, Ordering::Relaxed);
            })),
            ..Handlers::default()
        };
        let options = quick_options().timeout(TIMEOUT).handlers(handlers);
        let client = Client::with_options(&server.url(), options).unwrap();
        client.connect().await.unwrap();
        // Warm up allocator and connection pool so the baseline is not the first call's.
        client
            .call_tool("echo", Some(json!({"text": "warm"})))
            .await
            .unwrap();
        case(
            "huge_json",
            &server,
            &client,
            Fault::new(FaultKind::HugeJson).bytes(HUGE),
            "ProtocolError",
        )
        .await;
        case(
            "huge_sse_event",
            &server,
            &client,
            Fault::new(FaultKind::HugeSseEvent).bytes(HUGE),
            "ProtocolError",
        )
        .await;
        case(
            "notification_flood",
            &server,
            &client,
            Fault::new(FaultKind::NotificationFlood),
            "TimeoutError",
        )
        .await;
        assert!(notes.load(Ordering::Relaxed) > 100, "the flood arrived");
    });
}
