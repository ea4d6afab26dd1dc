//! An MCP server built on rmcp, the official Rust SDK, used as a real peer: interop tests run
//! the session lifecycle and the modern era's features against it and benchmarks measure
//! clients against it. Dual-era: 2026-07-28 requests are served statelessly beside the session
//! era. The tools beyond echo and add exercise what the modern era adds:
//!   region(region, text)  `region` is annotated x-mcp-header "Region" (the Mcp-Param-Region header)
//!   greet()               asks the client for a name (input_required with an elicitation), then greets it
//!   progress(steps)       sends a progress notification per step when the call has a progressToken
//!   poke()                sends tools/list_changed on every open subscriptions/listen stream
//!
//! Usage: rmcp-peer-server [--port N] [--stateless] [--json]
//! Prints `listening on http://127.0.0.1:PORT/mcp` once it accepts connections.

use rmcp::{
    handler::server::{router::tool::ToolRouter, tool::InputResponses, wrapper::Parameters},
    model::{
        CallToolResponse, CallToolResult, ContentBlock, ElicitRequest, ElicitRequestParams,
        InputRequest, InputRequests, InputRequiredResult, ProgressNotificationParam,
        RequestMetaObject, ServerCapabilities, ServerConfig, SubscriptionFilter,
    },
    schemars,
    service::{SubscriptionContext, SubscriptionSink},
    tool, tool_handler, tool_router,
    transport::streamable_http_server::{
        session::local::LocalSessionManager, StreamableHttpServerConfig, StreamableHttpService,
    },
    ErrorData, Peer, RoleServer, ServerHandler,
};
use serde::Deserialize;
use serde_json::json;
use std::sync::{Arc, Mutex};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct EchoArgs {
    text: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct AddArgs {
    a: f64,
    b: f64,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct RegionArgs {
    #[schemars(extend("x-mcp-header" = "Region"))]
    region: String,
    text: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct ProgressArgs {
    steps: u32,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct NoArgs {}

/// The open subscriptions/listen streams, shared by every service instance of the process.
type Subscriptions = Arc<Mutex<Vec<SubscriptionSink>>>;

#[derive(Debug, Clone)]
struct PeerServer {
    tool_router: ToolRouter<Self>,
    subscriptions: Subscriptions,
}

#[tool_router]
impl PeerServer {
    fn new(subscriptions: Subscriptions) -> Self {
        Self {
            tool_router: Self::tool_router(),
            subscriptions,
        }
    }

    #[tool(description = "Returns its text argument")]
    fn echo(&self, Parameters(EchoArgs { text }): Parameters<EchoArgs>) -> String {
        text
    }

    #[tool(description = "Adds two numbers")]
    fn add(&self, Parameters(AddArgs { a, b }): Parameters<AddArgs>) -> String {
        (a + b).to_string()
    }

    #[tool(
        description = "Returns the region it was routed to (sent as the Mcp-Param-Region header too)"
    )]
    fn region(&self, Parameters(RegionArgs { region, text }): Parameters<RegionArgs>) -> String {
        format!("{text} in {region}")
    }

    #[tool(description = "Asks who is calling, then greets them")]
    fn greet(
        &self,
        Parameters(NoArgs {}): Parameters<NoArgs>,
        InputResponses(responses): InputResponses,
    ) -> Result<CallToolResponse, ErrorData> {
        let answer = responses.as_ref().and_then(|r| r.get("who"));
        let name = answer
            .filter(|a| a["action"] == "accept")
            .and_then(|a| a["content"]["name"].as_str());
        let Some(name) = name else {
            let schema = json!({
                "type": "object",
                "properties": { "name": { "type": "string", "description": "Your name" } },
                "required": ["name"]
            });
            let ask = ElicitRequest::new(ElicitRequestParams::FormElicitationParams {
                meta: None,
                message: "Who is calling?".into(),
                requested_schema: serde_json::from_value(schema)
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None))?,
            });
            let mut requests = InputRequests::new();
            requests.insert("who".into(), InputRequest::Elicitation(ask));
            return Ok(InputRequiredResult::new(Some(requests), None).into());
        };
        Ok(CallToolResult::success(vec![ContentBlock::text(format!("hello {name}"))]).into())
    }

    #[tool(description = "Reports progress once per step")]
    async fn progress(
        &self,
        Parameters(ProgressArgs { steps }): Parameters<ProgressArgs>,
        meta: RequestMetaObject,
        client: Peer<RoleServer>,
    ) -> String {
        if let Some(token) = meta.get_progress_token() {
            for step in 1..=steps {
                let _ = client
                    .notify_progress(
                        ProgressNotificationParam::new(token.clone(), f64::from(step))
                            .with_total(f64::from(steps))
                            .with_message(format!("step {step}")),
                    )
                    .await;
            }
        }
        format!("{steps} steps done")
    }

    #[tool(description = "Sends tools/list_changed to every subscription")]
    async fn poke(&self, Parameters(NoArgs {}): Parameters<NoArgs>) -> String {
        let sinks: Vec<SubscriptionSink> = self
            .subscriptions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for sink in sinks {
            let _ = sink.notify_tool_list_changed().await;
        }
        "poked".to_owned()
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for PeerServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.supported_by(&self.get_info().capabilities))
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let id = context.sink().id().clone();
        self.subscriptions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(context.sink().clone());
        context.cancelled().await;
        self.subscriptions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|sink| sink.id() != &id);
        Ok(())
    }
}

struct Args {
    port: u16,
    stateless: bool,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        stateless: false,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--port" => {
                let value = it.next().ok_or("--port needs a value")?;
                args.port = value.parse().map_err(|_| format!("bad port {value:?}"))?;
            }
            "--stateless" => args.stateless = true,
            "--json" => args.json = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("rmcp-peer-server: {e}");
        std::process::exit(2);
    });
    let config = StreamableHttpServerConfig::default()
        .with_sse_keep_alive(None)
        .with_legacy_session_mode(!args.stateless)
        .with_json_response(args.json);
    let subscriptions = Subscriptions::default();
    let service: StreamableHttpService<PeerServer, LocalSessionManager> =
        StreamableHttpService::new(
            move || Ok(PeerServer::new(subscriptions.clone())),
            Default::default(),
            config,
        );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .unwrap_or_else(|e| {
            eprintln!("rmcp-peer-server: cannot listen: {e}");
            std::process::exit(1);
        });
    let addr = listener.local_addr().expect("bound socket has an address");
    // Without TCP_NODELAY, clients that read each SSE response to its end stall ~40 ms per call
    // on delayed ACKs, which would measure the server, not the client.
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!("listening on http://{addr}/mcp");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("rmcp-peer-server: {e}");
        std::process::exit(1);
    }
}
