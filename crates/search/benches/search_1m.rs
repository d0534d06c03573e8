//! Search latency over a large index (written below).
fn main() {}
