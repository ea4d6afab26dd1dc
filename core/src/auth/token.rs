//! Token endpoint requests (authorization code, refresh, client credentials) and what they
//! answer.

use super::client_auth::{self, ClientAuthMethod, ClientCredentialsRef};
use super::http::AuthHttp;
use super::jwt::{self, SigningAlgorithm};
use crate::error::{shown_url, AuthError, AuthErrorKind, Error};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// How long a signed client assertion is valid.
const ASSERTION_LIFETIME_SECS: u64 = 60;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TokenSet {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Unix seconds; `None` when the server did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// Unix seconds.
    pub obtained_at: u64,
    /// The scope granted, or (when the server did not say) the scope requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl TokenSet {
    /// Worth refreshing before use: expired, or within a margin of expiring (a minute, or a
    /// tenth of a short lifetime) so a request does not set off with a token about to lapse.
    pub fn expiring(&self, now: u64) -> bool {
        let Some(expires_at) = self.expires_at else {
            return false;
        };
        let lifetime = expires_at.saturating_sub(self.obtained_at);
        let margin = (lifetime / 10).min(60);
        now + margin >= expires_at
    }
}

/// Why a token request failed, in the terms the caller acts on.
#[derive(Debug)]
pub(crate) enum TokenFailure {
    /// The authorization server refused with an OAuth error (`invalid_grant`,
    /// `invalid_client`, ...). The credentials it refused are unusable.
    Refused {
        error: String,
        description: Option<String>,
        status: u16,
    },
    /// No usable answer: network, timeout, a 5xx, garbage. Credentials stay as they are.
    Unavailable(Error),
}

impl TokenFailure {
    pub fn into_error(self, what: &str) -> Error {
        match self {
            Self::Refused {
                error,
                description,
                status,
            } => {
                let kind = if error == "access_denied" {
                    AuthErrorKind::Denied
                } else {
                    AuthErrorKind::Failed
                };
                let mut e = AuthError::new(
                    kind,
                    format!("the authorization server refused the {what} (HTTP {status})"),
                );
                e.error = Some(error);
                e.error_description = description;
                e.into()
            }
            Self::Unavailable(e) => e,
        }
    }
}

/// Who is asking: the client id and whatever proves it.
pub(crate) struct ClientProof<'a> {
    pub client_id: &'a str,
    pub method: ClientAuthMethod,
    pub secret: Option<&'a str>,
    pub private_key: Option<(&'a str, SigningAlgorithm)>,
    /// The `aud` of a signed assertion: the authorization server's issuer.
    pub issuer: &'a str,
}

/// One token request: `grant` fields plus client authentication, answered with tokens.
pub(crate) async fn request(
    http: &AuthHttp,
    endpoint: &Url,
    mut form: Vec<(String, String)>,
    proof: &ClientProof<'_>,
    requested_scope: Option<&str>,
) -> Result<TokenSet, TokenFailure> {
    let assertion = match proof.private_key {
        Some((pem, algorithm)) if proof.method == ClientAuthMethod::PrivateKeyJwt => Some(
            jwt::client_assertion(
                pem,
                algorithm,
                proof.client_id,
                proof.issuer,
                now_unix(),
                ASSERTION_LIFETIME_SECS,
            )
            .map_err(|e| TokenFailure::Unavailable(Error::invalid_argument(e)))?,
        ),
        _ => None,
    };
    let credentials = ClientCredentialsRef {
        client_id: proof.client_id,
        client_secret: proof.secret,
        assertion: assertion.as_deref(),
    };
    let header = client_auth::apply(proof.method, credentials, &mut form)
        .map_err(|e| TokenFailure::Unavailable(Error::invalid_argument(e)))?;
    let answer = http
        .post_form(endpoint, &form, header.as_deref())
        .await
        .map_err(TokenFailure::Unavailable)?;
    let status = answer.status.as_u16();
    let body = answer.json;
    if let Some(error) = body.get("error").and_then(Value::as_str) {
        if answer.status.is_client_error() {
            return Err(TokenFailure::Refused {
                error: error.to_owned(),
                description: body
                    .get("error_description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                status,
            });
        }
    }
    if !answer.status.is_success() {
        return Err(TokenFailure::Unavailable(Error::auth(
            AuthErrorKind::Failed,
            format!(
                "the token endpoint {} answered HTTP {status}",
                shown_url(endpoint)
            ),
        )));
    }
    parse_tokens(&body, requested_scope).map_err(|message| {
        TokenFailure::Unavailable(Error::auth(
            AuthErrorKind::Failed,
            format!("the token endpoint's answer is unusable: {message}"),
        ))
    })
}

fn parse_tokens(body: &Value, requested_scope: Option<&str>) -> Result<TokenSet, String> {
    let access_token = body
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or("no access_token")?;
    if let Some(kind) = body.get("token_type").and_then(Value::as_str) {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(format!("token_type {kind:?} is not Bearer"));
        }
    }
    // Some servers send expires_in as a string.
    let expires_in = match body.get("expires_in") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let obtained_at = now_unix();
    Ok(TokenSet {
        access_token: access_token.to_owned(),
        refresh_token: body
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        expires_at: expires_in.map(|secs| obtained_at.saturating_add(secs)),
        obtained_at,
        scope: body
            .get("scope")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| requested_scope.map(str::to_owned)),
    })
}

/// `(name, value)` pairs, for building forms.
pub(crate) fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_answers_are_read_leniently_but_checked() {
        let t = parse_tokens(
            &json!({"access_token": "a", "token_type": "bearer", "expires_in": "3600"}),
            Some("mcp"),
        )
        .unwrap();
        assert_eq!(t.expires_at, Some(t.obtained_at + 3600));
        assert_eq!(t.scope.as_deref(), Some("mcp"));
        assert!(parse_tokens(&json!({"access_token": "a", "token_type": "DPoP"}), None).is_err());
        assert!(parse_tokens(&json!({"token_type": "Bearer"}), None).is_err());
        assert!(!format!("{t:?}").contains("\"a\""));
    }

    #[test]
    fn tokens_are_refreshed_a_little_before_they_expire() {
        let t = TokenSet {
            access_token: "a".into(),
            refresh_token: None,
            expires_at: Some(1_000 + 3_600),
            obtained_at: 1_000,
            scope: None,
        };
        assert!(!t.expiring(1_000 + 3_500));
        assert!(t.expiring(1_000 + 3_541));
        let short = TokenSet {
            expires_at: Some(1_010),
            ..t.clone()
        };
        assert!(!short.expiring(1_008));
        assert!(short.expiring(1_009));
        let forever = TokenSet {
            expires_at: None,
            ..t
        };
        assert!(!forever.expiring(u64::MAX / 2));
    }
}
