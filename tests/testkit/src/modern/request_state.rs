//! `requestState` as a stateless server keeps it: the state itself travels with the client,
//! sealed so the server can tell it came back untouched (E15 demands a byte-exact echo). The
//! seal is base64 JSON plus a keyed tag whose encoding always holds `+`, `/` and `=`, so a
//! client that re-encodes or trims the string is caught.

use crate::base64;
use serde_json::Value;
use std::hash::{DefaultHasher, Hash, Hasher};

pub fn seal(key: &[u8; 16], payload: &Value) -> String {
    let body = base64::encode(payload.to_string().as_bytes());
    let tag = tag(key, &body);
    format!("{body}.{tag}")
}

/// The payload, if `sealed` is exactly what [`seal`] produced with this key.
pub fn open(key: &[u8; 16], sealed: &str) -> Option<Value> {
    let (body, tag_text) = sealed.split_once('.')?;
    if tag(key, body) != tag_text {
        return None;
    }
    serde_json::from_slice(&base64::decode(body)?).ok()
}

/// A keyed hash, not a real MAC: enough to tell a test client's edits from the original.
fn tag(key: &[u8; 16], body: &str) -> String {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    body.hash(&mut hasher);
    // The two leading bytes encode as "+/", and eight bytes end in "=".
    let mut bytes = vec![0xfb, 0xff];
    bytes.extend_from_slice(&hasher.finish().to_be_bytes()[..6]);
    base64::encode(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_exact_string_opens() {
        let key = [7u8; 16];
        let payload = json!({"round": 2, "responses": {"k": "v"}});
        let sealed = seal(&key, &payload);
        assert!(sealed.contains('+') && sealed.contains('/') && sealed.ends_with('='));
        assert_eq!(open(&key, &sealed), Some(payload));
        assert_eq!(open(&[8u8; 16], &sealed), None, "another server's key");
        assert_eq!(open(&key, sealed.trim_end_matches('=')), None);
        assert_eq!(open(&key, &sealed.replace('+', " ")), None);
        assert_eq!(open(&key, &sealed.replace('/', "%2F")), None);
        assert_eq!(open(&key, &format!("x{sealed}")), None);
    }
}
