//! The core's log records, handed to the language's own logging (Python's `logging` under
//! the `mcpstream` logger, a Ruby `Logger`). Records are made on runtime threads, which must
//! not run the application's log handlers, so they go through a bounded channel to a thread
//! of the binding's that delivers them. Only records at or above the level the binding set are
//! made at all: with logging off a record costs one atomic load.

use log::{Level, LevelFilter, Log, Metadata, Record};
use mcpstream::fork::PerProcess;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Records waiting for the binding's thread; past this, new ones are dropped rather than let
/// a stalled log handler grow memory without bound.
const CAPACITY: usize = 10_000;

/// One record, for the language's logger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub level: Level,
    /// The logger's dotted name: the core's module path, `mcpstream.client` say.
    pub logger: String,
    pub message: String,
}

pub type Records = Arc<Mutex<Receiver<LogRecord>>>;
type Channel = (SyncSender<LogRecord>, Records);

/// Starts the binding's delivery thread for a process's channel (in each process: a forked
/// child gets a channel and a thread of its own).
pub type StartDelivery = fn(Records);

static CHANNEL: OnceLock<PerProcess<Channel>> = OnceLock::new();
/// The bridge is the process's `log` logger (not an application's own).
static OURS: AtomicBool = AtomicBool::new(false);

struct Bridge;

impl Log for Bridge {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level() && metadata.target().starts_with("mcpstream")
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let Some(channel) = CHANNEL.get() else {
            return;
        };
        let record = LogRecord {
            level: record.level(),
            logger: record.target().replace("::", "."),
            message: record.args().to_string(),
        };
        // A full channel means the binding's thread fell behind: the record is dropped, as a
        // log handler that stalls must not stall the client or grow its memory.
        let _ = channel.get().0.try_send(record);
    }

    fn flush(&self) {}
}

/// Routes the core's records to the binding, once per process image. `start` runs for each
/// process's channel (`None`: the binding pulls with [`next_record`] instead). False if the
/// application had installed a `log` logger of its own first (then that one gets them).
pub fn install(start: Option<StartDelivery>) -> bool {
    let mut installed_now = false;
    CHANNEL.get_or_init(|| {
        installed_now = true;
        PerProcess::new(move || {
            let (sender, receiver) = sync_channel(CAPACITY);
            let records = Arc::new(Mutex::new(receiver));
            if let Some(start) = start {
                start(records.clone());
            }
            (sender, records)
        })
    });
    if installed_now && log::set_boxed_logger(Box::new(Bridge)).is_ok() {
        OURS.store(true, Ordering::SeqCst);
        log::set_max_level(LevelFilter::Off);
    }
    OURS.load(Ordering::SeqCst)
}

/// Records below `level` are not made. Leaves alone a logger the application installed.
pub fn set_level(level: LevelFilter) {
    if OURS.load(Ordering::SeqCst) {
        log::set_max_level(level);
    }
}

/// The next record, if one comes within `wait` (for a binding that pulls).
pub fn next_record(wait: Duration) -> Option<LogRecord> {
    let records = CHANNEL.get()?.get().1;
    let record = lock(&records).recv_timeout(wait).ok();
    record
}

/// Takes what is waiting, without blocking, after the first record (a delivery thread hands
/// a burst to the language in one go).
pub fn drain_into(records: &Records, first: LogRecord, out: &mut Vec<LogRecord>) {
    out.push(first);
    let receiver = lock(records);
    while let Ok(record) = receiver.try_recv() {
        out.push(record);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_mcpstream_at_the_level_set_reach_the_binding() {
        assert!(install(None));
        set_level(LevelFilter::Info);
        log::debug!(target: "mcpstream::client", "below the level");
        log::info!(target: "hyper::client", "another crate");
        log::info!(target: "mcpstream::client", "connected");
        let record = next_record(Duration::from_secs(1)).expect("a record");
        assert_eq!(
            record,
            LogRecord {
                level: Level::Info,
                logger: "mcpstream.client".into(),
                message: "connected".into(),
            }
        );
        assert_eq!(next_record(Duration::from_millis(10)), None);
        set_level(LevelFilter::Off);
        log::error!(target: "mcpstream::client", "off");
        assert_eq!(next_record(Duration::from_millis(10)), None);
    }
}
