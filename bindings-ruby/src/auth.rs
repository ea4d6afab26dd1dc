//! Authorization's Ruby objects (the `on_authorize` callable and an application's token
//! store) as the binding kit's text-only hooks. Each call is a job for the client's Ruby
//! dispatcher, which runs it on a Ruby thread of its own (`lib/mcpstream/client.rb`): Ruby
//! never runs on a runtime thread, and a Ruby thread waiting for the call that needed the
//! token waits with the GVL released, so the job's thread gets to run meanwhile.

use crate::jobs::{Answer, Jobs};
use mcpstream::auth::AuthorizeHandler;
use mcpstream_binding_kit::{AuthHooks, StoreCall, StoreHook};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// A token store answers at once or is broken; the core bounds `on_authorize` itself
/// (`authorization_timeout`).
const STORE_TIMEOUT: Duration = Duration::from_secs(60);

/// The Ruby side's answer: `{"result": text-or-null}` or `{"raised": {"class", "message"}}`.
fn outcome(what: &str, answer: Option<Answer>) -> Result<Option<String>, String> {
    let answer = answer.ok_or_else(|| format!("the Ruby {what} did not answer"))?;
    let answer: Value = serde_json::from_str(&answer)
        .map_err(|e| format!("the Ruby {what}'s answer is unusable: {e}"))?;
    if let Some(raised) = answer.get("raised") {
        let text = |field: &str| raised.get(field).and_then(Value::as_str).unwrap_or("");
        return Err(format!("{}: {}", text("class"), text("message")));
    }
    Ok(answer
        .get("result")
        .and_then(Value::as_str)
        .map(str::to_owned))
}

fn authorize_handler(jobs: Arc<Jobs>) -> AuthorizeHandler {
    Arc::new(move |url: String| {
        let jobs = jobs.clone();
        Box::pin(async move {
            let answer = jobs.ask("authorize", (Some(url), None, None), None).await;
            outcome("on_authorize", answer)
        })
    })
}

/// The job's fields are the method's name, the key and (for `save`) the JSON text.
fn store_hook(jobs: Arc<Jobs>) -> StoreHook {
    Arc::new(move |call: StoreCall| {
        let jobs = jobs.clone();
        Box::pin(async move {
            let (method, key, value) = match call {
                StoreCall::Load { key } => ("load", key, None),
                StoreCall::Save { key, value } => ("save", key, Some(value)),
                StoreCall::Delete { key } => ("delete", key, None),
            };
            let fields = (Some(method.to_owned()), Some(key), value);
            let answer = jobs.ask("token_store", fields, Some(STORE_TIMEOUT)).await;
            outcome(&format!("token store's {method}"), answer)
        })
    })
}

/// Hooks for the kinds the Ruby side has objects for: `authorize` and `token_store`.
pub fn hooks(jobs: &Arc<Jobs>, kinds: &[String]) -> AuthHooks {
    let has = |k: &str| kinds.iter().any(|x| x == k);
    AuthHooks {
        on_authorize: has("authorize").then(|| authorize_handler(jobs.clone())),
        store: has("token_store").then(|| store_hook(jobs.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_text_or_errors() {
        let ok = |text: &str| outcome("x", Some(text.into()));
        assert_eq!(
            ok(r#"{"result":"http://a/cb"}"#),
            Ok(Some("http://a/cb".into()))
        );
        assert_eq!(ok(r#"{"result":null}"#), Ok(None));
        assert_eq!(
            ok(r#"{"raised":{"class":"KeyError","message":"gone"}}"#),
            Err("KeyError: gone".into())
        );
        assert!(outcome("on_authorize", None)
            .unwrap_err()
            .contains("on_authorize did not answer"));
    }
}
