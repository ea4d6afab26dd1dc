//! Dynamic client registration (RFC 7591) and the redirect URI rules shared with
//! `/authorize`: loopback `http` or `https` only, and any port for loopback ones (RFC 8252 §7.3).

use super::state::{AuthState, Client, ClientKind};
use super::{random_token, OAuthError};
use crate::http::json_response;
use axum::body::Body;
use axum::http::{Response, StatusCode};
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};
use url::Url;

const SECRET_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}

/// A redirect URI this AS lets clients use at all.
pub(crate) fn redirect_uri_allowed(uri: &str) -> bool {
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    url.fragment().is_none()
        && match url.scheme() {
            "https" => url.host_str().is_some(),
            "http" => is_loopback(&url),
            _ => false,
        }
}

/// Whether `requested` is `registered`: exactly, or up to the port for loopback URIs, since
/// native clients listen on whatever port is free.
pub(crate) fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(a), Ok(b)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    a.scheme() == "http"
        && is_loopback(&a)
        && a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.path() == b.path()
        && a.query() == b.query()
        && b.fragment().is_none()
}

fn strings(value: Option<&Value>) -> Option<Vec<String>> {
    value?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

pub(crate) fn register(auth: &AuthState, issuer_path: &str, body: &[u8]) -> Response<Body> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    auth.lock().stats.registration_requests.push(
        parsed
            .clone()
            .unwrap_or_else(|| Value::String(String::from_utf8_lossy(body).into_owned())),
    );
    match registration(auth, issuer_path, parsed) {
        Ok(answer) => json_response(StatusCode::CREATED, &answer),
        Err(error) => error.response(),
    }
}

fn registration(
    auth: &AuthState,
    issuer_path: &str,
    request: Option<Value>,
) -> Result<Value, OAuthError> {
    let metadata_error = |why: &str| OAuthError::new("invalid_client_metadata", why);
    let Some(Value::Object(mut metadata)) = request else {
        return Err(metadata_error("the body must be a JSON object"));
    };
    let redirect_uris = match metadata.get("redirect_uris") {
        None => Vec::new(),
        some => strings(some).ok_or_else(|| metadata_error("redirect_uris must be strings"))?,
    };
    if let Some(bad) = redirect_uris.iter().find(|u| !redirect_uri_allowed(u)) {
        return Err(OAuthError::new(
            "invalid_redirect_uri",
            format!("{bad} is neither loopback http nor https"),
        ));
    }
    let grant_types = match metadata.get("grant_types") {
        None => vec!["authorization_code".to_owned()],
        some => strings(some).ok_or_else(|| metadata_error("grant_types must be strings"))?,
    };
    if grant_types.iter().any(|g| g == "authorization_code") && redirect_uris.is_empty() {
        return Err(OAuthError::new(
            "invalid_redirect_uri",
            "the authorization_code grant needs redirect_uris",
        ));
    }
    let supported = &auth.settings().token_auth_methods;
    // RFC 7591 §2: absent means client_secret_basic. An AS may assign another method; clients
    // must honour the answer (§3.2.1).
    let requested = metadata
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .unwrap_or("client_secret_basic");
    let auth_method = if supported.iter().any(|m| m == requested) {
        requested.to_owned()
    } else {
        supported.first().cloned().unwrap_or_else(|| "none".into())
    };
    let client_id = random_token("client");
    let secret = SECRET_METHODS
        .contains(&auth_method.as_str())
        .then(|| random_token("secret"));
    let issued_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    metadata.insert("client_id".into(), json!(client_id));
    metadata.insert("client_id_issued_at".into(), json!(issued_at));
    metadata.insert("token_endpoint_auth_method".into(), json!(auth_method));
    metadata.insert("grant_types".into(), json!(grant_types));
    metadata.insert("redirect_uris".into(), json!(redirect_uris));
    if let Some(secret) = &secret {
        metadata.insert("client_secret".into(), json!(secret));
        metadata.insert("client_secret_expires_at".into(), json!(0));
    }
    let client = Client {
        client_id: client_id.clone(),
        secret,
        auth_method,
        redirect_uris,
        grant_types,
        kind: ClientKind::Registered,
    };
    let mut inner = auth.lock();
    inner
        .issuers
        .entry(issuer_path.to_owned())
        .or_default()
        .clients
        .insert(client_id, client);
    inner.stats.registrations += 1;
    Ok(Value::Object(metadata))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_loopback_http_or_https() {
        for good in [
            "http://127.0.0.1:3000/callback",
            "http://localhost/cb",
            "http://[::1]:8080/cb",
            "https://app.example.com/cb",
        ] {
            assert!(redirect_uri_allowed(good), "{good}");
        }
        for bad in [
            "http://app.example.com/cb",
            "https://app.example.com/cb#frag",
            "myapp:/cb",
            "not a url",
        ] {
            assert!(!redirect_uri_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn loopback_redirects_match_on_any_port_only() {
        let registered = "http://127.0.0.1:3000/callback";
        assert!(redirect_matches(
            registered,
            "http://127.0.0.1:51234/callback"
        ));
        assert!(redirect_matches(registered, "http://127.0.0.1/callback"));
        assert!(!redirect_matches(
            registered,
            "http://localhost:3000/callback"
        ));
        assert!(!redirect_matches(registered, "http://127.0.0.1:3000/other"));
        assert!(!redirect_matches(
            "https://app.example.com:443/cb",
            "https://app.example.com:8443/cb"
        ));
    }
}
