//! Tidings' shared vocabulary: the domain types that flow through the pipeline, the typed configuration,
//! the error types, and the [`Store`] trait that every storage backend implements.
//!
//! This crate does no I/O, so every other crate can depend on it without pulling in a runtime.
#![deny(missing_docs)]

pub mod config;
pub mod model;
pub mod store;
pub mod urlnorm;

pub use config::{Config, ConfigError};
pub use model::*;
pub use store::{Store, StoreError, StoreResult};
