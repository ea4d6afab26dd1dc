//! The Python objects authorization needs: the `on_authorize` callable and an application's
//! token store, as the binding kit's text-only hooks. Both run on the blocking pool (they may
//! open a browser, wait or do I/O), never on a runtime worker, each behind the interpreter
//! gate. The Python layer passes adapters with fixed shapes (see `mcpstream/_auth.py`).

use crate::gate;
use mcpstream::auth::AuthorizeHandler;
use mcpstream_binding_kit::{AuthHooks, StoreCall, StoreHook};
use pyo3::prelude::*;
use std::sync::Arc;

/// Runs `call` with the GIL on a blocking thread; errors as text.
async fn in_python<T: Send + 'static>(
    call: impl FnOnce(Python<'_>) -> PyResult<T> + Send + 'static,
) -> Result<T, String> {
    let called = tokio::task::spawn_blocking(move || gate::with_python(call)).await;
    match called {
        Ok(Some(Ok(value))) => Ok(value),
        Ok(Some(Err(e))) => Err(e.to_string()),
        Ok(None) => Err("the Python interpreter is shutting down".into()),
        Err(_) => Err("the callback's thread failed".into()),
    }
}

/// `on_authorize(url) -> str | None` (the adapter returns the redirect URL or `None`).
fn authorize_handler(callable: Py<PyAny>) -> AuthorizeHandler {
    let callable = Arc::new(callable);
    Arc::new(move |url: String| {
        let callable = callable.clone();
        Box::pin(in_python(move |py| {
            callable.bind(py).call1((url,))?.extract()
        }))
    })
}

/// The adapter's `load(key) -> str | None`, `save(key, text)` and `delete(key)`.
fn store_hook(store: Py<PyAny>) -> StoreHook {
    let store = Arc::new(store);
    Arc::new(move |call: StoreCall| {
        let store = store.clone();
        Box::pin(in_python(move |py| {
            let store = store.bind(py);
            match call {
                StoreCall::Load { key } => store.call_method1("load", (key,))?.extract(),
                StoreCall::Save { key, value } => {
                    store.call_method1("save", (key, value))?;
                    Ok(None)
                }
                StoreCall::Delete { key } => {
                    store.call_method1("delete", (key,))?;
                    Ok(None)
                }
            }
        }))
    })
}

pub fn hooks(on_authorize: Option<Py<PyAny>>, token_store: Option<Py<PyAny>>) -> AuthHooks {
    AuthHooks {
        on_authorize: on_authorize.map(authorize_handler),
        store: token_store.map(store_hook),
    }
}
