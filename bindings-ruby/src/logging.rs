//! The core's log records for a Ruby `Logger` (`MCPStream.logger = Logger.new($stderr)`).
//! Ruby code runs on Ruby threads only, so a Ruby thread (lib/mcpstream/logging.rb) pulls the
//! records with `next_log_record`, waiting outside the GVL; the level follows the logger's,
//! set from Ruby when the logger is set, when a client is made and at each `connect`.

use crate::wait;
use log::{Level, LevelFilter};
use magnus::{Error, Ruby};
use mcpstream_binding_kit::logging;

/// Ruby `Logger` severities (DEBUG 0 … ERROR 3, FATAL 4); `nil`: no logger, no records.
pub fn set_log_level(severity: Option<i64>) {
    logging::install(None);
    logging::set_level(match severity {
        None => LevelFilter::Off,
        Some(..=0) => LevelFilter::Debug,
        Some(1) => LevelFilter::Info,
        Some(2) => LevelFilter::Warn,
        Some(3) => LevelFilter::Error,
        Some(_) => LevelFilter::Off,
    });
}

/// The next record as `[severity, logger name, message]`, or nil after a short wait.
pub fn next_log_record(ruby: &Ruby) -> Result<Option<(i64, String, String)>, Error> {
    let record = wait::without_gvl(|| logging::next_record(wait::SLICE * 4)).flatten();
    ruby.thread_check_ints()?;
    Ok(record.map(|r| {
        let severity = match r.level {
            Level::Error => 3,
            Level::Warn => 2,
            Level::Info => 1,
            Level::Debug | Level::Trace => 0,
        };
        (severity, r.logger, r.message)
    }))
}
