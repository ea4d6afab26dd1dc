//! PKCE S256 (RFC 7636), the `state` value and random url-safe tokens (A20, A21).

use std::fmt;

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// 32 bytes encode to 43 base64url characters, the minimum verifier length RFC 7636 §4.1 allows.
const VERIFIER_BYTES: usize = 32;
/// 128 bits is the floor A21 sets for `state`; 32 bytes leaves a wide margin.
const STATE_BYTES: usize = 32;

/// Base64url (unpadded) of `bytes` bytes from the system CSPRNG.
///
/// The base64url alphabet is a subset of RFC 7636's unreserved characters, so the result can be
/// used as a verifier, a `state` or a `jti` without escaping. An RNG failure is reported rather
/// than papered over: a predictable value here would silently defeat PKCE and CSRF protection.
pub(crate) fn random_url_safe(bytes: usize) -> Result<String, String> {
    let mut buffer = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buffer)
        .map_err(|_| "the system random number generator failed".to_string())?;
    Ok(URL_SAFE_NO_PAD.encode(&buffer))
}

/// `BASE64URL(SHA256(ASCII(verifier)))`, the S256 `code_challenge`.
pub(crate) fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()))
}

/// Fresh CSRF `state` for one authorization request.
pub(crate) fn new_state() -> Result<String, String> {
    random_url_safe(STATE_BYTES)
}

/// One PKCE verifier and its S256 challenge; the challenge method is always `S256`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub(crate) fn new() -> Result<Self, String> {
        let verifier = random_url_safe(VERIFIER_BYTES)?;
        let challenge = s256_challenge(&verifier);
        Ok(Self {
            verifier,
            challenge,
        })
    }
}

impl fmt::Debug for Pkce {
    // The verifier is the secret that proves possession of the code; it must not reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"<redacted>")
            .field("challenge", &self.challenge)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_unreserved(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
    }

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_has_allowed_length_and_charset() {
        let pkce = Pkce::new().unwrap();
        assert_eq!(pkce.verifier.len(), 43);
        assert!(
            pkce.verifier.chars().all(is_unreserved),
            "{}",
            pkce.verifier
        );
        assert_eq!(pkce.challenge, s256_challenge(&pkce.verifier));
        assert_eq!(pkce.challenge.len(), 43);
    }

    #[test]
    fn verifiers_are_fresh() {
        assert_ne!(Pkce::new().unwrap().verifier, Pkce::new().unwrap().verifier);
    }

    #[test]
    fn debug_hides_verifier() {
        let pkce = Pkce::new().unwrap();
        let shown = format!("{pkce:?}");
        assert!(!shown.contains(&pkce.verifier));
        assert!(shown.contains(&pkce.challenge));
    }

    #[test]
    fn states_are_url_safe_long_and_distinct() {
        let first = new_state().unwrap();
        let second = new_state().unwrap();
        assert_ne!(first, second);
        // 22 base64 characters carry 128 bits.
        assert!(first.len() >= 22);
        assert!(first.chars().all(is_unreserved));
    }

    #[test]
    fn random_url_safe_length_follows_byte_count() {
        assert_eq!(random_url_safe(0).unwrap(), "");
        assert_eq!(random_url_safe(3).unwrap().len(), 4);
        assert_eq!(random_url_safe(16).unwrap().len(), 22);
    }
}
