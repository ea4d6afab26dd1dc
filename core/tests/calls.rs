//! The convenience calls, pagination, and messages the server sends on a request's stream.

mod common;
use common::*;
use mcpstream::Error;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn list_tools_follows_next_cursor_to_the_end() {
    let server = server_with(|c| c.page_size = 2);
    let client = client(&server);
    client.connect().await.unwrap();
    let tools = client.list_tools().await.unwrap();
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ALL_TOOLS);
    assert!(tools.get("nextCursor").is_none());
    let pages = posts(&server, "tools/list");
    assert_eq!(pages.len(), 4);
    assert_eq!(pages[0].body.get("params"), None);
    assert_eq!(pages[1].body["params"]["cursor"], "2");
    assert_eq!(pages[3].body["params"]["cursor"], "6");
}

#[tokio::test]
async fn a_cursor_that_repeats_is_an_error_not_a_loop() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let page = r#"{"jsonrpc":"2.0","id":{{id}},"result":{"tools":[],"nextCursor":"same"}}"#;
    server.script(sse_script("tools/list", &[page]));
    server.script(sse_script("tools/list", &[page]));
    let err = client.list_tools().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("nextCursor"), "{err}");
}

#[tokio::test]
async fn resources_prompts_and_ping() {
    let server = server_with(|c| c.page_size = 1);
    let client = client(&server);
    client.connect().await.unwrap();
    client.ping().await.unwrap();
    let resources = client.list_resources().await.unwrap();
    assert_eq!(
        resources["resources"].as_array().unwrap().len(),
        2,
        "two pages followed"
    );
    let read = client.read_resource("mem://greeting").await.unwrap();
    assert_eq!(
        read["contents"][0]["text"],
        "hello from the reference server"
    );
    match client.read_resource("mem://missing").await.unwrap_err() {
        Error::Rpc { code: -32002, .. } => {}
        other => panic!("{other:?}"),
    }
    let prompts = client.list_prompts().await.unwrap();
    assert_eq!(prompts["prompts"][0]["name"], "greet");
    let prompt = client
        .get_prompt("greet", Some(json!({"name": "Ada"})))
        .await
        .unwrap();
    assert_eq!(prompt["messages"][0]["content"]["text"], "Say hello to Ada");
    let get = posts(&server, "prompts/get").pop().unwrap();
    assert_eq!(
        get.body["params"],
        json!({"name": "greet", "arguments": {"name": "Ada"}})
    );
}

#[tokio::test]
async fn call_tool_sends_name_and_arguments() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let out = client
        .call_tool("add", Some(json!({"a": 1.5, "b": 2})))
        .await
        .unwrap();
    assert_eq!(out["structuredContent"]["sum"], 3.5);
    client.call_tool("echo", None).await.unwrap_err();
    let calls = posts(&server, "tools/call");
    assert_eq!(
        calls[0].body["params"],
        json!({"name": "add", "arguments": {"a": 1.5, "b": 2}})
    );
    assert_eq!(
        calls[1].body["params"],
        json!({"name": "echo", "arguments": {}})
    );
    let ids: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.body.get("id").map(Value::to_string))
        .collect();
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "request ids are never reused");
}

#[tokio::test]
async fn a_failing_tool_is_a_result_unless_checked() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    let failed = client
        .call_tool("fail", Some(json!({"message": "it broke"})))
        .await
        .unwrap();
    assert_eq!(failed["isError"], true);
    match Error::check_tool_result("fail", failed.clone()) {
        Err(Error::Tool {
            name,
            message,
            result,
        }) => {
            assert_eq!(name, "fail");
            assert!(message.starts_with(r#"tool "fail" failed: "#), "{message}");
            assert!(message.contains("it broke"), "{message}");
            assert_eq!(result, failed);
        }
        other => panic!("{other:?}"),
    }
    let fine = client
        .call_tool("add", Some(json!({"a": 1, "b": 2})))
        .await
        .unwrap();
    assert_eq!(Error::check_tool_result("add", fine.clone()).unwrap(), fine);
}

#[tokio::test]
async fn notify_posts_a_notification_and_accepts_any_2xx() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    client
        .notify("notifications/roots/list_changed", None)
        .await
        .unwrap();
    let sent = posts(&server, "notifications/roots/list_changed")
        .pop()
        .unwrap();
    assert_eq!(sent.status, 202);
    assert!(sent.body.get("id").is_none());
    // The Python SDK answers 202 with an application/json content type and no body.
    server.script(script(
        "notifications/progress",
        202,
        "application/json",
        "",
    ));
    client
        .notify(
            "notifications/progress",
            Some(json!({"progressToken": 1, "progress": 1})),
        )
        .await
        .unwrap();
    server.script(script(
        "notifications/cancelled",
        200,
        "application/json",
        "{}",
    ));
    client
        .notify("notifications/cancelled", Some(json!({"requestId": 9})))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_server_ping_on_the_request_stream_is_answered_and_the_call_completes() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    server.script(sse_script(
        "tools/call",
        &[
            r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"working"}}"#,
            r#"{"jsonrpc":"2.0","id":"srv-1","method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":"srv-2","method":"sampling/createMessage","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":{{id}},"result":{"content":[{"type":"text","text":"done"}]}}"#,
        ],
    ));
    let out = client
        .call_tool("echo", Some(json!({"text": "x"})))
        .await
        .unwrap();
    assert_eq!(text_of(&out), "done");
    let answered = |id: &str| {
        server
            .requests()
            .into_iter()
            .find(|r| r.body.get("id") == Some(&json!(id)) && r.rpc_method().is_none())
    };
    for _ in 0..100 {
        if answered("srv-1").is_some() && answered("srv-2").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pong = answered("srv-1").expect("the server's ping was answered");
    assert_eq!(pong.body["result"], json!({}));
    assert_eq!(
        pong.header("mcp-session-id"),
        client.session_id().as_deref()
    );
    let refusal = answered("srv-2").expect("an unhandled request is refused, not ignored");
    assert_eq!(refusal.body["error"]["code"], -32601);
}

#[tokio::test]
async fn sequential_calls_reuse_one_connection_for_sse_and_json() {
    for json_response in [false, true] {
        let server = server_with(|c| c.json_response = json_response);
        let client = client(&server);
        client.connect().await.unwrap();
        for i in 0..20 {
            client
                .call_tool("echo", Some(json!({"text": format!("{i}")})))
                .await
                .unwrap();
        }
        client
            .notify("notifications/roots/list_changed", None)
            .await
            .unwrap();
        client.close().await;
        let peers: std::collections::HashSet<String> =
            server.requests().into_iter().map(|r| r.peer).collect();
        assert_eq!(
            peers.len(),
            1,
            "json={json_response}: connections {peers:?}"
        );
    }
}

#[tokio::test]
async fn client_info_and_capabilities_are_configurable() {
    let server = server();
    let mut opts = quick_options().client_info("my-agent", "2.1");
    opts.capabilities = json!({"experimental": {"x": {}}});
    let client = mcpstream::Client::with_options(&server.url(), opts).unwrap();
    client.connect().await.unwrap();
    let init = posts(&server, "initialize").pop().unwrap();
    assert_eq!(
        init.body["params"]["clientInfo"],
        json!({"name": "my-agent", "version": "2.1"})
    );
    assert_eq!(
        init.body["params"]["capabilities"],
        json!({"experimental": {"x": {}}})
    );
    assert_eq!(
        client.server_info().unwrap()["name"],
        "mcpstream-testserver"
    );
    assert!(client.server_capabilities().unwrap()["tools"].is_object());
}

#[tokio::test]
async fn set_logging_level_sends_the_level_and_surfaces_a_refusal() {
    let server = server();
    let client = client(&server);
    client.connect().await.unwrap();
    client.set_logging_level("warning").await.unwrap();
    let sent = posts(&server, "logging/setLevel");
    assert_eq!(sent[0].body["params"], json!({"level": "warning"}));
    let err = client.set_logging_level("loud").await.unwrap_err();
    assert!(matches!(err, Error::Rpc { code: -32602, .. }), "{err:?}");
}
