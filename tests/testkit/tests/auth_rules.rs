//! The reference authorization server and protected resource (`Config.auth`), checked by hand
//! with raw HTTP, so that client bugs cannot hide server bugs: discovery documents, the code
//! flow with PKCE, refresh rotation, scopes, client authentication, and every switch and
//! admin route.

use mcpstream_testkit::{
    AuthSettings, AuthorizeFailure, Config, IssMode, StateMode, TestServer, TokenFailure,
};
use reqwest::{redirect, Client, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:3000/callback";
/// The same loopback URI on another port: RFC 8252 §7.3 says it must match.
const REDIRECT_OTHER_PORT: &str = "http://127.0.0.1:45678/callback";
const ACCEPT_BOTH: &str = "application/json, text/event-stream";

fn start(tweak: impl FnOnce(&mut AuthSettings)) -> TestServer {
    let mut settings = AuthSettings::default();
    tweak(&mut settings);
    TestServer::start(Config {
        auth: Some(settings),
        ..Config::default()
    })
}

fn http() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn json_of(resp: Response) -> Value {
    serde_json::from_str(&resp.text().await.unwrap()).unwrap_or(Value::Null)
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn get(http: &Client, url: &str) -> (StatusCode, Value) {
    let resp = http.get(url).send().await.unwrap();
    (resp.status(), json_of(resp).await)
}

async fn post_json(http: &Client, url: &str, body: &Value) -> (StatusCode, Value) {
    let resp = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (resp.status(), json_of(resp).await)
}

async fn register(http: &Client, issuer: &str, body: Value) -> (StatusCode, Value) {
    post_json(http, &format!("{issuer}/register"), &body).await
}

async fn register_public(http: &Client, issuer: &str) -> String {
    let (status, reg) = register(
        http,
        issuer,
        json!({"client_name": "t", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none",
               "grant_types": ["authorization_code", "refresh_token"], "application_type": "native"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{reg}");
    reg["client_id"].as_str().unwrap().to_owned()
}

/// The authorization request of a well-behaved client; `changes` replace (`Some`) or drop
/// (`None`) parameters.
async fn authorize(
    http: &Client,
    server: &TestServer,
    issuer: &str,
    client_id: &str,
    changes: &[(&str, Option<&str>)],
) -> Response {
    let resource = server.url();
    let mut params: BTreeMap<&str, String> = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_OTHER_PORT),
        ("state", "st-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("resource", resource.as_str()),
        ("scope", "mcp:read mcp:write"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    for (name, value) in changes {
        match value {
            Some(v) => params.insert(name, (*v).to_owned()),
            None => params.remove(name),
        };
    }
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    http.get(format!("{issuer}/authorize?{}", form(&pairs)))
        .send()
        .await
        .unwrap()
}

/// The query of the 302's `Location`.
fn redirected(resp: &Response) -> BTreeMap<String, String> {
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    assert_eq!(
        &url[..url::Position::AfterPath],
        REDIRECT_OTHER_PORT,
        "back to the URI the request named"
    );
    url.query_pairs().into_owned().collect()
}

async fn token_with(
    http: &Client,
    issuer: &str,
    pairs: &[(&str, &str)],
    basic: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = http
        .post(format!("{issuer}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs));
    if let Some(credentials) = basic {
        request = request.header("authorization", format!("Basic {credentials}"));
    }
    let resp = request.send().await.unwrap();
    let status = resp.status();
    if status == StatusCode::OK {
        assert_eq!(resp.headers()["cache-control"], "no-store");
    }
    (status, json_of(resp).await)
}

async fn token(http: &Client, issuer: &str, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
    token_with(http, issuer, pairs, None).await
}

/// Register, authorize, redeem: the tokens of a public client.
async fn code_flow(
    http: &Client,
    server: &TestServer,
    issuer: &str,
    scope: &str,
) -> (String, Value) {
    let client_id = register_public(http, issuer).await;
    let resp = authorize(http, server, issuer, &client_id, &[("scope", Some(scope))]).await;
    let back = redirected(&resp);
    let resource = server.url();
    let (status, tokens) = token(
        http,
        issuer,
        &[
            ("grant_type", "authorization_code"),
            ("code", &back["code"]),
            ("redirect_uri", REDIRECT_OTHER_PORT),
            ("code_verifier", VERIFIER),
            ("client_id", &client_id),
            ("resource", &resource),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    (client_id, tokens)
}

fn mcp(http: &Client, server: &TestServer, bearer: Option<&str>, body: &Value) -> RequestBuilder {
    let mut request = http
        .post(server.url())
        .header("accept", ACCEPT_BOTH)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request
}

fn init_body() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
           "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}})
}

fn call(tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
}

async fn session(http: &Client, server: &TestServer, bearer: &str) -> String {
    let resp = mcp(http, server, Some(bearer), &init_body())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

fn challenge(resp: &Response) -> String {
    resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned()
}

fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

#[tokio::test]
async fn discovery_documents_name_the_resource_and_the_issuer() {
    let server = start(|_| {});
    let http = http();
    let origin = server.base_url();
    for path in ["/mcp", ""] {
        let (status, prm) = get(
            &http,
            &format!("{origin}/.well-known/oauth-protected-resource{path}"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            prm,
            json!({"resource": server.url(), "authorization_servers": [origin],
                   "scopes_supported": ["mcp:read", "mcp:write"], "bearer_methods_supported": ["header"]})
        );
    }
    let (status, meta) = get(
        &http,
        &format!("{origin}/.well-known/oauth-authorization-server"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(meta["issuer"], origin);
    assert_eq!(
        meta["authorization_endpoint"],
        format!("{origin}/authorize")
    );
    assert_eq!(meta["token_endpoint"], format!("{origin}/token"));
    assert_eq!(meta["registration_endpoint"], format!("{origin}/register"));
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(meta["response_types_supported"], json!(["code"]));
    assert_eq!(
        meta["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        json!(["none", "client_secret_basic", "client_secret_post"])
    );
    assert_eq!(
        meta["scopes_supported"],
        json!(["mcp:read", "mcp:write", "offline_access"])
    );
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    let (status, _) = get(&http, &format!("{origin}/.well-known/openid-configuration")).await;
    assert_eq!(status, 404, "RFC 8414 only unless openid_only");

    let resp = mcp(&http, &server, None, &init_body())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        challenge(&resp),
        format!(
            r#"Bearer error="invalid_token", error_description="Missing Authorization header", resource_metadata="{origin}/.well-known/oauth-protected-resource/mcp""#
        )
    );
    let recorded: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        recorded,
        [
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-authorization-server",
            "/.well-known/openid-configuration",
            "/mcp"
        ],
        "discovery requests are recorded too"
    );
}

#[tokio::test]
async fn a_code_flow_with_pkce_unlocks_post_get_and_delete() {
    let server = start(|_| {});
    let http = http();
    let origin = server.base_url();
    let client_id = register_public(&http, &origin).await;
    let resp = authorize(&http, &server, &origin, &client_id, &[]).await;
    let back = redirected(&resp);
    assert_eq!(back["state"], "st-123");
    assert_eq!(back["iss"], origin);
    let resource = server.url();
    let (status, tokens) = token(
        &http,
        &origin,
        &[
            ("grant_type", "authorization_code"),
            ("code", &back["code"]),
            ("redirect_uri", REDIRECT_OTHER_PORT),
            ("code_verifier", VERIFIER),
            ("client_id", &client_id),
            ("resource", &resource),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "mcp:read mcp:write");
    assert!(tokens["refresh_token"].is_string());
    let bearer = access(&tokens);

    let sid = session(&http, &server, bearer).await;
    let resp = mcp(
        &http,
        &server,
        Some(bearer),
        &call("add", json!({"a": 1, "b": 2})),
    )
    .header("mcp-session-id", &sid)
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains(r#""sum":3.0"#));
    let stream = http
        .get(server.url())
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &sid)
        .header("authorization", format!("Bearer {bearer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    drop(stream);
    let unauthenticated_get = http
        .get(server.url())
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &sid)
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated_get.status(), 401);
    let resp = http
        .delete(server.url())
        .header("mcp-session-id", &sid)
        .header("authorization", format!("Bearer {bearer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = mcp(&http, &server, Some("mcpat_made-up"), &init_body())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(challenge(&resp).contains(r#"error_description="Unknown access token""#));

    let carried: Vec<(String, Option<String>, u16)> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/mcp")
        .map(|r| (r.method.clone(), r.bearer().map(str::to_owned), r.status))
        .collect();
    let with = |m: &str, status| (m.to_owned(), Some(bearer.to_owned()), status);
    assert_eq!(
        carried,
        [
            with("POST", 200),
            with("POST", 200),
            with("GET", 200),
            ("GET".to_owned(), None, 401),
            with("DELETE", 200),
            ("POST".to_owned(), Some("mcpat_made-up".to_owned()), 401),
        ]
    );
    let stats = server.auth().stats();
    assert_eq!(stats.registrations, 1);
    assert_eq!(stats.issued_tokens, 1);
    assert_eq!(stats.access_tokens, [bearer]);
    assert_eq!(stats.authorizations[0]["resource"], resource);
    assert_eq!(stats.authorizations[0]["code_challenge_method"], "S256");
    let leg = &stats.token_requests[0];
    assert_eq!(
        (leg.grant_type.as_str(), leg.auth.as_str(), leg.status),
        ("authorization_code", "none", 200)
    );
    assert_eq!(leg.form["resource"], resource);
    assert_eq!(leg.issuer, origin);
}

#[tokio::test]
async fn pkce_is_required_and_checked() {
    let server = start(|_| {});
    let http = http();
    let origin = server.base_url();
    let client_id = register_public(&http, &origin).await;
    for changes in [
        vec![("code_challenge", None)],
        vec![("code_challenge_method", Some("plain"))],
        vec![("code_challenge_method", None)],
    ] {
        let back = redirected(&authorize(&http, &server, &origin, &client_id, &changes).await);
        assert_eq!(back["error"], "invalid_request", "{changes:?}");
        assert_eq!(back["state"], "st-123");
        assert!(!back.contains_key("code"));
    }
    let back =
        redirected(&authorize(&http, &server, &origin, &client_id, &[("resource", None)]).await);
    assert_eq!(back["error"], "invalid_target");

    let resource = server.url();
    let redeem = |code: String, verifier: &'static str| {
        let (http, origin, client_id, resource) = (&http, &origin, &client_id, &resource);
        async move {
            token(
                http,
                origin,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT_OTHER_PORT),
                    ("code_verifier", verifier),
                    ("client_id", client_id),
                    ("resource", resource),
                ],
            )
            .await
        }
    };
    let code =
        redirected(&authorize(&http, &server, &origin, &client_id, &[]).await)["code"].clone();
    let (status, answer) = redeem(
        code.clone(),
        "wrong-verifier-wrong-verifier-wrong-verifier-x",
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, answer) = redeem(code, VERIFIER).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "a code is spent by a failed redemption too"
    );
    let code =
        redirected(&authorize(&http, &server, &origin, &client_id, &[]).await)["code"].clone();
    assert_eq!(redeem(code.clone(), VERIFIER).await.0, StatusCode::OK);
    assert_eq!(
        redeem(code, VERIFIER).await.1["error"],
        "invalid_grant",
        "single use"
    );
}

#[tokio::test]
async fn authorize_refuses_unknown_clients_and_unregistered_redirects_without_redirecting() {
    let server = start(|_| {});
    let http = http();
    let origin = server.base_url();
    let client_id = register_public(&http, &origin).await;
    let resp = authorize(&http, &server, &origin, "client_unknown", &[]).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json_of(resp).await["error"], "invalid_client");
    for other in [
        "http://localhost:3000/callback",
        "http://127.0.0.1:3000/elsewhere",
    ] {
        let resp = authorize(
            &http,
            &server,
            &origin,
            &client_id,
            &[("redirect_uri", Some(other))],
        )
        .await;
        assert_eq!(resp.status(), 400, "{other}");
        assert_eq!(json_of(resp).await["error"], "invalid_request");
    }
    let back = redirected(
        &authorize(
            &http,
            &server,
            &origin,
            &client_id,
            &[("scope", Some("mcp:read offline_access"))],
        )
        .await,
    );
    assert!(
        back.contains_key("code"),
        "offline_access is listed by default"
    );
    let server = start(|s| s.as_scopes_supported = Some(vec!["mcp:read".into()]));
    let origin = server.base_url();
    let client_id = register_public(&http, &origin).await;
    let back = redirected(
        &authorize(
            &http,
            &server,
            &origin,
            &client_id,
            &[("scope", Some("mcp:read offline_access"))],
        )
        .await,
    );
    assert_eq!(
        back["error"], "invalid_scope",
        "offline_access when not listed"
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_need_the_resource() {
    let server = start(|_| {});
    let http = http();
    let origin = server.base_url();
    let (client_id, tokens) = code_flow(&http, &server, &origin, "mcp:read mcp:write").await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let resource = server.url();
    let refresh = |refresh_token: String, extra: Vec<(&'static str, &'static str)>| {
        let (http, origin, client_id, resource) = (&http, &origin, &client_id, &resource);
        async move {
            let mut pairs = vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.as_str()),
                ("client_id", client_id.as_str()),
                ("resource", resource.as_str()),
            ];
            for (name, value) in extra {
                pairs.retain(|(n, _)| *n != name);
                if !value.is_empty() {
                    pairs.push((name, value));
                }
            }
            token(http, origin, &pairs).await
        }
    };
    let (status, answer) = refresh(first.clone(), vec![("resource", "")]).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_target"))
    );
    let (status, answer) = refresh(first.clone(), vec![("scope", "mcp:read mcp:admin")]).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    let (status, renewed) = refresh(first.clone(), vec![("scope", "mcp:read")]).await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(renewed["scope"], "mcp:read");
    let second = renewed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let (status, answer) = refresh(first, vec![]).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, third) = refresh(second, vec![]).await;
    assert_eq!(status, 200);
    assert_eq!(
        third["scope"], "mcp:read mcp:write",
        "a narrower refresh keeps the grant"
    );
    let stats = server.auth().stats();
    assert_eq!(stats.refreshes, 5);
    assert!(stats
        .token_requests_for("refresh_token")
        .iter()
        .all(|r| r.auth == "none"));
}

#[tokio::test]
async fn refresh_switches_keep_or_omit_the_refresh_token() {
    let http = http();
    for (omit, rotate) in [(false, false), (true, true)] {
        let server = start(|s| {
            s.rotate_refresh_tokens = rotate;
            s.refresh_omits_refresh_token = omit;
        });
        let origin = server.base_url();
        let (client_id, tokens) = code_flow(&http, &server, &origin, "mcp:read").await;
        let refresh_token = tokens["refresh_token"].as_str().unwrap();
        let resource = server.url();
        let pairs = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id.as_str()),
            ("resource", resource.as_str()),
        ];
        for _ in 0..2 {
            let (status, answer) = token(&http, &origin, &pairs).await;
            assert_eq!(status, 200, "the old refresh token still works: {answer}");
            if omit {
                assert!(answer.get("refresh_token").is_none());
            } else {
                assert_eq!(answer["refresh_token"], refresh_token);
            }
        }
    }
    let server = start(|s| s.issue_refresh_tokens = false);
    let (_, tokens) = code_flow(&http, &server, &server.base_url(), "mcp:read").await;
    assert!(tokens.get("refresh_token").is_none());
}

#[tokio::test]
async fn concurrent_refreshes_overlap_and_only_one_wins_a_rotation() {
    let server = start(|s| s.token_delay_ms = 150);
    let http = http();
    let origin = server.base_url();
    let (client_id, tokens) = code_flow(&http, &server, &origin, "mcp:read").await;
    server.auth().reset_stats();
    let resource = server.url();
    let pairs = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", client_id.as_str()),
        ("resource", resource.as_str()),
    ];
    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(token(&http, &origin, &pairs), token(&http, &origin, &pairs));
    assert!(
        started.elapsed() < Duration::from_millis(290),
        "they overlapped"
    );
    let mut statuses = [a.0.as_u16(), b.0.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 400]);
    assert_eq!(server.auth().stats().refreshes, 2);
}

#[tokio::test]
async fn insufficient_scope_names_only_what_the_operation_needs() {
    let server = start(|_| {});
    let http = http();
    let origin = server.base_url();
    let (_, tokens) = code_flow(&http, &server, &origin, "mcp:read").await;
    let bearer = access(&tokens);
    let sid = session(&http, &server, bearer).await;
    let send = |body: Value| {
        mcp(&http, &server, Some(bearer), &body)
            .header("mcp-session-id", sid.clone())
            .send()
    };
    let resp = send(call("add", json!({"a": 1, "b": 1}))).await.unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        challenge(&resp),
        format!(
            r#"Bearer error="insufficient_scope", error_description="The access token lacks the scope this operation needs", scope="mcp:write", resource_metadata="{origin}/.well-known/oauth-protected-resource/mcp""#
        )
    );
    assert_eq!(
        send(call("echo", json!({"text": "hi"})))
            .await
            .unwrap()
            .status(),
        200
    );
    let (status, map) = post_json(
        &http,
        &format!("{origin}/_admin/auth/tool-scopes"),
        &json!({"echo": "mcp:read mcp:admin", "add": null}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(map, json!({"echo": "mcp:read mcp:admin"}));
    let resp = send(call("echo", json!({"text": "hi"}))).await.unwrap();
    assert_eq!(resp.status(), 403);
    assert!(challenge(&resp).contains(r#"scope="mcp:read mcp:admin""#));
    assert_eq!(
        send(call("add", json!({"a": 1, "b": 1})))
            .await
            .unwrap()
            .status(),
        200
    );
    server.auth().set_tool_scope("echo", None);
    assert_eq!(
        send(call("echo", json!({"text": "hi"})))
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn registration_validates_redirects_and_assigns_methods() {
    let server = start(|s| s.token_auth_methods = vec!["client_secret_post".into()]);
    let http = http();
    let origin = server.base_url();
    let (status, answer) = register(
        &http,
        &origin,
        json!({"redirect_uris": ["http://app.example.com/cb"], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_redirect_uri"))
    );
    let (status, answer) = register(
        &http,
        &origin,
        json!({"redirect_uris": ["https://app.example.com/cb", REDIRECT], "token_endpoint_auth_method": "none",
               "client_name": "kept"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        answer["token_endpoint_auth_method"], "client_secret_post",
        "the AS may change it"
    );
    assert!(answer["client_secret"].is_string());
    assert_eq!(answer["client_name"], "kept");
    let stats = server.auth().stats();
    assert_eq!(stats.registrations, 1);
    assert_eq!(stats.registration_requests.len(), 2);

    let server = start(|s| s.registration_enabled = false);
    let origin = server.base_url();
    let (_, meta) = get(
        &http,
        &format!("{origin}/.well-known/oauth-authorization-server"),
    )
    .await;
    assert!(meta.get("registration_endpoint").is_none());
    let (status, _) = register(&http, &origin, json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn client_authentication_follows_rfc_6749() {
    let server = start(|s| s.pre_registered = Some(("svc:1".into(), "p@ss word".into())));
    let http = http();
    let origin = server.base_url();
    let resource = server.url();
    let grant = [
        ("grant_type", "client_credentials"),
        ("resource", resource.as_str()),
        ("scope", "mcp:read"),
    ];
    // RFC 6749 §2.3.1: both halves form-encoded before base64.
    let basic = |id: &str, secret: &str| {
        let encode = |s: &str| form(&[("x", s)])[2..].to_owned();
        base64(format!("{}:{}", encode(id), encode(secret)).as_bytes())
    };
    let (status, tokens) =
        token_with(&http, &origin, &grant, Some(&basic("svc:1", "p@ss word"))).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "mcp:read");
    assert!(tokens.get("refresh_token").is_none());
    let mut post = grant.to_vec();
    post.extend([("client_id", "svc:1"), ("client_secret", "p@ss word")]);
    assert_eq!(token(&http, &origin, &post).await.0, 200);
    let (status, answer) = token_with(&http, &origin, &grant, Some(&basic("svc:1", "nope"))).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (status, answer) =
        token_with(&http, &origin, &post, Some(&basic("svc:1", "p@ss word"))).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request")),
        "two methods"
    );
    let mut missing = grant.to_vec();
    missing.retain(|(n, _)| *n != "resource");
    let (status, answer) =
        token_with(&http, &origin, &missing, Some(&basic("svc:1", "p@ss word"))).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_target"))
    );
    let auths: Vec<String> = server
        .auth()
        .stats()
        .token_requests
        .iter()
        .map(|r| r.auth.clone())
        .collect();
    assert_eq!(auths, ["basic", "post", "basic", "basic+post", "basic"]);

    // A registered client must use the method it registered with.
    let (_, reg) = register(
        &http,
        &origin,
        json!({"redirect_uris": [REDIRECT], "grant_types": ["client_credentials"],
               "token_endpoint_auth_method": "client_secret_basic"}),
    )
    .await;
    let (id, secret) = (
        reg["client_id"].as_str().unwrap(),
        reg["client_secret"].as_str().unwrap(),
    );
    let mut as_post = grant.to_vec();
    as_post.extend([("client_id", id), ("client_secret", secret)]);
    let (status, answer) = token(&http, &origin, &as_post).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    assert_eq!(
        token_with(&http, &origin, &grant, Some(&basic(id, secret)))
            .await
            .0,
        200
    );
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[tokio::test]
async fn admin_expire_revoke_and_stats() {
    let server = start(|_| {});
    let http = http();
    let origin = server.base_url();
    let (client_id, tokens) = code_flow(&http, &server, &origin, "mcp:read mcp:write").await;
    let bearer = access(&tokens);
    assert_eq!(
        mcp(&http, &server, Some(bearer), &init_body())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (status, expired) = post_json(
        &http,
        &format!("{origin}/_admin/auth/expire-tokens"),
        &json!({}),
    )
    .await;
    assert_eq!((status, expired), (StatusCode::OK, json!({"expired": 1})));
    let resp = mcp(&http, &server, Some(bearer), &init_body())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(challenge(&resp)
        .contains(r#"error="invalid_token", error_description="The access token expired""#));

    let (status, revoked) = post_json(
        &http,
        &format!("{origin}/_admin/auth/revoke-clients"),
        &json!({}),
    )
    .await;
    assert_eq!((status, revoked), (StatusCode::OK, json!({"revoked": 1})));
    let resource = server.url();
    let (status, answer) = token(
        &http,
        &origin,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
            ("resource", &resource),
        ],
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );

    let (status, stats) = get(&http, &format!("{origin}/_admin/auth/stats")).await;
    assert_eq!(status, 200);
    assert_eq!(stats["registrations"], 1);
    assert_eq!(stats["refreshes"], 1);
    assert_eq!(stats["issued_tokens"], 1);
    assert_eq!(stats["authorizations"][0]["scope"], "mcp:read mcp:write");
    assert_eq!(stats["token_requests"][1]["grant_type"], "refresh_token");
    assert_eq!(stats["token_requests"][1]["status"], 401);
    let resp = http
        .post(format!("{origin}/_admin/auth/reset-stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(server.auth().stats(), Default::default());
}

#[tokio::test]
async fn admin_fail_next_token_answers_errors_or_drops_the_connection() {
    let server = start(|_| {});
    let http = http();
    let origin = server.base_url();
    let client_id = register_public(&http, &origin).await;
    let resource = server.url();
    let pairs = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "whatever"),
        ("client_id", client_id.as_str()),
        ("resource", resource.as_str()),
    ];
    let fail_url = format!("{origin}/_admin/auth/fail-next-token");
    let fail = |body: Value| {
        let (http, fail_url) = (&http, &fail_url);
        async move { post_json(http, fail_url, &body).await }
    };
    assert_eq!(fail(json!({"error": "invalid_client"})).await.0, 204);
    assert_eq!(
        fail(json!({"error": "temporarily_unavailable", "status": 503}))
            .await
            .0,
        204
    );
    assert_eq!(fail(json!({"status": 500})).await.0, 204);
    assert_eq!(fail(json!({"close": true})).await.0, 204);
    let (status, answer) = token(&http, &origin, &pairs).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (status, answer) = token(&http, &origin, &pairs).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("temporarily_unavailable")
        )
    );
    let (status, answer) = token(&http, &origin, &pairs).await;
    assert_eq!(
        (status, answer),
        (StatusCode::INTERNAL_SERVER_ERROR, Value::Null)
    );
    let dropped = http
        .post(format!("{origin}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&pairs))
        .send()
        .await;
    assert!(dropped.is_err(), "no answer at all: {dropped:?}");
    let (status, answer) = token(&http, &origin, &pairs).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "one failure each"
    );
    let statuses: Vec<u16> = server
        .auth()
        .stats()
        .token_requests
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [401, 503, 500, 0, 400]);
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.path == "/token")
            .count(),
        5
    );
    assert!(server.auth().stats().refreshes == 5);

    server.auth().fail_next_token(TokenFailure {
        error: Some("invalid_grant".into()),
        ..TokenFailure::default()
    });
    assert_eq!(
        token(&http, &origin, &pairs).await.1["error_description"],
        "injected by /_admin/auth/fail-next-token"
    );
}

#[tokio::test]
async fn admin_fail_next_authorize_redirects_with_the_error() {
    let server = start(|_| {});
    let http = http();
    let origin = server.base_url();
    let client_id = register_public(&http, &origin).await;
    let (status, _) = post_json(
        &http,
        &format!("{origin}/_admin/auth/fail-next-authorize"),
        &json!({"error": "access_denied", "error_description": "the user said no"}),
    )
    .await;
    assert_eq!(status, 204);
    let back = redirected(&authorize(&http, &server, &origin, &client_id, &[]).await);
    assert_eq!(back["error"], "access_denied");
    assert_eq!(back["error_description"], "the user said no");
    assert_eq!(
        (back["state"].as_str(), back["iss"].as_str()),
        ("st-123", origin.as_str())
    );
    server.auth().fail_next_authorize(AuthorizeFailure {
        error: "server_error".into(),
        error_description: None,
    });
    assert_eq!(
        redirected(&authorize(&http, &server, &origin, &client_id, &[]).await)["error"],
        "server_error"
    );
    assert!(
        redirected(&authorize(&http, &server, &origin, &client_id, &[]).await).contains_key("code")
    );
}

#[tokio::test]
async fn admin_switch_issuer_moves_the_resource_to_another_as() {
    let server = start(|_| {});
    let http = http();
    let origin = server.base_url();
    let (client_id, old) = code_flow(&http, &server, &origin, "mcp:read").await;
    let (status, answer) = post_json(
        &http,
        &format!("{origin}/_admin/auth/switch-issuer"),
        &json!({"as_path": "/as2"}),
    )
    .await;
    assert_eq!(
        (status, answer),
        (StatusCode::OK, json!({"issuer_path": "/as2"}))
    );
    let (_, prm) = get(
        &http,
        &format!("{origin}/.well-known/oauth-protected-resource/mcp"),
    )
    .await;
    let as2 = format!("{origin}/as2");
    assert_eq!(prm["authorization_servers"], json!([as2]));
    let (status, meta) = get(
        &http,
        &format!("{origin}/.well-known/oauth-authorization-server/as2"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(meta["issuer"], as2);
    assert_eq!(meta["token_endpoint"], format!("{as2}/token"));
    let resp = mcp(&http, &server, Some(access(&old)), &init_body())
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        401,
        "the old AS's tokens are no longer trusted"
    );
    let resp = authorize(&http, &server, &as2, &client_id, &[]).await;
    assert_eq!(resp.status(), 400, "clients are per issuer");
    let (_, new) = code_flow(&http, &server, &as2, "mcp:read").await;
    assert_eq!(
        redirected(
            &authorize(
                &http,
                &server,
                &as2,
                &register_public(&http, &as2).await,
                &[]
            )
            .await
        )["iss"],
        as2
    );
    assert_eq!(
        mcp(&http, &server, Some(access(&new)), &init_body())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        server.auth().stats().token_requests.last().unwrap().issuer,
        as2
    );
    assert_eq!(server.auth().switch_issuer(None).unwrap(), "");
    assert_eq!(
        mcp(&http, &server, Some(access(&old)), &init_body())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(server.auth().switch_issuer(Some("as3")).is_err());
}

#[tokio::test]
async fn metadata_switches() {
    let http = http();
    let server = start(|s| {
        s.pkce_advertised = false;
        s.iss_advertised = false;
        s.metadata_issuer_mismatch = true;
        s.insecure_endpoints = true;
        s.as_scopes_supported = None;
        s.prm_scopes_supported = None;
        s.cimd_supported = true;
        s.token_auth_methods = vec!["private_key_jwt".into()];
    });
    let origin = server.base_url();
    let (_, meta) = get(
        &http,
        &format!("{origin}/.well-known/oauth-authorization-server"),
    )
    .await;
    for absent in [
        "code_challenge_methods_supported",
        "authorization_response_iss_parameter_supported",
        "scopes_supported",
    ] {
        assert!(meta.get(absent).is_none(), "{absent}");
    }
    assert_eq!(meta["issuer"], format!("{origin}/mismatch"));
    assert_eq!(
        meta["authorization_endpoint"],
        "http://auth.invalid/authorize"
    );
    assert_eq!(meta["token_endpoint"], "http://auth.invalid/token");
    assert_eq!(
        meta["registration_endpoint"],
        "http://auth.invalid/register"
    );
    assert_eq!(meta["client_id_metadata_document_supported"], true);
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );
    let (_, prm) = get(
        &http,
        &format!("{origin}/.well-known/oauth-protected-resource"),
    )
    .await;
    assert!(prm.get("scopes_supported").is_none());
    let back = redirected(
        &authorize(
            &http,
            &server,
            &origin,
            "https://app.example.com/client.json",
            &[],
        )
        .await,
    );
    assert!(
        back.contains_key("code"),
        "CIMD client ids are accepted as they are"
    );

    let server = start(|s| {
        s.as_path = Some("/tenant1".into());
        s.openid_only = true;
    });
    let origin = server.base_url();
    let issuer = format!("{origin}/tenant1");
    for (path, status) in [
        ("/.well-known/oauth-authorization-server", 404),
        ("/.well-known/oauth-authorization-server/tenant1", 404),
        ("/.well-known/openid-configuration", 404),
        ("/.well-known/openid-configuration/tenant1", 200),
        ("/tenant1/.well-known/openid-configuration", 200),
    ] {
        let (got, meta) = get(&http, &format!("{origin}{path}")).await;
        assert_eq!(got, status, "{path}");
        if status == 200 {
            assert_eq!(meta["issuer"], issuer);
            assert_eq!(
                meta["authorization_endpoint"],
                format!("{issuer}/authorize")
            );
        }
    }
    let (_, prm) = get(
        &http,
        &format!("{origin}/.well-known/oauth-protected-resource/mcp"),
    )
    .await;
    assert_eq!(prm["authorization_servers"], json!([issuer]));
    let (status, _) = register(&http, &origin, json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(status, 404, "nothing at the root issuer");
    let (_, tokens) = code_flow(&http, &server, &issuer, "mcp:read").await;
    assert_eq!(
        mcp(&http, &server, Some(access(&tokens)), &init_body())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn redirect_switches_for_iss_and_state() {
    let http = http();
    let cases = [
        (IssMode::Missing, StateMode::Missing),
        (IssMode::Wrong, StateMode::Wrong),
        (IssMode::TrailingSlash, StateMode::Echo),
    ];
    for (iss_mode, state_mode) in cases {
        let server = start(|s| {
            s.iss_mode = iss_mode;
            s.state_mode = state_mode;
        });
        let origin = server.base_url();
        let client_id = register_public(&http, &origin).await;
        let back = redirected(&authorize(&http, &server, &origin, &client_id, &[]).await);
        let iss = back.get("iss").map(String::as_str);
        match iss_mode {
            IssMode::Missing => assert_eq!(iss, None),
            IssMode::Wrong => assert_eq!(iss, Some(format!("{origin}/wrong-issuer").as_str())),
            _ => assert_eq!(iss, Some(format!("{origin}/").as_str())),
        }
        let state = back.get("state").map(String::as_str);
        match state_mode {
            StateMode::Missing => assert_eq!(state, None),
            StateMode::Wrong => assert!(state.is_some_and(|s| s != "st-123")),
            StateMode::Echo => assert_eq!(state, Some("st-123")),
        }
        assert!(back.contains_key("code"));
    }
}

#[tokio::test]
async fn challenge_switches() {
    let http = http();
    let server = start(|s| {
        s.prm_path_status = Some(403);
        s.prm_in_challenge = false;
        s.challenge_scope = Some("mcp:basic".into());
        s.prm_resource = Some("https://evil.example.com/mcp".into());
    });
    let origin = server.base_url();
    let resp = mcp(&http, &server, None, &init_body())
        .send()
        .await
        .unwrap();
    assert_eq!(
        challenge(&resp),
        r#"Bearer error="invalid_token", error_description="Missing Authorization header", scope="mcp:basic""#
    );
    let (status, _) = get(
        &http,
        &format!("{origin}/.well-known/oauth-protected-resource/mcp"),
    )
    .await;
    assert_eq!(status, 403);
    let (status, prm) = get(
        &http,
        &format!("{origin}/.well-known/oauth-protected-resource"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(prm["resource"], "https://evil.example.com/mcp");
    let client_id = register_public(&http, &origin).await;
    let back = redirected(&authorize(&http, &server, &origin, &client_id, &[]).await);
    assert_eq!(
        back["error"], "invalid_target",
        "the AS serves the PRM's resource only"
    );
}

#[tokio::test]
async fn short_lived_tokens_expire() {
    let server = start(|s| s.access_token_ttl_secs = 0);
    let http = http();
    let (_, tokens) = code_flow(&http, &server, &server.base_url(), "mcp:read").await;
    assert_eq!(tokens["expires_in"], 0);
    let resp = mcp(&http, &server, Some(access(&tokens)), &init_body())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn without_auth_nothing_changes() {
    let server = TestServer::start(Config::default());
    let http = http();
    let origin = server.base_url();
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/token",
        "/_admin/auth/stats",
    ] {
        assert_eq!(
            get(&http, &format!("{origin}{path}")).await.0,
            404,
            "{path}"
        );
    }
    assert_eq!(
        mcp(&http, &server, None, &init_body())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(server.state().auth().is_none());
}
