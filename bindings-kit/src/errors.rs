//! The error table: which class each core error becomes, and with which attributes, the same
//! in Python and Ruby. A binding looks the class up by name in its own errors module and sets
//! the fields as keyword arguments.

use mcpstream::{AuthErrorKind, Error, HttpErrorKind};
use serde_json::Value;

/// A class of the mcpstream hierarchy by name, or the language's own argument error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    Named(&'static str),
    /// The caller's own bad input: `ValueError` in Python, `ArgumentError` in Ruby.
    Argument,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Int(i64),
    Text(String),
    /// Decoded into the language's own values (dict / Hash, list / Array, ...).
    Json(Option<Value>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ErrorFacts {
    pub class: ErrorClass,
    pub message: String,
    pub fields: Vec<(&'static str, Field)>,
}

/// The base class, for any error the table does not name.
pub const BASE_CLASS: &str = "MCPError";

pub fn describe(error: &Error) -> ErrorFacts {
    let message = error.to_string();
    let text = |s: &str| Field::Text(s.to_owned());
    let (class, fields) = match error {
        Error::Transport { .. } => (ErrorClass::Named("TransportError"), vec![]),
        Error::Timeout { .. } => (ErrorClass::Named("TimeoutError"), vec![]),
        Error::Http {
            status,
            kind,
            body,
            method,
            url,
        } => (
            ErrorClass::Named("HTTPError"),
            vec![
                ("status", Field::Int((*status).into())),
                ("error_type", text(kind.as_str())),
                ("body", text(body)),
                ("http_method", text(method)),
                ("url", text(url)),
            ],
        ),
        Error::NotConnected => (ErrorClass::Named("NotConnectedError"), vec![]),
        Error::Tool { name, result, .. } => (
            ErrorClass::Named("ToolError"),
            vec![
                ("tool", text(name)),
                ("result", Field::Json(Some(result.clone()))),
            ],
        ),
        Error::SessionExpired { session_id, status } => (
            ErrorClass::Named("SessionExpiredError"),
            vec![
                ("session_id", text(session_id)),
                ("status", Field::Int((*status).into())),
                (
                    "error_type",
                    text(HttpErrorKind::from_status(*status).as_str()),
                ),
            ],
        ),
        Error::Rpc {
            code,
            message,
            data,
        } => (
            ErrorClass::Named("RPCError"),
            vec![
                ("code", Field::Int(*code)),
                ("rpc_message", text(message)),
                ("data", Field::Json(data.clone())),
            ],
        ),
        Error::Protocol { .. } => (ErrorClass::Named("ProtocolError"), vec![]),
        Error::Authorization(e) => {
            let class = match e.kind {
                AuthErrorKind::Required => "AuthorizationRequired",
                AuthErrorKind::InsufficientScope => "InsufficientScopeError",
                AuthErrorKind::Denied => "AuthorizationDeniedError",
                _ => "AuthorizationError",
            };
            let optional = |v: &Option<String>| Field::Json(v.clone().map(Value::String));
            (
                ErrorClass::Named(class),
                vec![
                    ("error", optional(&e.error)),
                    ("error_description", optional(&e.error_description)),
                    ("authorization_url", optional(&e.authorization_url)),
                    ("scope", optional(&e.scope)),
                ],
            )
        }
        Error::InvalidArgument { message } => {
            return ErrorFacts {
                class: ErrorClass::Argument,
                message: message.clone(),
                fields: vec![],
            }
        }
        _ => (ErrorClass::Named(BASE_CLASS), vec![]),
    };
    ErrorFacts {
        class,
        message,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_error_names_its_class_and_fields() {
        let facts = describe(&Error::Rpc {
            code: -32601,
            message: "nope".into(),
            data: Some(json!({"a": 1})),
        });
        assert_eq!(facts.class, ErrorClass::Named("RPCError"));
        assert_eq!(
            facts.fields,
            vec![
                ("code", Field::Int(-32601)),
                ("rpc_message", Field::Text("nope".into())),
                ("data", Field::Json(Some(json!({"a": 1})))),
            ]
        );
        let expired = describe(&Error::SessionExpired {
            session_id: "s".into(),
            status: 400,
        });
        assert_eq!(
            expired.fields[2],
            ("error_type", Field::Text("bad_request".into()))
        );
        let http = describe(&Error::Http {
            status: 404,
            kind: HttpErrorKind::NotFound,
            body: "<html>\n<body>Not Found</body>\n</html>".into(),
            method: "POST".into(),
            url: "http://127.0.0.1:8000/mcp".into(),
        });
        assert_eq!(
            http.message,
            "POST http://127.0.0.1:8000/mcp: HTTP 404 (not_found)"
        );
        assert_eq!(
            http.fields[2],
            (
                "body",
                Field::Text("<html>\n<body>Not Found</body>\n</html>".into())
            )
        );
        assert_eq!(
            describe(&Error::NotConnected).class,
            ErrorClass::Named("NotConnectedError")
        );
        let failed =
            json!({"content": [{"type": "text", "text": "Tool add not found"}], "isError": true});
        let tool = describe(&Error::check_tool_result("add", failed.clone()).unwrap_err());
        assert_eq!(
            (tool.class, tool.message.as_str()),
            (
                ErrorClass::Named("ToolError"),
                r#"tool "add" failed: Tool add not found"#
            )
        );
        assert_eq!(
            tool.fields,
            vec![
                ("tool", Field::Text("add".into())),
                ("result", Field::Json(Some(failed)))
            ]
        );
        assert_eq!(
            describe(&Error::InvalidArgument {
                message: "m".into()
            }),
            ErrorFacts {
                class: ErrorClass::Argument,
                message: "m".into(),
                fields: vec![]
            }
        );
    }
}
