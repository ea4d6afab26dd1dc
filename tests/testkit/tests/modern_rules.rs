//! The reference server's modern lane (MCP 2026-07-28), checked with raw HTTP: each
//! validation rule and its error, discover, the era switches, multi round-trip requests,
//! `x-mcp-header` mirroring, progress, logging and listen streams.

use mcpstream_testkit::{Config, ScriptedResponse, ServerEra, TestServer};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{json, Value};
use std::time::Duration;

const VERSION: &str = "2026-07-28";
const ACCEPT_BOTH: &str = "application/json, text/event-stream";
const PV: &str = "io.modelcontextprotocol/protocolVersion";
const CAPS: &str = "io.modelcontextprotocol/clientCapabilities";

fn http() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn server(f: impl FnOnce(&mut Config)) -> TestServer {
    let mut config = Config::default();
    f(&mut config);
    TestServer::start(config)
}

fn envelope(capabilities: Value) -> Value {
    json!({PV: VERSION, CAPS: capabilities, "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "0"}})
}

/// A request with the `_meta` envelope (empty capabilities) unless `params` brings its own.
fn request(id: Value, method: &str, params: Value) -> Value {
    let mut params = if params.is_null() { json!({}) } else { params };
    if params.get("_meta").is_none() {
        params["_meta"] = envelope(json!({}));
    }
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn bare_post(http: &Client, url: &str, body: &Value) -> RequestBuilder {
    http.post(url)
        .header("accept", ACCEPT_BOTH)
        .header("content-type", "application/json")
        .body(body.to_string())
}

/// A POST with every header a correct modern client sends: version, method and name.
fn post(http: &Client, url: &str, body: &Value) -> RequestBuilder {
    let method = body["method"].as_str().unwrap_or_default();
    let mut builder = bare_post(http, url, body)
        .header("mcp-protocol-version", VERSION)
        .header("mcp-method", method);
    let name = match method {
        "tools/call" | "prompts/get" => body["params"]["name"].as_str(),
        "resources/read" => body["params"]["uri"].as_str(),
        _ => None,
    };
    if let Some(name) = name {
        builder = builder.header("mcp-name", name);
    }
    builder
}

/// Every JSON-RPC message of an answer, JSON or SSE, in order.
async fn messages(resp: Response) -> Vec<Value> {
    let sse = resp
        .headers()
        .get("content-type")
        .is_some_and(|ct| ct.to_str().unwrap().starts_with("text/event-stream"));
    let text = resp.text().await.unwrap();
    if !sse {
        return vec![serde_json::from_str(&text).unwrap_or(Value::String(text))];
    }
    text.split("\n\n")
        .filter_map(|event| {
            let data: String = event
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            (!data.is_empty()).then(|| serde_json::from_str(&data).unwrap())
        })
        .collect()
}

/// Status and the final message (the response) of one exchange.
async fn exchange(builder: RequestBuilder) -> (u16, Value) {
    let resp = builder.send().await.unwrap();
    let status = resp.status().as_u16();
    assert!(
        resp.headers().get("mcp-session-id").is_none(),
        "no sessions in the modern lane"
    );
    (status, messages(resp).await.pop().unwrap())
}

async fn error_of(builder: RequestBuilder) -> (u16, i64, Value) {
    let (status, message) = exchange(builder).await;
    let code = message["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("{message}"));
    (status, code, message["error"].clone())
}

fn call(id: i64, tool: &str, arguments: Value, capabilities: Value) -> Value {
    request(
        json!(id),
        "tools/call",
        json!({"name": tool, "arguments": arguments, "_meta": envelope(capabilities)}),
    )
}

#[tokio::test]
async fn discover_describes_the_server_with_cache_hints() {
    let server = server(|_| {});
    let (status, reply) = exchange(post(
        &http(),
        &server.url(),
        &request(json!("d-1"), "server/discover", Value::Null),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(reply["id"], "d-1");
    let result = &reply["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["supportedVersions"], json!([VERSION]));
    assert_eq!(result["capabilities"]["resources"]["subscribe"], true);
    assert_eq!(result["capabilities"]["tools"]["listChanged"], true);
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "mcpstream-testserver"
    );
    assert!(result["instructions"].is_string());
    assert_eq!(
        (&result["ttlMs"], &result["cacheScope"]),
        (&json!(0), &json!("private"))
    );
    let recorded = server.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].header("mcp-method"), Some("server/discover"));
    assert_eq!(recorded[0].status, 200);
}

#[tokio::test]
async fn cache_hints_follow_the_flags() {
    let long = server(|c| {
        c.cache_ttl_ms = Some(60_000);
        c.cache_scope = "public".into();
    });
    let list = request(json!(1), "tools/list", Value::Null);
    let (_, reply) = exchange(post(&http(), &long.url(), &list)).await;
    assert_eq!(reply["result"]["ttlMs"], 60_000);
    assert_eq!(reply["result"]["cacheScope"], "public");
    let none = server(|c| c.cache_ttl_ms = None);
    for method in [
        "tools/list",
        "server/discover",
        "resources/list",
        "prompts/list",
    ] {
        let (_, reply) = exchange(post(
            &http(),
            &none.url(),
            &request(json!(1), method, Value::Null),
        ))
        .await;
        let result = reply["result"].as_object().unwrap();
        assert!(
            !result.contains_key("ttlMs") && !result.contains_key("cacheScope"),
            "{method}"
        );
    }
}

#[tokio::test]
async fn accept_and_content_type_come_first() {
    let server = server(|_| {});
    let body = request(json!(1), "server/discover", Value::Null);
    let bare = |accept: &str, content_type: &str| {
        http()
            .post(server.url())
            .header("accept", accept)
            .header("content-type", content_type)
            .header("mcp-protocol-version", VERSION)
            .header("mcp-method", "server/discover")
            .body(body.to_string())
    };
    assert_eq!(
        bare("application/json", "application/json")
            .send()
            .await
            .unwrap()
            .status(),
        406
    );
    assert_eq!(
        bare(ACCEPT_BOTH, "text/plain")
            .send()
            .await
            .unwrap()
            .status(),
        415
    );
}

#[tokio::test]
async fn only_single_requests_with_an_id_are_accepted() {
    let server = server(|_| {});
    let (http, url) = (http(), server.url());
    let discover = request(json!(1), "server/discover", Value::Null);
    let modern = |body: &Value| post(&http, &url, body).header("mcp-method", "server/discover");
    let (status, code, _) = error_of(modern(&json!([discover]))).await;
    assert_eq!((status, code), (400, -32600), "batch");
    let mut no_id = discover.clone();
    no_id.as_object_mut().unwrap().remove("id");
    assert_eq!(error_of(modern(&no_id)).await.1, -32600);
    let mut null_id = discover.clone();
    null_id["id"] = Value::Null;
    let (status, code, _) = error_of(modern(&null_id)).await;
    assert_eq!((status, code), (400, -32600), "null id");
    let response = json!({"jsonrpc": "2.0", "id": "srv-1", "result": {}});
    assert_eq!(error_of(modern(&response)).await.1, -32600);
    let (status, code, _) = error_of(
        bare_post(&http, &url, &json!({}))
            .header("mcp-protocol-version", VERSION)
            .body("{oops"),
    )
    .await;
    assert_eq!((status, code), (400, -32700));
    // Client notifications are gone from HTTP: 404, like a removed method.
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized", "params": {"_meta": envelope(json!({}))}});
    let (status, code, _) = error_of(post(&http, &url, &note)).await;
    assert_eq!((status, code), (404, -32601));
}

#[tokio::test]
async fn the_meta_envelope_is_required() {
    let server = server(|_| {});
    let (http, url) = (http(), server.url());
    let mut body = request(json!(7), "tools/list", Value::Null);
    body["params"]["_meta"].as_object_mut().unwrap().remove(PV);
    let (status, code, error) = error_of(post(&http, &url, &body)).await;
    assert_eq!((status, code), (400, -32602));
    assert!(error["message"].as_str().unwrap().contains(PV), "{error}");
    let mut body = request(json!(7), "tools/list", Value::Null);
    body["params"]["_meta"][CAPS] = json!("all");
    let (status, code, error) = error_of(post(&http, &url, &body)).await;
    assert_eq!((status, code), (400, -32602));
    assert!(error["message"].as_str().unwrap().contains(CAPS), "{error}");
    let mut body = request(json!(7), "tools/list", Value::Null);
    body["params"]["_meta"]["io.modelcontextprotocol/logLevel"] = json!("loud");
    assert_eq!(error_of(post(&http, &url, &body)).await.1, -32602);
}

#[tokio::test]
async fn the_version_header_must_match_and_be_supported() {
    let server = server(|c| c.modern_versions = vec![VERSION.into(), "2026-12-01".into()]);
    let (http, url) = (http(), server.url());
    let body = request(json!(1), "server/discover", Value::Null);
    // Routed by `_meta` alone, the missing header is a mismatch.
    let (status, code, _) =
        error_of(bare_post(&http, &url, &body).header("mcp-method", "server/discover")).await;
    assert_eq!((status, code), (400, -32020));
    let mut other = body.clone();
    other["params"]["_meta"][PV] = json!("2026-12-01");
    let (status, code, _) = error_of(post(&http, &url, &other)).await;
    assert_eq!(
        (status, code),
        (400, -32020),
        "header 2026-07-28, _meta 2026-12-01"
    );
    let ok = bare_post(&http, &url, &other)
        .header("mcp-protocol-version", "2026-12-01")
        .header("mcp-method", "server/discover");
    assert_eq!(exchange(ok).await.0, 200, "a second supported version");
    let mut future = body.clone();
    future["params"]["_meta"][PV] = json!("2099-01-01");
    let refused = bare_post(&http, &url, &future)
        .header("mcp-protocol-version", "2099-01-01")
        .header("mcp-method", "server/discover");
    let (status, code, error) = error_of(refused).await;
    assert_eq!((status, code), (400, -32022));
    assert_eq!(error["data"]["supported"], json!([VERSION, "2026-12-01"]));
    assert_eq!(error["data"]["requested"], "2099-01-01");
}

#[tokio::test]
async fn method_and_name_headers_must_mirror_the_body() {
    let server = server(|_| {});
    let (http, url) = (http(), server.url());
    let echo = call(1, "echo", json!({"text": "hi"}), json!({}));
    let without_method = bare_post(&http, &url, &echo)
        .header("mcp-protocol-version", VERSION)
        .header("mcp-name", "echo");
    let (status, code, error) = error_of(without_method).await;
    assert_eq!((status, code), (400, -32020));
    assert_eq!(error["data"]["header"], "mcp-method");
    let wrong_method = bare_post(&http, &url, &echo)
        .header("mcp-protocol-version", VERSION)
        .header("mcp-method", "tools/list")
        .header("mcp-name", "echo");
    assert_eq!(error_of(wrong_method).await.1, -32020);
    let wrong_name = bare_post(&http, &url, &echo)
        .header("mcp-protocol-version", VERSION)
        .header("mcp-method", "tools/call")
        .header("Mcp-Name", "add");
    assert_eq!(error_of(wrong_name).await.1, -32020);
    let without_name = bare_post(&http, &url, &echo)
        .header("mcp-protocol-version", VERSION)
        .header("mcp-method", "tools/call");
    assert_eq!(error_of(without_name).await.1, -32020);
    assert_eq!(exchange(post(&http, &url, &echo)).await.0, 200);

    // Names may come base64-encoded; they are compared decoded.
    let read = request(json!(2), "resources/read", json!({"uri": "mem://greeting"}));
    let encoded = bare_post(&http, &url, &read)
        .header("mcp-protocol-version", VERSION)
        .header("mcp-method", "resources/read")
        .header("mcp-name", "=?base64?bWVtOi8vZ3JlZXRpbmc=?=");
    let (status, reply) = exchange(encoded).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["result"]["contents"][0]["uri"], "mem://greeting");
    assert_eq!(reply["result"]["cacheScope"], "private");
}

#[tokio::test]
async fn annotated_arguments_must_travel_as_headers() {
    let server = server(|_| {});
    let (http, url) = (http(), server.url());
    let args = json!({"region": "日本", "count": 3, "dry_run": false, "note": "n"});
    let body = call(1, "headers_echo", args, json!({}));
    let full = || {
        post(&http, &url, &body)
            .header("mcp-param-region", "=?base64?5pel5pys?=")
            .header("Mcp-Param-Count", "3")
            .header("mcp-param-dry-run", "false")
    };
    let (status, reply) = exchange(full()).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["result"]["structuredContent"]["arguments"]["region"],
        "日本"
    );
    let missing = post(&http, &url, &body)
        .header("mcp-param-region", "=?base64?5pel5pys?=")
        .header("mcp-param-count", "3");
    let (status, code, error) = error_of(missing).await;
    assert_eq!((status, code), (400, -32020));
    assert_eq!(error["data"]["header"], "Mcp-Param-Dry-Run");
    let wrong = post(&http, &url, &body)
        .header("mcp-param-region", "=?base64?5pel?=")
        .header("mcp-param-count", "3")
        .header("mcp-param-dry-run", "false");
    assert_eq!(error_of(wrong).await.1, -32020);

    // Null or absent arguments must have no header; plain ASCII needs no encoding.
    let sparse = call(
        2,
        "headers_echo",
        json!({"region": null, "count": 1}),
        json!({}),
    );
    let (status, _) = exchange(post(&http, &url, &sparse).header("mcp-param-count", "1")).await;
    assert_eq!(status, 200);
    let extra = post(&http, &url, &sparse)
        .header("mcp-param-count", "1")
        .header("mcp-param-region", "eu");
    assert_eq!(error_of(extra).await.1, -32020);
    let plain = call(3, "headers_echo", json!({"region": "eu"}), json!({}));
    let (status, _) =
        exchange(post(&http, &url, &plain).header("mcp-param-region", "=?base64?ZXU=?=")).await;
    assert_eq!(status, 200, "the base64 form is fine for any value");
}

#[tokio::test]
async fn lists_calls_and_their_errors() {
    let server = server(|_| {});
    let (http, url) = (http(), server.url());
    let mut names = Vec::new();
    let mut cursor = Value::Null;
    for page in 0.. {
        assert!(page < 10, "pagination ends");
        let params = if cursor.is_null() {
            json!({})
        } else {
            json!({"cursor": cursor})
        };
        let (_, reply) = exchange(post(
            &http,
            &url,
            &request(json!(page), "tools/list", params),
        ))
        .await;
        let result = &reply["result"];
        assert_eq!(result["resultType"], "complete");
        names.extend(
            result["tools"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned()),
        );
        cursor = result["nextCursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    for expected in ["echo", "slow", "progress", "headers_echo", "ask_input"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    assert!(
        !names.iter().any(|n| n == "ask"),
        "no server-to-client requests in 2026-07-28"
    );

    let (status, reply) = exchange(post(
        &http,
        &url,
        &call(1, "add", json!({"a": 2, "b": 40}), json!({})),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(reply["result"]["content"][0]["text"], "42");
    assert_eq!(reply["result"]["resultType"], "complete");
    assert!(reply["result"]["_meta"]["io.modelcontextprotocol/serverInfo"].is_object());
    let (_, code, _) = error_of(post(&http, &url, &call(2, "nope", json!({}), json!({})))).await;
    assert_eq!(code, -32602, "unknown tool");
    let missing = request(json!(3), "resources/read", json!({"uri": "mem://missing"}));
    let (status, code, error) = error_of(post(&http, &url, &missing)).await;
    assert_eq!((status, code), (400, -32602));
    assert_eq!(error["data"]["uri"], "mem://missing");
    let prompt = request(
        json!(4),
        "prompts/get",
        json!({"name": "greet", "arguments": {"name": "Ada"}}),
    );
    let (status, reply) = exchange(post(&http, &url, &prompt)).await;
    assert_eq!(status, 200);
    assert!(reply["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap()
        .contains("Ada"));
    for removed in [
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
        "initialize",
        "no/such",
    ] {
        let (status, code, _) = error_of(post(
            &http,
            &url,
            &request(
                json!(5),
                removed,
                json!({"level": "info", "uri": "mem://greeting"}),
            ),
        ))
        .await;
        assert_eq!((status, code), (404, -32601), "{removed}");
    }
}

#[tokio::test]
async fn input_required_rounds_carry_a_byte_exact_state() {
    let server = server(|_| {});
    let (http, url) = (http(), server.url());
    let caps = json!({"elicitation": {}});
    let args = json!({"kind": "elicitation", "rounds": 2});
    let (status, first) = exchange(post(
        &http,
        &url,
        &call(1, "ask_input", args.clone(), caps.clone()),
    ))
    .await;
    assert_eq!(status, 200);
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required");
    let asked = &result["inputRequests"]["elicitation-1"];
    assert_eq!(asked["method"], "elicitation/create");
    assert_eq!(
        asked["params"]["requestedSchema"]["properties"]["name"]["type"],
        "string"
    );
    let state = result["requestState"].as_str().unwrap().to_owned();
    assert!(
        state.contains('+') && state.contains('/') && state.contains('='),
        "{state}"
    );

    let answer = json!({"action": "accept", "content": {"name": "Ada"}});
    let retry = |id: i64, key: &str, state: &str| {
        let mut body = call(id, "ask_input", args.clone(), caps.clone());
        body["params"]["inputResponses"] = json!({key: answer});
        body["params"]["requestState"] = json!(state);
        body
    };
    let (_, code, error) = error_of(post(
        &http,
        &url,
        &retry(2, "elicitation-1", &state.replace('+', " ")),
    ))
    .await;
    assert_eq!(code, -32602);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("requestState altered"));
    let (_, code, _) = error_of(post(&http, &url, &retry(2, "elicitation-9", &state))).await;
    assert_eq!(code, -32602, "a key the server never asked for");

    let (_, second) = exchange(post(&http, &url, &retry(3, "elicitation-1", &state))).await;
    assert_eq!(second["result"]["resultType"], "input_required");
    assert!(second["result"]["inputRequests"]["elicitation-2"].is_object());
    let state = second["result"]["requestState"].as_str().unwrap();
    let (_, done) = exchange(post(&http, &url, &retry(4, "elicitation-2", state))).await;
    let result = &done["result"];
    assert_eq!(result["resultType"], "complete");
    let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text["elicitation-1"], answer);
    assert_eq!(text["elicitation-2"], answer);
}

#[tokio::test]
async fn input_without_state_and_without_the_capability() {
    let server = server(|_| {});
    let (http, url) = (http(), server.url());
    let args = json!({"kind": "roots", "with_state": false});
    let (status, code, error) = error_of(post(
        &http,
        &url,
        &call(1, "ask_input", args.clone(), json!({"sampling": {}})),
    ))
    .await;
    assert_eq!((status, code), (400, -32021));
    assert_eq!(error["data"]["requiredCapabilities"], json!({"roots": {}}));

    let caps = json!({"roots": {}});
    let (_, first) = exchange(post(
        &http,
        &url,
        &call(2, "ask_input", args.clone(), caps.clone()),
    ))
    .await;
    assert!(first["result"].get("requestState").is_none());
    assert_eq!(
        first["result"]["inputRequests"]["roots-1"]["method"],
        "roots/list"
    );
    let mut retry = call(3, "ask_input", args.clone(), caps.clone());
    retry["params"]["inputResponses"] = json!({"roots-1": {"roots": [{"uri": "file:///w"}]}});
    let (_, done) = exchange(post(&http, &url, &retry)).await;
    assert_eq!(done["result"]["resultType"], "complete", "{done}");
    retry["params"]["requestState"] = json!("made-up");
    assert_eq!(
        error_of(post(&http, &url, &retry)).await.1,
        -32602,
        "no state was issued"
    );
}

#[tokio::test]
async fn progress_and_logs_arrive_on_the_request_stream() {
    let server = server(|c| c.json_response = true);
    let (http, url) = (http(), server.url());
    let plain = post(&http, &url, &call(1, "slow", json!({"ms": 10}), json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.headers()["content-type"], "application/json");
    assert_eq!(
        messages(plain).await[0]["result"]["content"][0]["text"],
        "slept 10 ms"
    );

    let mut body = call(2, "slow", json!({"ms": 250}), json!({}));
    body["params"]["_meta"]["progressToken"] = json!("p-1");
    let resp = post(&http, &url, &body).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let all = messages(resp).await;
    let (last, notes) = all.split_last().unwrap();
    assert_eq!(last["id"], 2);
    assert!(notes.len() >= 2, "{notes:?}");
    assert!(notes
        .iter()
        .all(|n| n["method"] == "notifications/progress" && n["params"]["progressToken"] == "p-1"));

    let mut echo = call(3, "echo", json!({"text": "x"}), json!({}));
    echo["params"]["_meta"]["io.modelcontextprotocol/logLevel"] = json!("info");
    let all = messages(post(&http, &url, &echo).send().await.unwrap()).await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0]["method"], "notifications/message");
    assert_eq!(all[0]["params"]["logger"], "mcpstream-testserver");
    assert_eq!(all[1]["result"]["content"][0]["text"], "x");
    echo["params"]["_meta"]["io.modelcontextprotocol/logLevel"] = json!("error");
    let all = messages(post(&http, &url, &echo).send().await.unwrap()).await;
    assert_eq!(all.len(), 1, "info is below error: {all:?}");
}

#[tokio::test]
async fn sse_is_the_default_and_errors_before_the_stream_keep_their_status() {
    let server = server(|_| {});
    let (http, url) = (http(), server.url());
    let resp = post(
        &http,
        &url,
        &call(1, "echo", json!({"text": "x"}), json!({})),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let body = resp.text().await.unwrap();
    assert!(
        !body.contains("id: "),
        "no event ids in the modern era: {body:?}"
    );
    let echo = call(2, "echo", json!({"text": "x"}), json!({}));
    let (_, code, _) = error_of(post(
        &http,
        &url,
        &call(3, "ask_input", json!({}), json!({})),
    ))
    .await;
    assert_eq!(code, -32021);
    // Canned answers apply to modern requests too, before any check.
    server.script(ScriptedResponse {
        status: 503,
        body: "busy {{id}}".into(),
        for_method: Some("tools/call".into()),
        ..Default::default()
    });
    let resp = post(&http, &url, &echo).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.text().await.unwrap(), "busy 2");
}

#[tokio::test]
async fn the_era_switches() {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}});
    let discover = request(json!(1), "server/discover", Value::Null);

    let dual = server(|_| {});
    let resp = bare_post(&http(), &dual.url(), &init).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("mcp-session-id").is_some());
    assert_eq!(exchange(post(&http(), &dual.url(), &discover)).await.0, 200);

    let modern_only = server(|c| c.era = ServerEra::ModernOnly);
    let (status, code, error) = error_of(bare_post(&http(), &modern_only.url(), &init)).await;
    assert_eq!((status, code), (400, -32022));
    assert_eq!(
        error["data"],
        json!({"supported": [VERSION], "requested": "2025-06-18"})
    );
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    assert_eq!(
        error_of(bare_post(&http(), &modern_only.url(), &ping))
            .await
            .1,
        -32022
    );
    let get = http()
        .get(modern_only.url())
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(
        http()
            .delete(modern_only.url())
            .send()
            .await
            .unwrap()
            .status(),
        405
    );
    assert_eq!(
        exchange(post(&http(), &modern_only.url(), &discover))
            .await
            .0,
        200
    );

    // A legacy-only server refuses the probe as a session-era server would.
    let legacy_only = server(|c| c.era = ServerEra::LegacyOnly);
    let (status, refusal) = exchange(post(&http(), &legacy_only.url(), &discover)).await;
    assert_eq!(status, 400);
    let code = refusal["error"]["code"].as_i64().unwrap();
    assert!(!(-32022..=-32020).contains(&code), "{refusal}");
    let resp = bare_post(&http(), &legacy_only.url(), &init)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(legacy_only.requests().len(), 2, "every request is recorded");
}

/// Reads SSE events from a live stream until `count` have arrived.
async fn next_events(resp: &mut Response, buffer: &mut String, count: usize) -> Vec<Value> {
    let mut events = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), async {
        while events.len() < count {
            if let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data: "))
                    .collect();
                if !data.is_empty() {
                    events.push(serde_json::from_str(&data).unwrap());
                }
                continue;
            }
            match resp.chunk().await.unwrap() {
                Some(chunk) => buffer.push_str(std::str::from_utf8(&chunk).unwrap()),
                None => break,
            }
        }
    })
    .await
    .expect("events in time");
    events
}

#[tokio::test]
async fn listen_streams_get_what_they_asked_for_until_the_end() {
    let server = server(|_| {});
    let http = http();
    let listen = |id: Value, filter: Value| {
        request(id, "subscriptions/listen", json!({"notifications": filter}))
    };
    let mut tools = post(
        &http,
        &server.url(),
        &listen(json!("t"), json!({"toolsListChanged": true, "bogus": 1})),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(tools.headers()["content-type"], "text/event-stream");
    let mut uris = post(
        &http,
        &server.url(),
        &listen(
            json!(9),
            json!({"resourceSubscriptions": ["mem://greeting"]}),
        ),
    )
    .send()
    .await
    .unwrap();
    let (mut tb, mut ub) = (String::new(), String::new());
    let ack = &next_events(&mut tools, &mut tb, 1).await[0];
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["notifications"],
        json!({"toolsListChanged": true})
    );
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "t"
    );
    let ack = &next_events(&mut uris, &mut ub, 1).await[0];
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        9
    );
    assert_eq!(server.open_listeners(), 2);

    let admin = format!("{}/_admin/notify", server.base_url());
    let notify = |command: Value| {
        let (http, admin) = (http.clone(), admin.clone());
        async move {
            let resp = http
                .post(admin)
                .header("content-type", "application/json")
                .body(command.to_string())
                .send()
                .await
                .unwrap();
            let answer: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
            answer["delivered"].as_u64().unwrap()
        }
    };
    assert_eq!(
        notify(json!({"method": "notifications/tools/list_changed"})).await,
        1
    );
    assert_eq!(
        notify(json!({"method": "notifications/prompts/list_changed"})).await,
        0
    );
    assert_eq!(
        notify(json!({"method": "notifications/resources/updated", "uri": "mem://other"})).await,
        0
    );
    assert_eq!(
        notify(json!({"method": "notifications/resources/updated", "uri": "mem://greeting"})).await,
        1
    );
    let changed = &next_events(&mut tools, &mut tb, 1).await[0];
    assert_eq!(changed["method"], "notifications/tools/list_changed");
    assert_eq!(
        changed["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "t"
    );
    let updated = &next_events(&mut uris, &mut ub, 1).await[0];
    assert_eq!(updated["params"]["uri"], "mem://greeting");
    assert_eq!(
        updated["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        9
    );

    let listeners = http
        .get(format!("{}/_admin/listeners", server.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let listeners: Value = serde_json::from_str(&listeners).unwrap();
    assert_eq!(listeners["listeners"], 2);
    assert_eq!(notify(json!({"end": true})).await, 2);
    let end = next_events(&mut tools, &mut tb, 2).await;
    assert_eq!(
        end.len(),
        1,
        "the result, then the end of the stream: {end:?}"
    );
    assert_eq!(end[0]["id"], "t");
    assert_eq!(end[0]["result"]["resultType"], "complete");
    assert_eq!(
        end[0]["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "t"
    );
    assert_eq!(server.open_listeners(), 0);
}

#[tokio::test]
async fn a_dropped_listen_stream_ends_without_a_result() {
    let server = server(|_| {});
    let http = http();
    let body = request(
        json!(1),
        "subscriptions/listen",
        json!({"notifications": {"toolsListChanged": true}}),
    );
    let mut stream = post(&http, &server.url(), &body).send().await.unwrap();
    let mut buffer = String::new();
    next_events(&mut stream, &mut buffer, 1).await;
    assert_eq!(server.notify_listeners(&json!({"drop": true})), Ok(1));
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.chunk().await {
                Ok(Some(chunk)) => buffer.push_str(std::str::from_utf8(&chunk).unwrap()),
                Ok(None) => return false,
                Err(_) => return true,
            }
        }
    })
    .await
    .unwrap();
    assert!(rest, "the connection broke rather than ended");
    assert!(!buffer.contains("result"), "{buffer}");
    let bad = request(
        json!(2),
        "subscriptions/listen",
        json!({"notifications": {"toolsListChanged": "yes"}}),
    );
    assert_eq!(error_of(post(&http, &server.url(), &bad)).await.1, -32602);
    let none = request(json!(3), "subscriptions/listen", Value::Null);
    assert_eq!(error_of(post(&http, &server.url(), &none)).await.1, -32602);
}
