//! Authorization against the reference authorization server (tests/testkit `Config.auth`):
//! what the client refuses before it trusts an answer (PKCE, state, iss, issuers, resources,
//! insecure endpoints), discovery fallbacks, step-up, the ways the user comes back (a callback
//! that returns the redirect, the loopback listener, complete_authorization), and that no
//! lock or deadline gets in the way while the user is authorizing.

mod common;

use common::{quick_options, Config, TestServer};
use mcpstream::auth::{AuthorizeHandler, OAuth};
use mcpstream::{AuthErrorKind, Client, ClientOptions, Error};
use mcpstream_testkit::{AuthSettings, AuthorizeFailure, IssMode, StateMode, TokenFailure};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn server(tweak: impl FnOnce(&mut AuthSettings)) -> TestServer {
    let mut settings = AuthSettings::default();
    tweak(&mut settings);
    TestServer::start(Config {
        auth: Some(settings),
        ..Config::default()
    })
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Where the authorization server sends the user back: the reference server redirects at
/// once, as if the user had already consented.
async fn redirect_of(url: &str) -> String {
    let resp = browser().get(url).send().await.unwrap();
    assert_eq!(
        resp.status().as_u16(),
        302,
        "authorize answered {}",
        resp.status()
    );
    resp.headers()["location"].to_str().unwrap().to_owned()
}

/// A user who approves at once and hands the redirect back (headless use).
fn approving_user() -> AuthorizeHandler {
    Arc::new(|url: String| Box::pin(async move { Ok(Some(redirect_of(&url).await)) }))
}

fn oauth(user: AuthorizeHandler) -> OAuth {
    let mut o = OAuth::new("auth-flow tests", "http://127.0.0.1:0/callback");
    o.on_authorize = Some(user);
    o
}

fn client_with(server: &TestServer, auth: OAuth) -> Client {
    Client::with_options(&server.url(), quick_options().auth(auth)).unwrap()
}

fn auth_error(e: Error) -> mcpstream::AuthError {
    match e {
        Error::Authorization(e) => *e,
        other => panic!("expected an authorization error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_user_authorizes_once_and_the_calls_carry_the_token() {
    let server = server(|_| {});
    let client = client_with(&server, oauth(approving_user()));
    client.connect().await.unwrap();
    let result = client
        .call_tool("echo", Some(json!({"text": "hi"})))
        .await
        .unwrap();
    assert_eq!(result["content"][0]["text"], "hi");
    let stats = server.auth().stats();
    assert_eq!(stats.authorizations.len(), 1);
    let asked = &stats.authorizations[0];
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(asked["resource"], format!("{}", server.url()));
    // No challenge scope: every scope the resource metadata lists, plus offline_access,
    // which the authorization server lists.
    assert_eq!(asked["scope"], "mcp:read mcp:write offline_access");
    let code = stats.token_requests_for("authorization_code");
    assert_eq!(code.len(), 1);
    assert_eq!(code[0].form["resource"], asked["resource"]);
    assert!(code[0].form.contains_key("code_verifier"));
}

#[tokio::test]
async fn an_authorization_server_without_pkce_is_refused_before_any_authorization() {
    let server = server(|s| s.pkce_advertised = false);
    let client = client_with(&server, oauth(approving_user()));
    let e = auth_error(client.connect().await.unwrap_err());
    assert_eq!(e.kind, AuthErrorKind::Failed);
    assert!(e.message.contains("PKCE"), "{}", e.message);
    assert!(server.auth().stats().authorizations.is_empty());
    assert_eq!(server.auth().stats().registrations, 0);
}

#[tokio::test]
async fn a_redirect_with_the_wrong_or_no_state_is_ignored() {
    for mode in [StateMode::Wrong, StateMode::Missing] {
        let server = server(|s| s.state_mode = mode);
        let client = client_with(&server, oauth(approving_user()));
        let e = auth_error(client.connect().await.unwrap_err());
        assert!(e.message.contains("state"), "{mode:?}: {}", e.message);
        assert!(
            server.auth().stats().token_requests.is_empty(),
            "{mode:?}: the code was redeemed"
        );
    }
}

#[tokio::test]
async fn the_redirect_must_come_from_the_issuer_it_was_sent_to() {
    // (iss mode, advertised, accepted?)
    let cases = [
        (IssMode::Correct, true, true),
        (IssMode::Missing, false, true),
        (IssMode::Missing, true, false),
        (IssMode::Wrong, true, false),
        (IssMode::Wrong, false, false),
        // No normalisation: a trailing slash is another issuer (RFC 9207).
        (IssMode::TrailingSlash, true, false),
    ];
    for (mode, advertised, accepted) in cases {
        let server = server(|s| {
            s.iss_mode = mode;
            s.iss_advertised = advertised;
        });
        let client = client_with(&server, oauth(approving_user()));
        let outcome = client.connect().await;
        let redeemed = !server.auth().stats().token_requests.is_empty();
        assert_eq!(
            outcome.is_ok(),
            accepted,
            "{mode:?}/{advertised}: {outcome:?}"
        );
        assert_eq!(redeemed, accepted, "{mode:?}/{advertised}");
        if let Err(e) = outcome {
            assert!(
                auth_error(e).message.contains("iss"),
                "{mode:?}/{advertised}"
            );
        }
    }
}

#[tokio::test]
async fn metadata_naming_another_issuer_is_not_used() {
    let server = server(|s| s.metadata_issuer_mismatch = true);
    let client = client_with(&server, oauth(approving_user()));
    let e = auth_error(client.connect().await.unwrap_err());
    assert!(e.message.contains("names issuer"), "{}", e.message);
    let stats = server.auth().stats();
    assert_eq!(stats.registrations, 0);
    assert!(stats.authorizations.is_empty());
}

#[tokio::test]
async fn resource_metadata_for_another_resource_is_refused() {
    let server = server(|s| s.prm_resource = Some("https://evil.example.com/mcp".into()));
    let client = client_with(&server, oauth(approving_user()));
    let e = auth_error(client.connect().await.unwrap_err());
    assert!(e.message.contains("evil.example.com"), "{}", e.message);
    assert!(server.auth().stats().authorizations.is_empty());
}

#[tokio::test]
async fn refused_path_based_metadata_falls_back_to_the_root_document() {
    for status in [401, 403, 404] {
        let server = server(|s| {
            s.prm_path_status = Some(status);
            s.prm_in_challenge = false;
        });
        let client = client_with(&server, oauth(approving_user()));
        client.connect().await.unwrap();
        let paths: Vec<String> = server
            .requests()
            .into_iter()
            .map(|r| r.path)
            .filter(|p| p.contains("oauth-protected-resource"))
            .collect();
        assert_eq!(
            paths,
            [
                "/.well-known/oauth-protected-resource/mcp",
                "/.well-known/oauth-protected-resource"
            ],
            "{status}"
        );
    }
}

#[tokio::test]
async fn plain_http_authorization_endpoints_off_this_machine_are_refused() {
    let server = server(|s| s.insecure_endpoints = true);
    let client = client_with(&server, oauth(approving_user()));
    let e = auth_error(client.connect().await.unwrap_err());
    assert!(e.message.contains("http://auth.invalid"), "{}", e.message);
    assert_eq!(server.auth().stats().registrations, 0);
}

#[tokio::test]
async fn a_forbidden_call_steps_up_to_the_union_of_scopes_once() {
    let server = server(|s| {
        s.prm_scopes_supported = Some(vec!["mcp:read".into()]);
        s.tool_scopes = [("add".to_owned(), "mcp:write".to_owned())].into();
    });
    let client = client_with(&server, oauth(approving_user()));
    client.connect().await.unwrap();
    let sum = client
        .call_tool("add", Some(json!({"a": 2, "b": 3})))
        .await
        .unwrap();
    assert_eq!(sum["content"][0]["text"], "5");
    let scopes: Vec<String> = server
        .auth()
        .stats()
        .authorizations
        .iter()
        .map(|a| a["scope"].clone())
        .collect();
    assert_eq!(
        scopes,
        [
            "mcp:read offline_access",
            "mcp:read offline_access mcp:write"
        ]
    );
}

#[tokio::test]
async fn logging_in_again_keeps_the_scope_a_step_up_added() {
    let server = server(|s| {
        s.prm_scopes_supported = Some(vec!["mcp:read".into()]);
        s.tool_scopes = [("add".to_owned(), "mcp:write".to_owned())].into();
    });
    let client = client_with(&server, oauth(approving_user()));
    client.connect().await.unwrap();
    client
        .call_tool("add", Some(json!({"a": 1, "b": 1})))
        .await
        .unwrap();
    server.auth().expire_tokens();
    server.auth().fail_next_token(TokenFailure {
        error: Some("invalid_grant".into()),
        ..Default::default()
    });
    client
        .call_tool("add", Some(json!({"a": 1, "b": 1})))
        .await
        .unwrap();
    let scopes: Vec<String> = server
        .auth()
        .stats()
        .authorizations
        .iter()
        .map(|a| a["scope"].clone())
        .collect();
    assert_eq!(
        scopes,
        [
            "mcp:read offline_access",
            "mcp:read offline_access mcp:write",
            "mcp:read offline_access mcp:write"
        ],
        "the new login asked for the stepped-up scope at once: no second step-up"
    );
}

#[tokio::test]
async fn step_ups_are_bounded_and_end_in_insufficient_scope() {
    let server = server(|s| {
        s.prm_scopes_supported = Some(vec!["mcp:read".into()]);
        s.tool_scopes = [("add".to_owned(), "mcp:write".to_owned())].into();
    });
    let mut auth = oauth(approving_user());
    auth.max_step_ups = 0;
    let client = client_with(&server, auth);
    client.connect().await.unwrap();
    let e = auth_error(
        client
            .call_tool("add", Some(json!({"a": 1, "b": 1})))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.kind, AuthErrorKind::InsufficientScope);
    assert_eq!(e.scope.as_deref(), Some("mcp:write"));
    assert_eq!(server.auth().stats().authorizations.len(), 1);
}

#[tokio::test]
async fn without_a_callback_the_caller_gets_the_url_and_completes_the_flow() {
    let server = server(|_| {});
    let auth = OAuth::new("auth-flow tests", "http://127.0.0.1:8765/callback");
    let client = client_with(&server, auth);
    let e = auth_error(client.connect().await.unwrap_err());
    assert_eq!(e.kind, AuthErrorKind::Required);
    let url = e.authorization_url.expect("the URL to open");
    assert!(url.contains("code_challenge="), "{url}");
    let back = redirect_of(&url).await;
    assert!(
        back.starts_with("http://127.0.0.1:8765/callback?"),
        "{back}"
    );
    client.complete_authorization(&back).await.unwrap();
    client.connect().await.unwrap();
    client
        .call_tool("echo", Some(json!({"text": "x"})))
        .await
        .unwrap();
    // The same redirect cannot be used twice.
    assert!(client.complete_authorization(&back).await.is_err());
}

#[tokio::test]
async fn the_client_catches_the_redirect_itself_when_the_callback_returns_none() {
    let server = server(|_| {});
    // The "browser": follows the authorization URL, then the redirect to the client's own
    // loopback listener, a moment after on_authorize returned.
    let user: AuthorizeHandler = Arc::new(|url: String| {
        Box::pin(async move {
            tokio::spawn(async move {
                let back = redirect_of(&url).await;
                let page = browser().get(&back).send().await.unwrap();
                assert_eq!(page.status().as_u16(), 200);
                assert!(page.text().await.unwrap().contains("close this window"));
            });
            Ok(None)
        })
    });
    let client = client_with(&server, oauth(user));
    client.connect().await.unwrap();
    let asked = &server.auth().stats().authorizations[0];
    let redirect = &asked["redirect_uri"];
    assert!(redirect.starts_with("http://127.0.0.1:"), "{redirect}");
    assert!(
        !redirect.starts_with("http://127.0.0.1:0/"),
        "a real port: {redirect}"
    );
}

#[tokio::test]
async fn a_browser_launcher_that_does_not_return_is_not_waited_for() {
    let server = server(|_| {});
    // Some launchers return only when the browser exits: the redirect the listener catches
    // meanwhile is enough.
    let user: AuthorizeHandler = Arc::new(|url: String| {
        Box::pin(async move {
            let back = redirect_of(&url).await;
            browser().get(&back).send().await.unwrap();
            std::future::pending::<()>().await;
            Ok(None)
        })
    });
    let client = client_with(&server, oauth(user));
    tokio::time::timeout(Duration::from_secs(10), client.connect())
        .await
        .expect("connect returned")
        .unwrap();
}

#[tokio::test]
async fn a_refusal_in_the_redirect_is_authorization_denied() {
    let server = server(|_| {});
    server.auth().fail_next_authorize(AuthorizeFailure {
        error: "access_denied".into(),
        error_description: Some("the user said no".into()),
    });
    let client = client_with(&server, oauth(approving_user()));
    let e = auth_error(client.connect().await.unwrap_err());
    assert_eq!(e.kind, AuthErrorKind::Denied);
    assert_eq!(e.error.as_deref(), Some("access_denied"));
    assert_eq!(e.error_description.as_deref(), Some("the user said no"));
}

#[tokio::test]
async fn time_with_the_user_does_not_count_against_the_request_timeout() {
    let server = server(|_| {});
    let slow_user: AuthorizeHandler = Arc::new(|url: String| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            Ok(Some(redirect_of(&url).await))
        })
    });
    let options = quick_options()
        .timeout(Duration::from_secs(1))
        .auth(oauth(slow_user));
    let client = Client::with_options(&server.url(), options).unwrap();
    client.connect().await.unwrap();
}

#[tokio::test]
async fn calls_go_on_while_another_call_waits_for_the_user() {
    let server = server(|s| {
        s.prm_scopes_supported = Some(vec!["mcp:read".into()]);
        s.tool_scopes = [("add".to_owned(), "mcp:write".to_owned())].into();
    });
    let (release, released) = tokio::sync::watch::channel(false);
    let released = Arc::new(released);
    let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
    // The first authorization is approved at once; the step-up waits until the test says so.
    let user: AuthorizeHandler = Arc::new(move |url: String| {
        let (released, first) = (released.clone(), first.clone());
        Box::pin(async move {
            let back = redirect_of(&url).await;
            if !first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                let mut released = (*released).clone();
                let _ = released.wait_for(|r| *r).await;
            }
            Ok(Some(back))
        })
    });
    let options = quick_options().standalone_stream(true).auth(oauth(user));
    let client = Client::with_options(&server.url(), options).unwrap();
    client.connect().await.unwrap();
    let stepping_up = {
        let client = client.clone();
        tokio::spawn(async move { client.call_tool("add", Some(json!({"a": 1, "b": 2}))).await })
    };
    while server.auth().stats().authorizations.len() < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    for _ in 0..5 {
        client
            .call_tool("echo", Some(json!({"text": "meanwhile"})))
            .await
            .unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!stepping_up.is_finished());
    release.send(true).unwrap();
    let sum = stepping_up.await.unwrap().unwrap();
    assert_eq!(sum["content"][0]["text"], "3");
}

#[test]
fn a_static_authorization_header_and_auth_are_one_too_many() {
    let options = ClientOptions::default()
        .header("Authorization", "Bearer x")
        .auth(OAuth::new("t", "http://127.0.0.1:0/cb"));
    let e = Client::with_options("http://127.0.0.1:1/mcp", options).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    assert!(e.to_string().contains("Authorization"));
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let mut auth = OAuth::new("t", "http://127.0.0.1:0/cb");
    auth.client_secret = Some("s3cret-value".into());
    let shown = format!("{:?}", ClientOptions::default().auth(auth));
    assert!(!shown.contains("s3cret-value"), "{shown}");
}

#[tokio::test]
async fn client_credentials_are_declared_as_the_extension_they_are() {
    let server = server(|s| s.pre_registered = Some(("machine".into(), "s3cret".into())));
    let auth = mcpstream::auth::ClientCredentials::with_secret("machine", "s3cret");
    let options = quick_options().auth(auth);
    let client = Client::with_options(&server.url(), options).unwrap();
    client.connect().await.unwrap();
    let initialize = common::posts(&server, "initialize");
    let declared = &initialize.last().unwrap().body["params"]["capabilities"]["extensions"];
    assert_eq!(
        declared,
        &json!({"io.modelcontextprotocol/oauth-client-credentials": {}})
    );
}
