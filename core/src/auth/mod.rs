//! MCP authorization (OAuth 2.1) for the client, one job per file. The transport asks the
//! [`authorizer`] for each request's token and hands it every 401 and 403
//! `insufficient_scope`; everything else here serves that. Decisions are in docs/auth.md.

mod authorizer;
mod challenge;
mod client_auth;
mod config;
mod discovery;
mod grant;
mod http;
mod jwt;
mod loopback;
mod pkce;
mod registration;
mod scope;
mod store;
mod token;
mod urls;

pub(crate) use authorizer::{
    insufficient_scope, scope_refused, token_refused, Authorizer, Credential,
};
pub use config::{Auth, AuthorizeHandler, ClientCredentials, OAuth};
// The parsers of what servers send, for the fuzz targets (crate::fuzzing).
pub(crate) use challenge::{bearer_challenge, parse_challenges};
pub(crate) use discovery::parse_server_metadata;
pub use store::{FileTokenStore, MemoryTokenStore, StoreFuture, TokenStore};
