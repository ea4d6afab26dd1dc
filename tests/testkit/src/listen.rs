//! The reference server's accept loop: counts every TCP connection and TLS handshake, speaks
//! TLS when asked, and serves HTTP/1.1 and HTTP/2 on the same socket (h2 chosen by ALPN over
//! TLS, by the client's prior-knowledge preface on plain TCP).

use crate::state::State;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tower_service::Service;

const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// Hands every accepted connection (TCP_NODELAY set) to `each` until `shutdown` resolves;
/// connections already open are left to run. The reference server's and the test proxy's.
pub(crate) async fn accept_until(
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    mut each: impl FnMut(TcpStream, SocketAddr),
) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => return,
        };
        let Ok((tcp, peer)) = accepted else {
            // Out of file descriptors or a connection reset before accept: wait, go on.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        // Without TCP_NODELAY, small SSE writes wait on delayed ACKs (~40 ms per call).
        let _ = tcp.set_nodelay(true);
        each(tcp, peer);
    }
}

/// Accepts until `shutdown` resolves; connections already open are left to run.
pub(crate) async fn serve_connections(
    listener: TcpListener,
    app: Router,
    state: Arc<State>,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    accept_until(listener, shutdown, |tcp, peer| {
        state.count_connection();
        let (app, state, tls) = (app.clone(), state.clone(), tls.clone());
        tokio::spawn(async move {
            match tls {
                None => serve_http(tcp, peer, app).await,
                // A client that connects and never says hello must not hold a task forever.
                Some(acceptor) => match timeout(HANDSHAKE_LIMIT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        state.count_tls_handshake();
                        serve_http(stream, peer, app).await
                    }
                    Ok(Err(_)) | Err(_) => state.count_tls_failure(),
                },
            }
        });
    })
    .await;
}

/// One connection, HTTP/1.1 or HTTP/2, each request tagged with the peer address so that
/// handlers (and the request log) see which connection it came on.
async fn serve_http<Io>(io: Io, peer: SocketAddr, app: Router)
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().call(request)
    });
    // Errors here are the client's doing (reset, bad preface) and end only this connection.
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), service)
        .await;
}
