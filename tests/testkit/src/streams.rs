//! Every SSE response the reference server sends is an event log: each event gets an id
//! `<stream>_<seq>`, is kept, and goes to the live connection if there is one. A test can make
//! the server drop that connection (cleanly, or in the middle of an event); a GET with
//! `Last-Event-ID` then replays what came after, and the rest as it is written.

use axum::body::Bytes;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;

type Live = mpsc::UnboundedSender<Bytes>;

struct Log {
    session: Option<String>,
    /// Modern-era streams carry no event ids: that era has no resumption.
    ids: bool,
    events: Vec<Bytes>,
    done: bool,
    live: Option<Live>,
}

#[derive(Default)]
pub struct StreamHub {
    next_stream: AtomicU64,
    logs: Mutex<HashMap<u64, Log>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Why a resumption GET cannot be served.
pub enum ReplayError {
    UnknownEventId,
}

impl StreamHub {
    /// Opens a new stream for a POST response; the returned receiver feeds its HTTP body.
    pub fn open(
        self: &Arc<Self>,
        session: Option<String>,
    ) -> (StreamWriter, mpsc::UnboundedReceiver<Bytes>) {
        self.open_stream(session, true)
    }

    /// A stream for the modern era: events without ids, never resumed.
    pub fn open_without_ids(self: &Arc<Self>) -> (StreamWriter, mpsc::UnboundedReceiver<Bytes>) {
        self.open_stream(None, false)
    }

    fn open_stream(
        self: &Arc<Self>,
        session: Option<String>,
        ids: bool,
    ) -> (StreamWriter, mpsc::UnboundedReceiver<Bytes>) {
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.logs).insert(
            id,
            Log {
                session,
                ids,
                events: Vec::new(),
                done: false,
                live: Some(tx),
            },
        );
        (
            StreamWriter {
                hub: self.clone(),
                stream: id,
            },
            rx,
        )
    }

    /// Attaches a new connection to the stream `last_event_id` belongs to, replaying every
    /// event after it. The connection closes once the stream is done.
    pub fn resume(
        &self,
        session: Option<&str>,
        last_event_id: &str,
    ) -> Result<mpsc::UnboundedReceiver<Bytes>, ReplayError> {
        let (stream, seq) = parse_event_id(last_event_id).ok_or(ReplayError::UnknownEventId)?;
        let mut logs = lock(&self.logs);
        let log = logs.get_mut(&stream).ok_or(ReplayError::UnknownEventId)?;
        if log.session.as_deref() != session || seq >= log.events.len() as u64 {
            return Err(ReplayError::UnknownEventId);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        for event in &log.events[seq as usize + 1..] {
            let _ = tx.send(event.clone());
        }
        if !log.done {
            log.live = Some(tx);
        }
        Ok(rx)
    }

    /// Forgets every stream, as a restart would.
    pub fn clear(&self) {
        lock(&self.logs).clear();
    }
}

/// Event ids are `<stream>_<seq>`, seq counting from 0 for the priming event.
fn parse_event_id(id: &str) -> Option<(u64, u64)> {
    let (stream, seq) = id.split_once('_')?;
    Some((stream.parse().ok()?, seq.parse().ok()?))
}

/// Writes one stream's events.
pub struct StreamWriter {
    hub: Arc<StreamHub>,
    stream: u64,
}

impl StreamWriter {
    /// The priming event (an id and empty data), with a `retry` hint if configured.
    pub fn prime(&self, retry_ms: Option<u64>) {
        self.append(|id| {
            let id = id.map(|id| format!("id: {id}\n")).unwrap_or_default();
            match retry_ms {
                Some(ms) => format!("{id}retry: {ms}\ndata:\n\n"),
                None => format!("{id}data:\n\n"),
            }
        });
    }

    pub fn send(&self, message: &Value) {
        self.append(|id| frame(id, message));
    }

    /// The response: the last event of the stream, which then ends.
    pub fn finish(&self, message: &Value) {
        self.send(message);
        let mut logs = lock(&self.hub.logs);
        if let Some(log) = logs.get_mut(&self.stream) {
            log.done = true;
            log.live = None;
        }
    }

    /// Ends the live connection (SEP-1699 polling, or a network cut). With `mid_event`, the
    /// connection first gets half of `next` — an event that is logged in full and will be
    /// replayed whole; the caller must not send it again.
    pub fn drop_connection(&self, next: Option<&Value>) {
        let mut logs = lock(&self.hub.logs);
        let Some(log) = logs.get_mut(&self.stream) else {
            return;
        };
        if let (Some(live), Some(message)) = (log.live.take(), next) {
            let id = format!("{}_{}", self.stream, log.events.len());
            let event = Bytes::from(frame(log.ids.then_some(id.as_str()), message));
            // Halved as bytes: a cut may fall inside a UTF-8 character, as a real one would.
            let _ = live.send(event.slice(..event.len() / 2));
            log.events.push(event);
        }
    }

    fn append(&self, format: impl FnOnce(Option<&str>) -> String) {
        let mut logs = lock(&self.hub.logs);
        let Some(log) = logs.get_mut(&self.stream) else {
            return;
        };
        let id = format!("{}_{}", self.stream, log.events.len());
        let event = Bytes::from(format(log.ids.then_some(id.as_str())));
        if let Some(live) = &log.live {
            let _ = live.send(event.clone());
        }
        log.events.push(event);
    }
}

fn frame(id: Option<&str>, message: &Value) -> String {
    match id {
        Some(id) => format!("id: {id}\ndata: {message}\n\n"),
        None => format!("data: {message}\n\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn drain(rx: &mut mpsc::UnboundedReceiver<Bytes>) -> String {
        let mut out = String::new();
        while let Ok(b) = rx.try_recv() {
            out.push_str(std::str::from_utf8(&b).unwrap());
        }
        out
    }

    #[test]
    fn replays_after_the_last_event_id_and_follows_live() {
        let hub = Arc::new(StreamHub::default());
        let (w, mut first) = hub.open(Some("s".into()));
        w.prime(Some(100));
        w.send(&json!(1));
        w.drop_connection(Some(&json!(2)));
        let seen = drain(&mut first);
        assert!(
            seen.contains("id: 1_1\ndata: 1\n\n") && seen.ends_with("id: 1_2\n"),
            "{seen:?}"
        );
        w.send(&json!(3));
        let mut resumed = hub.resume(Some("s"), "1_1").ok().unwrap();
        assert_eq!(
            drain(&mut resumed),
            "id: 1_2\ndata: 2\n\nid: 1_3\ndata: 3\n\n"
        );
        w.finish(&json!(4));
        assert_eq!(drain(&mut resumed), "id: 1_4\ndata: 4\n\n");
        assert!(resumed.try_recv().is_err());
        assert!(
            hub.resume(Some("other"), "1_1").is_err(),
            "another session's stream"
        );
        assert!(hub.resume(Some("s"), "9_0").is_err());
        assert!(hub.resume(Some("s"), "garbage").is_err());
    }

    #[test]
    fn modern_streams_have_no_event_ids() {
        let hub = Arc::new(StreamHub::default());
        let (w, mut rx) = hub.open_without_ids();
        w.send(&json!(1));
        w.finish(&json!(2));
        assert_eq!(drain(&mut rx), "data: 1\n\ndata: 2\n\n");
    }
}
