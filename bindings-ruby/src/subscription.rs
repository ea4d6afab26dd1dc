//! `MCPStream::NativeSubscription`: an open `subscriptions/listen`, waited on like any call
//! (GVL released, interrupts checked between slices). An interrupted wait leaves the
//! subscription open; only `close` (or the object being collected) ends it. In a child forked
//! after `listen` it ends at once (`SharedSubscription`): it is the parent's.

use crate::{errors, wait};
use magnus::{Error, Ruby, Value};
use mcpstream_binding_kit::operation::seconds;
use mcpstream_binding_kit::{event_json, SharedSubscription};
use std::sync::Arc;

#[magnus::wrap(class = "MCPStream::NativeSubscription", free_immediately, size)]
pub struct NativeSubscription {
    inner: Arc<SharedSubscription>,
}

impl NativeSubscription {
    pub fn new(inner: Arc<SharedSubscription>) -> Self {
        Self { inner }
    }

    /// The filter the server honours, as JSON text.
    pub fn acknowledged(&self) -> String {
        self.inner.acknowledged().to_string()
    }

    /// The next event as `[json_text, error]` (the error, an `MCPStream::Error`, only on a
    /// failed ending), waiting at most `timeout` seconds (nil: as long as it takes); nil when
    /// none came in time, after the ended event, or once closed.
    pub fn next_event(
        ruby: &Ruby,
        rb_self: &Self,
        timeout: Option<f64>,
    ) -> Result<Option<(String, Option<Value>)>, Error> {
        let limit = seconds("timeout", timeout).map_err(|e| errors::to_ruby(ruby, e))?;
        let inner = rb_self.inner.clone();
        let event = wait::block_on(
            ruby,
            move |_| async move { Ok(inner.next_event(limit).await) },
            None,
        )?;
        Ok(event.map(|event| {
            let (value, error) = event_json(event);
            let error = error.and_then(|facts| errors::from_facts(ruby, facts).value());
            (value.to_string(), error)
        }))
    }

    /// Closes the stream, which ends the subscription; a wait in progress returns nil.
    pub fn close(&self) {
        self.inner.close();
    }
}
