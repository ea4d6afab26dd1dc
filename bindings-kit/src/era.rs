//! Verdicts as the bindings hand them over: `{"era": "legacy"}` or `{"era": "modern",
//! "version": "2026-07-28", "discover": {...}}`. `client.verdict` gives this shape and `prior=`
//! takes it back, so an application can save it (as JSON, say) between runs and skip the probe.

use mcpstream::{Error, Verdict};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Debug, Deserialize)]
#[serde(
    tag = "era",
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a verdict, {\"era\": \"legacy\"} or {\"era\": \"modern\", \"discover\": {...}}"
)]
pub enum SavedVerdict {
    Legacy {},
    Modern {
        /// Optional: a hand-written prior may leave it to the core to pick from `discover`.
        #[serde(default)]
        version: Option<String>,
        discover: Map<String, Value>,
    },
}

impl SavedVerdict {
    /// The core's verdict. The saved `DiscoverResult` is checked by the core as a probe's
    /// answer would be, so a stale or hand-edited one is refused here rather than on the wire.
    pub fn verdict(self) -> Result<Verdict, Error> {
        let (version, discover) = match self {
            Self::Legacy {} => return Ok(Verdict::Legacy),
            Self::Modern { version, discover } => (version, Value::Object(discover)),
        };
        Verdict::from_saved(version.as_deref(), discover).map_err(|e| match e {
            Error::InvalidArgument { message } => invalid(format!("prior: {message}")),
            other => other,
        })
    }
}

/// `client.verdict` for the bindings: the shape `prior=` takes back.
pub fn verdict_json(verdict: &Verdict) -> Value {
    match verdict {
        Verdict::Legacy => json!({"era": "legacy"}),
        Verdict::Modern { version, discover } => {
            json!({"era": "modern", "version": version, "discover": discover})
        }
    }
}

fn invalid(message: String) -> Error {
    Error::InvalidArgument { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discover() -> Value {
        json!({
            "supportedVersions": ["2026-07-28"],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "s", "version": "1"}
        })
    }

    fn read(value: Value) -> Result<Verdict, Error> {
        serde_json::from_value::<SavedVerdict>(value)
            .map_err(|e| invalid(e.to_string()))?
            .verdict()
    }

    #[test]
    fn verdicts_round_trip_through_json() {
        for verdict in [
            Verdict::Legacy,
            Verdict::Modern {
                version: "2026-07-28".into(),
                discover: discover(),
            },
        ] {
            let saved = verdict_json(&verdict);
            // As an application would keep it: JSON text.
            let text = serde_json::to_string(&saved).unwrap();
            assert_eq!(read(serde_json::from_str(&text).unwrap()).unwrap(), verdict);
        }
    }

    #[test]
    fn the_version_may_be_left_to_the_core() {
        match read(json!({"era": "modern", "discover": discover()})).unwrap() {
            Verdict::Modern { version, .. } => assert_eq!(version, "2026-07-28"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unusable_verdicts_are_refused() {
        for bad in [
            json!({"era": "modern", "version": "2026-07-28", "discover": {"supportedVersions": ["2025-11-25"]}}),
            json!({"era": "modern", "version": "2025-11-25", "discover": discover()}),
            json!({"era": "modern", "version": "2099-01-01", "discover": discover()}),
            json!({"era": "modern", "version": "2026-07-28"}),
            json!({"era": "modern", "version": "2026-07-28", "discover": []}),
            json!({"era": "legacy", "version": "2025-11-25"}),
            json!({"era": "sometimes"}),
            json!({}),
        ] {
            assert!(read(bad.clone()).is_err(), "{bad}");
        }
    }
}
