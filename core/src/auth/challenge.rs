//! `WWW-Authenticate` parsing (RFC 9110 §11.6.1) and extraction of the Bearer challenge (A1, A2, A33).
//!
//! The parser is deliberately lenient: servers in the wild send duplicated parameters, single
//! quotes, missing commas and stray bytes. A challenge header must never make the client panic or
//! lose the `resource_metadata` it needs, so malformed pieces are skipped up to the next comma and
//! parsing carries on.

/// One challenge: `scheme` as sent, parameter names lowercased, values unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
    pub token68: Option<String>,
}

impl Challenge {
    fn new(scheme: &str) -> Self {
        Challenge {
            scheme: scheme.to_string(),
            params: Vec::new(),
            token68: None,
        }
    }
}

/// The parameters of the Bearer challenge(s) that drive discovery and step-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BearerChallenge {
    /// Every `resource_metadata` value in order, deduplicated: servers have sent it twice, and
    /// the caller tries each in turn.
    pub resource_metadata: Vec<String>,
    pub scope: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Parses every challenge of every `WWW-Authenticate` header value, in order.
pub(crate) fn parse_challenges<'a>(headers: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    let mut challenges = Vec::new();
    for header in headers {
        Parser::new(header).run(&mut challenges);
    }
    challenges
}

/// Merges the Bearer challenges (scheme compared case-insensitively); `None` when there is none.
///
/// When Bearer appears more than once, `resource_metadata` values accumulate and the first
/// non-empty value of each other parameter wins. Values wrapped in single quotes are unwrapped:
/// a quoted URL or scope is never what a server meant to send.
pub(crate) fn bearer_challenge<'a>(
    headers: impl IntoIterator<Item = &'a str>,
) -> Option<BearerChallenge> {
    let mut merged: Option<BearerChallenge> = None;
    for challenge in parse_challenges(headers) {
        if !challenge.scheme.eq_ignore_ascii_case("bearer") {
            continue;
        }
        let bearer = merged.get_or_insert_with(BearerChallenge::default);
        for (name, raw_value) in &challenge.params {
            let value = strip_single_quotes(raw_value.trim());
            if value.is_empty() {
                continue;
            }
            let slot = match name.as_str() {
                "resource_metadata" => {
                    if !bearer.resource_metadata.iter().any(|known| known == value) {
                        bearer.resource_metadata.push(value.to_string());
                    }
                    continue;
                }
                "scope" => &mut bearer.scope,
                "error" => &mut bearer.error,
                "error_description" => &mut bearer.error_description,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.to_string());
            }
        }
    }
    merged
}

fn strip_single_quotes(value: &str) -> &str {
    value
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
        .map(str::trim)
        .unwrap_or(value)
}

/// RFC 9110 `tchar`.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// RFC 9110 `token68` characters, without the trailing `=` padding.
fn is_token68_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte)
}

/// Byte cursor over one header value. Slicing happens only at ASCII bytes, so every slice lands on
/// a `char` boundary even when the header carries non-ASCII junk.
struct Parser<'h> {
    text: &'h str,
    bytes: &'h [u8],
    pos: usize,
}

impl<'h> Parser<'h> {
    fn new(text: &'h str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(byte) if byte.is_ascii_whitespace()) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(byte) if byte.is_ascii_whitespace() || byte == b',') {
            self.pos += 1;
        }
    }

    fn take_while(&mut self, accept: impl Fn(u8) -> bool) -> &'h str {
        let start = self.pos;
        while matches!(self.peek(), Some(byte) if accept(byte)) {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn at_item_end(&self) -> bool {
        matches!(self.peek(), None | Some(b','))
    }

    /// Recovery: drop everything up to the next comma that is not inside a quoted string, so a
    /// stray quote cannot swallow the parameters that follow it.
    fn skip_junk(&mut self) {
        while let Some(byte) = self.peek() {
            match byte {
                b',' => return,
                b'"' => {
                    self.quoted_string();
                }
                _ => self.pos += 1,
            }
        }
    }

    fn run(mut self, out: &mut Vec<Challenge>) {
        let mut current: Option<Challenge> = None;
        loop {
            self.skip_separators();
            if self.peek().is_none() {
                break;
            }
            let word = self.take_while(is_tchar);
            if word.is_empty() {
                self.skip_junk();
                continue;
            }
            let after_word = self.pos;
            self.skip_whitespace();
            if self.peek() == Some(b'=') {
                self.pos += 1;
                let value = self.param_value();
                // A parameter before any scheme has no challenge to belong to; dropping it is
                // the only safe reading.
                if let Some(challenge) = current.as_mut() {
                    challenge.params.push((word.to_ascii_lowercase(), value));
                }
                self.after_value();
                continue;
            }
            self.pos = after_word;
            if let Some(done) = current.take() {
                out.push(done);
            }
            let mut challenge = Challenge::new(word);
            challenge.token68 = self.token68();
            current = Some(challenge);
        }
        if let Some(done) = current {
            out.push(done);
        }
    }

    /// After a scheme: a token68 is one run of token68 characters with optional `=` padding that
    /// ends the challenge. Anything else (`realm=x`, `realm="x"`) is rewound and read as params.
    fn token68(&mut self) -> Option<String> {
        let start = self.pos;
        if !self.skip_whitespace() {
            self.pos = start;
            return None;
        }
        let body_start = self.pos;
        let body = self.take_while(is_token68_char);
        if !body.is_empty() {
            self.take_while(|byte| byte == b'=');
            let candidate = &self.text[body_start..self.pos];
            self.skip_whitespace();
            if self.at_item_end() {
                return Some(candidate.to_string());
            }
        }
        self.pos = start;
        None
    }

    fn param_value(&mut self) -> String {
        self.skip_whitespace();
        match self.peek() {
            Some(b'"') => self.quoted_string(),
            Some(b'\'') => self.single_quoted(),
            _ => self
                .take_while(|byte| byte != b',' && !byte.is_ascii_whitespace())
                .to_string(),
        }
    }

    /// A quoted-string with `\` escapes; an unterminated one runs to the end of the header.
    fn quoted_string(&mut self) -> String {
        self.pos += 1;
        let mut value = Vec::new();
        while let Some(byte) = self.peek() {
            self.pos += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    if let Some(escaped) = self.peek() {
                        value.push(escaped);
                        self.pos += 1;
                    }
                }
                _ => value.push(byte),
            }
        }
        // Only ASCII backslashes are removed, so the bytes stay valid UTF-8; lossy is a backstop.
        String::from_utf8_lossy(&value).into_owned()
    }

    /// Single quotes are not HTTP syntax, but servers send them (A1). The quotes are kept here,
    /// since `'` is a legal token character; `bearer_challenge` strips them. Reading up to the
    /// closing quote keeps a quoted value with spaces in one piece.
    fn single_quoted(&mut self) -> String {
        let start = self.pos;
        self.pos += 1;
        let closing = self.bytes[self.pos..]
            .iter()
            .position(|&byte| byte == b'\'' || byte == b',');
        match closing {
            Some(offset) if self.bytes[self.pos + offset] == b'\'' => {
                self.pos += offset + 1;
            }
            _ => {
                self.take_while(|byte| byte != b',' && !byte.is_ascii_whitespace());
            }
        }
        self.text[start..self.pos].to_string()
    }

    /// A value must be followed by whitespace, a comma or the end. Glued junk (`"x"junk`) is
    /// skipped to the next comma instead of being mistaken for a new scheme.
    fn after_value(&mut self) {
        match self.peek() {
            None | Some(b',') => {}
            Some(byte) if byte.is_ascii_whitespace() => {}
            Some(_) => self.skip_junk(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    fn challenge(scheme: &str, pairs: &[(&str, &str)]) -> Challenge {
        Challenge {
            scheme: scheme.to_string(),
            params: params(pairs),
            token68: None,
        }
    }

    #[test]
    fn rfc9110_example() {
        let parsed = parse_challenges([
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#,
        ]);
        assert_eq!(
            parsed,
            vec![
                challenge(
                    "Newauth",
                    &[
                        ("realm", "apps"),
                        ("type", "1"),
                        ("title", r#"Login to "apps""#)
                    ]
                ),
                challenge("Basic", &[("realm", "simple")]),
            ]
        );
    }

    #[test]
    fn conformance_form() {
        let header = r#"Bearer error="invalid_token", error_description="Missing Authorization header", resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/mcp""#;
        let bearer = bearer_challenge([header]).unwrap();
        assert_eq!(
            bearer,
            BearerChallenge {
                resource_metadata: vec![
                    "http://localhost:3000/.well-known/oauth-protected-resource/mcp".into()
                ],
                scope: None,
                error: Some("invalid_token".into()),
                error_description: Some("Missing Authorization header".into()),
            }
        );
    }

    #[test]
    fn scope_with_spaces() {
        let bearer = bearer_challenge([
            r#"Bearer error="insufficient_scope", scope="mcp:basic mcp:write", resource_metadata="http://x/prm""#,
        ])
        .unwrap();
        assert_eq!(bearer.scope.as_deref(), Some("mcp:basic mcp:write"));
        assert_eq!(bearer.error.as_deref(), Some("insufficient_scope"));
    }

    #[test]
    fn duplicate_resource_metadata_kept_in_order_and_deduplicated() {
        let bearer = bearer_challenge([
            r#"Bearer resource_metadata="https://a/prm", resource_metadata="https://b/prm", resource_metadata="https://a/prm""#,
        ])
        .unwrap();
        assert_eq!(
            bearer.resource_metadata,
            vec!["https://a/prm", "https://b/prm"]
        );
    }

    #[test]
    fn bearer_in_several_headers_and_challenges_is_merged() {
        let bearer = bearer_challenge([
            r#"Basic realm="x", bearer resource_metadata="https://a/prm""#,
            r#"BEARER scope="s1", resource_metadata="https://b/prm", error="invalid_token""#,
            r#"Bearer scope="s2""#,
        ])
        .unwrap();
        assert_eq!(
            bearer.resource_metadata,
            vec!["https://a/prm", "https://b/prm"]
        );
        assert_eq!(bearer.scope.as_deref(), Some("s1"));
        assert_eq!(bearer.error.as_deref(), Some("invalid_token"));
    }

    #[test]
    fn no_bearer_gives_none() {
        assert_eq!(bearer_challenge([r#"Basic realm="x""#]), None);
        assert_eq!(bearer_challenge([]), None);
        assert_eq!(bearer_challenge([""]), None);
    }

    #[test]
    fn bare_bearer_is_some_and_empty() {
        assert_eq!(
            bearer_challenge(["Bearer"]),
            Some(BearerChallenge::default())
        );
    }

    #[test]
    fn escapes_and_case_insensitive_names() {
        let parsed = parse_challenges([r#"Bearer Realm="a\\b\"c\d", ERROR=invalid_token"#]);
        assert_eq!(
            parsed,
            vec![challenge(
                "Bearer",
                &[("realm", r#"a\b"cd"#), ("error", "invalid_token")]
            )]
        );
    }

    #[test]
    fn empty_header() {
        assert!(parse_challenges([""]).is_empty());
        assert!(parse_challenges(["  ,  , "]).is_empty());
        assert!(parse_challenges(Vec::<&str>::new()).is_empty());
    }

    #[test]
    fn token68() {
        let parsed = parse_challenges(["Basic dGVzdA==, Negotiate abc , Bearer realm=x"]);
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0].scheme, "Basic");
        assert_eq!(parsed[0].token68.as_deref(), Some("dGVzdA=="));
        assert!(parsed[0].params.is_empty());
        assert_eq!(parsed[1].token68.as_deref(), Some("abc"));
        assert_eq!(parsed[2], challenge("Bearer", &[("realm", "x")]));
    }

    #[test]
    fn no_spaces_after_commas() {
        let parsed = parse_challenges(["Bearer realm=x,error=insufficient_scope"]);
        assert_eq!(
            parsed,
            vec![challenge(
                "Bearer",
                &[("realm", "x"), ("error", "insufficient_scope")]
            )]
        );
    }

    #[test]
    fn whitespace_around_equals() {
        let parsed = parse_challenges([r#"Bearer realm = "x" ,  scope  =a"#]);
        assert_eq!(
            parsed,
            vec![challenge("Bearer", &[("realm", "x"), ("scope", "a")])]
        );
    }

    #[test]
    fn scheme_without_params_then_another() {
        let parsed = parse_challenges([r#"Negotiate, Bearer scope="a""#]);
        assert_eq!(
            parsed,
            vec![
                challenge("Negotiate", &[]),
                challenge("Bearer", &[("scope", "a")])
            ]
        );
    }

    #[test]
    fn single_quotes_are_stripped_for_bearer() {
        let bearer = bearer_challenge([
            "Bearer resource_metadata='https://x/.well-known/oauth-protected-resource', scope='a b'",
        ])
        .unwrap();
        assert_eq!(
            bearer.resource_metadata,
            vec!["https://x/.well-known/oauth-protected-resource"]
        );
        assert_eq!(bearer.scope.as_deref(), Some("a b"));
    }

    #[test]
    fn spaces_inside_quoted_resource_metadata_are_trimmed() {
        let bearer = bearer_challenge([r#"Bearer resource_metadata=" https://x/prm ""#]).unwrap();
        assert_eq!(bearer.resource_metadata, vec!["https://x/prm"]);
    }

    #[test]
    fn missing_commas_are_tolerated() {
        let parsed = parse_challenges([r#"Bearer error="e" scope="s" Basic realm="r""#]);
        assert_eq!(
            parsed,
            vec![
                challenge("Bearer", &[("error", "e"), ("scope", "s")]),
                challenge("Basic", &[("realm", "r")]),
            ]
        );
    }

    #[test]
    fn junk_is_skipped_to_the_next_comma() {
        let parsed = parse_challenges([
            r#"Bearer error="e"glued, =x, "stray, quote", ;;, scope="s", resource_metadata="https://x/prm""#,
        ]);
        assert_eq!(
            parsed,
            vec![challenge(
                "Bearer",
                &[
                    ("error", "e"),
                    ("scope", "s"),
                    ("resource_metadata", "https://x/prm")
                ]
            )]
        );
    }

    #[test]
    fn params_before_any_scheme_are_dropped() {
        let parsed = parse_challenges([r#"realm="x", Bearer scope="s""#]);
        assert_eq!(parsed, vec![challenge("Bearer", &[("scope", "s")])]);
    }

    #[test]
    fn unterminated_quote_runs_to_end() {
        let parsed = parse_challenges([r#"Bearer scope="a b"#]);
        assert_eq!(parsed, vec![challenge("Bearer", &[("scope", "a b")])]);
    }

    #[test]
    fn non_ascii_garbage() {
        let parsed = parse_challenges(["Bearer é=ü, scope=\"ä\\ö\", \u{1F600} résumé"]);
        assert_eq!(parsed[0].scheme, "Bearer");
        assert!(parsed[0]
            .params
            .contains(&("scope".to_string(), "äö".to_string())));
    }

    /// xorshift64*: deterministic, no dependency, good enough to shake the parser.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    #[test]
    fn random_and_truncated_inputs_never_panic() {
        let seeds = [
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#,
            r#"Bearer error="invalid_token", error_description="Missing \"x\"", resource_metadata='http://h/p'"#,
            "Basic dGVzdA==, Bearer realm=x,error=insufficient_scope",
            "Bearer résumé=\"é\\",
        ];
        for seed in seeds {
            for (end, _) in seed.char_indices() {
                parse_challenges([&seed[..end]]);
                bearer_challenge([&seed[end..]]);
            }
        }

        let alphabet: &[u8] = b"Bearer Basic scope= ,,\"\\'=a/+.~\t\r\n;:\xff\x00";
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..5000 {
            let len = (rng.next() % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.next().is_multiple_of(4) {
                        rng.next() as u8
                    } else {
                        alphabet[(rng.next() % alphabet.len() as u64) as usize]
                    }
                })
                .collect();
            let text = String::from_utf8_lossy(&bytes);
            parse_challenges([text.as_ref(), "Bearer"]);
            bearer_challenge([text.as_ref()]);
        }
    }
}
