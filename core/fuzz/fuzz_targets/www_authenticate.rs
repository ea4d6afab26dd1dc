//! The `WWW-Authenticate` parser behind authorization discovery and step-up: any header values
//! (one per line of the input) parse to challenges without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcpstream::fuzzing::www_authenticate;

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let headers: Vec<&str> = text.split('\n').collect();
    let _ = www_authenticate(&headers);
});
