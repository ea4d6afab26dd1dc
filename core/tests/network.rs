//! The network options: TLS material is read when the client is made, so a bad path or a file
//! that is not PEM is the caller's mistake at once, named, not a failure at the first call.

use mcpstream::{Client, ClientOptions, Error, NetworkOptions, ProxyChoice, TlsOptions};
use std::path::PathBuf;

fn made_with(network: NetworkOptions) -> Result<Client, Error> {
    let options = ClientOptions {
        network,
        ..ClientOptions::default()
    };
    Client::with_options("https://127.0.0.1:9/mcp", options)
}

fn refused(network: NetworkOptions) -> String {
    match made_with(network) {
        Err(Error::InvalidArgument { message }) => message,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

fn tls(tls: TlsOptions) -> NetworkOptions {
    NetworkOptions {
        tls,
        ..NetworkOptions::default()
    }
}

#[test]
fn a_missing_ca_file_is_refused_when_the_client_is_made() {
    let message = refused(tls(TlsOptions {
        ca_files: vec![PathBuf::from("/nonexistent/ca.pem")],
        ..TlsOptions::default()
    }));
    assert!(
        message.starts_with("cannot read ca_file /nonexistent/ca.pem"),
        "{message}"
    );
}

#[test]
fn a_ca_that_is_not_pem_is_refused() {
    let message = refused(tls(TlsOptions {
        ca_pems: vec!["not a certificate".into()],
        ..TlsOptions::default()
    }));
    assert_eq!(message, "ca_pem: no certificate in it");
}

#[test]
fn a_client_key_needs_its_certificate() {
    let message = refused(tls(TlsOptions {
        client_key: Some(PathBuf::from("/k.pem")),
        ..TlsOptions::default()
    }));
    assert!(
        message.starts_with("client_key needs client_cert"),
        "{message}"
    );
}

#[test]
fn a_proxy_url_that_does_not_parse_is_refused() {
    let message = refused(NetworkOptions {
        proxy: ProxyChoice::Url("::not a url::".into()),
        ..NetworkOptions::default()
    });
    assert!(message.starts_with("invalid proxy URL"), "{message}");
}

#[test]
fn the_defaults_make_a_client() {
    made_with(NetworkOptions::default()).unwrap();
    made_with(NetworkOptions {
        proxy: ProxyChoice::Disabled,
        ..NetworkOptions::default()
    })
    .unwrap();
}

mod common;

use common::{quick_options, server_with, text_of};
use mcpstream::{ClientOptions as Options, EraChoice, HttpVersion};
use mcpstream_testkit::certs::{CA_PEM, CLIENT_CERT_PEM, CLIENT_KEY_PEM};
use mcpstream_testkit::{ProxyConfig, TestProxy, TestServer, TlsMode};
use serde_json::json;

fn tls_server(mode: TlsMode) -> TestServer {
    server_with(|c| c.tls = mode)
}

fn trusting_the_test_ca() -> TlsOptions {
    TlsOptions {
        ca_files: vec![PathBuf::from(CA_PEM)],
        ..TlsOptions::default()
    }
}

fn with_network(network: NetworkOptions) -> Options {
    let mut options = quick_options();
    options.network = network;
    options
}

async fn echo(client: &Client, text: &str) -> Result<(), Error> {
    let out = client
        .call_tool("echo", Some(json!({ "text": text })))
        .await?;
    assert_eq!(text_of(&out), text);
    Ok(())
}

/// The HTTP versions and TCP connections (peers) of the requests the server received.
fn versions_and_peers(server: &TestServer) -> (Vec<String>, std::collections::BTreeSet<String>) {
    let requests = server.requests();
    let versions = requests.iter().map(|r| r.http_version.clone()).collect();
    let peers = requests.iter().map(|r| r.peer.clone()).collect();
    (versions, peers)
}

#[tokio::test]
async fn over_tls_http2_is_negotiated_and_concurrent_calls_share_one_connection() {
    let server = tls_server(TlsMode::On);
    let client =
        Client::with_options(&server.url(), with_network(tls(trusting_the_test_ca()))).unwrap();
    client.connect().await.unwrap();
    let calls = (0..16).map(|i| {
        let client = client.clone();
        async move { client.call_tool("slow", Some(json!({"ms": 200 + i}))).await }
    });
    for outcome in futures_util::future::join_all(calls).await {
        outcome.unwrap();
    }
    client.close().await;
    let (versions, peers) = versions_and_peers(&server);
    assert!(versions.iter().all(|v| v == "HTTP/2.0"), "{versions:?}");
    assert_eq!(peers.len(), 1, "one connection: {peers:?}");
    assert_eq!(server.tls_handshakes(), 1);
}

#[tokio::test]
async fn http1_can_be_forced_over_tls() {
    let server = tls_server(TlsMode::On);
    let network = NetworkOptions {
        http_version: HttpVersion::Http1,
        ..tls(trusting_the_test_ca())
    };
    let client = Client::with_options(&server.url(), with_network(network)).unwrap();
    client.connect().await.unwrap();
    echo(&client, "h1").await.unwrap();
    let (versions, _) = versions_and_peers(&server);
    assert!(versions.iter().all(|v| v == "HTTP/1.1"), "{versions:?}");
}

#[tokio::test]
async fn h2c_by_prior_knowledge_on_plain_http() {
    let server = tls_server(TlsMode::Off);
    let network = NetworkOptions {
        http_version: HttpVersion::Http2,
        ..NetworkOptions::default()
    };
    let client = Client::with_options(&server.url(), with_network(network)).unwrap();
    client.connect().await.unwrap();
    echo(&client, "h2c").await.unwrap();
    let (versions, _) = versions_and_peers(&server);
    assert!(versions.iter().all(|v| v == "HTTP/2.0"), "{versions:?}");
}

#[tokio::test]
async fn an_unknown_ca_is_a_transport_error_and_the_skip_switch_accepts_it() {
    let server = tls_server(TlsMode::On);
    let client = Client::with_options(&server.url(), quick_options()).unwrap();
    match client.connect().await {
        Err(Error::Transport { message, .. }) => {
            assert!(message.contains("certificate"), "{message}")
        }
        other => panic!("expected a Transport error, got {other:?}"),
    }
    let skipping = tls(TlsOptions {
        danger_skip_verify: true,
        ..TlsOptions::default()
    });
    let client = Client::with_options(&server.url(), with_network(skipping)).unwrap();
    client.connect().await.unwrap();
    echo(&client, "unverified").await.unwrap();
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let server = tls_server(TlsMode::Mutual);
    let without =
        Client::with_options(&server.url(), with_network(tls(trusting_the_test_ca()))).unwrap();
    assert!(matches!(
        without.connect().await,
        Err(Error::Transport { .. })
    ));
    let with_cert = tls(TlsOptions {
        client_cert: Some(PathBuf::from(CLIENT_CERT_PEM)),
        client_key: Some(PathBuf::from(CLIENT_KEY_PEM)),
        ..trusting_the_test_ca()
    });
    let client = Client::with_options(&server.url(), with_network(with_cert)).unwrap();
    client.connect().await.unwrap();
    echo(&client, "mutual").await.unwrap();
}

#[tokio::test]
async fn an_explicit_proxy_tunnels_https_and_forwards_http() {
    let proxy = TestProxy::start(ProxyConfig {
        credentials: mcpstream_testkit::ProxyCredentials::parse("user:secret"),
    });
    let https = tls_server(TlsMode::On);
    let through = |server: &TestServer, proxy_url: String, tls_options: TlsOptions| {
        let network = NetworkOptions {
            proxy: ProxyChoice::Url(proxy_url),
            tls: tls_options,
            ..NetworkOptions::default()
        };
        Client::with_options(&server.url(), with_network(network)).unwrap()
    };
    let client = through(
        &https,
        proxy.url_with_credentials("user", "secret"),
        trusting_the_test_ca(),
    );
    client.connect().await.unwrap();
    echo(&client, "tunnelled").await.unwrap();
    let tunnels: Vec<_> = proxy
        .proxied()
        .into_iter()
        .filter(|p| p.method == "CONNECT")
        .collect();
    assert_eq!(tunnels[0].target, https.addr().to_string());
    assert!(tunnels
        .iter()
        .all(|t| t.authorized && t.user.as_deref() == Some("user")));

    let http = server_with(|_| {});
    let client = through(
        &http,
        proxy.url_with_credentials("user", "secret"),
        TlsOptions::default(),
    );
    client.connect().await.unwrap();
    echo(&client, "forwarded").await.unwrap();
    assert!(proxy
        .proxied()
        .iter()
        .any(|p| p.target.starts_with(&http.base_url()) && p.status == 200));

    let refused = through(&https, proxy.url(), trusting_the_test_ca());
    assert!(refused.connect().await.is_err(), "no credentials: 407");
    assert!(proxy.proxied().iter().any(|p| p.status == 407));
}

/// Over TLS the connection speaks HTTP/2, so nothing waits for a connection to come back to
/// the pool: the probe, `initialize`, `notifications/initialized` and every call share one.
/// (Plain HTTP/1.1 on loopback may open a second when the next request is sent before the
/// previous answer's connection is back in the pool: a race a real network's latency hides.)
#[tokio::test]
async fn a_sequential_session_over_tls_uses_one_connection() {
    for (mode, era) in [
        (TlsMode::On, EraChoice::Legacy),
        (TlsMode::On, EraChoice::Auto),
    ] {
        let server = tls_server(mode);
        let network = tls(trusting_the_test_ca());
        let client =
            Client::with_options(&server.url(), with_network(network).era(era.clone())).unwrap();
        client.connect().await.unwrap();
        for i in 0..20 {
            echo(&client, &format!("call {i}")).await.unwrap();
        }
        client.close().await;
        let (_, peers) = versions_and_peers(&server);
        assert_eq!(peers.len(), 1, "{mode:?} {era:?}: {peers:?}");
    }
}

#[tokio::test]
async fn an_error_never_shows_the_urls_credentials_or_query() {
    let client = Client::with_options(
        "http://user:pass-word@127.0.0.1:9/mcp?api_key=SECRET123",
        quick_options(),
    )
    .unwrap();
    let error = client.connect().await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("127.0.0.1:9/mcp"), "{message}");
    assert!(
        !message.contains("pass-word") && !message.contains("SECRET123"),
        "{message}"
    );
    let options = format!(
        "{:?}",
        NetworkOptions {
            proxy: ProxyChoice::Url("http://user:pass-word@127.0.0.1:3128".into()),
            ..NetworkOptions::default()
        }
    );
    assert!(!options.contains("pass-word"), "{options}");
}
