//! Who the client is to an authorization server, in priority order (A13): a client the user
//! registered beforehand, a Client ID Metadata Document URL, or dynamic registration.

use super::client_auth::ClientAuthMethod;
use super::config::OAuth;
use super::discovery::ServerMetadata;
use super::http::AuthHttp;
use super::urls;
use crate::error::{AuthErrorKind, Error, Result};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Registration {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The token endpoint authentication method, as the authorization server accepted it.
    pub method: String,
    /// `preregistered`, `metadata_document` or `dynamic`.
    pub source: String,
    /// The authorization server this client belongs to (A16): never used with another.
    pub issuer: String,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("method", &self.method)
            .field("source", &self.source)
            .field("issuer", &self.issuer)
            .finish()
    }
}

pub(crate) const DYNAMIC: &str = "dynamic";

impl Registration {
    /// Whether a stored registration still fits the configuration and this server.
    pub fn usable_for(&self, configured_client_id: Option<&str>, issuer: &str) -> bool {
        if self.issuer != issuer {
            return false;
        }
        match (configured_client_id, self.source.as_str()) {
            (Some(id), _) => id == self.client_id,
            (None, "preregistered") => false,
            (None, _) => true,
        }
    }
}

fn failed(message: impl Into<String>) -> Error {
    Error::auth(AuthErrorKind::Failed, message)
}

/// A registration for `server`, made or chosen now.
pub(crate) async fn register(
    http: &AuthHttp,
    config: &OAuth,
    server: &ServerMetadata,
    redirect_uri: &Url,
    scope: Option<&str>,
) -> Result<Registration> {
    let issuer = server.issuer.clone();
    if let Some(client_id) = &config.client_id {
        let method = super::client_auth::select_method(
            None,
            config.client_secret.is_some(),
            false,
            server.token_endpoint_auth_methods.as_deref(),
        );
        return Ok(Registration {
            client_id: client_id.clone(),
            client_secret: config.client_secret.clone(),
            method: method.as_str().into(),
            source: "preregistered".into(),
            issuer,
        });
    }
    if let Some(document) = &config.client_metadata_url {
        if server.client_id_metadata_document_supported {
            check_metadata_document_url(document)?;
            return Ok(Registration {
                client_id: document.clone(),
                client_secret: None,
                method: "none".into(),
                source: "metadata_document".into(),
                issuer,
            });
        }
    }
    let Some(endpoint) = &server.registration_endpoint else {
        return Err(failed(format!(
            "the authorization server {} offers no dynamic client registration{}: register an \
             OAuth app with it and pass its client_id (and client_secret)",
            server.issuer,
            if config.client_metadata_url.is_some() {
                " and does not accept client metadata documents"
            } else {
                ""
            }
        )));
    };
    let mut body = json!({
        "client_name": config.client_name,
        "redirect_uris": [redirect_uri.as_str()],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": urls::application_type(redirect_uri),
    });
    if let Some(scope) = scope {
        body["scope"] = scope.into();
    }
    let answer = http.post_json(endpoint, &body).await?;
    if !answer.status.is_success() {
        let error = answer.json.get("error").and_then(Value::as_str);
        let description = answer.json.get("error_description").and_then(Value::as_str);
        let mut e = crate::error::AuthError::new(
            AuthErrorKind::Failed,
            format!(
                "dynamic client registration at {endpoint} was refused with HTTP {}",
                answer.status.as_u16()
            ),
        );
        e.error = error.map(str::to_owned);
        e.error_description = description.map(str::to_owned);
        return Err(e.into());
    }
    let answer = answer.json;
    let client_id = answer
        .get("client_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| failed("dynamic client registration answered without a client_id"))?;
    let client_secret = answer
        .get("client_secret")
        .and_then(Value::as_str)
        .map(str::to_owned);
    // The server may assign another method than the one asked for (RFC 7591 §3.2.1).
    let method = match answer
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        Some(name) => name
            .parse::<ClientAuthMethod>()
            .map_err(|e| failed(format!("dynamic client registration: {e}")))?,
        None if client_secret.is_some() => ClientAuthMethod::ClientSecretBasic,
        None => ClientAuthMethod::None,
    };
    let needs_secret = matches!(
        method,
        ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost
    );
    if needs_secret && client_secret.is_none() {
        return Err(failed(format!(
            "dynamic client registration assigned {method} but issued no client_secret"
        )));
    }
    if method == ClientAuthMethod::PrivateKeyJwt {
        return Err(failed(
            "dynamic client registration assigned private_key_jwt, which needs a key this client does not have",
        ));
    }
    Ok(Registration {
        client_id: client_id.to_owned(),
        client_secret,
        method: method.as_str().into(),
        source: DYNAMIC.into(),
        issuer,
    })
}

/// A14: an https URL with a path, and nothing that could make two URLs name one document.
fn check_metadata_document_url(text: &str) -> Result<()> {
    let url = Url::parse(text)
        .map_err(|e| Error::invalid_argument(format!("client_metadata_url {text:?}: {e}")))?;
    let fine = url.scheme() == "https"
        && url.path() != "/"
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && !text.contains("/../")
        && !text.contains("/./");
    if fine {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "client_metadata_url must be an https URL with a path and no fragment or credentials, not {text:?}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_document_urls_are_checked() {
        assert!(check_metadata_document_url("https://app.example/client.json").is_ok());
        for bad in [
            "http://app.example/client.json",
            "https://app.example/",
            "https://app.example/c.json#x",
            "https://u:p@app.example/c.json",
        ] {
            assert!(check_metadata_document_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_registration_is_bound_to_its_issuer_and_configured_client() {
        let r = Registration {
            client_id: "dyn".into(),
            client_secret: None,
            method: "none".into(),
            source: DYNAMIC.into(),
            issuer: "https://as".into(),
        };
        assert!(r.usable_for(None, "https://as"));
        assert!(!r.usable_for(None, "https://other"));
        assert!(!r.usable_for(Some("mine"), "https://as"));
        assert!(r.usable_for(Some("dyn"), "https://as"));
        assert!(!format!(
            "{:?}",
            Registration {
                client_secret: Some("s3cret".into()),
                ..r
            }
        )
        .contains("s3cret"));
    }
}
