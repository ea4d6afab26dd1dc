//! `GET <issuer>/authorize`, headless like the conformance suite's AS: no consent page, a 302
//! straight back to the client's redirect URI with a code bound to the client, redirect URI,
//! PKCE challenge, scope and resource. Unknown clients and unregistered redirect URIs get a
//! 400 page instead of a redirect (RFC 6749 §4.1.2.1); other errors go back as redirects.

use super::metadata::{issuer_url, resource_uri};
use super::register::{redirect_matches, redirect_uri_allowed};
use super::settings::{IssMode, StateMode};
use super::state::{AuthState, ClientKind, PendingCode};
use super::{random_token, OAuthError};
use axum::body::Body;
use axum::http::{header, Response, StatusCode};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use url::Url;

const CODE_LIFETIME: Duration = Duration::from_secs(600);

pub(crate) fn authorize(
    auth: &AuthState,
    origin: &str,
    issuer_path: &str,
    query: Option<&str>,
) -> Response<Body> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let params: BTreeMap<String, String> = pairs.iter().cloned().collect();
    auth.lock().stats.authorizations.push(params.clone());
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };

    let Some(client_id) = param("client_id") else {
        return OAuthError::new("invalid_request", "client_id is missing").response();
    };
    let client = auth
        .lock()
        .issuers
        .get(issuer_path)
        .and_then(|i| i.find_client(client_id, auth.settings()));
    let Some(client) = client else {
        return OAuthError::new("invalid_client", format!("unknown client {client_id}"))
            .with_status(StatusCode::BAD_REQUEST)
            .response();
    };
    let Some(redirect_uri) = param("redirect_uri") else {
        return OAuthError::new("invalid_request", "redirect_uri is missing").response();
    };
    let registered = if client.kind == ClientKind::Registered {
        client
            .redirect_uris
            .iter()
            .any(|r| redirect_matches(r, redirect_uri))
    } else {
        redirect_uri_allowed(redirect_uri)
    };
    if !registered {
        return OAuthError::new(
            "invalid_request",
            format!("redirect_uri {redirect_uri} is not registered for this client"),
        )
        .response();
    }
    let Ok(redirect) = Url::parse(redirect_uri) else {
        return OAuthError::new("invalid_request", "redirect_uri is not a URL").response();
    };
    let back = Redirect {
        auth,
        issuer: issuer_url(origin, issuer_path),
        origin,
        state: params.get("state").cloned(),
        to: redirect,
    };

    if let Some(failure) = auth.lock().authorize_failures.pop_front() {
        return back.error(&failure.error, failure.error_description.as_deref());
    }
    if pairs.len() != params.len() {
        return back.error("invalid_request", Some("a parameter appears twice"));
    }
    if param("response_type") != Some("code") {
        return back.error("unsupported_response_type", Some("only code is supported"));
    }
    let Some(challenge) = param("code_challenge") else {
        return back.error("invalid_request", Some("PKCE is required: code_challenge"));
    };
    if param("code_challenge_method") != Some("S256") {
        return back.error(
            "invalid_request",
            Some("code_challenge_method must be S256"),
        );
    }
    let Some(resource) = param("resource") else {
        return back.error("invalid_target", Some("resource (RFC 8707) is required"));
    };
    if resource != resource_uri(auth, origin) {
        return back.error(
            "invalid_target",
            Some("this AS does not serve that resource"),
        );
    }
    let scope = param("scope").unwrap_or("").to_owned();
    let offline_listed = auth
        .settings()
        .as_scopes_supported
        .as_ref()
        .is_some_and(|s| s.iter().any(|s| s == "offline_access"));
    if !offline_listed && scope.split_whitespace().any(|s| s == "offline_access") {
        return back.error(
            "invalid_scope",
            Some("offline_access is not in scopes_supported"),
        );
    }
    let code = random_token("code");
    auth.lock()
        .issuers
        .entry(issuer_path.to_owned())
        .or_default()
        .codes
        .insert(
            code.clone(),
            PendingCode {
                client_id: client.client_id,
                redirect_uri: redirect_uri.to_owned(),
                challenge: challenge.to_owned(),
                scope,
                resource: resource.to_owned(),
                expires_at: Instant::now() + CODE_LIFETIME,
            },
        );
    back.answer(&[("code", &code)])
}

/// The way back to the client, with `state` and `iss` as the switches say.
struct Redirect<'a> {
    auth: &'a AuthState,
    issuer: String,
    origin: &'a str,
    state: Option<String>,
    to: Url,
}

impl Redirect<'_> {
    fn error(&self, error: &str, description: Option<&str>) -> Response<Body> {
        let mut params = vec![("error", error)];
        if let Some(description) = description {
            params.push(("error_description", description));
        }
        self.answer(&params)
    }

    fn answer(&self, params: &[(&str, &str)]) -> Response<Body> {
        let settings = self.auth.settings();
        let mut to = self.to.clone();
        {
            let mut query = to.query_pairs_mut();
            for (name, value) in params {
                query.append_pair(name, value);
            }
            match (settings.state_mode, &self.state) {
                (StateMode::Echo, Some(state)) => {
                    query.append_pair("state", state);
                }
                (StateMode::Wrong, _) => {
                    query.append_pair("state", &random_token("wrong-state"));
                }
                (StateMode::Echo | StateMode::Missing, _) => {}
            }
            let iss = match settings.iss_mode {
                IssMode::Correct => Some(self.issuer.clone()),
                IssMode::Missing => None,
                IssMode::Wrong => Some(format!("{}/wrong-issuer", self.origin)),
                IssMode::TrailingSlash => Some(format!("{}/", self.issuer)),
            };
            if let Some(iss) = iss {
                query.append_pair("iss", &iss);
            }
        }
        Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, to.as_str())
            .header(header::CACHE_CONTROL, "no-store")
            .body(Body::empty())
            .expect("a URL is a valid header")
    }
}
