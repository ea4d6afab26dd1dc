//! The session era's checks of what a server answers: the `MCP-Session-Id` value, the
//! protocol version an `initialize` result names, and what a non-2xx status and body mean
//! (expiry, an HTTP error, or the JSON-RPC error in the body). The first byte picks which.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcpstream::era::Era;
use mcpstream::fuzzing::{initialize_version, session_id, status_error};

fuzz_target!(|input: &[u8]| {
    let Some((&pick, rest)) = input.split_first() else {
        return;
    };
    match pick % 3 {
        0 => {
            if let Ok(id) = session_id(rest) {
                assert!(!id.is_empty() && id.bytes().all(|b| (0x21..=0x7e).contains(&b)));
            }
        }
        1 => {
            let _ = initialize_version(rest);
        }
        _ => {
            if rest.len() < 2 {
                return;
            }
            let status = 300 + u16::from_le_bytes([rest[0], rest[1]]) % 300;
            let era = [None, Some(Era::Legacy), Some(Era::Modern)][usize::from(pick / 3 % 3)];
            let error = status_error(status, &rest[2..], era);
            let _ = error.to_string();
            let _ = error.status();
        }
    }
});
