//! `/_admin/auth/...`: inspect and steer the authorization server from tests in any language.
//! Mounted only when the server runs with `auth`. JSON in and out (POST bodies, where there
//! are any, need `Content-Type: application/json`). Each route has a Rust twin on
//! [`crate::AuthState`] (`TestServer::auth()`).
//!
//! - `POST /_admin/auth/expire-tokens` → `{"expired": n}`: every access token issued so far is
//!   expired from now on (`/mcp` answers 401 `invalid_token`); later ones are fine.
//! - `POST /_admin/auth/fail-next-token` with `{"error": "invalid_grant", "error_description"?,
//!   "status"?}` (an OAuth error; status 400, or 401 for `invalid_client`), `{"status": 500}`
//!   (a non-OAuth error) or `{"close": true}` (the connection closes with no answer) → 204.
//!   Queued: each call fails one more token request.
//! - `POST /_admin/auth/fail-next-authorize` with `{"error": "access_denied",
//!   "error_description"?}` → 204: the next authorization redirects back with that error.
//! - `POST /_admin/auth/revoke-clients` → `{"revoked": n}`: every dynamically registered client
//!   (and its codes and refresh tokens) is forgotten, so its next token request gets
//!   `invalid_client`. Pre-registered clients stay.
//! - `POST /_admin/auth/switch-issuer` with `{"as_path": "/as2"}` (`null` or `""`: the origin)
//!   → `{"issuer_path": "/as2"}`: the PRM now names that issuer, served here with its own
//!   clients and tokens; `/mcp` stops accepting the previous issuer's tokens.
//! - `GET /_admin/auth/tool-scopes` → `{"tool": "scopes", ...}`; `POST` with
//!   `{"tool": "scope1 scope2"}` (`null` or `""` removes) sets scope needs at run time and
//!   answers the whole map.
//! - `GET /_admin/auth/stats` → [`crate::AuthStats`]: `{"registrations": n,
//!   "registration_requests": [body...], "authorizations": [{query param: value}...],
//!   "token_requests": [{"grant_type", "form": {...}, "auth": "basic|post|none|jwt",
//!   "client_id", "issuer", "status"}...], "refreshes": n, "issued_tokens": n,
//!   "access_tokens": [...]}`.
//! - `POST /_admin/auth/reset-stats` → 204.

use super::{AuthState, AuthorizeFailure, TokenFailure};
use crate::http::{json_response, plain};
use crate::state::State;
use axum::body::Body;
use axum::extract::State as Shared;
use axum::http::{Response, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) fn routes(router: Router<Arc<State>>) -> Router<Arc<State>> {
    router
        .route("/_admin/auth/expire-tokens", post(expire_tokens))
        .route("/_admin/auth/fail-next-token", post(fail_next_token))
        .route(
            "/_admin/auth/fail-next-authorize",
            post(fail_next_authorize),
        )
        .route("/_admin/auth/revoke-clients", post(revoke_clients))
        .route("/_admin/auth/switch-issuer", post(switch_issuer))
        .route(
            "/_admin/auth/tool-scopes",
            get(tool_scopes).post(set_tool_scopes),
        )
        .route("/_admin/auth/stats", get(stats))
        .route("/_admin/auth/reset-stats", post(reset_stats))
}

fn auth(state: &State) -> &AuthState {
    state
        .auth()
        .expect("auth admin routes are mounted only with auth on")
}

async fn expire_tokens(Shared(state): Shared<Arc<State>>) -> Json<Value> {
    Json(json!({"expired": auth(&state).expire_tokens()}))
}

async fn fail_next_token(
    Shared(state): Shared<Arc<State>>,
    Json(failure): Json<TokenFailure>,
) -> StatusCode {
    auth(&state).fail_next_token(failure);
    StatusCode::NO_CONTENT
}

async fn fail_next_authorize(
    Shared(state): Shared<Arc<State>>,
    Json(failure): Json<AuthorizeFailure>,
) -> StatusCode {
    auth(&state).fail_next_authorize(failure);
    StatusCode::NO_CONTENT
}

async fn revoke_clients(Shared(state): Shared<Arc<State>>) -> Json<Value> {
    Json(json!({"revoked": auth(&state).revoke_clients()}))
}

async fn switch_issuer(
    Shared(state): Shared<Arc<State>>,
    Json(body): Json<Value>,
) -> Response<Body> {
    let path = body.get("as_path").and_then(Value::as_str);
    match auth(&state).switch_issuer(path) {
        Ok(path) => json_response(StatusCode::OK, &json!({"issuer_path": path})),
        Err(problem) => plain(StatusCode::BAD_REQUEST, &problem),
    }
}

async fn tool_scopes(Shared(state): Shared<Arc<State>>) -> Json<Value> {
    Json(json!(auth(&state).tool_scopes()))
}

async fn set_tool_scopes(
    Shared(state): Shared<Arc<State>>,
    Json(body): Json<Value>,
) -> Response<Body> {
    let Some(map) = body.as_object() else {
        return plain(StatusCode::BAD_REQUEST, "expected {\"tool\": \"scopes\"}");
    };
    if map.values().any(|v| !(v.is_string() || v.is_null())) {
        return plain(StatusCode::BAD_REQUEST, "scopes must be strings or null");
    }
    let auth = auth(&state);
    for (tool, scopes) in map {
        auth.set_tool_scope(tool, scopes.as_str());
    }
    json_response(StatusCode::OK, &json!(auth.tool_scopes()))
}

async fn stats(Shared(state): Shared<Arc<State>>) -> Json<Value> {
    Json(json!(auth(&state).stats()))
}

async fn reset_stats(Shared(state): Shared<Arc<State>>) -> StatusCode {
    auth(&state).reset_stats();
    StatusCode::NO_CONTENT
}
