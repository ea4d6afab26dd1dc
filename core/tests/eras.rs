//! Choosing the era on connect: the `server/discover` probe and its fallback to `initialize`,
//! pinned eras, verdicts remembered per endpoint or handed in, and answers that are errors
//! rather than evidence of a legacy server.

mod common;
use common::*;
use mcpstream::{Client, ClientOptions, Era, EraChoice, Error, Verdict};
use serde_json::Value;
use std::time::Duration;

/// A server whose URL no earlier test's verdict can linger under (ports are reused).
/// One page of tools, so sequences of requests read simply.
fn server() -> TestServer {
    server_with(|_| {})
}

fn server_with(f: impl FnOnce(&mut Config)) -> TestServer {
    let server = common::server_with(|c| {
        c.page_size = 100;
        f(c)
    });
    mcpstream::era::forget_verdict(&server.url()).unwrap();
    server
}

fn options(era: EraChoice) -> ClientOptions {
    quick_options().era(era)
}

fn auto(server: &TestServer) -> Client {
    Client::with_options(&server.url(), options(EraChoice::Auto)).unwrap()
}

fn rpc_methods(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| match r.rpc_method() {
            Some(m) => m.to_owned(),
            None => r.method.clone(),
        })
        .collect()
}

#[tokio::test]
async fn auto_speaks_modern_to_a_dual_era_server() {
    let server = server();
    let client = auto(&server);
    let discovered = client.connect().await.unwrap();
    assert_eq!(discovered["supportedVersions"][0], "2026-07-28");
    assert_eq!(client.era(), Some(Era::Modern));
    assert_eq!(client.protocol_version().as_deref(), Some("2026-07-28"));
    assert_eq!(client.session_id(), None);
    assert_eq!(
        client.server_info().unwrap()["name"],
        "mcpstream-testserver"
    );
    assert!(client.instructions().is_some());
    assert!(client.discover_result().unwrap()["capabilities"]["tools"].is_object());
    client
        .call_tool("echo", Some(serde_json::json!({"text": "hi"})))
        .await
        .unwrap();
    assert!(matches!(
        client.close().await,
        mcpstream::CloseOutcome::NoSession
    ));
    assert_eq!(
        rpc_methods(&server),
        ["server/discover", "tools/list", "tools/call"]
    );
    let probe = &server.requests()[0];
    assert_eq!(probe.header("mcp-protocol-version"), Some("2026-07-28"));
    assert_eq!(probe.header("mcp-method"), Some("server/discover"));
    assert_eq!(probe.header("mcp-session-id"), None);
}

#[tokio::test]
async fn auto_falls_back_to_a_session_with_a_legacy_server() {
    let server = server_with(|c| c.era = ServerEra::LegacyOnly);
    let client = auto(&server);
    let init = client.connect().await.unwrap();
    assert_eq!(init["protocolVersion"], "2025-11-25");
    assert_eq!(client.era(), Some(Era::Legacy));
    let described = client.discover_result().unwrap();
    assert_eq!(
        described["supportedVersions"],
        serde_json::json!(["2025-11-25"])
    );
    assert_eq!(described["serverInfo"], init["serverInfo"]);
    assert_eq!(described["capabilities"], init["capabilities"]);
    let session = client.session_id().expect("a session");
    client.list_tools().await.unwrap();
    assert_eq!(
        rpc_methods(&server),
        [
            "server/discover",
            "initialize",
            "notifications/initialized",
            "tools/list"
        ]
    );
    let listed = &posts(&server, "tools/list")[0];
    assert_eq!(listed.header("mcp-session-id"), Some(session.as_str()));
    assert_eq!(listed.header("mcp-protocol-version"), Some("2025-11-25"));
    assert_eq!(
        listed.header("mcp-method"),
        None,
        "no modern headers on a session"
    );
    assert!(listed.body.pointer("/params/_meta").is_none());
    assert!(matches!(
        client.close().await,
        mcpstream::CloseOutcome::Terminated
    ));
}

#[tokio::test]
async fn auto_speaks_modern_to_a_modern_only_server() {
    let server = server_with(|c| c.era = ServerEra::ModernOnly);
    let client = auto(&server);
    client.connect().await.unwrap();
    assert_eq!(client.era(), Some(Era::Modern));
    client.list_tools().await.unwrap();
}

#[tokio::test]
async fn legacy_pinned_never_probes_and_a_modern_only_server_says_why() {
    let dual = server();
    let client = Client::with_options(&dual.url(), options(EraChoice::Legacy)).unwrap();
    client.connect().await.unwrap();
    assert_eq!(client.era(), Some(Era::Legacy));
    assert!(posts(&dual, "server/discover").is_empty());

    let modern_only = server_with(|c| c.era = ServerEra::ModernOnly);
    let client = Client::with_options(&modern_only.url(), options(EraChoice::Legacy)).unwrap();
    match client.connect().await.unwrap_err() {
        Error::Rpc {
            code: -32022, data, ..
        } => {
            assert_eq!(data.unwrap()["supported"][0], "2026-07-28")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_pinned_modern_version_does_not_fall_back() {
    let server = server_with(|c| c.era = ServerEra::LegacyOnly);
    let pinned = options(EraChoice::Modern("2026-07-28".into()));
    let client = Client::with_options(&server.url(), pinned).unwrap();
    let err = client.connect().await.unwrap_err();
    assert!(err.to_string().contains("2026-07-28"), "{err}");
    assert!(err.to_string().contains("no fallback"), "{err}");
    assert!(posts(&server, "initialize").is_empty());
    assert_eq!(client.era(), None);
}

#[tokio::test]
async fn the_verdict_is_remembered_per_endpoint() {
    let legacy = server_with(|c| c.era = ServerEra::LegacyOnly);
    auto(&legacy).connect().await.unwrap();
    auto(&legacy).connect().await.unwrap();
    assert_eq!(posts(&legacy, "server/discover").len(), 1, "probed once");
    assert_eq!(posts(&legacy, "initialize").len(), 2);

    let modern = server();
    auto(&modern).connect().await.unwrap();
    let second = auto(&modern);
    second.connect().await.unwrap();
    assert_eq!(posts(&modern, "server/discover").len(), 1);
    assert_eq!(second.era(), Some(Era::Modern));
    second.list_tools().await.unwrap();
}

#[tokio::test]
async fn a_saved_verdict_skips_the_probe() {
    let server = server();
    let first = auto(&server);
    first.connect().await.unwrap();
    let saved = first.verdict().unwrap();
    assert!(matches!(saved, Verdict::Modern { .. }));
    server.clear_requests();
    mcpstream::era::forget_verdict(&server.url()).unwrap();
    let client =
        Client::with_options(&server.url(), options(EraChoice::Auto).prior(saved)).unwrap();
    client.connect().await.unwrap();
    assert!(server.requests().is_empty(), "no round trip to connect");
    assert_eq!(client.era(), Some(Era::Modern));
    assert_eq!(
        client.server_info().unwrap()["name"],
        "mcpstream-testserver"
    );
}

#[tokio::test]
async fn a_modern_verdict_the_server_disproves_is_probed_again_once() {
    let server = server_with(|c| c.era = ServerEra::LegacyOnly);
    let wrong = Verdict::Modern {
        version: "2026-07-28".into(),
        discover: serde_json::json!({"supportedVersions": ["2026-07-28"], "capabilities": {}}),
    };
    let client =
        Client::with_options(&server.url(), options(EraChoice::Auto).prior(wrong)).unwrap();
    client.connect().await.unwrap();
    let tools = client.list_tools().await.unwrap();
    assert!(!tools["tools"].as_array().unwrap().is_empty());
    assert_eq!(client.era(), Some(Era::Legacy));
    let methods = rpc_methods(&server);
    assert_eq!(
        methods,
        [
            "tools/list",
            "server/discover",
            "initialize",
            "notifications/initialized",
            "tools/list"
        ]
    );
}

#[tokio::test]
async fn a_legacy_verdict_the_server_disproves_is_probed_again() {
    let server = server_with(|c| c.era = ServerEra::ModernOnly);
    let client = Client::with_options(
        &server.url(),
        options(EraChoice::Auto).prior(Verdict::Legacy),
    )
    .unwrap();
    client.connect().await.unwrap();
    assert_eq!(client.era(), Some(Era::Modern));
    assert_eq!(rpc_methods(&server), ["initialize", "server/discover"]);
}

#[tokio::test]
async fn a_mutual_version_in_an_unsupported_version_error_is_probed_once_more() {
    let server = server();
    let refusal = r#"{"jsonrpc":"2.0","id":{{id}},"error":{"code":-32022,"message":"unsupported","data":{"supported":["2026-07-28"],"requested":"x"}}}"#;
    server.script(script("server/discover", 400, "application/json", refusal));
    let client = auto(&server);
    client.connect().await.unwrap();
    assert_eq!(client.era(), Some(Era::Modern));
    let probes = posts(&server, "server/discover");
    assert_eq!(probes.len(), 2);
    assert_ne!(probes[0].body["id"], probes[1].body["id"]);
}

#[tokio::test]
async fn header_and_capability_refusals_on_the_probe_fall_back() {
    for code in [-32020, -32021] {
        let server = server();
        let refusal = format!(
            r#"{{"jsonrpc":"2.0","id":{{{{id}}}},"error":{{"code":{code},"message":"no"}}}}"#
        );
        server.script(script("server/discover", 400, "application/json", &refusal));
        let client = auto(&server);
        client.connect().await.unwrap();
        assert_eq!(client.era(), Some(Era::Legacy), "{code}");
    }
}

#[tokio::test]
async fn auth_outages_and_silence_are_errors_not_legacy() {
    for (status, body) in [(401, "login"), (403, "no"), (500, "boom"), (503, "")] {
        let server = server();
        server.script(script("server/discover", status, "text/plain", body));
        let err = auto(&server).connect().await.unwrap_err();
        assert!(
            matches!(err, Error::Http { status: s, .. } if s == status),
            "{status}: {err:?}"
        );
        assert!(posts(&server, "initialize").is_empty(), "{status}");
    }
    let server = server();
    server.script(ScriptedResponse {
        delay_ms: 3_000,
        ..script("server/discover", 200, "application/json", "{}")
    });
    let mut opts = options(EraChoice::Auto);
    opts.probe_timeout = Duration::from_millis(300);
    let client = Client::with_options(&server.url(), opts).unwrap();
    let started = std::time::Instant::now();
    let err = client.connect().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(posts(&server, "initialize").is_empty());

    let gone = server.url();
    server.stop();
    mcpstream::era::forget_verdict(&gone).unwrap();
    let err = Client::with_options(&gone, options(EraChoice::Auto))
        .unwrap()
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn a_legacy_server_refusing_the_probe_in_every_usual_way_is_legacy() {
    let answers: [(u16, &str, &str); 5] = [
        (
            400,
            "application/json",
            r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: Server not initialized"},"id":null}"#,
        ),
        (404, "", ""),
        (405, "text/plain", "Method Not Allowed"),
        (
            400,
            "application/json",
            r#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}"#,
        ),
        (
            200,
            "application/json",
            r#"{"jsonrpc":"2.0","id":{{id}},"error":{"code":-32601,"message":"Method not found"}}"#,
        ),
    ];
    for (status, content_type, body) in answers {
        let server = server();
        server.script(script("server/discover", status, content_type, body));
        let client = auto(&server);
        client.connect().await.unwrap();
        assert_eq!(client.era(), Some(Era::Legacy), "{status} {body}");
        assert!(client.session_id().is_some());
    }
}

#[test]
fn era_choices_come_from_their_names() {
    assert_eq!("auto".parse::<EraChoice>().unwrap(), EraChoice::Auto);
    let _: Value = serde_json::json!(Era::Modern.as_str());
}

#[tokio::test]
async fn calls_before_connect_and_after_close_are_refused_locally_in_the_modern_era() {
    let server = server();
    let client = auto(&server);
    assert!(matches!(
        client.call_tool("echo", None).await,
        Err(Error::NotConnected)
    ));
    assert!(matches!(
        client
            .listen(serde_json::json!({"toolsListChanged": true}))
            .await,
        Err(Error::NotConnected)
    ));
    assert!(server.requests().is_empty());
    client.connect().await.unwrap();
    assert_eq!(client.era(), Some(Era::Modern));
    client.ping().await.unwrap();
    client.close().await;
    let sent = server.requests().len();
    assert!(matches!(client.ping().await, Err(Error::NotConnected)));
    assert_eq!(server.requests().len(), sent);
}
