//! What the authorization server remembers, per issuer (clients, pending codes, access and
//! refresh tokens), what tests asked it to do next (failures), and what it saw ([`AuthStats`]).
//! The `pub` methods of [`AuthState`] are the Rust twins of the `/_admin/auth/...` routes.

use super::settings::{issuer_path, AuthSettings};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// A summary of what the AS received, oldest first. `GET /_admin/auth/stats` answers it as JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AuthStats {
    /// Successful dynamic registrations.
    pub registrations: usize,
    /// Every `/register` body, accepted or not.
    pub registration_requests: Vec<Value>,
    /// The query parameters of every `/authorize` request.
    pub authorizations: Vec<BTreeMap<String, String>>,
    pub token_requests: Vec<TokenRequestRecord>,
    /// `refresh_token` grant requests received, successful or not.
    pub refreshes: usize,
    /// Access tokens issued.
    pub issued_tokens: usize,
    /// The access tokens issued, in order, to compare with the `Authorization` headers the
    /// request log recorded.
    pub access_tokens: Vec<String>,
}

impl AuthStats {
    pub fn token_requests_for(&self, grant_type: &str) -> Vec<&TokenRequestRecord> {
        self.token_requests
            .iter()
            .filter(|r| r.grant_type == grant_type)
            .collect()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TokenRequestRecord {
    pub grant_type: String,
    /// The form as sent, secrets included (it is a test server).
    pub form: BTreeMap<String, String>,
    /// How the client authenticated: `basic`, `post`, `none`, `jwt`, or `basic+post` when it
    /// (wrongly) used two methods at once.
    pub auth: String,
    /// The client the request authenticated as, or claimed to be.
    pub client_id: Option<String>,
    /// The issuer whose token endpoint it reached.
    pub issuer: String,
    /// The answer's status; 0 when the connection was dropped instead.
    pub status: u16,
}

/// What the next token request gets instead of a real answer (`/_admin/auth/fail-next-token`):
/// `{"error": "invalid_grant"}` (status 400, 401 for `invalid_client`, unless given),
/// `{"status": 500}` (a non-OAuth error body) or `{"close": true}` (no answer at all).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TokenFailure {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub close: bool,
}

/// The next authorization is answered with this error redirect, e.g. `access_denied`
/// (`/_admin/auth/fail-next-authorize`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AuthorizeFailure {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ClientKind {
    Registered,
    PreRegistered,
    /// A CIMD URL client id, accepted without fetching its document.
    MetadataDocument,
}

#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub client_id: String,
    pub secret: Option<String>,
    pub auth_method: String,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub kind: ClientKind,
}

impl Client {
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.kind != ClientKind::Registered || self.grant_types.iter().any(|g| g == grant_type)
    }
}

pub(crate) struct PendingCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub scope: String,
    pub resource: String,
    pub expires_at: Instant,
}

pub(crate) struct AccessGrant {
    pub scope: String,
    pub expires_at: Instant,
}

#[derive(Clone)]
pub(crate) struct RefreshGrant {
    pub client_id: String,
    pub scope: String,
    pub resource: String,
}

#[derive(Default)]
pub(crate) struct Issuer {
    pub clients: HashMap<String, Client>,
    pub codes: HashMap<String, PendingCode>,
    pub access_tokens: HashMap<String, AccessGrant>,
    pub refresh_tokens: HashMap<String, RefreshGrant>,
}

impl Issuer {
    pub fn find_client(&self, client_id: &str, settings: &AuthSettings) -> Option<Client> {
        if let Some(client) = self.clients.get(client_id) {
            return Some(client.clone());
        }
        let is_document_url = client_id
            .strip_prefix("https://")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(host, path)| !host.is_empty() && !path.is_empty());
        (settings.cimd_supported && is_document_url).then(|| Client {
            client_id: client_id.to_owned(),
            secret: None,
            auth_method: "none".to_owned(),
            redirect_uris: Vec::new(),
            grant_types: Vec::new(),
            kind: ClientKind::MetadataDocument,
        })
    }
}

pub(crate) struct Inner {
    /// The issuer path the PRM names now; `""` is the origin itself.
    pub current_issuer: String,
    pub issuers: BTreeMap<String, Issuer>,
    pub tool_scopes: BTreeMap<String, String>,
    pub token_failures: VecDeque<TokenFailure>,
    pub authorize_failures: VecDeque<AuthorizeFailure>,
    pub stats: AuthStats,
}

pub struct AuthState {
    settings: AuthSettings,
    inner: Mutex<Inner>,
}

impl AuthState {
    pub fn new(settings: AuthSettings) -> Self {
        let initial = settings.as_path.clone().unwrap_or_default();
        let mut issuer = Issuer::default();
        if let Some((id, secret)) = &settings.pre_registered {
            let confidential = !secret.is_empty();
            let auth_method = if confidential {
                "client_secret_basic"
            } else {
                "none"
            };
            issuer.clients.insert(
                id.clone(),
                Client {
                    client_id: id.clone(),
                    secret: confidential.then(|| secret.clone()),
                    auth_method: auth_method.to_owned(),
                    redirect_uris: Vec::new(),
                    grant_types: Vec::new(),
                    kind: ClientKind::PreRegistered,
                },
            );
        }
        let inner = Inner {
            current_issuer: initial.clone(),
            issuers: BTreeMap::from([(initial, issuer)]),
            tool_scopes: settings.tool_scopes.clone(),
            token_failures: VecDeque::new(),
            authorize_failures: VecDeque::new(),
            stats: AuthStats::default(),
        };
        Self {
            settings,
            inner: Mutex::new(inner),
        }
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn stats(&self) -> AuthStats {
        self.lock().stats.clone()
    }

    pub fn reset_stats(&self) {
        self.lock().stats = AuthStats::default();
    }

    /// Every access token issued so far expires now (later ones are fine). Returns how many
    /// were still live.
    pub fn expire_tokens(&self) -> usize {
        let now = Instant::now();
        let mut inner = self.lock();
        let mut expired = 0;
        for grant in inner
            .issuers
            .values_mut()
            .flat_map(|i| i.access_tokens.values_mut())
        {
            if grant.expires_at > now {
                grant.expires_at = now;
                expired += 1;
            }
        }
        expired
    }

    /// Queues a canned answer for the next token request (of any grant).
    pub fn fail_next_token(&self, failure: TokenFailure) {
        self.lock().token_failures.push_back(failure);
    }

    /// Queues an error redirect for the next authorization request.
    pub fn fail_next_authorize(&self, failure: AuthorizeFailure) {
        self.lock().authorize_failures.push_back(failure);
    }

    /// Forgets every dynamically registered client of every issuer, as an AS purging stale
    /// registrations does; their refresh tokens go too. Pre-registered clients stay. Returns
    /// how many clients were forgotten.
    pub fn revoke_clients(&self) -> usize {
        let mut inner = self.lock();
        let mut revoked = 0;
        for issuer in inner.issuers.values_mut() {
            let before = issuer.clients.len();
            issuer
                .clients
                .retain(|_, c| c.kind != ClientKind::Registered);
            revoked += before - issuer.clients.len();
            let clients = &issuer.clients;
            issuer
                .refresh_tokens
                .retain(|_, r| clients.contains_key(&r.client_id));
            issuer
                .codes
                .retain(|_, c| clients.contains_key(&c.client_id));
        }
        revoked
    }

    /// Makes the PRM name the issuer at this path (`None` or `""`: the origin). It gets its
    /// own clients and tokens; tokens of the previous issuer stop being accepted by `/mcp`.
    /// Returns the new issuer path.
    pub fn switch_issuer(&self, as_path: Option<&str>) -> Result<String, String> {
        let path = issuer_path(as_path.unwrap_or(""))?.unwrap_or_default();
        let mut inner = self.lock();
        inner.issuers.entry(path.clone()).or_default();
        inner.current_issuer = path.clone();
        Ok(path)
    }

    /// The path of the issuer the PRM names now (`""` for the origin).
    pub fn issuer_path(&self) -> String {
        self.lock().current_issuer.clone()
    }

    pub(crate) fn knows_issuer(&self, path: &str) -> bool {
        self.lock().issuers.contains_key(path)
    }

    /// Sets the scopes (space-separated) a `tools/call` of `tool` needs; `None` or blank
    /// removes the requirement.
    pub fn set_tool_scope(&self, tool: &str, scopes: Option<&str>) {
        let mut inner = self.lock();
        match scopes.map(str::trim).filter(|s| !s.is_empty()) {
            Some(scopes) => inner.tool_scopes.insert(tool.to_owned(), scopes.to_owned()),
            None => inner.tool_scopes.remove(tool),
        };
    }

    pub fn tool_scopes(&self) -> BTreeMap<String, String> {
        self.lock().tool_scopes.clone()
    }

    /// The scopes of a live access token the current issuer issued, or why it is refused.
    pub(crate) fn check_token(&self, token: &str) -> Result<String, &'static str> {
        let inner = self.lock();
        let found = inner
            .issuers
            .iter()
            .find_map(|(path, issuer)| issuer.access_tokens.get(token).map(|g| (path, g)));
        match found {
            None => Err("Unknown access token"),
            Some((path, _)) if *path != inner.current_issuer => {
                Err("The access token comes from an authorization server this resource no longer trusts")
            }
            Some((_, grant)) if grant.expires_at <= Instant::now() => Err("The access token expired"),
            Some((_, grant)) => Ok(grant.scope.clone()),
        }
    }
}
