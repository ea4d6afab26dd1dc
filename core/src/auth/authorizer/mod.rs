//! The orchestrator: which token a request carries, and what a 401 or a 403
//! `insufficient_scope` sets off (refresh, a new authorization, a step-up), once for all the
//! requests that met it. Discovery, registration, authorization and refresh run one at a time
//! under `flight`; no lock is held while an MCP request or stream is in flight.

mod user_flow;

use user_flow::{check_redirect_uri, Pending, UserTime};

use super::challenge::{bearer_challenge, BearerChallenge};
use super::config::{Auth, ClientCredentials};
use super::discovery::{self, Discovered};
use super::grant::{Grant, StoredGrants};
use super::http::AuthHttp;
use super::jwt::SigningAlgorithm;
use super::registration::Registration;
use super::token::{self, pairs, ClientProof, TokenFailure};
use super::{client_auth, scope};
use crate::client::lock;
use crate::error::{AuthError, AuthErrorKind, Error, Result};
use crate::fork::PerProcess;
use reqwest::header::{HeaderMap, HeaderValue, WWW_AUTHENTICATE};
use reqwest::Url;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

pub(crate) struct Authorizer {
    server: Url,
    http: AuthHttp,
    auth: Auth,
    grants: StoredGrants,
    state: Mutex<State>,
    /// One discovery, registration, authorization or refresh at a time. Per process, as is
    /// `waiting_for_user`: a parent's task holding it at fork time (an authorization waiting
    /// for the user, a refresh) would hold it for ever in the child, and waiting there on a
    /// user who is the parent's would stop the child's deadlines for ever.
    flight: PerProcess<Arc<tokio::sync::Mutex<()>>>,
    /// Authorizations waiting for the user; request deadlines stand still meanwhile.
    waiting_for_user: PerProcess<Arc<watch::Sender<UserTime>>>,
    pending: Mutex<Vec<Pending>>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    /// The store was read for this endpoint.
    loaded: bool,
    grant: Option<Arc<Grant>>,
    /// Bumped whenever the token changes, so a request that failed with an older token
    /// retries instead of starting another refresh.
    generation: u64,
    /// Scope sets already asked for by a step-up: a server that still refuses gets no loop.
    stepped_up: HashSet<String>,
}

/// The token a request set off with.
#[derive(Clone)]
pub(crate) struct Credential {
    pub header: Option<HeaderValue>,
    pub generation: u64,
}

/// What renewing a token came to, short of an error.
enum Renewal {
    Renewed,
    /// The credentials are unusable: a new authorization is needed.
    Gone,
}

fn failed(message: impl Into<String>) -> Error {
    Error::auth(AuthErrorKind::Failed, message)
}

impl Authorizer {
    pub fn new(
        server: &Url,
        auth: Auth,
        user_agent: &str,
        network: crate::network::Prepared,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Self> {
        let store = match &auth {
            Auth::OAuth(o) => {
                check_redirect_uri(&o.redirect_uri)?;
                o.token_store.clone()
            }
            Auth::ClientCredentials(c) => {
                if c.client_secret.is_none() && c.private_key_pem.is_none() {
                    return Err(Error::invalid_argument(
                        "client credentials need a client_secret or a private_key_pem",
                    ));
                }
                c.algorithm
                    .parse::<SigningAlgorithm>()
                    .map_err(Error::invalid_argument)?;
                c.token_store.clone()
            }
        };
        Ok(Self {
            server: server.clone(),
            http: AuthHttp::new(user_agent, network, connect_timeout, timeout)?,
            grants: StoredGrants::new(store, server),
            auth,
            state: Mutex::default(),
            flight: PerProcess::new(Default::default),
            waiting_for_user: PerProcess::new(|| Arc::new(watch::Sender::new(UserTime::default()))),
            pending: Mutex::default(),
        })
    }

    /// All the time authorizations have spent waiting for the user so far: a mark for
    /// `time_with_user_since`.
    pub fn time_with_user(&self) -> Duration {
        self.waiting_for_user.get().borrow().total
    }

    /// How long authorizations waited for the user since `mark`, waiting first for one that
    /// is waiting now. A request whose deadline passed meanwhile gets that much more time.
    pub async fn time_with_user_since(&self, mark: Duration) -> Duration {
        let mut watch = self.waiting_for_user.get().subscribe();
        let done = watch.wait_for(|t| t.waiting == 0).await;
        done.map_or(Duration::ZERO, |t| t.total.saturating_sub(mark))
    }

    /// The turn of one discovery, registration, authorization or refresh.
    async fn one_at_a_time(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.flight.get().lock_owned().await
    }

    pub fn release_connections(&self) {
        self.http.release_connections();
    }

    pub fn max_step_ups(&self) -> u32 {
        match &self.auth {
            Auth::OAuth(o) => o.max_step_ups,
            Auth::ClientCredentials(_) => 1,
        }
    }

    /// The `Authorization` header for the next request: the current token, renewed first if
    /// it is about to expire, or none before the first authorization.
    pub async fn credential(&self) -> Result<Credential> {
        // The rare, large steps are boxed here, so the future every request awaits stays small.
        if !lock(&self.state).loaded {
            Box::pin(self.load_stored()).await;
        }
        let (grant, generation) = self.current();
        if let Some(grant) = &grant {
            if grant.tokens.expiring(token::now_unix()) && self.renewable(grant) {
                Box::pin(self.renew_ahead(generation)).await;
                return Ok(self.credential_now());
            }
        }
        Ok(self.credential_now())
    }

    fn credential_now(&self) -> Credential {
        let (grant, generation) = self.current();
        Credential {
            header: grant.and_then(|g| bearer_header(&g.tokens.access_token)),
            generation,
        }
    }

    fn current(&self) -> (Option<Arc<Grant>>, u64) {
        let state = lock(&self.state);
        (state.grant.clone(), state.generation)
    }

    fn renewable(&self, grant: &Grant) -> bool {
        matches!(self.auth, Auth::ClientCredentials(_)) || grant.tokens.refresh_token.is_some()
    }

    /// A 401: renew the token or authorize anew, then the request is sent again.
    pub async fn on_unauthorized(&self, headers: &HeaderMap, used: &Credential) -> Result<()> {
        let challenge = challenge_of(headers);
        let _flight = self.one_at_a_time().await;
        if lock(&self.state).generation != used.generation {
            return Ok(()); // another request renewed it meanwhile
        }
        let discovered = Box::pin(self.discover(challenge.as_ref())).await?;
        let held = self
            .current()
            .0
            .filter(|g| g.issuer == discovered.server.issuer && g.resource == discovered.resource);
        let mut asked_before = None;
        if let Some(grant) = held {
            asked_before = grant.requested_scope.clone();
            if used.header.is_some() {
                if let Renewal::Renewed = Box::pin(self.renew(&grant)).await? {
                    return Ok(());
                }
            }
        }
        let challenged = challenge.as_ref().and_then(|c| c.scope.as_deref());
        // Logging in again keeps what earlier step-ups added.
        let keep = asked_before.map(|before| scope::union(&before, challenged.unwrap_or("")));
        Box::pin(self.obtain(&discovered, challenged, keep)).await
    }

    /// A 403 `insufficient_scope`: authorize again for the union of what was asked before and
    /// what the server wants now (A34), unless that was already tried.
    pub async fn on_insufficient_scope(
        &self,
        challenge: &BearerChallenge,
        used: &Credential,
    ) -> Result<()> {
        let refused = || scope_refused(challenge);
        let Some(needed) = challenge.scope.as_deref().filter(|s| !s.trim().is_empty()) else {
            return Err(refused());
        };
        let _flight = self.one_at_a_time().await;
        if lock(&self.state).generation != used.generation {
            return Ok(());
        }
        let grant = self.current().0;
        let granted = grant.as_ref().and_then(|g| g.tokens.scope.clone());
        let had = grant
            .and_then(|g| g.requested_scope.clone())
            .or_else(|| granted.clone())
            .unwrap_or_default();
        let wanted = scope::union(&had, needed);
        // A token that already holds every scope asked for would not be helped by another
        // authorization (A32): the server refuses for some other reason.
        if granted.is_some_and(|g| !scope::is_strict_superset(&wanted, &g)) {
            return Err(refused());
        }
        if !lock(&self.state).stepped_up.insert(scope_set(&wanted)) {
            return Err(refused());
        }
        log::info!("the server wants scope {needed:?}; authorizing again for {wanted:?}");
        let discovered = Box::pin(self.discover(Some(challenge))).await?;
        Box::pin(self.obtain(&discovered, None, Some(wanted))).await
    }

    async fn discover(&self, challenge: Option<&BearerChallenge>) -> Result<Discovered> {
        let legacy = matches!(&self.auth, Auth::OAuth(o) if o.legacy_discovery);
        Box::pin(discovery::discover(
            &self.http,
            &self.server,
            challenge,
            legacy,
        ))
        .await
    }

    /// Reads what an earlier run (or another process) stored for this endpoint, once.
    async fn load_stored(&self) {
        let _flight = self.one_at_a_time().await;
        if lock(&self.state).loaded {
            return;
        }
        let found = self.grants.load_for_endpoint().await;
        let mut state = lock(&self.state);
        state.loaded = true;
        if let Some(grant) = found.filter(|g| g.client.usable_for(self.client_id(), &g.issuer)) {
            state.grant = Some(Arc::new(grant));
            state.generation += 1;
        }
    }

    fn client_id(&self) -> Option<&str> {
        match &self.auth {
            Auth::OAuth(o) => o.client_id.as_deref(),
            Auth::ClientCredentials(c) => Some(&c.client_id),
        }
    }

    fn install(&self, grant: Grant) {
        let mut state = lock(&self.state);
        state.grant = Some(Arc::new(grant));
        state.generation += 1;
    }

    fn forget_tokens(&self) {
        let mut state = lock(&self.state);
        state.grant = None;
        state.generation += 1;
    }

    /// Renews a token about to expire before a request uses it; on failure the request goes
    /// with what there is, and a 401 takes it from there.
    async fn renew_ahead(&self, generation: u64) {
        let _flight = self.one_at_a_time().await;
        let (grant, now) = self.current();
        if now != generation {
            return;
        }
        if let Some(grant) = grant {
            if let Err(e) = Box::pin(self.renew(&grant)).await {
                log::warn!("renewing the access token failed: {e}");
            }
        }
    }

    /// Refresh (or, for client credentials, a new token). Never drops credentials on a
    /// network error or a server error: only when the server says they are no good, and
    /// only after checking that another process did not already replace them.
    async fn renew(&self, grant: &Arc<Grant>) -> Result<Renewal> {
        if let Some(newer) = self.grants.newer_than(grant).await {
            self.install(newer);
            return Ok(Renewal::Renewed);
        }
        if let Auth::ClientCredentials(_) = &self.auth {
            return Ok(Renewal::Gone);
        }
        let Some(refresh_token) = grant.tokens.refresh_token.clone() else {
            return Ok(Renewal::Gone);
        };
        let mut form = pairs(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("resource", &grant.resource),
        ]);
        if let Some(scope) = &grant.tokens.scope {
            form.push(("scope".into(), scope.clone()));
        }
        let endpoint = Url::parse(&grant.token_endpoint)
            .map_err(|e| failed(format!("stored token endpoint: {e}")))?;
        let proof = self.proof(&grant.client, &grant.issuer, grant.auth_methods.as_deref())?;
        match token::request(
            &self.http,
            &endpoint,
            form,
            &proof,
            grant.tokens.scope.as_deref(),
        )
        .await
        {
            Ok(mut tokens) => {
                // Servers that do not rotate send no new refresh token: the old one stays good.
                if tokens.refresh_token.is_none() {
                    tokens.refresh_token = Some(refresh_token);
                }
                log::info!("access token refreshed");
                let renewed = Grant {
                    tokens,
                    ..Grant::clone(grant)
                };
                self.grants.save(&renewed).await;
                self.install(renewed);
                Ok(Renewal::Renewed)
            }
            Err(TokenFailure::Refused { error, .. }) => {
                // Another process may have rotated the refresh token just now.
                if let Some(newer) = self.grants.newer_than(grant).await {
                    self.install(newer);
                    return Ok(Renewal::Renewed);
                }
                log::info!("the refresh token was refused ({error}); authorizing anew");
                let forget_client = error == "invalid_client" || error == "unauthorized_client";
                self.grants.discard(grant, forget_client).await;
                self.forget_tokens();
                Ok(Renewal::Gone)
            }
            Err(TokenFailure::Unavailable(e)) => Err(e),
        }
    }

    /// New credentials from scratch for what discovery found.
    async fn obtain(
        &self,
        discovered: &Discovered,
        challenge_scope: Option<&str>,
        forced_scope: Option<String>,
    ) -> Result<()> {
        match &self.auth {
            Auth::ClientCredentials(c) => {
                let wanted = forced_scope.or_else(|| {
                    scope::initial_scope(
                        challenge_scope,
                        discovered.resource_scopes.as_deref(),
                        c.scopes.as_deref(),
                    )
                });
                Box::pin(self.client_credentials(c, discovered, wanted)).await
            }
            Auth::OAuth(o) => {
                let server = &discovered.server;
                let s256 = server
                    .code_challenge_methods
                    .as_ref()
                    .is_some_and(|m| m.iter().any(|m| m == "S256"));
                if !s256 {
                    return Err(failed(format!(
                        "the authorization server {} does not support PKCE with S256, so authorizing with it is not safe",
                        server.issuer
                    )));
                }
                let wanted = forced_scope.or_else(|| {
                    scope::initial_scope(
                        challenge_scope,
                        discovered.resource_scopes.as_deref(),
                        o.scopes.as_deref(),
                    )
                });
                let wanted = scope::with_offline_access(wanted, server.scopes_supported.as_deref());
                Box::pin(self.authorization_code(o, discovered, wanted)).await
            }
        }
    }

    async fn client_credentials(
        &self,
        config: &ClientCredentials,
        discovered: &Discovered,
        wanted: Option<String>,
    ) -> Result<()> {
        let server = &discovered.server;
        let method = client_auth::select_method(
            None,
            config.client_secret.is_some(),
            config.private_key_pem.is_some(),
            server.token_endpoint_auth_methods.as_deref(),
        );
        let client = Registration {
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            method: method.as_str().into(),
            source: "preregistered".into(),
            issuer: server.issuer.clone(),
        };
        let mut form = pairs(&[
            ("grant_type", "client_credentials"),
            ("resource", &discovered.resource),
        ]);
        if let Some(scope) = &wanted {
            form.push(("scope".into(), scope.clone()));
        }
        self.grant_from(discovered, client, form, wanted, "client credentials")
            .await
    }

    /// One token request at the discovered token endpoint, whose tokens become the grant
    /// every request then carries (and the store keeps).
    async fn grant_from(
        &self,
        discovered: &Discovered,
        client: Registration,
        form: Vec<(String, String)>,
        scope: Option<String>,
        grant_type: &str,
    ) -> Result<()> {
        let server = &discovered.server;
        let tokens = {
            let proof = self.proof(
                &client,
                &server.issuer,
                server.token_endpoint_auth_methods.as_deref(),
            )?;
            let asked = token::request(
                &self.http,
                &server.token_endpoint,
                form,
                &proof,
                scope.as_deref(),
            );
            asked.await.map_err(|f| f.into_error(grant_type))?
        };
        log::info!(
            "obtained an access token ({grant_type}) from {}",
            server.issuer
        );
        let grant = Grant::new(discovered, client, tokens, scope);
        self.grants.save(&grant).await;
        self.install(grant);
        Ok(())
    }

    fn proof<'a>(
        &'a self,
        client: &'a Registration,
        issuer: &'a str,
        supported: Option<&[String]>,
    ) -> Result<ClientProof<'a>> {
        let private_key = match &self.auth {
            Auth::ClientCredentials(c) => match &c.private_key_pem {
                Some(pem) => Some((
                    pem.as_str(),
                    c.algorithm
                        .parse::<SigningAlgorithm>()
                        .map_err(Error::invalid_argument)?,
                )),
                None => None,
            },
            Auth::OAuth(_) => None,
        };
        let method = client_auth::select_method(
            Some(&client.method),
            client.client_secret.is_some(),
            private_key.is_some(),
            supported,
        );
        Ok(ClientProof {
            client_id: &client.client_id,
            method,
            secret: client.client_secret.as_deref(),
            private_key,
            issuer,
        })
    }
}

fn challenge_of(headers: &HeaderMap) -> Option<BearerChallenge> {
    bearer_challenge(
        headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
}

/// A 403 `insufficient_scope` that stepping up cannot (or may no longer) answer.
pub(crate) fn scope_refused(challenge: &BearerChallenge) -> Error {
    let mut e = AuthError::new(
        AuthErrorKind::InsufficientScope,
        "the server needs a scope this client could not obtain",
    );
    e.error = challenge.error.clone();
    e.error_description = challenge.error_description.clone();
    e.scope = challenge.scope.clone();
    e.into()
}

/// A 401 to a token obtained just now: no loop, an error (A39).
pub(crate) fn token_refused(headers: &HeaderMap) -> Error {
    let challenge = challenge_of(headers).unwrap_or_default();
    let mut e = AuthError::new(
        AuthErrorKind::Failed,
        "the server refused the access token the authorization server just issued",
    );
    e.error = challenge.error;
    e.error_description = challenge.error_description;
    e.into()
}

/// The `insufficient_scope` challenge of a 403, if that is what it is (A33).
pub(crate) fn insufficient_scope(headers: &HeaderMap) -> Option<BearerChallenge> {
    challenge_of(headers).filter(|c| c.error.as_deref() == Some("insufficient_scope"))
}

fn bearer_header(token: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// A scope set in a canonical order, to recognise the same request twice.
fn scope_set(scope: &str) -> String {
    let mut parts: Vec<&str> = scope.split_ascii_whitespace().collect();
    parts.sort_unstable();
    parts.dedup();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_sets_ignore_order_and_repeats() {
        assert_eq!(scope_set("b a  b"), scope_set("a b"));
        assert_ne!(scope_set("a"), scope_set("a b"));
    }
}
