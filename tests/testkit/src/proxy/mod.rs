//! A recording forward proxy for tests of a client's proxy support: `CONNECT host:port`
//! tunnels (what HTTPS_PROXY makes a client send) and absolute-form plain HTTP requests (what
//! HTTP_PROXY makes it send for `http://` URLs), optionally behind `Proxy-Authorization:
//! Basic`, to loopback targets only. It records every target and whether the credentials were
//! right: [`TestProxy::proxied`] in process, `GET /_admin/proxied` on the proxy itself.

mod forward;
mod gate;
mod tunnel;

pub use gate::ProxyCredentials;

use crate::background::Background;
use axum::body::Body;
use axum::http::{header, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

const REALM: &str = "Basic realm=\"mcpstream-test-proxy\"";

#[derive(Debug, Clone, Default)]
pub struct ProxyConfig {
    /// Demand these in `Proxy-Authorization: Basic` (`--auth user:pass`); 407 otherwise.
    pub credentials: Option<ProxyCredentials>,
}

impl ProxyConfig {
    /// Parses the binary's flags (everything after the program name). Returns the port too.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<(Self, u16), String> {
        let (mut config, mut port) = (Self::default(), 0u16);
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--port" => {
                    port = value()?
                        .parse()
                        .map_err(|_| "--port takes a number from 0 to 65535".to_owned())?
                }
                "--auth" => {
                    config.credentials = Some(
                        ProxyCredentials::parse(&value()?).ok_or("--auth takes user:password")?,
                    )
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok((config, port))
    }
}

/// One request the proxy received, whatever it answered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProxiedRequest {
    /// `CONNECT`, or the method of a forwarded plain HTTP request.
    pub method: String,
    /// `host:port` of a CONNECT; the absolute URL of a forwarded request.
    pub target: String,
    /// The user named in `Proxy-Authorization: Basic`, if a readable one was sent.
    pub user: Option<String>,
    /// Whether the credentials let the request through (always, when none are required).
    pub authorized: bool,
    /// What the proxy answered: 200 for an open tunnel, 407 for missing or wrong credentials,
    /// 403 for a target off this machine, 502 for an unreachable one, or what the target
    /// answered a forwarded request.
    pub status: u16,
    /// The client's address: one value per TCP connection to the proxy.
    pub peer: String,
}

pub(crate) struct ProxyState {
    config: ProxyConfig,
    addr: SocketAddr,
    log: Mutex<Vec<ProxiedRequest>>,
    connections: AtomicU64,
    /// Forwards absolute-form requests. Never through another proxy: the environment's
    /// HTTP_PROXY is set in exactly the tests that use this one.
    forwarder: reqwest::Client,
}

impl ProxyState {
    fn record(&self, entry: ProxiedRequest) {
        lock(&self.log).push(entry);
    }

    fn proxied(&self) -> Vec<ProxiedRequest> {
        lock(&self.log).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Binds 127.0.0.1:`port` (0 picks a free one) and proxies until `shutdown` resolves.
pub async fn serve_proxy(
    config: ProxyConfig,
    port: u16,
    shutdown: impl Future<Output = ()>,
    on_bound: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(new_state(config, addr));
    on_bound(addr);
    accept_loop(listener, state, shutdown).await;
    Ok(())
}

fn new_state(config: ProxyConfig, addr: SocketAddr) -> ProxyState {
    let forwarder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client without TLS always builds");
    ProxyState {
        config,
        addr,
        log: Mutex::default(),
        connections: AtomicU64::new(0),
        forwarder,
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    state: Arc<ProxyState>,
    shutdown: impl Future<Output = ()>,
) {
    crate::listen::accept_until(listener, shutdown, |tcp, peer| {
        state.connections.fetch_add(1, Ordering::Relaxed);
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(&state, peer, request).await) }
            });
            // Clients speak HTTP/1.1 to proxies; CONNECT needs the upgrade.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades()
                .await;
        });
    })
    .await;
}

async fn handle(
    state: &ProxyState,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Body> {
    let is_connect = request.method() == Method::CONNECT;
    if !is_connect && addressed_to_itself(state, &request) {
        return admin(state, &request);
    }
    let check = gate::check_credentials(
        request.headers().get(header::PROXY_AUTHORIZATION),
        state.config.credentials.as_ref(),
    );
    let target = match is_connect {
        true => request
            .uri()
            .authority()
            .map_or(String::new(), |a| a.to_string()),
        false => request.uri().to_string(),
    };
    let entry = |status: StatusCode| ProxiedRequest {
        method: request.method().as_str().to_owned(),
        target: target.clone(),
        user: check.user.clone(),
        authorized: check.authorized,
        status: status.as_u16(),
        peer: peer.to_string(),
    };
    if !check.authorized {
        state.record(entry(StatusCode::PROXY_AUTHENTICATION_REQUIRED));
        return Response::builder()
            .status(StatusCode::PROXY_AUTHENTICATION_REQUIRED)
            .header(header::PROXY_AUTHENTICATE, REALM)
            .body(Body::from("proxy credentials required"))
            .expect("static response");
    }
    let Some(destination) = destination(&request) else {
        state.record(entry(StatusCode::FORBIDDEN));
        return text(
            StatusCode::FORBIDDEN,
            "this test proxy reaches loopback targets only",
        );
    };
    let entry = entry(StatusCode::OK);
    let response = match is_connect {
        true => tunnel::open(destination, request).await,
        false => forward::send(&state.forwarder, request).await,
    };
    state.record(ProxiedRequest {
        status: response.status().as_u16(),
        ..entry
    });
    response
}

/// Where a CONNECT or an absolute-form `http://` request goes, if it stays on this machine.
fn destination(request: &Request<Incoming>) -> Option<SocketAddr> {
    let uri = request.uri();
    let port = match request.method() == Method::CONNECT {
        true => uri.port_u16()?,
        false if uri.scheme_str() == Some("http") => uri.port_u16().unwrap_or(80),
        false => return None,
    };
    gate::loopback_target(uri.host()?, port)
}

/// Origin-form requests, and absolute-form ones naming the proxy's own address, are for the
/// proxy itself.
fn addressed_to_itself(state: &ProxyState, request: &Request<Incoming>) -> bool {
    let uri = request.uri();
    uri.authority().is_none()
        || uri
            .host()
            .and_then(|host| gate::loopback_target(host, uri.port_u16().unwrap_or(80)))
            == Some(state.addr)
}

/// `GET /_admin/proxied`: the record and the connection count; `DELETE` clears the record.
fn admin(state: &ProxyState, request: &Request<Incoming>) -> Response<Body> {
    if request.uri().path() != "/_admin/proxied" {
        return text(
            StatusCode::NOT_FOUND,
            "the test proxy serves /_admin/proxied only",
        );
    }
    match *request.method() {
        Method::GET => Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({
                    "proxied": state.proxied(),
                    "connections": state.connections.load(Ordering::Relaxed),
                })
                .to_string(),
            ))
            .expect("static response"),
        Method::DELETE => {
            lock(&state.log).clear();
            text(StatusCode::NO_CONTENT, "")
        }
        _ => text(StatusCode::METHOD_NOT_ALLOWED, "use GET or DELETE"),
    }
}

pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    Response::builder()
        .status(status)
        .body(Body::from(body))
        .expect("static response")
}

/// The proxy on its own thread and runtime, for in-process tests. Stops when dropped.
pub struct TestProxy {
    addr: SocketAddr,
    state: Arc<ProxyState>,
    _background: Background,
}

impl TestProxy {
    pub fn start(config: ProxyConfig) -> Self {
        let (background, (addr, state)) =
            Background::start("mcpstream-test-proxy", |ready| async move {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
                let addr = listener.local_addr()?;
                let state = Arc::new(new_state(config, addr));
                let _ = ready.send(Ok((addr, state.clone())));
                accept_loop(listener, state, std::future::pending()).await;
                Ok(())
            });
        Self {
            addr,
            state,
            _background: background,
        }
    }

    /// `http://127.0.0.1:PORT`, what HTTPS_PROXY / HTTP_PROXY / `proxy=` take.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://user:password@127.0.0.1:PORT`, credentials percent-encoded.
    pub fn url_with_credentials(&self, user: &str, password: &str) -> String {
        let mut url = url::Url::parse(&self.url()).expect("a loopback URL parses");
        url.set_username(user).expect("an http URL takes a user");
        url.set_password(Some(password))
            .expect("an http URL takes a password");
        url.to_string().trim_end_matches('/').to_owned()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request the proxy received so far, oldest first.
    pub fn proxied(&self) -> Vec<ProxiedRequest> {
        self.state.proxied()
    }

    pub fn clear(&self) {
        lock(&self.state.log).clear();
    }

    /// TCP connections clients opened to the proxy so far.
    pub fn connections(&self) -> u64 {
        self.state.connections.load(Ordering::Relaxed)
    }
}
