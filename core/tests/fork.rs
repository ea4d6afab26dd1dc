//! fork(): a client made before the fork works in the child (new connections, the same
//! session), leaves the session to the parent when closed there, and a call in flight in
//! another thread at fork time wedges neither process; a subscription made before the fork
//! ends at once in the child and goes on in the parent; an authorization waiting for the user
//! at fork time holds up nothing in the child. The reference server runs in this (the parent)
//! process; the child reaches it over loopback and reports through its exit code.

mod common;
mod faults_support;

use common::{posts, quick_options, server, text_of, Config, TestServer};
use faults_support::record;
use mcpstream::auth::{AuthorizeHandler, OAuth};
use mcpstream::{blocking, CloseOutcome, EraChoice, Error, SubscriptionEvent};
use mcpstream_testkit::AuthSettings;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the child may take: its calls run under a 3 s timeout, and it should take well under 1 s.
const CHILD_BOUND: Duration = Duration::from_secs(5);

/// [`run_in_child`], with the child's time going to the fault matrix as `case`.
fn in_child(case: &str, limit: Duration, child: impl FnOnce() -> i32) -> i32 {
    let started = Instant::now();
    let code = run_in_child(limit, child);
    let outcome = if code == 0 {
        "ok".to_owned()
    } else {
        format!("exit {code}")
    };
    record(case, &outcome, started.elapsed(), CHILD_BOUND, None);
    code
}

/// Runs `child` in a forked child and returns its exit code; a child still running after
/// `limit` is killed and counts as a hang.
fn run_in_child(limit: Duration, child: impl FnOnce() -> i32) -> i32 {
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
            return libc::WEXITSTATUS(status);
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

#[test]
fn a_subscription_made_before_fork_ends_at_once_in_the_child_and_goes_on_in_the_parent() {
    let server = server();
    let options = quick_options()
        .era(EraChoice::Modern("2026-07-28".into()))
        .timeout(Duration::from_secs(3));
    let client = blocking::Client::with_options(&server.url(), options).unwrap();
    client.connect().unwrap();
    let mut subscription = Some(client.listen(json!({"toolsListChanged": true})).unwrap());

    let code = in_child(
        "fork_subscription_made_before",
        Duration::from_secs(20),
        || {
            let mut inherited = subscription.take().unwrap();
            // No time limit: no task feeds the parent's subscription here, so a wait for its next
            // event must not wait for one.
            match inherited.next_event(None) {
                Some(SubscriptionEvent::Ended {
                    error: Some(Error::InvalidArgument { message }),
                }) if message.contains("fork()") => {}
                _ => return 1,
            }
            if inherited.next_event(None).is_some() {
                return 2;
            }
            drop(inherited);
            match client.listen(json!({"promptsListChanged": true})) {
                Ok(own) if own.acknowledged() == &json!({"promptsListChanged": true}) => 0,
                _ => 3,
            }
        },
    );
    assert_eq!(
        code, 0,
        "in the child: the inherited subscription did not end (1), ended twice (2), or listening anew failed (3)"
    );

    let mut subscription = subscription.unwrap();
    let notify = json!({"method": "notifications/tools/list_changed"});
    assert_eq!(server.notify_listeners(&notify), Ok(1));
    match subscription.next_event(Some(Duration::from_secs(5))) {
        Some(SubscriptionEvent::Notification { method, .. }) => {
            assert_eq!(method, "notifications/tools/list_changed")
        }
        other => panic!("the parent's subscription should go on: {other:?}"),
    }
}

/// The reference server's authorization page sends the browser straight back, as if the
/// user had consented; the redirect URL is what `on_authorize` returns.
async fn consent(url: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let resp = browser.get(url).send().await.unwrap();
    resp.headers()["location"].to_str().unwrap().to_owned()
}

#[test]
fn an_authorization_waiting_for_the_user_at_fork_time_holds_up_nothing_in_the_child() {
    static ASKED: AtomicBool = AtomicBool::new(false);
    static CHILD_DONE: AtomicBool = AtomicBool::new(false);
    let server = TestServer::start(Config {
        auth: Some(AuthSettings::default()),
        ..Config::default()
    });
    let parent = std::process::id();
    // In the parent the user takes their time (until the child is done); in the child they
    // consent at once.
    let user: AuthorizeHandler = Arc::new(move |url: String| {
        Box::pin(async move {
            if std::process::id() == parent {
                ASKED.store(true, Ordering::SeqCst);
                for _ in 0..2000 {
                    if CHILD_DONE.load(Ordering::SeqCst) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            Ok(Some(consent(&url).await))
        })
    });
    let mut oauth = OAuth::new("fork tests", "http://127.0.0.1:0/callback");
    oauth.on_authorize = Some(user);
    let options = quick_options().timeout(Duration::from_secs(3)).auth(oauth);
    let client = blocking::Client::with_options(&server.url(), options).unwrap();

    std::thread::scope(|scope| {
        let connecting = scope.spawn(|| client.connect().is_ok());
        for _ in 0..1000 {
            if ASKED.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            ASKED.load(Ordering::SeqCst),
            "the parent never asked the user"
        );

        // The parent's authorization holds the one-at-a-time lock and stops deadlines while
        // it waits for the user; neither may reach into the child.
        let code = run_in_child(Duration::from_secs(20), || {
            if client.connect().is_err() {
                return 1;
            }
            if !echo(&client, "in the child") {
                return 2;
            }
            0
        });
        CHILD_DONE.store(true, Ordering::SeqCst);
        assert_eq!(
            code, 0,
            "in the child: connecting (authorizing) (1) or a call (2) failed"
        );
        assert!(
            connecting.join().unwrap(),
            "the parent's authorization finished"
        );
    });
    assert!(echo(&client, "in the parent"));
}
