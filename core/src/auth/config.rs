//! What the application tells the client about authorizing: `ClientOptions::auth`.

use super::store::{MemoryTokenStore, TokenStore};
use crate::handlers::BoxFuture;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Shows the user the authorization URL (typically by opening a browser). Returns the full
/// redirect URL the authorization server sent the user back to (headless use, tests, an app
/// that owns its own web callback), or `None` to let the client catch the redirect itself on
/// `redirect_uri` with a one-shot loopback listener. An `Err` ends the attempt.
pub type AuthorizeHandler =
    Arc<dyn Fn(String) -> BoxFuture<Result<Option<String>, String>> + Send + Sync>;

/// How the client gets its tokens.
#[derive(Clone)]
pub enum Auth {
    /// A user authorizes this client (authorization code + PKCE), as an agent acting for them.
    OAuth(OAuth),
    /// The client authorizes as itself (the `client_credentials` grant, for machine-to-machine
    /// use): a secret or a signed JWT assertion, no user and no browser.
    ClientCredentials(ClientCredentials),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OAuth(o) => o.fmt(f),
            Self::ClientCredentials(c) => c.fmt(f),
        }
    }
}

impl Auth {
    /// The protocol extension this way of authorizing is, declared in the client's
    /// capabilities: the client credentials grant is one (SEP-1046).
    pub(crate) fn extension(&self) -> Option<&'static str> {
        match self {
            Self::OAuth(_) => None,
            Self::ClientCredentials(_) => Some("io.modelcontextprotocol/oauth-client-credentials"),
        }
    }
}

impl From<OAuth> for Auth {
    fn from(o: OAuth) -> Self {
        Self::OAuth(o)
    }
}

impl From<ClientCredentials> for Auth {
    fn from(c: ClientCredentials) -> Self {
        Self::ClientCredentials(c)
    }
}

/// The authorization code flow. Only `client_name` and `redirect_uri` matter for a server
/// that allows dynamic registration; the rest are for servers that need more.
#[derive(Clone)]
pub struct OAuth {
    /// Shown by the authorization server on its consent page (dynamic registration).
    pub client_name: String,
    /// Where the authorization server sends the user back: `http://127.0.0.1:<port>/<path>`
    /// (or `localhost`; port 0 picks a free one when the client listens itself), or an
    /// `https` URL the application serves.
    pub redirect_uri: String,
    /// Without one, a request that needs the user fails with `AuthorizationRequired`
    /// carrying the URL, and `Client::complete_authorization` finishes the flow.
    pub on_authorize: Option<AuthorizeHandler>,
    /// A client registered beforehand with the authorization server (servers without dynamic
    /// registration, such as GitHub's, need one).
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// A Client ID Metadata Document URL: used as the client id where the authorization
    /// server supports such documents, instead of registering.
    pub client_metadata_url: Option<String>,
    /// Space-separated scopes to ask for when the server's challenge names none (the
    /// server's published `scopes_supported` otherwise).
    pub scopes: Option<String>,
    pub token_store: Arc<dyn TokenStore>,
    /// With no Protected Resource Metadata, look for authorization server metadata at the
    /// server's origin and then assume `/authorize`, `/token` and `/register` there, as
    /// revision 2025-03-26 did. Off by default: such metadata has no issuer to check.
    pub legacy_discovery: bool,
    /// How many times one request may step up (re-authorize for a wider scope) after a 403
    /// `insufficient_scope`.
    pub max_step_ups: u32,
    /// How long the client waits for the user to come back from the authorization server.
    /// Time spent waiting does not count against a request's own timeout.
    pub authorization_timeout: Duration,
}

impl OAuth {
    pub fn new(client_name: impl Into<String>, redirect_uri: impl Into<String>) -> Self {
        Self {
            client_name: client_name.into(),
            redirect_uri: redirect_uri.into(),
            on_authorize: None,
            client_id: None,
            client_secret: None,
            client_metadata_url: None,
            scopes: None,
            token_store: Arc::new(MemoryTokenStore::new()),
            legacy_discovery: false,
            max_step_ups: 1,
            authorization_timeout: Duration::from_secs(300),
        }
    }
}

impl fmt::Debug for OAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth")
            .field("client_name", &self.client_name)
            .field("redirect_uri", &self.redirect_uri)
            .field("on_authorize", &self.on_authorize.is_some())
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("client_metadata_url", &self.client_metadata_url)
            .field("scopes", &self.scopes)
            .field("legacy_discovery", &self.legacy_discovery)
            .field("max_step_ups", &self.max_step_ups)
            .field("authorization_timeout", &self.authorization_timeout)
            .finish_non_exhaustive()
    }
}

/// The `client_credentials` grant (the MCP extension
/// `io.modelcontextprotocol/oauth-client-credentials`): a secret sent with HTTP Basic, or a
/// JWT assertion signed with `private_key_pem` (RFC 7523).
#[derive(Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Option<String>,
    /// PKCS#8 PEM (or SEC1 / PKCS#1 for EC / RSA keys) of the key registered with the
    /// authorization server.
    pub private_key_pem: Option<String>,
    /// `ES256` (default) or `RS256`, for `private_key_pem`.
    pub algorithm: String,
    pub scopes: Option<String>,
    pub token_store: Arc<dyn TokenStore>,
}

impl ClientCredentials {
    pub fn with_secret(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            client_secret: Some(secret.into()),
            ..Self::empty(client_id.into())
        }
    }

    pub fn with_private_key(
        client_id: impl Into<String>,
        private_key_pem: impl Into<String>,
        algorithm: impl Into<String>,
    ) -> Self {
        Self {
            private_key_pem: Some(private_key_pem.into()),
            algorithm: algorithm.into(),
            ..Self::empty(client_id.into())
        }
    }

    fn empty(client_id: String) -> Self {
        Self {
            client_id,
            client_secret: None,
            private_key_pem: None,
            algorithm: "ES256".into(),
            scopes: None,
            token_store: Arc::new(MemoryTokenStore::new()),
        }
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "private_key_pem",
                &self.private_key_pem.as_ref().map(|_| "<redacted>"),
            )
            .field("algorithm", &self.algorithm)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}
