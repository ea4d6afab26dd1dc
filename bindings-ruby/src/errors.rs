//! Core errors become the exception classes defined in `lib/mcpstream/errors.rb`.

use magnus::value::ReprValue;
use magnus::{kwargs, prelude::*, Exception, ExceptionClass, RModule, Ruby};
use mcpstream::{Error, HttpErrorKind};

fn class(ruby: &Ruby, name: &str) -> Result<ExceptionClass, magnus::Error> {
    let module: RModule = ruby.class_object().const_get("MCPStream")?;
    module.const_get(name)
}

pub fn to_ruby(ruby: &Ruby, error: Error) -> magnus::Error {
    build(ruby, &error).unwrap_or_else(|failure| failure)
}

fn build(ruby: &Ruby, error: &Error) -> Result<magnus::Error, magnus::Error> {
    let message = error.to_string();
    let instance = match error {
        Error::Transport { .. } => class(ruby, "TransportError")?.new_instance((message,))?,
        Error::Timeout { .. } => class(ruby, "TimeoutError")?.new_instance((message,))?,
        Error::Http { status, kind, body } => class(ruby, "HTTPError")?.new_instance((
            message,
            kwargs!("status" => *status, "error_type" => kind.as_str(), "body" => body.as_str()),
        ))?,
        Error::SessionExpired { session_id, status } => class(ruby, "SessionExpiredError")?
            .new_instance((
                message,
                kwargs!(
                    "session_id" => session_id.as_str(),
                    "status" => *status,
                    "error_type" => HttpErrorKind::from_status(*status).as_str()
                ),
            ))?,
        Error::Rpc { code, message: rpc_message, data } => class(ruby, "RPCError")?.new_instance((
            message,
            kwargs!("code" => *code, "rpc_message" => rpc_message.as_str(), "data_json" => data.as_ref().map(|d| d.to_string())),
        ))?,
        Error::InvalidArgument { message } => {
            return Ok(magnus::Error::new(ruby.exception_arg_error(), message.clone()))
        }
        _ => class(ruby, "ProtocolError")?.new_instance((message,))?,
    };
    let exception = Exception::from_value(instance.as_value())
        .ok_or_else(|| magnus::Error::new(ruby.exception_type_error(), "not an exception"))?;
    Ok(exception.into())
}
