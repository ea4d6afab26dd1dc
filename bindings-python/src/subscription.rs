//! `NativeSubscription`: an open `subscriptions/listen`, waited on like any call (GIL
//! released, Ctrl-C between slices) or awaited on the event loop. A wait that is interrupted
//! or cancelled leaves the subscription open; only `close()` (or dropping it) ends it. In a
//! child forked after `listen` it ends at once (`SharedSubscription`): it is the parent's.

use crate::{bridge, errors, wait};
use mcpstream::SubscriptionEvent;
use mcpstream_binding_kit::operation::seconds;
use mcpstream_binding_kit::{event_json, SharedSubscription};
use pyo3::prelude::*;
use std::sync::Arc;

#[pyclass(frozen, module = "mcpstream._native")]
pub struct NativeSubscription {
    inner: Arc<SharedSubscription>,
}

impl NativeSubscription {
    pub fn new(inner: Arc<SharedSubscription>) -> Self {
        Self { inner }
    }
}

/// An event as `(json_text, error)`: the error (an `MCPError`) only on a failed ending.
type RawEvent = (String, Option<Py<PyAny>>);

fn raw_event(py: Python<'_>, event: SubscriptionEvent) -> RawEvent {
    let (value, error) = event_json(event);
    let error = error.map(|facts| errors::from_facts(py, facts).into_value(py).into_any());
    (value.to_string(), error)
}

#[pymethods]
impl NativeSubscription {
    /// The filter the server honours, as JSON text.
    #[getter]
    fn acknowledged(&self) -> String {
        self.inner.acknowledged().to_string()
    }

    /// The next event, waiting at most `timeout` seconds (`None`: as long as it takes); `None`
    /// when none came in time, after the `ended` event, or once closed.
    #[pyo3(signature = (timeout=None))]
    fn next(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<RawEvent>> {
        let limit = seconds("timeout", timeout).map_err(|e| errors::to_py(py, e))?;
        let inner = self.inner.clone();
        let work = async move { Ok(inner.next_event(limit).await) };
        let event = wait::block_on(py, work, wait::Inbox::new(), None)?;
        Ok(event.map(|event| raw_event(py, event)))
    }

    /// `next` as an asyncio awaitable; cancelling it leaves the subscription open.
    #[pyo3(signature = (timeout=None))]
    fn next_async<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limit = seconds("timeout", timeout).map_err(|e| errors::to_py(py, e))?;
        let inner = self.inner.clone();
        let work = async move { Ok(inner.next_event(limit).await) };
        bridge::to_asyncio_with(py, work, |py, event| {
            event
                .map(|event| raw_event(py, event))
                .into_pyobject(py)
                .map(|value| value.into_any().unbind())
        })
    }

    /// Closes the stream, which ends the subscription; a wait in progress returns `None`.
    fn close(&self) {
        self.inner.close();
    }
}
