//! Placeholder until the feed conformance runner lands.

use std::path::Path;

pub fn run(_cases: &Path, _out: &Path) -> anyhow::Result<String> {
    anyhow::bail!("eval feeds is not implemented yet")
}
