//! `mcpstream-testserver [--port N] [--stateless] [--json] [--no-delete]
//! [--protocol-version V] [--page-size N] [--retry-ms N] [--get-delay-ms N] [--no-record]
//! [--modern-only | --legacy-only] [--modern-versions V1,V2] [--ttl-ms N | --omit-cache-hints]
//! [--cache-scope public|private] [--auth] [--auth-...] [--tls | --tls-client-ca]`: prints its
//! endpoint URL on the first line of stdout, then serves on 127.0.0.1 until killed. Both eras are
//! served unless one is named. HTTP/1.1 and HTTP/2 share the port: h2c with prior knowledge, or
//! with `--tls` (`https://`, the test certificate in tests/testkit/certs) h2 chosen by ALPN;
//! `--tls-client-ca` also requires a client certificate signed by the test CA (mTLS). `--auth` adds an OAuth authorization server and protects `/mcp`; each `--auth-*`
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
    let scheme = config.scheme();
    let result = serve(config, port, std::future::pending(), |addr, _| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{scheme}://{addr}/mcp");
        let _ = out.flush();
    })
    .await;
    if let Err(e) = result {
        eprintln!("mcpstream-testserver: {e}");
        std::process::exit(1);
    }
}
