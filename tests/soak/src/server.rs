//! The reference server in a process of its own, so that the soak's readings are the client's
//! alone. Killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct ReferenceServer {
    child: Child,
    pub url: String,
}

impl ReferenceServer {
    /// `MCPSTREAM_TESTSERVER`, else the `mcpstream-testserver` built beside this binary.
    /// Both eras are served; `--no-record` keeps the server from keeping every request.
    pub fn start() -> Result<Self, String> {
        let binary = std::env::var_os("MCPSTREAM_TESTSERVER")
            .map(PathBuf::from)
            .or_else(|| {
                let exe = std::env::current_exe().ok()?;
                Some(exe.parent()?.join("mcpstream-testserver"))
            })
            .ok_or("cannot tell where mcpstream-testserver is: set MCPSTREAM_TESTSERVER")?;
        let mut child = Command::new(&binary)
            .args(["--port", "0", "--no-record"])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        let url = line.trim().to_owned();
        if !url.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            return Err(format!("{} did not start: {url:?}", binary.display()));
        }
        Ok(Self { child, url })
    }
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port of an `http://host:port/...` URL, where TIME_WAIT sockets are looked for.
pub fn port_of(url: &str) -> Option<u16> {
    let authority = url.strip_prefix("http://")?.split('/').next()?;
    authority.rsplit(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::port_of;

    #[test]
    fn finds_the_port_of_a_url() {
        assert_eq!(port_of("http://127.0.0.1:8123/mcp"), Some(8123));
        assert_eq!(port_of("http://[::1]:9000/mcp"), Some(9000));
        assert_eq!(port_of("http://127.0.0.1/mcp"), None);
    }
}
