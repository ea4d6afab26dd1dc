//! `mcpstream-testserver [--port N] [--stateless] [--json] [--no-delete]
//! [--protocol-version V] [--page-size N] [--retry-ms N] [--get-delay-ms N] [--no-record]
//! [--modern-only | --legacy-only] [--modern-versions V1,V2] [--ttl-ms N | --omit-cache-hints]
//! [--cache-scope public|private] [--auth] [--auth-...]`: prints its endpoint URL on the first
//! line of stdout, then serves on 127.0.0.1 until killed. Both eras are served unless one is
//! named. `--auth` adds an OAuth authorization server and protects `/mcp`; each `--auth-*`
//! switch (which implies `--auth`) is listed with its field in `src/auth/settings.rs`.

use mcpstream_testkit::{serve, Config};
use std::io::Write;

#[tokio::main]
async fn main() {
    let (config, port) = match Config::from_args(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("mcpstream-testserver: {e}");
            std::process::exit(2);
        }
    };
    let result = serve(config, port, std::future::pending(), |addr, _| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "http://{addr}/mcp");
        let _ = out.flush();
    })
    .await;
    if let Err(e) = result {
        eprintln!("mcpstream-testserver: {e}");
        std::process::exit(1);
    }
}
