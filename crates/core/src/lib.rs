//! Tidings' shared vocabulary: the domain types that flow through the pipeline, the typed configuration,
//! the error types, the [`Store`] trait that every storage backend implements, and the [`SearchIndex`] trait
//! with the search query language.
//!
//! This crate does no I/O, so every other crate can depend on it without pulling in a runtime.
#![deny(missing_docs)]

pub mod accounts;
pub mod config;
pub mod lean;
pub mod machine_summaries;
pub mod model;
pub mod search;
pub mod skip;
pub mod store;
pub mod text;
pub mod urlnorm;

pub use accounts::AccountStore;
pub use config::{Config, ConfigError};
pub use lean::{Lean, LeanCoverage, Side};
pub use machine_summaries::{MachineSummary, MachineSummaryFailure, MachineSummaryJob, MachineSummaryStore};
pub use model::*;
pub use search::{SearchDoc, SearchError, SearchIndex, SearchQuery};
pub use store::{Store, StoreError, StoreResult};
