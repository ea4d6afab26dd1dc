//! How the client reaches a server across a real network: the HTTP version, TLS (an extra CA
//! added to the system roots, a client certificate, a development-only switch that skips
//! verification), proxies and idle connections. Applied to every HTTP client the client builds:
//! the MCP transport's and the authorization flow's, which meet the same network.

use crate::error::{Error, Result};
use std::path::PathBuf;
use std::time::Duration;

/// Which HTTP the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpVersion {
    /// HTTP/2 when TLS negotiates it (ALPN), else HTTP/1.1; plain `http://` is HTTP/1.1.
    #[default]
    Auto,
    /// HTTP/1.1 only, even where the server offers HTTP/2.
    Http1,
    /// HTTP/2 from the first byte (prior knowledge; h2c on plain `http://`), no fallback.
    Http2,
}

impl std::str::FromStr for HttpVersion {
    type Err = Error;

    /// The names the bindings use: `auto`, `http1`, `http2`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "auto" => Ok(Self::Auto),
            "http1" => Ok(Self::Http1),
            "http2" => Ok(Self::Http2),
            other => Err(Error::invalid_argument(format!(
                "http_version must be auto, http1 or http2, not {other:?}"
            ))),
        }
    }
}

/// Which proxy requests go through.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum ProxyChoice {
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` from the environment (any case).
    #[default]
    Env,
    /// None, whatever the environment says.
    Disabled,
    /// This proxy (`http://user:password@host:port`), for `http://` and `https://` alike
    /// (CONNECT for `https://`); `NO_PROXY` still exempts hosts.
    Url(String),
}

impl std::fmt::Debug for ProxyChoice {
    // The URL may carry the proxy's password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Env => f.write_str("Env"),
            Self::Disabled => f.write_str("Disabled"),
            Self::Url(url) => match url::Url::parse(url) {
                Ok(url) => write!(f, "Url({})", crate::error::shown_url(&url)),
                Err(_) => f.write_str("Url(<unparsable>)"),
            },
        }
    }
}

/// TLS beyond the defaults (the system's roots, which `SSL_CERT_FILE`/`SSL_CERT_DIR` replace
/// as OpenSSL-based tools do).
#[derive(Clone, Default)]
pub struct TlsOptions {
    /// PEM files of CA certificates trusted in addition to the system roots.
    pub ca_files: Vec<PathBuf>,
    /// CA certificates (PEM text) trusted in addition to the system roots.
    pub ca_pems: Vec<String>,
    /// A PEM file with the client certificate (its chain may follow) for mutual TLS; its key
    /// is in `client_key`, or in the same file.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// Accepts any server certificate: for development against a self-signed server only.
    /// Anyone on the path can then read and change the traffic, tokens included.
    pub danger_skip_verify: bool,
}

impl std::fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsOptions")
            .field("ca_files", &self.ca_files)
            .field("ca_pems", &self.ca_pems.len())
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key.as_ref().map(|_| "…"))
            .field("danger_skip_verify", &self.danger_skip_verify)
            .finish()
    }
}

/// Everything about the network path, in `ClientOptions::network`.
#[derive(Debug, Clone)]
pub struct NetworkOptions {
    pub http_version: HttpVersion,
    pub tls: TlsOptions,
    pub proxy: ProxyChoice,
    /// An idle pooled connection is closed after this long.
    pub pool_idle_timeout: Duration,
    /// TCP keepalive probes on idle connections (long-lived event streams behind NATs and
    /// load balancers); `None` turns them off.
    pub tcp_keepalive: Option<Duration>,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        Self {
            http_version: HttpVersion::Auto,
            tls: TlsOptions::default(),
            proxy: ProxyChoice::Env,
            pool_idle_timeout: Duration::from_secs(90),
            tcp_keepalive: Some(Duration::from_secs(30)),
        }
    }
}

/// What building an HTTP client needs, read once (files included) when the client is made, so
/// a bad path is an error then, and a forked child rebuilds from memory. The system's roots
/// are read once per process for all clients (`roots.rs`).
#[derive(Clone)]
pub(crate) struct Prepared {
    options: NetworkOptions,
    roots: Vec<reqwest::Certificate>,
    identity: Option<reqwest::Identity>,
}

impl NetworkOptions {
    pub(crate) fn prepare(&self) -> Result<Prepared> {
        let mut roots = Vec::new();
        for path in &self.tls.ca_files {
            let pem = std::fs::read(path).map_err(|e| {
                Error::invalid_argument(format!("cannot read ca_file {}: {e}", path.display()))
            })?;
            roots.extend(certificates(&pem, &path.display().to_string())?);
        }
        for pem in &self.tls.ca_pems {
            roots.extend(certificates(pem.as_bytes(), "ca_pem")?);
        }
        let identity = match (&self.tls.client_cert, &self.tls.client_key) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(Error::invalid_argument(
                    "client_key needs client_cert (the certificate it belongs to)",
                ))
            }
            (Some(cert), key) => Some(identity(cert, key.as_ref())?),
        };
        if let ProxyChoice::Url(url) = &self.proxy {
            reqwest::Proxy::all(url.as_str())
                .map_err(|e| Error::invalid_argument(format!("invalid proxy URL: {e}")))?;
        }
        if self.tls.danger_skip_verify {
            log::warn!("TLS certificates are not verified (danger_skip_verify): development only");
        }
        Ok(Prepared {
            options: self.clone(),
            roots,
            identity,
        })
    }
}

impl Prepared {
    pub(crate) fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        let o = &self.options;
        let mut builder = builder
            .pool_idle_timeout(o.pool_idle_timeout)
            .tcp_keepalive(o.tcp_keepalive)
            .tls_danger_accept_invalid_certs(o.tls.danger_skip_verify);
        builder = match o.http_version {
            HttpVersion::Auto => builder,
            HttpVersion::Http1 => builder.http1_only(),
            HttpVersion::Http2 => builder.http2_prior_knowledge(),
        };
        let system = (!o.tls.danger_skip_verify)
            .then(crate::roots::system)
            .flatten();
        if let Some(system) = system {
            // The same roots the platform verifier would read, without reading them again.
            let all = system.iter().chain(&self.roots).cloned();
            builder = builder.tls_certs_only(all);
        } else if !self.roots.is_empty() {
            builder = builder.tls_certs_merge(self.roots.iter().cloned());
        }
        if let Some(identity) = &self.identity {
            builder = builder.identity(identity.clone());
        }
        match &o.proxy {
            ProxyChoice::Env => builder,
            ProxyChoice::Disabled => builder.no_proxy(),
            ProxyChoice::Url(url) => match reqwest::Proxy::all(url.as_str()) {
                Ok(proxy) => builder.proxy(proxy.no_proxy(reqwest::NoProxy::from_env())),
                // Checked in `prepare`.
                Err(_) => builder,
            },
        }
    }
}

fn certificates(pem: &[u8], source: &str) -> Result<Vec<reqwest::Certificate>> {
    let certs = reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|e| Error::invalid_argument(format!("{source}: not PEM certificates: {e}")))?;
    if certs.is_empty() {
        return Err(Error::invalid_argument(format!(
            "{source}: no certificate in it"
        )));
    }
    Ok(certs)
}

fn identity(cert: &PathBuf, key: Option<&PathBuf>) -> Result<reqwest::Identity> {
    let read = |path: &PathBuf, what: &str| {
        std::fs::read(path).map_err(|e| {
            Error::invalid_argument(format!("cannot read {what} {}: {e}", path.display()))
        })
    };
    let mut pem = read(cert, "client_cert")?;
    if let Some(key) = key {
        pem.push(b'\n');
        pem.extend(read(key, "client_key")?);
    }
    reqwest::Identity::from_pem(&pem).map_err(|e| {
        Error::invalid_argument(format!(
            "client_cert {}: no usable certificate and private key: {e}",
            cert.display()
        ))
    })
}
