//! Scope selection (A18, A19, A32, A34). Scopes travel as space-separated strings; internally they
//! are ordered, deduplicated lists so the request stays stable and readable.

const OFFLINE_ACCESS: &str = "offline_access";

/// The scope tokens of `scopes`, first occurrence kept.
fn tokens<'s>(scopes: impl IntoIterator<Item = &'s str>) -> Vec<&'s str> {
    let mut out: Vec<&str> = Vec::new();
    for token in scopes.into_iter().flat_map(str::split_ascii_whitespace) {
        if !out.contains(&token) {
            out.push(token);
        }
    }
    out
}

fn joined(tokens: Vec<&str>) -> Option<String> {
    (!tokens.is_empty()).then(|| tokens.join(" "))
}

/// Scope for a first authorization (A18): the challenge's scope (authoritative), else the user's
/// configured scopes, else every PRM `scopes_supported`, else `None` so the request omits `scope`.
/// An empty or blank value counts as absent. The AS `scopes_supported` is deliberately not a
/// fallback: the spec does not ask for it.
pub(crate) fn initial_scope(
    challenge_scope: Option<&str>,
    prm_scopes_supported: Option<&[String]>,
    configured: Option<&str>,
) -> Option<String> {
    challenge_scope
        .and_then(|scope| joined(tokens([scope])))
        .or_else(|| configured.and_then(|scope| joined(tokens([scope]))))
        .or_else(|| {
            prm_scopes_supported.and_then(|list| joined(tokens(list.iter().map(String::as_str))))
        })
}

/// `a`'s scopes, then those of `b` not already present (A34 step-up union).
pub(crate) fn union(a: &str, b: &str) -> String {
    tokens([a, b]).join(" ")
}

/// Adds `offline_access` only when the AS metadata lists it (A19). A `None` scope stays `None`:
/// requesting `offline_access` alone could narrow the grant to nothing but a refresh token where
/// omitting `scope` would have given the AS default.
pub(crate) fn with_offline_access(
    scope: Option<String>,
    as_scopes_supported: Option<&[String]>,
) -> Option<String> {
    let scope = scope.filter(|scope| !scope.trim().is_empty())?;
    let advertised = as_scopes_supported.is_some_and(|list| {
        list.iter().any(|entry| {
            entry
                .split_ascii_whitespace()
                .any(|token| token == OFFLINE_ACCESS)
        })
    });
    if !advertised || tokens([scope.as_str()]).contains(&OFFLINE_ACCESS) {
        return Some(scope);
    }
    Some(union(&scope, OFFLINE_ACCESS))
}

/// True when `wanted` holds every granted scope and at least one more (A32): refresh cannot widen
/// a grant, so only this case needs a new authorization.
pub(crate) fn is_strict_superset(wanted: &str, granted: &str) -> bool {
    let wanted = tokens([wanted]);
    let granted = tokens([granted]);
    granted.iter().all(|scope| wanted.contains(scope)) && wanted.len() > granted.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn initial_scope_conformance_cases() {
        let prm = list(&["mcp:basic", "mcp:read", "mcp:write"]);
        // scope-from-www-authenticate: the challenge wins over PRM.
        assert_eq!(
            initial_scope(Some("mcp:basic"), Some(&prm), None).as_deref(),
            Some("mcp:basic")
        );
        // scope-from-scopes-supported: all three.
        assert_eq!(
            initial_scope(None, Some(&prm), None).as_deref(),
            Some("mcp:basic mcp:read mcp:write")
        );
        // scope-omitted-when-undefined.
        assert_eq!(initial_scope(None, None, None), None);
    }

    #[test]
    fn initial_scope_priorities_and_empties() {
        let prm = list(&["a", "b"]);
        assert_eq!(
            initial_scope(Some("c"), Some(&prm), Some("user")).as_deref(),
            Some("c")
        );
        assert_eq!(
            initial_scope(None, Some(&prm), Some("user  other user")).as_deref(),
            Some("user other")
        );
        assert_eq!(
            initial_scope(Some(""), Some(&prm), Some("  ")).as_deref(),
            Some("a b")
        );
        assert_eq!(initial_scope(Some(" "), Some(&[]), Some("")), None);
        assert_eq!(
            initial_scope(None, Some(&list(&["", "a", "a"])), None).as_deref(),
            Some("a")
        );
        assert_eq!(
            initial_scope(Some("  x   y x "), None, None).as_deref(),
            Some("x y")
        );
    }

    #[test]
    fn union_keeps_order_and_deduplicates() {
        assert_eq!(
            union("mcp:basic", "mcp:basic mcp:write"),
            "mcp:basic mcp:write"
        );
        assert_eq!(union("b a", "c a d"), "b a c d");
        assert_eq!(union("", "x"), "x");
        assert_eq!(union("x", ""), "x");
        assert_eq!(union("", ""), "");
    }

    #[test]
    fn offline_access_only_when_the_as_lists_it() {
        let with = list(&["mcp:basic", "offline_access"]);
        let without = list(&["mcp:basic"]);
        assert_eq!(
            with_offline_access(Some("mcp:basic".into()), Some(&with)).as_deref(),
            Some("mcp:basic offline_access")
        );
        assert_eq!(
            with_offline_access(Some("mcp:basic".into()), Some(&without)).as_deref(),
            Some("mcp:basic")
        );
        assert_eq!(
            with_offline_access(Some("mcp:basic".into()), None).as_deref(),
            Some("mcp:basic")
        );
        assert_eq!(
            with_offline_access(Some("offline_access mcp:basic".into()), Some(&with)).as_deref(),
            Some("offline_access mcp:basic")
        );
        assert_eq!(with_offline_access(None, Some(&with)), None);
        assert_eq!(with_offline_access(Some(" ".into()), Some(&with)), None);
        // Near-misses in the AS list do not count.
        let near = list(&["offline", "Offline_Access", "offline_access:x"]);
        assert_eq!(
            with_offline_access(Some("a".into()), Some(&near)).as_deref(),
            Some("a")
        );
    }

    #[test]
    fn strict_superset() {
        assert!(is_strict_superset("mcp:basic mcp:write", "mcp:basic"));
        assert!(is_strict_superset("mcp:write mcp:basic", "mcp:basic"));
        assert!(is_strict_superset("a", ""));
        assert!(!is_strict_superset("mcp:basic", "mcp:basic"));
        assert!(!is_strict_superset("b a", "a b"));
        assert!(!is_strict_superset("a a", "a"));
        assert!(!is_strict_superset("a", "a b"));
        assert!(!is_strict_superset("a c", "a b"));
        assert!(!is_strict_superset("", ""));
    }
}
