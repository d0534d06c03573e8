//! `tidings summaries …`: the operator's handle on machine-written summaries (`[llm]`).

use chrono::{TimeDelta, Utc};
use tidings_core::Config;
use tidings_ingest::machine_summaries::{queue_published_since, retry_failed};

use crate::cli::SummariesCommand;

pub(crate) async fn run(config: &Config, command: SummariesCommand) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    let now = Utc::now();
    match command {
        SummariesCommand::Failures { limit } => {
            let failures = store.machine_summaries().machine_summary_failures(limit).await?;
            if failures.is_empty() {
                println!("(no failed machine-written summaries)");
            }
            for f in failures {
                let next = f.next_attempt_at.map_or("gave up".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string());
                println!("article {} ({}): {} attempts, next: {next}", f.article_id, f.title, f.attempts);
                println!("  {}  {}", f.failed_at.format("%Y-%m-%d %H:%M UTC"), f.error);
            }
        }
        SummariesCommand::Retry => {
            let queued = retry_failed(store.as_ref(), now).await?;
            println!("queued {queued} failed articles again");
        }
        SummariesCommand::Queue { days } => {
            let since = now - TimeDelta::days(i64::from(days));
            let queued = queue_published_since(store.as_ref(), since, now).await?;
            println!("queued {queued} articles published since {}", since.format("%Y-%m-%d %H:%M UTC"));
        }
    }
    if !config.llm.enabled {
        println!("note: [llm] enabled is false, so nothing writes these summaries until it is switched on");
    }
    Ok(())
}
