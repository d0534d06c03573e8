//! The demo's readers: a few accounts and a conversation under the top stories, so the comments, votes and the
//! moderation queue have something to show. The accounts' passwords are printed when the demo starts; they
//! exist only in the demo's throwaway database.

use anyhow::Context;
use chrono::{TimeDelta, Utc};
use tidings_community::password;
use tidings_core::Store;
use tidings_core::accounts::{CommentStatus, CommentTarget, NewComment, NewUser, Role, UserId};

/// The demo moderator's name and password (printed at start; the browser tests sign in with them).
pub(crate) const MODERATOR: (&str, &str) = ("demo-moderator", "moderate-the-demo-1");
/// Every demo reader's password.
const READER_PASSWORD: &str = "read-the-demo-news-1";
const READERS: [&str; 3] = ["margot", "olu", "kenji"];

/// Threads for the top stories: (author index into READERS, reply-to index within the thread, text).
const THREADS: [&[(usize, Option<usize>, &str)]; 3] = [
    &[
        (
            0,
            None,
            "Useful to see the outlets side by side: the timeline shows who had it first, and the copies are marked as copies.",
        ),
        (
            1,
            Some(0),
            "Agreed. The *brief* above gets the shared facts right; the one-outlet points are where I would read more carefully.",
        ),
        (
            2,
            Some(1),
            "Exactly: **two** of them only repeat the wire text, so it is fewer independent reports than it looks.",
        ),
    ],
    &[
        (1, None, "Does anyone know when the full figures come out? The articles only quote the preliminary ones."),
        (0, Some(0), "One of the later pieces says next month; see the coverage list under the story."),
    ],
    &[(2, None, "Short and clear coverage. Following this topic now so it shows up on my For you page.")],
];

/// Makes the demo accounts and comments; returns the number of comments made.
pub(crate) async fn seed(store: &dyn Store) -> anyhow::Result<usize> {
    let accounts = store.accounts();
    if accounts.count_users().await? > 0 {
        return Ok(0);
    }
    let now = Utc::now();
    let make = |name: &str, plain: &str, role: Role| {
        let hash = password::hash(plain).with_context(|| format!("hashing the demo password of {name}"));
        hash.map(|password_hash| NewUser {
            username: name.to_owned(),
            email: None,
            password_hash,
            role,
            // A week old, so the new-account spam signal does not hold their comments.
            created_at: now - TimeDelta::days(7),
        })
    };
    accounts.create_user(make(MODERATOR.0, MODERATOR.1, Role::Moderator)?).await?;
    let mut readers: Vec<UserId> = Vec::new();
    for name in READERS {
        readers.push(accounts.create_user(make(name, READER_PASSWORD, Role::Reader)?).await?.id);
    }
    let stories = store.latest_stories(100, None).await?;
    let mut made = 0;
    for (story, thread) in stories.iter().filter(|s| s.outlet_count > 1).zip(THREADS) {
        let mut ids: Vec<i64> = Vec::new();
        for (i, (author, parent, text)) in thread.iter().enumerate() {
            let comment = NewComment {
                target: CommentTarget::Story(story.id),
                parent_id: parent.and_then(|p| ids.get(p).copied()),
                author: readers[*author],
                body: (*text).to_owned(),
                status: CommentStatus::Visible,
                created_at: now - TimeDelta::minutes(50 - 10 * i as i64),
            };
            ids.push(accounts.add_comment(comment).await?.id);
            made += 1;
        }
        if let (Some(first), Some(voter)) = (ids.first(), readers.get(2)) {
            accounts.vote(*voter, *first, 1, now).await?;
        }
    }
    Ok(made)
}

/// The lines the demo prints about its accounts.
pub(crate) fn credentials() -> String {
    format!(
        "Demo accounts (this demo only): moderator {} / {}; readers {} / {}",
        MODERATOR.0,
        MODERATOR.1,
        READERS.join(", "),
        READER_PASSWORD
    )
}
