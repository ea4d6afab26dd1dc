//! OAuth tokens against the reference authorization server: which token each request carries,
//! logging in once, refresh (on a 401 and ahead of expiry, single flight, rotation, failures)
//! and token stores shared between clients. Every test checks what the servers recorded, not
//! only what the client returned.

mod common;
use common::*;
use mcpstream::auth::{
    Auth, AuthorizeHandler, ClientCredentials, FileTokenStore, MemoryTokenStore, OAuth, TokenStore,
};
use mcpstream::{Client, CloseOutcome, Error};
use mcpstream_testkit::{AuthSettings, AuthStats, TokenFailure};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const MCP_PATH: &str = "/mcp";

fn auth_server(tweak: impl FnOnce(&mut AuthSettings)) -> TestServer {
    let mut settings = AuthSettings::default();
    tweak(&mut settings);
    server_with(|c| c.auth = Some(settings))
}

/// Plays the user's browser: the reference AS answers `/authorize` with an immediate 302,
/// whose `Location` is the redirect the client waits for.
fn headless_browser() -> AuthorizeHandler {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    Arc::new(move |url: String| {
        let http = http.clone();
        Box::pin(async move {
            let resp = http.get(&url).send().await.map_err(|e| e.to_string())?;
            let location = resp
                .headers()
                .get("location")
                .ok_or_else(|| format!("/authorize answered {} without Location", resp.status()))?
                .to_str()
                .map_err(|e| e.to_string())?
                .to_owned();
            Ok(Some(location))
        })
    })
}

fn oauth_with(store: Arc<dyn TokenStore>) -> OAuth {
    let mut oauth = OAuth::new("test", "http://127.0.0.1:0/callback");
    oauth.on_authorize = Some(headless_browser());
    oauth.token_store = store;
    oauth
}

fn oauth() -> OAuth {
    oauth_with(Arc::new(MemoryTokenStore::new()))
}

fn client_with(server: &TestServer, auth: impl Into<Auth>) -> Client {
    Client::with_options(&server.url(), quick_options().auth(auth)).unwrap()
}

async fn echo(client: &Client, text: &str) -> mcpstream::Result<Value> {
    client
        .call_tool("echo", Some(json!({ "text": text })))
        .await
}

async fn echo_ok(client: &Client, text: &str) {
    let result = echo(client, text).await.unwrap();
    assert_eq!(text_of(&result), text);
}

fn stats(server: &TestServer) -> AuthStats {
    server.auth().stats()
}

fn mcp_requests(server: &TestServer) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path == MCP_PATH)
        .collect()
}

/// The refresh tokens presented by `refresh_token` grants, in order.
fn presented_refresh_tokens(stats: &AuthStats) -> Vec<String> {
    stats
        .token_requests_for("refresh_token")
        .iter()
        .map(|r| r.form.get("refresh_token").cloned().unwrap_or_default())
        .collect()
}

/// A directory of its own under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mcpstream-auth-tokens-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }

    fn file(&self) -> PathBuf {
        self.0.join("tokens.json")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn the_issued_token_goes_on_every_post_get_and_delete_and_never_to_the_auth_server() {
    let server = auth_server(|_| {});
    let options = quick_options().standalone_stream(true).auth(oauth());
    let client = Client::with_options(&server.url(), options).unwrap();
    client.connect().await.unwrap();
    echo_ok(&client, "one").await;
    echo_ok(&client, "two").await;
    assert!(matches!(client.close().await, CloseOutcome::Terminated));

    let issued = stats(&server).access_tokens;
    assert_eq!(issued.len(), 1, "one login, one token");
    let token = issued[0].as_str();
    let mcp = mcp_requests(&server);
    let (first, after_login) = mcp.split_first().unwrap();
    assert_eq!(first.rpc_method(), Some("initialize"));
    assert_eq!(first.header("authorization"), None, "nothing to send yet");
    assert_eq!(first.status, 401);
    for r in after_login {
        assert_eq!(
            r.bearer(),
            Some(token),
            "{} {:?} must carry the issued token",
            r.method,
            r.rpc_method()
        );
        assert!(
            (200..300).contains(&r.status),
            "{} got {}",
            r.method,
            r.status
        );
    }
    for method in ["POST", "GET", "DELETE"] {
        assert!(
            after_login.iter().any(|r| r.method == method),
            "no {method} to the MCP endpoint was recorded"
        );
    }
    assert_eq!(posts(&server, "tools/call").len(), 2);

    let elsewhere: Vec<RecordedRequest> = server
        .requests()
        .into_iter()
        .filter(|r| r.path != MCP_PATH)
        .collect();
    let paths: Vec<&str> = elsewhere.iter().map(|r| r.path.as_str()).collect();
    for expected in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-authorization-server",
        "/register",
        "/authorize",
        "/token",
    ] {
        assert!(paths.contains(&expected), "{expected} not in {paths:?}");
    }
    for r in &elsewhere {
        assert_eq!(
            r.bearer(),
            None,
            "{} {} carried a bearer token",
            r.method,
            r.path
        );
    }
}

#[tokio::test]
async fn the_client_logs_in_once_for_many_calls() {
    let server = auth_server(|_| {});
    let client = client_with(&server, oauth());
    client.connect().await.unwrap();
    for i in 0..5 {
        echo_ok(&client, &format!("call {i}")).await;
    }

    let s = stats(&server);
    assert_eq!(s.registrations, 1);
    assert_eq!(s.authorizations.len(), 1);
    assert_eq!(s.token_requests.len(), 1, "{:?}", s.token_requests);
    assert_eq!(s.token_requests[0].grant_type, "authorization_code");
    assert_eq!(s.token_requests[0].status, 200);
    assert_eq!(s.refreshes, 0);

    // 401 → discovery → registration → authorization → token, then the retried initialize.
    let order: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    let at = |what: &str| {
        order
            .iter()
            .position(|o| o.starts_with(what))
            .unwrap_or_else(|| panic!("{what} not in {order:?}"))
    };
    assert_eq!(order[0], "POST /mcp 401");
    assert!(at("GET /.well-known/oauth-protected-resource") < at("POST /register"));
    assert!(at("GET /.well-known/oauth-authorization-server") < at("POST /register"));
    assert!(at("POST /register") < at("GET /authorize"));
    assert!(at("GET /authorize") < at("POST /token"));
    assert!(at("POST /token") < at("POST /mcp 200"));

    let unauthorized = mcp_requests(&server)
        .iter()
        .filter(|r| r.status == 401)
        .count();
    assert_eq!(unauthorized, 1, "{order:?}");
    let calls = posts(&server, "tools/call");
    assert_eq!(calls.len(), 5);
    assert!(calls
        .iter()
        .all(|r| r.status == 200 && r.bearer() == Some(s.access_tokens[0].as_str())));
}

#[tokio::test]
async fn a_token_expired_on_the_server_is_refreshed_once_and_the_rotated_refresh_token_stored() {
    let server = auth_server(|_| {});
    let store = MemoryTokenStore::new();
    let first = client_with(&server, oauth_with(Arc::new(store.clone())));
    first.connect().await.unwrap();
    echo_ok(&first, "before").await;

    assert_eq!(server.auth().expire_tokens(), 1);
    server.clear_requests();
    echo_ok(&first, "after").await;

    let s = stats(&server);
    assert_eq!(s.refreshes, 1);
    assert_eq!(s.authorizations.len(), 1);
    let refresh = s.token_requests_for("refresh_token")[0].clone();
    assert_eq!(refresh.status, 200);
    assert_eq!(s.access_tokens.len(), 2);
    let calls = posts(&server, "tools/call");
    assert_eq!(
        calls.iter().map(|r| r.status).collect::<Vec<_>>(),
        [401, 200],
        "the expired token once, then the refreshed one"
    );
    assert_eq!(calls[1].bearer(), Some(s.access_tokens[1].as_str()));

    // A second client on the same store starts from what the first stored: the refreshed
    // access token at once, and (after another expiry) the rotated refresh token, which is
    // the only one the server still accepts.
    server.clear_requests();
    let second = client_with(&server, oauth_with(Arc::new(store.clone())));
    second.connect().await.unwrap();
    let mcp = mcp_requests(&server);
    assert_eq!(mcp[0].bearer(), Some(s.access_tokens[1].as_str()));
    assert_eq!(
        mcp[0].status, 200,
        "no 401 for a client with a stored token"
    );

    server.auth().expire_tokens();
    echo_ok(&second, "second client").await;
    let s = stats(&server);
    assert_eq!(s.authorizations.len(), 1, "no new authorization");
    assert_eq!(s.registrations, 1);
    let presented = presented_refresh_tokens(&s);
    assert_eq!(presented.len(), 2);
    assert_ne!(presented[0], presented[1], "the rotated refresh token");
    assert!(s
        .token_requests_for("refresh_token")
        .iter()
        .all(|r| r.status == 200));
}

#[tokio::test]
async fn concurrent_calls_meeting_an_expired_token_share_one_refresh() {
    let server = auth_server(|s| s.token_delay_ms = 300);
    let client = client_with(&server, oauth());
    client.connect().await.unwrap();
    server.auth().expire_tokens();
    server.clear_requests();

    let calls = (0..20).map(|i| {
        let client = client.clone();
        tokio::spawn(async move {
            let text = format!("call {i}");
            let result = echo(&client, &text).await;
            (text, result)
        })
    });
    for joined in futures_util::future::join_all(calls).await {
        let (text, result) = joined.unwrap();
        assert_eq!(text_of(&result.unwrap()), text);
    }

    let s = stats(&server);
    assert_eq!(s.refreshes, 1, "{:?}", s.token_requests);
    assert_eq!(s.authorizations.len(), 1);
    let refreshed = s.access_tokens.last().unwrap().as_str();
    let calls = posts(&server, "tools/call");
    let refused = calls.iter().filter(|r| r.status == 401).count();
    assert!(
        refused > 1,
        "the calls did not overlap: {refused} met the expired token"
    );
    let answered: Vec<&RecordedRequest> = calls.iter().filter(|r| r.status == 200).collect();
    assert_eq!(answered.len(), 20);
    assert!(answered.iter().all(|r| r.bearer() == Some(refreshed)));
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_the_request_is_sent() {
    // A 2 s lifetime, so the margin before expiry is 0 s and the client renews once its
    // whole-second clock reaches the expiry: up to a second before the server's, never more
    // than the few milliseconds the answer took to arrive after it. After 2.2 s the token is
    // stale on both sides, so a client that did not renew first would meet a 401.
    let server = auth_server(|s| s.access_token_ttl_secs = 2);
    let client = client_with(&server, oauth());
    client.connect().await.unwrap();
    echo_ok(&client, "fresh").await;
    assert_eq!(stats(&server).refreshes, 0);

    tokio::time::sleep(Duration::from_millis(2200)).await;
    server.clear_requests();
    echo_ok(&client, "renewed ahead").await;

    let s = stats(&server);
    assert_eq!(s.refreshes, 1);
    assert_eq!(s.authorizations.len(), 1);
    let mcp = mcp_requests(&server);
    assert_eq!(mcp.len(), 1, "one POST, no 401 and retry: {mcp:?}");
    assert_eq!(mcp[0].status, 200);
    assert_eq!(mcp[0].bearer(), Some(s.access_tokens[1].as_str()));
    let order: Vec<String> = server
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p == "/token" || p == MCP_PATH)
        .collect();
    assert_eq!(order, ["/token", MCP_PATH], "refresh first, then the call");
}

#[tokio::test]
async fn a_refresh_answer_without_a_refresh_token_keeps_the_old_one() {
    let server = auth_server(|s| s.refresh_omits_refresh_token = true);
    let client = client_with(&server, oauth());
    client.connect().await.unwrap();

    for round in 0..2 {
        server.auth().expire_tokens();
        echo_ok(&client, &format!("after expiry {round}")).await;
    }

    let s = stats(&server);
    assert_eq!(s.refreshes, 2);
    assert_eq!(s.authorizations.len(), 1);
    let refreshes = s.token_requests_for("refresh_token");
    assert!(refreshes.iter().all(|r| r.status == 200), "{refreshes:?}");
    let presented = presented_refresh_tokens(&s);
    assert!(!presented[0].is_empty());
    assert_eq!(
        presented[0], presented[1],
        "the second refresh sends the original refresh token"
    );
}

#[tokio::test]
async fn a_refused_refresh_token_leads_to_a_new_authorization() {
    let server = auth_server(|_| {});
    let client = client_with(&server, oauth());
    client.connect().await.unwrap();

    server.auth().expire_tokens();
    server.auth().fail_next_token(TokenFailure {
        error: Some("invalid_grant".into()),
        ..Default::default()
    });
    echo_ok(&client, "after invalid_grant").await;

    let s = stats(&server);
    assert_eq!(s.refreshes, 1);
    assert_eq!(s.token_requests_for("refresh_token")[0].status, 400);
    assert_eq!(s.authorizations.len(), 2, "authorized anew");
    assert_eq!(s.registrations, 1, "the registration is still good");
    let codes = s.token_requests_for("authorization_code");
    assert_eq!(codes.len(), 2);
    assert_eq!(codes[1].status, 200);
    let last_call = posts(&server, "tools/call").pop().unwrap();
    assert_eq!(last_call.status, 200);
    assert_eq!(
        last_call.bearer(),
        s.access_tokens.last().map(String::as_str)
    );
}

#[tokio::test]
async fn a_refresh_that_fails_in_transit_or_with_a_500_keeps_the_stored_credentials() {
    let dir = TempDir::new("refresh-fault");
    let server = auth_server(|_| {});
    let client = client_with(
        &server,
        oauth_with(Arc::new(FileTokenStore::new(dir.file()))),
    );
    client.connect().await.unwrap();

    let faults = [
        TokenFailure {
            close: true,
            ..Default::default()
        },
        TokenFailure {
            status: Some(500),
            ..Default::default()
        },
    ];
    for (round, fault) in faults.into_iter().enumerate() {
        let label = format!("{fault:?}");
        server.auth().expire_tokens();
        server.auth().fail_next_token(fault);
        let err = echo(&client, "doomed").await.unwrap_err();
        assert!(
            matches!(err, Error::Transport { .. } | Error::Authorization(_)),
            "{label}: {err:?}"
        );
        let s = stats(&server);
        let attempted = s
            .token_requests_for("refresh_token")
            .last()
            .copied()
            .unwrap();
        assert_eq!(
            attempted.status,
            if round == 0 { 0 } else { 500 },
            "{label}"
        );
        let refresh_token = attempted.form["refresh_token"].clone();
        let stored = std::fs::read_to_string(dir.file()).unwrap();
        assert!(
            stored.contains(&refresh_token),
            "{label}: the store lost the refresh token"
        );

        // Once the server is fine again, the next call refreshes with what was kept.
        echo_ok(&client, &format!("recovered {round}")).await;
        let s = stats(&server);
        assert_eq!(s.authorizations.len(), 1, "{label}: no new authorization");
        let last = s
            .token_requests_for("refresh_token")
            .last()
            .copied()
            .unwrap();
        assert_eq!(last.status, 200, "{label}");
        assert_eq!(last.form["refresh_token"], refresh_token, "{label}");
    }

    // Another client reading the same file after all this needs no authorization either.
    server.auth().expire_tokens();
    let other = client_with(
        &server,
        oauth_with(Arc::new(FileTokenStore::new(dir.file()))),
    );
    other.connect().await.unwrap();
    echo_ok(&other, "other").await;
    assert_eq!(stats(&server).authorizations.len(), 1);
}

#[tokio::test]
async fn a_client_the_server_forgot_registers_again_once() {
    let server = auth_server(|_| {});
    let client = client_with(&server, oauth());
    client.connect().await.unwrap();
    let before = stats(&server);
    let old_client_id = before.authorizations[0]["client_id"].clone();

    assert_eq!(server.auth().revoke_clients(), 1);
    server.auth().expire_tokens();
    echo_ok(&client, "after revocation").await;

    let s = stats(&server);
    assert_eq!(s.registrations, 2);
    assert_eq!(s.authorizations.len(), 2);
    let refreshes = s.token_requests_for("refresh_token");
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].status, 401, "invalid_client");
    let new_client_id = s.authorizations[1]["client_id"].clone();
    assert_ne!(new_client_id, old_client_id);
    let code = s.token_requests_for("authorization_code")[1].clone();
    assert_eq!(code.client_id.as_deref(), Some(new_client_id.as_str()));
    assert_eq!(code.status, 200);

    echo_ok(&client, "and again").await;
    assert_eq!(stats(&server).registrations, 2);
}

#[tokio::test]
async fn a_new_authorization_server_gets_a_registration_of_its_own() {
    let server = auth_server(|_| {});
    let client = client_with(&server, oauth());
    client.connect().await.unwrap();
    let old_client_id = stats(&server).authorizations[0]["client_id"].clone();

    server.auth().switch_issuer(Some("/as2")).unwrap();
    server.clear_requests();
    echo_ok(&client, "new issuer").await;

    let s = stats(&server);
    assert_eq!(s.registrations, 2);
    assert_eq!(s.authorizations.len(), 2);
    let new_client_id = s.authorizations[1]["client_id"].clone();
    assert_ne!(new_client_id, old_client_id);
    let issuer = format!("{}/as2", server.base_url());
    let at_new: Vec<_> = s
        .token_requests
        .iter()
        .filter(|r| r.issuer == issuer)
        .collect();
    assert_eq!(at_new.len(), 1, "{:?}", s.token_requests);
    assert_eq!(at_new[0].grant_type, "authorization_code");
    assert_eq!(at_new[0].client_id.as_deref(), Some(new_client_id.as_str()));
    assert_eq!(at_new[0].status, 200);
    assert_eq!(
        s.refreshes, 0,
        "the old issuer's refresh token is not tried"
    );

    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    assert_eq!(paths[0], "POST /mcp 401", "{paths:?}");
    for expected in [
        "GET /.well-known/oauth-authorization-server/as2 200",
        "POST /as2/register 201",
        "GET /as2/authorize 302",
        "POST /as2/token 200",
    ] {
        assert!(
            paths.iter().any(|p| p == expected),
            "{expected} not in {paths:?}"
        );
    }
    assert!(
        !paths.iter().any(|p| p.contains(" /register")
            || p.contains(" /authorize")
            || p.contains(" /token")),
        "nothing went to the old issuer: {paths:?}"
    );
    let registration = s.registration_requests.last().unwrap();
    assert!(registration.get("client_id").is_none());
    let last = posts(&server, "tools/call").pop().unwrap();
    assert_eq!(last.status, 200);
    assert_eq!(last.bearer(), s.access_tokens.last().map(String::as_str));
}

#[tokio::test]
async fn a_file_store_lets_a_new_process_send_its_token_at_once() {
    let dir = TempDir::new("new-process");
    let server = auth_server(|_| {});
    let a = client_with(
        &server,
        oauth_with(Arc::new(FileTokenStore::new(dir.file()))),
    );
    a.connect().await.unwrap();
    echo_ok(&a, "from a").await;
    drop(a);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.file()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        let dir_mode = std::fs::metadata(&dir.0).unwrap().permissions().mode();
        assert_eq!(
            dir_mode & 0o777,
            0o700,
            "the store created the directory: {dir_mode:o}"
        );
    }

    server.clear_requests();
    let b = client_with(
        &server,
        oauth_with(Arc::new(FileTokenStore::new(dir.file()))),
    );
    b.connect().await.unwrap();
    echo_ok(&b, "from b").await;

    let s = stats(&server);
    assert_eq!(s.authorizations.len(), 1, "b needed no authorization");
    assert_eq!(s.registrations, 1);
    assert_eq!(s.token_requests.len(), 1);
    let mcp = mcp_requests(&server);
    assert_eq!(mcp[0].rpc_method(), Some("initialize"));
    assert_eq!(mcp[0].bearer(), Some(s.access_tokens[0].as_str()));
    assert!(
        mcp.iter().all(|r| (200..300).contains(&r.status)),
        "no 401 at all: {mcp:?}"
    );
    assert!(
        server.requests().iter().all(|r| r.path == MCP_PATH),
        "not even discovery"
    );
}

/// Two clients sharing one file, both with the same (now expired) grant.
async fn two_clients_on_one_file(server: &TestServer, dir: &TempDir) -> (Client, Client) {
    let a = client_with(
        server,
        oauth_with(Arc::new(FileTokenStore::new(dir.file()))),
    );
    a.connect().await.unwrap();
    let b = client_with(
        server,
        oauth_with(Arc::new(FileTokenStore::new(dir.file()))),
    );
    b.connect().await.unwrap();
    assert_eq!(stats(server).authorizations.len(), 1);
    server.auth().expire_tokens();
    (a, b)
}

#[tokio::test]
async fn the_loser_of_a_refresh_race_between_processes_takes_the_winners_tokens() {
    // Deterministic: every token request waits 300 ms at the server, and b meets the expired
    // token 150 ms after a. So both refreshes are in flight with the same refresh token; a's
    // is answered (rotated) and stored ~150 ms before b's is refused with invalid_grant, and
    // b must then find a's tokens in the file instead of wiping it or authorizing again.
    let dir = TempDir::new("race-staggered");
    let server = auth_server(|s| s.token_delay_ms = 300);
    let (a, b) = two_clients_on_one_file(&server, &dir).await;

    let first = echo(&a, "a");
    let second = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        echo(&b, "b").await
    };
    let (ra, rb) = tokio::join!(first, second);
    assert_eq!(text_of(&ra.unwrap()), "a");
    assert_eq!(text_of(&rb.unwrap()), "b");

    let s = stats(&server);
    let refreshes = s.token_requests_for("refresh_token");
    assert_eq!(
        refreshes.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 400],
        "both refreshed with the same token; the second lost"
    );
    assert_eq!(
        refreshes[0].form["refresh_token"],
        refreshes[1].form["refresh_token"]
    );
    assert_eq!(
        s.authorizations.len(),
        1,
        "the loser took the winner's tokens"
    );
    let winner = s.access_tokens.last().unwrap().as_str();
    let calls = posts(&server, "tools/call");
    let answered: Vec<_> = calls.iter().filter(|r| r.status == 200).collect();
    assert_eq!(answered.len(), 2);
    assert!(answered.iter().all(|r| r.bearer() == Some(winner)));

    // Both keep working afterwards, and the file holds the winner's grant for both.
    server.auth().expire_tokens();
    echo_ok(&a, "a again").await;
    echo_ok(&b, "b again").await;
    assert_eq!(stats(&server).authorizations.len(), 1);
}

#[tokio::test]
async fn simultaneous_refreshes_between_processes_cost_at_most_one_authorization() {
    // Whichever refresh the server answers second is refused (rotation); whether the loser
    // still finds the winner's tokens in the file depends on timing, so at most one new
    // authorization, and never a store left without a usable grant.
    let dir = TempDir::new("race-simultaneous");
    let server = auth_server(|s| s.token_delay_ms = 300);
    let (a, b) = two_clients_on_one_file(&server, &dir).await;

    let (ra, rb) = tokio::join!(echo(&a, "a"), echo(&b, "b"));
    assert_eq!(text_of(&ra.unwrap()), "a");
    assert_eq!(text_of(&rb.unwrap()), "b");

    let s = stats(&server);
    assert_eq!(s.refreshes, 2, "{:?}", s.token_requests);
    assert!(s.authorizations.len() <= 2, "{:?}", s.authorizations);

    // A third process starting from the file works without authorizing.
    let before = s.authorizations.len();
    server.clear_requests();
    let c = client_with(
        &server,
        oauth_with(Arc::new(FileTokenStore::new(dir.file()))),
    );
    c.connect().await.unwrap();
    echo_ok(&c, "c").await;
    assert_eq!(stats(&server).authorizations.len(), before);
    assert!(mcp_requests(&server)
        .iter()
        .all(|r| (200..300).contains(&r.status)));
}

#[tokio::test]
async fn client_credentials_with_a_secret_use_basic_auth_and_get_a_new_token_after_expiry() {
    let server = auth_server(|s| {
        s.pre_registered = Some(("machine".into(), "s3cret".into()));
    });
    let client = client_with(&server, ClientCredentials::with_secret("machine", "s3cret"));
    client.connect().await.unwrap();
    echo_ok(&client, "m2m").await;

    server.auth().expire_tokens();
    echo_ok(&client, "m2m after expiry").await;

    let s = stats(&server);
    assert_eq!(s.authorizations.len(), 0, "no user involved");
    assert_eq!(s.registrations, 0);
    assert_eq!(s.refreshes, 0);
    let grants = s.token_requests_for("client_credentials");
    assert_eq!(grants.len(), 2, "{:?}", s.token_requests);
    assert_eq!(s.token_requests.len(), 2);
    for grant in grants {
        assert_eq!(grant.auth, "basic");
        assert_eq!(grant.client_id.as_deref(), Some("machine"));
        assert!(!grant.form.contains_key("client_secret"));
        assert_eq!(grant.form.get("resource"), Some(&server.url()));
        assert_eq!(grant.status, 200);
    }
    let last = posts(&server, "tools/call").pop().unwrap();
    assert_eq!(last.status, 200);
    assert_eq!(last.bearer(), Some(s.access_tokens[1].as_str()));
}
