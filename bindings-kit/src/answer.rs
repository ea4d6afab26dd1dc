//! A handler's answer to a server request, as a binding hands it over (JSON text):
//! `{"result": {...}}`, `{"error": {"code": …, "message": …, "data": …}}` for an RPCError the
//! handler raised, or `{"raised": {"class": …, "message": …}}` for any other exception, which
//! the server receives as an internal error (-32603).

use mcpstream::jsonrpc::INTERNAL_ERROR;
use mcpstream::Error;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum HandlerAnswer {
    Result(Value),
    Error {
        code: i64,
        message: String,
        #[serde(default)]
        data: Option<Value>,
    },
    Raised {
        class: String,
        message: String,
    },
}

/// A JSON-RPC internal error (-32603) to send the server when a handler fails.
pub fn internal_error(message: impl Into<String>) -> Error {
    Error::Rpc {
        code: INTERNAL_ERROR,
        message: message.into(),
        data: None,
    }
}

/// The -32603 answer for a handler that raised `class` with `message`.
pub fn raised(class: &str, message: &str) -> Error {
    internal_error(format!("{class}: {message}"))
}

/// What the core sends back to the server for the `kind` handler's answer. A result must be a
/// JSON object: anything else (a handler that returned nothing, say) is refused at once with
/// an internal error that says what it returned, instead of leaving the server waiting.
pub fn handler_result(kind: &str, answer: &str) -> Result<Value, Error> {
    let answer: HandlerAnswer = serde_json::from_str(answer)
        .map_err(|e| internal_error(format!("the {kind} handler's answer is unusable: {e}")))?;
    match answer {
        HandlerAnswer::Result(Value::Object(result)) => Ok(Value::Object(result)),
        HandlerAnswer::Result(other) => Err(internal_error(not_a_result(kind, &other))),
        HandlerAnswer::Error {
            code,
            message,
            data,
        } => Err(Error::Rpc {
            code,
            message,
            data,
        }),
        HandlerAnswer::Raised { class, message } => Err(raised(&class, &message)),
    }
}

/// What the developer should hear about the `kind` handler's answer beyond what the server is
/// sent: that it returned something other than a result object. The call that made the server
/// ask may never say (a session-era server answers its own request as it likes), so the
/// bindings show this as a warning. `None` for a result, and for an error the handler raised,
/// which is an answer it chose.
pub fn refused_result(kind: &str, answer: &str) -> Option<String> {
    match serde_json::from_str::<HandlerAnswer>(answer) {
        Ok(HandlerAnswer::Result(Value::Object(_))) => None,
        Ok(HandlerAnswer::Result(other)) => Some(format!(
            "{}; the server was answered with error -32603",
            not_a_result(kind, &other)
        )),
        Ok(_) => None,
        Err(e) => Some(format!("the {kind} handler's answer is unusable: {e}")),
    }
}

fn not_a_result(kind: &str, returned: &Value) -> String {
    format!(
        "the {kind} handler returned {}, not a result object",
        describe(returned)
    )
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing (null)".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "a list".into(),
        other => format!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code_and_message(answer: &str) -> (i64, String) {
        match handler_result("sampling", answer) {
            Err(Error::Rpc { code, message, .. }) => (code, message),
            other => panic!("{answer}: {other:?}"),
        }
    }

    #[test]
    fn results_errors_and_exceptions() {
        assert_eq!(
            handler_result("sampling", r#"{"result": {"a": 1}}"#).unwrap(),
            json!({"a": 1})
        );
        match handler_result(
            "sampling",
            r#"{"error": {"code": -1, "message": "no", "data": [1]}}"#,
        ) {
            Err(Error::Rpc {
                code: -1,
                message,
                data,
            }) => {
                assert_eq!((message.as_str(), data), ("no", Some(json!([1]))))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            code_and_message(r#"{"raised": {"class": "ValueError", "message": "bad"}}"#),
            (-32603, "ValueError: bad".into())
        );
    }

    #[test]
    fn a_result_that_is_not_an_object_is_refused_with_what_it_was() {
        let (code, message) = code_and_message(r#"{"result": null}"#);
        assert_eq!(code, -32603);
        assert!(
            message.contains("sampling handler returned nothing"),
            "{message}"
        );
        assert!(code_and_message(r#"{"result": "x"}"#)
            .1
            .contains("a string"));
        assert_eq!(
            refused_result("elicitation", r#"{"result": null}"#).as_deref(),
            Some("the elicitation handler returned nothing (null), not a result object; the server was answered with error -32603")
        );
        assert_eq!(
            refused_result("roots", r#"{"result": {"roots": []}}"#),
            None
        );
        assert_eq!(
            refused_result("roots", r#"{"raised": {"class": "E", "message": "m"}}"#),
            None
        );
        assert_eq!(code_and_message("{").0, -32603);
        assert_eq!(code_and_message(r#"{"other": 1}"#).0, -32603);
    }
}
