//! The three things an application does over and over: make a client, connect, call a tool once
//! and close it; do the same with one client again and again; and call a tool on one connected
//! client. The call in each cycle matters in the modern era: there, once the era is known for a
//! URL, connecting sends nothing at all.
//! Each runs in both eras, since they keep different state (the session era: a session, its
//! standalone GET stream and the DELETE that ends it; the modern era: the era probe's verdict,
//! the result cache).

use mcpstream::{Client, ClientOptions, CloseOutcome, Era, EraChoice};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// A new `Client` per cycle: connect, one call, close, drop.
    FreshClients,
    /// One `Client`: connect, one call, close, once per cycle.
    Reconnect,
    /// One connected `Client`, one `echo` call per operation.
    Calls,
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Self::FreshClients => "fresh clients",
            Self::Reconnect => "reconnect",
            Self::Calls => "calls",
        }
    }
}

/// The session era is asked for by name; the modern one is what `Client::new` finds on its own
/// against a server that speaks both, as an application would get it.
fn options(era: Era) -> ClientOptions {
    ClientOptions::default().era(match era {
        Era::Legacy => EraChoice::Legacy,
        Era::Modern => EraChoice::Auto,
    })
}

/// A client of its own for a phase, connected if the workload calls on it.
pub struct Runner {
    url: String,
    era: Era,
    workload: Workload,
    client: Option<Client>,
}

impl Runner {
    pub async fn new(url: &str, era: Era, workload: Workload) -> Result<Self, String> {
        let client = match workload {
            Workload::FreshClients => None,
            Workload::Reconnect => Some(new_client(url, era)?),
            Workload::Calls => {
                let client = new_client(url, era)?;
                connect(&client, era).await?;
                Some(client)
            }
        };
        Ok(Self {
            url: url.to_owned(),
            era,
            workload,
            client,
        })
    }

    /// One operation; `n` makes each call's text different, so a stale answer would show.
    pub async fn step(&self, n: usize) -> Result<(), String> {
        match (&self.client, self.workload) {
            (Some(client), Workload::Calls) => echo(client, n).await,
            (Some(client), _) => cycle(client, self.era, n).await,
            (None, _) => cycle(&new_client(&self.url, self.era)?, self.era, n).await,
        }
    }

    /// Closes the calls' client and lets it go, so the next phase starts from none (the cycles
    /// closed theirs already).
    pub async fn finish(self) -> Result<(), String> {
        match (self.client, self.workload) {
            (Some(client), Workload::Calls) => expect_closed(client.close().await, self.era),
            _ => Ok(()),
        }
    }
}

fn new_client(url: &str, era: Era) -> Result<Client, String> {
    Client::with_options(url, options(era)).map_err(|e| e.to_string())
}

async fn connect(client: &Client, era: Era) -> Result<(), String> {
    client.connect().await.map_err(|e| e.to_string())?;
    match client.era() {
        Some(got) if got == era => Ok(()),
        got => Err(format!(
            "connected in the {} era, not the {} era",
            got.map_or("no", Era::as_str),
            era.as_str()
        )),
    }
}

async fn cycle(client: &Client, era: Era, n: usize) -> Result<(), String> {
    connect(client, era).await?;
    echo(client, n).await?;
    expect_closed(client.close().await, era)
}

/// A session-era close must end the session on the server; the modern era has none to end.
fn expect_closed(outcome: CloseOutcome, era: Era) -> Result<(), String> {
    match (outcome, era) {
        (CloseOutcome::Terminated, Era::Legacy) | (CloseOutcome::NoSession, Era::Modern) => Ok(()),
        (CloseOutcome::Failed(e), _) => Err(format!("close failed: {e}")),
        (other, _) => Err(format!("close answered {}", other.as_str())),
    }
}

async fn echo(client: &Client, n: usize) -> Result<(), String> {
    let text = format!("soak {n}");
    let result = client
        .call_tool("echo", Some(json!({ "text": text })))
        .await
        .map_err(|e| e.to_string())?;
    match result["content"][0]["text"].as_str() {
        Some(echoed) if echoed == text => Ok(()),
        _ => Err(format!("echo of {text:?} answered {result}")),
    }
}
