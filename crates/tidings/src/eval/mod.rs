//! `tidings eval …`: runs a pipeline stage over a benchmark set and writes predictions for its scorer.

pub mod entities;
pub mod extraction;
pub mod feeds;
pub mod stories;
pub mod summaries;
