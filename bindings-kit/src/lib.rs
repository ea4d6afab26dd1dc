//! What the Python and Ruby bindings share, so that each binding only translates values and
//! bridges its runtime. Everything crossing the boundary is named: operations and options are
//! JSON objects read by serde (unknown names are refused), handler answers are a tagged enum,
//! and errors become classes by one table. Not part of `mcpstream`'s public API: a Rust user
//! sees a client, not binding glue.
//!
//! Adding an operation: a method on `mcpstream::Client`, a variant and its arm in
//! [`operation`], and one method per binding client (see docs/architecture.md).

pub mod answer;
pub mod auth;
pub mod era;
pub mod errors;
pub mod logging;
pub mod operation;
pub mod options;
pub mod subscription;

pub use answer::{handler_result, raised, refused_result};
pub use auth::{AuthHooks, AuthSpec, StoreCall, StoreHook};
pub use era::{verdict_json, SavedVerdict};
pub use errors::{describe, ErrorClass, ErrorFacts, Field};
pub use operation::Operation;
pub use options::BindingOptions;
pub use subscription::{event_json, ListenFilter, SharedSubscription};
