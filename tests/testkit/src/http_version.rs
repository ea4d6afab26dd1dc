//! The HTTP version of the request being handled, for the request log. `server::record` is
//! called from handlers that never see the request itself (auth, hostile), so the version
//! travels with the handler's task instead of through every signature.

use axum::extract::Request;
use axum::http::Version;
use axum::middleware::Next;
use axum::response::Response;

tokio::task_local! {
    static CURRENT: &'static str;
}

/// Wraps a router so that handlers run knowing their request's version.
pub(crate) fn track(router: axum::Router) -> axum::Router {
    router.layer(axum::middleware::from_fn(scope))
}

async fn scope(request: Request, next: Next) -> Response {
    let version = name(request.version());
    CURRENT.scope(version, next.run(request)).await
}

/// `"HTTP/1.1"`, `"HTTP/2.0"`, ...; `"unknown"` outside a tracked router (the hostile lane's
/// other origin has its own).
pub(crate) fn current() -> String {
    CURRENT.try_with(|v| *v).unwrap_or("unknown").to_owned()
}

fn name(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "unknown",
    }
}
