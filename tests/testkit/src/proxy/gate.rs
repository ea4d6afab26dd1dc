//! What the test proxy lets through: only loopback targets (tests never leave the machine),
//! and, when it was given credentials, only requests that carry them.

use crate::base64;
use axum::http::HeaderValue;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The user and password `--auth user:pass` demands in `Proxy-Authorization: Basic`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyCredentials {
    pub user: String,
    pub password: String,
}

impl ProxyCredentials {
    /// Parses `user:pass` (the password may contain `:`).
    pub fn parse(text: &str) -> Option<Self> {
        let (user, password) = text.split_once(':')?;
        Some(Self {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }
}

/// What a request's `Proxy-Authorization` said, as the log shows it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CredentialCheck {
    /// The user named in a Basic header; `None` if no readable one was sent.
    pub user: Option<String>,
    /// The credentials let it through: always when none are required.
    pub authorized: bool,
}

pub(crate) fn check_credentials(
    header: Option<&HeaderValue>,
    required: Option<&ProxyCredentials>,
) -> CredentialCheck {
    let sent = header
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, encoded)| base64::decode(encoded.trim()))
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| ProxyCredentials::parse(&text));
    CredentialCheck {
        user: sent.as_ref().map(|c| c.user.clone()),
        authorized: required.is_none_or(|required| sent.as_ref() == Some(required)),
    }
}

/// The loopback address `host:port` names, or `None` for anything that would leave the
/// machine. `localhost` is taken as 127.0.0.1 without asking a resolver.
pub(crate) fn loopback_target(host: &str, port: u16) -> Option<SocketAddr> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return Some(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port));
    }
    let ip: IpAddr = host.parse().ok()?;
    ip.is_loopback().then_some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_pass: &str) -> HeaderValue {
        HeaderValue::from_str(&format!("Basic {}", base64::encode(user_pass.as_bytes()))).unwrap()
    }

    #[test]
    fn only_loopback_targets_pass() {
        assert_eq!(
            loopback_target("127.0.0.1", 8443),
            Some("127.0.0.1:8443".parse().unwrap())
        );
        assert_eq!(
            loopback_target("127.3.2.1", 1),
            Some("127.3.2.1:1".parse().unwrap())
        );
        assert_eq!(
            loopback_target("[::1]", 80),
            Some("[::1]:80".parse().unwrap())
        );
        assert_eq!(
            loopback_target("LOCALHOST", 80),
            Some("127.0.0.1:80".parse().unwrap())
        );
        for elsewhere in [
            "10.0.0.1",
            "192.168.1.1",
            "example.com",
            "localhost.evil",
            "",
        ] {
            assert_eq!(loopback_target(elsewhere, 80), None, "{elsewhere}");
        }
    }

    #[test]
    fn credentials_are_checked_when_required() {
        let required = ProxyCredentials::parse("alice:s3cret:x").unwrap();
        assert_eq!(required.password, "s3cret:x");
        let check =
            |header: Option<HeaderValue>| check_credentials(header.as_ref(), Some(&required));
        let right = check(Some(basic("alice:s3cret:x")));
        assert_eq!(
            (right.user.as_deref(), right.authorized),
            (Some("alice"), true)
        );
        let wrong = check(Some(basic("alice:guess")));
        assert_eq!(
            (wrong.user.as_deref(), wrong.authorized),
            (Some("alice"), false)
        );
        let absent = check(None);
        assert_eq!((absent.user, absent.authorized), (None, false));
        let bearer = check(Some(HeaderValue::from_static("Bearer abc")));
        assert!(!bearer.authorized);
    }

    #[test]
    fn an_open_proxy_lets_everyone_through_and_still_names_the_user() {
        let sent = check_credentials(Some(&basic("bob:pw")), None);
        assert_eq!((sent.user.as_deref(), sent.authorized), (Some("bob"), true));
        assert!(check_credentials(None, None).authorized);
    }
}
