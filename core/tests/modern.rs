//! The modern era on the wire (2026-07-28), asserted on what the reference server received:
//! the envelope and headers on every request, `x-mcp-header` mirroring, retries after
//! `-32022` and `-32020`, multi round-trip requests, errors, progress, logging, cancellation.

mod common;
use common::*;
use mcpstream::handlers::request_handler;
use mcpstream::{Client, ClientOptions, EraChoice, Error, Handlers, RequestOptions};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const VERSION: &str = "2026-07-28";

/// One page of tools, so counts of `tools/list` are counts of listings.
fn server() -> TestServer {
    common::server_with(|c| c.page_size = 100)
}

fn modern_options() -> ClientOptions {
    quick_options().era(EraChoice::Modern(VERSION.into()))
}

async fn connected(server: &TestServer, opts: ClientOptions) -> Client {
    let client = Client::with_options(&server.url(), opts).unwrap();
    client.connect().await.unwrap();
    client
}

fn eliciting() -> ClientOptions {
    modern_options().handlers(Handlers {
        elicitation: Some(request_handler(|_| async {
            Ok(json!({"action": "accept", "content": {"name": "Ada"}}))
        })),
        ..Handlers::default()
    })
}

fn meta(request: &RecordedRequest) -> &Value {
    &request.body["params"]["_meta"]
}

#[tokio::test]
async fn every_request_carries_the_envelope_and_the_standard_headers() {
    let server = server();
    let client = connected(&server, eliciting()).await;
    client.list_tools().await.unwrap();
    client
        .call_tool("echo", Some(json!({"text": "hi"})))
        .await
        .unwrap();
    client.list_resources().await.unwrap();
    client.read_resource("mem://greeting").await.unwrap();
    client.list_prompts().await.unwrap();
    client
        .get_prompt("greet", Some(json!({"name": "Ada"})))
        .await
        .unwrap();
    let requests = server.requests();
    assert!(requests.len() >= 7);
    for r in &requests {
        assert_eq!(r.method, "POST", "no GET or DELETE in the modern era");
        let method = r.rpc_method().unwrap();
        assert_eq!(r.header("mcp-method"), Some(method));
        assert_eq!(r.header("mcp-protocol-version"), Some(VERSION));
        assert_eq!(r.header("mcp-session-id"), None);
        assert_eq!(meta(r)["io.modelcontextprotocol/protocolVersion"], VERSION);
        assert_eq!(
            meta(r)["io.modelcontextprotocol/clientCapabilities"],
            json!({"elicitation": {}})
        );
        assert_eq!(
            meta(r)["io.modelcontextprotocol/clientInfo"]["name"],
            "mcpstream"
        );
        assert!(r.body["id"].is_i64(), "every message is a request");
        let named = match method {
            "tools/call" | "prompts/get" => r.body["params"]["name"].as_str(),
            "resources/read" => r.body["params"]["uri"].as_str(),
            _ => None,
        };
        assert_eq!(r.header("mcp-name"), named, "{method}");
    }
    assert!(posts(&server, "notifications/initialized").is_empty());
}

#[tokio::test]
async fn annotated_arguments_are_mirrored_as_headers() {
    let server = server();
    let client = connected(&server, modern_options()).await;
    // No tools/list yet: the client lists first to learn the annotations.
    client
        .call_tool(
            "headers_echo",
            Some(json!({"region": "日本", "count": 3, "dry_run": false, "note": "n"})),
        )
        .await
        .unwrap();
    assert_eq!(posts(&server, "tools/list").len(), 1);
    let call = &posts(&server, "tools/call")[0];
    assert_eq!(call.header("mcp-param-region"), Some("=?base64?5pel5pys?="));
    assert_eq!(call.header("mcp-param-count"), Some("3"));
    assert_eq!(call.header("mcp-param-dry-run"), Some("false"));
    client
        .call_tool("headers_echo", Some(json!({"region": null, "count": 1})))
        .await
        .unwrap();
    let call = &posts(&server, "tools/call")[1];
    assert_eq!(call.header("mcp-param-region"), None);
    assert_eq!(call.header("mcp-param-dry-run"), None);
    assert_eq!(posts(&server, "tools/list").len(), 1, "listed once");
}

#[tokio::test]
async fn invalid_tools_are_left_out_and_cannot_be_called() {
    let server = server();
    let client = connected(&server, modern_options()).await;
    let listing = r#"{"jsonrpc":"2.0","id":{{id}},"result":{"resultType":"complete","tools":[
        {"name":"good","inputSchema":{"type":"object","properties":{"r":{"type":"string","x-mcp-header":"R"}}}},
        {"name":"bad","inputSchema":{"type":"object","properties":{"n":{"type":"number","x-mcp-header":"N"}}}}]}}"#;
    server.script(script("tools/list", 200, "application/json", listing));
    let tools = client.list_tools().await.unwrap();
    let names: Vec<_> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["good"]);
    let err = client.call_tool("bad", None).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(posts(&server, "tools/call").is_empty());
}

#[tokio::test]
async fn a_header_mismatch_on_a_call_relists_and_retries_once() {
    let server = server();
    let client = connected(&server, modern_options()).await;
    client.list_tools().await.unwrap();
    let mismatch = r#"{"jsonrpc":"2.0","id":{{id}},"error":{"code":-32020,"message":"Mcp-Param-Region missing"}}"#;
    server.script(script("tools/call", 400, "application/json", mismatch));
    client
        .call_tool("headers_echo", Some(json!({"region": "eu"})))
        .await
        .unwrap();
    assert_eq!(posts(&server, "tools/list").len(), 2);
    assert_eq!(posts(&server, "tools/call").len(), 2);
    // A second mismatch in a row reaches the caller.
    server.script(script("tools/call", 400, "application/json", mismatch));
    server.script(script("tools/call", 400, "application/json", mismatch));
    let err = client
        .call_tool("echo", Some(json!({"text": "x"})))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Rpc { code: -32020, .. }), "{err:?}");
}

#[tokio::test]
async fn an_unsupported_version_naming_ours_is_retried_once_with_a_new_id() {
    let server = server();
    let client = connected(&server, modern_options()).await;
    let refusal = r#"{"jsonrpc":"2.0","id":{{id}},"error":{"code":-32022,"message":"no","data":{"supported":["2026-07-28"],"requested":"x"}}}"#;
    server.script(script("tools/list", 400, "application/json", refusal));
    client.list_tools().await.unwrap();
    let lists = posts(&server, "tools/list");
    assert_eq!(lists.len(), 2);
    assert_ne!(lists[0].body["id"], lists[1].body["id"]);
    let other = r#"{"jsonrpc":"2.0","id":{{id}},"error":{"code":-32022,"message":"no","data":{"supported":["2099-01-01"]}}}"#;
    server.script(script("tools/list", 400, "application/json", other));
    let err = client.list_tools().await.unwrap_err();
    assert!(matches!(err, Error::Rpc { code: -32022, .. }), "{err:?}");
}

#[tokio::test]
async fn input_required_is_answered_by_the_handlers_and_sent_again() {
    let server = server();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let opts = modern_options().handlers(Handlers {
        elicitation: Some(request_handler(move |params| {
            log.lock().unwrap().push(params.unwrap_or_default());
            async { Ok(json!({"action": "accept", "content": {"name": "Ada"}})) }
        })),
        ..Handlers::default()
    });
    let client = connected(&server, opts).await;
    let result = client
        .call_tool(
            "ask_input",
            Some(json!({"kind": "elicitation", "rounds": 2})),
        )
        .await
        .unwrap();
    assert_eq!(result["resultType"], "complete");
    assert!(text_of(&result).contains("Ada"), "{result}");
    assert_eq!(seen.lock().unwrap().len(), 2, "one elicitation per round");
    let calls = posts(&server, "tools/call");
    assert_eq!(calls.len(), 3);
    let ids: std::collections::HashSet<String> =
        calls.iter().map(|c| c.body["id"].to_string()).collect();
    assert_eq!(ids.len(), 3, "every round has its own id");
    assert!(calls[0].body["params"].get("inputResponses").is_none());
    assert!(calls[1].body["params"]["inputResponses"].is_object());
    assert!(calls[1].body["params"]["requestState"].is_string());
    assert_eq!(
        calls[2].body["params"]["arguments"],
        calls[0].body["params"]["arguments"]
    );
}

#[tokio::test]
async fn input_without_state_and_other_kinds_of_input() {
    let server = server();
    let opts = modern_options().handlers(Handlers {
        sampling: Some(request_handler(|_| async {
            Ok(json!({"role": "assistant", "content": {"type": "text", "text": "4"}, "model": "m"}))
        })),
        roots: Some(request_handler(|_| async {
            Ok(json!({"roots": [{"uri": "file:///w", "name": "w"}]}))
        })),
        ..Handlers::default()
    });
    let client = connected(&server, opts).await;
    for kind in ["sampling", "roots"] {
        let args = json!({"kind": kind, "rounds": 1, "with_state": false});
        let result = client.call_tool("ask_input", Some(args)).await.unwrap();
        assert_eq!(result["resultType"], "complete", "{kind}");
    }
    for call in posts(&server, "tools/call") {
        assert!(call.body["params"].get("requestState").is_none());
    }
}

#[tokio::test]
async fn input_nobody_can_give_fails_the_call_locally() {
    let server = server();
    let client = connected(&server, modern_options()).await;
    let asking = r#"{"jsonrpc":"2.0","id":{{id}},"result":{"resultType":"input_required","inputRequests":{"k":{"method":"elicitation/create","params":{"message":"name?","requestedSchema":{"type":"object","properties":{}}}}},"requestState":"s"}}"#;
    server.script(script("tools/call", 200, "application/json", asking));
    let err = client
        .call_tool("echo", Some(json!({"text": "x"})))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("on_elicitation"), "{err}");
    assert_eq!(posts(&server, "tools/call").len(), 1, "nothing sent back");
}

#[tokio::test]
async fn rounds_are_bounded() {
    let server = server();
    let mut opts = eliciting();
    opts.max_input_rounds = 3;
    let client = connected(&server, opts).await;
    let err = client
        .call_tool(
            "ask_input",
            Some(json!({"kind": "elicitation", "rounds": 5})),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("3 rounds"), "{err}");
    assert_eq!(posts(&server, "tools/call").len(), 4);
}

#[tokio::test]
async fn json_rpc_errors_come_through_at_any_status_and_unknown_result_types_are_refused() {
    let server = server();
    let client = connected(&server, modern_options()).await;
    match client.read_resource("mem://missing").await.unwrap_err() {
        Error::Rpc { code: -32602, .. } => {}
        other => panic!("{other:?}"),
    }
    let odd = r#"{"jsonrpc":"2.0","id":{{id}},"result":{"resultType":"teleport"}}"#;
    server.script(script("tools/list", 200, "application/json", odd));
    let err = client.list_tools().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    match client.request("no/such", None).await.unwrap_err() {
        Error::Rpc { code: -32601, .. } => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn progress_arrives_and_a_timeout_closes_the_stream_without_a_notification() {
    let server = server();
    let client = connected(&server, modern_options()).await;
    let seen = Arc::new(Mutex::new(0));
    let count = seen.clone();
    let opts = RequestOptions {
        on_progress: Some(Arc::new(move |_| *count.lock().unwrap() += 1)),
        ..RequestOptions::default()
    };
    client
        .call_tool_with("progress", Some(json!({"steps": 3})), opts)
        .await
        .unwrap();
    assert!(*seen.lock().unwrap() >= 1);
    let err = client
        .call_tool_with(
            "slow",
            Some(json!({"ms": 5_000})),
            RequestOptions::timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(posts(&server, "notifications/cancelled").is_empty());
}

#[tokio::test]
async fn logging_ping_and_notifications_in_the_modern_era() {
    let server = server();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let log = messages.clone();
    let opts = modern_options().handlers(Handlers {
        notification: Some(Arc::new(move |method: &str, _: Option<&Value>| {
            log.lock().unwrap().push(method.to_owned())
        })),
        ..Handlers::default()
    });
    let client = connected(&server, opts).await;
    client.set_logging_level("debug").await.unwrap();
    assert!(client.set_logging_level("loud").await.is_err());
    client
        .call_tool("echo", Some(json!({"text": "x"})))
        .await
        .unwrap();
    let call = &posts(&server, "tools/call")[0];
    assert_eq!(meta(call)["io.modelcontextprotocol/logLevel"], "debug");
    assert!(posts(&server, "logging/setLevel").is_empty());
    assert!(messages
        .lock()
        .unwrap()
        .iter()
        .any(|m| m == "notifications/message"));
    client.ping().await.unwrap();
    assert_eq!(posts(&server, "server/discover").len(), 2);
    let err = client.notify("notifications/x", None).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }));
}

#[tokio::test]
async fn requests_on_a_modern_stream_are_dropped() {
    let server = server();
    let client = connected(&server, eliciting()).await;
    server.script(sse_script(
        "tools/list",
        &[
            r#"{"jsonrpc":"2.0","id":"srv-1","method":"elicitation/create","params":{"message":"?"}}"#,
            r#"{"jsonrpc":"2.0","id":{{id}},"result":{"resultType":"complete","tools":[]}}"#,
        ],
    ));
    client.list_tools().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answered = server
        .requests()
        .into_iter()
        .filter(|r| r.body.get("result").is_some())
        .count();
    assert_eq!(answered, 0, "no response POSTed");
}

#[tokio::test]
async fn results_are_reused_for_their_ttl_until_a_change_is_announced() {
    let server = common::server_with(|c| {
        c.page_size = 100;
        c.cache_ttl_ms = Some(60_000);
    });
    let client = connected(&server, modern_options()).await;
    client.list_tools().await.unwrap();
    client.list_tools().await.unwrap();
    client.read_resource("mem://greeting").await.unwrap();
    client.read_resource("mem://greeting").await.unwrap();
    assert_eq!(
        posts(&server, "tools/list").len(),
        1,
        "the second came from the cache"
    );
    assert_eq!(posts(&server, "resources/read").len(), 1);
    let fresh = RequestOptions {
        bypass_cache: true,
        ..RequestOptions::default()
    };
    client
        .request_with("tools/list", None, fresh)
        .await
        .unwrap();
    assert_eq!(posts(&server, "tools/list").len(), 2, "bypassed on request");

    let _sub = client
        .listen(json!({"toolsListChanged": true}))
        .await
        .unwrap();
    server
        .notify_listeners(&json!({"method": "notifications/tools/list_changed"}))
        .unwrap();
    for _ in 0..100 {
        client.list_tools().await.unwrap();
        if posts(&server, "tools/list").len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        posts(&server, "tools/list").len(),
        3,
        "list_changed dropped it"
    );
    client.clear_cache();
    client.read_resource("mem://greeting").await.unwrap();
    assert_eq!(posts(&server, "resources/read").len(), 2);
}

#[tokio::test]
async fn results_without_cache_hints_are_kept_whole_and_not_reused() {
    let server = common::server_with(|c| {
        c.page_size = 100;
        c.cache_ttl_ms = None;
    });
    let client = connected(&server, modern_options()).await;
    let tools = client.list_tools().await.unwrap();
    assert!(
        tools["tools"].as_array().unwrap().len() > 3,
        "no tool dropped"
    );
    client.list_tools().await.unwrap();
    assert_eq!(posts(&server, "tools/list").len(), 2);
}

#[test]
fn headers_the_client_manages_cannot_be_set_by_hand() {
    for name in [
        "MCP-Session-Id",
        "MCP-Protocol-Version",
        "Mcp-Method",
        "Mcp-Name",
        "Mcp-Param-Region",
    ] {
        let opts = modern_options().header(name, "x");
        let err = Client::with_options("http://127.0.0.1:1/mcp", opts).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{name}");
    }
    let opts = modern_options().header("Authorization", "Bearer t");
    assert!(Client::with_options("http://127.0.0.1:1/mcp", opts).is_ok());
}

#[tokio::test]
async fn answers_never_leak_into_other_requests() {
    let server = server();
    let inner: Arc<Mutex<Option<Client>>> = Arc::new(Mutex::new(None));
    let reach = inner.clone();
    let opts = modern_options().handlers(Handlers {
        elicitation: Some(request_handler(move |_| {
            let client = reach.lock().unwrap().clone().unwrap();
            async move {
                // An unrelated call while the user is answering.
                client
                    .call_tool("echo", Some(json!({"text": "meanwhile"})))
                    .await?;
                Ok(json!({"action": "accept", "content": {"name": "Ada"}}))
            }
        })),
        ..Handlers::default()
    });
    let client = connected(&server, opts).await;
    *inner.lock().unwrap() = Some(client.clone());
    client
        .call_tool("ask_input", Some(json!({"kind": "elicitation"})))
        .await
        .unwrap();
    // A caller's stale answers are not sent either.
    let stale = json!({"name": "echo", "arguments": {"text": "x"},
                       "inputResponses": {"old": {}}, "requestState": "old"});
    client.request("tools/call", Some(stale)).await.unwrap();
    for call in posts(&server, "tools/call") {
        let params = &call.body["params"];
        if params["name"] == "echo" {
            assert!(params.get("inputResponses").is_none(), "{params}");
            assert!(params.get("requestState").is_none(), "{params}");
        }
    }
    *inner.lock().unwrap() = None;
}

#[tokio::test]
async fn a_capability_the_server_requires_is_an_rpc_error_with_its_data() {
    let server = server();
    let client = connected(&server, modern_options()).await;
    match client
        .call_tool("ask_input", Some(json!({"kind": "sampling"})))
        .await
        .unwrap_err()
    {
        Error::Rpc {
            code: -32021,
            data: Some(data),
            ..
        } => assert!(
            data["requiredCapabilities"]["sampling"].is_object(),
            "{data}"
        ),
        other => panic!("{other:?}"),
    }
}
