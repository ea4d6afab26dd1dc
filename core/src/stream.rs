//! Reading JSON-RPC messages from an SSE response, and the arithmetic of resuming one: which
//! event id to resume from, how long to wait, and when to give up.

use crate::error::{Error, Result};
use crate::jsonrpc::Incoming;
use crate::options::ReconnectPolicy;
use crate::sse::{SseEvent, SseParser};
use reqwest::Response;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

/// What the next read of a stream produced.
pub(crate) enum Next {
    Message(Incoming),
    /// The stream ended: closed by the server, or the connection broke.
    Ended,
}

/// One SSE response (a POST answer or a GET stream) read message by message.
pub(crate) struct MessageStream {
    response: Response,
    parser: SseParser,
    pending: VecDeque<SseEvent>,
    scratch: Vec<SseEvent>,
    retry: Option<Duration>,
}

impl MessageStream {
    pub fn new(response: Response, max_event_bytes: usize) -> Self {
        Self {
            response,
            parser: SseParser::new(max_event_bytes),
            pending: VecDeque::new(),
            scratch: Vec::new(),
            retry: None,
        }
    }

    /// A malformed message or an oversize event is an error; a broken connection is an end,
    /// because a disconnect is not a failure of the request (it may be resumed).
    pub async fn next(&mut self) -> Result<Next> {
        loop {
            while let Some(event) = self.pending.pop_front() {
                if let Some(ms) = event.retry {
                    self.retry = Some(Duration::from_millis(ms));
                }
                // Priming events carry only an id; other event types are not MCP messages.
                if event.data.is_empty() || !(event.event.is_empty() || event.event == "message") {
                    continue;
                }
                return Incoming::from_text(&event.data).map(Next::Message);
            }
            match self.response.chunk().await {
                Ok(Some(chunk)) => {
                    self.parser.feed(&chunk, &mut self.scratch)?;
                    self.pending.extend(self.scratch.drain(..));
                }
                Ok(None) | Err(_) => {
                    self.parser.finish();
                    return Ok(Next::Ended);
                }
            }
        }
    }

    pub fn last_event_id(&self) -> Option<&str> {
        self.parser.last_event_id().filter(|id| !id.is_empty())
    }

    /// The server's `retry` hint, if it sent one.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// Reads what is left so the connection can be reused.
    pub async fn finish(self) {
        crate::body::drain(self.response).await;
    }
}

/// Bookkeeping for resuming one logical stream across reconnections.
pub(crate) struct Resumption {
    policy: ReconnectPolicy,
    started: Instant,
    attempts: u32,
    pub last_event_id: Option<String>,
    retry: Option<Duration>,
}

impl Resumption {
    pub fn new(policy: ReconnectPolicy) -> Self {
        Self {
            policy,
            started: Instant::now(),
            attempts: 0,
            last_event_id: None,
            retry: None,
        }
    }

    /// A message arrived: the stream is healthy again, so the attempt count starts over.
    pub fn made_progress(&mut self) {
        self.attempts = 0;
    }

    /// Remembers where a stream that just ended got to.
    pub fn note_end(&mut self, stream: &MessageStream) {
        if let Some(id) = stream.last_event_id() {
            self.last_event_id = Some(id.to_owned());
        }
        if let Some(retry) = stream.retry() {
            self.retry = Some(retry);
        }
    }

    /// The wait before the next attempt, or the error that ends the resumption. The first
    /// attempt waits exactly what the server asked (`retry`, as the spec requires) plus a
    /// little jitter; later ones back off exponentially up to `max_delay`.
    pub fn next_delay(&mut self, what: &str) -> Result<Duration> {
        self.attempts += 1;
        let elapsed = self.started.elapsed();
        if self.attempts > self.policy.max_attempts || elapsed >= self.policy.max_total {
            let error = Error::protocol(format!(
                "gave up resuming {what} after {} attempts in {:.1}s",
                self.attempts - 1,
                elapsed.as_secs_f64()
            ));
            log::warn!("{error}");
            return Err(error);
        }
        let base = self.retry.unwrap_or(self.policy.default_retry);
        let factor = 1u32 << (self.attempts - 1).min(16);
        // The cap limits backoff growth but never undercuts what the server asked for.
        let delay = base
            .saturating_mul(factor)
            .min(self.policy.max_delay.max(base));
        let jitter = delay.mul_f64(0.1 * random_fraction());
        let remaining = self.policy.max_total.saturating_sub(elapsed);
        let delay = (delay + jitter).min(remaining);
        log::info!(
            "resuming {what}: attempt {} of {} in {} ms",
            self.attempts,
            self.policy.max_attempts,
            delay.as_millis()
        );
        Ok(delay)
    }
}

/// A number in [0, 1) from the standard library's randomly keyed hasher; enough for jitter.
fn random_fraction() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ReconnectPolicy {
        ReconnectPolicy {
            max_attempts: 3,
            max_total: Duration::from_secs(60),
            default_retry: Duration::from_millis(100),
            max_delay: Duration::from_millis(250),
        }
    }

    #[test]
    fn honours_retry_then_backs_off_and_gives_up() {
        let mut r = Resumption::new(policy());
        r.retry = Some(Duration::from_millis(500));
        let first = r.next_delay("x").unwrap();
        assert!(
            first >= Duration::from_millis(500) && first <= Duration::from_millis(550),
            "{first:?}"
        );
        let mut r = Resumption::new(policy());
        let delays: Vec<_> = (0..3).map(|_| r.next_delay("x").unwrap()).collect();
        assert!(delays[0] >= Duration::from_millis(100) && delays[0] < Duration::from_millis(111));
        assert!(delays[1] >= Duration::from_millis(200) && delays[1] < Duration::from_millis(221));
        assert!(
            delays[2] >= Duration::from_millis(250),
            "capped at max_delay"
        );
        let err = r.next_delay("the stream").unwrap_err();
        assert!(
            err.to_string()
                .contains("gave up resuming the stream after 3 attempts"),
            "{err}"
        );
    }

    #[test]
    fn progress_resets_the_attempts() {
        let mut r = Resumption::new(policy());
        for _ in 0..10 {
            r.next_delay("x").unwrap();
            r.next_delay("x").unwrap();
            r.made_progress();
        }
    }

    #[test]
    fn the_time_budget_also_ends_it() {
        let mut r = Resumption::new(ReconnectPolicy {
            max_total: Duration::ZERO,
            ..policy()
        });
        assert!(r.next_delay("x").is_err());
    }

    #[test]
    fn jitter_is_a_fraction() {
        for _ in 0..100 {
            let f = random_fraction();
            assert!((0.0..1.0).contains(&f));
        }
    }
}
