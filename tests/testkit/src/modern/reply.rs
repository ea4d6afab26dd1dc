//! How a modern answer travels. JSON when the server answers JSON (`--json`) and nothing
//! needs a stream; otherwise SSE, as the session era does by default. The SSE headers wait
//! for the handler's first message or its end, so an error that settles before anything was
//! streamed still gets its own HTTP status (E10) and a JSON body.

use super::error::ModernError;
use crate::http::{chunks, json_response, sse_body, sse_response};
use crate::interactive::Outbox;
use crate::log_levels::LogGate;
use crate::state::State;
use axum::body::Body;
use axum::http::{Response, StatusCode};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::oneshot;

/// What the handler of one request may use besides returning its result.
pub struct Context {
    pub streaming: bool,
    pub progress_token: Option<Value>,
    pub logs: LogGate,
}

pub async fn reply<W, F>(state: &Arc<State>, id: Value, context: Context, work: W) -> Response<Body>
where
    W: FnOnce(Arc<Outbox>) -> F + Send + 'static,
    F: std::future::Future<Output = Result<Value, ModernError>> + Send + 'static,
{
    let mut outbox = Outbox {
        state: state.clone(),
        session: None,
        writer: None,
        progress_token: context.progress_token,
        logs: context.logs,
    };
    if !context.streaming {
        return match work(Arc::new(outbox)).await {
            Ok(result) => json_response(StatusCode::OK, &message(&id, Ok(result))),
            Err(e) => e.response(&id),
        };
    }
    let (writer, mut rx) = state.hub.open_without_ids();
    outbox.writer = Some(writer);
    let outbox = Arc::new(outbox);
    let (done_tx, mut done_rx) = oneshot::channel();
    let worker = outbox.clone();
    tokio::spawn(async move {
        let _ = done_tx.send(work(worker).await);
    });
    let ok = || Response::builder().status(StatusCode::OK);
    tokio::select! {
        biased;
        first = rx.recv() => {
            tokio::spawn(async move {
                let result = done_rx.await.unwrap_or_else(|_| Err(ModernError::internal("handler failed")));
                finish(&outbox, &id, result);
            });
            match first {
                Some(first) => {
                    let events = stream::once(async { first }).chain(chunks(rx));
                    sse_body(ok(), Body::from_stream(events.map(Ok::<_, Infallible>)))
                }
                // The handler cut its own stream before writing anything.
                None => sse_response(ok(), rx),
            }
        }
        result = &mut done_rx => {
            let result = result.unwrap_or_else(|_| Err(ModernError::internal("handler failed")));
            match result {
                Err(e) => e.response(&id),
                Ok(result) => {
                    finish(&outbox, &id, Ok(result));
                    sse_response(ok(), rx)
                }
            }
        }
    }
}

fn finish(outbox: &Outbox, id: &Value, result: Result<Value, ModernError>) {
    if let Some(writer) = &outbox.writer {
        writer.finish(&message(id, result));
    }
}

fn message(id: &Value, result: Result<Value, ModernError>) -> Value {
    match result {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(e) => json!({"jsonrpc": "2.0", "id": id, "error": e.body()}),
    }
}
