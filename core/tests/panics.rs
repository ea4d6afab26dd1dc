//! The application's callbacks may panic: the client catches it, answers the server (a request
//! handler's panic becomes a -32603 error) and the call goes on.

mod common;

use common::{quick_options, server};
use mcpstream::handlers::RequestHandler;
use mcpstream::{Client, Handlers};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

async fn ask_with(handler: RequestHandler) -> Value {
    let server = server();
    let handlers = Handlers {
        elicitation: Some(handler),
        ..Handlers::default()
    };
    let client = Client::with_options(&server.url(), quick_options().handlers(handlers)).unwrap();
    client.connect().await.unwrap();
    let asked = client.call_tool("ask", Some(json!({"kind": "elicitation"})));
    tokio::time::timeout(Duration::from_secs(5), asked)
        .await
        .expect("the server got an answer")
        .expect("the call itself succeeds")
}

#[tokio::test]
async fn a_handler_that_panics_before_its_future_exists_still_answers() {
    let handler: RequestHandler = Arc::new(|_params| panic!("a handler that panics at once"));
    let out = ask_with(handler).await;
    assert!(out.to_string().contains("-32603"), "{out}");
}

#[tokio::test]
async fn a_handler_whose_future_panics_still_answers() {
    let handler: RequestHandler = Arc::new(|_params| Box::pin(async { panic!("later") }));
    let out = ask_with(handler).await;
    assert!(out.to_string().contains("-32603"), "{out}");
}
