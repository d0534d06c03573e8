//! Prints what the extractor finds in one page (debugging aid): `inspect FILE[.gz]`.
use std::io::Read;

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_default();
    let raw = std::fs::read(&path)?;
    let bytes = if path.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
        out
    } else {
        raw
    };
    let a = tidings_extract::extract(&bytes, &tidings_extract::ExtractOptions::default())?;
    println!("{}", serde_json::to_string_pretty(&a)?);
    Ok(())
}
