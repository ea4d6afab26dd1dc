//! Discovery URLs and the identity rules for resources, issuers and endpoints
//! (A5, A7, A9, A10, A15, A22, A23, A29).

use url::{Host, Url};

const PRM_WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";
const OAUTH_AS_WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";
const OIDC_WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// The path with trailing slashes removed; `""` for the root.
fn trimmed_path(url: &Url) -> &str {
    url.path().trim_end_matches('/')
}

/// `url`'s origin with `path`; userinfo, query and fragment never belong in a discovery URL.
fn at_path(url: &Url, path: &str) -> Url {
    let mut out = url.clone();
    // Both only fail for URLs without a host, which `cannot_be_a_base` already excludes.
    let _ = out.set_username("");
    let _ = out.set_password(None);
    out.set_path(path);
    out.set_query(None);
    out.set_fragment(None);
    out
}

/// RFC 9728 candidates when the 401 carried no `resource_metadata` (A5): path insertion first,
/// then the root. Empty for URLs that cannot have a path (`mailto:` and the like).
pub(crate) fn protected_resource_metadata_urls(server: &Url) -> Vec<Url> {
    if server.cannot_be_a_base() {
        return Vec::new();
    }
    let path = trimmed_path(server);
    let mut urls = Vec::with_capacity(2);
    if !path.is_empty() {
        urls.push(at_path(server, &format!("{PRM_WELL_KNOWN}{path}")));
    }
    urls.push(at_path(server, PRM_WELL_KNOWN));
    urls
}

/// RFC 8414 and OIDC Discovery candidates for `issuer`, in the exact A9 order. A path issuer never
/// gets the root URLs: conformance fails a client that asks for them.
pub(crate) fn authorization_server_metadata_urls(issuer: &Url) -> Vec<Url> {
    if issuer.cannot_be_a_base() {
        return Vec::new();
    }
    let path = trimmed_path(issuer);
    if path.is_empty() {
        vec![
            at_path(issuer, OAUTH_AS_WELL_KNOWN),
            at_path(issuer, OIDC_WELL_KNOWN),
        ]
    } else {
        vec![
            at_path(issuer, &format!("{OAUTH_AS_WELL_KNOWN}{path}")),
            at_path(issuer, &format!("{OIDC_WELL_KNOWN}{path}")),
            at_path(issuer, &format!("{path}{OIDC_WELL_KNOWN}")),
        ]
    }
}

/// RFC 8707 `resource` value for a server URL (A22).
///
/// `Url` already lowercases scheme and host and drops default ports. The fragment is removed (RFC
/// 8707 §2 forbids it); the query is kept, since the RFC allows one when it is part of the
/// resource's identity. A bare root `/` is dropped (`https://mcp.example.com`, as the MCP spec
/// writes it) unless a query follows it. A trailing `/` on a longer path is kept: it may name a
/// different resource. Userinfo is removed so credentials never travel to the AS.
pub(crate) fn canonical_resource(url: &Url) -> String {
    let mut out = url.clone();
    out.set_fragment(None);
    let _ = out.set_username("");
    let _ = out.set_password(None);
    let mut text = String::from(out);
    if has_root_path(url) && url.query().is_none() {
        if let Some(stripped) = text.strip_suffix('/') {
            text.truncate(stripped.len());
        }
    }
    text
}

fn has_root_path(url: &Url) -> bool {
    !url.cannot_be_a_base() && url.path() == "/"
}

/// A7: may the PRM `resource` stand for `server`? Same origin (scheme, host, effective port) and
/// the PRM path a whole-segment prefix of the server path, trailing `/` ignored on both. Query and
/// fragment play no part. An unparseable `resource` is never allowed.
pub(crate) fn resource_allowed(prm_resource: &str, server: &Url) -> bool {
    let Ok(resource) = Url::parse(prm_resource.trim()) else {
        return false;
    };
    if resource.scheme() != server.scheme()
        || resource.host() != server.host()
        || resource.port_or_known_default() != server.port_or_known_default()
        || resource.cannot_be_a_base()
        || server.cannot_be_a_base()
    {
        return false;
    }
    let resource_path = trimmed_path(&resource);
    let server_path = trimmed_path(server);
    match server_path.strip_prefix(resource_path) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// A10: the metadata `issuer` must be the issuer discovery started from, compared as plain
/// strings. Only the root-slash spelling (`https://as/` vs `https://as`) is tolerated; a path
/// issuer must match exactly.
pub(crate) fn issuer_matches(metadata_issuer: &str, expected: &str) -> bool {
    metadata_issuer == expected
        || without_root_slash(metadata_issuer) == without_root_slash(expected)
}

/// `https://as/` → `https://as`; anything with a path, query or fragment is returned unchanged.
fn without_root_slash(issuer: &str) -> &str {
    let Some(stripped) = issuer.strip_suffix('/') else {
        return issuer;
    };
    let authority_start = match stripped.find("://") {
        Some(index) => index + 3,
        None => return issuer,
    };
    let after_scheme = &stripped[authority_start..];
    if after_scheme.is_empty() || after_scheme.contains(['/', '?', '#']) {
        issuer
    } else {
        stripped
    }
}

/// A23 (RFC 9207): check the authorization response's `iss` against the issuer recorded before
/// the redirect. A present value must be byte-identical: normalizing would reopen the mix-up
/// attack the parameter exists to close.
pub(crate) fn response_issuer_ok(
    iss: Option<&str>,
    expected: &str,
    advertised: bool,
) -> Result<(), &'static str> {
    match iss {
        Some(iss) if iss == expected => Ok(()),
        Some(_) => Err("iss mismatch"),
        None if advertised => Err("iss missing"),
        None => Ok(()),
    }
}

/// `localhost`, `127.0.0.0/8` or `[::1]` (and the IPv4-mapped form of a 127/8 address).
pub(crate) fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost") || domain.eq_ignore_ascii_case("localhost.")
        }
        Some(Host::Ipv4(address)) => address.is_loopback(),
        Some(Host::Ipv6(address)) => {
            address.is_loopback()
                || address
                    .to_ipv4_mapped()
                    .is_some_and(|mapped| mapped.is_loopback())
        }
        None => false,
    }
}

/// A29: `https`, or `http` to a loopback host (local development and the conformance suite).
/// The error names `what` and the URL (password removed).
pub(crate) fn require_secure(url: &Url, what: &str) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(url) => Ok(()),
        _ => {
            let mut shown = url.clone();
            let _ = shown.set_password(None);
            Err(format!(
                "{what} must use https (plain http is allowed only for loopback hosts): {shown}"
            ))
        }
    }
}

/// A15 (RFC 7591 / OIDC `application_type`): a loopback or custom-scheme redirect means a native
/// app; a redirect to a remote http(s) host means a web app.
pub(crate) fn application_type(redirect_uri: &Url) -> &'static str {
    match redirect_uri.scheme() {
        "http" | "https" if !is_loopback_host(redirect_uri) => "web",
        _ => "native",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn strings(urls: Vec<Url>) -> Vec<String> {
        urls.into_iter().map(String::from).collect()
    }

    #[test]
    fn prm_urls() {
        let cases: &[(&str, &[&str])] = &[
            (
                "https://example.com/mcp",
                &[
                    "https://example.com/.well-known/oauth-protected-resource/mcp",
                    "https://example.com/.well-known/oauth-protected-resource",
                ],
            ),
            (
                "https://example.com/mcp/",
                &[
                    "https://example.com/.well-known/oauth-protected-resource/mcp",
                    "https://example.com/.well-known/oauth-protected-resource",
                ],
            ),
            (
                "https://example.com",
                &["https://example.com/.well-known/oauth-protected-resource"],
            ),
            (
                "https://example.com/",
                &["https://example.com/.well-known/oauth-protected-resource"],
            ),
            (
                "HTTPS://User:pw@EXAMPLE.com:8443/a/b/mcp?x=1#frag",
                &[
                    "https://example.com:8443/.well-known/oauth-protected-resource/a/b/mcp",
                    "https://example.com:8443/.well-known/oauth-protected-resource",
                ],
            ),
            (
                "http://[::1]:8080/mcp",
                &[
                    "http://[::1]:8080/.well-known/oauth-protected-resource/mcp",
                    "http://[::1]:8080/.well-known/oauth-protected-resource",
                ],
            ),
            (
                "https://example.com:443/mcp",
                &[
                    "https://example.com/.well-known/oauth-protected-resource/mcp",
                    "https://example.com/.well-known/oauth-protected-resource",
                ],
            ),
            (
                "http://localhost:3000/a%20b",
                &[
                    "http://localhost:3000/.well-known/oauth-protected-resource/a%20b",
                    "http://localhost:3000/.well-known/oauth-protected-resource",
                ],
            ),
        ];
        for (server, expected) in cases {
            assert_eq!(
                strings(protected_resource_metadata_urls(&url(server))),
                *expected,
                "{server}"
            );
        }
        assert!(protected_resource_metadata_urls(&url("mailto:a@b")).is_empty());
    }

    #[test]
    fn as_urls() {
        let cases: &[(&str, &[&str])] = &[
            (
                "https://auth.example.com/tenant1",
                &[
                    "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                    "https://auth.example.com/.well-known/openid-configuration/tenant1",
                    "https://auth.example.com/tenant1/.well-known/openid-configuration",
                ],
            ),
            (
                "https://auth.example.com/tenant1/",
                &[
                    "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                    "https://auth.example.com/.well-known/openid-configuration/tenant1",
                    "https://auth.example.com/tenant1/.well-known/openid-configuration",
                ],
            ),
            (
                "http://localhost:9000/realms/a/b",
                &[
                    "http://localhost:9000/.well-known/oauth-authorization-server/realms/a/b",
                    "http://localhost:9000/.well-known/openid-configuration/realms/a/b",
                    "http://localhost:9000/realms/a/b/.well-known/openid-configuration",
                ],
            ),
            (
                "https://auth.example.com",
                &[
                    "https://auth.example.com/.well-known/oauth-authorization-server",
                    "https://auth.example.com/.well-known/openid-configuration",
                ],
            ),
            (
                "https://Auth.Example.com/",
                &[
                    "https://auth.example.com/.well-known/oauth-authorization-server",
                    "https://auth.example.com/.well-known/openid-configuration",
                ],
            ),
            (
                "http://[::1]:8080",
                &[
                    "http://[::1]:8080/.well-known/oauth-authorization-server",
                    "http://[::1]:8080/.well-known/openid-configuration",
                ],
            ),
        ];
        for (issuer, expected) in cases {
            assert_eq!(
                strings(authorization_server_metadata_urls(&url(issuer))),
                *expected,
                "{issuer}"
            );
        }
    }

    #[test]
    fn canonical_resources() {
        let cases = [
            ("https://mcp.example.com", "https://mcp.example.com"),
            ("https://mcp.example.com/", "https://mcp.example.com"),
            ("HTTPS://MCP.Example.COM/MCP", "https://mcp.example.com/MCP"),
            (
                "https://mcp.example.com:443/mcp",
                "https://mcp.example.com/mcp",
            ),
            (
                "https://mcp.example.com:8443/mcp",
                "https://mcp.example.com:8443/mcp",
            ),
            (
                "https://mcp.example.com/mcp#frag",
                "https://mcp.example.com/mcp",
            ),
            (
                "https://mcp.example.com/mcp?t=1#f",
                "https://mcp.example.com/mcp?t=1",
            ),
            (
                "https://mcp.example.com/?t=1",
                "https://mcp.example.com/?t=1",
            ),
            (
                "https://mcp.example.com/mcp/",
                "https://mcp.example.com/mcp/",
            ),
            (
                "https://u:p@mcp.example.com/mcp",
                "https://mcp.example.com/mcp",
            ),
            ("http://[::1]:8080/mcp", "http://[::1]:8080/mcp"),
            ("http://localhost:3000/", "http://localhost:3000"),
        ];
        for (input, expected) in cases {
            assert_eq!(canonical_resource(&url(input)), expected, "{input}");
        }
    }

    #[test]
    fn resource_allowed_table() {
        let cases = [
            (
                "https://evil.example.com/mcp",
                "http://localhost:3000/mcp",
                false,
            ),
            ("http://localhost:3000", "http://localhost:3000/mcp", true),
            ("http://localhost:3000/", "http://localhost:3000/mcp", true),
            (
                "http://localhost:3000/mcp",
                "http://localhost:3000/mcp",
                true,
            ),
            (
                "http://localhost:3000/mcp",
                "http://localhost:3000/mcp/",
                true,
            ),
            (
                "http://localhost:3000/mcp/",
                "http://localhost:3000/mcp",
                true,
            ),
            (
                "http://localhost:3000/mc",
                "http://localhost:3000/mcp",
                false,
            ),
            (
                "http://localhost:3000/a/b",
                "http://localhost:3000/a",
                false,
            ),
            ("http://localhost:3000/a", "http://localhost:3000/a/b", true),
            (
                "HTTP://LOCALHOST:3000/mcp",
                "http://localhost:3000/mcp",
                true,
            ),
            (
                "https://example.com:443/mcp",
                "https://example.com/mcp",
                true,
            ),
            (
                "https://example.com/mcp",
                "https://example.com:8443/mcp",
                false,
            ),
            ("http://example.com/mcp", "https://example.com/mcp", false),
            (
                "http://localhost:3001/mcp",
                "http://localhost:3000/mcp",
                false,
            ),
            (
                "http://127.0.0.1:3000/mcp",
                "http://localhost:3000/mcp",
                false,
            ),
            ("http://[::1]:8080/", "http://[::1]:8080/mcp", true),
            ("http://[0:0::1]:8080/mcp", "http://[::1]:8080/mcp", true),
            (
                "https://example.com/mcp?x=1",
                "https://example.com/mcp",
                true,
            ),
            ("https://example.com/MCP", "https://example.com/mcp", false),
            ("not a url", "https://example.com/mcp", false),
            ("", "https://example.com/mcp", false),
            ("/mcp", "https://example.com/mcp", false),
        ];
        for (resource, server, expected) in cases {
            assert_eq!(
                resource_allowed(resource, &url(server)),
                expected,
                "{resource} vs {server}"
            );
        }
    }

    #[test]
    fn issuer_identity() {
        let cases = [
            ("https://as.example.com", "https://as.example.com", true),
            ("https://as.example.com/", "https://as.example.com", true),
            ("https://as.example.com", "https://as.example.com/", true),
            (
                "https://as.example.com/tenant1",
                "https://as.example.com/tenant1",
                true,
            ),
            (
                "https://as.example.com/tenant1/",
                "https://as.example.com/tenant1",
                false,
            ),
            (
                "https://as.example.com/tenant1",
                "https://as.example.com/tenant1/",
                false,
            ),
            ("https://AS.example.com", "https://as.example.com", false),
            (
                "https://as.example.com:443",
                "https://as.example.com",
                false,
            ),
            ("http://as.example.com", "https://as.example.com", false),
            ("https://as.example.com//", "https://as.example.com", false),
            ("https://as.example.com/?", "https://as.example.com", false),
            ("", "", true),
            ("/", "", false),
        ];
        for (metadata, expected_issuer, expected) in cases {
            assert_eq!(
                issuer_matches(metadata, expected_issuer),
                expected,
                "{metadata} vs {expected_issuer}"
            );
        }
    }

    #[test]
    fn response_issuer_table() {
        let expected = "https://as.example.com/tenant1";
        assert_eq!(response_issuer_ok(Some(expected), expected, true), Ok(()));
        assert_eq!(response_issuer_ok(Some(expected), expected, false), Ok(()));
        assert_eq!(response_issuer_ok(None, expected, false), Ok(()));
        assert_eq!(response_issuer_ok(None, expected, true), Err("iss missing"));
        let near_misses = [
            "https://AS.example.com/tenant1",
            "HTTPS://as.example.com/tenant1",
            "https://as.example.com:443/tenant1",
            "https://as.example.com/tenant1/",
            "https://as.example.com/tenant%31",
            "https://as.example.com/Tenant1",
            "https://evil.example.com/tenant1",
            "",
        ];
        for iss in near_misses {
            for advertised in [true, false] {
                assert_eq!(
                    response_issuer_ok(Some(iss), expected, advertised),
                    Err("iss mismatch"),
                    "{iss}"
                );
            }
        }
        assert_eq!(
            response_issuer_ok(
                Some("https://as.example.com"),
                "https://as.example.com/",
                true
            ),
            Err("iss mismatch")
        );
    }

    #[test]
    fn loopback_hosts() {
        let cases = [
            ("http://localhost:3000/x", true),
            ("http://LOCALHOST/x", true),
            ("http://127.0.0.1:8080", true),
            ("http://127.1.2.3", true),
            ("http://[::1]:8080/mcp", true),
            ("http://[::ffff:127.0.0.1]/", true),
            ("http://localhost.example.com", false),
            ("http://128.0.0.1", false),
            ("http://[::2]", false),
            ("http://example.com", false),
            ("file:///tmp/x", false),
        ];
        for (input, expected) in cases {
            assert_eq!(is_loopback_host(&url(input)), expected, "{input}");
        }
    }

    #[test]
    fn secure_endpoints() {
        for ok in [
            "https://as.example.com/token",
            "http://localhost:3000/token",
            "http://127.0.0.1/token",
            "http://[::1]:9000/token",
        ] {
            assert_eq!(require_secure(&url(ok), "token endpoint"), Ok(()), "{ok}");
        }
        for bad in [
            "http://as.example.com/token",
            "ftp://localhost/token",
            "ws://localhost/token",
        ] {
            let error = require_secure(&url(bad), "token endpoint").unwrap_err();
            assert!(error.contains("token endpoint"), "{error}");
            assert!(error.contains(bad), "{error}");
        }
        let error = require_secure(
            &url("http://u:secret@as.example.com/t"),
            "registration endpoint",
        )
        .unwrap_err();
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn application_types() {
        let cases = [
            ("http://127.0.0.1:8765/callback", "native"),
            ("http://localhost:3000/callback", "native"),
            ("http://[::1]:3000/callback", "native"),
            ("https://localhost/callback", "native"),
            ("com.example.app:/oauth2redirect", "native"),
            ("myapp://callback", "native"),
            ("https://app.example.com/callback", "web"),
            ("http://app.example.com/callback", "web"),
        ];
        for (input, expected) in cases {
            assert_eq!(application_type(&url(input)), expected, "{input}");
        }
    }
}
