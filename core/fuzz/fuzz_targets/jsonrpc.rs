//! The JSON-RPC classifier every message from a server goes through: any bytes give a message
//! or a protocol error, never a panic; a response written back out reads as a response to the
//! same id. (Not as an equal value: serde_json, without its `float_roundtrip` feature, may read
//! a float it wrote one ulp off, which this target found first.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcpstream::fuzzing::classify_message;
use mcpstream::jsonrpc::Incoming;

fuzz_target!(|input: &[u8]| {
    let Ok(message) = classify_message(input) else {
        return;
    };
    if let Incoming::Response { id, result } = &message {
        let again = serde_json::json!({"jsonrpc": "2.0", "id": id.to_value(), "result": result});
        let reread = classify_message(again.to_string().as_bytes()).expect("a response reads back");
        assert_eq!(reread.response_id(), Some(id));
        assert!(matches!(reread, Incoming::Response { .. }));
    }
});
