//! The frames one direction of the link is holding: a FIFO, which is also sorted by release time
//! because every frame is held for the same delay. Order is kept and nothing is dropped; when
//! the queue is full the caller stops reading, so back-pressure lands in the kernel's socket
//! buffer (where the kernel counts any drop) rather than in a silent discard here.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub struct HeldFrames {
    delay: Duration,
    capacity: usize,
    frames: VecDeque<(Instant, Vec<u8>)>,
}

impl HeldFrames {
    pub fn new(delay: Duration, capacity: usize) -> Self {
        Self {
            delay,
            capacity,
            frames: VecDeque::new(),
        }
    }

    pub fn is_full(&self) -> bool {
        self.frames.len() >= self.capacity
    }

    /// Holds a frame that arrived at `arrived` until `arrived + delay`.
    pub fn hold(&mut self, arrived: Instant, frame: Vec<u8>) {
        self.frames.push_back((arrived + self.delay, frame));
    }

    /// The oldest frame whose time has come, if any.
    pub fn release_due(&mut self, now: Instant) -> Option<Vec<u8>> {
        match self.frames.front() {
            Some((due, _)) if *due <= now => self.frames.pop_front().map(|(_, frame)| frame),
            _ => None,
        }
    }

    /// How long until the next frame is due (zero if one is overdue); None when empty.
    pub fn next_due_in(&self, now: Instant) -> Option<Duration> {
        self.frames
            .front()
            .map(|(due, _)| due.saturating_duration_since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_released_after_the_delay_in_arrival_order() {
        let delay = Duration::from_millis(5);
        let mut held = HeldFrames::new(delay, 8);
        let t0 = Instant::now();
        held.hold(t0, vec![1]);
        held.hold(t0 + Duration::from_millis(1), vec![2]);
        assert_eq!(held.release_due(t0 + Duration::from_millis(4)), None);
        assert_eq!(held.next_due_in(t0), Some(delay));
        assert_eq!(held.release_due(t0 + delay), Some(vec![1]));
        assert_eq!(held.release_due(t0 + delay), None);
        assert_eq!(
            held.release_due(t0 + Duration::from_millis(6)),
            Some(vec![2])
        );
        assert_eq!(held.next_due_in(t0), None);
    }

    #[test]
    fn reports_full_at_capacity() {
        let mut held = HeldFrames::new(Duration::ZERO, 2);
        let now = Instant::now();
        held.hold(now, vec![1]);
        assert!(!held.is_full());
        held.hold(now, vec![2]);
        assert!(held.is_full());
        held.release_due(now);
        assert!(!held.is_full());
    }
}
