//! `tidings stories …`: the operator's view of stories.

use anyhow::Context;
use tidings_core::Config;

use crate::cli::StoriesCommand;

pub(crate) async fn run(config: &Config, command: StoriesCommand) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    match command {
        StoriesCommand::List { limit, min_outlets } => {
            // Reads pages until `limit` stories pass the outlet filter (or none are left).
            let (mut shown, mut cursor) = (0i64, None);
            println!("{:>7}  {:>7}  {:>8}  {:<16}  headline", "id", "outlets", "articles", "updated");
            while shown < limit {
                let page = store.latest_stories(200, cursor).await?;
                let Some(last) = page.last() else { break };
                cursor = Some(tidings_core::StoryCursor { last_updated: last.last_updated, id: last.id });
                for story in page.iter().filter(|s| s.outlet_count >= min_outlets) {
                    if shown == limit {
                        break;
                    }
                    println!(
                        "{:>7}  {:>7}  {:>8}  {:<16}  {}",
                        story.id,
                        story.outlet_count,
                        story.article_count,
                        story.last_updated.format("%Y-%m-%d %H:%M"),
                        story.headline
                    );
                    shown += 1;
                }
                if page.len() < 200 {
                    break;
                }
            }
            if shown == 0 {
                println!("(no stories yet: they form as sources are polled, or run `tidings stories update`)");
            }
        }
        StoriesCommand::Show { id } => {
            let story = store.story(id).await?.with_context(|| format!("there is no story {id}"))?;
            if story.id != id {
                println!("story {id} was merged into story {}", story.id);
            }
            println!("{}", story.headline);
            println!(
                "story {}: {} articles from {} outlets, first seen {}, updated {}",
                story.id,
                story.article_count,
                story.outlet_count,
                story.first_seen.format("%Y-%m-%d %H:%M UTC"),
                story.last_updated.format("%Y-%m-%d %H:%M UTC")
            );
            println!();
            for a in store.story_articles(story.id, 1000).await? {
                let outlet = a.article.source_title.clone().unwrap_or_default();
                let copy = a.original_article_id.map(|o| format!("  [copy of article {o}]")).unwrap_or_default();
                println!(
                    "  {}  {:>7}  {:<24}  {}{copy}",
                    a.article.published_at.format("%Y-%m-%d %H:%M"),
                    a.article.id,
                    outlet,
                    a.article.title
                );
            }
            let related = store.related_stories(story.id, 5).await?;
            if !related.is_empty() {
                println!("\nrelated:");
                for r in related {
                    println!("  {:>7}  {}", r.id, r.headline);
                }
            }
        }
        StoriesCommand::Update => {
            let ingester = crate::ingester(config, store.clone())?;
            let started = std::time::Instant::now();
            let report = ingester.cluster_all_pending().await?;
            println!(
                "{} articles clustered in {:.1}s: {} new stories, {} merges, {} syndicated copies",
                report.articles,
                started.elapsed().as_secs_f64(),
                report.new_stories,
                report.merges,
                report.copies
            );
        }
    }
    Ok(())
}
