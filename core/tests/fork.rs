//! fork(): a client made before the fork works in the child (new connections, the same
//! session), leaves the session to the parent when closed there, and a call in flight in
//! another thread at fork time wedges neither process. The reference server runs in this
//! (the parent) process; the child reaches it over loopback and reports through its exit code.

mod common;
mod faults_support;

use common::{posts, quick_options, server, text_of};
use faults_support::record;
use mcpstream::{blocking, CloseOutcome};
use serde_json::json;
use std::time::{Duration, Instant};

/// What the child may take: its calls run under a 3 s timeout, and it should take well under 1 s.
const CHILD_BOUND: Duration = Duration::from_secs(5);

/// Runs `child` in a forked child and returns its exit code; a child still running after
/// `limit` is killed and counts as a hang. The child's time goes to the fault matrix as `case`.
fn in_child(case: &str, limit: Duration, child: impl FnOnce() -> i32) -> i32 {
    let started = Instant::now();
    // SAFETY: the child runs `child` and leaves with _exit, never returning into the harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(101);
        unsafe { libc::_exit(code) };
    }
    let deadline = Instant::now() + limit;
    let mut status = 0;
    loop {
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            assert!(libc::WIFEXITED(status), "the child died: status {status}");
            let code = libc::WEXITSTATUS(status);
            let outcome = if code == 0 {
                "ok".to_owned()
            } else {
                format!("exit {code}")
            };
            record(case, &outcome, started.elapsed(), CHILD_BOUND, None);
            return code;
        }
        if Instant::now() > deadline {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            unsafe { libc::waitpid(pid, &mut status, 0) };
            panic!("the child hung for {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn echo(client: &blocking::Client, text: &str) -> bool {
    client
        .call_tool("echo", Some(json!({ "text": text })))
        .is_ok_and(|out| text_of(&out) == text)
}

#[test]
fn a_client_made_before_fork_works_in_the_child_and_leaves_the_session_to_the_parent() {
    let server = server();
    let options = quick_options()
        .standalone_stream(true)
        .timeout(Duration::from_secs(3));
    let client = blocking::Client::with_options(&server.url(), options).unwrap();
    client.connect().unwrap();
    assert!(echo(&client, "before"));
    let session = client.session_id().unwrap();

    let code = in_child("fork_client_made_before", Duration::from_secs(20), || {
        if !echo(&client, "in the child") {
            return 1;
        }
        if client.session_id().as_deref() != Some(session.as_str()) {
            return 2;
        }
        match client.close() {
            CloseOutcome::LeftToParent => 0,
            _ => 3,
        }
    });
    assert_eq!(
        code, 0,
        "the child's calls (1), session (2) or close (3) failed"
    );

    let child_calls: Vec<_> = posts(&server, "tools/call")
        .into_iter()
        .filter(|r| r.body["params"]["arguments"]["text"] == "in the child")
        .collect();
    assert_eq!(child_calls.len(), 1);
    assert_eq!(
        child_calls[0].headers.get("mcp-session-id"),
        Some(&session),
        "the child goes on with the parent's session"
    );
    assert!(
        server.requests().iter().all(|r| r.method != "DELETE"),
        "the child ended the parent's session"
    );
    assert!(
        echo(&client, "after"),
        "the parent's session survives the child"
    );
    assert!(matches!(client.close(), CloseOutcome::Terminated));
}

#[test]
fn a_call_in_flight_at_fork_time_wedges_neither_process() {
    let server = server();
    let options = quick_options().timeout(Duration::from_secs(3));
    let client = blocking::Client::with_options(&server.url(), options.clone()).unwrap();
    client.connect().unwrap();

    std::thread::scope(|scope| {
        let in_flight = scope.spawn(|| client.call_tool("slow", Some(json!({"ms": 800}))).is_ok());
        std::thread::sleep(Duration::from_millis(200));

        let code = in_child("fork_call_in_flight", Duration::from_secs(20), || {
            if !echo(&client, "old client") {
                return 1;
            }
            let fresh = blocking::Client::with_options(&server.url(), options.clone()).unwrap();
            if fresh.connect().is_err() || !echo(&fresh, "new client") {
                return 2;
            }
            if !matches!(fresh.close(), CloseOutcome::Terminated) {
                return 3;
            }
            0
        });
        assert_eq!(
            code, 0,
            "in the child: the old client (1), a new one (2, 3) failed"
        );
        assert!(
            in_flight.join().unwrap(),
            "the parent's call in flight failed"
        );
    });
    assert!(echo(&client, "parent again"));
}
