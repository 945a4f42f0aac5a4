//! Closes idle client connections.
//!
//! tiny_http reads each connection on its own thread and sets no socket
//! timeouts, so a client that connects and goes quiet holds a thread
//! forever, and accepted sockets cannot be configured before tiny_http
//! reads them. The reaper works from the outside instead: it walks this
//! process's descriptors (`/proc/self/fd`), picks the TCP sockets accepted on
//! our listening address, asks the kernel how long each has been silent
//! (`TCP_INFO`: last data received and sent), and `shutdown(2)`s the ones
//! idle past `limits.idle_timeout_s`. The blocked read in tiny_http's thread
//! then returns and the thread ends.
//!
//! To keep an idle server at zero wake-ups, the reaper sweeps once a second
//! only while client connections exist; otherwise it blocks in `poll(2)` on
//! the listening socket (readable when a connection is pending) and on a
//! pipe the workers write to after each request.
//!
//! Linux only (`/proc`, `TCP_INFO`), like the rest of the server.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The reaper's shared half: the wake-up pipe and whether it sleeps.
pub struct Reaper {
    listener: RawFd,
    local: SocketAddr,
    wake_r: OwnedFd,
    wake_w: OwnedFd,
    sleeping: AtomicBool,
    /// Peers whose request body is being read by a worker, and when it must
    /// have arrived (see [`Reaper::body_deadline`]).
    bodies: Mutex<Vec<(SocketAddr, Instant)>>,
}

impl Reaper {
    /// A reaper for connections accepted on `listener` (bound to `local`).
    pub fn new(listener: RawFd, local: SocketAddr) -> io::Result<Reaper> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` is a valid two-element array for pipe2 to fill.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so both descriptors are open and ours alone.
        let (wake_r, wake_w) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Ok(Reaper {
            listener,
            local,
            wake_r,
            wake_w,
            sleeping: AtomicBool::new(false),
            bodies: Mutex::new(Vec::new()),
        })
    }

    /// Tells a sleeping reaper that there is traffic. Costs one atomic load
    /// when it is already awake.
    pub fn nudge(&self) {
        if self.sleeping.swap(false, Ordering::AcqRel) {
            // SAFETY: writing one byte from a valid buffer to our own pipe;
            // a full pipe (EAGAIN) already means "wake up".
            unsafe { libc::write(self.wake_w.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
        }
    }

    /// The reaper thread's loop.
    pub fn run(&self, timeout: impl Fn() -> Duration, stop: impl Fn() -> bool) {
        loop {
            // Sweep while there are client connections.
            loop {
                if stop() {
                    return;
                }
                let limit = timeout();
                if self.sweep(limit) == 0 {
                    break;
                }
                std::thread::sleep(
                    (limit / 2).clamp(Duration::from_millis(100), Duration::from_secs(1)),
                );
            }
            self.sleeping.store(true, Ordering::Release);
            // A connection may have been accepted between the sweep and the
            // flag; look once more before blocking.
            if self.sweep(timeout()) > 0 {
                self.sleeping.store(false, Ordering::Release);
                continue;
            }
            let listener_ready = self.block();
            self.sleeping.store(false, Ordering::Release);
            self.drain();
            if stop() {
                return;
            }
            if listener_ready {
                // tiny_http's accept thread takes the connection in a moment;
                // give it that moment instead of spinning on a level-triggered poll.
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Blocks until the listener is readable or a worker nudges. True if it was the listener.
    fn block(&self) -> bool {
        let mut fds = [
            libc::pollfd {
                fd: self.listener,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.wake_r.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a valid array of two pollfd structs.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        n > 0 && fds[0].revents != 0
    }

    fn drain(&self) {
        let mut buf = [0u8; 64];
        // SAFETY: reading into a valid buffer from our own non-blocking pipe.
        while unsafe { libc::read(self.wake_r.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) } > 0
        {
        }
    }

    /// Shuts down connections idle longer than `limit`; returns how many client connections remain open.
    fn sweep(&self, limit: Duration) -> usize {
        let limit_ms = limit.as_millis().min(u32::MAX as u128) as u32;
        let mut open = 0;
        for fd in self.client_fds() {
            let Some(idle_ms) = idle_ms(fd) else { continue };
            if self.body_overdue(fd) {
                // SAFETY: `fd` is an open socket of ours; shutdown does not close it.
                unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
                log::info!("closed a connection whose request body did not arrive in time");
                continue;
            }
            if idle_ms >= limit_ms {
                // SAFETY: shutdown on a descriptor we just verified is one of
                // our accepted TCP sockets; it does not close the descriptor.
                unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
                log::debug!("closed a connection idle for {idle_ms} ms");
            } else {
                open += 1;
            }
        }
        // The sweep has just counted them, so the gauge costs one store.
        crate::metrics::METRICS.set_open_connections(open);
        open
    }

    /// Sends FIN on the accepted connection from `peer` (after its last
    /// response): tiny_http offers no way to close a connection it keeps
    /// alive. Only the write side is shut, so the response already queued
    /// is delivered rather than reset; the client then closes, and the
    /// reaper handles one that does not.
    pub fn finish(&self, peer: SocketAddr) {
        for fd in self.client_fds() {
            if peer_addr(fd) == Some(peer) {
                // SAFETY: shutdown on a descriptor verified to be this peer's
                // connection; it does not close the descriptor.
                unsafe { libc::shutdown(fd, libc::SHUT_WR) };
            }
        }
    }

    /// A connected TCP socket whose local address is our listening address.
    /// How many client connections are open now.
    pub fn clients(&self) -> usize {
        let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
            return 0;
        };
        dir.flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<RawFd>().ok()))
            .filter(|fd| *fd != self.listener && self.is_our_client(*fd))
            .count()
    }

    /// A worker is about to read `peer`'s request body: if it has not arrived
    /// by `deadline`, the connection is shut down, which ends the worker's
    /// blocked read. Without this a client trickling a body one byte at a
    /// time (never idle long enough for the idle timeout) holds a worker for
    /// as long as it likes, and as many such clients as workers stop the
    /// server. Cleared with [`Reaper::body_done`].
    pub fn body_deadline(&self, peer: SocketAddr, deadline: Instant) {
        self.bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((peer, deadline));
        self.nudge();
    }

    /// The body of `peer`'s request has been read (or the read failed).
    pub fn body_done(&self, peer: SocketAddr) {
        self.bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(p, _)| *p != peer);
    }

    fn body_overdue(&self, fd: RawFd) -> bool {
        let now = Instant::now();
        let bodies = self.bodies.lock().unwrap_or_else(|p| p.into_inner());
        if !bodies.iter().any(|(_, d)| *d <= now) {
            return false;
        }
        peer_addr(fd).is_some_and(|peer| bodies.iter().any(|(p, d)| *p == peer && *d <= now))
    }

    /// This process's descriptors (`/proc/self/fd`) that are client
    /// connections accepted on our listening address; none if the
    /// directory cannot be read.
    fn client_fds(&self) -> impl Iterator<Item = RawFd> + '_ {
        let own = [
            self.listener,
            self.wake_r.as_raw_fd(),
            self.wake_w.as_raw_fd(),
        ];
        std::fs::read_dir("/proc/self/fd")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<RawFd>().ok())
            .filter(move |fd| !own.contains(fd) && self.is_our_client(*fd))
    }

    fn is_our_client(&self, fd: RawFd) -> bool {
        // SAFETY: SO_ACCEPTCONN is an int; a non-socket fails with ENOTSOCK.
        let accepting =
            unsafe { sockopt::<libc::c_int>(fd, libc::SOL_SOCKET, libc::SO_ACCEPTCONN) };
        if accepting != Some(0) {
            return false;
        }
        match local_addr(fd) {
            Some(addr) => {
                addr.port() == self.local.port()
                    && (self.local.ip().is_unspecified() || addr.ip() == self.local.ip())
            }
            None => false,
        }
    }
}

fn local_addr(fd: RawFd) -> Option<SocketAddr> {
    sock_addr(fd, libc::getsockname)
}

fn peer_addr(fd: RawFd) -> Option<SocketAddr> {
    sock_addr(fd, libc::getpeername)
}

type AddrFn =
    unsafe extern "C" fn(libc::c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int;

fn sock_addr(fd: RawFd, get: AddrFn) -> Option<SocketAddr> {
    // SAFETY: sockaddr_storage is plain data; zeroed is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: valid out-pointers sized for any socket address.
    if unsafe {
        get(
            fd,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    } != 0
    {
        return None;
    }
    match storage.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says this is a sockaddr_in.
            let sin: &libc::sockaddr_in =
                unsafe { &*(&storage as *const libc::sockaddr_storage).cast() };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::new(IpAddr::V4(ip), u16::from_be(sin.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says this is a sockaddr_in6.
            let sin6: &libc::sockaddr_in6 =
                unsafe { &*(&storage as *const libc::sockaddr_storage).cast() };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::new(
                IpAddr::V6(ip),
                u16::from_be(sin6.sin6_port),
            ))
        }
        _ => None,
    }
}

/// Milliseconds since the connection last received or sent data.
fn idle_ms(fd: RawFd) -> Option<u32> {
    // SAFETY: TCP_INFO fills a tcp_info (at most its size).
    let info = unsafe { sockopt::<libc::tcp_info>(fd, libc::IPPROTO_TCP, libc::TCP_INFO) }?;
    Some(info.tcpi_last_data_recv.min(info.tcpi_last_data_sent))
}

/// Reads socket option `name` of `level`; `None` if the call fails.
///
/// # Safety
/// `T` must be the plain C type the kernel writes for this option (an
/// int, a struct of integers): zeroed is a valid value of it.
unsafe fn sockopt<T>(fd: RawFd, level: libc::c_int, name: libc::c_int) -> Option<T> {
    // SAFETY: the caller promises T is plain data.
    let mut value: T = unsafe { zeroed() };
    let mut len = size_of::<T>() as libc::socklen_t;
    // SAFETY: valid out-pointers; the kernel fills at most `len` bytes.
    let rc = unsafe { libc::getsockopt(fd, level, name, (&mut value as *mut T).cast(), &mut len) };
    (rc == 0).then_some(value)
}
