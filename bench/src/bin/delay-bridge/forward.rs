//! One direction of the link: read frames from one interface, hold each for the delay, send
//! them out of the other in the order they came.

use crate::held::HeldFrames;
use crate::packet::{PacketSocket, FRAME_BUFFER};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// At most this many frames in flight one way (about 100 MB of full frames): far above what a
/// 25 ms link carries at loopback speeds, and a bound on memory if the far side stalls.
const MOST_HELD: usize = 65_536;

/// How often an idle loop looks at the stop flag and the deadline.
const IDLE_WAKE: Duration = Duration::from_millis(100);

#[derive(Default)]
pub struct Counts {
    pub frames: u64,
    pub bytes: u64,
    /// Frames larger than the buffer (cut short, so not forwarded): offloads left on.
    pub oversize: u64,
    pub most_held: usize,
}

fn precise_timers() {
    // The default 50 µs slack on every wake-up would add to each frame's delay.
    // SAFETY: prctl(2) with plain integer arguments, for this thread only.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0) };
}

pub fn forward(
    from: &PacketSocket,
    to: &PacketSocket,
    delay: Duration,
    until: Instant,
    stop: &AtomicBool,
) -> io::Result<Counts> {
    precise_timers();
    let mut held = HeldFrames::new(delay, MOST_HELD);
    let mut buffer = vec![0u8; FRAME_BUFFER];
    let mut counts = Counts::default();
    let mut held_now = 0usize;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        let now = Instant::now();
        while let Some(frame) = held.release_due(now) {
            to.send(&frame)?;
            counts.frames += 1;
            counts.bytes += frame.len() as u64;
            held_now -= 1;
        }
        let wait = held.next_due_in(now).unwrap_or(IDLE_WAKE).min(IDLE_WAKE);
        if held.is_full() {
            std::thread::sleep(wait);
            continue;
        }
        if !from.wait_readable(wait)? {
            continue;
        }
        // Everything waiting is stamped as it is read, so a burst is held for the delay from
        // when it arrived, not from the next time this loop comes round.
        while !held.is_full() {
            match from.receive(&mut buffer)? {
                Some(n) if n > buffer.len() => counts.oversize += 1,
                Some(n) => {
                    held.hold(Instant::now(), buffer[..n].to_vec());
                    held_now += 1;
                    counts.most_held = counts.most_held.max(held_now);
                }
                None => break,
            }
        }
    }
    Ok(counts)
}
