//! The authorization server metadata check (RFC 8414): any document is accepted with secure
//! endpoints or refused with an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcpstream::fuzzing::authorization_server_metadata;

fuzz_target!(|input: &[u8]| {
    if let Ok(described) = authorization_server_metadata(input, "https://as.example.com") {
        assert!(described.contains("https://as.example.com"));
    }
});
