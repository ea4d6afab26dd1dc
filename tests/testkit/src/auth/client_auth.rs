//! Client authentication at the token endpoint: what a request presented (classified the way
//! the conformance suite does: a Basic header is `basic`, else `client_secret` in the body is
//! `post`, else an assertion is `jwt`, else `none`) and whether it matches the client's
//! registered method and secret. `private_key_jwt` assertions are checked for their claims
//! only (iss = sub = client id, aud = the issuer or token endpoint, not expired), never for
//! their signature: client tests verify their JWS themselves.

use super::settings::AuthSettings;
use super::state::{Client, ClientKind, Issuer};
use super::{base64url_decode, OAuthError};
use axum::http::{header, HeaderMap};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(crate) enum Presented {
    Basic {
        id: String,
        secret: String,
    },
    Post {
        id: String,
        secret: String,
    },
    Jwt {
        id: Option<String>,
        assertion: String,
    },
    Public {
        id: String,
    },
    /// Basic and `client_secret` together, which RFC 6749 §2.3 forbids.
    Both {
        id: String,
    },
    Malformed {
        kind: &'static str,
        why: &'static str,
    },
    Nothing,
}

impl Presented {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Basic { .. } => "basic",
            Self::Malformed { kind, .. } => kind,
            Self::Post { .. } => "post",
            Self::Jwt { .. } => "jwt",
            Self::Public { .. } | Self::Nothing => "none",
            Self::Both { .. } => "basic+post",
        }
    }

    pub fn client_id(&self) -> Option<String> {
        match self {
            Self::Basic { id, .. }
            | Self::Post { id, .. }
            | Self::Public { id }
            | Self::Both { id } => Some(id.clone()),
            Self::Jwt { id, assertion } => id.clone().or_else(|| {
                claims(assertion)?
                    .get("sub")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }),
            Self::Malformed { .. } | Self::Nothing => None,
        }
    }

    fn method(&self) -> &'static str {
        match self {
            Self::Basic { .. } => "client_secret_basic",
            Self::Post { .. } => "client_secret_post",
            Self::Jwt { .. } => "private_key_jwt",
            _ => "none",
        }
    }
}

/// Decodes `application/x-www-form-urlencoded` text: RFC 6749 §2.3.1 encodes the id and the
/// secret that way before joining them for Basic.
fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn basic(value: &str) -> Result<(String, String), &'static str> {
    let (scheme, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or("malformed Basic header")?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err("the Authorization header is not Basic");
    }
    let decoded =
        crate::base64::decode(encoded.trim()).ok_or("Basic credentials are not base64")?;
    let text = String::from_utf8(decoded).map_err(|_| "Basic credentials are not UTF-8")?;
    let (id, secret) = text.split_once(':').ok_or("Basic credentials lack ':'")?;
    let id = form_decode(id).ok_or("the Basic client id is badly form-encoded")?;
    let secret = form_decode(secret).ok_or("the Basic secret is badly form-encoded")?;
    Ok((id, secret))
}

pub(crate) fn presented(headers: &HeaderMap, form: &BTreeMap<String, String>) -> Presented {
    let form_id = form.get("client_id").cloned();
    let form_secret = form.get("client_secret").cloned();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let Ok((id, secret)) = value
            .to_str()
            .map_err(|_| "the Authorization header is not text")
            .and_then(basic)
        else {
            return Presented::Malformed {
                kind: "basic",
                why: "the Authorization header is not valid Basic",
            };
        };
        if form_secret.is_some() {
            return Presented::Both { id };
        }
        if form_id.as_ref().is_some_and(|f| *f != id) {
            return Presented::Malformed {
                kind: "basic",
                why: "client_id in the body differs from the Basic one",
            };
        }
        return Presented::Basic { id, secret };
    }
    if let Some(secret) = form_secret {
        return match form_id {
            Some(id) => Presented::Post { id, secret },
            None => Presented::Malformed {
                kind: "post",
                why: "client_secret without client_id",
            },
        };
    }
    if form.get("client_assertion_type").map(String::as_str) == Some(JWT_BEARER) {
        if let Some(assertion) = form.get("client_assertion") {
            return Presented::Jwt {
                id: form_id,
                assertion: assertion.clone(),
            };
        }
        return Presented::Malformed {
            kind: "jwt",
            why: "client_assertion is missing",
        };
    }
    match form_id {
        Some(id) => Presented::Public { id },
        None => Presented::Nothing,
    }
}

fn claims(assertion: &str) -> Option<Value> {
    let mut parts = assertion.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    serde_json::from_slice(&base64url_decode(payload)?).ok()
}

fn check_assertion(assertion: &str, client_id: &str, audiences: &[String]) -> Result<(), String> {
    let claims = claims(assertion).ok_or("the client assertion is not a JWT")?;
    let claim = |name: &str| claims.get(name).and_then(Value::as_str);
    if claim("iss") != Some(client_id) || claim("sub") != Some(client_id) {
        return Err("the assertion's iss and sub must be the client id".into());
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => audiences.contains(aud),
        Some(Value::Array(auds)) => auds
            .iter()
            .filter_map(Value::as_str)
            .any(|a| audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!("the assertion's aud must be one of {audiences:?}"));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match claims.get("exp").and_then(Value::as_u64) {
        Some(exp) if exp + 30 >= now => Ok(()),
        Some(_) => Err("the assertion expired".into()),
        None => Err("the assertion has no exp".into()),
    }
}

/// The authenticated client, or `invalid_client` (401) / `invalid_request`.
pub(crate) fn authenticate(
    issuer: &Issuer,
    settings: &AuthSettings,
    audiences: &[String],
    presented: &Presented,
) -> Result<Client, OAuthError> {
    let invalid = |why: String| OAuthError::new("invalid_client", why);
    let id = match presented {
        Presented::Nothing => return Err(invalid("no client authentication".into())),
        Presented::Malformed { why, .. } => return Err(invalid((*why).into())),
        Presented::Both { .. } => {
            return Err(OAuthError::new(
                "invalid_request",
                "more than one client authentication method",
            ))
        }
        other => other
            .client_id()
            .ok_or_else(|| invalid("no client id".into()))?,
    };
    let client = issuer
        .find_client(&id, settings)
        .ok_or_else(|| invalid(format!("unknown client {id}")))?;
    let method = presented.method();
    if !settings.token_auth_methods.iter().any(|m| m == method) {
        return Err(invalid(format!("this AS does not support {method}")));
    }
    let method_fits = match client.kind {
        ClientKind::Registered => client.auth_method == method,
        ClientKind::PreRegistered if client.secret.is_some() => method != "none",
        ClientKind::PreRegistered | ClientKind::MetadataDocument => {
            matches!(method, "none" | "private_key_jwt")
        }
    };
    if !method_fits {
        return Err(invalid(format!(
            "client {id} authenticates with {}, not {method}",
            client.auth_method
        )));
    }
    match presented {
        Presented::Basic { secret, .. } | Presented::Post { secret, .. }
            if client.secret.as_deref() != Some(secret.as_str()) =>
        {
            return Err(invalid("wrong client secret".into()));
        }
        Presented::Jwt { assertion, .. } => {
            check_assertion(assertion, &id, audiences).map_err(invalid)?;
        }
        _ => {}
    }
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn classifies_like_the_conformance_suite() {
        let mut headers = HeaderMap::new();
        // RFC 6749 §2.3.1: form-encode, then join with ':'.
        let encoded = crate::base64::encode(b"my%3Aid:s%2Bcr+t");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        match presented(&headers, &form(&[])) {
            Presented::Basic { id, secret } => {
                assert_eq!((id.as_str(), secret.as_str()), ("my:id", "s+cr t"))
            }
            other => panic!("{}", other.kind()),
        }
        assert_eq!(
            presented(&headers, &form(&[("client_secret", "x")])).kind(),
            "basic+post"
        );
        let none = HeaderMap::new();
        assert_eq!(
            presented(&none, &form(&[("client_id", "a"), ("client_secret", "b")])).kind(),
            "post"
        );
        assert_eq!(
            presented(&none, &form(&[("client_id", "a")])).kind(),
            "none"
        );
        let jwt = form(&[
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", "a.b.c"),
        ]);
        assert_eq!(presented(&none, &jwt).kind(), "jwt");
    }

    #[test]
    fn checks_assertion_claims() {
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 60;
        let token = |claims: Value| {
            format!(
                "{}.{}.sig",
                super::super::base64url(br#"{"alg":"ES256"}"#),
                super::super::base64url(claims.to_string().as_bytes())
            )
        };
        let aud = vec!["http://127.0.0.1:1".to_owned()];
        let good = token(
            serde_json::json!({"iss": "c", "sub": "c", "aud": "http://127.0.0.1:1", "exp": exp}),
        );
        assert!(check_assertion(&good, "c", &aud).is_ok());
        let wrong_aud = token(serde_json::json!({"iss": "c", "sub": "c", "aud": "x", "exp": exp}));
        assert!(check_assertion(&wrong_aud, "c", &aud).is_err());
        let expired = token(
            serde_json::json!({"iss": "c", "sub": "c", "aud": ["http://127.0.0.1:1"], "exp": 1}),
        );
        assert!(check_assertion(&expired, "c", &aud).is_err());
    }
}
