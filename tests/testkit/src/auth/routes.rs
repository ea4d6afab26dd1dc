//! Finds which authorization route a request names (well-known documents, and the endpoints of
//! every issuer this server knows, whatever its path), serves it, and records it in the
//! server's request log like `/mcp` requests.

use super::{admin, authorize, metadata, origin, register, token, AuthState, Outcome, PRM_PATH};
use crate::http::plain;
use crate::server::record;
use crate::state::State;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State as Shared};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;

/// Adds the authorization routes when the server was configured with `auth`.
pub(crate) fn mount(router: Router<Arc<State>>, state: &State) -> Router<Arc<State>> {
    if state.auth().is_none() {
        return router;
    }
    admin::routes(router).fallback(serve)
}

enum Endpoint<'a> {
    ProtectedResource { path_based: bool },
    Metadata(&'a str),
    Authorize(&'a str),
    Token(&'a str),
    Register(&'a str),
}

fn endpoint<'a>(auth: &AuthState, path: &'a str) -> Option<Endpoint<'a>> {
    let openid_only = auth.settings().openid_only;
    let known = |issuer_path: &str| auth.knows_issuer(issuer_path);
    if let Some(rest) = path.strip_prefix(PRM_PATH) {
        return match rest {
            "" => Some(Endpoint::ProtectedResource { path_based: false }),
            "/mcp" => Some(Endpoint::ProtectedResource { path_based: true }),
            _ => None,
        };
    }
    if let Some(issuer) = path.strip_prefix("/.well-known/oauth-authorization-server") {
        return (!openid_only && known(issuer)).then_some(Endpoint::Metadata(issuer));
    }
    // OpenID Connect Discovery: path-inserted, then (for path issuers) path-appended.
    if let Some(issuer) = path.strip_prefix("/.well-known/openid-configuration") {
        return (openid_only && known(issuer)).then_some(Endpoint::Metadata(issuer));
    }
    if let Some(issuer) = path.strip_suffix("/.well-known/openid-configuration") {
        return (openid_only && !issuer.is_empty() && known(issuer))
            .then_some(Endpoint::Metadata(issuer));
    }
    type Make<'a> = fn(&'a str) -> Endpoint<'a>;
    let endpoints: [(&str, Make<'a>); 3] = [
        ("/authorize", Endpoint::Authorize),
        ("/token", Endpoint::Token),
        ("/register", Endpoint::Register),
    ];
    endpoints.into_iter().find_map(|(suffix, make)| {
        path.strip_suffix(suffix)
            .filter(|issuer| known(issuer))
            .map(make)
    })
}

async fn serve(
    Shared(state): Shared<Arc<State>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let auth = state
        .auth()
        .expect("auth routes are mounted only with auth on");
    let origin = origin(&headers);
    let path = uri.path();
    let wrong_method = |allowed: &str| {
        plain(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("use {allowed} here"),
        )
    };
    let outcome = match (endpoint(auth, path), &method) {
        (None, _) => Outcome::Answer(plain(StatusCode::NOT_FOUND, "not found")),
        (Some(Endpoint::ProtectedResource { path_based }), &Method::GET) => {
            Outcome::Answer(metadata::protected_resource(auth, &origin, path_based))
        }
        (Some(Endpoint::Metadata(issuer)), &Method::GET) => {
            Outcome::Answer(metadata::authorization_server(auth, &origin, issuer))
        }
        (Some(Endpoint::ProtectedResource { .. } | Endpoint::Metadata(_)), _) => {
            Outcome::Answer(wrong_method("GET"))
        }
        (Some(Endpoint::Authorize(issuer)), &Method::GET) => {
            Outcome::Answer(authorize::authorize(auth, &origin, issuer, uri.query()))
        }
        (Some(Endpoint::Authorize(_)), _) => Outcome::Answer(wrong_method("GET")),
        (Some(Endpoint::Token(issuer)), &Method::POST) => {
            token::token(auth, &origin, issuer, &headers, &body).await
        }
        (Some(Endpoint::Register(_)), _) if !auth.settings().registration_enabled => {
            Outcome::Answer(plain(StatusCode::NOT_FOUND, "registration is off"))
        }
        (Some(Endpoint::Register(issuer)), &Method::POST) => {
            Outcome::Answer(register::register(auth, issuer, &body))
        }
        (Some(Endpoint::Token(_) | Endpoint::Register(_)), _) => {
            Outcome::Answer(wrong_method("POST"))
        }
    };
    match outcome {
        Outcome::Answer(response) => {
            state.record(record(
                &method,
                path,
                peer,
                &headers,
                &body,
                response.status(),
            ));
            response
        }
        Outcome::Drop => {
            let mut recorded = record(&method, path, peer, &headers, &body, StatusCode::OK);
            recorded.status = 0;
            state.record(recorded);
            // Unwinding ends this connection's task, so the socket closes with no answer at
            // all; `resume_unwind` skips the panic hook, keeping test output clean.
            std::panic::resume_unwind(Box::new("fail-next-token: close"))
        }
    }
}
