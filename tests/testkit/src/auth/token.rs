//! `POST <issuer>/token`: the `authorization_code` (with PKCE S256), `refresh_token` (rotating
//! by default) and `client_credentials` grants. Every grant must name the `resource`
//! (RFC 8707). Access tokens are opaque random strings `/mcp` looks up in this AS's table.

use super::client_auth::{self, Presented};
use super::metadata::{issuer_url, resource_uri};
use super::pkce::s256_challenge;
use super::state::{
    AccessGrant, AuthState, Client, Inner, RefreshGrant, TokenFailure, TokenRequestRecord,
};
use super::{random_token, OAuthError, Outcome};
use crate::http::plain;
use axum::body::Body;
use axum::http::{header, HeaderMap, Response, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

type Form = BTreeMap<String, String>;

pub(crate) async fn token(
    auth: &AuthState,
    origin: &str,
    issuer_path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Outcome {
    let delay = auth.settings().token_delay_ms;
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let form: Form = pairs.iter().cloned().collect();
    let presented = client_auth::presented(headers, &form);
    let issuer = issuer_url(origin, issuer_path);
    let mut record = TokenRequestRecord {
        grant_type: form.get("grant_type").cloned().unwrap_or_default(),
        form: form.clone(),
        auth: presented.kind().to_owned(),
        client_id: presented.client_id(),
        issuer: issuer.clone(),
        status: 0,
    };
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let expected_resource = resource_uri(auth, origin);

    let mut guard = auth.lock();
    let inner: &mut Inner = &mut guard;
    if record.grant_type == "refresh_token" {
        inner.stats.refreshes += 1;
    }
    let response = match inner.token_failures.pop_front() {
        Some(failure) if failure.close => {
            inner.stats.token_requests.push(record);
            return Outcome::Drop;
        }
        Some(failure) => injected(&failure),
        None if !is_form => {
            OAuthError::new("invalid_request", "the body must be form-encoded").response()
        }
        None if pairs.len() != form.len() => {
            OAuthError::new("invalid_request", "a parameter appears twice").response()
        }
        None => {
            let request = Request {
                settings_ttl: auth.settings().access_token_ttl_secs,
                issuer_path,
                issuer: &issuer,
                expected_resource: &expected_resource,
                presented: &presented,
                form: &form,
            };
            match request.grant(auth, inner) {
                Ok(answer) => success(&answer),
                Err(error) => error.response(),
            }
        }
    };
    record.status = response.status().as_u16();
    inner.stats.token_requests.push(record);
    Outcome::Answer(response)
}

fn injected(failure: &TokenFailure) -> Response<Body> {
    match &failure.error {
        Some(error) => {
            let description = failure
                .error_description
                .clone()
                .unwrap_or_else(|| "injected by /_admin/auth/fail-next-token".into());
            let mut oauth = OAuthError::new(error, description);
            if let Some(status) = failure.status.and_then(|s| StatusCode::from_u16(s).ok()) {
                oauth = oauth.with_status(status);
            }
            oauth.response()
        }
        None => plain(
            failure
                .status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "injected failure",
        ),
    }
}

fn success(answer: &Value) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::PRAGMA, "no-cache")
        .body(Body::from(answer.to_string()))
        .expect("static response")
}

fn verifier_well_formed(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

struct Request<'a> {
    settings_ttl: u64,
    issuer_path: &'a str,
    issuer: &'a str,
    expected_resource: &'a str,
    presented: &'a Presented,
    form: &'a Form,
}

impl Request<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.form
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.param(name)
            .ok_or_else(|| OAuthError::new("invalid_request", format!("{name} is missing")))
    }

    fn grant(&self, auth: &AuthState, inner: &mut Inner) -> Result<Value, OAuthError> {
        let settings = auth.settings();
        let issuer = inner
            .issuers
            .entry(self.issuer_path.to_owned())
            .or_default();
        // A JWT assertion may name the issuer with or without a trailing slash, or the
        // token endpoint itself.
        let audiences = [
            self.issuer.to_owned(),
            format!("{}/", self.issuer),
            format!("{}/token", self.issuer),
        ];
        let client = client_auth::authenticate(issuer, settings, &audiences, self.presented)?;
        let resource = self.param("resource").ok_or_else(|| {
            OAuthError::new(
                "invalid_target",
                "resource (RFC 8707) is required on every grant",
            )
        })?;
        match self.param("grant_type") {
            Some("authorization_code") => self.code_grant(settings, inner, &client, resource),
            Some("refresh_token") => self.refresh_grant(settings, inner, &client, resource),
            Some("client_credentials") => self.client_credentials(inner, &client, resource),
            Some(other) => Err(OAuthError::new(
                "unsupported_grant_type",
                format!("{other} is not supported"),
            )),
            None => Err(OAuthError::new("invalid_request", "grant_type is missing")),
        }
    }

    fn code_grant(
        &self,
        settings: &super::AuthSettings,
        inner: &mut Inner,
        client: &Client,
        resource: &str,
    ) -> Result<Value, OAuthError> {
        let code = self.required("code")?;
        let redirect_uri = self.required("redirect_uri")?;
        let verifier = self.required("code_verifier")?;
        let invalid_grant = |why: &str| OAuthError::new("invalid_grant", why);
        let issuer = inner
            .issuers
            .entry(self.issuer_path.to_owned())
            .or_default();
        // Codes are single-use: even a failed redemption spends it.
        let pending = issuer
            .codes
            .remove(code)
            .filter(|c| c.expires_at > Instant::now())
            .ok_or_else(|| invalid_grant("unknown, used or expired code"))?;
        if pending.client_id != client.client_id {
            return Err(invalid_grant("the code was issued to another client"));
        }
        if pending.redirect_uri != redirect_uri {
            return Err(invalid_grant(
                "redirect_uri differs from the authorization request's",
            ));
        }
        if !verifier_well_formed(verifier) {
            return Err(invalid_grant(
                "code_verifier must be 43-128 unreserved characters",
            ));
        }
        if s256_challenge(verifier) != pending.challenge {
            return Err(invalid_grant("code_verifier does not match code_challenge"));
        }
        if resource != pending.resource {
            return Err(OAuthError::new(
                "invalid_target",
                "resource differs from the authorization request's",
            ));
        }
        let refresh =
            (settings.issue_refresh_tokens && client.allows_grant("refresh_token")).then(|| {
                let token = random_token("mcprt");
                issuer.refresh_tokens.insert(
                    token.clone(),
                    RefreshGrant {
                        client_id: client.client_id.clone(),
                        scope: pending.scope.clone(),
                        resource: pending.resource.clone(),
                    },
                );
                token
            });
        Ok(self.issue(inner, &pending.scope, refresh))
    }

    fn refresh_grant(
        &self,
        settings: &super::AuthSettings,
        inner: &mut Inner,
        client: &Client,
        resource: &str,
    ) -> Result<Value, OAuthError> {
        let presented_token = self.required("refresh_token")?;
        let issuer = inner
            .issuers
            .entry(self.issuer_path.to_owned())
            .or_default();
        let grant = issuer
            .refresh_tokens
            .get(presented_token)
            .cloned()
            .ok_or_else(|| OAuthError::new("invalid_grant", "unknown or rotated refresh token"))?;
        if grant.client_id != client.client_id {
            return Err(OAuthError::new(
                "invalid_grant",
                "the refresh token was issued to another client",
            ));
        }
        if resource != grant.resource {
            return Err(OAuthError::new(
                "invalid_target",
                "resource differs from the original grant's",
            ));
        }
        let scope = match self.param("scope") {
            None => grant.scope.clone(),
            Some(requested) => {
                let granted: Vec<&str> = grant.scope.split_whitespace().collect();
                if let Some(extra) = requested.split_whitespace().find(|s| !granted.contains(s)) {
                    return Err(OAuthError::new(
                        "invalid_scope",
                        format!("a refresh cannot widen the grant ({extra})"),
                    ));
                }
                requested.to_owned()
            }
        };
        let refresh = if settings.refresh_omits_refresh_token {
            None
        } else if settings.rotate_refresh_tokens {
            issuer.refresh_tokens.remove(presented_token);
            let rotated = random_token("mcprt");
            issuer.refresh_tokens.insert(rotated.clone(), grant);
            Some(rotated)
        } else {
            Some(presented_token.to_owned())
        };
        Ok(self.issue(inner, &scope, refresh))
    }

    fn client_credentials(
        &self,
        inner: &mut Inner,
        client: &Client,
        resource: &str,
    ) -> Result<Value, OAuthError> {
        let confidential =
            client.secret.is_some() || matches!(self.presented, Presented::Jwt { .. });
        if !confidential || !client.allows_grant("client_credentials") {
            return Err(OAuthError::new(
                "unauthorized_client",
                "client_credentials needs a confidential client registered for that grant",
            ));
        }
        if resource != self.expected_resource {
            return Err(OAuthError::new(
                "invalid_target",
                "this AS does not serve that resource",
            ));
        }
        let scope = self.param("scope").unwrap_or("").to_owned();
        Ok(self.issue(inner, &scope, None))
    }

    fn issue(&self, inner: &mut Inner, scope: &str, refresh: Option<String>) -> Value {
        let access_token = random_token("mcpat");
        inner
            .issuers
            .entry(self.issuer_path.to_owned())
            .or_default()
            .access_tokens
            .insert(
                access_token.clone(),
                AccessGrant {
                    scope: scope.to_owned(),
                    expires_at: Instant::now() + Duration::from_secs(self.settings_ttl),
                },
            );
        inner.stats.issued_tokens += 1;
        inner.stats.access_tokens.push(access_token.clone());
        let mut answer = json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.settings_ttl,
        });
        if !scope.is_empty() {
            answer["scope"] = json!(scope);
        }
        if let Some(refresh) = refresh {
            answer["refresh_token"] = json!(refresh);
        }
        answer
    }
}
