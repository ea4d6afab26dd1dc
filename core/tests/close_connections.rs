//! `close()` closes the client's connections: a closed client that lingers (a binding's object
//! waiting for a garbage collector, a struct that outlives its use) holds no sockets, and
//! connecting again opens new ones. The reference server runs in this process, so the client's
//! end of each connection is told apart by its remote port, the server's.

mod common;

use common::{client, eventually, quick_options, server, text_of, Config, TestServer};
use mcpstream::auth::{AuthorizeHandler, OAuth};
use mcpstream::{Client, CloseOutcome};
use mcpstream_testkit::AuthSettings;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// Socket inodes this process holds open.
fn own_sockets() -> HashSet<u64> {
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return HashSet::new();
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_str()?.to_owned();
            target
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect()
}

/// This process's established TCP connections to `port` (the client's ends).
fn connections_to(port: u16) -> usize {
    let own = own_sockets();
    ["/proc/self/net/tcp", "/proc/self/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .map(|line| line.split_whitespace().map(str::to_owned).collect())
                .collect::<Vec<Vec<String>>>()
        })
        .filter(|fields| {
            let remote_port = fields
                .get(2)
                .and_then(|remote| remote.rsplit(':').next())
                .and_then(|hex| u16::from_str_radix(hex, 16).ok());
            let established = fields.get(3).map(String::as_str) == Some("01");
            let inode = fields.get(9).and_then(|inode| inode.parse::<u64>().ok());
            remote_port == Some(port) && established && inode.is_some_and(|i| own.contains(&i))
        })
        .count()
}

async fn echo(client: &Client, text: &str) {
    let out = client
        .call_tool("echo", Some(json!({ "text": text })))
        .await
        .unwrap();
    assert_eq!(text_of(&out), text);
}

#[tokio::test(flavor = "multi_thread")]
async fn close_closes_the_clients_connections_and_connect_opens_new_ones() {
    let server = server();
    let port = server.addr().port();
    let client = client(&server);
    client.connect().await.unwrap();
    echo(&client, "before").await;
    assert!(
        connections_to(port) >= 1,
        "the client keeps its connection for the next call"
    );

    assert!(matches!(client.close().await, CloseOutcome::Terminated));
    eventually("the closed client's connections to close", || {
        connections_to(port) == 0
    })
    .await;

    client.connect().await.unwrap();
    echo(&client, "after").await;
    client.close().await;
    eventually("the connections to close again", || {
        connections_to(port) == 0
    })
    .await;
}

/// A user who consents at once (the reference server's authorization page redirects back).
fn approving_user() -> AuthorizeHandler {
    Arc::new(|url: String| {
        Box::pin(async move {
            let browser = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let resp = browser.get(&url).send().await.unwrap();
            Ok(Some(
                resp.headers()["location"].to_str().unwrap().to_owned(),
            ))
        })
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn close_also_closes_the_connections_to_the_authorization_server() {
    let server = TestServer::start(Config {
        auth: Some(AuthSettings::default()),
        ..Config::default()
    });
    let port = server.addr().port();
    let mut oauth = OAuth::new("close tests", "http://127.0.0.1:0/callback");
    oauth.on_authorize = Some(approving_user());
    let client = Client::with_options(&server.url(), quick_options().auth(oauth)).unwrap();
    client.connect().await.unwrap();
    echo(&client, "authorized").await;
    assert!(connections_to(port) >= 1);

    client.close().await;
    eventually("every connection of the closed client to close", || {
        connections_to(port) == 0
    })
    .await;
}
