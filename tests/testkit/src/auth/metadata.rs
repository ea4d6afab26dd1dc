//! The discovery documents: Protected Resource Metadata (RFC 9728) for `/mcp`, and the
//! authorization server metadata (RFC 8414, or OpenID Connect Discovery with `openid_only`),
//! with the switches that make them wrong in the ways clients must notice.

use super::state::AuthState;
use crate::http::json_response;
use axum::body::Body;
use axum::http::{Response, StatusCode};
use serde_json::{json, Value};

/// The resource clients must name (`resource`): the PRM's, `<origin>/mcp` unless overridden.
pub(crate) fn resource_uri(auth: &AuthState, origin: &str) -> String {
    auth.settings()
        .prm_resource
        .clone()
        .unwrap_or_else(|| format!("{origin}/mcp"))
}

pub(crate) fn issuer_url(origin: &str, issuer_path: &str) -> String {
    format!("{origin}{issuer_path}")
}

/// `path_based`: asked at `/.well-known/oauth-protected-resource/mcp` rather than the root.
pub(crate) fn protected_resource(
    auth: &AuthState,
    origin: &str,
    path_based: bool,
) -> Response<Body> {
    let settings = auth.settings();
    if let Some(status) = settings.prm_path_status.filter(|_| path_based) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND);
        return json_response(status, &json!({"error": "not served here"}));
    }
    let mut document = json!({
        "resource": resource_uri(auth, origin),
        "authorization_servers": [issuer_url(origin, &auth.issuer_path())],
        "bearer_methods_supported": ["header"],
    });
    if let Some(scopes) = &settings.prm_scopes_supported {
        document["scopes_supported"] = json!(scopes);
    }
    json_response(StatusCode::OK, &document)
}

pub(crate) fn authorization_server(
    auth: &AuthState,
    origin: &str,
    issuer_path: &str,
) -> Response<Body> {
    json_response(StatusCode::OK, &as_document(auth, origin, issuer_path))
}

fn as_document(auth: &AuthState, origin: &str, issuer_path: &str) -> Value {
    let settings = auth.settings();
    let issuer = issuer_url(origin, issuer_path);
    let endpoint_base = if settings.insecure_endpoints {
        format!("http://auth.invalid{issuer_path}")
    } else {
        issuer.clone()
    };
    let advertised_issuer = if settings.metadata_issuer_mismatch {
        format!("{issuer}/mismatch")
    } else {
        issuer
    };
    let mut document = json!({
        "issuer": advertised_issuer,
        "authorization_endpoint": format!("{endpoint_base}/authorize"),
        "token_endpoint": format!("{endpoint_base}/token"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": settings.token_auth_methods,
    });
    if settings.registration_enabled {
        document["registration_endpoint"] = json!(format!("{endpoint_base}/register"));
    }
    if settings.pkce_advertised {
        document["code_challenge_methods_supported"] = json!(["S256"]);
    }
    if let Some(scopes) = &settings.as_scopes_supported {
        document["scopes_supported"] = json!(scopes);
    }
    if settings.iss_advertised {
        document["authorization_response_iss_parameter_supported"] = json!(true);
    }
    if settings.cimd_supported {
        document["client_id_metadata_document_supported"] = json!(true);
    }
    if settings.openid_only {
        // The fields OpenID Connect Discovery requires on top of RFC 8414's.
        document["jwks_uri"] = json!(format!("{endpoint_base}/jwks"));
        document["subject_types_supported"] = json!(["public"]);
        document["id_token_signing_alg_values_supported"] = json!(["RS256"]);
    }
    document
}
