//! The blocking client stays method-for-method with the async one: every public method of
//! `Client` (client.rs and the feature files with an `impl Client` block) has a public method of the same name on `blocking::Client`, and the
//! blocking client has nothing the async one lacks. Read off the sources, so a method added
//! to one side and forgotten on the other fails here rather than in a user's hands.

use std::collections::BTreeSet;

/// Methods that only make sense on one side.
const ASYNC_ONLY: &[&str] = &["open_event_stream"];
const BLOCKING_ONLY: &[&str] = &["as_async"];

/// Names of `pub fn` / `pub async fn` inside the first `impl <ty> {` block of `source`.
fn public_methods(source: &str, impl_line: &str) -> BTreeSet<String> {
    let start = source
        .find(impl_line)
        .unwrap_or_else(|| panic!("no `{impl_line}` block"));
    let mut depth = 0i32;
    let mut names = BTreeSet::new();
    for line in source[start..].lines() {
        let trimmed = line.trim_start();
        if depth == 1 {
            let rest = trimmed
                .strip_prefix("pub async fn ")
                .or_else(|| trimmed.strip_prefix("pub fn "));
            if let Some(rest) = rest {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.insert(name);
            }
        }
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        if depth == 0 && !names.is_empty() {
            break;
        }
    }
    names
}

#[test]
fn the_blocking_client_mirrors_the_async_one() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/");
    let read = |f: &str| std::fs::read_to_string(format!("{dir}{f}")).unwrap();
    // The async client's methods live in client.rs and in the files of its features.
    let mut async_side = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if !entry.file_type().unwrap().is_file() {
            continue; // modules of their own (auth/) add no client methods
        }
        let name = entry.file_name().into_string().unwrap();
        let source = read(&name);
        if name != "blocking.rs" && source.contains("\nimpl Client {") {
            async_side.extend(public_methods(&source, "\nimpl Client {"));
        }
    }
    async_side.retain(|m| !ASYNC_ONLY.contains(&m.as_str()));
    let blocking_side: BTreeSet<String> = public_methods(&read("blocking.rs"), "impl Client {")
        .into_iter()
        .filter(|m| !BLOCKING_ONLY.contains(&m.as_str()))
        .collect();
    assert!(
        async_side.len() > 15,
        "the parser found too few methods: {async_side:?}"
    );
    let missing: Vec<_> = async_side.difference(&blocking_side).collect();
    let extra: Vec<_> = blocking_side.difference(&async_side).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "blocking::Client lacks {missing:?}; has {extra:?} that Client lacks"
    );
}

#[test]
fn the_parser_sees_nested_blocks_and_both_kinds_of_fn() {
    let src = "impl Client {\n    pub fn a(&self) {\n        if x { }\n    }\n    pub async fn b(&self) {}\n    fn private(&self) {}\n}\nimpl Other {\n    pub fn c() {}\n}\n";
    let names: Vec<_> = public_methods(src, "impl Client {").into_iter().collect();
    assert_eq!(names, ["a", "b"]);
}
