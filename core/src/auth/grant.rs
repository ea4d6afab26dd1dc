//! What is kept in the token store: per (resource, authorization server issuer), the client
//! registration and the current grant (tokens and what renewing them needs); per MCP endpoint,
//! which of those it last used, so a new process sends the stored token at once.

use super::discovery::Discovered;
use super::registration::Registration;
use super::store::TokenStore;
use super::token::{now_unix, TokenSet};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

/// A token and everything needed to use and renew it without discovering again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Grant {
    pub resource: String,
    pub issuer: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub auth_methods: Option<Vec<String>>,
    pub client: Registration,
    pub tokens: TokenSet,
    /// The scope this grant was asked for (step-up widens from it).
    #[serde(default)]
    pub requested_scope: Option<String>,
}

impl Grant {
    pub fn new(
        discovered: &Discovered,
        client: Registration,
        tokens: TokenSet,
        requested_scope: Option<String>,
    ) -> Self {
        Self {
            resource: discovered.resource.clone(),
            issuer: discovered.server.issuer.clone(),
            token_endpoint: discovered.server.token_endpoint.to_string(),
            auth_methods: discovered.server.token_endpoint_auth_methods.clone(),
            client,
            tokens,
            requested_scope,
        }
    }
}

/// The store as the authorizer sees it. Failures of the store are logged, never fatal: a
/// request can go on with the token in memory.
pub(crate) struct StoredGrants {
    store: Arc<dyn TokenStore>,
    endpoint_key: String,
}

#[derive(Default, Serialize, Deserialize)]
struct Entry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client: Option<Registration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grant: Option<Grant>,
}

fn entry_key(resource: &str, issuer: &str) -> String {
    format!("{resource}|{issuer}")
}

impl StoredGrants {
    pub fn new(store: Arc<dyn TokenStore>, server: &Url) -> Self {
        let mut endpoint = server.clone();
        endpoint.set_fragment(None);
        Self {
            store,
            endpoint_key: format!("endpoint|{endpoint}"),
        }
    }

    async fn load_value(&self, key: &str) -> Option<Value> {
        match self.store.load(key).await {
            Ok(value) => value,
            Err(e) => {
                log::warn!("reading the token store failed: {e}");
                None
            }
        }
    }

    async fn save_value(&self, key: &str, value: Value) {
        if let Err(e) = self.store.save(key, &value).await {
            log::warn!("writing the token store failed: {e}");
        }
    }

    async fn entry(&self, resource: &str, issuer: &str) -> Entry {
        self.load_value(&entry_key(resource, issuer))
            .await
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    }

    async fn put(&self, resource: &str, issuer: &str, entry: &Entry) {
        let key = entry_key(resource, issuer);
        if entry.client.is_none() && entry.grant.is_none() {
            if let Err(e) = self.store.delete(&key).await {
                log::warn!("writing the token store failed: {e}");
            }
            return;
        }
        let value = serde_json::to_value(entry).unwrap_or(Value::Null);
        self.save_value(&key, value).await;
    }

    /// The grant this endpoint used last, if the store still has it.
    pub async fn load_for_endpoint(&self) -> Option<Grant> {
        let pointer = self.load_value(&self.endpoint_key).await?;
        let resource = pointer.get("resource")?.as_str()?;
        let issuer = pointer.get("issuer")?.as_str()?;
        self.entry(resource, issuer).await.grant
    }

    /// A grant another process stored after `ours` (it refreshed first), if it is usable.
    pub async fn newer_than(&self, ours: &Grant) -> Option<Grant> {
        let stored = self.entry(&ours.resource, &ours.issuer).await.grant?;
        let replaced = stored.tokens.access_token != ours.tokens.access_token
            && stored.tokens.refresh_token != ours.tokens.refresh_token
            && stored.client == ours.client;
        (replaced && !stored.tokens.expiring(now_unix())).then_some(stored)
    }

    pub async fn save(&self, grant: &Grant) {
        let entry = Entry {
            client: Some(grant.client.clone()),
            grant: Some(grant.clone()),
        };
        self.put(&grant.resource, &grant.issuer, &entry).await;
        let pointer = json!({"resource": grant.resource, "issuer": grant.issuer});
        self.save_value(&self.endpoint_key, pointer).await;
    }

    pub async fn registration(&self, discovered: &Discovered) -> Option<Registration> {
        self.entry(&discovered.resource, &discovered.server.issuer)
            .await
            .client
    }

    /// Keeps a fresh dynamic registration even if the user never finishes authorizing, so
    /// the next attempt does not register yet another client.
    pub async fn save_registration(&self, discovered: &Discovered, client: &Registration) {
        let (resource, issuer) = (&discovered.resource, &discovered.server.issuer);
        let mut entry = self.entry(resource, issuer).await;
        if entry.grant.as_ref().is_some_and(|g| g.client != *client) {
            entry.grant = None;
        }
        entry.client = Some(client.clone());
        self.put(resource, issuer, &entry).await;
    }

    pub async fn forget_registration(&self, discovered: &Discovered) {
        let entry = Entry::default();
        self.put(&discovered.resource, &discovered.server.issuer, &entry)
            .await;
    }

    /// Drops tokens the authorization server refused (and the client, if it refused that),
    /// unless another process replaced them meanwhile.
    pub async fn discard(&self, refused: &Grant, forget_client: bool) {
        let mut entry = self.entry(&refused.resource, &refused.issuer).await;
        let still_ours = entry
            .grant
            .as_ref()
            .is_none_or(|g| g.tokens == refused.tokens);
        if !still_ours {
            return;
        }
        entry.grant = None;
        if forget_client && entry.client.as_ref() == Some(&refused.client) {
            entry.client = None;
        }
        self.put(&refused.resource, &refused.issuer, &entry).await;
    }
}
