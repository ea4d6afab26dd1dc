//! The binaries other languages run: `mcpstream-testserver --tls` / `--tls-client-ca` and
//! `mcpstream-test-proxy`, each announcing its URL on its first line of stdout.

mod support;

use mcpstream_testkit::certs;
use reqwest::{Client, Proxy, StatusCode};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use support::{echo, identity, json_body, trusting_ca};

/// A started binary and the URL it printed; killed when dropped.
struct Running {
    child: Child,
    url: String,
}

impl Running {
    fn start(program: &str, args: &[&str]) -> Self {
        let mut child = Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        Self {
            child,
            url: url.trim().to_owned(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SERVER: &str = env!("CARGO_BIN_EXE_mcpstream-testserver");
const PROXY: &str = env!("CARGO_BIN_EXE_mcpstream-test-proxy");

#[tokio::test]
async fn the_server_binary_serves_https_and_mtls() {
    let tls = Running::start(SERVER, &["--stateless", "--tls"]);
    assert!(
        tls.url.starts_with("https://127.0.0.1:") && tls.url.ends_with("/mcp"),
        "{}",
        tls.url
    );
    let answer = echo(&trusting_ca().build().unwrap(), &tls.url, "bin")
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);

    let mutual = Running::start(SERVER, &["--stateless", "--tls-client-ca"]);
    assert!(echo(&trusting_ca().build().unwrap(), &mutual.url, "x")
        .await
        .is_err());
    let mine = identity(certs::CLIENT_CERT_PEM, certs::CLIENT_KEY_PEM);
    let with_cert = trusting_ca().identity(mine).build().unwrap();
    assert_eq!(
        echo(&with_cert, &mutual.url, "x").await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_proxy_binary_demands_its_credentials() {
    let proxy = Running::start(PROXY, &["--auth", "u:p"]);
    assert!(proxy.url.starts_with("http://127.0.0.1:"), "{}", proxy.url);
    let server = Running::start(SERVER, &["--stateless"]);
    let anonymous = Client::builder()
        .proxy(Proxy::http(&proxy.url).unwrap())
        .build()
        .unwrap();
    let refused = echo(&anonymous, &server.url, "x").await.unwrap();
    assert_eq!(refused.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
    let with_credentials = Proxy::http(&proxy.url).unwrap().basic_auth("u", "p");
    let client = Client::builder().proxy(with_credentials).build().unwrap();
    assert_eq!(
        echo(&client, &server.url, "x").await.unwrap().status(),
        StatusCode::OK
    );
    let record: serde_json::Value = json_body(
        client
            .get(format!("{}/_admin/proxied", proxy.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let authorized: Vec<_> = record["proxied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["authorized"].as_bool().unwrap())
        .collect();
    assert_eq!(authorized, [false, true]);
}
