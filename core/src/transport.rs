//! HTTP for the Streamable HTTP transport: one POST per message, JSON or SSE answers, status
//! mapping and redirects. Reading bodies (bounded, and to their end) is `body.rs`'s job.

use crate::auth::{self, Authorizer, Credential};
use crate::body::{self, drain, read_truncated};
use crate::error::{shown_url, Error, Result};
use crate::fork::PerProcess;
use crate::jsonrpc::{answers, Incoming, RequestId};
use crate::options::{ClientOptions, RedirectPolicy};
use crate::session::{self, Session, PROTOCOL_VERSION_HEADER, SESSION_ID_HEADER};
use crate::stream::MessageStream;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Response, StatusCode, Url};
use std::sync::Arc;
use std::time::Duration;

const ACCEPT_POST: &str = "application/json, text/event-stream";
const ACCEPT_SSE: &str = "text/event-stream";
/// Error bodies are kept for diagnosis, never in full: a hostile server must not make them huge.
const ERROR_BODY_CAP: usize = 8 * 1024;

#[derive(Debug)]
pub(crate) struct Transport {
    http: ProcessHttp,
    url: Url,
    max_response_bytes: usize,
    connect_timeout: Duration,
    /// OAuth: each request's token, and what a 401 or 403 sets off.
    auth: Option<Arc<Authorizer>>,
}

/// An HTTP client per process: pooled connections and their tasks do not survive `fork()`,
/// so a forked child gets a client (and connections) of its own (see `fork.rs`).
#[derive(Clone, Debug)]
pub(crate) struct ProcessHttp(Arc<PerProcess<std::result::Result<reqwest::Client, String>>>);

impl ProcessHttp {
    pub fn new(
        build: impl Fn() -> reqwest::Result<reqwest::Client> + Send + Sync + 'static,
    ) -> Result<Self> {
        let http = Self(Arc::new(PerProcess::new(move || {
            build().map_err(|e| describe(&e))
        })));
        http.get()?;
        Ok(http)
    }

    pub fn get(&self) -> Result<reqwest::Client> {
        self.0
            .get()
            .map_err(|e| Error::invalid_argument(format!("cannot build HTTP client: {e}")))
    }

    /// Closes the idle pooled connections now (those in use close when their request ends);
    /// the next request builds a client, and connects, anew.
    pub fn release(&self) {
        self.0.discard();
    }
}

/// How the server answered a request's POST.
pub(crate) enum Reply {
    Json(Incoming),
    Stream(Box<MessageStream>),
}

impl Transport {
    pub fn new(url: &str, options: &ClientOptions) -> Result<Self> {
        let url = parse_endpoint(url)?;
        let mut headers = HeaderMap::new();
        if options.auth.is_some()
            && options
                .headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        {
            return Err(Error::invalid_argument(
                "an Authorization header and auth are both set: pass one (auth obtains and sends the token itself)",
            ));
        }
        for (name, value) in &options.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::invalid_argument(format!("invalid header name {name:?}")))?;
            let managed = name == SESSION_ID_HEADER
                || name == PROTOCOL_VERSION_HEADER
                || name == "mcp-method"
                || name == "mcp-name"
                || name.as_str().starts_with("mcp-param-");
            if managed {
                return Err(Error::invalid_argument(format!(
                    "{name} is managed by the client; it cannot be set as an extra header"
                )));
            }
            let value = HeaderValue::from_str(value)
                .map_err(|_| Error::invalid_argument(format!("invalid value for header {name}")))?;
            headers.append(name, value);
        }
        let user_agent = options.user_agent.clone();
        let connect_timeout = options.connect_timeout;
        let redirects = options.redirects;
        let network = options.network.prepare()?;
        let auth_network = network.clone();
        let http = ProcessHttp::new(move || {
            network
                .apply(reqwest::Client::builder())
                .default_headers(headers.clone())
                .user_agent(user_agent.clone())
                .connect_timeout(connect_timeout)
                .tcp_nodelay(true)
                .redirect(redirect_policy(redirects))
                .build()
        })?;
        let auth = match &options.auth {
            Some(config) => Some(Arc::new(Authorizer::new(
                &url,
                config.clone(),
                &options.user_agent,
                auth_network,
                options.connect_timeout,
                options.timeout,
            )?)),
            None => None,
        };
        Ok(Self {
            http,
            url,
            max_response_bytes: options.max_response_bytes,
            connect_timeout: options.connect_timeout,
            auth,
        })
    }

    pub fn authorizer(&self) -> Option<&Arc<Authorizer>> {
        self.auth.as_ref()
    }

    /// Lets go of the connection pools (the MCP server's and the authorization server's), so
    /// a closed client that lingers (until a garbage collector gets to it) holds no sockets.
    pub fn release_connections(&self) {
        self.http.release();
        if let Some(auth) = &self.auth {
            auth.release_connections();
        }
    }

    async fn credential(&self) -> Result<Option<Credential>> {
        match &self.auth {
            Some(auth) => auth.credential().await.map(Some),
            None => Ok(None),
        }
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Sends the request with its token; a 401, or a 403 `insufficient_scope`, is handed to
    /// the authorizer and the request sent again, a bounded number of times.
    async fn send(
        &self,
        method: Method,
        accept: &'static str,
        body: Option<Bytes>,
        session: Option<&Session>,
        extra: &[(HeaderName, HeaderValue)],
    ) -> Result<Response> {
        let mut reauthorized = false;
        let mut step_ups = 0;
        loop {
            let credential = self.credential().await?;
            let mut resp = self
                .send_once(
                    method.clone(),
                    accept,
                    body.clone(),
                    session,
                    extra,
                    &credential,
                )
                .await?;
            let status = resp.status();
            if status.is_success() {
                return Ok(resp);
            }
            if let (Some(auth), Some(used)) = (&self.auth, &credential) {
                if status == StatusCode::UNAUTHORIZED && !reauthorized {
                    reauthorized = true;
                    // Boxed: the authorization flow is a large future, kept off the worker's stack.
                    Box::pin(auth.on_unauthorized(resp.headers(), used)).await?;
                    drain(resp).await;
                    continue;
                }
                if status == StatusCode::FORBIDDEN {
                    if let Some(challenge) = auth::insufficient_scope(resp.headers()) {
                        if step_ups < auth.max_step_ups() {
                            step_ups += 1;
                            Box::pin(auth.on_insufficient_scope(&challenge, used)).await?;
                            drain(resp).await;
                            continue;
                        }
                        return Err(auth::scope_refused(&challenge));
                    }
                }
                if status == StatusCode::UNAUTHORIZED {
                    return Err(auth::token_refused(resp.headers()));
                }
            }
            let answered_url = resp.url().clone();
            let body = read_truncated(&mut resp, ERROR_BODY_CAP).await;
            let error = session::error_for_status(status.as_u16(), &body, session);
            return Err(error.for_request(method.as_str(), &answered_url));
        }
    }

    async fn send_once(
        &self,
        method: Method,
        accept: &'static str,
        body: Option<Bytes>,
        session: Option<&Session>,
        extra: &[(HeaderName, HeaderValue)],
        credential: &Option<Credential>,
    ) -> Result<Response> {
        let mut req = self
            .http
            .get()?
            .request(method, self.url.clone())
            .header(ACCEPT, accept);
        if let Some(header) = credential.as_ref().and_then(|c| c.header.clone()) {
            req = req.header(AUTHORIZATION, header);
        }
        if let Some(session) = session {
            if let Some(id) = &session.id {
                req = req.header(SESSION_ID_HEADER, id.as_str());
            }
            req = req.header(PROTOCOL_VERSION_HEADER, session.protocol_version.as_str());
        }
        for (name, value) in extra {
            req = req.header(name, value);
        }
        if let Some(body) = body {
            req = req.header(CONTENT_TYPE, "application/json").body(body);
        }
        req.send().await.map_err(|e| self.map_reqwest(&e))
    }

    /// POSTs a request. The answer is either its JSON response or an SSE stream that will
    /// carry it (possibly after other messages); reading that stream is the client's job.
    pub async fn post_request(
        &self,
        id: &RequestId,
        body: Bytes,
        session: Option<&Session>,
        extra: &[(HeaderName, HeaderValue)],
    ) -> Result<(HeaderMap, Reply)> {
        let mut resp = self
            .send(Method::POST, ACCEPT_POST, Some(body), session, extra)
            .await?;
        let headers = std::mem::take(resp.headers_mut());
        let reply = match media_type(&headers).as_deref() {
            Some("application/json") => {
                let body = self.read_capped(&mut resp).await?;
                if body.iter().all(u8::is_ascii_whitespace) {
                    return Err(no_response(resp.status()));
                }
                let message = Incoming::from_slice(&body)?;
                if !answers(&message, id) {
                    return Err(Error::protocol(format!(
                        "expected the response to request {id}, got another message"
                    )));
                }
                drain(resp).await;
                Reply::Json(message)
            }
            Some("text/event-stream") => {
                Reply::Stream(Box::new(MessageStream::new(resp, self.max_response_bytes)))
            }
            _ if resp.status() == StatusCode::ACCEPTED => return Err(no_response(resp.status())),
            other => {
                return Err(Error::protocol(format!(
                    "unexpected Content-Type {:?} in the answer to a request",
                    other.unwrap_or("(none)")
                )))
            }
        };
        Ok((headers, reply))
    }

    /// POSTs a notification or a response to a server request. Any 2xx is success; a body, if
    /// any, is read and dropped (the Python SDK sends `application/json` with an empty body).
    pub async fn post_message(&self, body: Bytes, session: Option<&Session>) -> Result<()> {
        let resp = self
            .send(Method::POST, ACCEPT_POST, Some(body), session, &[])
            .await?;
        drain(resp).await;
        Ok(())
    }

    /// DELETE for session termination. Returns the status; the caller decides what it means.
    /// DELETEs the session; the status, and the start of the body of a non-2xx answer.
    pub async fn delete(&self, session: &Session) -> Result<(u16, Vec<u8>)> {
        let mut req = self.http.get()?.delete(self.url.clone());
        // Ending a session never sets off an authorization: it goes with the token there is.
        if let Some(header) = self.credential().await?.and_then(|c| c.header) {
            req = req.header(AUTHORIZATION, header);
        }
        if let Some(id) = &session.id {
            req = req.header(SESSION_ID_HEADER, id.as_str());
        }
        req = req.header(PROTOCOL_VERSION_HEADER, session.protocol_version.as_str());
        let mut resp = req.send().await.map_err(|e| self.map_reqwest(&e))?;
        let status = resp.status().as_u16();
        let body = if resp.status().is_success() {
            Vec::new()
        } else {
            read_truncated(&mut resp, ERROR_BODY_CAP).await
        };
        drain(resp).await;
        Ok((status, body))
    }

    /// Opens a GET event stream (standalone, or a resumption with `Last-Event-ID`).
    /// `Ok(None)` means the server offers none (405).
    pub async fn open_event_stream(
        &self,
        session: Option<&Session>,
        last_event_id: Option<&str>,
    ) -> Result<Option<MessageStream>> {
        let mut extra = Vec::new();
        if let Some(last) = last_event_id {
            let value = HeaderValue::from_str(last)
                .map_err(|_| Error::protocol("server sent an event id that cannot be sent back"))?;
            extra.push((HeaderName::from_static("last-event-id"), value));
        }
        match self
            .send(Method::GET, ACCEPT_SSE, None, session, &extra)
            .await
        {
            Ok(resp) => {
                if media_type(resp.headers()).as_deref() != Some("text/event-stream") {
                    return Err(Error::protocol(
                        "GET stream answered without Content-Type text/event-stream",
                    ));
                }
                Ok(Some(MessageStream::new(resp, self.max_response_bytes)))
            }
            Err(Error::Http { status: 405, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn read_capped(&self, resp: &mut Response) -> Result<Vec<u8>> {
        let limit = self.max_response_bytes;
        body::read_capped(resp, limit).await.map_err(|e| match e {
            body::CappedError::TooLarge => Error::protocol(format!(
                "response body exceeds the maximum response size of {limit} bytes"
            )),
            body::CappedError::Read(e) => self.map_reqwest(&e),
        })
    }

    fn map_reqwest(&self, e: &reqwest::Error) -> Error {
        // Only connecting has a reqwest-level timeout; whole requests are timed by the client.
        if e.is_timeout() {
            return Error::Timeout {
                after: self.connect_timeout,
            };
        }
        if e.is_connect() {
            return Error::transport(format!(
                "cannot connect to {}: {}",
                shown_url(&self.url),
                describe_reqwest(e)
            ));
        }
        Error::transport(describe_reqwest(e))
    }
}

/// The MCP endpoint. Without a scheme, `127.0.0.1:8000/mcp` is a relative URL to the parser
/// and `localhost:8000/mcp` one with the scheme `localhost`: both get the same plain advice.
pub(crate) fn parse_endpoint(text: &str) -> Result<Url> {
    let must_be_http = || {
        Error::invalid_argument(format!(
            "URL must start with http:// or https://, got {text:?}"
        ))
    };
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => return Err(must_be_http()),
        Err(e) => {
            return Err(Error::invalid_argument(format!(
                "invalid URL {text:?}: {e}"
            )))
        }
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(must_be_http());
    }
    if !url.has_host() {
        return Err(Error::invalid_argument(format!(
            "URL has no host: {text:?} (e.g. http://127.0.0.1:8000/mcp)"
        )));
    }
    Ok(url)
}

fn no_response(status: StatusCode) -> Error {
    Error::protocol(format!(
        "server answered a request with HTTP {} and no JSON-RPC response",
        status.as_u16()
    ))
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    (!essence.is_empty()).then_some(essence)
}

/// A reqwest error's chain with its URL shown as messages show URLs (no credentials, no query:
/// an API key there must not reach an exception or a log).
pub(crate) fn describe_reqwest(e: &reqwest::Error) -> String {
    let text = describe(e);
    match e.url() {
        Some(url) => text.replace(url.as_str(), &shown_url(url)),
        None => text,
    }
}

/// The whole error chain: reqwest's own message alone ("error sending request") says too little.
pub(crate) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

fn redirect_policy(policy: RedirectPolicy) -> reqwest::redirect::Policy {
    match policy {
        RedirectPolicy::None => reqwest::redirect::Policy::none(),
        RedirectPolicy::SameOrigin { max_hops } => {
            reqwest::redirect::Policy::custom(move |attempt| {
                let keeps_method = matches!(attempt.status().as_u16(), 307 | 308);
                let same_origin = attempt
                    .previous()
                    .first()
                    .is_some_and(|first| first.origin() == attempt.url().origin());
                if keeps_method && same_origin && attempt.previous().len() <= max_hops {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            })
        }
    }
}
