//! `CONNECT host:port`: answer 200, then copy bytes both ways between the client and the
//! target until either side closes. The proxy never sees inside (TLS stays end to end).

use super::text;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

pub(super) async fn open(
    destination: SocketAddr,
    mut request: Request<Incoming>,
) -> Response<Body> {
    let Ok(mut upstream) = TcpStream::connect(destination).await else {
        return text(
            StatusCode::BAD_GATEWAY,
            "the CONNECT target refused the connection",
        );
    };
    let _ = upstream.set_nodelay(true);
    // The client's bytes after our 200 arrive through the upgrade, not as a request body.
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        if let Ok(upgraded) = upgrade.await {
            let _ = tokio::io::copy_bidirectional(&mut TokioIo::new(upgraded), &mut upstream).await;
        }
    });
    Response::new(Body::empty())
}
