//! Which protocol era a server speaks, and how the client finds out: the `server/discover`
//! probe's verdict, the option that picks or skips it, and the per-endpoint memory of verdicts.
//!
//! Decisions (docs/eras.md has the long form):
//! - Modern: a `DiscoverResult` offering a version we speak, or `-32022` naming one (probe
//!   once more with it).
//! - Legacy: any other JSON-RPC error (whatever the HTTP status, below 500), a 4xx without a
//!   JSON-RPC body, a result that is not a usable `DiscoverResult`. That includes `-32020` and
//!   `-32021`: on `server/discover` they mean headers were altered on the way or the server
//!   is confused, and a dual-era server still takes `initialize`. A modern-only server then
//!   refuses `initialize` with `-32022`, and that error names both answers.
//! - Neither, an error: 401/403 (authorization, never era evidence), 5xx (an outage),
//!   connection failures and timeouts (silence is not a legacy server).

use crate::error::Error;
use crate::session::SUPPORTED_PROTOCOL_VERSIONS;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Modern revisions the client speaks, newest first.
pub const MODERN_PROTOCOL_VERSIONS: &[&str] = &["2026-07-28"];

/// `-32020`: a standard header is missing or differs from the body.
pub const HEADER_MISMATCH: i64 = -32020;
/// `-32021`: the server needs a client capability the request did not declare.
pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i64 = -32021;
/// `-32022`: the server does not speak the requested version; `data.supported` lists its own.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// The two eras of the Streamable HTTP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Era {
    /// 2025-03-26 … 2025-11-25: `initialize`, sessions, the GET stream, DELETE.
    Legacy,
    /// 2026-07-28 and later: stateless; every request carries its protocol fields.
    Modern,
}

impl Era {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::Modern => "modern",
        }
    }
}

/// How `connect()` picks the era.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum EraChoice {
    /// Probe with `server/discover`, fall back to `initialize` when the server is legacy.
    #[default]
    Auto,
    /// `initialize` only, as before the modern era existed.
    Legacy,
    /// This modern version, via `server/discover`, with no fallback.
    Modern(String),
}

impl std::str::FromStr for EraChoice {
    type Err = Error;

    /// The names the bindings use: `auto`, `legacy`, `modern` (the newest modern version), or a
    /// modern version such as `2026-07-28`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "auto" => Ok(Self::Auto),
            "legacy" => Ok(Self::Legacy),
            "modern" => Ok(Self::Modern(MODERN_PROTOCOL_VERSIONS[0].to_owned())),
            v if MODERN_PROTOCOL_VERSIONS.contains(&v) => Ok(Self::Modern(v.to_owned())),
            other => Err(Error::invalid_argument(format!(
                "era must be auto, legacy, modern or a modern protocol version ({}), not {other:?}",
                MODERN_PROTOCOL_VERSIONS.join(", ")
            ))),
        }
    }
}

/// What an application learnt about a server earlier (e.g. saved from `Client::verdict`), so
/// `connect()` need not probe again.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Legacy,
    /// The version to speak and the server's `DiscoverResult`.
    Modern {
        version: String,
        discover: Value,
    },
}

impl Verdict {
    pub fn era(&self) -> Era {
        match self {
            Self::Legacy => Era::Legacy,
            Self::Modern { .. } => Era::Modern,
        }
    }

    /// A modern verdict from a saved `DiscoverResult`, checked as a probe's would be.
    pub fn from_discover_result(discover: Value) -> Result<Self, Error> {
        match classify_result(discover) {
            Classified::Modern(v) => Ok(v),
            _ => Err(Error::invalid_argument(
                "the saved discover result offers no protocol version mcpstream speaks",
            )),
        }
    }
}

impl Verdict {
    /// A modern verdict from a saved `DiscoverResult` and, if it was saved too, the version
    /// chosen then: both must still be something mcpstream and that result offer.
    pub fn from_saved(version: Option<&str>, discover: Value) -> Result<Self, Error> {
        let offered = supported_versions(Some(&discover));
        let checked = Self::from_discover_result(discover)?;
        let (Some(version), Self::Modern { discover, .. }) = (version, &checked) else {
            return Ok(checked);
        };
        let spoken = MODERN_PROTOCOL_VERSIONS.contains(&version);
        if !spoken || !offered.iter().any(|v| v == version) {
            return Err(Error::invalid_argument(format!(
                "version {version:?} is not one both mcpstream and the saved discover result offer"
            )));
        }
        Ok(Self::Modern {
            version: version.to_owned(),
            discover: discover.clone(),
        })
    }
}

/// What one probe answer says.
#[derive(Debug)]
pub(crate) enum Classified {
    Modern(Verdict),
    Legacy,
    /// `-32022` naming a modern version we speak: probe once more with it.
    ProbeAgainWith(String),
    /// Not an era: the error to report.
    Fail(Error),
}

/// Classifies the outcome of a `server/discover` probe.
pub(crate) fn classify(outcome: Result<Value, Error>) -> Classified {
    match outcome {
        Ok(result) => classify_result(result),
        Err(Error::Rpc {
            code: UNSUPPORTED_PROTOCOL_VERSION,
            message,
            data,
        }) => {
            let supported = supported_versions(data.as_ref());
            if let Some(mutual) = first_modern(&supported) {
                return Classified::ProbeAgainWith(mutual);
            }
            let modern_only =
                !supported.is_empty() && supported.iter().all(|v| !is_legacy_version(v));
            if modern_only {
                Classified::Fail(Error::Rpc {
                    code: UNSUPPORTED_PROTOCOL_VERSION,
                    message: format!(
                        "{message} (the server speaks only {}; mcpstream speaks {} and {})",
                        supported.join(", "),
                        MODERN_PROTOCOL_VERSIONS.join(", "),
                        SUPPORTED_PROTOCOL_VERSIONS.join(", ")
                    ),
                    data,
                })
            } else {
                Classified::Legacy
            }
        }
        Err(Error::Rpc { .. }) => Classified::Legacy,
        Err(e @ Error::Http { status, .. }) if status == 401 || status == 403 || status >= 500 => {
            Classified::Fail(e)
        }
        Err(Error::Http { .. }) => Classified::Legacy,
        // A 200 that is not JSON-RPC at all is no modern server.
        Err(Error::Protocol { .. }) => Classified::Legacy,
        Err(e) => Classified::Fail(e),
    }
}

fn classify_result(result: Value) -> Classified {
    let offered = supported_versions(Some(&result));
    match first_modern(&offered) {
        Some(version) => Classified::Modern(Verdict::Modern {
            version,
            discover: result,
        }),
        // Go's stateful servers answer discover with legacy versions only.
        None => Classified::Legacy,
    }
}

fn supported_versions(data: Option<&Value>) -> Vec<String> {
    data.and_then(|d| {
        d.get("supportedVersions")
            .or_else(|| d.get("supported"))
            .and_then(Value::as_array)
    })
    .map(|list| {
        list.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// Our most preferred modern version among `offered`.
fn first_modern(offered: &[String]) -> Option<String> {
    MODERN_PROTOCOL_VERSIONS
        .iter()
        .find(|ours| offered.iter().any(|v| v == *ours))
        .map(|v| (*v).to_owned())
}

fn is_legacy_version(version: &str) -> bool {
    // Every legacy revision predates the modern era's first one.
    version < MODERN_PROTOCOL_VERSIONS[MODERN_PROTOCOL_VERSIONS.len() - 1]
}

/// The verdicts of this process, by endpoint. Keyed by the URL without query or fragment
/// rather than by origin alone: one origin often hosts several MCP servers under different
/// paths, and they need not share an era.
static VERDICTS: Mutex<Option<HashMap<String, Verdict>>> = Mutex::new(None);

pub(crate) fn endpoint_key(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

pub(crate) fn remembered(endpoint: &str) -> Option<Verdict> {
    let verdicts = VERDICTS.lock().unwrap_or_else(|p| p.into_inner());
    verdicts.as_ref()?.get(endpoint).cloned()
}

pub(crate) fn remember(endpoint: &str, verdict: &Verdict) {
    let mut verdicts = VERDICTS.lock().unwrap_or_else(|p| p.into_inner());
    verdicts
        .get_or_insert_with(HashMap::new)
        .insert(endpoint.to_owned(), verdict.clone());
}

pub(crate) fn forget(endpoint: &str) {
    let mut verdicts = VERDICTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(map) = verdicts.as_mut() {
        map.remove(endpoint);
    }
}

/// Forgets what this process learnt about the server at `url` (its next client probes again).
pub fn forget_verdict(url: &str) -> Result<(), Error> {
    let url = crate::transport::parse_endpoint(url)?;
    forget(&endpoint_key(&url));
    Ok(())
}

/// The probe's own time limit: a live server answers `server/discover` at once, and a long
/// wait there delays every connect to a legacy server.
pub(crate) fn probe_limit(probe_timeout: Duration, request_timeout: Duration) -> Duration {
    probe_timeout.min(request_timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::HttpErrorKind;
    use serde_json::json;

    fn rpc(code: i64, data: Option<Value>) -> Result<Value, Error> {
        Err(Error::Rpc {
            code,
            message: "m".into(),
            data,
        })
    }

    fn http(status: u16) -> Result<Value, Error> {
        Err(Error::Http {
            status,
            kind: HttpErrorKind::from_status(status),
            body: String::new(),
            method: "POST".into(),
            url: "http://h/mcp".into(),
        })
    }

    #[test]
    fn a_discover_result_with_a_mutual_version_is_modern() {
        let result = json!({"supportedVersions": ["2099-01-01", "2026-07-28"], "capabilities": {}});
        match classify(Ok(result.clone())) {
            Classified::Modern(Verdict::Modern { version, discover }) => {
                assert_eq!(version, "2026-07-28");
                assert_eq!(discover, result);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(Ok(json!({"supportedVersions": ["2025-11-25"]}))),
            Classified::Legacy
        ));
        assert!(matches!(classify(Ok(json!({}))), Classified::Legacy));
    }

    #[test]
    fn unsupported_version_decides_by_its_list() {
        let mutual = json!({"supported": ["2026-07-28"], "requested": "2026-07-28"});
        assert!(matches!(
            classify(rpc(-32022, Some(mutual))),
            Classified::ProbeAgainWith(v) if v == "2026-07-28"
        ));
        let legacy_only = json!({"supported": ["2025-06-18", "2025-11-25"]});
        assert!(matches!(
            classify(rpc(-32022, Some(legacy_only))),
            Classified::Legacy
        ));
        let future_only = json!({"supported": ["2099-01-01"]});
        match classify(rpc(-32022, Some(future_only))) {
            Classified::Fail(e) => assert!(e.to_string().contains("2099-01-01"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(classify(rpc(-32022, None)), Classified::Legacy));
    }

    #[test]
    fn other_refusals_are_legacy_but_auth_outages_and_silence_are_errors() {
        for code in [-32000, -32600, -32601, -32602, -32001, -32020, -32021] {
            assert!(
                matches!(classify(rpc(code, None)), Classified::Legacy),
                "{code}"
            );
        }
        for status in [400, 404, 405, 406, 415] {
            assert!(matches!(classify(http(status)), Classified::Legacy));
        }
        for status in [401, 403, 500, 502, 503] {
            assert!(
                matches!(classify(http(status)), Classified::Fail(_)),
                "{status}"
            );
        }
        let timeout = Err(Error::Timeout {
            after: Duration::from_secs(1),
        });
        assert!(matches!(classify(timeout), Classified::Fail(_)));
        assert!(matches!(
            classify(Err(Error::transport("refused"))),
            Classified::Fail(_)
        ));
    }

    #[test]
    fn saved_verdicts_are_checked_as_probes_are() {
        let discover = json!({"supportedVersions": ["2026-07-28"], "capabilities": {}});
        assert!(matches!(
            Verdict::from_saved(None, discover.clone()),
            Ok(Verdict::Modern { version, .. }) if version == "2026-07-28"
        ));
        assert!(Verdict::from_saved(Some("2026-07-28"), discover.clone()).is_ok());
        assert!(Verdict::from_saved(Some("2099-01-01"), discover).is_err());
        let legacy_only = json!({"supportedVersions": ["2025-11-25"]});
        assert!(Verdict::from_saved(None, legacy_only).is_err());
    }

    #[test]
    fn era_choices_parse_by_name() {
        assert_eq!("auto".parse::<EraChoice>().unwrap(), EraChoice::Auto);
        assert_eq!("legacy".parse::<EraChoice>().unwrap(), EraChoice::Legacy);
        assert_eq!(
            "2026-07-28".parse::<EraChoice>().unwrap(),
            EraChoice::Modern("2026-07-28".into())
        );
        assert!("2025-11-25".parse::<EraChoice>().is_err());
        assert_eq!(
            "modern".parse::<EraChoice>().unwrap(),
            EraChoice::Modern(MODERN_PROTOCOL_VERSIONS[0].into())
        );
        assert!("2099-01-01".parse::<EraChoice>().is_err());
    }

    #[test]
    fn endpoints_ignore_query_and_fragment() {
        let a = reqwest::Url::parse("http://h:1/mcp?x=1#f").unwrap();
        let b = reqwest::Url::parse("http://h:1/mcp").unwrap();
        assert_eq!(endpoint_key(&a), endpoint_key(&b));
    }
}
