//! How a reference server instance behaves. The binary maps its flags onto these fields.

use crate::auth::{settings::apply_flag, AuthSettings};
use crate::tls::TlsMode;

/// Protocol versions of the session era the reference server speaks, newest first.
pub const SUPPORTED_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];

/// The stateless era's version this server speaks unless told otherwise.
pub const MODERN_VERSION: &str = "2026-07-28";

/// Which protocol eras one server instance answers, so clients can be tested against dual-era,
/// modern-only and legacy-only servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerEra {
    #[default]
    Dual,
    /// `initialize` and every other session-era request get `-32022` (`--modern-only`).
    ModernOnly,
    /// No modern lane: modern requests get the session era's refusals (`--legacy-only`).
    LegacyOnly,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// No sessions: no `MCP-Session-Id`, no session checks, 405 on GET and DELETE.
    pub stateless: bool,
    /// Answer requests with `application/json` instead of an SSE stream.
    pub json_response: bool,
    /// Let clients end sessions with DELETE; `false` answers 405 (`--no-delete`).
    pub allow_delete: bool,
    /// Answer `initialize` with this version whatever the client asked (`--protocol-version`),
    /// to test a client against an older or unsupported server.
    pub forced_protocol_version: Option<String>,
    /// Items per page of `tools/list`, so that clients must follow `nextCursor`.
    pub page_size: usize,
    /// The `retry` hint (ms) in the priming event of every SSE response (`--retry-ms`).
    pub retry_ms: Option<u64>,
    /// Keep every request for `/_admin/requests`; off for benchmarks (`--no-record`), where the
    /// log would grow by every body sent.
    pub record_requests: bool,
    /// Wait this long before answering a standalone GET (`--get-delay-ms`), as a slow or
    /// distant server would: a client that sends requests before its stream is open loses
    /// whatever the server sends there meanwhile.
    pub get_delay_ms: u64,
    pub era: ServerEra,
    /// What `server/discover` offers and the modern lane accepts (`--modern-versions a,b`).
    pub modern_versions: Vec<String>,
    /// `ttlMs` of cacheable modern results (`--ttl-ms`); `None` leaves out both cache hints
    /// (`--omit-cache-hints`), as some deployed servers do, so clients can be tested for leniency.
    pub cache_ttl_ms: Option<u64>,
    /// `cacheScope` of cacheable modern results (`--cache-scope public|private`).
    pub cache_scope: String,
    /// An OAuth 2.1 authorization server on this origin, and `/mcp` as its protected
    /// resource (`--auth` and the `--auth-*` switches); `None` serves `/mcp` openly.
    pub auth: Option<AuthSettings>,
    /// HTTPS with the committed test certificate (`--tls`), and mTLS with a client certificate
    /// from the test CA required (`--tls-client-ca`). HTTP/2 is served either way.
    pub tls: TlsMode,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            stateless: false,
            json_response: false,
            allow_delete: true,
            forced_protocol_version: None,
            page_size: 2,
            retry_ms: None,
            record_requests: true,
            get_delay_ms: 0,
            era: ServerEra::Dual,
            modern_versions: vec![MODERN_VERSION.to_owned()],
            cache_ttl_ms: Some(0),
            cache_scope: "private".to_owned(),
            auth: None,
            tls: TlsMode::Off,
        }
    }
}

impl Config {
    /// Parses the binary's flags (everything after the program name). Returns the port too.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<(Self, u16), String> {
        let mut config = Self::default();
        let mut port = 0u16;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
            match arg.as_str() {
                "--stateless" => config.stateless = true,
                "--json" => config.json_response = true,
                "--no-delete" => config.allow_delete = false,
                "--no-record" => config.record_requests = false,
                "--tls" if config.tls == TlsMode::Off => config.tls = TlsMode::On,
                "--tls" => {}
                "--tls-client-ca" => config.tls = TlsMode::Mutual,
                "--port" => {
                    port = value("--port")?
                        .parse()
                        .map_err(|_| "--port takes a number from 0 to 65535".to_owned())?
                }
                "--protocol-version" => {
                    config.forced_protocol_version = Some(value("--protocol-version")?)
                }
                "--retry-ms" => {
                    config.retry_ms = Some(
                        value("--retry-ms")?
                            .parse()
                            .map_err(|_| "--retry-ms takes a number of milliseconds".to_owned())?,
                    )
                }
                "--get-delay-ms" => {
                    config.get_delay_ms = value("--get-delay-ms")?
                        .parse()
                        .map_err(|_| "--get-delay-ms takes a number of milliseconds".to_owned())?
                }
                "--page-size" => {
                    config.page_size = value("--page-size")?
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or("--page-size takes a positive number")?
                }
                "--modern-only" => config.era = ServerEra::ModernOnly,
                "--legacy-only" => config.era = ServerEra::LegacyOnly,
                "--modern-versions" => {
                    config.modern_versions = value("--modern-versions")?
                        .split(',')
                        .map(|v| v.trim().to_owned())
                        .filter(|v| !v.is_empty())
                        .collect();
                    if config.modern_versions.is_empty() {
                        return Err("--modern-versions takes a comma-separated list".into());
                    }
                }
                "--ttl-ms" => {
                    config.cache_ttl_ms = Some(
                        value("--ttl-ms")?
                            .parse()
                            .map_err(|_| "--ttl-ms takes a number of milliseconds".to_owned())?,
                    )
                }
                "--omit-cache-hints" => config.cache_ttl_ms = None,
                "--cache-scope" => {
                    config.cache_scope = value("--cache-scope")?;
                    if !matches!(config.cache_scope.as_str(), "public" | "private") {
                        return Err("--cache-scope takes public or private".into());
                    }
                }
                flag if flag == "--auth" || flag.starts_with("--auth-") => {
                    apply_flag(&mut config.auth, flag, &mut value)?
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok((config, port))
    }

    /// `https` when the server speaks TLS, `http` otherwise.
    pub fn scheme(&self) -> &'static str {
        match self.tls {
            TlsMode::Off => "http",
            TlsMode::On | TlsMode::Mutual => "https",
        }
    }

    pub fn accepts_version(&self, version: &str) -> bool {
        SUPPORTED_VERSIONS.contains(&version)
            || self.forced_protocol_version.as_deref() == Some(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_every_flag() {
        let (c, port) = Config::from_args(args(
            "--stateless --json --no-delete --port 8123 --protocol-version 2025-03-26 --page-size 3 --get-delay-ms 250",
        ))
        .unwrap();
        assert!(c.stateless && c.json_response && !c.allow_delete);
        assert_eq!(port, 8123);
        assert_eq!(c.forced_protocol_version.as_deref(), Some("2025-03-26"));
        assert_eq!(c.page_size, 3);
        assert_eq!(c.get_delay_ms, 250);
    }

    #[test]
    fn parses_the_era_flags() {
        let (c, _) = Config::from_args(args("")).unwrap();
        assert_eq!(c.era, ServerEra::Dual);
        assert_eq!(c.modern_versions, ["2026-07-28"]);
        assert_eq!(
            (c.cache_ttl_ms, c.cache_scope.as_str()),
            (Some(0), "private")
        );
        let (c, _) = Config::from_args(args(
            "--modern-only --modern-versions 2099-01-01,2026-07-28 --ttl-ms 5000 --cache-scope public",
        ))
        .unwrap();
        assert_eq!(c.era, ServerEra::ModernOnly);
        assert_eq!(c.modern_versions, ["2099-01-01", "2026-07-28"]);
        assert_eq!(
            (c.cache_ttl_ms, c.cache_scope.as_str()),
            (Some(5000), "public")
        );
        let (c, _) = Config::from_args(args("--legacy-only --omit-cache-hints")).unwrap();
        assert_eq!(c.era, ServerEra::LegacyOnly);
        assert_eq!(c.cache_ttl_ms, None);
    }

    #[test]
    fn parses_the_tls_flags() {
        let tls = |s: &str| Config::from_args(args(s)).unwrap().0.tls;
        assert_eq!(tls(""), TlsMode::Off);
        assert_eq!(tls("--tls"), TlsMode::On);
        assert_eq!(tls("--tls-client-ca"), TlsMode::Mutual);
        assert_eq!(tls("--tls-client-ca --tls"), TlsMode::Mutual);
        assert_eq!(
            Config::from_args(args("--tls")).unwrap().0.scheme(),
            "https"
        );
    }

    #[test]
    fn rejects_bad_flags() {
        assert!(Config::from_args(args("--modern-versions ,")).is_err());
        assert!(Config::from_args(args("--ttl-ms -1")).is_err());
        assert!(Config::from_args(args("--cache-scope shared")).is_err());
        assert!(Config::from_args(args("--port")).is_err());
        assert!(Config::from_args(args("--port x")).is_err());
        assert!(Config::from_args(args("--page-size 0")).is_err());
        assert!(Config::from_args(args("--get-delay-ms soon")).is_err());
        assert!(Config::from_args(args("--verbose")).is_err());
    }
}
