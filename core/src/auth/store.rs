//! Where authorization state lives between calls and processes (A27, A31): the [`TokenStore`]
//! trait and two built-ins, [`MemoryTokenStore`] and [`FileTokenStore`].

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::{BoxFuture, FutureExt};
use serde_json::{Map, Value};

/// What every [`TokenStore`] method returns. `'static` so bindings can hand it to any executor;
/// the error is a message for the user.
pub type StoreFuture<T> = BoxFuture<'static, Result<T, String>>;

/// Where authorization state (client registration, tokens) is kept between calls and processes.
///
/// Values are JSON objects the core writes and reads back; keys are opaque strings the core builds
/// (e.g. `"<resource>|<issuer>"`). Implementations must be safe to call concurrently.
pub trait TokenStore: Send + Sync + 'static {
    /// The value saved under `key`, or `None` if there is none.
    fn load(&self, key: &str) -> StoreFuture<Option<Value>>;
    /// Replaces whatever is stored under `key`.
    fn save(&self, key: &str, value: &Value) -> StoreFuture<()>;
    /// Removes `key`; removing a missing key is not an error.
    fn delete(&self, key: &str) -> StoreFuture<()>;
}

/// A process-local store: state is lost when the process exits. Clones share the same entries.
#[derive(Clone, Default)]
pub struct MemoryTokenStore {
    entries: Arc<Mutex<HashMap<String, Value>>>,
}

impl MemoryTokenStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Value>> {
        // Every critical section is a single map operation, so a panic elsewhere cannot leave
        // the map half-updated; keep serving rather than poisoning every later call.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryTokenStore {
    // Values hold tokens, so only the number of entries is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTokenStore")
            .field("entries", &self.entries().len())
            .finish()
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, key: &str) -> StoreFuture<Option<Value>> {
        let (store, key) = (self.clone(), key.to_string());
        async move { Ok(store.entries().get(&key).cloned()) }.boxed()
    }

    fn save(&self, key: &str, value: &Value) -> StoreFuture<()> {
        let (store, key, value) = (self.clone(), key.to_string(), value.clone());
        async move {
            store.entries().insert(key, value);
            Ok(())
        }
        .boxed()
    }

    fn delete(&self, key: &str) -> StoreFuture<()> {
        let (store, key) = (self.clone(), key.to_string());
        async move {
            store.entries().remove(&key);
            Ok(())
        }
        .boxed()
    }
}

/// A JSON file holding one object `{key: value}`, shared safely between processes.
///
/// The file is mode 0600 and a directory it has to create is 0700 (unix). Writes go to a temporary
/// file that is fsynced and renamed over the old one, so a reader never sees a half-written file.
/// Each save or delete holds an exclusive advisory lock on `<file>.lock` for its whole
/// read-modify-write, so processes saving different keys keep each other's entries. A file that
/// is not a JSON object is reported, never overwritten: it may hold other clients' credentials.
#[derive(Clone)]
pub struct FileTokenStore {
    path: Arc<PathBuf>,
}

impl FileTokenStore {
    /// A store at `path`; a leading `~/` stands for the home directory. Nothing is touched on disk
    /// until the first save.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: Arc::new(expand_home(path.into())),
        }
    }

    /// The file, with `~/` already expanded.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn run<T, F>(&self, operation: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&Path) -> Result<T, String> + Send + 'static,
    {
        let path = Arc::clone(&self.path);
        async move {
            if path.starts_with("~") {
                return Err(format!(
                    "token store {}: cannot expand `~`, the home directory is not set",
                    path.display()
                ));
            }
            tokio::task::spawn_blocking(move || operation(&path))
                .await
                .map_err(|e| format!("token store task failed: {e}"))?
        }
        .boxed()
    }
}

impl fmt::Debug for FileTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileTokenStore")
            .field("path", &self.path)
            .finish()
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self, key: &str) -> StoreFuture<Option<Value>> {
        let key = key.to_string();
        self.run(move |path| Ok(load_entries(path)?.remove(&key)))
    }

    fn save(&self, key: &str, value: &Value) -> StoreFuture<()> {
        let key = key.to_string();
        let value = value.clone();
        self.run(move |path| {
            create_parent_dir(path)?;
            let _lock = lock_exclusive(path)?;
            let mut entries = read_entries(path)?;
            entries.insert(key, value);
            write_entries(path, &entries)
        })
    }

    fn delete(&self, key: &str) -> StoreFuture<()> {
        let key = key.to_string();
        self.run(move |path| {
            if !parent_exists(path) {
                return Ok(());
            }
            let _lock = lock_exclusive(path)?;
            let mut entries = read_entries(path)?;
            if entries.remove(&key).is_none() {
                return Ok(());
            }
            write_entries(path, &entries)
        })
    }
}

fn expand_home(path: PathBuf) -> PathBuf {
    let Ok(rest) = path.strip_prefix("~") else {
        return path;
    };
    // `strip_prefix` also matches a bare `~`; only `~/…` is promised.
    if rest.as_os_str().is_empty() {
        return path;
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var_os("USERPROFILE").filter(|h| !h.is_empty()));
    match home {
        Some(home) => PathBuf::from(home).join(rest),
        None => path,
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn parent_exists(path: &Path) -> bool {
    parent_dir(path).is_dir()
}

fn io_error(path: &Path, doing: &str, error: io::Error) -> String {
    format!("token store {}: cannot {doing}: {error}", path.display())
}

fn create_parent_dir(path: &Path) -> Result<(), String> {
    let dir = parent_dir(path);
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| io_error(dir, "create the directory", e))
}

fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn open_lock_file(path: &Path) -> Result<File, String> {
    let lock = lock_path(path);
    // Read and write access: Windows refuses to lock a handle that has neither.
    private_file_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .map_err(|e| io_error(&lock, "open the lock file", e))
}

/// Held until dropped; closing the file releases the lock.
fn lock_exclusive(path: &Path) -> Result<File, String> {
    let file = open_lock_file(path)?;
    file.lock()
        .map_err(|e| io_error(&lock_path(path), "lock", e))?;
    Ok(file)
}

fn load_entries(path: &Path) -> Result<Map<String, Value>, String> {
    if !parent_exists(path) {
        return Ok(Map::new());
    }
    // The shared lock only keeps a load from running in the middle of another process's save.
    // Writes are atomic renames, so where the lock file cannot be created (a read-only
    // directory) reading without it still sees a whole file.
    let _lock = match open_lock_file(path) {
        Ok(file) => {
            file.lock_shared()
                .map_err(|e| io_error(&lock_path(path), "lock", e))?;
            Some(file)
        }
        Err(_) if !path.exists() => return Ok(Map::new()),
        Err(message) if !lock_path(path).exists() => {
            log::debug!("{message}; reading without the lock");
            None
        }
        Err(message) => return Err(message),
    };
    read_entries(path)
}

fn read_entries(path: &Path) -> Result<Map<String, Value>, String> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(e) => return Err(io_error(path, "read", e)),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    // serde_json's syntax errors give only a position, never the text around it, so the
    // message cannot leak a token.
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(entries)) => Ok(entries),
        Ok(_) => Err(format!(
            "token store {} does not hold a JSON object; fix or remove the file \
             (it was left untouched)",
            path.display()
        )),
        Err(e) => Err(format!(
            "token store {} is not valid JSON ({e}); fix or remove the file \
             (it was left untouched)",
            path.display()
        )),
    }
}

/// Distinguishes temporary files of concurrent writers in one process; the pid covers processes.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn create_temp_file(path: &Path) -> Result<(File, PathBuf), String> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tokens".to_string());
    loop {
        let temp = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        match private_file_options()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => return Ok((file, temp)),
            // Left behind by a crashed process that had the same pid: pick the next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error(&temp, "create a temporary file", e)),
        }
    }
}

fn write_entries(path: &Path, entries: &Map<String, Value>) -> Result<(), String> {
    let mut bytes = serde_json::to_vec_pretty(entries)
        .map_err(|_| format!("token store {}: cannot serialize", path.display()))?;
    bytes.push(b'\n');
    let (mut file, temp) = create_temp_file(path)?;
    let written = file
        .write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(&temp, "write", e))
        .and_then(|()| {
            drop(file);
            fs::rename(&temp, path).map_err(|e| io_error(path, "replace", e))
        });
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written?;
    sync_dir(parent_dir(path));
    Ok(())
}

/// Makes the rename itself durable. Best effort: the data is already safe in the file, and some
/// filesystems refuse to sync a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(label: &str) -> Self {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let dir = std::env::temp_dir().join(format!(
                "mcpstream-store-{label}-{}-{nanos}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn entry(n: usize) -> Value {
        json!({"access_token": format!("secret-{n}"), "obtained_at": n})
    }

    #[tokio::test]
    async fn memory_round_trip_and_shared_clones() {
        let store = MemoryTokenStore::new();
        assert_eq!(store.load("k").await.unwrap(), None);
        store.save("k", &entry(1)).await.unwrap();
        let clone = store.clone();
        assert_eq!(clone.load("k").await.unwrap(), Some(entry(1)));
        clone.save("k", &entry(2)).await.unwrap();
        assert_eq!(store.load("k").await.unwrap(), Some(entry(2)));
        store.delete("k").await.unwrap();
        store.delete("k").await.unwrap();
        assert_eq!(clone.load("k").await.unwrap(), None);
    }

    #[tokio::test]
    async fn memory_works_as_trait_object() {
        let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
        store.save("a|b", &entry(3)).await.unwrap();
        assert_eq!(store.load("a|b").await.unwrap(), Some(entry(3)));
    }

    #[tokio::test]
    async fn debug_never_shows_values() {
        let memory = MemoryTokenStore::new();
        memory.save("k", &entry(7)).await.unwrap();
        let text = format!("{memory:?}");
        assert!(!text.contains("secret-7"), "{text}");

        let dir = TempDir::new("debug");
        let file = FileTokenStore::new(dir.0.join("tokens.json"));
        file.save("k", &entry(7)).await.unwrap();
        let text = format!("{file:?}");
        assert!(!text.contains("secret-7"), "{text}");
        assert!(text.contains("tokens.json"), "{text}");
    }

    #[tokio::test]
    async fn file_round_trip_and_persistence() {
        let dir = TempDir::new("roundtrip");
        let path = dir.0.join("nested").join("tokens.json");
        let store = FileTokenStore::new(&path);
        assert_eq!(store.load("k").await.unwrap(), None);
        assert!(!path.exists(), "a load must not create the file");

        store
            .save("https://mcp|https://as", &entry(1))
            .await
            .unwrap();
        store.save("other", &entry(2)).await.unwrap();
        let reopened = FileTokenStore::new(&path);
        assert_eq!(
            reopened.load("https://mcp|https://as").await.unwrap(),
            Some(entry(1))
        );
        assert_eq!(reopened.load("other").await.unwrap(), Some(entry(2)));
        assert_eq!(reopened.load("missing").await.unwrap(), None);

        let on_disk: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(on_disk["other"], entry(2));
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn file_and_created_dir_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new("mode");
        let path = dir.0.join("created").join("tokens.json");
        let store = FileTokenStore::new(&path);
        store.save("k", &entry(1)).await.unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&lock_path(&path)), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);

        // A file created loosely by someone else is replaced by a private one on the next save.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        store.save("k", &entry(2)).await.unwrap();
        assert_eq!(mode(&path), 0o600);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_saves_from_two_stores_keep_every_key() {
        let dir = TempDir::new("concurrent");
        let path = dir.0.join("tokens.json");
        let first = FileTokenStore::new(&path);
        let second = FileTokenStore::new(&path);
        let mut tasks = Vec::new();
        for n in 0..50 {
            for (prefix, store) in [("a", first.clone()), ("b", second.clone())] {
                tasks.push(tokio::spawn(async move {
                    store.save(&format!("{prefix}{n}"), &entry(n)).await
                }));
            }
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let on_disk: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(on_disk.as_object().unwrap().len(), 100);
        for n in 0..50 {
            assert_eq!(first.load(&format!("b{n}")).await.unwrap(), Some(entry(n)));
            assert_eq!(second.load(&format!("a{n}")).await.unwrap(), Some(entry(n)));
        }
    }

    #[tokio::test]
    async fn delete_removes_only_that_key() {
        let dir = TempDir::new("delete");
        let path = dir.0.join("tokens.json");
        let store = FileTokenStore::new(&path);
        store.delete("never-saved").await.unwrap();
        store.save("keep", &entry(1)).await.unwrap();
        store.save("drop", &entry(2)).await.unwrap();
        store.delete("drop").await.unwrap();
        store.delete("drop").await.unwrap();
        assert_eq!(store.load("drop").await.unwrap(), None);
        assert_eq!(store.load("keep").await.unwrap(), Some(entry(1)));

        let missing_dir = FileTokenStore::new(dir.0.join("absent").join("tokens.json"));
        missing_dir.delete("k").await.unwrap();
        assert!(!dir.0.join("absent").exists());
    }

    #[tokio::test]
    async fn corrupt_file_is_reported_and_left_untouched() {
        let dir = TempDir::new("corrupt");
        let path = dir.0.join("tokens.json");
        let store = FileTokenStore::new(&path);
        for corrupt in [&b"{\"k\": {\"access_token\": \"tok-xyz\""[..], b"[1, 2]"] {
            fs::write(&path, corrupt).unwrap();
            let load = store.load("k").await.unwrap_err();
            assert!(load.contains(&path.display().to_string()), "{load}");
            assert!(!load.contains("tok-xyz"), "{load}");
            let save = store.save("new", &entry(1)).await.unwrap_err();
            assert!(save.contains("left untouched"), "{save}");
            let delete = store.delete("k").await.unwrap_err();
            assert!(delete.contains("left untouched"), "{delete}");
            assert_eq!(fs::read(&path).unwrap(), corrupt);
        }
    }

    #[tokio::test]
    async fn empty_file_loads_as_empty() {
        let dir = TempDir::new("empty");
        let path = dir.0.join("tokens.json");
        fs::write(&path, b"").unwrap();
        let store = FileTokenStore::new(&path);
        assert_eq!(store.load("k").await.unwrap(), None);
        store.save("k", &entry(1)).await.unwrap();
        assert_eq!(store.load("k").await.unwrap(), Some(entry(1)));
    }

    #[test]
    fn tilde_expands_to_home() {
        let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) else {
            return;
        };
        let store = FileTokenStore::new("~/.config/app/mcp-auth.json");
        assert_eq!(
            store.path(),
            PathBuf::from(home).join(".config/app/mcp-auth.json")
        );
        assert_eq!(
            FileTokenStore::new("/abs/~/x.json").path(),
            Path::new("/abs/~/x.json")
        );
        assert_eq!(
            FileTokenStore::new("~user/x.json").path(),
            Path::new("~user/x.json")
        );
    }
}
