//! `make demo`: the era `Client::new(url)` picks, then the session lifecycle step by step
//! (`era: legacy`), against the reference server, which speaks both eras.
//! Pass a URL to run it against another server instead: `cargo run --example demo -- URL`.

use mcpstream::{Client, ClientOptions, EraChoice, Error};
use mcpstream_testkit::{Config, TestServer};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let own_server = match std::env::args().nth(1) {
        Some(_) => None,
        None => Some(TestServer::start(Config::default())),
    };
    let url = match &own_server {
        Some(server) => server.url(),
        None => std::env::args().nth(1).unwrap_or_default(),
    };
    println!("server          {url}");
    let auto = Client::new(&url)?;
    auto.connect().await?;
    println!(
        "auto picks      {} era, protocol {}",
        auto.era().map_or("no", |e| e.as_str()),
        auto.protocol_version().unwrap_or_default()
    );
    println!("close           {}", auto.close().await.as_str());

    let client = Client::with_options(&url, ClientOptions::default().era(EraChoice::Legacy))?;
    let init = client.connect().await?;
    println!("connected to    {}", init["serverInfo"]);
    println!("session id      {}", redact(client.session_id()));
    println!(
        "protocol        {}",
        client.protocol_version().unwrap_or_default()
    );

    let tools = client.list_tools().await?;
    let names: Vec<_> = tools["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    println!("tools           {}", names.join(", "));
    let sum = client
        .call_tool("add", Some(json!({"a": 2, "b": 40})))
        .await?;
    println!("add(2, 40)      {}", sum["content"][0]["text"]);

    if let Some(server) = &own_server {
        server.expire_sessions();
        match client.ping().await {
            Err(e @ Error::SessionExpired { .. }) => println!("after restart   {e}"),
            other => println!("after restart   unexpected: {other:?}"),
        }
        println!("session id      {}", redact(client.session_id()));
        client.connect().await?;
        println!("reconnected     session {}", redact(client.session_id()));
    }

    let outcome = client.close().await;
    println!("close           {}", outcome.as_str());
    println!("session id      {}", redact(client.session_id()));
    println!("close again     {}", client.close().await.as_str());
    Ok(())
}

/// Session ids are credentials of a sort; show only enough to tell them apart.
fn redact(id: Option<String>) -> String {
    match id {
        Some(id) => format!("{}…", &id[..id.len().min(8)]),
        None => "(none)".into(),
    }
}
