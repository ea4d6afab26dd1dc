//! Authorization as the bindings pass it: the settings of `OAuth(...)` or
//! `ClientCredentials(...)` as a JSON object (the `auth` option), and the language's own
//! objects (the `on_authorize` callable, a custom token store) as hooks that deal in text.

use mcpstream::auth::{
    Auth, AuthorizeHandler, ClientCredentials, FileTokenStore, MemoryTokenStore, OAuth,
    StoreFuture, TokenStore,
};
use mcpstream::handlers::BoxFuture;
use mcpstream::Error;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The `auth` option.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthSpec {
    #[serde(rename = "oauth")]
    OAuth {
        client_name: String,
        redirect_uri: String,
        #[serde(default)]
        client_id: Option<String>,
        #[serde(default)]
        client_secret: Option<String>,
        #[serde(default)]
        client_metadata_url: Option<String>,
        #[serde(default)]
        scopes: Option<String>,
        #[serde(default)]
        legacy_discovery: Option<bool>,
        #[serde(default)]
        max_step_ups: Option<u32>,
        #[serde(default)]
        authorization_timeout: Option<f64>,
        #[serde(default)]
        token_store: Option<StoreSpec>,
    },
    ClientCredentials {
        client_id: String,
        #[serde(default)]
        client_secret: Option<String>,
        #[serde(default)]
        private_key_pem: Option<String>,
        #[serde(default)]
        algorithm: Option<String>,
        #[serde(default)]
        scopes: Option<String>,
        #[serde(default)]
        token_store: Option<StoreSpec>,
    },
}

/// Which store: the core's own (`memory`, `file`), or the application's object (`custom`,
/// reached through [`AuthHooks::store`]).
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StoreSpec {
    Memory {},
    File { path: String },
    Custom {},
}

/// One call on an application's token store; values travel as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreCall {
    Load { key: String },
    Save { key: String, value: String },
    Delete { key: String },
}

/// Runs a [`StoreCall`] in the language (off the runtime's threads); `Load` answers the
/// stored JSON text or `None`, the others `None`.
pub type StoreHook =
    Arc<dyn Fn(StoreCall) -> BoxFuture<Result<Option<String>, String>> + Send + Sync>;

/// What only the binding can supply.
#[derive(Default, Clone)]
pub struct AuthHooks {
    pub on_authorize: Option<AuthorizeHandler>,
    pub store: Option<StoreHook>,
}

struct HookStore(StoreHook);

impl TokenStore for HookStore {
    fn load(&self, key: &str) -> StoreFuture<Option<Value>> {
        let call = (self.0)(StoreCall::Load { key: key.into() });
        Box::pin(async move {
            match call.await? {
                None => Ok(None),
                Some(text) => serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|e| format!("the token store's load() returned unusable JSON: {e}")),
            }
        })
    }

    fn save(&self, key: &str, value: &Value) -> StoreFuture<()> {
        let call = (self.0)(StoreCall::Save {
            key: key.into(),
            value: value.to_string(),
        });
        Box::pin(async move { call.await.map(drop) })
    }

    fn delete(&self, key: &str) -> StoreFuture<()> {
        let call = (self.0)(StoreCall::Delete { key: key.into() });
        Box::pin(async move { call.await.map(drop) })
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidArgument {
        message: message.into(),
    }
}

fn store(spec: Option<StoreSpec>, hook: Option<StoreHook>) -> Result<Arc<dyn TokenStore>, Error> {
    Ok(match spec {
        None | Some(StoreSpec::Memory {}) => Arc::new(MemoryTokenStore::new()),
        Some(StoreSpec::File { path }) => Arc::new(FileTokenStore::new(path)),
        Some(StoreSpec::Custom {}) => {
            Arc::new(HookStore(hook.ok_or_else(|| {
                invalid("token_store: a custom store needs its object")
            })?))
        }
    })
}

impl AuthSpec {
    pub fn into_auth(self, hooks: AuthHooks) -> Result<Auth, Error> {
        Ok(match self {
            Self::OAuth {
                client_name,
                redirect_uri,
                client_id,
                client_secret,
                client_metadata_url,
                scopes,
                legacy_discovery,
                max_step_ups,
                authorization_timeout,
                token_store,
            } => {
                let mut o = OAuth::new(client_name, redirect_uri);
                o.on_authorize = hooks.on_authorize;
                o.client_id = client_id;
                o.client_secret = client_secret;
                o.client_metadata_url = client_metadata_url;
                o.scopes = scopes;
                o.token_store = store(token_store, hooks.store)?;
                if let Some(legacy) = legacy_discovery {
                    o.legacy_discovery = legacy;
                }
                if let Some(n) = max_step_ups {
                    o.max_step_ups = n;
                }
                if let Some(secs) = authorization_timeout {
                    if !(secs.is_finite() && secs > 0.0) {
                        return Err(invalid(
                            "authorization_timeout must be a positive number of seconds",
                        ));
                    }
                    o.authorization_timeout = Duration::from_secs_f64(secs);
                }
                Auth::OAuth(o)
            }
            Self::ClientCredentials {
                client_id,
                client_secret,
                private_key_pem,
                algorithm,
                scopes,
                token_store,
            } => {
                if client_secret.is_some() == private_key_pem.is_some() {
                    return Err(invalid(
                        "ClientCredentials needs exactly one of client_secret and private_key_pem",
                    ));
                }
                let mut c = match (client_secret, private_key_pem) {
                    (Some(secret), _) => ClientCredentials::with_secret(client_id, secret),
                    (_, Some(pem)) => ClientCredentials::with_private_key(
                        client_id,
                        pem,
                        algorithm.unwrap_or_else(|| "ES256".into()),
                    ),
                    _ => unreachable!("checked above"),
                };
                c.scopes = scopes;
                c.token_store = store(token_store, hooks.store)?;
                Auth::ClientCredentials(c)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(value: Value) -> Result<AuthSpec, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn oauth_settings_arrive_by_name() {
        let auth = spec(json!({"kind": "oauth", "client_name": "A", "redirect_uri":
            "http://127.0.0.1:0/cb", "scopes": "a b", "max_step_ups": 2,
            "token_store": {"kind": "file", "path": "/tmp/x.json"}}))
        .unwrap()
        .into_auth(AuthHooks::default())
        .unwrap();
        let Auth::OAuth(o) = auth else { panic!() };
        assert_eq!(o.scopes.as_deref(), Some("a b"));
        assert_eq!(o.max_step_ups, 2);
        assert!(spec(
            json!({"kind": "oauth", "client_name": "A", "redirect_uri": "x",
            "scope": "typo"})
        )
        .is_err());
    }

    #[test]
    fn client_credentials_need_one_proof() {
        for both_or_none in [
            json!({"kind": "client_credentials", "client_id": "c"}),
            json!({"kind": "client_credentials", "client_id": "c", "client_secret": "s",
                   "private_key_pem": "k"}),
        ] {
            let e = spec(both_or_none)
                .unwrap()
                .into_auth(AuthHooks::default())
                .unwrap_err();
            assert!(matches!(e, Error::InvalidArgument { .. }));
        }
    }

    #[test]
    fn a_custom_store_needs_its_hook() {
        let e = spec(json!({"kind": "client_credentials", "client_id": "c",
            "client_secret": "s", "token_store": {"kind": "custom"}}))
        .unwrap()
        .into_auth(AuthHooks::default())
        .unwrap_err();
        assert!(e.to_string().contains("custom store"));
    }
}
