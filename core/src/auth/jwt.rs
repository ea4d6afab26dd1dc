//! RFC 7523 client assertions for `private_key_jwt` (A37), signed with aws-lc-rs.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::json;

use super::pkce::random_url_safe;

/// 128 bits keeps `jti` unique enough for the replay cache an AS keeps per client.
const JTI_BYTES: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SigningAlgorithm {
    Es256,
    Rs256,
}

impl SigningAlgorithm {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlgorithm {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("ES256") {
            Ok(Self::Es256)
        } else if name.eq_ignore_ascii_case("RS256") {
            Ok(Self::Rs256)
        } else {
            Err(format!(
                "unsupported JWT signing algorithm {name:?}; supported: ES256, RS256"
            ))
        }
    }
}

/// A signed JWS compact client assertion: header `{"alg","typ":"JWT"}`, claims
/// `iss = sub = client_id`, `aud`, `iat`, `exp = iat + lifetime`, random `jti`.
///
/// The key is a PEM: `PRIVATE KEY` (PKCS#8) for both algorithms, `EC PRIVATE KEY` (SEC1) for
/// ES256, `RSA PRIVATE KEY` (PKCS#1) for RS256. Error messages never echo key bytes.
pub(crate) fn client_assertion(
    private_key_pem: &str,
    algorithm: SigningAlgorithm,
    client_id: &str,
    audience: &str,
    now_unix: u64,
    lifetime_secs: u64,
) -> Result<String, String> {
    let key = PemKey::parse(private_key_pem)?;
    let signer = Signer::new(algorithm, &key)?;

    let header = json!({ "alg": algorithm.as_str(), "typ": "JWT" });
    let claims = json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now_unix,
        "exp": now_unix.saturating_add(lifetime_secs),
        "jti": random_url_safe(JTI_BYTES)?,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = signer.sign(signing_input.as_bytes())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// The first private-key block of a PEM document, decoded. Other blocks (such as the
/// `EC PARAMETERS` that `openssl ecparam -genkey` emits first) are skipped.
struct PemKey {
    label: String,
    der: Vec<u8>,
}

impl PemKey {
    fn parse(pem: &str) -> Result<Self, String> {
        // Keys often arrive through environment variables or JSON with escaped newlines.
        let pem = pem.replace("\\n", "\n");
        let mut lines = pem.lines().map(str::trim);
        while let Some(line) = lines.next() {
            let Some(label) = armour_label(line, "-----BEGIN ") else {
                continue;
            };
            if !label.ends_with("PRIVATE KEY") {
                continue;
            }
            if label.contains("ENCRYPTED") {
                return Err(
                    "encrypted private keys are not supported; provide an unencrypted PEM key"
                        .into(),
                );
            }
            let mut body = String::new();
            loop {
                let Some(line) = lines.next() else {
                    return Err(format!("PEM block {label} has no END line"));
                };
                if let Some(end_label) = armour_label(line, "-----END ") {
                    if end_label != label {
                        return Err(format!("PEM block {label} ends with END {end_label}"));
                    }
                    break;
                }
                if line.contains(':') {
                    // RFC 1421 headers only appear on legacy encrypted keys.
                    return Err(
                        "encrypted private keys are not supported; provide an unencrypted PEM key"
                            .into(),
                    );
                }
                body.push_str(line);
            }
            // Base64 errors name the offending byte and offset, which would leak key material.
            let der = STANDARD
                .decode(body.as_bytes())
                .map_err(|_| format!("PEM block {label} is not valid base64"))?;
            return Ok(Self {
                label: label.to_string(),
                der,
            });
        }
        Err("no PEM private key found (expected -----BEGIN PRIVATE KEY-----)".into())
    }
}

fn armour_label<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.strip_prefix(prefix)?.strip_suffix("-----")
}

enum Signer {
    Ecdsa(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

impl Signer {
    fn new(algorithm: SigningAlgorithm, key: &PemKey) -> Result<Self, String> {
        // KeyRejected's Display is a fixed description such as "WrongAlgorithm": safe to show.
        let rejected = |error: aws_lc_rs::error::KeyRejected| {
            format!(
                "the {} key is not usable for {algorithm}: {error}",
                key.label
            )
        };
        match (algorithm, key.label.as_str()) {
            (SigningAlgorithm::Es256, "PRIVATE KEY") => {
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.der)
                    .map(Self::Ecdsa)
                    .map_err(rejected)
            }
            (SigningAlgorithm::Es256, "EC PRIVATE KEY") => {
                EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.der)
                    .map(Self::Ecdsa)
                    .map_err(rejected)
            }
            (SigningAlgorithm::Rs256, "PRIVATE KEY") => RsaKeyPair::from_pkcs8(&key.der)
                .map(Self::Rsa)
                .map_err(rejected),
            (SigningAlgorithm::Rs256, "RSA PRIVATE KEY") => RsaKeyPair::from_der(&key.der)
                .map(Self::Rsa)
                .map_err(rejected),
            (algorithm, label) => Err(format!(
                "a {label} PEM block cannot sign {algorithm}; expected PRIVATE KEY (PKCS#8){}",
                match algorithm {
                    SigningAlgorithm::Es256 => " or EC PRIVATE KEY (P-256)",
                    SigningAlgorithm::Rs256 => " or RSA PRIVATE KEY",
                }
            )),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let failed = |_| "signing the client assertion failed".to_string();
        match self {
            // The FIXED algorithm yields the 64-byte r||s form JWS requires (RFC 7518 §3.4), not DER.
            Self::Ecdsa(key) => key
                .sign(&SystemRandom::new(), message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(failed),
            Self::Rsa(key) => {
                let mut signature = vec![0u8; key.public_modulus_len()];
                key.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(failed)?;
                Ok(signature)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{
        KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256,
    };
    use serde_json::Value;

    const NOW: u64 = 1_700_000_000;

    fn pem(label: &str, der: &[u8]) -> String {
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|chunk| std::str::from_utf8(chunk).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }

    fn decode_part(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    /// Splits a JWS, checks header and claims, and returns (signing input, signature).
    fn check_token(token: &str, alg: &str) -> (String, Vec<u8>) {
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3, "{token}");
        let header = decode_part(parts[0]);
        assert_eq!(header, json!({ "alg": alg, "typ": "JWT" }));
        let claims = decode_part(parts[1]);
        assert_eq!(claims["iss"], "conformance-test-client");
        assert_eq!(claims["sub"], "conformance-test-client");
        assert_eq!(claims["aud"], "http://localhost:3000");
        assert_eq!(claims["iat"], NOW);
        assert_eq!(claims["exp"], NOW + 300);
        assert!(claims["jti"].as_str().unwrap().len() >= 22);
        (
            format!("{}.{}", parts[0], parts[1]),
            URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
        )
    }

    fn sign(pem: &str, algorithm: SigningAlgorithm) -> Result<String, String> {
        client_assertion(
            pem,
            algorithm,
            "conformance-test-client",
            "http://localhost:3000",
            NOW,
            300,
        )
    }

    fn p256_key() -> EcdsaKeyPair {
        EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap()
    }

    #[test]
    fn es256_pkcs8_round_trip() {
        let key = p256_key();
        let key_pem = pem("PRIVATE KEY", key.to_pkcs8v1().unwrap().as_ref());
        let token = sign(&key_pem, SigningAlgorithm::Es256).unwrap();
        let (input, signature) = check_token(&token, "ES256");
        assert_eq!(signature.len(), 64);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, key.public_key().as_ref())
            .verify(input.as_bytes(), &signature)
            .unwrap();
    }

    #[test]
    fn es256_sec1_and_extra_blocks_and_escaped_newlines() {
        let key = p256_key();
        let sec1 = key.private_key().as_der().unwrap();
        let key_pem = format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
            pem("EC PRIVATE KEY", sec1.as_ref())
        )
        .replace('\n', "\\n");
        let token = sign(&key_pem, SigningAlgorithm::Es256).unwrap();
        let (input, signature) = check_token(&token, "ES256");
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, key.public_key().as_ref())
            .verify(input.as_bytes(), &signature)
            .unwrap();
    }

    #[test]
    fn each_assertion_has_a_fresh_jti() {
        let key_pem = pem("PRIVATE KEY", p256_key().to_pkcs8v1().unwrap().as_ref());
        let jti = |token: String| decode_part(token.split('.').nth(1).unwrap())["jti"].clone();
        assert_ne!(
            jti(sign(&key_pem, SigningAlgorithm::Es256).unwrap()),
            jti(sign(&key_pem, SigningAlgorithm::Es256).unwrap())
        );
    }

    #[test]
    fn rs256_pkcs8_round_trip() {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let key_pem = pem("PRIVATE KEY", key.as_der().unwrap().as_ref());
        let token = sign(&key_pem, SigningAlgorithm::Rs256).unwrap();
        let (input, signature) = check_token(&token, "RS256");
        assert_eq!(signature.len(), 256);
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.public_key().as_ref())
            .verify(input.as_bytes(), &signature)
            .unwrap();
    }

    #[test]
    fn wrong_key_type_for_algorithm_is_rejected() {
        let ec_pem = pem("PRIVATE KEY", p256_key().to_pkcs8v1().unwrap().as_ref());
        assert!(sign(&ec_pem, SigningAlgorithm::Rs256).is_err());
        let rsa = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let rsa_pem = pem("PRIVATE KEY", rsa.as_der().unwrap().as_ref());
        assert!(sign(&rsa_pem, SigningAlgorithm::Es256).is_err());
        let labelled_rsa = pem("RSA PRIVATE KEY", &[0x30, 0x00]);
        assert!(sign(&labelled_rsa, SigningAlgorithm::Es256)
            .unwrap_err()
            .contains("RSA PRIVATE KEY"));
    }

    #[test]
    fn bad_pem_errors_do_not_leak_key_text() {
        let secretish = "SECRETKEYMATERIAL$$$";
        let cases = [
            String::new(),
            "not a pem".to_string(),
            format!("-----BEGIN PRIVATE KEY-----\n{secretish}\n-----END PRIVATE KEY-----\n"),
            format!("-----BEGIN PRIVATE KEY-----\n{secretish}\n"),
            "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n".to_string(),
            format!("-----BEGIN ENCRYPTED PRIVATE KEY-----\n{secretish}\n-----END ENCRYPTED PRIVATE KEY-----\n"),
            format!("-----BEGIN PRIVATE KEY-----\n{secretish}\n-----END RSA PRIVATE KEY-----\n"),
        ];
        for case in &cases {
            for algorithm in [SigningAlgorithm::Es256, SigningAlgorithm::Rs256] {
                let error = sign(case, algorithm).unwrap_err();
                assert!(!error.contains("SECRET"), "{error}");
                assert!(!error.contains("QUJD"), "{error}");
            }
        }
    }

    #[test]
    fn algorithm_names_parse_case_insensitively() {
        assert_eq!("ES256".parse(), Ok(SigningAlgorithm::Es256));
        assert_eq!("es256".parse(), Ok(SigningAlgorithm::Es256));
        assert_eq!("Rs256".parse(), Ok(SigningAlgorithm::Rs256));
        let error = "HS256".parse::<SigningAlgorithm>().unwrap_err();
        assert!(
            error.contains("ES256") && error.contains("RS256"),
            "{error}"
        );
    }
}
