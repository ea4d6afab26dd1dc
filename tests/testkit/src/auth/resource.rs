//! The protected resource's side (RFC 6750, RFC 9728 §5.1): every request to `/mcp` (POST,
//! GET and DELETE) needs a live access token of the current issuer in the `Authorization`
//! header; a `tools/call` of a tool in the tool-scope map also needs that tool's scopes.
//! Refusals carry a `Bearer` challenge naming the PRM.

use super::{origin, prm_url, AuthState};
use crate::state::State;
use axum::body::Body;
use axum::http::{header, HeaderMap, Response, StatusCode};
use serde_json::{json, Value};

/// The refusal `/mcp` answers instead of serving the request, if any.
pub(crate) fn refusal(state: &State, headers: &HeaderMap, body: &[u8]) -> Option<Response<Body>> {
    let auth = state.auth()?;
    let challenge = Challenge {
        auth,
        prm: prm_url(&origin(headers)),
    };
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        let several = headers.get_all(header::AUTHORIZATION).iter().count() > 1;
        return Some(if several {
            challenge.refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Several Authorization headers",
                None,
            )
        } else {
            challenge.unauthorized("Missing Authorization header")
        });
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Some(challenge.unauthorized("The Authorization header is not a Bearer token"));
    };
    let granted = match auth.check_token(token) {
        Ok(scope) => scope,
        Err(why) => return Some(challenge.unauthorized(why)),
    };
    let needed = required_scopes(auth, body)?;
    let granted: Vec<&str> = granted.split_whitespace().collect();
    if needed.split_whitespace().all(|s| granted.contains(&s)) {
        return None;
    }
    Some(challenge.refuse(
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        "The access token lacks the scope this operation needs",
        Some(&needed),
    ))
}

/// The scopes the request needs beyond a valid token: a `tools/call` of a mapped tool.
fn required_scopes(auth: &AuthState, body: &[u8]) -> Option<String> {
    let message: Value = serde_json::from_slice(body).ok()?;
    if message.get("method").and_then(Value::as_str) != Some("tools/call") {
        return None;
    }
    let tool = message.pointer("/params/name").and_then(Value::as_str)?;
    auth.tool_scopes().remove(tool)
}

/// Quoted-string per RFC 9110 §5.6.4.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

struct Challenge<'a> {
    auth: &'a AuthState,
    prm: String,
}

impl Challenge<'_> {
    fn unauthorized(&self, description: &str) -> Response<Body> {
        let scope = self.auth.settings().challenge_scope.clone();
        self.refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            description,
            scope.as_deref(),
        )
    }

    fn refuse(
        &self,
        status: StatusCode,
        error: &str,
        description: &str,
        scope: Option<&str>,
    ) -> Response<Body> {
        let mut params = vec![
            format!("error={}", quoted(error)),
            format!("error_description={}", quoted(description)),
        ];
        if let Some(scope) = scope {
            params.push(format!("scope={}", quoted(scope)));
        }
        if self.auth.settings().prm_in_challenge {
            params.push(format!("resource_metadata={}", quoted(&self.prm)));
        }
        Response::builder()
            .status(status)
            .header(
                header::WWW_AUTHENTICATE,
                format!("Bearer {}", params.join(", ")),
            )
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"error": error, "error_description": description}).to_string(),
            ))
            .expect("static response")
    }
}
