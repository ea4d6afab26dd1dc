//! `mcpstream-test-proxy [--port N] [--auth user:password]`: a recording forward proxy for
//! tests of a client's proxy support. Prints `http://127.0.0.1:PORT` on the first line of
//! stdout, then serves until killed: `CONNECT` tunnels and absolute-form `http://` requests,
//! to loopback targets only (403 otherwise), with `--auth` only when `Proxy-Authorization:
//! Basic` carries those credentials (407 otherwise). `GET /_admin/proxied` (origin-form, or
//! absolute-form to the proxy's own address) lists what it received; `DELETE` clears that.

use mcpstream_testkit::proxy::serve_proxy;
use mcpstream_testkit::ProxyConfig;
use std::io::Write;

#[tokio::main]
async fn main() {
    let (config, port) = ProxyConfig::from_args(std::env::args().skip(1)).unwrap_or_else(|e| {
        eprintln!("mcpstream-test-proxy: {e}");
        std::process::exit(2);
    });
    let result = serve_proxy(config, port, std::future::pending(), |addr| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "http://{addr}");
        let _ = out.flush();
    })
    .await;
    if let Err(e) = result {
        eprintln!("mcpstream-test-proxy: {e}");
        std::process::exit(1);
    }
}
