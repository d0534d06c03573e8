//! Stub.
#![deny(missing_docs)]
