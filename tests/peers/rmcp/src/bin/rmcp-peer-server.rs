//! An MCP server built on rmcp, the official Rust SDK, used as a real peer: interop tests run
//! the session lifecycle against it and benchmarks measure clients against it.
//!
//! Usage: rmcp-peer-server [--port N] [--stateless] [--json]
//! Prints `listening on http://127.0.0.1:PORT/mcp` once it accepts connections.

use rmcp::{
    handler::server::{router::tool::ToolRouter, wrapper::Parameters},
    model::{ServerCapabilities, ServerConfig},
    schemars, tool, tool_handler, tool_router,
    transport::streamable_http_server::{
        session::local::LocalSessionManager, StreamableHttpServerConfig, StreamableHttpService,
    },
    ServerHandler,
};
use serde::Deserialize;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct EchoArgs {
    text: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct AddArgs {
    a: f64,
    b: f64,
}

#[derive(Debug, Clone)]
struct PeerServer {
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl PeerServer {
    fn new() -> Self {
        Self {
            tool_router: Self::tool_router(),
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
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for PeerServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
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
    let service: StreamableHttpService<PeerServer, LocalSessionManager> =
        StreamableHttpService::new(|| Ok(PeerServer::new()), Default::default(), config);
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
