//! One-shot loopback listener that catches the browser's OAuth redirect (A26).
//!
//! Minimal HTTP/1.1 by hand: one request per connection, no bodies, `Connection: close`.

use std::net::{IpAddr, Ipv4Addr, Shutdown};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{timeout_at, Instant};
use url::{Host, Url};

/// Browsers send far smaller heads; anything bigger is not the redirect.
const MAX_HEAD_BYTES: usize = 8 * 1024;
/// Browsers open speculative connections that may never carry a request; none may hold a slot
/// for long.
const CONNECTION_READ_DEADLINE: Duration = Duration::from_secs(5);
/// Time to let a client read an error answer before its unread bytes turn our close into a reset.
const ERROR_LINGER: Duration = Duration::from_secs(1);
/// Bounds the tasks a burst of local connections can start.
const MAX_OPEN_CONNECTIONS: usize = 64;

pub(crate) struct LoopbackListener {
    listener: TcpListener,
    redirect_uri: Url,
}

impl LoopbackListener {
    /// Binds 127.0.0.1 (only) on the redirect URI's port (0 or absent → a free port).
    /// The URI must be http with host localhost, 127.0.0.1 (or another 127.x) — else Err naming
    /// the problem.
    ///
    /// `url` drops an explicit `:80` (the http default), so port 80 reads as "absent".
    pub async fn bind(redirect_uri: &Url) -> Result<Self, String> {
        if redirect_uri.scheme() != "http" {
            return Err(format!(
                "redirect URI {redirect_uri}: the built-in loopback listener needs an http:// URI \
                 (for {}:// use an app-owned callback server and return the callback URL)",
                redirect_uri.scheme()
            ));
        }
        let address = match redirect_uri.host() {
            Some(Host::Domain(domain)) if domain.eq_ignore_ascii_case("localhost") => {
                Ipv4Addr::LOCALHOST
            }
            // The browser connects to exactly the address written, so another 127.x must be
            // bound as written.
            Some(Host::Ipv4(ip)) if ip.is_loopback() => ip,
            _ => {
                return Err(format!(
                    "redirect URI {redirect_uri}: the built-in loopback listener needs host \
                     localhost or 127.0.0.1 (it listens on IPv4 loopback only)"
                ))
            }
        };
        if redirect_uri.fragment().is_some() {
            return Err(format!(
                "redirect URI {redirect_uri}: must not contain a fragment (RFC 6749 §3.1.2)"
            ));
        }
        let requested_port = redirect_uri.port().unwrap_or(0);
        let listener = TcpListener::bind((IpAddr::V4(address), requested_port))
            .await
            .map_err(|e| {
                format!(
                    "redirect URI {redirect_uri}: cannot listen on {address}:{requested_port}: {e}"
                )
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("redirect URI {redirect_uri}: {e}"))?
            .port();
        let mut redirect_uri = redirect_uri.clone();
        redirect_uri
            .set_port(Some(port))
            .map_err(|()| format!("redirect URI {redirect_uri}: cannot set the port"))?;
        Ok(Self {
            listener,
            redirect_uri,
        })
    }

    /// The redirect URI with the real port filled in (host form and path kept as the user wrote
    /// them).
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// Waits for the browser's GET to the redirect path carrying `code` or `error` in its query;
    /// answers it with a tiny HTML page and returns the full callback URL (redirect_uri + query).
    ///
    /// `state` is not checked here: the caller compares it, since only it knows the value.
    pub async fn accept_redirect(self, timeout: Duration) -> Result<Url, String> {
        let deadline = Instant::now() + timeout;
        let redirect_uri = self.redirect_uri.clone();
        match timeout_at(deadline, self.serve_until_redirect()).await {
            Ok(callback) => Ok(callback),
            Err(_) => Err(format!(
                "no authorization redirect arrived on {redirect_uri} within {} s",
                timeout.as_secs_f64()
            )),
        }
    }

    /// Dropping the returned future (timeout) drops the JoinSet, which aborts every open
    /// connection, and the listener goes with `self`.
    async fn serve_until_redirect(self) -> Url {
        let mut connections: JoinSet<Option<Url>> = JoinSet::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) if connections.len() < MAX_OPEN_CONNECTIONS => {
                        let redirect_uri = self.redirect_uri.clone();
                        connections.spawn(handle_connection(stream, redirect_uri));
                    }
                    Ok(_) => log::debug!("loopback listener: too many open connections, dropping one"),
                    Err(e) => {
                        // Usually transient (a client reset, descriptors running out); the
                        // overall timeout still bounds the wait.
                        log::debug!("loopback listener: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(finished) = connections.join_next(), if !connections.is_empty() => {
                    if let Ok(Some(callback)) = finished {
                        return callback;
                    }
                }
            }
        }
    }
}

impl std::fmt::Debug for LoopbackListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackListener")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .finish()
    }
}

enum HeadRead {
    Complete(Vec<u8>),
    TooLarge,
    /// Closed, timed out or failed before a full head arrived: nothing worth answering.
    Abandoned,
}

/// Serves one request; `Some` carries the callback URL once the redirect page has been sent.
async fn handle_connection(stream: TcpStream, redirect_uri: Url) -> Option<Url> {
    let read_deadline = Instant::now() + CONNECTION_READ_DEADLINE;
    let head = match read_head(&stream, read_deadline).await {
        HeadRead::Complete(head) => head,
        HeadRead::TooLarge => {
            let page = html_page("Request header too large.");
            respond_and_close(stream, "431 Request Header Fields Too Large", &page).await;
            return None;
        }
        HeadRead::Abandoned => return None,
    };
    let head = String::from_utf8_lossy(&head);
    let request_line = head.lines().next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        respond_and_close(stream, "400 Bad Request", &html_page("Bad request.")).await;
        return None;
    };
    if !version.starts_with("HTTP/1.") {
        respond_and_close(stream, "400 Bad Request", &html_page("Bad request.")).await;
        return None;
    }
    if method != "GET" {
        let page = html_page("Method not allowed.");
        respond_and_close(stream, "405 Method Not Allowed", &page).await;
        return None;
    }
    let Some((callback, page)) = match_redirect(target, &redirect_uri) else {
        respond_and_close(stream, "404 Not Found", &html_page("Not found.")).await;
        return None;
    };
    // The whole head has been read and a GET has no body, so closing right away cannot reset
    // the connection under the browser.
    let response = response_bytes("200 OK", &page);
    if write_all(&stream, &response, read_deadline).await.is_err() {
        log::debug!("loopback listener: could not deliver the completion page");
    }
    Some(callback)
}

/// The callback URL and the page to show when `target` is the redirect carrying `code` or
/// `error`.
fn match_redirect(target: &str, redirect_uri: &Url) -> Option<(Url, String)> {
    let target = target.split('#').next().unwrap_or_default();
    // Absolute form is only sent to proxies, but costs nothing to accept.
    let origin_form = match Url::parse(target) {
        Ok(absolute) if target.starts_with("http://") => {
            let mut origin = absolute.path().to_string();
            if let Some(query) = absolute.query() {
                origin.push('?');
                origin.push_str(query);
            }
            origin
        }
        _ => target.to_string(),
    };
    let (path, query) = origin_form.split_once('?')?;
    if path != redirect_uri.path() {
        return None;
    }
    let mut code = None;
    let mut error = None;
    let mut error_description = None;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "code" => code = Some(value),
            "error" => error = Some(value),
            "error_description" => error_description = Some(value),
            _ => {}
        }
    }
    let page = match (&error, &code) {
        (Some(error), _) => {
            let mut message = format!("Authorization failed: {}", escape_html(error));
            if let Some(description) = &error_description {
                message.push_str(" — ");
                message.push_str(&escape_html(description));
            }
            html_page(&message)
        }
        (None, Some(_)) => html_page("Authorization complete — you can close this window."),
        (None, None) => return None,
    };
    let mut callback = redirect_uri.clone();
    callback.set_query(Some(query));
    Some((callback, page))
}

async fn read_head(stream: &TcpStream, deadline: Instant) -> HeadRead {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        if timeout_at(deadline, stream.readable()).await.is_err() {
            return HeadRead::Abandoned;
        }
        match stream.try_read(&mut chunk) {
            Ok(0) => return HeadRead::Abandoned,
            Ok(read) => {
                // Rescan a few bytes before the new data: the terminator may straddle reads.
                let scan_from = head.len().saturating_sub(3);
                head.extend_from_slice(&chunk[..read]);
                if let Some(end) = find_head_end(&head[scan_from..]) {
                    let end = scan_from + end;
                    if end > MAX_HEAD_BYTES {
                        return HeadRead::TooLarge;
                    }
                    head.truncate(end);
                    return HeadRead::Complete(head);
                }
                if head.len() > MAX_HEAD_BYTES {
                    return HeadRead::TooLarge;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return HeadRead::Abandoned,
        }
    }
}

/// Index just past the blank line ending the head; bare `\n\n` is accepted as RFC 9112 §2.2
/// allows.
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

async fn write_all(stream: &TcpStream, mut bytes: &[u8], deadline: Instant) -> Result<(), ()> {
    while !bytes.is_empty() {
        timeout_at(deadline, stream.writable())
            .await
            .map_err(|_| ())?
            .map_err(|_| ())?;
        match stream.try_write(bytes) {
            Ok(0) => return Err(()),
            Ok(written) => bytes = &bytes[written..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return Err(()),
        }
    }
    Ok(())
}

/// Sends an error answer, then half-closes and discards what the client still sends for a
/// moment: closing with unread bytes would reset the connection and the client could lose the
/// answer.
async fn respond_and_close(stream: TcpStream, status: &str, page: &str) {
    let linger_until = Instant::now() + ERROR_LINGER;
    if write_all(&stream, &response_bytes(status, page), linger_until)
        .await
        .is_err()
    {
        return;
    }
    let Ok(std_stream) = stream.into_std() else {
        return;
    };
    if std_stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let Ok(stream) = TcpStream::from_std(std_stream) else {
        return;
    };
    let mut sink = [0u8; 2048];
    while timeout_at(linger_until, stream.readable()).await.is_ok() {
        match stream.try_read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}

fn response_bytes(status: &str, page: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Cache-Control: no-store\r\n\
         Referrer-Policy: no-referrer\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Connection: close\r\n\
         \r\n\
         {page}",
        page.len()
    )
    .into_bytes()
}

fn html_page(message: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Authorization</title></head>\
         <body><p>{message}</p></body></html>\n"
    )
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    async fn bind_free(path: &str) -> LoopbackListener {
        LoopbackListener::bind(&url(&format!("http://127.0.0.1:0{path}")))
            .await
            .unwrap()
    }

    /// Sends `request` as raw bytes and returns the raw response (read until the server closes).
    async fn exchange(uri: &Url, request: &[u8]) -> String {
        let port = uri.port().unwrap();
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        write_all(&stream, request, deadline).await.unwrap();
        let mut response = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            timeout_at(deadline, stream.readable())
                .await
                .unwrap()
                .unwrap();
            match stream.try_read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => response.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("read failed: {e}"),
            }
        }
        String::from_utf8(response).unwrap()
    }

    async fn get(uri: &Url, target: &str) -> String {
        let request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        exchange(uri, request.as_bytes()).await
    }

    #[tokio::test]
    async fn port_zero_gets_a_real_port_and_keeps_the_path() {
        let listener = bind_free("/callback").await;
        let uri = listener.redirect_uri();
        assert_eq!(uri.host_str(), Some("127.0.0.1"));
        assert_ne!(uri.port(), Some(0));
        assert!(uri.port().is_some());
        assert_eq!(uri.path(), "/callback");

        let absent = LoopbackListener::bind(&url("http://127.0.0.1/cb"))
            .await
            .unwrap();
        assert!(absent.redirect_uri().port().unwrap() > 0);
    }

    #[tokio::test]
    async fn fixed_port_is_used() {
        let probe = bind_free("/").await;
        let port = probe.redirect_uri().port().unwrap();
        drop(probe);
        let listener = LoopbackListener::bind(&url(&format!("http://127.0.0.1:{port}/cb")))
            .await
            .unwrap();
        assert_eq!(listener.redirect_uri().port(), Some(port));
    }

    #[tokio::test]
    async fn localhost_binds_ipv4_loopback_and_keeps_the_host_form() {
        let listener = LoopbackListener::bind(&url("http://localhost:0/cb"))
            .await
            .unwrap();
        assert_eq!(listener.redirect_uri().host_str(), Some("localhost"));
        assert_eq!(
            listener.listener.local_addr().unwrap().ip(),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
    }

    #[tokio::test]
    async fn non_loopback_or_non_http_uris_are_refused() {
        for bad in [
            "https://127.0.0.1:0/cb",
            "https://localhost/cb",
            "http://example.com/cb",
            "http://0.0.0.0:0/cb",
            "http://[::1]:0/cb",
            "http://192.168.1.1:0/cb",
            "http://127.0.0.1:0/cb#frag",
        ] {
            let error = LoopbackListener::bind(&url(bad)).await.unwrap_err();
            assert!(error.contains("redirect URI"), "{bad}: {error}");
        }
        let error = LoopbackListener::bind(&url("http://example.com/cb"))
            .await
            .unwrap_err();
        assert!(error.contains("localhost or 127.0.0.1"), "{error}");
        let error = LoopbackListener::bind(&url("https://localhost/cb"))
            .await
            .unwrap_err();
        assert!(error.contains("http://"), "{error}");
    }

    #[tokio::test]
    async fn redirect_with_code_is_answered_and_returned() {
        let listener = bind_free("/callback").await;
        let uri = listener.redirect_uri().clone();
        let waiting = tokio::spawn(listener.accept_redirect(Duration::from_secs(10)));
        let response = get(&uri, "/callback?code=abc&state=xyz").await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.contains("Connection: close\r\n"), "{response}");
        assert!(
            response.contains("Cache-Control: no-store\r\n"),
            "{response}"
        );
        assert!(
            response.contains("Content-Type: text/html; charset=utf-8\r\n"),
            "{response}"
        );
        assert!(response.contains("Authorization complete"), "{response}");

        let callback = waiting.await.unwrap().unwrap();
        assert_eq!(callback.query(), Some("code=abc&state=xyz"));
        assert_eq!(callback.path(), "/callback");
        assert_eq!(callback.port(), uri.port());
    }

    #[tokio::test]
    async fn other_paths_get_404_and_the_wait_goes_on() {
        let listener = bind_free("/callback").await;
        let uri = listener.redirect_uri().clone();
        let waiting = tokio::spawn(listener.accept_redirect(Duration::from_secs(10)));
        for target in [
            "/favicon.ico",
            "/callback",
            "/callback?state=xyz",
            "/other?code=1",
        ] {
            let response = get(&uri, target).await;
            assert!(
                response.starts_with("HTTP/1.1 404 "),
                "{target}: {response}"
            );
        }
        let response = exchange(&uri, b"POST /callback?code=abc HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(response.starts_with("HTTP/1.1 405 "), "{response}");
        let response = exchange(&uri, b"nonsense\r\n\r\n").await;
        assert!(response.starts_with("HTTP/1.1 400 "), "{response}");
        assert!(!waiting.is_finished());

        get(&uri, "/callback?code=abc&state=xyz").await;
        let callback = waiting.await.unwrap().unwrap();
        assert_eq!(callback.query(), Some("code=abc&state=xyz"));
    }

    #[tokio::test]
    async fn oversized_head_gets_431_and_the_wait_goes_on() {
        let listener = bind_free("/cb").await;
        let uri = listener.redirect_uri().clone();
        let waiting = tokio::spawn(listener.accept_redirect(Duration::from_secs(10)));
        let huge = format!(
            "GET /cb?code=abc HTTP/1.1\r\nX-Padding: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES + 100)
        );
        let response = exchange(&uri, huge.as_bytes()).await;
        assert!(response.starts_with("HTTP/1.1 431 "), "{response}");
        assert!(!waiting.is_finished());
        get(&uri, "/cb?code=ok").await;
        assert_eq!(waiting.await.unwrap().unwrap().query(), Some("code=ok"));
    }

    #[tokio::test]
    async fn idle_connection_does_not_block_the_redirect() {
        let listener = bind_free("/cb").await;
        let uri = listener.redirect_uri().clone();
        let started = Instant::now();
        let waiting = tokio::spawn(listener.accept_redirect(Duration::from_secs(10)));
        let _idle = TcpStream::connect(("127.0.0.1", uri.port().unwrap()))
            .await
            .unwrap();
        let partial = TcpStream::connect(("127.0.0.1", uri.port().unwrap()))
            .await
            .unwrap();
        partial.try_write(b"GET /cb?code=").unwrap();
        let response = get(&uri, "/cb?code=abc&state=xyz").await;
        assert!(response.starts_with("HTTP/1.1 200 "), "{response}");
        let callback = waiting.await.unwrap().unwrap();
        assert_eq!(callback.query(), Some("code=abc&state=xyz"));
        assert!(started.elapsed() < CONNECTION_READ_DEADLINE);
    }

    #[tokio::test]
    async fn error_redirect_is_returned_and_escaped_on_the_page() {
        let listener = bind_free("/cb").await;
        let uri = listener.redirect_uri().clone();
        let waiting = tokio::spawn(listener.accept_redirect(Duration::from_secs(10)));
        let response = get(
            &uri,
            "/cb?error=access_denied&error_description=%3Cscript%3E&state=s",
        )
        .await;
        assert!(response.starts_with("HTTP/1.1 200 "), "{response}");
        assert!(
            response.contains("Authorization failed: access_denied"),
            "{response}"
        );
        assert!(response.contains("&lt;script&gt;"), "{response}");
        assert!(!response.contains("<script>"), "{response}");
        let callback = waiting.await.unwrap().unwrap();
        assert_eq!(
            callback.query(),
            Some("error=access_denied&error_description=%3Cscript%3E&state=s")
        );
    }

    #[tokio::test]
    async fn timeout_returns_an_error_quickly() {
        let listener = bind_free("/cb").await;
        let uri = listener.redirect_uri().clone();
        let started = Instant::now();
        let error = listener
            .accept_redirect(Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(
            error,
            format!("no authorization redirect arrived on {uri} within 0.2 s")
        );
        // The listener goes with the call (its socket may close a moment after the error
        // is returned, so a first connect can still find it).
        let port = uri.port().unwrap();
        let deadline = Instant::now() + Duration::from_secs(2);
        while TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            assert!(Instant::now() < deadline, "the listener outlived the call");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn dropping_the_listener_frees_the_port() {
        let listener = bind_free("/cb").await;
        let port = listener.redirect_uri().port().unwrap();
        drop(listener);
        assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
    }

    #[test]
    fn head_end_is_found_in_either_line_ending() {
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\n\n"), Some(16));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n"), None);
    }
}
