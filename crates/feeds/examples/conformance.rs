//! Temporary driver for the conformance runner while the `tidings` binary does not build.
#[path = "../../tidings/src/eval/feeds.rs"]
mod feeds;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let summary = feeds::run(std::path::Path::new(&args[1]), std::path::Path::new(&args[2]))?;
    println!("{summary}");
    Ok(())
}
