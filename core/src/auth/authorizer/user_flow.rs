//! The authorization code flow's part with the user: the authorization URL, waiting for
//! them to come back (through `on_authorize`, the loopback listener, or
//! `complete_authorization`), and checking the redirect before its code is redeemed.

use super::{failed, Authorizer};
use crate::auth::config::{AuthorizeHandler, OAuth};
use crate::auth::discovery::Discovered;
use crate::auth::loopback::LoopbackListener;
use crate::auth::pkce::{new_state, Pkce};
use crate::auth::registration::{self, Registration};
use crate::auth::token::pairs;
use crate::auth::urls;
use crate::client::lock;
use crate::error::{AuthError, AuthErrorKind, Error, Result};
use reqwest::Url;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Authorizations begun without an `on_authorize` callback, kept for
/// `complete_authorization`; older ones are dropped.
const MAX_PENDING: usize = 4;

/// An authorization sent to the user and not yet come back.
pub(super) struct Pending {
    state: String,
    pkce: Pkce,
    redirect_uri: Url,
    client: Registration,
    discovered: Discovered,
    scope: Option<String>,
}

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct UserTime {
    pub(super) waiting: usize,
    pub(super) total: Duration,
}

/// Marks an authorization as waiting for the user while it lives.
struct UserWait {
    time: Arc<watch::Sender<UserTime>>,
    since: Instant,
}

impl UserWait {
    fn start(time: Arc<watch::Sender<UserTime>>) -> Self {
        time.send_modify(|t| t.waiting += 1);
        Self {
            time,
            since: Instant::now(),
        }
    }
}

impl Drop for UserWait {
    fn drop(&mut self) {
        let waited = self.since.elapsed();
        self.time.send_modify(|t| {
            t.waiting -= 1;
            t.total += waited;
        });
    }
}

fn authorization_url(pending: &Pending) -> Url {
    let server = &pending.discovered.server;
    let mut url = server.authorization_endpoint.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &pending.client.client_id)
            .append_pair("redirect_uri", pending.redirect_uri.as_str())
            .append_pair("state", &pending.state)
            .append_pair("code_challenge", &pending.pkce.challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("resource", &pending.discovered.resource);
        if let Some(scope) = &pending.scope {
            q.append_pair("scope", scope);
            // OpenID providers issue refresh tokens for offline_access only with consent.
            if server.openid
                && scope
                    .split_ascii_whitespace()
                    .any(|s| s == "offline_access")
            {
                q.append_pair("prompt", "consent");
            }
        }
    }
    url
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn parse_redirect(text: &str) -> Result<Url> {
    Url::parse(text).map_err(|e| Error::invalid_argument(format!("redirect_uri {text:?}: {e}")))
}

/// A26: the user's browser is sent to the redirect URI with the code, so it must be this
/// machine or an https site.
pub(super) fn check_redirect_uri(text: &str) -> Result<()> {
    let url = parse_redirect(text)?;
    let fine = match url.scheme() {
        "https" => true,
        "http" => urls::is_loopback_host(&url),
        // Private-use schemes (RFC 8252 §7.1) for apps that handle their own redirects.
        other => other.contains('.'),
    };
    if fine {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "redirect_uri must be http on localhost or 127.0.0.1, or https, not {text:?}"
        )))
    }
}

impl Authorizer {
    /// Finishes an authorization begun without `on_authorize` (the error
    /// `AuthorizationRequired` carried its URL): `callback_url` is where the authorization
    /// server sent the user back.
    pub async fn complete(&self, callback_url: &str) -> Result<()> {
        let callback = Url::parse(callback_url)
            .map_err(|e| Error::invalid_argument(format!("callback URL {callback_url:?}: {e}")))?;
        let state = query(&callback, "state");
        let pending = {
            let mut pending = lock(&self.pending);
            let at = pending
                .iter()
                .position(|p| Some(p.state.as_str()) == state.as_deref());
            at.map(|i| pending.remove(i))
        };
        let Some(pending) = pending else {
            return Err(failed(
                "no authorization in progress matches this redirect (its state is missing or unknown)",
            ));
        };
        let _flight = self.one_at_a_time().await;
        Box::pin(self.redeem(pending, &callback)).await
    }

    /// The authorization code flow with PKCE. A dynamically registered client the server no
    /// longer knows is registered again, once.
    pub(super) async fn authorization_code(
        &self,
        config: &OAuth,
        discovered: &Discovered,
        wanted: Option<String>,
    ) -> Result<()> {
        let mut stored = self
            .grants
            .registration(discovered)
            .await
            .filter(|r| r.usable_for(config.client_id.as_deref(), &discovered.server.issuer));
        for attempt in 0..2 {
            let listener = match &config.on_authorize {
                Some(_) => {
                    Some(LoopbackListener::bind(&parse_redirect(&config.redirect_uri)?).await)
                }
                None => None,
            };
            let redirect_uri = match &listener {
                Some(Ok(l)) => l.redirect_uri().clone(),
                _ => parse_redirect(&config.redirect_uri)?,
            };
            let client = match stored.take() {
                Some(client) => client,
                None => {
                    let client = Box::pin(registration::register(
                        &self.http,
                        config,
                        &discovered.server,
                        &redirect_uri,
                        wanted.as_deref(),
                    ))
                    .await?;
                    if client.source == registration::DYNAMIC {
                        log::info!("registered with {}", discovered.server.issuer);
                        self.grants.save_registration(discovered, &client).await;
                    }
                    client
                }
            };
            let pending = Pending {
                state: new_state().map_err(failed)?,
                pkce: Pkce::new().map_err(failed)?,
                redirect_uri,
                client,
                discovered: discovered.clone(),
                scope: wanted.clone(),
            };
            let url = authorization_url(&pending);
            let Some(on_authorize) = &config.on_authorize else {
                let mut parked = lock(&self.pending);
                if parked.len() >= MAX_PENDING {
                    parked.remove(0);
                }
                parked.push(pending);
                let mut e = AuthError::new(
                    AuthErrorKind::Required,
                    format!(
                        "the server needs authorization: open the authorization URL, then pass the URL the browser returns to with to complete_authorization() ({})",
                        url.as_str()
                    ),
                );
                e.authorization_url = Some(url.into());
                return Err(e.into());
            };
            log::info!(
                "asking the user to authorize at {}",
                discovered.server.issuer
            );
            let callback = Box::pin(self.ask_user(config, on_authorize, url, listener)).await?;
            let dynamic = pending.client.source == registration::DYNAMIC;
            match Box::pin(self.redeem(pending, &callback)).await {
                Err(Error::Authorization(e))
                    if attempt == 0
                        && dynamic
                        && matches!(
                            e.error.as_deref(),
                            Some("invalid_client" | "unauthorized_client")
                        ) =>
                {
                    log::info!(
                        "the authorization server no longer knows this client; registering again"
                    );
                    self.grants.forget_registration(discovered).await;
                }
                outcome => return outcome,
            }
        }
        unreachable!("the second attempt returns")
    }

    /// Shows the user the URL and waits for them to come back: the redirect URL
    /// `on_authorize` returns, or the one the loopback listener catches, whichever comes
    /// first (a browser launcher may not return before the user is done). Request deadlines
    /// stand still meanwhile.
    async fn ask_user(
        &self,
        config: &OAuth,
        on_authorize: &AuthorizeHandler,
        url: Url,
        listener: Option<std::result::Result<LoopbackListener, String>>,
    ) -> Result<Url> {
        let _waiting = UserWait::start(self.waiting_for_user.get());
        let limit = config.authorization_timeout;
        let (listener, cannot_listen) = match listener {
            Some(Ok(listener)) => (Some(listener), None),
            Some(Err(why)) => (None, Some(why)),
            None => (None, None),
        };
        let caught = async move {
            match listener {
                Some(listener) => listener.accept_redirect(limit).await.map_err(failed),
                None => std::future::pending().await,
            }
        };
        let asked = on_authorize(url.into());
        let waited = tokio::time::timeout(limit, async {
            tokio::pin!(caught);
            tokio::select! {
                back = &mut caught => back,
                answer = asked => match answer {
                    Err(e) => Err(failed(format!("on_authorize failed: {e}"))),
                    Ok(Some(returned)) => Url::parse(returned.trim()).map_err(|e| {
                        Error::invalid_argument(format!(
                            "on_authorize returned {returned:?}, which is not the redirect URL: {e}"
                        ))
                    }),
                    Ok(None) => match cannot_listen {
                        Some(why) => Err(failed(format!(
                            "on_authorize returned no redirect URL and the client cannot listen for it: {why}"
                        ))),
                        None => caught.await,
                    },
                },
            }
        });
        waited.await.unwrap_or_else(|_| {
            Err(failed(format!(
                "the user did not come back from the authorization server within {} s",
                limit.as_secs()
            )))
        })
    }

    /// Checks the redirect (state, then `iss`, then `error`) and trades its code for tokens.
    async fn redeem(&self, pending: Pending, callback: &Url) -> Result<()> {
        let server = &pending.discovered.server;
        let state = query(callback, "state");
        if !constant_time_eq(state.as_deref().unwrap_or(""), &pending.state) {
            return Err(failed(
                "the authorization redirect's state does not match the request: ignored",
            ));
        }
        // RFC 9207: checked before anything else in the answer is believed (A23).
        if let Err(why) = urls::response_issuer_ok(
            query(callback, "iss").as_deref(),
            &server.issuer,
            server.iss_parameter_supported,
        ) {
            return Err(failed(format!(
                "the authorization redirect is not from {} ({why}): ignored",
                server.issuer
            )));
        }
        if let Some(error) = query(callback, "error") {
            let mut e = AuthError::new(AuthErrorKind::Denied, "authorization was refused");
            e.error = Some(error);
            e.error_description = query(callback, "error_description");
            return Err(e.into());
        }
        let Some(code) = query(callback, "code") else {
            return Err(failed("the authorization redirect carries no code"));
        };
        let form = pairs(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", pending.redirect_uri.as_str()),
            ("code_verifier", &pending.pkce.verifier),
            ("resource", &pending.discovered.resource),
        ]);
        Box::pin(self.grant_from(
            &pending.discovered,
            pending.client,
            form,
            pending.scope,
            "authorization code",
        ))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_loopback_or_https() {
        for fine in [
            "http://127.0.0.1:8765/callback",
            "http://localhost/cb",
            "https://app.example/oauth/cb",
            "com.example.app:/cb",
        ] {
            assert!(check_redirect_uri(fine).is_ok(), "{fine}");
        }
        for bad in ["http://app.example/cb", "not a url", "javascript:alert(1)"] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn state_comparison_is_exact() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert!(!constant_time_eq("", "a"));
    }
}
