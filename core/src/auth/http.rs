//! The HTTP the authorization flow does besides MCP requests: metadata documents (GET) and
//! form or JSON POSTs to the authorization server. Its own client, so neither the MCP
//! server's token nor the application's extra headers ever reach these endpoints.

use crate::body::{self, CappedError};
use crate::error::{shown_url, Error, Result};
use crate::transport::ProcessHttp;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use std::time::Duration;

/// Metadata and token answers are small; a hostile server must not make us buffer more.
const MAX_BODY: usize = 1024 * 1024;
/// Discovery follows redirects within one origin, this many at most.
const MAX_REDIRECTS: usize = 10;

#[derive(Debug, Clone)]
pub(crate) struct AuthHttp {
    http: ProcessHttp,
    timeout: Duration,
}

/// An answer: the status and the body parsed as JSON (`Value::Null` when it was not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub json: Value,
}

impl AuthHttp {
    pub fn new(
        user_agent: &str,
        network: crate::network::Prepared,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Self> {
        let user_agent = user_agent.to_owned();
        let http = ProcessHttp::new(move || {
            network
                .apply(reqwest::Client::builder())
                .user_agent(user_agent.clone())
                .connect_timeout(connect_timeout)
                .tcp_nodelay(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
        })?;
        Ok(Self { http, timeout })
    }

    pub fn release_connections(&self) {
        self.http.release();
    }

    /// GETs a JSON document, following same-origin redirects.
    pub async fn get_json(&self, url: &Url) -> Result<Answer> {
        let mut url = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let request = self
                .http
                .get()?
                .get(url.clone())
                .header(ACCEPT, "application/json");
            let resp = self.send(request, &url).await?;
            if resp.status().is_redirection() {
                let next = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url.join(l).ok());
                match next {
                    Some(next) if next.origin() == url.origin() => {
                        url = next;
                        continue;
                    }
                    _ => {
                        return Ok(Answer {
                            status: resp.status(),
                            json: Value::Null,
                        })
                    }
                }
            }
            return self.read(resp, &url).await;
        }
        Err(Error::protocol(format!(
            "too many redirects fetching {url}"
        )))
    }

    /// POSTs a form (token endpoint: never follows a redirect).
    pub async fn post_form(
        &self,
        url: &Url,
        form: &[(String, String)],
        authorization: Option<&str>,
    ) -> Result<Answer> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        let mut request = self
            .http
            .get()?
            .request(Method::POST, url.clone())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        if let Some(value) = authorization {
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| Error::invalid_argument("client credentials cannot form a header"))?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        let resp = self.send(request, url).await?;
        self.read(resp, url).await
    }

    /// POSTs JSON (dynamic client registration).
    pub async fn post_json(&self, url: &Url, body: &Value) -> Result<Answer> {
        let request = self
            .http
            .get()?
            .post(url.clone())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let resp = self.send(request, url).await?;
        self.read(resp, url).await
    }

    async fn send(&self, request: reqwest::RequestBuilder, url: &Url) -> Result<reqwest::Response> {
        match tokio::time::timeout(self.timeout, request.send()).await {
            Err(_) => Err(Error::Timeout {
                after: self.timeout,
            }),
            Ok(Err(e)) => Err(Error::transport(format!(
                "cannot reach {}: {}",
                shown_url(url),
                crate::transport::describe_reqwest(&e)
            ))),
            Ok(Ok(resp)) => Ok(resp),
        }
    }

    async fn read(&self, mut resp: reqwest::Response, url: &Url) -> Result<Answer> {
        let status = resp.status();
        let read = tokio::time::timeout(self.timeout, body::read_capped(&mut resp, MAX_BODY));
        let bytes = match read.await {
            Err(_) => {
                return Err(Error::Timeout {
                    after: self.timeout,
                })
            }
            Ok(Err(CappedError::TooLarge)) => {
                return Err(Error::protocol(format!(
                    "{} answered with more than {MAX_BODY} bytes",
                    shown_url(url)
                )))
            }
            Ok(Err(CappedError::Read(e))) => {
                return Err(Error::transport(format!(
                    "reading the answer of {}: {}",
                    shown_url(url),
                    crate::transport::describe_reqwest(&e)
                )))
            }
            Ok(Ok(bytes)) => bytes,
        };
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, json })
    }
}
