//! JSON values as Ruby objects and back, without JSON text in between: a large tool result or
//! argument is copied once instead of being written out, copied and parsed again on each side
//! (`JSON.generate` and `JSON.parse` cost more than the rest of a 1 MiB call).
//!
//! Both directions give exactly what the JSON text round trip gave. Ruby values that
//! `JSON.generate` writes in its own way or refuses (subclasses, objects with their own
//! `to_json`, Symbols as values, NaN, integers beyond 64 bits, strings in other encodings or
//! with broken bytes, cycles, deep nesting) are not converted here: the caller falls back to
//! `JSON.generate`, which keeps its behaviour and errors.

use magnus::r_hash::ForEach;
use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::value::{Fixnum, Qfalse, Qtrue, ReprValue};
use magnus::{
    Error, Float, Integer, IntoValue, Module, RArray, RClass, RHash, RModule, RString, Ruby,
    Symbol, Value as RValue,
};
use mcpstream_binding_kit::Operation;
use serde_json::{Map, Number, Value};

/// The default `max_nesting` of both `JSON.generate` and `JSON.parse`: anything nested deeper
/// takes the text route, where it fails as it always did (`JSON::NestingError`).
const MAX_NESTING: usize = 100;

/// The Ruby object `JSON.parse` makes of `value`'s JSON text.
pub fn to_ruby(ruby: &Ruby, value: &Value) -> Result<RValue, Error> {
    match build(ruby, value, 0) {
        Ok(object) => Ok(object),
        Err(Build::TooDeep) => json_module(ruby)?.funcall("parse", (value.to_string(),)),
        Err(Build::Raised(e)) => Err(e),
    }
}

enum Build {
    TooDeep,
    Raised(Error),
}

impl From<Error> for Build {
    fn from(e: Error) -> Self {
        Self::Raised(e)
    }
}

/// `nesting` counts the arrays and objects around `value`, as the JSON parser does.
fn build(ruby: &Ruby, value: &Value, nesting: usize) -> Result<RValue, Build> {
    let inner = || {
        (nesting < MAX_NESTING)
            .then_some(nesting + 1)
            .ok_or(Build::TooDeep)
    };
    Ok(match value {
        Value::Null => ruby.qnil().into_value_with(ruby),
        Value::Bool(b) => b.into_value_with(ruby),
        Value::Number(n) => number(ruby, n),
        Value::String(s) => ruby.str_new(s).into_value_with(ruby),
        Value::Array(items) => {
            let nesting = inner()?;
            let array = ruby.ary_new_capa(items.len());
            for item in items {
                array.push(build(ruby, item, nesting)?)?;
            }
            array.into_value_with(ruby)
        }
        Value::Object(map) => {
            let nesting = inner()?;
            let hash = ruby.hash_new();
            for (key, item) in map {
                let item = build(ruby, item, nesting)?;
                hash.aset(ruby.str_new(key), item)?;
            }
            hash.into_value_with(ruby)
        }
    })
}

fn number(ruby: &Ruby, n: &Number) -> RValue {
    if let Some(i) = n.as_i64() {
        ruby.integer_from_i64(i).into_value_with(ruby)
    } else if let Some(u) = n.as_u64() {
        ruby.integer_from_u64(u).into_value_with(ruby)
    } else {
        // serde_json keeps every other number (larger integers too) as a float, written with
        // a fraction or exponent that JSON.parse reads as a Float.
        ruby.float_from_f64(n.as_f64().unwrap_or(f64::NAN))
            .into_value_with(ruby)
    }
}

/// The operation `op` names: a Hash of its fields (or their JSON text). What the fields hold
/// that JSON cannot fails as `JSON.generate` fails (`JSON::GeneratorError`, say); what an
/// operation cannot take is the inner error.
pub fn operation(ruby: &Ruby, op: RValue) -> Result<Result<Operation, mcpstream::Error>, Error> {
    if let Some(text) = RString::from_value(op) {
        return Ok(Operation::from_json(&text.to_string()?));
    }
    if let Some(value) = from_ruby(ruby, op) {
        return Ok(Operation::from_value(value));
    }
    let text: RString = json_module(ruby)?.funcall("generate", (op,))?;
    Ok(Operation::from_json(&text.to_string()?))
}

fn json_module(ruby: &Ruby) -> Result<RModule, Error> {
    ruby.class_object().const_get("JSON")
}

/// `object` as the value the JSON parser reads from `JSON.generate(object)`, when that is sure
/// to be the same; `None` when the caller must take the text route.
pub fn from_ruby(ruby: &Ruby, object: RValue) -> Option<Value> {
    plain(ruby, object, 0)
}

fn plain(ruby: &Ruby, object: RValue, nesting: usize) -> Option<Value> {
    if object.is_nil() {
        return Some(Value::Null);
    }
    if Qtrue::from_value(object).is_some() {
        return Some(Value::Bool(true));
    }
    if Qfalse::from_value(object).is_some() {
        return Some(Value::Bool(false));
    }
    if let Some(i) = Fixnum::from_value(object) {
        return Some(Value::from(i.to_i64()));
    }
    if let Some(f) = Float::from_value(object) {
        // JSON.generate refuses NaN and the infinities.
        return Number::from_f64(f.to_f64()).map(Value::Number);
    }
    if let Some(i) = Integer::from_value(object) {
        // Beyond 64 bits the parser reads the digits as a float, maybe rounded otherwise than
        // Ruby would: the text route says what it always said.
        return match i.to_i64() {
            Ok(i) => Some(Value::from(i)),
            Err(_) => i.to_u64().ok().map(Value::from),
        };
    }
    // Exact classes only (a singleton class counts as another): JSON.generate asks anything
    // else for its own to_json.
    if let Some(s) = RString::from_value(object) {
        return is_exactly(object, ruby.class_string()).then(|| text(s))?;
    }
    // Containers count towards JSON.generate's max_nesting; a cycle ends here too.
    if nesting >= MAX_NESTING {
        return None;
    }
    if let Some(hash) = RHash::from_value(object) {
        return is_exactly(object, ruby.class_hash())
            .then(|| object_of(ruby, hash, nesting + 1))?;
    }
    if let Some(array) = RArray::from_value(object) {
        return is_exactly(object, ruby.class_array())
            .then(|| array_of(ruby, array, nesting + 1))?;
    }
    None
}

fn is_exactly(object: RValue, class: RClass) -> bool {
    object.class().as_raw() == class.as_raw()
}

/// A String in UTF-8 (or US-ASCII, or binary holding ASCII only) with valid bytes: what
/// JSON.generate writes out as it is. Others it converts or refuses.
fn text(s: RString) -> Option<Value> {
    // SAFETY: the bytes are copied before any Ruby code could run and change them.
    unsafe { s.test_as_str() }.map(|text| Value::String(text.to_owned()))
}

fn object_of(ruby: &Ruby, hash: RHash, nesting: usize) -> Option<Value> {
    let mut map = Map::new();
    let mut complete = true;
    let walked = hash.foreach(|key: RValue, item: RValue| {
        // Two keys of one name (a Symbol and a String) are JSON.generate's to write: some
        // versions warn of them.
        let entry = key_of(ruby, key).zip(plain(ruby, item, nesting));
        if entry.is_some_and(|(key, item)| map.insert(key, item).is_none()) {
            Ok(ForEach::Continue)
        } else {
            complete = false;
            Ok(ForEach::Stop)
        }
    });
    (walked.is_ok() && complete).then_some(Value::Object(map))
}

/// String keys as they are, Symbol keys by name, as JSON.generate writes them; other keys it
/// turns into text with their own to_s.
fn key_of(ruby: &Ruby, key: RValue) -> Option<String> {
    if let Some(s) = RString::from_value(key) {
        if !is_exactly(key, ruby.class_string()) {
            return None;
        }
        return match text(s)? {
            Value::String(s) => Some(s),
            _ => None,
        };
    }
    let symbol = Symbol::from_value(key)?;
    // The name as a String (not as a C string, which would end at a NUL).
    // SAFETY: `symbol` is a live Symbol; rb_sym2str returns its name, a String.
    let name =
        unsafe { RString::from_value(RValue::from_raw(rb_sys::rb_sym2str(symbol.as_raw()))) }?;
    match text(name)? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn array_of(ruby: &Ruby, array: RArray, nesting: usize) -> Option<Value> {
    let mut items = Vec::with_capacity(array.len());
    // By index, not through a copied slice: each item is read while it is still in the array.
    for index in 0..array.len() {
        let item: RValue = array.entry(index as isize).ok()?;
        items.push(plain(ruby, item, nesting)?);
    }
    Some(Value::Array(items))
}
