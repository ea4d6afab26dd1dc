//! Token-endpoint client authentication: choosing a method and applying it to a request (A17, A37).

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use url::form_urlencoded::byte_serialize;

pub(crate) const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Form fields that carry client credentials; cleared before one method writes its own so a
/// request can never carry two methods at once.
const CLIENT_AUTH_FIELDS: [&str; 4] = [
    "client_id",
    "client_secret",
    "client_assertion_type",
    "client_assertion",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientAuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl ClientAuthMethod {
    /// The RFC 7591 / RFC 8414 registry name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }

    fn is_usable(self, has_secret: bool, has_private_key: bool) -> bool {
        match self {
            Self::None => true,
            Self::ClientSecretBasic | Self::ClientSecretPost => has_secret,
            Self::PrivateKeyJwt => has_private_key,
        }
    }
}

impl fmt::Display for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClientAuthMethod {
    type Err = String;

    /// Registry names are case-sensitive (RFC 7591 §2), so only the exact spelling matches.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.trim() {
            "none" => Ok(Self::None),
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "private_key_jwt" => Ok(Self::PrivateKeyJwt),
            other => Err(format!(
                "unsupported token endpoint auth method {other:?}; supported: none, \
                 client_secret_basic, client_secret_post, private_key_jwt"
            )),
        }
    }
}

/// Picks the one method to use at the token endpoint.
///
/// `registered` is what DCR returned or the user configured; `supported` is the AS
/// `token_endpoint_auth_methods_supported` (`None` when absent, which RFC 8414 §2 defines as
/// `client_secret_basic` only). Order: the registered method when the credentials for it exist
/// and the AS accepts it; then `private_key_jwt` with a key; then, with a secret, Basic and
/// then post; otherwise `none`.
///
/// With a private key and no advertised list, `private_key_jwt` is still chosen: the RFC 8414
/// default only speaks about secrets, and a configured key leaves no other credential to send.
pub(crate) fn select_method(
    registered: Option<&str>,
    has_secret: bool,
    has_private_key: bool,
    supported: Option<&[String]>,
) -> ClientAuthMethod {
    let advertised = |method: ClientAuthMethod| {
        supported.is_some_and(|list| list.iter().any(|name| name.trim() == method.as_str()))
    };
    let accepted = |method: ClientAuthMethod| supported.is_none() || advertised(method);

    if let Some(method) = registered.and_then(|name| name.parse::<ClientAuthMethod>().ok()) {
        if method.is_usable(has_secret, has_private_key) && accepted(method) {
            return method;
        }
    }
    if has_private_key && accepted(ClientAuthMethod::PrivateKeyJwt) {
        return ClientAuthMethod::PrivateKeyJwt;
    }
    if has_secret {
        if accepted(ClientAuthMethod::ClientSecretBasic) {
            return ClientAuthMethod::ClientSecretBasic;
        }
        if advertised(ClientAuthMethod::ClientSecretPost) {
            return ClientAuthMethod::ClientSecretPost;
        }
    }
    ClientAuthMethod::None
}

/// `Authorization` header value for `client_secret_basic`: RFC 6749 §2.3.1 form-urlencodes the
/// id and the secret before joining them, so a `:` in the id cannot shift the split point.
pub(crate) fn basic_authorization(client_id: &str, secret: &str) -> String {
    let encode = |part: &str| byte_serialize(part.as_bytes()).collect::<String>();
    let credentials = format!("{}:{}", encode(client_id), encode(secret));
    format!("Basic {}", STANDARD.encode(credentials))
}

/// Borrowed client credentials for one token request. `assertion` is an already signed
/// RFC 7523 JWT (see `jwt::client_assertion`).
#[derive(Clone, Copy)]
pub(crate) struct ClientCredentialsRef<'a> {
    pub client_id: &'a str,
    pub client_secret: Option<&'a str>,
    pub assertion: Option<&'a str>,
}

impl fmt::Debug for ClientCredentialsRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: Option<&str>| value.map(|_| "<redacted>");
        f.debug_struct("ClientCredentialsRef")
            .field("client_id", &self.client_id)
            .field("client_secret", &redacted(self.client_secret))
            .field("assertion", &redacted(self.assertion))
            .finish()
    }
}

/// Writes `method`'s credentials into `form` and returns the `Authorization` header to send,
/// if any. Existing credential fields in `form` are removed first.
///
/// Basic sends the header alone: the conformance suite tells methods apart by the header and
/// the body, so nothing credential-like may go in the body. Errors when `creds` lacks what
/// `method` needs, rather than sending a request that is bound to fail as `invalid_client`.
pub(crate) fn apply(
    method: ClientAuthMethod,
    creds: ClientCredentialsRef<'_>,
    form: &mut Vec<(String, String)>,
) -> Result<Option<String>, String> {
    let missing = |what: &str| format!("{method} client authentication needs a {what}");
    form.retain(|(name, _)| !CLIENT_AUTH_FIELDS.contains(&name.as_str()));
    let mut push = |name: &str, value: &str| form.push((name.to_string(), value.to_string()));
    match method {
        ClientAuthMethod::None => {
            push("client_id", creds.client_id);
            Ok(None)
        }
        ClientAuthMethod::ClientSecretBasic => {
            let secret = creds
                .client_secret
                .ok_or_else(|| missing("client secret"))?;
            Ok(Some(basic_authorization(creds.client_id, secret)))
        }
        ClientAuthMethod::ClientSecretPost => {
            let secret = creds
                .client_secret
                .ok_or_else(|| missing("client secret"))?;
            push("client_id", creds.client_id);
            push("client_secret", secret);
            Ok(None)
        }
        ClientAuthMethod::PrivateKeyJwt => {
            let assertion = creds
                .assertion
                .ok_or_else(|| missing("signed client assertion"))?;
            push("client_id", creds.client_id);
            push("client_assertion_type", JWT_BEARER_ASSERTION_TYPE);
            push("client_assertion", assertion);
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ClientAuthMethod::*;

    fn list(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn method_names_round_trip() {
        for method in [None, ClientSecretBasic, ClientSecretPost, PrivateKeyJwt] {
            assert_eq!(method.as_str().parse(), Ok(method));
        }
        assert!("tls_client_auth".parse::<ClientAuthMethod>().is_err());
        assert!("Client_Secret_Basic".parse::<ClientAuthMethod>().is_err());
    }

    #[test]
    fn selection_table() {
        let basic_only = list(&["client_secret_basic"]);
        let post_only = list(&["client_secret_post"]);
        let none_only = list(&["none"]);
        let jwt_only = list(&["private_key_jwt"]);
        let both_secrets = list(&["client_secret_post", "client_secret_basic"]);
        // name, registered, has_secret, has_private_key, supported, expected
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            bool,
            bool,
            Option<&'a [String]>,
            ClientAuthMethod,
        );
        #[rustfmt::skip]
        let cases: &[Case] = &[
            // Conformance token-endpoint-auth-*: the DCR response names the AS's only method.
            ("conformance basic", Some("client_secret_basic"), true, false, Some(&basic_only), ClientSecretBasic),
            ("conformance post", Some("client_secret_post"), true, false, Some(&post_only), ClientSecretPost),
            ("conformance none", Some("none"), false, false, Some(&none_only), None),
            // The default mock AS: list ["none"], DCR hands out a secret anyway.
            ("secret but only none advertised", Option::None, true, false, Some(&none_only), None),
            ("conformance pre-registration", Option::None, true, false, Some(&basic_only), ClientSecretBasic),
            ("client-credentials-jwt", Option::None, false, true, Some(&jwt_only), PrivateKeyJwt),
            ("absent list means basic", Option::None, true, false, Option::None, ClientSecretBasic),
            ("absent list, no credentials", Option::None, false, false, Option::None, None),
            ("absent list, key only", Option::None, false, true, Option::None, PrivateKeyJwt),
            ("registered trusted when list absent", Some("client_secret_post"), true, false, Option::None, ClientSecretPost),
            ("registered unsupported falls back", Some("client_secret_basic"), true, false, Some(&post_only), ClientSecretPost),
            ("registered without its secret", Some("client_secret_basic"), false, false, Some(&basic_only), None),
            ("registered unknown name", Some("tls_client_auth"), true, false, Some(&both_secrets), ClientSecretBasic),
            ("basic preferred over post", Option::None, true, false, Some(&both_secrets), ClientSecretBasic),
            ("key preferred over secret", Option::None, true, true, Some(&list(&["private_key_jwt", "client_secret_basic"])), PrivateKeyJwt),
            ("key not advertised, secret is", Option::None, true, true, Some(&basic_only), ClientSecretBasic),
            ("registered none wins over secret", Some("none"), true, false, Some(&list(&["none", "client_secret_basic"])), None),
        ];
        for (name, registered, has_secret, has_key, supported, expected) in cases {
            assert_eq!(
                select_method(*registered, *has_secret, *has_key, *supported),
                *expected,
                "{name}"
            );
        }
    }

    #[test]
    fn basic_header_form_encodes_each_part() {
        // "a%3Ab:p%25q+r" in base64.
        assert_eq!(
            basic_authorization("a:b", "p%q r"),
            "Basic YSUzQWI6cCUyNXErcg=="
        );
        assert_eq!(
            basic_authorization("pre-registered-client", "pre-registered-secret"),
            format!(
                "Basic {}",
                STANDARD.encode("pre-registered-client:pre-registered-secret")
            )
        );
    }

    fn creds() -> ClientCredentialsRef<'static> {
        ClientCredentialsRef {
            client_id: "client",
            client_secret: Some("secret"),
            assertion: Some("h.c.s"),
        }
    }

    fn token_form() -> Vec<(String, String)> {
        vec![
            ("grant_type".into(), "client_credentials".into()),
            ("client_secret".into(), "stale".into()),
        ]
    }

    fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
        form.iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }

    #[test]
    fn apply_basic_sets_only_the_header() {
        let mut form = token_form();
        let header = apply(ClientSecretBasic, creds(), &mut form).unwrap();
        assert_eq!(header, Some(basic_authorization("client", "secret")));
        assert_eq!(pairs(&form), [("grant_type", "client_credentials")]);
    }

    #[test]
    fn apply_post_puts_id_and_secret_in_body() {
        let mut form = token_form();
        assert_eq!(
            apply(ClientSecretPost, creds(), &mut form),
            Ok(Option::None)
        );
        assert_eq!(
            pairs(&form),
            [
                ("grant_type", "client_credentials"),
                ("client_id", "client"),
                ("client_secret", "secret"),
            ]
        );
    }

    #[test]
    fn apply_none_sends_only_client_id() {
        let mut form = token_form();
        assert_eq!(apply(None, creds(), &mut form), Ok(Option::None));
        assert_eq!(
            pairs(&form),
            [
                ("grant_type", "client_credentials"),
                ("client_id", "client")
            ]
        );
    }

    #[test]
    fn apply_private_key_jwt_sends_assertion() {
        let mut form = token_form();
        assert_eq!(apply(PrivateKeyJwt, creds(), &mut form), Ok(Option::None));
        assert_eq!(
            pairs(&form),
            [
                ("grant_type", "client_credentials"),
                ("client_id", "client"),
                ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
                ("client_assertion", "h.c.s"),
            ]
        );
    }

    #[test]
    fn apply_without_needed_credential_is_an_error() {
        let bare = ClientCredentialsRef {
            client_id: "client",
            client_secret: Option::None,
            assertion: Option::None,
        };
        for method in [ClientSecretBasic, ClientSecretPost, PrivateKeyJwt] {
            assert!(apply(method, bare, &mut Vec::new()).is_err(), "{method}");
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let shown = format!("{:?}", creds());
        assert!(shown.contains("client"));
        assert!(
            !shown.contains("\"secret\"") && !shown.contains("h.c.s"),
            "{shown}"
        );
    }
}
