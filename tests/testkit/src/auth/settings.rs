//! How the reference authorization server and protected resource behave. The defaults are a
//! well-behaved OAuth 2.1 AS; each field turns on one variant or misbehaviour a client must
//! cope with (or must refuse). The binary's `--auth-*` flags map one to one onto the fields;
//! any of them turns authorization on, as `--auth` alone does.

use std::collections::BTreeMap;

/// What the `iss` parameter of the authorization response (RFC 9207) carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IssMode {
    #[default]
    Correct,
    Missing,
    /// Another issuer altogether (`<origin>/wrong-issuer`).
    Wrong,
    /// The right issuer plus a `/`: clients must compare without normalising.
    TrailingSlash,
}

/// What the `state` parameter of the authorization response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateMode {
    #[default]
    Echo,
    Wrong,
    Missing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuthSettings {
    /// `false` leaves `code_challenge_methods_supported` out of the AS metadata, which a
    /// client must treat as "no PKCE" and refuse (`--auth-no-pkce`).
    pub pkce_advertised: bool,
    /// `--auth-iss correct|missing|wrong|slash`.
    pub iss_mode: IssMode,
    /// `authorization_response_iss_parameter_supported` in the metadata (`--auth-no-iss-advertised`).
    pub iss_advertised: bool,
    /// `--auth-state echo|wrong|missing`.
    pub state_mode: StateMode,
    /// The metadata's `issuer` differs from the issuer its URL was built from
    /// (`--auth-metadata-issuer-mismatch`).
    pub metadata_issuer_mismatch: bool,
    /// Status of the path-based PRM (`/.well-known/oauth-protected-resource/mcp`), e.g. 401,
    /// 403 or 404, so clients must fall back to the root one (`--auth-prm-path-status N`).
    pub prm_path_status: Option<u16>,
    /// `resource_metadata` in the 401 challenge; `false` makes clients probe the well-known
    /// URLs themselves (`--auth-no-prm-in-challenge`).
    pub prm_in_challenge: bool,
    /// The PRM `resource` instead of `<origin>/mcp`, e.g. `https://evil.example.com/mcp`; the
    /// AS then also expects it as `resource` (`--auth-prm-resource URL`).
    pub prm_resource: Option<String>,
    /// The metadata advertises `http://auth.invalid/...` endpoints: a non-loopback plain-HTTP
    /// AS the client must refuse without contacting it (`--auth-insecure-endpoints`).
    pub insecure_endpoints: bool,
    /// Refresh tokens with authorization-code grants, for clients registered with the
    /// `refresh_token` grant (`--auth-no-refresh-tokens` turns them off).
    pub issue_refresh_tokens: bool,
    /// A refresh answers with a new refresh token and the old one stops working
    /// (`--auth-no-rotation` hands the same one back).
    pub rotate_refresh_tokens: bool,
    /// A refresh answers without `refresh_token`; the old one keeps working
    /// (`--auth-refresh-omits-refresh-token`).
    pub refresh_omits_refresh_token: bool,
    /// `expires_in` of access tokens (`--auth-token-ttl SECS`).
    pub access_token_ttl_secs: u64,
    /// The token endpoint waits this long before it looks at a request, so that concurrent
    /// refreshes overlap (`--auth-token-delay-ms MS`).
    pub token_delay_ms: u64,
    /// `scope` of the 401 challenge (`--auth-challenge-scope "a b"`).
    pub challenge_scope: Option<String>,
    /// PRM `scopes_supported`; `None` omits it (`--auth-prm-scopes a,b` / `--auth-no-prm-scopes`).
    pub prm_scopes_supported: Option<Vec<String>>,
    /// AS `scopes_supported`; `None` omits it, and `offline_access` is refused unless listed
    /// (`--auth-as-scopes a,b` / `--auth-no-as-scopes`).
    pub as_scopes_supported: Option<Vec<String>>,
    /// `false`: no `registration_endpoint`, `/register` is 404 (`--auth-no-registration`).
    pub registration_enabled: bool,
    /// A client known to the initial issuer without registration: `(client_id, secret)`; an
    /// empty secret makes it a public client (`--auth-pre-registered ID[:SECRET]`).
    pub pre_registered: Option<(String, String)>,
    /// `token_endpoint_auth_methods_supported`; registration assigns the first one when the
    /// requested method is not listed (`--auth-token-auth-methods none,client_secret_basic`).
    pub token_auth_methods: Vec<String>,
    /// The issuer has this path (`/tenant1`): metadata at
    /// `/.well-known/oauth-authorization-server/tenant1`, endpoints under `/tenant1/`, nothing
    /// at the root (`--auth-as-path /tenant1`).
    pub as_path: Option<String>,
    /// Metadata only at the OpenID Connect discovery URLs, both the path-inserted and the
    /// path-appended form, never at RFC 8414's (`--auth-openid-only`).
    pub openid_only: bool,
    /// `client_id_metadata_document_supported: true`; `https` URL client ids are accepted as
    /// public clients without fetching their document (`--auth-cimd`).
    pub cimd_supported: bool,
    /// Scopes a `tools/call` of each tool needs (space-separated), beyond a valid token.
    /// Default `{"add": "mcp:write"}` (`--auth-tool-scope TOOL=SCOPES`, `--auth-no-tool-scopes`).
    pub tool_scopes: BTreeMap<String, String>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            pkce_advertised: true,
            iss_mode: IssMode::Correct,
            iss_advertised: true,
            state_mode: StateMode::Echo,
            metadata_issuer_mismatch: false,
            prm_path_status: None,
            prm_in_challenge: true,
            prm_resource: None,
            insecure_endpoints: false,
            issue_refresh_tokens: true,
            rotate_refresh_tokens: true,
            refresh_omits_refresh_token: false,
            access_token_ttl_secs: 3600,
            token_delay_ms: 0,
            challenge_scope: None,
            prm_scopes_supported: Some(strings(&["mcp:read", "mcp:write"])),
            as_scopes_supported: Some(strings(&["mcp:read", "mcp:write", "offline_access"])),
            registration_enabled: true,
            pre_registered: None,
            token_auth_methods: strings(&["none", "client_secret_basic", "client_secret_post"]),
            as_path: None,
            openid_only: false,
            cimd_supported: false,
            tool_scopes: BTreeMap::from([("add".to_owned(), "mcp:write".to_owned())]),
        }
    }
}

/// Comma- or space-separated items, empty ones dropped.
fn list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{flag} takes a non-negative number"))
}

/// `/tenant1`-style issuer path; `None` for the root.
pub(crate) fn issuer_path(text: &str) -> Result<Option<String>, String> {
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(None);
    }
    let reserved = ["/mcp", "/moved", "/_admin", "/.well-known"];
    if !trimmed.starts_with('/')
        || trimmed.contains(['?', '#', ' '])
        || reserved
            .iter()
            .any(|r| trimmed == *r || trimmed.starts_with(&format!("{r}/")))
    {
        return Err(format!(
            "issuer path {text:?} must start with / and name no query, fragment or reserved route"
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

/// Applies one `--auth...` flag, turning authorization on. `value` takes the flag's argument.
pub(crate) fn apply_flag(
    settings: &mut Option<AuthSettings>,
    flag: &str,
    value: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(), String> {
    let s = settings.get_or_insert_with(AuthSettings::default);
    match flag {
        "--auth" => {}
        "--auth-no-pkce" => s.pkce_advertised = false,
        "--auth-iss" => {
            s.iss_mode = match value(flag)?.as_str() {
                "correct" => IssMode::Correct,
                "missing" => IssMode::Missing,
                "wrong" => IssMode::Wrong,
                "slash" => IssMode::TrailingSlash,
                _ => return Err("--auth-iss takes correct, missing, wrong or slash".into()),
            }
        }
        "--auth-no-iss-advertised" => s.iss_advertised = false,
        "--auth-state" => {
            s.state_mode = match value(flag)?.as_str() {
                "echo" => StateMode::Echo,
                "wrong" => StateMode::Wrong,
                "missing" => StateMode::Missing,
                _ => return Err("--auth-state takes echo, wrong or missing".into()),
            }
        }
        "--auth-metadata-issuer-mismatch" => s.metadata_issuer_mismatch = true,
        "--auth-prm-path-status" => {
            let status: u16 = number(flag, &value(flag)?)?;
            if !(100..=599).contains(&status) {
                return Err("--auth-prm-path-status takes an HTTP status".into());
            }
            s.prm_path_status = Some(status);
        }
        "--auth-no-prm-in-challenge" => s.prm_in_challenge = false,
        "--auth-prm-resource" => s.prm_resource = Some(value(flag)?),
        "--auth-insecure-endpoints" => s.insecure_endpoints = true,
        "--auth-no-refresh-tokens" => s.issue_refresh_tokens = false,
        "--auth-no-rotation" => s.rotate_refresh_tokens = false,
        "--auth-refresh-omits-refresh-token" => s.refresh_omits_refresh_token = true,
        "--auth-token-ttl" => s.access_token_ttl_secs = number(flag, &value(flag)?)?,
        "--auth-token-delay-ms" => s.token_delay_ms = number(flag, &value(flag)?)?,
        "--auth-challenge-scope" => s.challenge_scope = Some(value(flag)?),
        "--auth-prm-scopes" => s.prm_scopes_supported = Some(list(&value(flag)?)),
        "--auth-no-prm-scopes" => s.prm_scopes_supported = None,
        "--auth-as-scopes" => s.as_scopes_supported = Some(list(&value(flag)?)),
        "--auth-no-as-scopes" => s.as_scopes_supported = None,
        "--auth-no-registration" => s.registration_enabled = false,
        "--auth-pre-registered" => {
            let text = value(flag)?;
            let (id, secret) = text.split_once(':').unwrap_or((&text, ""));
            if id.is_empty() {
                return Err("--auth-pre-registered takes CLIENT_ID[:SECRET]".into());
            }
            s.pre_registered = Some((id.to_owned(), secret.to_owned()));
        }
        "--auth-token-auth-methods" => {
            s.token_auth_methods = list(&value(flag)?);
            if s.token_auth_methods.is_empty() {
                return Err("--auth-token-auth-methods takes a list".into());
            }
        }
        "--auth-as-path" => s.as_path = issuer_path(&value(flag)?)?,
        "--auth-openid-only" => s.openid_only = true,
        "--auth-cimd" => s.cimd_supported = true,
        "--auth-tool-scope" => {
            let text = value(flag)?;
            let Some((tool, scope)) = text.split_once('=').filter(|(t, _)| !t.is_empty()) else {
                return Err("--auth-tool-scope takes TOOL=SCOPES (empty SCOPES removes)".into());
            };
            if scope.trim().is_empty() {
                s.tool_scopes.remove(tool);
            } else {
                s.tool_scopes
                    .insert(tool.to_owned(), scope.trim().to_owned());
            }
        }
        "--auth-no-tool-scopes" => s.tool_scopes.clear(),
        other => return Err(format!("unknown argument {other:?}")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    fn parse(s: &str) -> Result<Option<AuthSettings>, String> {
        let args = s.split_whitespace().map(str::to_owned);
        Config::from_args(args).map(|(c, _)| c.auth)
    }

    #[test]
    fn auth_is_off_unless_a_flag_names_it() {
        assert_eq!(parse("--json").unwrap(), None);
        assert_eq!(parse("--auth").unwrap(), Some(AuthSettings::default()));
        let implied = parse("--auth-no-pkce").unwrap().unwrap();
        assert!(!implied.pkce_advertised);
    }

    #[test]
    fn parses_every_switch() {
        let s = parse(
            "--auth-iss slash --auth-no-iss-advertised --auth-state wrong \
             --auth-metadata-issuer-mismatch --auth-prm-path-status 403 --auth-no-prm-in-challenge \
             --auth-prm-resource https://evil.example.com/mcp --auth-insecure-endpoints \
             --auth-no-refresh-tokens --auth-no-rotation --auth-refresh-omits-refresh-token \
             --auth-token-ttl 5 --auth-token-delay-ms 200 --auth-challenge-scope mcp:basic \
             --auth-prm-scopes a,b --auth-no-as-scopes --auth-no-registration \
             --auth-pre-registered id:se:cret --auth-token-auth-methods client_secret_basic \
             --auth-as-path /tenant1/ --auth-openid-only --auth-cimd \
             --auth-tool-scope add= --auth-tool-scope echo=mcp:admin",
        )
        .unwrap()
        .unwrap();
        assert_eq!(s.iss_mode, IssMode::TrailingSlash);
        assert_eq!(s.state_mode, StateMode::Wrong);
        assert!(!s.iss_advertised && s.metadata_issuer_mismatch && !s.prm_in_challenge);
        assert_eq!(s.prm_path_status, Some(403));
        assert_eq!(
            s.prm_resource.as_deref(),
            Some("https://evil.example.com/mcp")
        );
        assert!(s.insecure_endpoints && !s.issue_refresh_tokens && !s.rotate_refresh_tokens);
        assert!(s.refresh_omits_refresh_token && !s.registration_enabled);
        assert_eq!((s.access_token_ttl_secs, s.token_delay_ms), (5, 200));
        assert_eq!(s.challenge_scope.as_deref(), Some("mcp:basic"));
        assert_eq!(s.prm_scopes_supported, Some(vec!["a".into(), "b".into()]));
        assert_eq!(s.as_scopes_supported, None);
        assert_eq!(s.pre_registered, Some(("id".into(), "se:cret".into())));
        assert_eq!(s.token_auth_methods, ["client_secret_basic"]);
        assert_eq!(s.as_path.as_deref(), Some("/tenant1"));
        assert!(s.openid_only && s.cimd_supported);
        assert_eq!(
            s.tool_scopes,
            BTreeMap::from([("echo".into(), "mcp:admin".into())])
        );
    }

    #[test]
    fn rejects_bad_switches() {
        for bad in [
            "--auth-iss maybe",
            "--auth-state lost",
            "--auth-prm-path-status 42",
            "--auth-token-ttl soon",
            "--auth-as-path tenant1",
            "--auth-as-path /mcp",
            "--auth-tool-scope add",
            "--auth-pre-registered :x",
            "--auth-token-auth-methods ,",
            "--auth-bogus",
            "--auth-challenge-scope",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
