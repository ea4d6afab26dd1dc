//! The core's log records into Python's `logging`, under the `mcpstream` logger (the core's
//! module path as the child logger: `mcpstream.client`, `mcpstream.auth.authorizer`). A
//! thread of its own hands them to Python, never a runtime worker. Which records are made
//! follows the logger's effective level, read when a client is made and at each `connect()`.
//! Until the application has imported `logging` it cannot have configured a handler, so the
//! core makes no records and `logging` is not imported for it (that import is most of a cold
//! start's first `Client()`, ~14 ms).

use crate::gate;
use log::{Level, LevelFilter};
use mcpstream_binding_kit::logging::{self, LogRecord, Records};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Makes the core log at the level the `mcpstream` logger has now.
pub fn sync_level(py: Python<'_>) -> PyResult<()> {
    if LOGGER.get(py).is_none() && !imported_by_the_application(py)? {
        logging::set_level(LevelFilter::Off);
        return Ok(());
    }
    let logger = LOGGER.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        let module = py.import("logging")?;
        let logger = module.call_method1("getLogger", ("mcpstream",))?;
        // A library prints nothing unless the application configures logging.
        logger.call_method1("addHandler", (module.getattr("NullHandler")?.call0()?,))?;
        logging::install(Some(start_delivery));
        Ok(logger.unbind())
    })?;
    let level: i64 = logger
        .bind(py)
        .call_method0("getEffectiveLevel")?
        .extract()?;
    logging::set_level(filter_for(level));
    Ok(())
}

fn imported_by_the_application(py: Python<'_>) -> PyResult<bool> {
    py.import("sys")?.getattr("modules")?.contains("logging")
}

fn filter_for(python_level: i64) -> LevelFilter {
    match python_level {
        ..=5 => LevelFilter::Trace,
        6..=10 => LevelFilter::Debug,
        11..=20 => LevelFilter::Info,
        21..=30 => LevelFilter::Warn,
        31..=40 => LevelFilter::Error,
        _ => LevelFilter::Off,
    }
}

fn python_level(level: Level) -> i64 {
    match level {
        Level::Error => 40,
        Level::Warn => 30,
        Level::Info => 20,
        Level::Debug => 10,
        Level::Trace => 5,
    }
}

fn start_delivery(records: Records) {
    let started = std::thread::Builder::new()
        .name("mcpstream-log".into())
        .spawn(move || deliver(records));
    if let Err(e) = started {
        eprintln!("mcpstream: no thread for log records ({e}); they are dropped");
    }
}

fn deliver(records: Records) {
    let mut burst: Vec<LogRecord> = Vec::new();
    loop {
        let first = records.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok(first) = first else {
            return;
        };
        logging::drain_into(&records, first, &mut burst);
        let delivered = gate::with_python(|py| {
            let Ok(module) = py.import("logging") else {
                return;
            };
            for record in burst.drain(..) {
                let level = python_level(record.level);
                let _ = module
                    .call_method1("getLogger", (record.logger.as_str(),))
                    .and_then(|logger| logger.call_method1("log", (level, record.message)));
            }
        });
        if delivered.is_none() {
            return; // the interpreter is shutting down
        }
    }
}
