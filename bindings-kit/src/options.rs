//! Client options as the bindings pass them: a JSON object with the user's keyword arguments
//! under their own names. Anything left out takes the core's default, so the defaults exist
//! once; an unknown name or a mistyped value is refused with the name in the message.

use crate::auth::{AuthHooks, AuthSpec};
use crate::era::SavedVerdict;
use crate::operation::{describe_serde_error, seconds};
use mcpstream::{ClientOptions, Error, Handlers, NetworkOptions, ProxyChoice};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingOptions {
    pub headers: Option<BTreeMap<String, String>>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub close_timeout: Option<f64>,
    pub max_request_time: Option<f64>,
    pub max_response_bytes: Option<usize>,
    pub client_info: Option<Map<String, Value>>,
    pub on_session_expired: Option<String>,
    pub standalone_stream: Option<bool>,
    pub standalone_open_timeout: Option<f64>,
    /// `auto`, `legacy`, `modern` or a modern version; read by the core's own parser.
    pub era: Option<String>,
    pub prior: Option<SavedVerdict>,
    pub probe_timeout: Option<f64>,
    pub max_input_rounds: Option<u32>,
    /// `OAuth(...)` or `ClientCredentials(...)`; its callables come as [`AuthHooks`].
    pub auth: Option<AuthSpec>,
    /// `auto`, `http1` or `http2` (prior knowledge).
    pub http_version: Option<String>,
    /// A PEM file of CA certificates trusted besides the system roots.
    pub ca_file: Option<String>,
    /// CA certificates (PEM text) trusted besides the system roots.
    pub ca_pem: Option<String>,
    /// Mutual TLS: the client certificate's PEM file, and its key's (if not in the same file).
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub danger_skip_tls_verify: Option<bool>,
    /// Absent or `"env"`: the environment's proxy settings; `null`: no proxy; else its URL.
    #[serde(default, deserialize_with = "present")]
    pub proxy: Option<Option<String>>,
    /// Seconds an idle pooled connection is kept.
    pub idle_timeout: Option<f64>,
    /// Seconds between TCP keepalive probes on idle connections; 0 turns them off.
    pub tcp_keepalive: Option<f64>,
}

/// Tells a `null` apart from a missing field: `Some(None)` for `null`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

impl BindingOptions {
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let reader = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(reader).map_err(|e| {
            let path = e.path().to_string();
            let message = describe_serde_error(e.inner());
            Error::InvalidArgument {
                message: if path == "." {
                    message
                } else {
                    format!("{path}: {message}")
                },
            }
        })
    }

    /// The core's options with these settings over its defaults.
    pub fn client_options(
        self,
        handlers: Handlers,
        auth_hooks: AuthHooks,
    ) -> Result<ClientOptions, Error> {
        let mut opts = ClientOptions::default().handlers(handlers);
        self.network(&mut opts.network)?;
        if let Some(auth) = self.auth {
            opts.auth = Some(auth.into_auth(auth_hooks)?);
        }
        if let Some(headers) = self.headers {
            opts.headers = headers.into_iter().collect();
        }
        set(&mut opts.timeout, positive("timeout", self.timeout)?);
        set(
            &mut opts.connect_timeout,
            positive("connect_timeout", self.connect_timeout)?,
        );
        set(
            &mut opts.close_timeout,
            positive("close_timeout", self.close_timeout)?,
        );
        set(
            &mut opts.max_request_time,
            positive("max_request_time", self.max_request_time)?,
        );
        set(
            &mut opts.standalone_open_timeout,
            seconds("standalone_open_timeout", self.standalone_open_timeout)?,
        );
        if let Some(bytes) = self.max_response_bytes {
            if bytes == 0 {
                return Err(invalid("max_response_bytes must be positive"));
            }
            opts.max_response_bytes = bytes;
        }
        if let Some(info) = self.client_info {
            if !["name", "version"]
                .iter()
                .all(|k| info.get(*k).is_some_and(Value::is_string))
            {
                return Err(invalid(
                    "client_info needs \"name\" and \"version\" strings",
                ));
            }
            opts.client_info = Value::Object(info);
        }
        if let Some(policy) = self.on_session_expired {
            opts.on_session_expired = policy.parse()?;
        }
        set(&mut opts.standalone_stream, self.standalone_stream);
        if let Some(era) = self.era {
            opts.era = era.parse()?;
        }
        if let Some(prior) = self.prior {
            opts.prior = Some(prior.verdict()?);
        }
        set(
            &mut opts.probe_timeout,
            positive("probe_timeout", self.probe_timeout)?,
        );
        if let Some(rounds) = self.max_input_rounds {
            if rounds == 0 {
                return Err(invalid("max_input_rounds must be positive"));
            }
            opts.max_input_rounds = rounds;
        }
        Ok(opts)
    }

    fn network(&self, net: &mut NetworkOptions) -> Result<(), Error> {
        if let Some(version) = &self.http_version {
            net.http_version = version.parse()?;
        }
        net.tls
            .ca_files
            .extend(self.ca_file.iter().map(PathBuf::from));
        net.tls.ca_pems.extend(self.ca_pem.iter().cloned());
        net.tls.client_cert = self.client_cert.as_ref().map(PathBuf::from);
        net.tls.client_key = self.client_key.as_ref().map(PathBuf::from);
        set(&mut net.tls.danger_skip_verify, self.danger_skip_tls_verify);
        net.proxy = match &self.proxy {
            None => ProxyChoice::Env,
            Some(None) => ProxyChoice::Disabled,
            Some(Some(env)) if env == "env" => ProxyChoice::Env,
            Some(Some(url)) => ProxyChoice::Url(url.clone()),
        };
        set(
            &mut net.pool_idle_timeout,
            positive("idle_timeout", self.idle_timeout)?,
        );
        if let Some(keepalive) = seconds("tcp_keepalive", self.tcp_keepalive)? {
            net.tcp_keepalive = (!keepalive.is_zero()).then_some(keepalive);
        }
        Ok(())
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn invalid(message: &str) -> Error {
    Error::InvalidArgument {
        message: message.to_owned(),
    }
}

fn positive(name: &str, secs: Option<f64>) -> Result<Option<Duration>, Error> {
    match seconds(name, secs)? {
        Some(d) if d.is_zero() => Err(invalid(&format!(
            "{name} must be a positive number of seconds"
        ))),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::era::verdict_json;
    use mcpstream::{EraChoice, Verdict};
    use serde_json::json;

    fn build(text: &str) -> Result<ClientOptions, Error> {
        BindingOptions::from_json(text)?.client_options(Handlers::default(), AuthHooks::default())
    }

    #[test]
    fn left_out_means_the_core_default() {
        let opts = build("{}").unwrap();
        let core = ClientOptions::default();
        assert_eq!(opts.timeout, core.timeout);
        assert_eq!(opts.close_timeout, core.close_timeout);
        assert_eq!(opts.max_response_bytes, core.max_response_bytes);
        assert_eq!(opts.standalone_open_timeout, core.standalone_open_timeout);
        assert_eq!(opts.era, core.era);
        assert_eq!(opts.prior, core.prior);
        assert_eq!(opts.probe_timeout, core.probe_timeout);
        assert_eq!(opts.max_input_rounds, core.max_input_rounds);
        let opts = build(r#"{"timeout": null, "headers": null}"#).unwrap();
        assert_eq!(opts.timeout, core.timeout);
    }

    #[test]
    fn network_settings_by_name_and_a_null_proxy_turns_proxies_off() {
        let opts = build(
            r#"{"http_version": "http2", "ca_file": "/ca.pem", "client_cert": "/c.pem",
                "danger_skip_tls_verify": true, "proxy": "http://u:p@127.0.0.1:3128",
                "idle_timeout": 5, "tcp_keepalive": 0}"#,
        )
        .unwrap();
        let net = &opts.network;
        assert_eq!(net.http_version, mcpstream::HttpVersion::Http2);
        assert_eq!(net.tls.ca_files, vec![PathBuf::from("/ca.pem")]);
        assert_eq!(net.tls.client_cert, Some(PathBuf::from("/c.pem")));
        assert!(net.tls.danger_skip_verify);
        assert_eq!(
            net.proxy,
            ProxyChoice::Url("http://u:p@127.0.0.1:3128".into())
        );
        assert_eq!(net.pool_idle_timeout, Duration::from_secs(5));
        assert_eq!(net.tcp_keepalive, None);
        let proxy = |text: &str| build(text).unwrap().network.proxy;
        assert_eq!(proxy("{}"), ProxyChoice::Env);
        assert_eq!(proxy(r#"{"proxy": "env"}"#), ProxyChoice::Env);
        assert_eq!(proxy(r#"{"proxy": null}"#), ProxyChoice::Disabled);
        assert!(build(r#"{"http_version": "3"}"#).is_err());
    }

    #[test]
    fn settings_are_applied_by_name() {
        let opts = build(
            r#"{"timeout": 2.5, "headers": {"X-A": "1"}, "on_session_expired": "retry",
                "standalone_stream": false, "client_info": {"name": "n", "version": "1"},
                "standalone_open_timeout": 0}"#,
        )
        .unwrap();
        assert_eq!(opts.timeout, Duration::from_millis(2500));
        assert_eq!(opts.headers, vec![("X-A".to_owned(), "1".to_owned())]);
        assert_eq!(
            opts.on_session_expired,
            mcpstream::SessionExpiryPolicy::ReinitializeAndRetry
        );
        assert!(!opts.standalone_stream);
        assert_eq!(opts.client_info["name"], "n");
        assert!(
            opts.standalone_open_timeout.is_zero(),
            "zero: do not wait for the stream"
        );
    }

    #[test]
    fn eras_are_chosen_by_name() {
        for (name, era) in [
            ("auto", EraChoice::Auto),
            ("legacy", EraChoice::Legacy),
            ("modern", EraChoice::Modern("2026-07-28".into())),
            ("2026-07-28", EraChoice::Modern("2026-07-28".into())),
        ] {
            let opts = build(&format!(r#"{{"era": "{name}"}}"#)).unwrap();
            assert_eq!(opts.era, era, "{name}");
        }
        let opts = build(r#"{"probe_timeout": 0.5, "max_input_rounds": 3}"#).unwrap();
        assert_eq!(opts.probe_timeout, Duration::from_millis(500));
        assert_eq!(opts.max_input_rounds, 3);
    }

    #[test]
    fn a_verdict_handed_out_comes_back_as_prior() {
        let verdict = Verdict::Modern {
            version: "2026-07-28".into(),
            discover: json!({"supportedVersions": ["2026-07-28"], "capabilities": {}}),
        };
        let options = json!({"prior": verdict_json(&verdict)}).to_string();
        assert_eq!(build(&options).unwrap().prior, Some(verdict));
        let options = json!({"prior": verdict_json(&Verdict::Legacy)}).to_string();
        assert_eq!(build(&options).unwrap().prior, Some(Verdict::Legacy));
    }

    #[test]
    fn mistakes_are_refused_with_their_name() {
        for (text, name) in [
            (r#"{"timeout": 0}"#, "timeout"),
            (r#"{"close_timeout": -1}"#, "close_timeout"),
            (r#"{"timeuot": 1}"#, "timeuot"),
            (
                r#"{"on_session_expired": "sometimes"}"#,
                "on_session_expired",
            ),
            (r#"{"client_info": {"name": "x"}}"#, "client_info"),
            (r#"{"max_response_bytes": 0}"#, "max_response_bytes"),
            (r#"{"headers": {"X": 1}}"#, "headers.X: invalid type"),
            (r#"{"era": "2025-11-25"}"#, "era"),
            (r#"{"era": 1}"#, "era: invalid type"),
            (r#"{"probe_timeout": 0}"#, "probe_timeout"),
            (r#"{"max_input_rounds": 0}"#, "max_input_rounds"),
            (
                r#"{"max_input_rounds": -1}"#,
                "max_input_rounds: invalid value",
            ),
            (r#"{"prior": {"era": "sometimes"}}"#, "prior"),
            (r#"{"prior": {"era": "modern"}}"#, "prior"),
            (
                r#"{"prior": {"era": "modern", "discover": {"supportedVersions": ["2025-11-25"]}}}"#,
                "prior",
            ),
        ] {
            match build(text) {
                Err(Error::InvalidArgument { message }) => {
                    assert!(message.contains(name), "{text}: {message}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
