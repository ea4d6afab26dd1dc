//! The network options: TLS material is read when the client is made, so a bad path or a file
//! that is not PEM is the caller's mistake at once, named, not a failure at the first call.

use mcpstream::{Client, ClientOptions, Error, NetworkOptions, ProxyChoice, TlsOptions};
use std::path::PathBuf;

fn made_with(network: NetworkOptions) -> Result<Client, Error> {
    let options = ClientOptions {
        network,
        ..ClientOptions::default()
    };
    Client::with_options("https://127.0.0.1:9/mcp", options)
}

fn refused(network: NetworkOptions) -> String {
    match made_with(network) {
        Err(Error::InvalidArgument { message }) => message,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

fn tls(tls: TlsOptions) -> NetworkOptions {
    NetworkOptions {
        tls,
        ..NetworkOptions::default()
    }
}

#[test]
fn a_missing_ca_file_is_refused_when_the_client_is_made() {
    let message = refused(tls(TlsOptions {
        ca_files: vec![PathBuf::from("/nonexistent/ca.pem")],
        ..TlsOptions::default()
    }));
    assert!(
        message.starts_with("cannot read ca_file /nonexistent/ca.pem"),
        "{message}"
    );
}

#[test]
fn a_ca_that_is_not_pem_is_refused() {
    let message = refused(tls(TlsOptions {
        ca_pems: vec!["not a certificate".into()],
        ..TlsOptions::default()
    }));
    assert_eq!(message, "ca_pem: no certificate in it");
}

#[test]
fn a_client_key_needs_its_certificate() {
    let message = refused(tls(TlsOptions {
        client_key: Some(PathBuf::from("/k.pem")),
        ..TlsOptions::default()
    }));
    assert!(
        message.starts_with("client_key needs client_cert"),
        "{message}"
    );
}

#[test]
fn a_proxy_url_that_does_not_parse_is_refused() {
    let message = refused(NetworkOptions {
        proxy: ProxyChoice::Url("::not a url::".into()),
        ..NetworkOptions::default()
    });
    assert!(message.starts_with("invalid proxy URL"), "{message}");
}

#[test]
fn the_defaults_make_a_client() {
    made_with(NetworkOptions::default()).unwrap();
    made_with(NetworkOptions {
        proxy: ProxyChoice::Disabled,
        ..NetworkOptions::default()
    })
    .unwrap();
}
