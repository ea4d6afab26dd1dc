//! Reading response bodies: bounded (a hostile server cannot make the client hold more than
//! it allows) and to their end, so the connection goes back to the pool and is reused.

use reqwest::Response;
use std::time::Duration;

/// How long the caller waits for a stream to end after its response before the rest is read in
/// the background. Conforming servers end the stream right after the response.
const INLINE_DRAIN: Duration = Duration::from_millis(100);
const BACKGROUND_DRAIN: Duration = Duration::from_secs(30);
const POOL_RETURN_TURNS: usize = 3;

pub(crate) enum CappedError {
    TooLarge,
    Read(reqwest::Error),
}

/// The whole body, or `TooLarge` as soon as it (or its announced length) passes `limit`.
pub(crate) async fn read_capped(resp: &mut Response, limit: usize) -> Result<Vec<u8>, CappedError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(CappedError::TooLarge);
    }
    // The announced length saves regrowing a large body; a server that announces much and
    // sends little gets no more than a mebibyte reserved up front.
    let announced = resp.content_length().unwrap_or(0).min(1 << 20) as usize;
    let mut body = Vec::with_capacity(announced);
    while let Some(chunk) = resp.chunk().await.map_err(CappedError::Read)? {
        if body.len() + chunk.len() > limit {
            return Err(CappedError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// At most `cap` bytes of the body, for error messages; read errors end it quietly.
pub(crate) async fn read_truncated(resp: &mut Response, cap: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < cap {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            _ => break,
        }
    }
    body
}

/// Reads a response to its end so its connection returns to the pool. A server that keeps the
/// stream open gets a short grace inline, then the rest is read in the background.
pub(crate) async fn drain(mut resp: Response) {
    async fn to_end(resp: &mut Response) {
        while let Ok(Some(_)) = resp.chunk().await {}
    }
    if tokio::time::timeout(INLINE_DRAIN, to_end(&mut resp))
        .await
        .is_err()
    {
        tokio::spawn(async move {
            let _ = tokio::time::timeout(BACKGROUND_DRAIN, to_end(&mut resp)).await;
        });
        return;
    }
    let multiplexed = resp.version() >= reqwest::Version::HTTP_2;
    drop(resp);
    // The pool takes an HTTP/1 connection back a few scheduler turns after its body ended (the
    // connection's task settles, then the pool's own task runs). A request sent before that
    // finds no idle connection and opens another, which the pool then keeps too: a sequential
    // client would alternate between two. Three turns were always enough on one thread. On a
    // multi-threaded runtime the returning task waits for another thread, which turns do not
    // give it (bench/PROFILE.md), and each turn costs a poll of the I/O driver: none there.
    let one_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread);
    if multiplexed || !one_thread {
        return;
    }
    for _ in 0..POOL_RETURN_TURNS {
        tokio::task::yield_now().await;
    }
}
