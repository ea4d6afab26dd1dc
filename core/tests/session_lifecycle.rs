//! The session lifecycle against the reference server, asserting on what the server received.

mod common;
use common::*;
use mcpstream::{Client, CloseOutcome, Error, LATEST_PROTOCOL_VERSION};
use serde_json::json;

#[tokio::test]
async fn connect_captures_session_and_sends_it_on_every_post_get_and_delete() {
    let server = server();
    let client = client(&server);
    let init = client.connect().await.unwrap();
    assert_eq!(init["serverInfo"]["name"], "mcpstream-testserver");
    let sid = client
        .session_id()
        .expect("a stateful server issues a session id");
    assert_eq!(server.session_ids(), vec![sid.clone()]);
    assert_eq!(
        client.protocol_version().as_deref(),
        Some(LATEST_PROTOCOL_VERSION)
    );

    client
        .call_tool("echo", Some(json!({"text": "hi"})))
        .await
        .unwrap();
    let stream = client.open_event_stream().await.unwrap();
    assert!(stream.is_some(), "the reference server offers a GET stream");
    drop(stream);
    assert!(matches!(client.close().await, CloseOutcome::Terminated));

    let requests = server.requests();
    let init_req = &requests[0];
    assert_eq!(init_req.rpc_method(), Some("initialize"));
    assert_eq!(
        init_req.header("mcp-session-id"),
        None,
        "initialize carries no session id"
    );
    assert_eq!(init_req.header("mcp-protocol-version"), None);
    assert_eq!(
        init_req.body["params"]["protocolVersion"],
        LATEST_PROTOCOL_VERSION
    );
    assert_eq!(init_req.body["params"]["clientInfo"]["name"], "mcpstream");
    assert!(init_req.body["params"]["capabilities"].is_object());

    let later: Vec<_> = requests[1..].iter().collect();
    let kinds: Vec<_> = later.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        kinds,
        ["POST", "POST", "GET", "DELETE"],
        "initialized, tools/call, GET, DELETE"
    );
    assert_eq!(later[0].rpc_method(), Some("notifications/initialized"));
    for r in &later {
        assert_eq!(
            r.header("mcp-session-id"),
            Some(sid.as_str()),
            "{} {:?}",
            r.method,
            r.rpc_method()
        );
        assert_eq!(
            r.header("mcp-protocol-version"),
            Some(LATEST_PROTOCOL_VERSION)
        );
        assert!(
            r.status < 300,
            "server accepted {} with {}",
            r.method,
            r.status
        );
    }
    for r in requests.iter().filter(|r| r.method == "POST") {
        assert_eq!(
            r.header("accept"),
            Some("application/json, text/event-stream")
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    assert_eq!(later[2].header("accept"), Some("text/event-stream"));
    assert!(client.session_id().is_none());
    assert!(
        server.session_ids().is_empty(),
        "DELETE ended the session on the server"
    );
}

#[tokio::test]
async fn a_later_response_never_replaces_the_session_id() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let sid = client.session_id().unwrap();
    let mut sneaky = sse_script("ping", &[r#"{"jsonrpc":"2.0","id":{{id}},"result":{}}"#]);
    sneaky
        .headers
        .push(("mcp-session-id".into(), "attacker-chosen".into()));
    server.script(sneaky);
    client.ping().await.unwrap();
    assert_eq!(client.session_id(), Some(sid.clone()));
    client.ping().await.unwrap();
    let last = posts(&server, "ping").pop().unwrap();
    assert_eq!(last.header("mcp-session-id"), Some(sid.as_str()));
}

#[tokio::test]
async fn a_stateless_server_gets_no_session_id_and_close_sends_nothing() {
    let server = server_with(|c| c.stateless = true);
    let client = client(&server);
    client.connect().await.unwrap();
    assert_eq!(client.session_id(), None);
    assert_eq!(
        client.protocol_version().as_deref(),
        Some(LATEST_PROTOCOL_VERSION)
    );
    // A session id on a later response must not create a session either.
    let mut sneaky = sse_script("ping", &[r#"{"jsonrpc":"2.0","id":{{id}},"result":{}}"#]);
    sneaky
        .headers
        .push(("mcp-session-id".into(), "late".into()));
    server.script(sneaky);
    client.ping().await.unwrap();
    let out = client
        .call_tool("add", Some(json!({"a": 2, "b": 3})))
        .await
        .unwrap();
    assert_eq!(text_of(&out), "5");
    assert_eq!(client.session_id(), None);
    assert!(matches!(client.close().await, CloseOutcome::NoSession));
    for r in server.requests() {
        assert_eq!(r.header("mcp-session-id"), None);
    }
    let call = posts(&server, "tools/call").pop().unwrap();
    assert_eq!(
        call.header("mcp-protocol-version"),
        Some(LATEST_PROTOCOL_VERSION)
    );
    assert!(with_method(&server, "DELETE").is_empty());
    assert!(with_method(&server, "GET").is_empty());
}

#[tokio::test]
async fn an_older_server_version_is_accepted_and_sent_back() {
    for version in ["2025-03-26", "2025-06-18"] {
        let server = server_with(|c| c.forced_protocol_version = Some(version.into()));
        let client = client(&server);
        client.connect().await.unwrap();
        assert_eq!(client.protocol_version().as_deref(), Some(version));
        client.ping().await.unwrap();
        let ping = posts(&server, "ping").pop().unwrap();
        assert_eq!(ping.header("mcp-protocol-version"), Some(version));
    }
}

#[tokio::test]
async fn an_unsupported_server_version_fails_connect_and_ends_that_session() {
    let server = server_with(|c| c.forced_protocol_version = Some("2024-11-05".into()));
    let client = client(&server);
    let err = client.connect().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("2024-11-05"), "{err}");
    assert!(client.session().is_none());
    assert!(posts(&server, "notifications/initialized").is_empty());
    assert_eq!(
        with_method(&server, "DELETE").len(),
        1,
        "the unusable session is ended"
    );
    assert!(server.session_ids().is_empty());
}

#[tokio::test]
async fn an_invalid_session_id_from_the_server_fails_connect() {
    let server = server();
    let client = client(&server);
    let result = r#"{"jsonrpc":"2.0","id":{{id}},"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"x","version":"1"}}}"#;
    let mut bad = sse_script("initialize", &[result]);
    bad.headers
        .push(("mcp-session-id".into(), "has space".into()));
    server.script(bad);
    let err = client.connect().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("MCP-Session-Id"), "{err}");
    assert!(client.session().is_none());
}

#[tokio::test]
async fn the_session_header_is_read_in_any_case() {
    let server = server();
    let client = client(&server);
    let result = r#"{"jsonrpc":"2.0","id":{{id}},"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"x","version":"1"}}}"#;
    let mut init = sse_script("initialize", &[result]);
    init.headers
        .push(("Mcp-Session-Id".into(), "MixedCase-1".into()));
    server.script(init);
    server.script(script("notifications/initialized", 202, "", ""));
    client.connect().await.unwrap();
    assert_eq!(client.session_id().as_deref(), Some("MixedCase-1"));
    let initialized = posts(&server, "notifications/initialized").pop().unwrap();
    assert_eq!(initialized.header("mcp-session-id"), Some("MixedCase-1"));
}

#[tokio::test]
async fn reconnecting_ends_the_old_session_first() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let first = client.session_id().unwrap();
    client.connect().await.unwrap();
    let second = client.session_id().unwrap();
    assert_ne!(first, second);
    assert_eq!(server.session_ids(), vec![second]);
    let delete = with_method(&server, "DELETE").pop().unwrap();
    assert_eq!(delete.header("mcp-session-id"), Some(first.as_str()));
}

#[tokio::test]
async fn json_responses_work_like_sse_ones() {
    let server = server_with(|c| c.json_response = true);
    let client = client(&server);
    client.connect().await.unwrap();
    assert!(client.session_id().is_some());
    let out = client
        .call_tool("echo", Some(json!({"text": "plain json"})))
        .await
        .unwrap();
    assert_eq!(text_of(&out), "plain json");
    assert_eq!(
        client.list_tools().await.unwrap()["tools"]
            .as_array()
            .unwrap()
            .len(),
        ALL_TOOLS.len()
    );
    assert!(matches!(client.close().await, CloseOutcome::Terminated));
}

#[tokio::test]
async fn extra_headers_go_on_every_request_but_session_headers_are_reserved() {
    let server = server();
    let opts = quick_options().header("Authorization", "Bearer t0ken");
    let client = Client::with_options(&server.url(), opts).unwrap();
    client.connect().await.unwrap();
    client.ping().await.unwrap();
    client.close().await;
    for r in server.requests() {
        assert_eq!(
            r.header("authorization"),
            Some("Bearer t0ken"),
            "{}",
            r.method
        );
        assert!(r.header("user-agent").unwrap().starts_with("mcpstream/"));
    }
    let reserved = quick_options().header("MCP-Session-Id", "mine");
    assert!(matches!(
        Client::with_options(&server.url(), reserved),
        Err(Error::InvalidArgument { .. })
    ));
    let bad_url = Client::new("ftp://127.0.0.1/mcp");
    assert!(matches!(bad_url, Err(Error::InvalidArgument { .. })));
    assert!(matches!(
        Client::new("not a url"),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn a_url_without_http_says_what_is_wrong() {
    for url in ["127.0.0.1:8000/mcp", "localhost:8000/mcp", "ftp://h/mcp"] {
        match Client::new(url) {
            Err(Error::InvalidArgument { message }) => assert_eq!(
                message,
                format!("URL must start with http:// or https://, got {url:?}")
            ),
            other => panic!("{url}: {other:?}"),
        }
    }
    assert!(Client::new("http://127.0.0.1:8000/mcp").is_ok());
}

#[tokio::test]
async fn calls_before_connect_and_after_close_are_refused_locally() {
    let server = server();
    let client = client(&server);
    assert!(matches!(client.ping().await, Err(Error::NotConnected)));
    assert!(matches!(
        client.call_tool("echo", None).await,
        Err(Error::NotConnected)
    ));
    assert!(matches!(
        client.notify("notifications/x", None).await,
        Err(Error::NotConnected)
    ));
    assert!(matches!(
        client.open_event_stream().await,
        Err(Error::NotConnected)
    ));
    assert!(
        server.requests().is_empty(),
        "nothing is sent without a connection"
    );
    client.connect().await.unwrap();
    client.ping().await.unwrap();
    client.close().await;
    let sent = server.requests().len();
    let err = client.list_tools().await.unwrap_err();
    assert!(matches!(err, Error::NotConnected), "{err:?}");
    assert!(err.to_string().contains("call connect() first"), "{err}");
    assert_eq!(server.requests().len(), sent);
}
