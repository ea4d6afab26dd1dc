//! An AF_PACKET raw socket bound to one interface: whole Ethernet frames in and out, below the
//! namespace's IP stack (the bridge namespace has no addresses, so its kernel ignores them).

use std::ffi::CString;
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

pub struct PacketSocket {
    fd: OwnedFd,
}

/// Room for any frame: with offloads off a frame is at most the MTU plus its header, but a
/// larger buffer lets a misconfigured link show up as an oversize count instead of truncation.
pub const FRAME_BUFFER: usize = 65_536 + 64;

/// Kernel buffers large enough that a burst (a full TCP window at once) is never dropped while
/// the forwarding thread is between reads.
const SOCKET_BUFFER_BYTES: libc::c_int = 16 * 1024 * 1024;

fn check(result: libc::c_int) -> io::Result<libc::c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

fn set_option(
    fd: &OwnedFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: value is a live c_int and its size is passed alongside.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

impl PacketSocket {
    pub fn open(interface: &str) -> io::Result<Self> {
        let name = CString::new(interface)?;
        // SAFETY: name is a valid NUL-terminated string.
        let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if index == 0 {
            return Err(io::Error::other(format!(
                "no interface {interface:?} in this namespace"
            )));
        }
        let every_protocol = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: plain socket(2); the descriptor is owned right below.
        let raw = check(unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                every_protocol.into(),
            )
        })?;
        // SAFETY: raw is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: sockaddr_ll is plain data; all-zero is a valid start.
        let mut address: libc::sockaddr_ll = unsafe { zeroed() };
        address.sll_family = libc::AF_PACKET as u16;
        address.sll_protocol = every_protocol;
        address.sll_ifindex = index as libc::c_int;
        // SAFETY: address is a live sockaddr_ll and its size is passed alongside.
        check(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&address as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })?;
        // Frames this bridge sends out of an interface must not come back in as received ones.
        set_option(&fd, libc::SOL_PACKET, libc::PACKET_IGNORE_OUTGOING, 1)?;
        set_option(
            &fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            SOCKET_BUFFER_BYTES,
        )?;
        set_option(
            &fd,
            libc::SOL_SOCKET,
            libc::SO_SNDBUFFORCE,
            SOCKET_BUFFER_BYTES,
        )?;
        Ok(Self { fd })
    }

    /// Waits until a frame can be read or `timeout` passes (with nanosecond resolution, unlike
    /// poll's milliseconds: the delay is a few milliseconds and must not be rounded up).
    pub fn wait_readable(&self, timeout: Duration) -> io::Result<bool> {
        let mut poll = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let spec = libc::timespec {
            tv_sec: timeout.as_secs() as libc::time_t,
            tv_nsec: timeout.subsec_nanos().into(),
        };
        // SAFETY: one live pollfd, a live timespec, no signal mask change.
        match unsafe { libc::ppoll(&mut poll, 1, &spec, std::ptr::null()) } {
            n if n > 0 => Ok(true),
            0 => Ok(false),
            _ => {
                let error = io::Error::last_os_error();
                if error.kind() == io::ErrorKind::Interrupted {
                    Ok(false)
                } else {
                    Err(error)
                }
            }
        }
    }

    /// The next frame's length (its bytes in `buffer`), or None when none is waiting. A frame
    /// longer than the buffer reports its full length, so the caller can tell it was cut.
    pub fn receive(&self, buffer: &mut [u8]) -> io::Result<Option<usize>> {
        // SAFETY: buffer is live and writable for its length.
        let n = unsafe {
            libc::recv(
                self.fd.as_raw_fd(),
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                libc::MSG_DONTWAIT | libc::MSG_TRUNC,
            )
        };
        if n >= 0 {
            return Ok(Some(n as usize));
        }
        let error = io::Error::last_os_error();
        match error.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
            _ => Err(error),
        }
    }

    /// Sends one frame; a full transmit queue is waited out briefly, never dropped silently.
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        for _ in 0..1000 {
            // SAFETY: frame is live for its length.
            let n =
                unsafe { libc::send(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0) };
            if n >= 0 {
                return Ok(());
            }
            let error = io::Error::last_os_error();
            match error.raw_os_error() {
                Some(libc::ENOBUFS) | Some(libc::EAGAIN) | Some(libc::EINTR) => {
                    std::thread::sleep(Duration::from_micros(50))
                }
                _ => return Err(error),
            }
        }
        Err(io::Error::other("transmit queue stayed full for 50 ms"))
    }

    /// Frames the kernel dropped because this socket's receive buffer was full, since the last
    /// call (the kernel resets the count when it is read).
    pub fn kernel_drops(&self) -> io::Result<u32> {
        // SAFETY: tpacket_stats is plain data.
        let mut stats: libc::tpacket_stats = unsafe { zeroed() };
        let mut length = size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: stats and length are live and describe each other.
        check(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut stats as *mut libc::tpacket_stats).cast(),
                &mut length,
            )
        })?;
        Ok(stats.tp_drops)
    }
}
