//! Multi round-trip requests (E14–E17): what an `InputRequiredResult` asks, answered by the
//! handlers the application registered (`on_elicitation`, `on_sampling`, `on_roots`), and
//! what the next round sends back.

use crate::elicitation;
use crate::error::{Error, Result};
use crate::handlers::Handlers;
use serde_json::{Map, Value};

/// What the next round of a request carries: the answers by the server's keys, and its
/// `requestState` exactly as received (never parsed).
#[derive(Debug)]
pub(crate) struct InputReply {
    responses: Option<Map<String, Value>>,
    state: Option<Value>,
}

impl InputReply {
    pub fn attach(&self, params: &mut Map<String, Value>) {
        if let Some(responses) = &self.responses {
            params.insert("inputResponses".into(), Value::Object(responses.clone()));
        }
        if let Some(state) = &self.state {
            params.insert("requestState".into(), state.clone());
        }
    }
}

/// Only these may be answered with `input_required` (E14).
pub(crate) fn may_ask_for_input(method: &str) -> bool {
    matches!(method, "tools/call" | "prompts/get" | "resources/read")
}

/// Answers every input request of `result`, one after another, in the server's order.
pub(crate) async fn answer(handlers: &Handlers, result: Value) -> Result<InputReply> {
    let state = match result.get("requestState") {
        None | Some(Value::Null) => None,
        Some(state @ Value::String(_)) => Some(state.clone()),
        Some(_) => return Err(Error::protocol("requestState is not a string")),
    };
    let requests = match result.get("inputRequests") {
        None | Some(Value::Null) => None,
        Some(Value::Object(requests)) => Some(requests),
        Some(_) => return Err(Error::protocol("inputRequests is not an object")),
    };
    if requests.is_none_or(Map::is_empty) && state.is_none() {
        return Err(Error::protocol(
            "an input_required result asked for nothing (no inputRequests, no requestState)",
        ));
    }
    let mut responses = None;
    if let Some(requests) = requests {
        let mut answers = Map::with_capacity(requests.len());
        for (key, request) in requests {
            answers.insert(key.clone(), answer_one(handlers, key, request).await?);
        }
        responses = Some(answers);
    }
    Ok(InputReply { responses, state })
}

async fn answer_one(handlers: &Handlers, key: &str, request: &Value) -> Result<Value> {
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return Err(Error::protocol(format!(
            "input request {key:?} has no method"
        )));
    };
    let params = request.get("params").cloned();
    let Some(handler) = handlers.for_method(method) else {
        let which = match method {
            "elicitation/create" => "on_elicitation",
            "sampling/createMessage" => "on_sampling",
            "roots/list" => "on_roots",
            _ => {
                return Err(Error::protocol(format!(
                    "the server asked for input with {method:?}, which is not an input request"
                )))
            }
        };
        return Err(Error::protocol(format!(
            "the server needs {method} to go on, but no {which} handler is registered (and the capability was not declared)"
        )));
    };
    let form = match method {
        "elicitation/create" => elicitation::requested_properties(params.as_ref()),
        _ => None,
    };
    let mut answer = handler(params).await?;
    if let Some(properties) = &form {
        elicitation::apply_defaults(properties, &mut answer);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::request_handler;
    use serde_json::json;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    #[test]
    fn every_request_is_answered_under_its_key_and_state_is_kept_as_sent() {
        let handlers = Handlers {
            elicitation: Some(request_handler(|_| async {
                Ok(json!({"action": "accept", "content": {"name": "Ada"}}))
            })),
            roots: Some(request_handler(|_| async { Ok(json!({"roots": []})) })),
            ..Handlers::default()
        };
        let result = json!({
            "resultType": "input_required",
            "inputRequests": {
                "who": {"method": "elicitation/create", "params": {"message": "name?"}},
                "where": {"method": "roots/list", "params": {}}
            },
            "requestState": "v1.a+b/c=="
        });
        let reply = runtime().block_on(answer(&handlers, result)).unwrap();
        let mut params = Map::new();
        params.insert("inputResponses".into(), json!("stale"));
        reply.attach(&mut params);
        assert_eq!(params["inputResponses"]["who"]["content"]["name"], "Ada");
        assert_eq!(params["inputResponses"]["where"], json!({"roots": []}));
        assert_eq!(params["requestState"], "v1.a+b/c==");
    }

    #[test]
    fn state_only_rounds_send_no_responses() {
        let reply = runtime()
            .block_on(answer(
                &Handlers::default(),
                json!({"resultType": "input_required", "requestState": "s"}),
            ))
            .unwrap();
        let mut params = Map::new();
        reply.attach(&mut params);
        assert_eq!(Value::Object(params), json!({"requestState": "s"}));
    }

    #[test]
    fn unanswerable_requests_fail_locally() {
        let no_handler = json!({"inputRequests": {"k": {"method": "sampling/createMessage"}}});
        let err = runtime()
            .block_on(answer(&Handlers::default(), no_handler))
            .unwrap_err();
        assert!(err.to_string().contains("on_sampling"), "{err}");
        let empty = json!({"resultType": "input_required"});
        assert!(runtime()
            .block_on(answer(&Handlers::default(), empty))
            .is_err());
        let unknown = json!({"inputRequests": {"k": {"method": "tools/call"}}});
        assert!(runtime()
            .block_on(answer(&Handlers::default(), unknown))
            .is_err());
    }
}
