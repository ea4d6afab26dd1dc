//! Core errors become the exception classes defined in `lib/mcpstream/errors.rb`, by the
//! binding kit's error table (the same classes and attributes as in Python).

use magnus::{prelude::*, Exception, ExceptionClass, KwArgs, RModule, Ruby, Value};
use mcpstream::Error;
use mcpstream_binding_kit::{describe, ErrorClass, ErrorFacts, Field};

fn class(ruby: &Ruby, name: &str) -> Result<ExceptionClass, magnus::Error> {
    let module: RModule = ruby.class_object().const_get("MCPStream")?;
    module.const_get(name)
}

/// JSON text as Ruby values, by Ruby's own JSON (as the client decodes results).
fn json_parse(ruby: &Ruby, text: &str) -> Result<Value, magnus::Error> {
    let json: RModule = ruby.class_object().const_get("JSON")?;
    json.funcall("parse", (text,))
}

pub fn to_ruby(ruby: &Ruby, error: Error) -> magnus::Error {
    from_facts(ruby, describe(&error))
}

/// The exception a row of the error table describes.
pub fn from_facts(ruby: &Ruby, facts: ErrorFacts) -> magnus::Error {
    build(ruby, facts).unwrap_or_else(|failure| failure)
}

fn build(ruby: &Ruby, facts: ErrorFacts) -> Result<magnus::Error, magnus::Error> {
    let name = match facts.class {
        ErrorClass::Argument => {
            return Ok(magnus::Error::new(
                ruby.exception_arg_error(),
                facts.message,
            ))
        }
        ErrorClass::Named(name) => name,
    };
    let kwargs = ruby.hash_new();
    for (key, field) in facts.fields {
        let key = ruby.to_symbol(key);
        match field {
            Field::Int(n) => kwargs.aset(key, n)?,
            Field::Text(s) => kwargs.aset(key, s)?,
            Field::Json(Some(value)) => kwargs.aset(key, json_parse(ruby, &value.to_string())?)?,
            Field::Json(None) => kwargs.aset(key, ruby.qnil())?,
        }
    }
    let exception: Exception = class(ruby, name)?.new_instance((facts.message, KwArgs(kwargs)))?;
    Ok(exception.into())
}
