//! HTTPS for the reference server: the committed test certificate, ALPN offering h2 then
//! http/1.1, and with [`TlsMode::Mutual`] a client certificate from the test CA required.

use crate::certs::{EMBEDDED_CA, EMBEDDED_SERVER_CERT, EMBEDDED_SERVER_KEY};
use std::sync::Arc;
use tokio_rustls::rustls::crypto::{aws_lc_rs, CryptoProvider};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// Whether the server speaks TLS, and whether it demands a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain TCP: HTTP/1.1 or h2c with prior knowledge (`http://`).
    #[default]
    Off,
    /// HTTPS with the test server certificate (`--tls`).
    On,
    /// HTTPS that also requires a client certificate signed by the test CA (`--tls-client-ca`):
    /// a client without one fails the handshake.
    Mutual,
}

/// The acceptor for `mode`, or `None` for plain TCP. The provider is named, not taken from
/// the process default, so a build that also links ring cannot make rustls refuse to choose.
pub(crate) fn acceptor(mode: TlsMode) -> Option<TlsAcceptor> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports the default TLS versions");
    let builder = match mode {
        TlsMode::Off => return None,
        TlsMode::On => builder.with_no_client_auth(),
        TlsMode::Mutual => builder.with_client_cert_verifier(client_verifier(provider)),
    };
    let chain = vec![pem_cert(EMBEDDED_SERVER_CERT)];
    let key = PrivateKeyDer::from_pem_slice(EMBEDDED_SERVER_KEY.as_bytes())
        .expect("the committed server key is a PEM private key");
    let mut config = builder
        .with_single_cert(chain, key)
        .expect("the committed server key matches its certificate");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Some(TlsAcceptor::from(Arc::new(config)))
}

fn client_verifier(
    provider: Arc<CryptoProvider>,
) -> Arc<dyn tokio_rustls::rustls::server::danger::ClientCertVerifier> {
    let mut roots = RootCertStore::empty();
    roots
        .add(pem_cert(EMBEDDED_CA))
        .expect("the committed test CA is a valid trust anchor");
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .expect("a verifier over one trust anchor builds")
}

fn pem_cert(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).expect("the committed PEM holds a certificate")
}
