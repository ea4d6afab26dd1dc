//! What the environment decides, each in this test binary of its own (the environment is the
//! process's): `SSL_CERT_FILE` replaces the system roots as OpenSSL-based tools do, and
//! `HTTPS_PROXY`/`HTTP_PROXY` are honoured unless `NO_PROXY` names the host or the client
//! turns proxies off.

mod common;

use common::{quick_options, server_with, text_of};
use mcpstream::{Client, ClientOptions, ProxyChoice};
use mcpstream_testkit::certs::CA_PEM;
use mcpstream_testkit::{ProxyConfig, TestProxy, TestServer, TlsMode};
use serde_json::json;

async fn works(server: &TestServer, options: ClientOptions) -> bool {
    let client = Client::with_options(&server.url(), options).unwrap();
    if client.connect().await.is_err() {
        return false;
    }
    let out = client.call_tool("echo", Some(json!({"text": "hi"}))).await;
    client.close().await;
    out.is_ok_and(|out| text_of(&out) == "hi")
}

#[tokio::test]
async fn the_environment_decides_roots_and_proxies_unless_told_otherwise() {
    let https = server_with(|c| c.tls = TlsMode::On);
    assert!(
        !works(&https, quick_options()).await,
        "the test CA is not a system root"
    );
    std::env::set_var("SSL_CERT_FILE", CA_PEM);
    assert!(
        works(&https, quick_options()).await,
        "SSL_CERT_FILE names the roots"
    );

    let proxy = TestProxy::start(ProxyConfig::default());
    std::env::set_var("HTTPS_PROXY", proxy.url());
    assert!(works(&https, quick_options()).await);
    let tunnels = proxy.proxied();
    assert_eq!(tunnels.len(), 1, "{tunnels:?}");
    assert_eq!(tunnels[0].target, https.addr().to_string());

    proxy.clear();
    let mut direct = quick_options();
    direct.network.proxy = ProxyChoice::Disabled;
    assert!(works(&https, direct).await);
    std::env::set_var("NO_PROXY", "127.0.0.1");
    assert!(works(&https, quick_options()).await);
    assert!(proxy.proxied().is_empty(), "neither went through the proxy");
}
