//! The SSE parser, structure-aware. The first byte picks the event size limit and whether the
//! rest is raw bytes or tokens (field names, line ends of all three kinds, a BOM, NUL): the
//! parser must never panic, and one stream must parse the same however it is split into
//! reads: at the fuzzer's chosen points, one byte at a time, and (for short streams) at every
//! single byte boundary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcpstream::fuzzing::sse_stream;

const TOKENS: [&[u8]; 16] = [
    b"data: ",
    b"data:",
    b"id: ",
    b"event: ",
    b"retry: ",
    b": ",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\xEF\xBB\xBF",
    b"\0",
    b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}",
    b"1500",
    b"id",
    b"data",
];

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let limit = [16, 64, 256, 1 << 20][usize::from(mode & 3)];
    let (splits, body) = rest.split_at(usize::from(mode >> 5).min(rest.len()));
    let stream: Vec<u8> = if mode & 4 == 0 {
        body.to_vec()
    } else {
        body.iter()
            .flat_map(|&b| match TOKENS.get(usize::from(b)) {
                Some(token) => token.to_vec(),
                None => vec![b],
            })
            .collect()
    };
    let whole = sse_stream([stream.as_slice()], limit);

    let mut points: Vec<usize> = splits
        .iter()
        .map(|&s| usize::from(s) * stream.len() / 255)
        .collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut from = 0;
    for at in points {
        pieces.push(&stream[from..at]);
        from = at;
    }
    pieces.push(&stream[from..]);
    assert_eq!(
        sse_stream(pieces, limit),
        whole,
        "split at the chosen points"
    );
    assert_eq!(
        sse_stream(stream.chunks(1), limit),
        whole,
        "one byte at a time"
    );
    if stream.len() <= 128 {
        for at in 0..=stream.len() {
            let (a, b) = stream.split_at(at);
            assert_eq!(sse_stream([a, b], limit), whole, "split at {at}");
        }
    }
});
