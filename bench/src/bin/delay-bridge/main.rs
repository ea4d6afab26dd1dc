//! delay-bridge: joins two interfaces into one Ethernet segment and holds every frame for a
//! fixed one-way delay before passing it on, both ways. It stands in for `tc qdisc … netem
//! delay` on kernels without sch_netem: bench/remote/net.sh runs it in the middle namespace,
//! between the client's and the server's veth pairs. Frames keep their order and none is
//! dropped here (the kernel's own drops, if a socket buffer overflows, are reported at exit).
//!
//! Usage: delay-bridge --delay-ms MS [--max-seconds S] [--realtime] IFACE_A IFACE_B
//! Prints "ready" once both sockets are open, and one JSON line of counts when it stops
//! (SIGTERM, SIGINT, or after --max-seconds).

mod forward;
mod held;
mod packet;

use forward::{forward, Counts};
use packet::PacketSocket;
use serde_json::json;
use std::process::exit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

struct Options {
    delay: Duration,
    max_run: Duration,
    realtime: bool,
    interfaces: [String; 2],
}

fn usage(problem: &str) -> ! {
    eprintln!("delay-bridge: {problem}");
    eprintln!("usage: delay-bridge --delay-ms MS [--max-seconds S] [--realtime] IFACE_A IFACE_B");
    exit(2)
}

fn parse_options() -> Options {
    let mut delay_ms: Option<f64> = None;
    let mut max_seconds = 3600.0;
    let mut realtime = false;
    let mut interfaces = Vec::new();
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        let mut number = |flag: &str| -> f64 {
            argv.next()
                .and_then(|v| v.parse().ok())
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .unwrap_or_else(|| usage(&format!("{flag} needs a number ≥ 0")))
        };
        match arg.as_str() {
            "--delay-ms" => delay_ms = Some(number("--delay-ms")),
            "--max-seconds" => max_seconds = number("--max-seconds"),
            "--realtime" => realtime = true,
            flag if flag.starts_with("--") => usage(&format!("unknown option {flag}")),
            _ => interfaces.push(arg),
        }
    }
    let delay_ms = delay_ms.unwrap_or_else(|| usage("--delay-ms is required"));
    let interfaces: [String; 2] = interfaces
        .try_into()
        .unwrap_or_else(|_| usage("give exactly two interfaces"));
    Options {
        delay: Duration::from_secs_f64(delay_ms / 1000.0),
        max_run: Duration::from_secs_f64(max_seconds),
        realtime,
        interfaces,
    }
}

fn install_signal_handlers() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// A real-time priority keeps the emulated link's delay steady while the same two cores run
/// the clients, the servers, the proxy and other people's compiles; the forwarding loops always
/// block between frames, so they cannot starve the machine.
fn try_realtime() {
    let param = libc::sched_param { sched_priority: 10 };
    // SAFETY: plain sched_setscheduler(2) on this process with a live sched_param.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } != 0 {
        eprintln!(
            "delay-bridge: no real-time priority ({}); delays may stretch under load",
            std::io::Error::last_os_error()
        );
    }
}

fn counts_json(counts: &Counts) -> serde_json::Value {
    json!({"frames": counts.frames, "bytes": counts.bytes, "oversize": counts.oversize, "most_held": counts.most_held})
}

fn main() {
    let options = parse_options();
    install_signal_handlers();
    if options.realtime {
        try_realtime();
    }
    let open = |name: &str| {
        PacketSocket::open(name).unwrap_or_else(|e| {
            eprintln!("delay-bridge: cannot open a packet socket on {name}: {e}");
            exit(1)
        })
    };
    let (a, b) = (open(&options.interfaces[0]), open(&options.interfaces[1]));
    let until = Instant::now() + options.max_run;
    println!(
        "ready: {} <-> {}, {:?} each way",
        options.interfaces[0], options.interfaces[1], options.delay
    );
    let (a_to_b, b_to_a) = std::thread::scope(|scope| {
        let forward_a = scope.spawn(|| forward(&a, &b, options.delay, until, &STOP));
        let forward_b = scope.spawn(|| forward(&b, &a, options.delay, until, &STOP));
        let join = |handle: std::thread::ScopedJoinHandle<'_, std::io::Result<Counts>>| {
            handle
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("forwarding thread panicked")))
        };
        (join(forward_a), join(forward_b))
    });
    let (a_to_b, b_to_a) = match (a_to_b, b_to_a) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("delay-bridge: forwarding failed: {e}");
            exit(1)
        }
    };
    let drops = a.kernel_drops().unwrap_or(0) + b.kernel_drops().unwrap_or(0);
    println!(
        "{}",
        json!({"a_to_b": counts_json(&a_to_b), "b_to_a": counts_json(&b_to_a), "kernel_drops": drops})
    );
}
