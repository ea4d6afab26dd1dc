//! RFC 5424 severities as MCP names them, and which log messages a request may receive: all
//! of them in the session era (the client set a level for the session), only those at or
//! above the request's own `logLevel` in the modern era, none when it set no level.

use serde_json::Value;

/// Least to most severe.
pub const LOG_LEVELS: [&str; 8] = [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

fn severity(level: &str) -> Option<usize> {
    LOG_LEVELS.iter().position(|l| *l == level)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogGate {
    All,
    Off,
    AtLeast(usize),
}

impl LogGate {
    /// The gate for a modern request's `logLevel`; `Err` if it names no level.
    pub fn for_level(level: Option<&Value>) -> Result<Self, ()> {
        match level {
            None => Ok(Self::Off),
            Some(v) => v.as_str().and_then(severity).map(Self::AtLeast).ok_or(()),
        }
    }

    pub fn admits(self, level: &str) -> bool {
        match self {
            Self::All => true,
            Self::Off => false,
            Self::AtLeast(min) => severity(level).is_some_and(|s| s >= min),
        }
    }

    /// Whether `message` may go out: anything but a log message below the gate.
    pub fn passes(self, message: &Value) -> bool {
        if message.get("method").and_then(Value::as_str) != Some("notifications/message") {
            return true;
        }
        let level = message
            .pointer("/params/level")
            .and_then(Value::as_str)
            .unwrap_or("");
        self.admits(level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gates_by_severity() {
        let info = LogGate::for_level(Some(&json!("info"))).unwrap();
        assert!(info.admits("info") && info.admits("error") && !info.admits("debug"));
        assert!(!LogGate::for_level(None).unwrap().admits("emergency"));
        assert!(LogGate::for_level(Some(&json!("loud"))).is_err());
        assert!(LogGate::for_level(Some(&json!(3))).is_err());
        let log = json!({"method": "notifications/message", "params": {"level": "debug"}});
        assert!(!info.passes(&log) && LogGate::All.passes(&log));
        assert!(LogGate::Off.passes(&json!({"method": "notifications/progress"})));
    }
}
