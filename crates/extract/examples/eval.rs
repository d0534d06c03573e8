//! Runs the `tidings eval extraction` code until the CLI wires it: `eval DIR OUT.jsonl`.
#[path = "../../tidings/src/eval/extraction.rs"]
mod extraction;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(out)) = (args.get(1), args.get(2)) else {
        anyhow::bail!("usage: eval DIR OUT.jsonl");
    };
    println!("{}", extraction::run(dir.as_ref(), out.as_ref())?);
    Ok(())
}
