//! Finding who authorizes for an MCP server: its Protected Resource Metadata (RFC 9728), then
//! its authorization server's metadata (RFC 8414 or OpenID Connect Discovery), checked before
//! anything is sent to that server.

use super::challenge::BearerChallenge;
use super::http::AuthHttp;
use super::urls;
use crate::error::{shown_url, AuthErrorKind, Error, Result};
use reqwest::{StatusCode, Url};
use serde_json::Value;

/// What discovery found, all of it already checked.
#[derive(Debug, Clone)]
pub(crate) struct Discovered {
    /// The `resource` parameter sent on every authorization and token request.
    pub resource: String,
    /// The Protected Resource Metadata's `scopes_supported`.
    pub resource_scopes: Option<Vec<String>>,
    pub server: ServerMetadata,
}

/// The authorization server metadata fields the flow uses.
#[derive(Debug, Clone)]
pub(crate) struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub registration_endpoint: Option<Url>,
    pub scopes_supported: Option<Vec<String>>,
    pub token_endpoint_auth_methods: Option<Vec<String>>,
    pub code_challenge_methods: Option<Vec<String>>,
    pub client_id_metadata_document_supported: bool,
    pub iss_parameter_supported: bool,
    /// Found as an OpenID Connect provider (asking it for `offline_access` needs consent).
    pub openid: bool,
}

fn failed(message: impl Into<String>) -> Error {
    Error::auth(AuthErrorKind::Failed, message)
}

/// Discovers the authorization server for `server_url`. `legacy` allows revision
/// 2025-03-26's guesses when the server publishes no resource metadata.
pub(crate) async fn discover(
    http: &AuthHttp,
    server_url: &Url,
    challenge: Option<&BearerChallenge>,
    legacy: bool,
) -> Result<Discovered> {
    let Some(prm) = resource_metadata(http, server_url, challenge).await? else {
        if legacy {
            return legacy_discovery(http, server_url).await;
        }
        return Err(failed(format!(
            "{} publishes no OAuth Protected Resource Metadata, so its authorization server is unknown",
            shown_url(server_url)
        )));
    };
    let resource = prm
        .get("resource")
        .and_then(Value::as_str)
        .ok_or_else(|| failed("the Protected Resource Metadata has no resource"))?;
    // Before anything is sent to an authorization server (A7): a document naming another
    // resource would have us obtain tokens for it.
    if !urls::resource_allowed(resource, server_url) {
        return Err(failed(format!(
            "the Protected Resource Metadata is for {resource}, not for {}",
            shown_url(server_url)
        )));
    }
    let issuer = prm
        .get("authorization_servers")
        .and_then(Value::as_array)
        .and_then(|list| list.iter().find_map(Value::as_str))
        .ok_or_else(|| failed("the Protected Resource Metadata names no authorization server"))?;
    let server = server_metadata(http, issuer).await?;
    Ok(Discovered {
        resource: resource.to_owned(),
        resource_scopes: strings(prm.get("scopes_supported")),
        server,
    })
}

/// The first usable Protected Resource Metadata document: the challenge's
/// `resource_metadata` URLs, then the path-based and root well-known URLs. Any 4xx moves on
/// (CDNs answer 401 or 403 for unknown paths); `Ok(None)` when none exists.
async fn resource_metadata(
    http: &AuthHttp,
    server_url: &Url,
    challenge: Option<&BearerChallenge>,
) -> Result<Option<Value>> {
    let announced = challenge
        .map(|c| c.resource_metadata.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|u| server_url.join(u.trim()).ok());
    let mut candidates: Vec<Url> = announced.collect();
    for url in urls::protected_resource_metadata_urls(server_url) {
        if !candidates.contains(&url) {
            candidates.push(url);
        }
    }
    for url in candidates {
        if let Some(doc) = fetch_document(http, &url).await? {
            if doc.get("resource").is_some() {
                return Ok(Some(doc));
            }
        }
    }
    Ok(None)
}

/// The authorization server's metadata, from the well-known URLs its issuer gives, in order.
pub(crate) async fn server_metadata(http: &AuthHttp, issuer: &str) -> Result<ServerMetadata> {
    let issuer_url = Url::parse(issuer).map_err(|e| {
        failed(format!(
            "authorization server issuer {issuer:?} is no URL: {e}"
        ))
    })?;
    urls::require_secure(&issuer_url, "authorization server").map_err(failed)?;
    for url in urls::authorization_server_metadata_urls(&issuer_url) {
        let Some(doc) = fetch_document(http, &url).await? else {
            continue;
        };
        let claimed = doc.get("issuer").and_then(Value::as_str).unwrap_or("");
        // RFC 8414 §3.3: metadata naming another issuer must not be used, lest one server
        // speak for another.
        if !urls::issuer_matches(claimed, issuer) {
            return Err(failed(format!(
                "the authorization server metadata at {url} names issuer {claimed:?}, not {issuer:?}"
            )));
        }
        let openid = url.path().contains("openid-configuration");
        return parse_server_metadata(&doc, issuer, openid);
    }
    Err(failed(format!(
        "authorization server {issuer} publishes no metadata (RFC 8414 or OpenID Connect)"
    )))
}

pub(crate) fn parse_server_metadata(
    doc: &Value,
    issuer: &str,
    openid: bool,
) -> Result<ServerMetadata> {
    let endpoint = |name: &str, what: &str| -> Result<Option<Url>> {
        let Some(text) = doc.get(name).and_then(Value::as_str) else {
            return Ok(None);
        };
        let url =
            Url::parse(text).map_err(|e| failed(format!("the {what} {text:?} is no URL: {e}")))?;
        urls::require_secure(&url, what).map_err(failed)?;
        Ok(Some(url))
    };
    let required = |name: &str, what: &str| -> Result<Url> {
        endpoint(name, what)?
            .ok_or_else(|| failed(format!("the authorization server metadata has no {name}")))
    };
    Ok(ServerMetadata {
        issuer: issuer.to_owned(),
        authorization_endpoint: required("authorization_endpoint", "authorization endpoint")?,
        token_endpoint: required("token_endpoint", "token endpoint")?,
        registration_endpoint: endpoint("registration_endpoint", "registration endpoint")?,
        scopes_supported: strings(doc.get("scopes_supported")),
        token_endpoint_auth_methods: strings(doc.get("token_endpoint_auth_methods_supported")),
        code_challenge_methods: strings(doc.get("code_challenge_methods_supported")),
        client_id_metadata_document_supported: doc
            .get("client_id_metadata_document_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        iss_parameter_supported: doc
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        openid,
    })
}

/// Revision 2025-03-26: metadata at the MCP server's origin, or its default endpoints there.
/// There is no issuer to hold the metadata to, which is why this is opt-in.
async fn legacy_discovery(http: &AuthHttp, server_url: &Url) -> Result<Discovered> {
    let origin = server_url
        .join("/")
        .map_err(|e| failed(format!("no origin for {server_url}: {e}")))?;
    let issuer = origin.as_str().trim_end_matches('/').to_owned();
    let well_known = origin
        .join("/.well-known/oauth-authorization-server")
        .map_err(|e| failed(e.to_string()))?;
    let server = match fetch_document(http, &well_known).await? {
        Some(doc) => parse_server_metadata(&doc, &issuer, false)?,
        None => {
            let at = |path: &str| origin.join(path).map_err(|e| failed(e.to_string()));
            urls::require_secure(&origin, "authorization server").map_err(failed)?;
            ServerMetadata {
                issuer: issuer.clone(),
                authorization_endpoint: at("/authorize")?,
                token_endpoint: at("/token")?,
                registration_endpoint: Some(at("/register")?),
                scopes_supported: None,
                token_endpoint_auth_methods: None,
                code_challenge_methods: Some(vec!["S256".into()]),
                client_id_metadata_document_supported: false,
                iss_parameter_supported: false,
                openid: false,
            }
        }
    };
    Ok(Discovered {
        resource: urls::canonical_resource(server_url),
        resource_scopes: None,
        server,
    })
}

/// A JSON object at `url`, `None` when the URL has none (any 4xx, or a 502 from a gateway).
/// Other server errors and network failures stop discovery: guessing past them could pick
/// the wrong server.
async fn fetch_document(http: &AuthHttp, url: &Url) -> Result<Option<Value>> {
    let answer = http.get_json(url).await?;
    let status = answer.status;
    if status.is_success() {
        return Ok(answer.json.is_object().then_some(answer.json));
    }
    if status.is_client_error() || status == StatusCode::BAD_GATEWAY || status.is_redirection() {
        return Ok(None);
    }
    Err(failed(format!(
        "{} answered HTTP {} during authorization discovery",
        shown_url(url),
        status.as_u16()
    )))
}

fn strings(value: Option<&Value>) -> Option<Vec<String>> {
    let list = value?.as_array()?;
    Some(
        list.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    )
}
