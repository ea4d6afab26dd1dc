//! mcpstream: a Model Context Protocol client for the Streamable HTTP transport.
//!
//! The async [`Client`] does the protocol work; [`blocking::Client`] wraps it for synchronous
//! code over one shared runtime ([`runtime`]). It speaks both eras of the transport and finds
//! out which one a server speaks ([`era`]). In the session era (2025-03-26 to 2025-11-25) the
//! session id and protocol version come only from the `initialize` response, travel on every
//! later request, and a 404 to a request that carried them ends the session with
//! [`Error::SessionExpired`]. In the modern era (2026-07-28) every request carries its own
//! protocol fields ([`modern`]) and there is no session.
//!
//! ```no_run
//! # async fn run() -> Result<(), mcpstream::Error> {
//! let client = mcpstream::Client::new("http://127.0.0.1:8000/mcp")?;
//! client.connect().await?;
//! let result = client.call_tool("echo", Some(serde_json::json!({"text": "hi"}))).await?;
//! client.close().await;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod blocking;
mod body;
mod cache;
mod client;
mod dispatch;
mod elicitation;
pub mod era;
mod error;
pub mod fork;
#[doc(hidden)]
pub mod fuzzing;
pub mod handlers;
pub mod jsonrpc;
pub mod modern;
mod mrtr;
pub mod network;
mod options;
mod probe;
mod request;
mod roots;
pub mod runtime;
pub mod session;
pub mod sse;
mod standalone;
mod stateless;
mod stream;
mod subscription;
mod tool_headers;
mod transport;

pub use client::{Client, CloseOutcome, EventStream};
pub use era::{Era, EraChoice, Verdict, MODERN_PROTOCOL_VERSIONS};
pub use error::{AuthError, AuthErrorKind, Error, HttpErrorKind, Result};
pub use handlers::{Handlers, SessionChange, SessionChangeReason};
pub use network::{HttpVersion, NetworkOptions, ProxyChoice, TlsOptions};
pub use options::{
    ClientOptions, ReconnectPolicy, RedirectPolicy, RequestOptions, SessionExpiryPolicy,
    DEFAULT_MAX_RESPONSE_BYTES,
};
pub use session::{Session, LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS};
pub use subscription::{Subscription, SubscriptionEvent, SubscriptionFilter};

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn clients_can_be_shared_across_threads() {
        assert_send_sync::<crate::Client>();
        assert_send_sync::<crate::blocking::Client>();
    }
}
