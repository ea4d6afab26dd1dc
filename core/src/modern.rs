//! The modern era's envelope (2026-07-28): the protocol fields every request carries in
//! `params._meta` (E2), the standard headers (E3), the header value encoding (E4), and what a
//! result's `resultType` says (E9).

use crate::error::{Error, Result};
use base64::Engine;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Map, Value};

pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
pub const META_SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");

/// The per-request protocol fields, the same on every request of a client.
pub(crate) struct Envelope<'a> {
    pub version: &'a str,
    pub capabilities: &'a Value,
    pub client_info: &'a Value,
    pub log_level: Option<&'a str>,
}

impl Envelope<'_> {
    /// `params` with the protocol fields set in `_meta`, beside whatever else `_meta` holds.
    pub fn wrap(&self, params: Option<Value>) -> Value {
        let mut params = match params {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let meta = params
            .entry("_meta")
            .or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        self.fill(meta.as_object_mut().expect("made an object above"));
        Value::Object(params)
    }

    /// Sets the protocol fields in `meta`.
    pub fn fill(&self, meta: &mut Map<String, Value>) {
        meta.insert(META_PROTOCOL_VERSION.into(), self.version.into());
        meta.insert(META_CLIENT_CAPABILITIES.into(), self.capabilities.clone());
        meta.insert(META_CLIENT_INFO.into(), self.client_info.clone());
        if let Some(level) = self.log_level {
            meta.insert(META_LOG_LEVEL.into(), level.into());
        }
    }
}

/// The params of one send: the caller's, borrowed (they may hold a large argument, which a
/// request sent again must not copy each time), under the entries this send sets or drops.
/// They serialise as the merged object would.
pub(crate) struct SendParams<'a> {
    caller: Option<&'a Map<String, Value>>,
    dropped: &'a [&'a str],
    /// This send's entries, which replace the caller's of the same name.
    pub own: Map<String, Value>,
}

impl<'a> SendParams<'a> {
    /// `params` (anything but an object counts as none) less the `dropped` entries.
    pub fn new(params: Option<&'a Value>, dropped: &'a [&'a str]) -> Self {
        Self {
            caller: params.and_then(Value::as_object),
            dropped,
            own: Map::new(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.own.get(key).or_else(|| {
            self.caller
                .filter(|_| !self.dropped.contains(&key))
                .and_then(|c| c.get(key))
        })
    }

    fn callers(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.caller.into_iter().flatten().filter(|(k, _)| {
            !self.dropped.contains(&k.as_str()) && !self.own.contains_key(k.as_str())
        })
    }

    /// The length of these params as JSON if nothing needed escaping, for sizing the body.
    pub fn unescaped_size(&self) -> usize {
        let entries = self.callers().chain(self.own.iter());
        2 + entries
            .map(|(k, v)| k.len() + 4 + crate::jsonrpc::unescaped_size(v))
            .sum::<usize>()
    }
}

impl serde::Serialize for SendParams<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        // Both in key order, merged: the same text as the merged object's.
        let mut callers = self.callers().peekable();
        let mut own = self.own.iter().peekable();
        loop {
            let take_own = match (callers.peek(), own.peek()) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((a, _)), Some((b, _))) => b < a,
            };
            let (key, value) =
                if take_own { own.next() } else { callers.next() }.expect("peeked above");
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `Mcp-Method`, and `Mcp-Name` for the methods that name their target (E3).
pub(crate) fn standard_headers(
    method: &str,
    params: &Value,
) -> Result<Vec<(HeaderName, HeaderValue)>> {
    standard_headers_by(method, |field| params.get(field))
}

/// [`standard_headers`] for params whose entries `entry` looks up.
pub(crate) fn standard_headers_by<'p>(
    method: &str,
    entry: impl Fn(&str) -> Option<&'p Value>,
) -> Result<Vec<(HeaderName, HeaderValue)>> {
    let mut headers = vec![(MCP_METHOD, header_value(method)?)];
    let named_by = match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    };
    if let Some(field) = named_by {
        let Some(name) = entry(field).and_then(Value::as_str) else {
            return Err(Error::invalid_argument(format!(
                "{method} needs a string {field:?} in its params"
            )));
        };
        headers.push((MCP_NAME, header_value(&encode_text(name))?));
    }
    Ok(headers)
}

pub(crate) fn header_value(text: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(text)
        .map_err(|_| Error::invalid_argument(format!("{text:?} cannot be sent as a header value")))
}

/// E4: a JSON value as a header value, or `None` when it is not mirrored (null, a fraction,
/// an array or an object).
pub(crate) fn encode_value(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(encode_text(s)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// A string as-is when a header can carry it unchanged, else `=?base64?…?=`.
pub(crate) fn encode_text(text: &str) -> String {
    let unsafe_byte = text.bytes().any(|b| !(0x20..=0x7E).contains(&b));
    let padded = text.starts_with([' ', '\t']) || text.ends_with([' ', '\t']);
    let looks_encoded = text.starts_with("=?base64?") && text.ends_with("?=");
    if unsafe_byte || padded || looks_encoded {
        let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
        format!("=?base64?{encoded}?=")
    } else {
        text.to_owned()
    }
}

/// What a modern result asks of the client next.
#[derive(Debug)]
pub(crate) enum Outcome {
    Complete(Value),
    /// An `InputRequiredResult` (E14): answer its requests and send the request again.
    InputRequired(Value),
}

/// E9: `resultType` absent (a legacy-style server) is complete; an unknown one is invalid.
pub(crate) fn outcome(result: Value) -> Result<Outcome> {
    match result.get("resultType") {
        None | Some(Value::Null) => Ok(Outcome::Complete(result)),
        Some(Value::String(kind)) if kind == "complete" => Ok(Outcome::Complete(result)),
        Some(Value::String(kind)) if kind == "input_required" => Ok(Outcome::InputRequired(result)),
        Some(other) => Err(Error::protocol(format!(
            "the server answered with resultType {other}, which mcpstream does not know"
        ))),
    }
}

/// The server's self-description from a `DiscoverResult`: in `_meta` as the revision says,
/// or at the top level as some servers still send it.
pub(crate) fn server_info(discover: &Value) -> Option<Value> {
    discover
        .pointer("/_meta/io.modelcontextprotocol~1serverInfo")
        .or_else(|| discover.get("serverInfo"))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn protocol_fields_go_in_meta_beside_the_callers() {
        let caps = json!({"roots": {}});
        let info = json!({"name": "t", "version": "1"});
        let envelope = Envelope {
            version: "2026-07-28",
            capabilities: &caps,
            client_info: &info,
            log_level: Some("debug"),
        };
        let wrapped = envelope.wrap(Some(json!({"name": "x", "_meta": {"progressToken": 3}})));
        assert_eq!(
            wrapped,
            json!({"name": "x", "_meta": {
                "progressToken": 3,
                META_PROTOCOL_VERSION: "2026-07-28",
                META_CLIENT_CAPABILITIES: {"roots": {}},
                META_CLIENT_INFO: {"name": "t", "version": "1"},
                META_LOG_LEVEL: "debug",
            }})
        );
        let bare = Envelope {
            log_level: None,
            ..envelope
        }
        .wrap(None);
        assert_eq!(bare["_meta"].as_object().unwrap().len(), 3);
    }

    #[test]
    fn send_params_write_what_the_merged_object_would() {
        let caller = json!({
            "_meta": {"k": 1}, "a": 1, "arguments": {"text": "x\"y"},
            "inputResponses": {"old": 1}, "name": "t", "zz": [1, 2.5, null],
        });
        let dropped = ["inputResponses", "requestState"];
        let mut params = SendParams::new(Some(&caller), &dropped);
        params.own.insert("_meta".into(), json!({"k": 1, "p": 2}));
        params.own.insert("requestState".into(), json!("s"));
        params.own.insert("b".into(), json!(true));
        params.own.insert("zzz".into(), json!({}));
        let mut merged = caller.as_object().unwrap().clone();
        merged.remove("inputResponses");
        merged.extend(params.own.clone());
        let text = serde_json::to_string(&params).unwrap();
        assert_eq!(text, Value::Object(merged).to_string());
        assert_eq!(params.get("inputResponses"), None);
        assert_eq!(params.get("requestState"), Some(&json!("s")));
        assert_eq!(params.get("name"), Some(&json!("t")));
        assert_eq!(params.get("_meta"), Some(&json!({"k": 1, "p": 2})));
        assert!(params.unescaped_size() >= text.len() - 1);
        let not_an_object = json!([1]);
        let none = SendParams::new(Some(&not_an_object), &dropped);
        assert_eq!(serde_json::to_string(&none).unwrap(), "{}");
    }

    #[test]
    fn standard_headers_name_the_target() {
        let h = standard_headers("tools/call", &json!({"name": "my-tool"})).unwrap();
        assert_eq!(h[0].1, "tools/call");
        assert_eq!(h[1].0, "mcp-name");
        assert_eq!(h[1].1, "my-tool");
        let h = standard_headers("resources/read", &json!({"uri": "file:///a%20b.txt"})).unwrap();
        assert_eq!(h[1].1, "file:///a%20b.txt");
        assert_eq!(standard_headers("tools/list", &json!({})).unwrap().len(), 1);
        assert!(standard_headers("prompts/get", &json!({})).is_err());
    }

    #[test]
    fn values_are_encoded_as_the_revision_says() {
        assert_eq!(encode_value(&json!("us-west")).unwrap(), "us-west");
        assert_eq!(encode_value(&json!("")).unwrap(), "");
        assert_eq!(encode_value(&json!(42)).unwrap(), "42");
        assert_eq!(encode_value(&json!(-7)).unwrap(), "-7");
        assert_eq!(encode_value(&json!(true)).unwrap(), "true");
        assert_eq!(encode_value(&json!(false)).unwrap(), "false");
        assert_eq!(encode_value(&json!(1.5)), None);
        assert_eq!(encode_value(&Value::Null), None);
        assert_eq!(encode_value(&json!({"a": 1})), None);
        // Base64 of the UTF-8 bytes, with the exact markers.
        assert_eq!(encode_text("日本"), "=?base64?5pel5pys?=");
        assert_eq!(encode_text(" padded"), "=?base64?IHBhZGRlZA==?=");
        assert_eq!(encode_text("line\nbreak"), "=?base64?bGluZQpicmVhaw==?=");
        assert_eq!(encode_text("a\r\nb"), "=?base64?YQ0KYg==?=");
        assert_eq!(
            encode_text("=?base64?abc?="),
            "=?base64?PT9iYXNlNjQ/YWJjPz0=?="
        );
        assert_eq!(encode_text("inner space ok"), "inner space ok");
    }

    #[test]
    fn result_types() {
        assert!(matches!(outcome(json!({})), Ok(Outcome::Complete(_))));
        assert!(matches!(
            outcome(json!({"resultType": "complete"})),
            Ok(Outcome::Complete(_))
        ));
        assert!(matches!(
            outcome(json!({"resultType": "input_required"})),
            Ok(Outcome::InputRequired(_))
        ));
        assert!(matches!(
            outcome(json!({"resultType": "task"})),
            Err(Error::Protocol { .. })
        ));
    }

    #[test]
    fn server_info_from_meta_or_top_level() {
        let meta = json!({"_meta": {META_SERVER_INFO: {"name": "a"}}});
        assert_eq!(server_info(&meta).unwrap()["name"], "a");
        assert_eq!(
            server_info(&json!({"serverInfo": {"name": "b"}})).unwrap()["name"],
            "b"
        );
    }
}
