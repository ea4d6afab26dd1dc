//! The other origin of `redirect_cross_origin`: a second listener, started on first use, that
//! records every request reaching it (did `MCP-Session-Id` or `Authorization` leak?) and
//! answers each with 502.

use crate::state::RecordedRequest;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use axum::Router;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

#[derive(Default)]
pub(crate) struct Elsewhere {
    addr: OnceCell<SocketAddr>,
    received: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl Elsewhere {
    /// Where the listener is, starting it the first time.
    pub(crate) async fn address(&self) -> SocketAddr {
        *self
            .addr
            .get_or_init(|| async {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                    .await
                    .expect("a second listener on 127.0.0.1");
                let addr = listener.local_addr().expect("a bound address");
                let received = self.received.clone();
                let app = Router::new().fallback(
                    move |ConnectInfo(peer): ConnectInfo<SocketAddr>,
                          method: Method,
                          uri: Uri,
                          headers: HeaderMap,
                          body: Bytes| {
                        let received = received.clone();
                        async move {
                            let status = StatusCode::BAD_GATEWAY;
                            let record = crate::server::record(
                                &method,
                                uri.path(),
                                peer,
                                &headers,
                                &body,
                                status,
                            );
                            received
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(record);
                            Response::builder()
                                .status(status)
                                .body(Body::from("another origin"))
                                .expect("static response")
                        }
                    },
                );
                let app = crate::http_version::track(app);
                tokio::spawn(async move {
                    let _ = axum::serve(
                        listener,
                        app.into_make_service_with_connect_info::<SocketAddr>(),
                    )
                    .await;
                });
                addr
            })
            .await
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn clear(&self) {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
