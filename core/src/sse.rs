//! Incremental `text/event-stream` parser (the WHATWG rules): bytes arrive in chunks split
//! anywhere, lines end in LF, CRLF or CR, and an event is dispatched on a blank line.
//! Buffering is bounded: an event larger than the limit is an error, not an allocation.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `id` field of this event, if it had one (an empty `id:` resets it to "").
    pub id: Option<String>,
    /// The `event` field; empty means the default type "message".
    pub event: String,
    /// The `data` lines joined with LF. Empty for a priming event (an id with empty data).
    pub data: String,
    /// The `retry` field in milliseconds, if this event carried a valid one.
    pub retry: Option<u64>,
}

#[derive(Debug)]
pub struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended in CR: an LF at the start of the next chunk belongs to it.
    skip_lf: bool,
    at_stream_start: bool,
    pending: SseEvent,
    has_fields: bool,
    data_bytes: usize,
    max_event_bytes: usize,
    last_event_id: Option<String>,
}

impl SseParser {
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            line: Vec::new(),
            skip_lf: false,
            at_stream_start: true,
            pending: SseEvent::default(),
            has_fields: false,
            data_bytes: 0,
            max_event_bytes,
            last_event_id: None,
        }
    }

    /// The last event id seen on this stream, for `Last-Event-ID` on reconnection.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// Feeds one chunk and appends every event it completes to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<()> {
        if self.at_stream_start && !chunk.is_empty() {
            self.line.extend_from_slice(chunk);
            if self.line.len() < 3 && b"\xEF\xBB\xBF".starts_with(&self.line) {
                return Ok(());
            }
            self.at_stream_start = false;
            let buffered = std::mem::take(&mut self.line);
            let rest = buffered.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&buffered);
            return self.feed(rest, out);
        }
        if self.skip_lf && !chunk.is_empty() {
            self.skip_lf = false;
            if chunk[0] == b'\n' {
                chunk = &chunk[1..];
            }
        }
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', chunk) {
            self.line.extend_from_slice(&chunk[..pos]);
            self.check_size()?;
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, out);
            self.line = line;
            self.line.clear();
            let ended_with_cr = chunk[pos] == b'\r';
            chunk = &chunk[pos + 1..];
            if ended_with_cr {
                match chunk.first() {
                    Some(b'\n') => chunk = &chunk[1..],
                    None => self.skip_lf = true,
                    Some(_) => {}
                }
            }
        }
        self.line.extend_from_slice(chunk);
        self.check_size()
    }

    /// The stream ended. Per the SSE rules an event not terminated by a blank line is dropped;
    /// the caller decides whether an early end matters (it does if a response is outstanding).
    pub fn finish(&mut self) -> bool {
        let incomplete = self.has_fields || !self.line.is_empty();
        self.line.clear();
        self.pending = SseEvent::default();
        self.has_fields = false;
        self.data_bytes = 0;
        incomplete
    }

    fn check_size(&self) -> Result<()> {
        if self.data_bytes + self.line.len() > self.max_event_bytes {
            return Err(Error::protocol(format!(
                "SSE event exceeds the maximum response size of {} bytes",
                self.max_event_bytes
            )));
        }
        Ok(())
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_fields {
                let mut event = std::mem::take(&mut self.pending);
                // An id counts only once its event is complete: a resumption must replay an
                // event that was cut off, even if its id line arrived.
                if let Some(id) = &event.id {
                    self.last_event_id = Some(id.clone());
                }
                if event.data.ends_with('\n') {
                    event.data.pop();
                }
                out.push(event);
            }
            self.has_fields = false;
            self.data_bytes = 0;
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                // Valid UTF-8 (the norm) is checked by the fast path for ASCII runs; only a
                // broken line is walked again to replace what is invalid.
                match std::str::from_utf8(value) {
                    Ok(text) => self.pending.data.push_str(text),
                    Err(_) => self.pending.data.push_str(&String::from_utf8_lossy(value)),
                }
                self.pending.data.push('\n');
                self.data_bytes += value.len() + 1;
                self.has_fields = true;
            }
            b"event" => {
                self.pending.event = String::from_utf8_lossy(value).into_owned();
                self.has_fields = true;
            }
            b"id" if !value.contains(&0) => {
                self.pending.id = Some(String::from_utf8_lossy(value).into_owned());
                self.has_fields = true;
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                if let Ok(ms) = std::str::from_utf8(value).unwrap_or("").parse() {
                    self.pending.retry = Some(ms);
                    self.has_fields = true;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new(1 << 20);
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut out).unwrap();
        }
        out
    }

    fn ev(id: Option<&str>, event: &str, data: &str) -> SseEvent {
        SseEvent {
            id: id.map(str::to_owned),
            event: event.to_owned(),
            data: data.to_owned(),
            retry: None,
        }
    }

    const STREAM: &[u8] =
        b": comment\nid: 1\nevent: message\ndata: {\"a\":\ndata: 1}\n\nid: 2\ndata: second\n\n";

    #[test]
    fn parses_fields_and_multiline_data() {
        let out = parse_chunks(&[STREAM]);
        assert_eq!(
            out,
            vec![
                ev(Some("1"), "message", "{\"a\":\n1}"),
                ev(Some("2"), "", "second")
            ]
        );
    }

    #[test]
    fn split_at_every_byte_gives_the_same_events() {
        let whole = parse_chunks(&[STREAM]);
        for line_end in [&b"\n"[..], b"\r\n", b"\r"] {
            let text: Vec<u8> = String::from_utf8_lossy(STREAM)
                .replace('\n', std::str::from_utf8(line_end).unwrap())
                .into_bytes();
            let bytes: Vec<&[u8]> = text.chunks(1).collect();
            assert_eq!(parse_chunks(&bytes), whole, "line end {line_end:?}");
            for split in 0..text.len() {
                let (a, b) = text.split_at(split);
                assert_eq!(parse_chunks(&[a, b]), whole, "split at {split}");
            }
        }
    }

    #[test]
    fn crlf_split_between_chunks_is_one_line_end() {
        let out = parse_chunks(&[b"data: x\r", b"\n\r", b"\ndata: y\r\n\r\n"]);
        assert_eq!(out, vec![ev(None, "", "x"), ev(None, "", "y")]);
    }

    #[test]
    fn retry_priming_event_and_bom() {
        let out = parse_chunks(&[b"\xEF\xBB", b"\xBFid: p0\ndata:\nretry: 500\n\n"]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].id.as_deref(), Some("p0"));
        assert_eq!(out[0].data, "");
        assert_eq!(out[0].retry, Some(500));
    }

    #[test]
    fn ignores_garbage_fields_and_invalid_retry() {
        let out = parse_chunks(&[b"retry: 5x\nbogus: 1\nnocolon\n\ndata:no space\n\n"]);
        assert_eq!(out, vec![ev(None, "", "no space")]);
    }

    #[test]
    fn last_event_id_survives_events_and_finish_reports_partial_event() {
        let mut p = SseParser::new(1024);
        let mut out = Vec::new();
        p.feed(b"id: 41\ndata: a\n\ndata: partial", &mut out)
            .unwrap();
        assert_eq!(p.last_event_id(), Some("41"));
        assert!(p.finish(), "an unterminated event is reported");
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn the_id_of_a_cut_off_event_does_not_count() {
        let mut p = SseParser::new(1024);
        let mut out = Vec::new();
        p.feed(b"id: 3\ndata: a\n\nid: 4\ndata: {\"half", &mut out)
            .unwrap();
        assert_eq!(p.last_event_id(), Some("3"));
        p.finish();
        assert_eq!(p.last_event_id(), Some("3"));
    }

    #[test]
    fn oversize_event_is_an_error_not_a_buffer() {
        let mut p = SseParser::new(64);
        let mut out = Vec::new();
        let big = vec![b'x'; 100];
        let err = p
            .feed(b"data: ", &mut out)
            .and_then(|_| p.feed(&big, &mut out));
        assert!(matches!(err, Err(Error::Protocol { .. })));
        let mut p = SseParser::new(64);
        let many_lines = b"data: 0123456789\n".repeat(10);
        assert!(p.feed(&many_lines, &mut out).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x2545F4914F6CDD1Du64;
        for _ in 0..200 {
            let mut p = SseParser::new(4096);
            let mut out = Vec::new();
            let mut chunk = Vec::new();
            for _ in 0..300 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let alphabet = b"data:id:retry:event \r\n\x00\xff{}12";
                chunk.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            for piece in chunk.chunks((seed % 17 + 1) as usize) {
                let _ = p.feed(piece, &mut out);
            }
        }
    }
}
