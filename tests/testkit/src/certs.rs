//! The test PKI committed in `tests/testkit/certs/` (see its README): paths that tests hand to
//! the client under test, and the PEM text the server embeds so the binary runs from anywhere.
//! Test-only keys: nothing outside these tests may trust this CA.

macro_rules! cert_file {
    ($name:literal) => {
        concat!(env!("CARGO_MANIFEST_DIR"), "/certs/", $name)
    };
}

/// The test CA: trust it to reach a `--tls` server.
pub const CA_PEM: &str = cert_file!("ca.pem");
/// The server's certificate (SANs: IP 127.0.0.1, DNS localhost) and key.
pub const SERVER_CERT_PEM: &str = cert_file!("server.pem");
pub const SERVER_KEY_PEM: &str = cert_file!("server-key.pem");
/// A client certificate from the test CA, which `--tls-client-ca` servers accept, and its key.
pub const CLIENT_CERT_PEM: &str = cert_file!("client.pem");
pub const CLIENT_KEY_PEM: &str = cert_file!("client-key.pem");
/// A client certificate from a CA the server does not trust, and its key: mTLS refuses it.
pub const STRANGER_CERT_PEM: &str = cert_file!("stranger-client.pem");
pub const STRANGER_KEY_PEM: &str = cert_file!("stranger-client-key.pem");

pub(crate) const EMBEDDED_CA: &str = include_str!("../certs/ca.pem");
pub(crate) const EMBEDDED_SERVER_CERT: &str = include_str!("../certs/server.pem");
pub(crate) const EMBEDDED_SERVER_KEY: &str = include_str!("../certs/server-key.pem");
