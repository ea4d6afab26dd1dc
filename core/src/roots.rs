//! The system's CA roots, read once per process rather than once per HTTP client: reading
//! them (a bundle file and a directory of hundreds of certificates) cost every new client
//! milliseconds, twice with authorization (its own HTTP client).
//!
//! What is read is what the platform verifier reqwest uses would read on each build
//! (`rustls-native-certs`: `SSL_CERT_FILE`/`SSL_CERT_DIR` when set, else the system's
//! locations), and certificates it could not use are left out as it leaves them out. A
//! change of `SSL_CERT_FILE` or `SSL_CERT_DIR` is noticed by the next client, which reads
//! anew; a change to the files themselves is seen by the next process. A forked child keeps
//! the parent's copy: it is plain data, and the same files.
//!
//! Only where the platform verifier reads files (Unix but Apple and Android): elsewhere it
//! asks the operating system, which this must not replace.

use std::ffi::OsString;
use std::sync::{Arc, Mutex, PoisonError};

/// The roots read for one value of the environment.
struct Loaded {
    file: Option<OsString>,
    dir: Option<OsString>,
    certs: Arc<[reqwest::Certificate]>,
}

static LOADED: Mutex<Option<Arc<Loaded>>> = Mutex::new(None);

/// The system's roots, or `None` where the platform verifier should keep finding them itself:
/// on platforms that ask the operating system, and when no root could be read (its error,
/// when a client is built, says so better than every handshake failing would).
pub(crate) fn system() -> Option<Arc<[reqwest::Certificate]>> {
    if !cfg!(all(
        unix,
        not(target_os = "android"),
        not(target_vendor = "apple")
    )) {
        return None;
    }
    let file = std::env::var_os("SSL_CERT_FILE");
    let dir = std::env::var_os("SSL_CERT_DIR");
    let cached = LOADED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let loaded = match cached {
        Some(loaded) if loaded.file == file && loaded.dir == dir => loaded,
        // Read without the lock held: a fork meanwhile must not leave the child a lock that
        // nobody will release. Two threads may both read; either result is the same.
        _ => {
            let fresh = Arc::new(Loaded {
                certs: read(),
                file,
                dir,
            });
            *LOADED.lock().unwrap_or_else(PoisonError::into_inner) = Some(fresh.clone());
            fresh
        }
    };
    (!loaded.certs.is_empty()).then(|| loaded.certs.clone())
}

fn read() -> Arc<[reqwest::Certificate]> {
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        log::warn!("cannot load a CA root certificate: {error}");
    }
    // A certificate rustls cannot use as a root would make every client fail to build.
    let mut usable = rustls::RootCertStore::empty();
    let mut certs = Vec::with_capacity(found.certs.len());
    for der in found.certs {
        if usable.add(der.clone()).is_ok() {
            if let Ok(cert) = reqwest::Certificate::from_der(&der) {
                certs.push(cert);
            }
        }
    }
    log::debug!(
        "loaded {} CA root certificates from the system",
        certs.len()
    );
    certs.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roots_are_read_once_for_one_environment() {
        let (Some(first), Some(second)) = (system(), system()) else {
            // A machine without CA certificates: nothing is cached to compare.
            return;
        };
        assert!(Arc::ptr_eq(&first, &second));
    }
}
