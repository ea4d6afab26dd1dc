//! `connect()`'s first question, which era the server speaks: answered by the application
//! (`prior`), by an earlier client of this process, or by a `server/discover` probe; then the
//! connection opens in that era. Classification rules are in `era.rs`.

use crate::client::Client;
use crate::era::{self, Classified, Era, EraChoice, Verdict, MODERN_PROTOCOL_VERSIONS};
use crate::error::{Error, Result};
use crate::jsonrpc;
use crate::modern::{self, Envelope};
use crate::options::RequestOptions;
use crate::session::Session;
use bytes::Bytes;
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl Client {
    /// Opens the connection in the era the options ask for. Returns the opening result
    /// (`InitializeResult` or `DiscoverResult`) and what was established.
    pub(crate) async fn open(&self) -> Result<(Value, Arc<Session>)> {
        let opts = &self.inner.options;
        let endpoint = self.endpoint();
        match &opts.era {
            EraChoice::Legacy => self.initialize().await,
            EraChoice::Modern(pinned) => {
                let verdict = match &opts.prior {
                    Some(prior @ Verdict::Modern { .. }) => prior.clone(),
                    _ => self.probe_pinned(pinned).await?,
                };
                Ok(self.adopt(verdict, false))
            }
            EraChoice::Auto => {
                match opts.prior.clone().or_else(|| era::remembered(&endpoint)) {
                    Some(Verdict::Legacy) => match self.initialize().await {
                        // The server went modern-only since: probe again, once.
                        Err(e) if refuses_legacy(&e) => {
                            era::forget(&endpoint);
                            self.probe_and_open().await
                        }
                        other => other,
                    },
                    Some(modern) => Ok(self.adopt(modern, true)),
                    None => self.probe_and_open().await,
                }
            }
        }
    }

    fn endpoint(&self) -> String {
        era::endpoint_key(self.inner.transport.url())
    }

    async fn probe_and_open(&self) -> Result<(Value, Arc<Session>)> {
        let (verdict, refusal) = self.probe().await?;
        era::remember(&self.endpoint(), &verdict);
        match verdict {
            Verdict::Legacy => self.initialize().await.map_err(|e| match (e, refusal) {
                (e @ Error::Rpc { .. }, Some(refusal)) if refuses_legacy(&e) => {
                    explain(e, &format!("server/discover was refused first: {refusal}"))
                }
                (e, _) => e,
            }),
            modern => Ok(self.adopt(modern, false)),
        }
    }

    /// The `auto` probe: a verdict, and for a legacy one the probe's refusal (to explain a
    /// later failure).
    async fn probe(&self) -> Result<(Verdict, Option<Error>)> {
        let mut version = MODERN_PROTOCOL_VERSIONS[0].to_owned();
        let mut asked_again = false;
        loop {
            let outcome = self.discover(&version).await;
            let refusal = outcome.as_ref().err().cloned();
            match era::classify(outcome) {
                Classified::Modern(verdict) => {
                    log::debug!("server/discover answered: the modern era");
                    return Ok((verdict, None));
                }
                Classified::Legacy => {
                    if let Some(refusal) = &refusal {
                        log::debug!("server/discover refused ({refusal}): the session era");
                    }
                    return Ok((Verdict::Legacy, refusal));
                }
                Classified::ProbeAgainWith(mutual) if !asked_again => {
                    asked_again = true;
                    version = mutual;
                }
                Classified::ProbeAgainWith(_) => {
                    return Err(explain(
                        refusal.expect("a -32022 is an error"),
                        &format!(
                        "the server refused protocol version {version} twice although it lists it"
                    ),
                    ))
                }
                Classified::Fail(e) => return Err(e),
            }
        }
    }

    /// A pinned version: the server must offer it; there is no fallback.
    async fn probe_pinned(&self, pinned: &str) -> Result<Verdict> {
        let mut asked_again = false;
        loop {
            let outcome = self.discover(pinned).await;
            let refusal = outcome.as_ref().err().cloned();
            match era::classify(outcome) {
                Classified::Modern(Verdict::Modern { discover, .. }) => {
                    return Ok(Verdict::Modern {
                        version: pinned.to_owned(),
                        discover,
                    })
                }
                Classified::ProbeAgainWith(v) if v == pinned && !asked_again => asked_again = true,
                Classified::Fail(e) => return Err(e),
                _ => {
                    let said = refusal.map_or_else(
                        || "a discover result without it".to_owned(),
                        |e| e.to_string(),
                    );
                    return Err(Error::protocol(format!(
                        "the server did not offer protocol version {pinned} via server/discover (era pinned, no fallback to initialize): {said}"
                    )));
                }
            }
        }
    }

    /// One `server/discover` at `version`, under the probe's own time limit.
    async fn discover(&self, version: &str) -> Result<Value> {
        let provisional = Arc::new(Session {
            era: Era::Modern,
            id: None,
            protocol_version: version.to_owned(),
            opening_result: Value::Null,
        });
        let opts = &self.inner.options;
        let envelope = Envelope {
            version,
            capabilities: &self.inner.capabilities,
            client_info: &opts.client_info,
            log_level: None,
        };
        let params = envelope.wrap(None);
        let headers = modern::standard_headers("server/discover", &params)?;
        let id = self.next_id();
        let body = Bytes::from(jsonrpc::request_body(&id, "server/discover", Some(params)));
        let limit = era::probe_limit(opts.probe_timeout, opts.timeout);
        let request = RequestOptions::timeout(limit);
        let outcome = self
            .attempt(Some(provisional), &id, body, &headers, &request)
            .await
            .outcome;
        match modern::outcome(outcome?)? {
            modern::Outcome::Complete(result) => Ok(result),
            modern::Outcome::InputRequired(_) => Err(Error::protocol(
                "server/discover was answered with input_required",
            )),
        }
    }

    /// Starts speaking the modern era. `unproven`: the verdict came from a cache or the
    /// application, not from this server just now.
    fn adopt(&self, verdict: Verdict, unproven: bool) -> (Value, Arc<Session>) {
        let Verdict::Modern { version, discover } = verdict else {
            unreachable!("only modern verdicts are adopted");
        };
        *crate::client::lock(&self.inner.tools) = None;
        self.inner.cache.clear();
        self.inner
            .verdict_unproven
            .store(unproven, Ordering::Relaxed);
        let session = self.inner.session.establish(Session {
            era: Era::Modern,
            id: None,
            protocol_version: version,
            opening_result: discover.clone(),
        });
        (discover, session)
    }

    /// After a modern request failed: if the modern verdict was only remembered and the
    /// answer looks like a legacy server's, forget it and connect afresh (once). Returns
    /// whether the client reconnected, so the caller may send its request again.
    pub(crate) async fn reconnect_if_disproved(&self, failure: &Error) -> Result<bool> {
        if !looks_legacy(failure) || !self.inner.verdict_unproven.swap(false, Ordering::Relaxed) {
            return Ok(false);
        }
        era::forget(&self.endpoint());
        log::info!("the remembered modern era was wrong ({failure}); probing again");
        let (_, session) = self.probe_and_open().await?;
        self.session_changed(
            None,
            session.id.clone(),
            crate::SessionChangeReason::Connected,
        );
        Ok(true)
    }

    /// The modern verdict held up: a request succeeded.
    pub(crate) fn verdict_proven(&self) {
        self.inner.verdict_unproven.store(false, Ordering::Relaxed);
    }
}

/// `initialize` refused by a modern-only server: `-32022` listing only modern versions.
fn refuses_legacy(e: &Error) -> bool {
    let Error::Rpc {
        code: era::UNSUPPORTED_PROTOCOL_VERSION,
        data,
        ..
    } = e
    else {
        return false;
    };
    let supported = data
        .as_ref()
        .and_then(|d| d.get("supported"))
        .and_then(Value::as_array);
    supported.is_some_and(|list| {
        list.iter()
            .filter_map(Value::as_str)
            .any(|v| MODERN_PROTOCOL_VERSIONS.contains(&v))
    })
}

/// An answer no modern server gives to a well-formed request: a 400/404/405 without a
/// JSON-RPC body, or one of the codes legacy servers use for "no session".
fn looks_legacy(e: &Error) -> bool {
    match e {
        Error::Http { status, .. } => matches!(status, 400 | 404 | 405),
        Error::Rpc { code, .. } => (-32019..=-32000).contains(code) || *code == -32600,
        _ => false,
    }
}

fn explain(e: Error, context: &str) -> Error {
    match e {
        Error::Rpc {
            code,
            message,
            data,
        } => Error::Rpc {
            code,
            message: format!("{message} ({context})"),
            data,
        },
        Error::Protocol { message } => Error::protocol(format!("{message} ({context})")),
        other => other,
    }
}
