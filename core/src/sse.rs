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
    /// The current line while it may be anything but a `data` line whose value has begun.
    line: Vec<u8>,
    /// The current line is a `data` line cut by the chunk's end: its value bytes go straight
    /// to `data` (a large message is copied once, not into the line and then the data).
    in_data_value: bool,
    /// That line so far is just `data:`: a space arriving next is not part of the value.
    strip_space: bool,
    /// Length of the current `data` line so far, its field name included, and of its value.
    data_line_len: usize,
    data_value_len: usize,
    /// The previous chunk ended in CR: an LF at the start of the next chunk belongs to it.
    skip_lf: bool,
    at_stream_start: bool,
    pending: SseEvent,
    /// The event's data lines, joined with LF as they come.
    data: Vec<u8>,
    has_data: bool,
    has_fields: bool,
    data_bytes: usize,
    max_event_bytes: usize,
    last_event_id: Option<String>,
}

const DATA_FIELD: &[u8] = b"data:";

impl SseParser {
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            line: Vec::new(),
            in_data_value: false,
            strip_space: false,
            data_line_len: 0,
            data_value_len: 0,
            skip_lf: false,
            at_stream_start: true,
            pending: SseEvent::default(),
            data: Vec::new(),
            has_data: false,
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
            if self.line.is_empty() && chunk.len() >= 3 {
                self.at_stream_start = false;
                return self.feed(chunk.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(chunk), out);
            }
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
        while !chunk.is_empty() {
            let end = memchr::memchr2(b'\n', b'\r', chunk);
            let part = &chunk[..end.unwrap_or(chunk.len())];
            if self.in_data_value {
                self.extend_data_value(part)?;
                if end.is_some() {
                    self.in_data_value = false;
                    self.data_bytes += self.data_value_len + 1;
                }
            } else if end.is_some() && self.line.is_empty() {
                // A whole line inside the chunk: read where it lies.
                self.check_size(part.len())?;
                self.process_line(part, out);
            } else {
                self.line.extend_from_slice(part);
                self.check_size(self.line.len())?;
                if end.is_some() {
                    let line = std::mem::take(&mut self.line);
                    self.process_line(&line, out);
                    self.line = line;
                    self.line.clear();
                } else if self.line.starts_with(DATA_FIELD) {
                    self.begin_data_value();
                }
            }
            let Some(pos) = end else {
                return Ok(());
            };
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
        Ok(())
    }

    /// The stream ended. Per the SSE rules an event not terminated by a blank line is dropped;
    /// the caller decides whether an early end matters (it does if a response is outstanding).
    pub fn finish(&mut self) -> bool {
        let incomplete = self.has_fields || self.in_data_value || !self.line.is_empty();
        self.line.clear();
        self.in_data_value = false;
        self.strip_space = false;
        self.pending = SseEvent::default();
        self.data = Vec::new();
        self.has_data = false;
        self.has_fields = false;
        self.data_bytes = 0;
        incomplete
    }

    /// `line_len`: the length of the current line so far.
    fn check_size(&self, line_len: usize) -> Result<()> {
        if self.data_bytes + line_len > self.max_event_bytes {
            return Err(Error::protocol(format!(
                "SSE event exceeds the maximum response size of {} bytes",
                self.max_event_bytes
            )));
        }
        Ok(())
    }

    /// The buffered line is a `data` line that goes on past this chunk: from here its value
    /// is appended to the data as it arrives.
    fn begin_data_value(&mut self) {
        self.start_data_line();
        self.in_data_value = true;
        self.data_line_len = DATA_FIELD.len();
        self.data_value_len = 0;
        let line = std::mem::take(&mut self.line);
        self.strip_space = true;
        // Cannot fail: the line, prefix included, passed the size check.
        let _ = self.extend_data_value(&line[DATA_FIELD.len()..]);
        self.line = line;
        self.line.clear();
    }

    fn extend_data_value(&mut self, mut part: &[u8]) -> Result<()> {
        self.data_line_len += part.len();
        self.check_size(self.data_line_len)?;
        if self.strip_space && !part.is_empty() {
            self.strip_space = false;
            part = part.strip_prefix(b" ").unwrap_or(part);
        }
        self.data.extend_from_slice(part);
        self.data_value_len += part.len();
        Ok(())
    }

    fn start_data_line(&mut self) {
        if self.has_data {
            self.data.push(b'\n');
        }
        self.has_data = true;
        self.has_fields = true;
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
                // Valid UTF-8 (the norm) becomes the text without a copy; only broken data is
                // walked again to replace what is invalid.
                event.data = String::from_utf8(std::mem::take(&mut self.data))
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                out.push(event);
            }
            self.has_fields = false;
            self.has_data = false;
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
                self.start_data_line();
                self.data.extend_from_slice(value);
                self.data_bytes += value.len() + 1;
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

    /// The rules applied to a whole stream at once, line by line: what the incremental parser
    /// must agree with however the stream is cut.
    fn whole_stream_events(stream: &[u8]) -> Vec<SseEvent> {
        let stream = stream.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(stream);
        let mut lines = Vec::new();
        let mut rest = stream;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            lines.push(&rest[..pos]);
            let crlf = rest[pos] == b'\r' && rest.get(pos + 1) == Some(&b'\n');
            rest = &rest[pos + 1 + usize::from(crlf)..];
        }
        let (mut out, mut event, mut data, mut fields) =
            (Vec::new(), SseEvent::default(), Vec::new(), false);
        for line in lines {
            if line.is_empty() {
                if fields {
                    if data.last() == Some(&b'\n') {
                        data.pop();
                    }
                    event.data = String::from_utf8_lossy(&data).into_owned();
                    out.push(std::mem::take(&mut event));
                }
                data.clear();
                fields = false;
                continue;
            }
            if line[0] == b':' {
                continue;
            }
            let colon = line.iter().position(|&b| b == b':');
            let name = &line[..colon.unwrap_or(line.len())];
            let value = colon.map_or(&b""[..], |c| {
                line[c + 1..].strip_prefix(b" ").unwrap_or(&line[c + 1..])
            });
            match name {
                b"data" => {
                    data.extend_from_slice(value);
                    data.push(b'\n');
                    fields = true;
                }
                b"event" => {
                    event.event = String::from_utf8_lossy(value).into_owned();
                    fields = true;
                }
                b"id" if !value.contains(&0) => {
                    event.id = Some(String::from_utf8_lossy(value).into_owned());
                    fields = true;
                }
                b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                    if let Ok(ms) = std::str::from_utf8(value).unwrap_or("").parse() {
                        event.retry = Some(ms);
                        fields = true;
                    }
                }
                _ => {}
            }
        }
        out
    }

    #[test]
    fn any_cut_of_any_stream_gives_the_whole_streams_events() {
        let mut seed = 0x9E3779B97F4A7C15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as usize
        };
        let pieces: &[&[u8]] = &[
            b"data:",
            b"data: ",
            b"data",
            b"id: 7",
            b"event: message",
            b"retry: 20",
            b": c",
            b"\n",
            b"\r",
            b"\r\n",
            b"\n\n",
            b" ",
            b"{\"a\":1}",
            b"\xE6\x97",
            b"\xA5",
            b"x",
            b"\xEF\xBB\xBF",
            b"dat",
            b"a:",
            b"xxxxxxxxxxxxxxxxxxxxxxxx",
        ];
        for _ in 0..3000 {
            let stream: Vec<u8> = (0..next(40))
                .flat_map(|_| pieces[next(pieces.len() as u64)].to_vec())
                .collect();
            let expected = whole_stream_events(&stream);
            let mut parser = SseParser::new(1 << 20);
            let mut out = Vec::new();
            let mut rest = &stream[..];
            while !rest.is_empty() {
                let (chunk, tail) = rest.split_at((next(9) + 1).min(rest.len()));
                parser.feed(chunk, &mut out).unwrap();
                rest = tail;
            }
            assert_eq!(out, expected, "{:?}", String::from_utf8_lossy(&stream));
        }
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
