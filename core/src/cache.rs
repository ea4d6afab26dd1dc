//! E22: results a modern server says may be reused. A result is kept while
//! `now < received + ttlMs`; a missing or non-positive `ttlMs` means not at all, and a missing
//! `cacheScope` is not a reason to reject anything (servers omit both). The cache belongs to
//! one client, whose headers (and so credentials) never change, so `private` and `public`
//! results need no separate partitions. `list_changed` and `resources/updated` notifications
//! drop what they make stale at once.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub(crate) struct ResultCache {
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug)]
struct Entry {
    fresh_until: Instant,
    result: Value,
}

/// The cache key of a request whose result may be cached: the method and the params that
/// change the result (each page and each resource on its own).
pub(crate) fn key(method: &str, params: Option<&Value>) -> Option<String> {
    let part = |name: &str| {
        params
            .and_then(|p| p.get(name))
            .map_or_else(|| "null".to_owned(), Value::to_string)
    };
    match method {
        "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list" => {
            Some(format!("{method} {}", part("cursor")))
        }
        "resources/read" => Some(format!("{method} {}", part("uri"))),
        "server/discover" => Some(method.to_owned()),
        _ => None,
    }
}

impl ResultCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        let mut entries = self.lock();
        let entry = entries.get(key)?;
        if Instant::now() < entry.fresh_until {
            return Some(entry.result.clone());
        }
        entries.remove(key);
        None
    }

    /// Keeps `result` for its `ttlMs`, if it gave a positive one.
    pub fn put(&self, key: String, result: &Value) {
        let Some(ttl) = result
            .get("ttlMs")
            .and_then(Value::as_u64)
            .filter(|t| *t > 0)
        else {
            return;
        };
        let fresh_until = Instant::now() + Duration::from_millis(ttl);
        self.lock().insert(
            key,
            Entry {
                fresh_until,
                result: result.clone(),
            },
        );
    }

    /// Drops what a server notification says has changed.
    pub fn invalidate(&self, notification: &str, params: Option<&Value>) {
        let stale: &[&str] = match notification {
            "notifications/tools/list_changed" => &["tools/list "],
            "notifications/prompts/list_changed" => &["prompts/list "],
            "notifications/resources/list_changed" => {
                &["resources/list ", "resources/templates/list "]
            }
            "notifications/resources/updated" => {
                if let Some(k) = key("resources/read", params) {
                    self.lock().remove(&k);
                }
                return;
            }
            _ => return,
        };
        self.lock()
            .retain(|k, _| !stale.iter().any(|prefix| k.starts_with(prefix)));
    }

    /// Drops every page of a list (a server refused one of its cursors).
    pub fn forget_method(&self, method: &str) {
        let prefix = format!("{method} ");
        self.lock().retain(|k, _| !k.starts_with(&prefix));
    }

    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_are_kept_for_their_ttl_only() {
        let cache = ResultCache::default();
        let k = key("tools/list", None).unwrap();
        cache.put(k.clone(), &json!({"tools": [], "ttlMs": 60_000}));
        assert!(cache.get(&k).is_some());
        for hint in [json!({}), json!({"ttlMs": 0}), json!({"ttlMs": -5})] {
            let k = key("prompts/list", None).unwrap();
            cache.put(k.clone(), &hint);
            assert!(cache.get(&k).is_none(), "{hint}");
        }
        let short = key("resources/list", None).unwrap();
        cache.put(short.clone(), &json!({"ttlMs": 1}));
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get(&short).is_none());
    }

    #[test]
    fn keys_separate_pages_and_resources_and_skip_other_methods() {
        assert_ne!(
            key("tools/list", None),
            key("tools/list", Some(&json!({"cursor": "2"})))
        );
        assert_ne!(
            key("resources/read", Some(&json!({"uri": "a"}))),
            key("resources/read", Some(&json!({"uri": "b"})))
        );
        assert!(key("tools/call", None).is_none());
    }

    #[test]
    fn notifications_drop_what_they_make_stale() {
        let cache = ResultCache::default();
        let fresh = json!({"ttlMs": 60_000});
        let tools_page2 = key("tools/list", Some(&json!({"cursor": "2"}))).unwrap();
        let prompts = key("prompts/list", None).unwrap();
        let read_a = key("resources/read", Some(&json!({"uri": "a"}))).unwrap();
        let read_b = key("resources/read", Some(&json!({"uri": "b"}))).unwrap();
        for k in [&tools_page2, &prompts, &read_a, &read_b] {
            cache.put(k.clone(), &fresh);
        }
        cache.invalidate("notifications/tools/list_changed", None);
        assert!(cache.get(&tools_page2).is_none());
        assert!(cache.get(&prompts).is_some());
        cache.invalidate(
            "notifications/resources/updated",
            Some(&json!({"uri": "a"})),
        );
        assert!(cache.get(&read_a).is_none());
        assert!(cache.get(&read_b).is_some());
    }
}
