//! A sequential client reuses its connection: `connect()` reads each answer to its end before
//! the next request (so `notifications/initialized` goes where `initialize` went), and calls
//! do not open connections of their own. Only the session era's standalone GET stream holds
//! one more.

mod common;

use common::{quick_options, server_with, ServerEra, TestServer};
use mcpstream::{Client, ClientOptions, EraChoice};
use serde_json::json;

const CALLS: usize = 100;

fn modern_options() -> ClientOptions {
    // The era probe (server/discover) first, as a client that does not pin the era does.
    quick_options().era(EraChoice::Auto)
}

async fn connected(server: &TestServer, options: ClientOptions) -> Client {
    let client = Client::with_options(&server.url(), options).unwrap();
    client.connect().await.unwrap();
    client
}

#[tokio::test]
async fn connect_uses_one_connection() {
    let server = server_with(|c| c.era = ServerEra::LegacyOnly);
    let client = connected(&server, quick_options()).await;
    assert_eq!(server.connections(), 1);
    let peers: Vec<_> = server.requests().into_iter().map(|r| r.peer).collect();
    assert_eq!(peers.len(), 2, "initialize and notifications/initialized");
    assert_eq!(peers[0], peers[1]);
    client.close().await;

    let server = server_with(|c| c.era = ServerEra::Dual);
    let client = connected(&server, modern_options()).await;
    assert_eq!(server.connections(), 1);
    client.close().await;
}

/// Connections the server accepted for `connect()` and `CALLS` calls, one after another.
async fn connections_for(server: &TestServer, options: ClientOptions) -> u64 {
    let client = connected(server, options).await;
    for _ in 0..CALLS {
        client
            .call_tool("echo", Some(json!({"text": "hi"})))
            .await
            .unwrap();
    }
    let accepted = server.connections();
    client.close().await;
    accepted
}

/// On a runtime with several workers the pool can still lose the race against the next request
/// now and then (see `body::drain`); here, on one thread, it must not.
#[tokio::test]
async fn sequential_calls_keep_to_the_connection() {
    let server = server_with(|c| c.era = ServerEra::Dual);
    assert_eq!(connections_for(&server, modern_options()).await, 1);
    let server = server_with(|c| c.era = ServerEra::LegacyOnly);
    assert_eq!(connections_for(&server, quick_options()).await, 1);
    let server = server_with(|c| c.era = ServerEra::LegacyOnly);
    let with_stream = quick_options().standalone_stream(true);
    assert_eq!(connections_for(&server, with_stream).await, 2);
}
