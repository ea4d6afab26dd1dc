//! What the soak watches, read from Linux's /proc: this process's memory and open file
//! descriptors, and the TCP sockets in TIME_WAIT to or from the server's port (those belong to
//! the kernel, not the process, so a client that churns connections shows only there), and the
//! Rust heap's live bytes.

use std::fs;

/// One reading of the process and the kernel's socket table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub rss_kib: u64,
    pub peak_rss_kib: u64,
    /// Rust allocations only: the C parts (aws-lc) allocate through malloc directly.
    pub heap_bytes: usize,
    /// Everything malloc handed out, C included (glibc only).
    pub malloc_bytes: Option<usize>,
    pub open_fds: usize,
    pub time_wait: usize,
}

impl Reading {
    pub fn now(server_port: u16) -> Self {
        let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
        Self {
            rss_kib: status_kib(&status, "VmRSS:"),
            peak_rss_kib: status_kib(&status, "VmHWM:"),
            heap_bytes: crate::heap::live_bytes(),
            malloc_bytes: crate::heap::malloc_in_use(),
            open_fds: fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count()),
            time_wait: ["/proc/net/tcp", "/proc/net/tcp6"]
                .iter()
                .map(|table| fs::read_to_string(table).unwrap_or_default())
                .map(|table| time_wait_on_port(&table, server_port))
                .sum(),
        }
    }

    pub fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }

    pub fn heap_mib(&self) -> f64 {
        self.heap_bytes as f64 / (1024.0 * 1024.0)
    }

    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }
}

fn status_kib(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// TIME_WAIT is state 06 of /proc/net/tcp; either end may be the server's port, since whichever
/// side closes first keeps the TIME_WAIT.
fn time_wait_on_port(table: &str, port: u16) -> usize {
    let port = format!("{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let on_port = |address: Option<&&str>| {
                address.and_then(|a| a.rsplit(':').next()) == Some(port.as_str())
            };
            fields.get(3) == Some(&"06") && (on_port(fields.get(1)) || on_port(fields.get(2)))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:C350 0100007F:1F90 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0000000000000000
   2: 0100007F:1F90 0100007F:C351 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0000000000000000
   3: 0100007F:C352 0100007F:1F91 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0000000000000000
   4: 0100007F:C353 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000
";

    #[test]
    fn counts_time_wait_on_either_end_of_the_port_only() {
        assert_eq!(time_wait_on_port(TABLE, 8080), 2);
        assert_eq!(time_wait_on_port(TABLE, 8081), 1);
        assert_eq!(time_wait_on_port(TABLE, 9000), 0);
    }

    #[test]
    fn reads_this_process() {
        let reading = Reading::now(1);
        assert!(reading.rss_kib > 0 && reading.peak_rss_kib >= reading.rss_kib);
        assert!(reading.open_fds >= 3, "stdin, stdout, stderr at least");
    }
}
