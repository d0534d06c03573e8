//! The account store's behaviour (accounts, sessions, tokens, comments, moderation, personal lists), once for
//! every backend: each test runs on a fresh SQLite file, and on PostgreSQL in a fresh schema when
//! `TIDINGS_TEST_DATABASE_URL` is set (the schema is dropped afterwards, pass or fail).

// The helpers below are test code too, but outside `#[test]` functions, where clippy.toml's test allowance stops.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tidings_core::accounts::{
    CommentStatus, CommentTarget, Follow, FollowKind, ModerationEntry, NewComment, NewUser, OneTimePurpose, Role, User,
};
use tidings_core::{
    ArticleId, ClusteringBatch, Enrichment, EntityKind, EntityRef, NewArticle, NewSource, PollSuccess, SourceKind,
    Store, StoreError, StoryId, StoryTarget,
};

use common::{at, each_backend};

fn new_user(name: &str, email: Option<&str>) -> NewUser {
    NewUser {
        username: name.to_owned(),
        email: email.map(str::to_owned),
        password_hash: format!("$argon2id$hash-of-{name}"),
        role: Role::Reader,
        created_at: at(8, 0),
    }
}

async fn user(store: &Arc<dyn Store>, name: &str) -> User {
    store.accounts().create_user(new_user(name, None)).await.unwrap()
}

/// A source (with `category`) and its articles, one per key, published a minute apart in the order given.
async fn articles(store: &Arc<dyn Store>, url: &str, category: Option<&str>, keys: &[&str]) -> Vec<ArticleId> {
    let source = store
        .add_source(NewSource {
            url: url.to_owned(),
            kind: SourceKind::Feed,
            title: None,
            site_url: None,
            category: category.map(str::to_owned),
        })
        .await
        .unwrap();
    let items = keys
        .iter()
        .map(|key| {
            let minute = u32::from(key.bytes().last().unwrap()) % 60;
            NewArticle {
                guid: format!("guid-{key}"),
                url: Some(format!("https://news.example/{key}")),
                title: format!("Title {key}"),
                content_text: format!("Body of {key}."),
                content_hash: format!("hash-{key}"),
                published_at: Some(at(7, minute)),
                ..NewArticle::default()
            }
        })
        .collect();
    let poll =
        PollSuccess { articles: items, next_poll_at: at(10, 0), poll_interval_secs: 1800, ..PollSuccess::default() };
    store.record_poll(source.id, at(9, 0), poll).await.unwrap();
    let listed = store.source_articles(source.id, 100).await.unwrap();
    keys.iter().map(|key| listed.iter().find(|a| a.title == format!("Title {key}")).unwrap().id).collect()
}

/// A story holding `article`.
async fn story(store: &Arc<dyn Store>, article: ArticleId) -> StoryId {
    let batch = ClusteringBatch {
        new_stories: vec!["A story".to_owned()],
        assignments: vec![(article, StoryTarget::New(0))],
        ..ClusteringBatch::default()
    };
    store.record_clustering(at(9, 1), batch).await.unwrap()[0]
}

fn comment(target: CommentTarget, author: &User, body: &str, minute: u32) -> NewComment {
    NewComment {
        target,
        parent_id: None,
        author: author.id,
        body: body.to_owned(),
        status: CommentStatus::Visible,
        created_at: at(10, minute),
    }
}

#[tokio::test]
async fn accounts_are_unique_regardless_of_case_and_keep_their_settings() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let alice = accounts.create_user(new_user("Alice", Some("alice@example.org"))).await.unwrap();
        assert_eq!((alice.username.as_str(), alice.role, alice.totp_enabled), ("Alice", Role::Reader, false));
        assert_eq!(alice.created_at, at(8, 0));

        match accounts.create_user(new_user("aLICE", None)).await {
            Err(StoreError::Duplicate { what: "username", value }) => assert_eq!(value, "aLICE"),
            other => panic!("expected a duplicate username, got {other:?}"),
        }
        match accounts.create_user(new_user("bob", Some("ALICE@example.org"))).await {
            Err(StoreError::Duplicate { what: "e-mail address", value }) => assert_eq!(value, "ALICE@example.org"),
            other => panic!("expected a duplicate e-mail address, got {other:?}"),
        }
        let bob = accounts.create_user(NewUser { created_at: at(8, 5), ..new_user("bob", None) }).await.unwrap();
        // Accounts without an address do not collide with each other.
        let carol = accounts.create_user(NewUser { created_at: at(8, 6), ..new_user("carol", None) }).await.unwrap();

        assert_eq!(accounts.user_by_name("ALICE").await.unwrap().unwrap().id, alice.id);
        assert_eq!(accounts.user(bob.id).await.unwrap().unwrap(), bob);
        assert!(accounts.user(9999).await.unwrap().is_none());
        assert!(accounts.user_by_name("nobody").await.unwrap().is_none());
        assert_eq!(accounts.count_users().await.unwrap(), 3);
        let listed: Vec<_> = accounts.users(10).await.unwrap().into_iter().map(|u| u.id).collect();
        assert_eq!(listed, [carol.id, bob.id, alice.id], "newest first");

        let credentials = accounts.credentials("alice").await.unwrap().unwrap();
        assert_eq!(credentials.password_hash, "$argon2id$hash-of-Alice");
        assert_eq!(credentials.totp_secret, None);
        assert!(accounts.credentials("nobody").await.unwrap().is_none());

        accounts.record_login(alice.id, at(9, 0)).await.unwrap();
        accounts.set_role(alice.id, Role::Moderator).await.unwrap();
        accounts.set_ban(bob.id, Some(at(12, 0))).await.unwrap();
        accounts.set_totp(alice.id, Some("JBSWY3DPEHPK3PXP")).await.unwrap();
        let alice = accounts.user(alice.id).await.unwrap().unwrap();
        assert_eq!((alice.role, alice.last_login_at, alice.totp_enabled), (Role::Moderator, Some(at(9, 0)), true));
        let credentials = accounts.credentials("Alice").await.unwrap().unwrap();
        assert_eq!(credentials.totp_secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));
        assert_eq!(accounts.totp_secrets().await.unwrap(), vec![(alice.id, "JBSWY3DPEHPK3PXP".to_owned())]);
        // Each code signs in once: a step is taken once, and never one before the last taken.
        assert!(accounts.use_totp_step(alice.id, 56_000_000).await.unwrap());
        assert!(!accounts.use_totp_step(alice.id, 56_000_000).await.unwrap(), "the same code again");
        assert!(!accounts.use_totp_step(alice.id, 55_999_999).await.unwrap(), "an older code after a newer one");
        assert!(accounts.use_totp_step(alice.id, 56_000_001).await.unwrap());
        assert!(accounts.use_totp_step(bob.id, 56_000_000).await.unwrap(), "per account");
        assert!(!accounts.use_totp_step(9999, 1).await.unwrap(), "no such account");
        // Sealing the secret does not forget the step, or the code just used would work twice; and it replaces
        // only the secret it was read as.
        assert!(!accounts.reseal_totp(alice.id, "ANOTHERSECRET", "sealed:v1:00").await.unwrap());
        assert!(accounts.reseal_totp(alice.id, "JBSWY3DPEHPK3PXP", "sealed:v1:00").await.unwrap());
        assert_eq!(accounts.credentials("alice").await.unwrap().unwrap().totp_secret.as_deref(), Some("sealed:v1:00"));
        assert!(!accounts.use_totp_step(alice.id, 56_000_001).await.unwrap());
        accounts.set_totp(alice.id, None).await.unwrap();
        assert!(!accounts.reseal_totp(alice.id, "sealed:v1:00", "sealed:v1:11").await.unwrap(), "turned off meanwhile");
        accounts.set_totp(alice.id, Some("JBSWY3DPEHPK3PXP")).await.unwrap();
        let bob = accounts.user(bob.id).await.unwrap().unwrap();
        assert!(bob.banned_at(at(11, 0)) && !bob.banned_at(at(13, 0)));
        accounts.set_ban(bob.id, None).await.unwrap();
        accounts.set_totp(alice.id, None).await.unwrap();
        assert_eq!(accounts.user(bob.id).await.unwrap().unwrap().banned_until, None);
        assert!(!accounts.user(alice.id).await.unwrap().unwrap().totp_enabled);

        assert!(matches!(
            accounts.set_role(9999, Role::Admin).await,
            Err(StoreError::NotFound { what: "user", id: 9999 })
        ));
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_end_and_end_with_a_new_password() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let alice = user(&store, "alice").await;
        accounts.create_session("s1", alice.id, at(9, 0), at(10, 0)).await.unwrap();
        accounts.create_session("s2", alice.id, at(9, 0), at(10, 0)).await.unwrap();

        let (found, seen) = accounts.session_user("s1", at(9, 30)).await.unwrap().unwrap();
        assert_eq!((found.id, seen), (alice.id, at(9, 0)));
        assert!(accounts.session_user("s1", at(10, 0)).await.unwrap().is_none(), "expired at its end");
        assert!(accounts.session_user("unknown", at(9, 30)).await.unwrap().is_none());

        accounts.touch_session("s1", at(9, 50), at(11, 0)).await.unwrap();
        let (_, seen) = accounts.session_user("s1", at(10, 30)).await.unwrap().unwrap();
        assert_eq!(seen, at(9, 50));
        // Touching an expired session does not bring it back.
        accounts.touch_session("s2", at(10, 30), at(12, 0)).await.unwrap();
        assert!(accounts.session_user("s2", at(10, 40)).await.unwrap().is_none());

        accounts.delete_session("s1").await.unwrap();
        assert!(accounts.session_user("s1", at(9, 30)).await.unwrap().is_none());

        accounts.create_session("s3", alice.id, at(9, 0), at(23, 0)).await.unwrap();
        accounts.set_password(alice.id, "$argon2id$new").await.unwrap();
        assert!(accounts.session_user("s3", at(9, 30)).await.unwrap().is_none(), "a new password ends sessions");
        assert_eq!(accounts.credentials("alice").await.unwrap().unwrap().password_hash, "$argon2id$new");

        assert!(matches!(
            accounts.create_session("s4", 9999, at(9, 0), at(10, 0)).await,
            Err(StoreError::NotFound { what: "user", .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn api_tokens_identify_their_owner_until_revoked() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let alice = user(&store, "alice").await;
        let bob = user(&store, "bob").await;
        let first = accounts.create_api_token(alice.id, "hash-1", "laptop", at(9, 0)).await.unwrap();
        let second = accounts.create_api_token(alice.id, "hash-2", "phone", at(9, 5)).await.unwrap();
        assert_eq!((first.label.as_str(), first.last_used_at), ("laptop", None));

        assert_eq!(accounts.api_token_user("hash-1", at(9, 10)).await.unwrap().unwrap().id, alice.id);
        assert!(accounts.api_token_user("hash-x", at(9, 10)).await.unwrap().is_none());
        let listed = accounts.api_tokens(alice.id).await.unwrap();
        assert_eq!(listed.iter().map(|t| t.id).collect::<Vec<_>>(), [second.id, first.id], "newest first");
        assert_eq!(listed[1].last_used_at, Some(at(9, 10)));
        // Recorded to the minute: a use seconds later is not another write, one a minute later is.
        accounts.api_token_user("hash-1", at(9, 10) + TimeDelta::seconds(20)).await.unwrap();
        assert_eq!(accounts.api_tokens(alice.id).await.unwrap()[1].last_used_at, Some(at(9, 10)));
        accounts.api_token_user("hash-1", at(9, 12)).await.unwrap();
        assert_eq!(accounts.api_tokens(alice.id).await.unwrap()[1].last_used_at, Some(at(9, 12)));

        assert!(!accounts.delete_api_token(bob.id, first.id).await.unwrap(), "only its owner revokes it");
        assert!(accounts.delete_api_token(alice.id, first.id).await.unwrap());
        assert!(!accounts.delete_api_token(alice.id, first.id).await.unwrap());
        assert!(accounts.api_token_user("hash-1", at(9, 20)).await.unwrap().is_none());
        assert_eq!(accounts.api_tokens(alice.id).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn one_time_tokens_work_once_for_their_purpose_until_they_expire() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let admin = user(&store, "admin").await;
        let alice = user(&store, "alice").await;
        let now = Utc::now();
        let later = now + TimeDelta::hours(1);
        accounts.create_one_time_token(OneTimePurpose::Invite, "inv", None, Some(admin.id), later).await.unwrap();
        accounts
            .create_one_time_token(OneTimePurpose::PasswordReset, "reset", Some(alice.id), Some(admin.id), later)
            .await
            .unwrap();
        accounts
            .create_one_time_token(OneTimePurpose::Invite, "old", None, None, now - TimeDelta::minutes(1))
            .await
            .unwrap();

        assert_eq!(accounts.peek_one_time_token(OneTimePurpose::Invite, "inv", now).await.unwrap(), Some(None));
        assert_eq!(accounts.peek_one_time_token(OneTimePurpose::Invite, "inv", now).await.unwrap(), Some(None));
        assert_eq!(accounts.take_one_time_token(OneTimePurpose::Invite, "inv", now).await.unwrap(), Some(None));
        assert_eq!(accounts.take_one_time_token(OneTimePurpose::Invite, "inv", now).await.unwrap(), None, "once");
        assert_eq!(accounts.peek_one_time_token(OneTimePurpose::Invite, "inv", now).await.unwrap(), None);

        assert_eq!(accounts.take_one_time_token(OneTimePurpose::Invite, "reset", now).await.unwrap(), None);
        assert_eq!(accounts.take_one_time_token(OneTimePurpose::PasswordReset, "old", now).await.unwrap(), None);
        assert_eq!(accounts.take_one_time_token(OneTimePurpose::Invite, "old", now).await.unwrap(), None, "expired");
        assert_eq!(
            accounts.peek_one_time_token(OneTimePurpose::PasswordReset, "reset", now).await.unwrap(),
            Some(Some(alice.id))
        );
        assert_eq!(
            accounts.take_one_time_token(OneTimePurpose::PasswordReset, "reset", later).await.unwrap(),
            None,
            "expired at its end"
        );

        // Of many concurrent takes, exactly one succeeds.
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.accounts().take_one_time_token(OneTimePurpose::PasswordReset, "reset", now).await.unwrap()
            }));
        }
        let mut taken = Vec::new();
        for task in tasks {
            taken.extend(task.await.unwrap());
        }
        assert_eq!(taken, [Some(alice.id)]);
    })
    .await;
}

#[tokio::test]
async fn comments_are_posted_replied_to_edited_and_removed() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let alice = user(&store, "alice").await;
        let bob = user(&store, "bob").await;
        let ids = articles(&store, "https://a.example/feed", None, &["a1", "a2"]).await;
        let (article, other) = (CommentTarget::Article(ids[0]), CommentTarget::Article(ids[1]));
        let on_story = CommentTarget::Story(story(&store, ids[1]).await);

        let first = accounts.add_comment(comment(article, &alice, "First!", 0)).await.unwrap();
        assert_eq!((first.author.as_deref(), first.author_id, first.score), (Some("alice"), Some(alice.id), 0));
        assert_eq!((first.target, first.status, first.created_at), (article, CommentStatus::Visible, at(10, 0)));
        let reply = accounts
            .add_comment(NewComment { parent_id: Some(first.id), ..comment(article, &bob, "Second.", 1) })
            .await
            .unwrap();
        assert_eq!(reply.parent_id, Some(first.id));
        let on_the_story = accounts.add_comment(comment(on_story, &bob, "On the story", 2)).await.unwrap();
        assert_eq!(on_the_story.target, on_story);
        let held = accounts
            .add_comment(NewComment { status: CommentStatus::Pending, ..comment(article, &bob, "Buy now", 3) })
            .await
            .unwrap();

        // A reply must stay on the page of its parent.
        for (target, parent) in [(other, first.id), (on_story, first.id), (article, on_the_story.id), (article, 9999)] {
            match accounts.add_comment(NewComment { parent_id: Some(parent), ..comment(target, &bob, "x", 4) }).await {
                Err(StoreError::Refused(why)) => assert!(why.contains("not a comment on this page"), "{why}"),
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
        assert!(matches!(
            accounts.add_comment(comment(CommentTarget::Article(9999), &bob, "x", 4)).await,
            Err(StoreError::NotFound { what: "article", id: 9999 })
        ));
        assert!(matches!(
            accounts.add_comment(comment(CommentTarget::Story(9999), &bob, "x", 4)).await,
            Err(StoreError::NotFound { what: "story", id: 9999 })
        ));

        let thread = accounts.comments_on(article, Some(alice.id)).await.unwrap();
        assert_eq!(thread.iter().map(|c| c.id).collect::<Vec<_>>(), [first.id, reply.id, held.id], "oldest first");
        assert_eq!(thread[0], first);
        assert_eq!(accounts.comments_on(on_story, None).await.unwrap().len(), 1);
        assert_eq!(accounts.pending_comments(10).await.unwrap().iter().map(|c| c.id).collect::<Vec<_>>(), [held.id]);
        accounts.set_comment_status(held.id, CommentStatus::Visible).await.unwrap();
        assert!(accounts.pending_comments(10).await.unwrap().is_empty());

        accounts.edit_comment(first.id, "First, edited", at(11, 0)).await.unwrap();
        let edited = accounts.comment(first.id, None).await.unwrap().unwrap();
        assert_eq!((edited.body.as_str(), edited.edited_at), ("First, edited", Some(at(11, 0))));
        accounts.set_comment_status(reply.id, CommentStatus::Hidden).await.unwrap();
        assert_eq!(accounts.comment(reply.id, None).await.unwrap().unwrap().status, CommentStatus::Hidden);

        // Locked: no new comments, edits or votes; unlocked again, all three work.
        assert!(!accounts.thread_locked(article).await.unwrap());
        accounts.set_thread_locked(article, true, at(12, 0)).await.unwrap();
        accounts.set_thread_locked(article, true, at(12, 1)).await.unwrap();
        assert!(accounts.thread_locked(article).await.unwrap());
        assert!(!accounts.thread_locked(other).await.unwrap());
        let locked = |r: Result<_, StoreError>| matches!(r, Err(StoreError::Refused(why)) if why.contains("locked"));
        assert!(locked(accounts.add_comment(comment(article, &bob, "Too late", 5)).await.map(|_| ())));
        assert!(locked(accounts.edit_comment(first.id, "Again", at(12, 2)).await));
        assert!(locked(accounts.vote(bob.id, first.id, 1, at(12, 2)).await.map(|_| ())));
        accounts.add_comment(comment(other, &bob, "Elsewhere is open", 5)).await.unwrap();
        assert!(matches!(
            accounts.set_thread_locked(CommentTarget::Story(9999), true, at(12, 0)).await,
            Err(StoreError::NotFound { what: "story", .. })
        ));
        accounts.set_thread_locked(article, false, at(12, 3)).await.unwrap();
        assert!(!accounts.thread_locked(article).await.unwrap());
        accounts.add_comment(comment(article, &bob, "Open again", 6)).await.unwrap();

        accounts.remove_comment(first.id).await.unwrap();
        let removed = accounts.comment(first.id, None).await.unwrap().unwrap();
        assert_eq!((removed.body.as_str(), removed.status), ("", CommentStatus::Removed));
        assert!(matches!(accounts.edit_comment(first.id, "Back", at(13, 0)).await, Err(StoreError::Refused(_))));
        assert!(matches!(accounts.remove_comment(9999).await, Err(StoreError::NotFound { what: "comment", .. })));

        let bobs = accounts.user_comments(bob.id, 10).await.unwrap();
        assert_eq!(bobs.len(), 5);
        assert_eq!(bobs[0].body, "Open again", "newest first");
        let bodies = accounts.recent_comment_bodies(bob.id, at(10, 2), 100).await.unwrap();
        assert_eq!(bodies, ["Open again", "Elsewhere is open", "Buy now", "On the story"]);
    })
    .await;
}

#[tokio::test]
async fn votes_keep_the_score_and_each_readers_vote() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let (alice, bob, carol) = (user(&store, "alice").await, user(&store, "bob").await, user(&store, "carol").await);
        let ids = articles(&store, "https://a.example/feed", None, &["a1"]).await;
        let c = accounts.add_comment(comment(CommentTarget::Article(ids[0]), &alice, "Vote on me", 0)).await.unwrap();

        assert_eq!(accounts.vote(bob.id, c.id, 1, at(11, 0)).await.unwrap(), 1);
        assert_eq!(accounts.vote(carol.id, c.id, 1, at(11, 1)).await.unwrap(), 2);
        assert_eq!(accounts.vote(carol.id, c.id, 1, at(11, 2)).await.unwrap(), 2, "voting twice is one vote");
        assert_eq!(accounts.vote(carol.id, c.id, -1, at(11, 3)).await.unwrap(), 0, "a changed vote");
        assert_eq!(accounts.comment(c.id, Some(carol.id)).await.unwrap().unwrap().my_vote, -1);
        assert_eq!(accounts.comment(c.id, Some(bob.id)).await.unwrap().unwrap().my_vote, 1);
        assert_eq!(accounts.comment(c.id, Some(alice.id)).await.unwrap().unwrap().my_vote, 0);
        assert_eq!(accounts.comment(c.id, None).await.unwrap().unwrap().score, 0);
        assert_eq!(accounts.vote(bob.id, c.id, 0, at(11, 4)).await.unwrap(), -1, "a vote taken back");
        assert_eq!(accounts.vote(bob.id, c.id, 0, at(11, 5)).await.unwrap(), -1);
        let seen = accounts.comments_on(CommentTarget::Article(ids[0]), Some(carol.id)).await.unwrap();
        assert_eq!((seen[0].score, seen[0].my_vote), (-1, -1));
        assert!(matches!(
            accounts.vote(bob.id, 9999, 1, at(11, 6)).await,
            Err(StoreError::NotFound { what: "comment", id: 9999 })
        ));
    })
    .await;
}

#[tokio::test]
async fn comment_counts_count_visible_comments_per_target() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let alice = user(&store, "alice").await;
        let ids = articles(&store, "https://a.example/feed", None, &["a1", "a2", "a3"]).await;
        let s = story(&store, ids[0]).await;
        let (a1, a2, a3) =
            (CommentTarget::Article(ids[0]), CommentTarget::Article(ids[1]), CommentTarget::Article(ids[2]));
        let on_story = CommentTarget::Story(s);
        for target in [a1, a1, a2, on_story] {
            accounts.add_comment(comment(target, &alice, "hi", 0)).await.unwrap();
        }
        let held = NewComment { status: CommentStatus::Pending, ..comment(a2, &alice, "held", 1) };
        accounts.add_comment(held).await.unwrap();
        let removed = accounts.add_comment(comment(a3, &alice, "gone", 2)).await.unwrap();
        accounts.remove_comment(removed.id).await.unwrap();

        let counts = accounts.comment_counts(&[on_story, a1, a2, a3, a1, CommentTarget::Story(s + 1)]).await.unwrap();
        assert_eq!(counts, [(on_story, 1), (a1, 2), (a2, 1)]);
        assert!(accounts.comment_counts(&[]).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn reports_are_filed_once_listed_and_resolved_and_moderation_is_logged() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let (alice, bob, carol) = (user(&store, "alice").await, user(&store, "bob").await, user(&store, "carol").await);
        let ids = articles(&store, "https://a.example/feed", None, &["a1"]).await;
        let target = CommentTarget::Article(ids[0]);
        let rude = accounts.add_comment(comment(target, &alice, "Rude", 0)).await.unwrap();
        let spam = accounts.add_comment(comment(target, &alice, "Spam", 1)).await.unwrap();

        accounts.report_comment(rude.id, bob.id, "rude", at(11, 0)).await.unwrap();
        accounts.report_comment(rude.id, bob.id, "very rude", at(11, 1)).await.unwrap();
        accounts.report_comment(spam.id, carol.id, "spam", at(11, 2)).await.unwrap();
        accounts.report_comment(rude.id, carol.id, "rude too", at(11, 3)).await.unwrap();
        assert!(matches!(
            accounts.report_comment(9999, bob.id, "?", at(11, 4)).await,
            Err(StoreError::NotFound { what: "comment", .. })
        ));

        let open = accounts.open_reports(10).await.unwrap();
        let summary: Vec<_> =
            open.iter().map(|r| (r.comment.id, r.reporter.as_deref(), r.reason.as_str(), r.created_at)).collect();
        assert_eq!(
            summary,
            [
                (rude.id, Some("bob"), "rude", at(11, 0)),
                (spam.id, Some("carol"), "spam", at(11, 2)),
                (rude.id, Some("carol"), "rude too", at(11, 3)),
            ],
            "oldest first, a repeated report ignored"
        );
        assert_eq!(open[0].comment.body, "Rude");
        assert_eq!(accounts.open_reports(1).await.unwrap().len(), 1);

        accounts.resolve_reports(rude.id, alice.id, "hidden", at(12, 0)).await.unwrap();
        let open = accounts.open_reports(10).await.unwrap();
        assert_eq!(open.iter().map(|r| r.comment.id).collect::<Vec<_>>(), [spam.id]);

        let entry = |action: &str, kind: &str, id: i64, minute: u32| ModerationEntry {
            id: 0,
            moderator_id: Some(alice.id),
            moderator: None,
            action: action.to_owned(),
            target_kind: kind.to_owned(),
            target_id: id,
            reason: Some("because".to_owned()),
            created_at: at(12, minute),
        };
        accounts.log_moderation(&entry("hide", "comment", rude.id, 0)).await.unwrap();
        accounts.log_moderation(&entry("ban", "user", bob.id, 1)).await.unwrap();
        accounts.log_moderation(&entry("lock", "article", ids[0], 2)).await.unwrap();
        accounts
            .log_moderation(&ModerationEntry { moderator_id: None, reason: None, ..entry("dismiss", "story", 7, 3) })
            .await
            .unwrap();
        let log = accounts.moderation_log(10).await.unwrap();
        let actions: Vec<_> = log.iter().map(|e| (e.action.as_str(), e.target_kind.as_str())).collect();
        assert_eq!(actions, [("dismiss", "story"), ("lock", "article"), ("ban", "user"), ("hide", "comment")]);
        assert_eq!((log[1].moderator.as_deref(), log[1].reason.as_deref()), (Some("alice"), Some("because")));
        assert_eq!((log[0].moderator_id, log[0].moderator.as_deref()), (None, None));
        assert_eq!(log[3].target_id, rude.id);
        assert_eq!(accounts.moderation_log(2).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn for_you_gathers_followed_outlets_topics_and_entities_once_each() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let alice = user(&store, "alice").await;
        let bob = user(&store, "bob").await;
        // Minutes come from the last character of each key, so the order below is the time order.
        let sport = articles(&store, "https://sport.example/feed", Some("Sport"), &["s1", "s5"]).await;
        let outlet = articles(&store, "https://outlet.example/feed", None, &["o2", "o7"]).await;
        let other = articles(&store, "https://other.example/feed", Some("Local"), &["x3", "x4", "x6", "x8"]).await;
        let outlet_source = store.article(outlet[0]).await.unwrap().unwrap().source_id;

        let varga = EntityRef {
            key: "person/ilse-varga".to_owned(),
            name: "Ilse Varga".to_owned(),
            kind: EntityKind::Person,
            mentions: 1,
        };
        let with_entity = Enrichment { entities: vec![varga], ..Enrichment::default() };
        store.record_enrichment(other[0], at(9, 5), &with_entity).await.unwrap();
        // Named and followed twice over: still listed once.
        store.record_enrichment(outlet[1], at(9, 5), &with_entity).await.unwrap();
        let classified = Enrichment { topics: vec!["Technology".to_owned()], ..Enrichment::default() };
        store.record_enrichment(other[1], at(9, 5), &classified).await.unwrap();

        assert!(accounts.for_you(alice.id, 10).await.unwrap().is_empty(), "nothing followed, nothing listed");
        let follows = [
            Follow { kind: FollowKind::Outlet, key: outlet_source.to_string() },
            Follow { kind: FollowKind::Topic, key: "sport".to_owned() },
            Follow { kind: FollowKind::Entity, key: "person/ilse-varga".to_owned() },
            Follow { kind: FollowKind::Topic, key: "TECHNOLOGY".to_owned() },
        ];
        for (minute, follow) in (0..).zip(&follows) {
            accounts.follow(alice.id, follow, at(11, minute)).await.unwrap();
        }
        accounts.follow(alice.id, &follows[0], at(11, 9)).await.unwrap();
        accounts.follow(bob.id, &Follow { kind: FollowKind::Topic, key: "Local".to_owned() }, at(11, 0)).await.unwrap();
        assert_eq!(accounts.follows(alice.id).await.unwrap(), follows, "in the order followed, each once");

        let listed: Vec<_> = accounts.for_you(alice.id, 10).await.unwrap().into_iter().map(|a| a.id).collect();
        assert_eq!(listed, [outlet[1], sport[1], other[1], other[0], outlet[0], sport[0]], "newest first");
        let top: Vec<_> = accounts.for_you(alice.id, 2).await.unwrap().into_iter().map(|a| a.id).collect();
        assert_eq!(top, [outlet[1], sport[1]]);
        assert_eq!(accounts.for_you(bob.id, 10).await.unwrap().len(), 4);

        accounts.unfollow(alice.id, &follows[1]).await.unwrap();
        accounts.unfollow(alice.id, &follows[2]).await.unwrap();
        let listed: Vec<_> = accounts.for_you(alice.id, 10).await.unwrap().into_iter().map(|a| a.id).collect();
        assert_eq!(listed, [outlet[1], other[1], outlet[0]]);
        assert_eq!(accounts.follows(alice.id).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn saved_articles_are_listed_most_recently_saved_first() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let alice = user(&store, "alice").await;
        let ids = articles(&store, "https://a.example/feed", None, &["a1", "a2", "a3"]).await;
        accounts.save_article(alice.id, ids[1], at(11, 0)).await.unwrap();
        accounts.save_article(alice.id, ids[0], at(11, 1)).await.unwrap();
        accounts.save_article(alice.id, ids[0], at(11, 2)).await.unwrap();
        let saved: Vec<_> = accounts.saved_articles(alice.id, 10).await.unwrap().into_iter().map(|a| a.id).collect();
        assert_eq!(saved, [ids[0], ids[1]]);
        assert!(accounts.is_saved(alice.id, ids[0]).await.unwrap());
        assert!(!accounts.is_saved(alice.id, ids[2]).await.unwrap());
        assert!(matches!(
            accounts.save_article(alice.id, 9999, at(11, 3)).await,
            Err(StoreError::NotFound { what: "article", id: 9999 })
        ));
        accounts.unsave_article(alice.id, ids[0]).await.unwrap();
        let saved: Vec<_> = accounts.saved_articles(alice.id, 10).await.unwrap().into_iter().map(|a| a.id).collect();
        assert_eq!(saved, [ids[1]]);
    })
    .await;
}

#[tokio::test]
async fn deleting_an_account_keeps_its_comments_removed_and_without_author() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let alice = user(&store, "alice").await;
        let bob = user(&store, "bob").await;
        let ids = articles(&store, "https://a.example/feed", None, &["a1"]).await;
        let target = CommentTarget::Article(ids[0]);
        let hers = accounts.add_comment(comment(target, &alice, "Mine", 0)).await.unwrap();
        let reply = accounts
            .add_comment(NewComment { parent_id: Some(hers.id), ..comment(target, &bob, "Reply", 1) })
            .await
            .unwrap();
        accounts.vote(alice.id, reply.id, 1, at(11, 0)).await.unwrap();
        accounts.vote(bob.id, reply.id, 1, at(11, 0)).await.unwrap();
        accounts.create_session("s", alice.id, at(9, 0), at(23, 0)).await.unwrap();
        accounts.create_api_token(alice.id, "t", "cli", at(9, 0)).await.unwrap();
        accounts.follow(alice.id, &Follow { kind: FollowKind::Topic, key: "x".to_owned() }, at(9, 0)).await.unwrap();
        accounts.save_article(alice.id, ids[0], at(9, 0)).await.unwrap();
        accounts.report_comment(reply.id, alice.id, "meh", at(11, 1)).await.unwrap();

        assert!(accounts.delete_user(alice.id).await.unwrap());
        assert!(!accounts.delete_user(alice.id).await.unwrap());
        assert!(accounts.user(alice.id).await.unwrap().is_none());
        assert!(accounts.session_user("s", at(10, 0)).await.unwrap().is_none());
        assert!(accounts.api_token_user("t", at(10, 0)).await.unwrap().is_none());

        let thread = accounts.comments_on(target, None).await.unwrap();
        assert_eq!(thread.len(), 2, "the thread keeps its place");
        assert_eq!((thread[0].author_id, thread[0].author.as_deref()), (None, None));
        assert_eq!((thread[0].body.as_str(), thread[0].status), ("", CommentStatus::Removed));
        assert_eq!((thread[1].parent_id, thread[1].score), (Some(hers.id), 1), "her vote went with her");
        let open = accounts.open_reports(10).await.unwrap();
        assert_eq!((open.len(), open[0].reporter.as_deref()), (1, None));
        // Her name is free again.
        user(&store, "Alice").await;
    })
    .await;
}

#[tokio::test]
async fn concurrent_commenters_all_get_their_comments_in() {
    each_backend(|db| async move {
        let store = db.open().await;
        let ids = articles(&store, "https://a.example/feed", None, &["a1"]).await;
        let target = CommentTarget::Article(ids[0]);
        let mut users = Vec::new();
        for n in 0..50 {
            users.push(user(&store, &format!("reader{n}")).await);
        }
        let first = store.accounts().add_comment(comment(target, &users[0], "Vote here", 0)).await.unwrap();

        let mut tasks = Vec::new();
        for (n, author) in users.iter().cloned().enumerate() {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let accounts = store.accounts();
                let posted = NewComment {
                    target,
                    parent_id: Some(first.id),
                    author: author.id,
                    body: format!("Comment {n}"),
                    status: CommentStatus::Visible,
                    created_at: at(11, 0),
                };
                accounts.add_comment(posted).await.unwrap();
                accounts.vote(author.id, first.id, 1, at(11, 1)).await.unwrap();
                // Readers run beside the writers.
                accounts.comments_on(target, Some(author.id)).await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let thread = store.accounts().comments_on(target, None).await.unwrap();
        assert_eq!(thread.len(), 51);
        assert_eq!(thread.iter().filter(|c| c.parent_id == Some(first.id)).count(), 50);
        assert_eq!(thread[0].score, 50, "every vote counted");
        assert_eq!(store.accounts().comment_counts(&[target]).await.unwrap(), [(target, 51)]);
    })
    .await;
}

#[tokio::test]
async fn failed_sign_ins_are_counted_per_key_for_every_process_and_forgotten() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let keys = vec!["user:alice".to_owned(), "ip:192.0.2.7".to_owned()];
        assert!(accounts.sign_in_failures(&keys).await.unwrap().is_empty());
        let never = |_: u32, _: DateTime<Utc>| None;
        for minute in 0..3 {
            assert_eq!(accounts.begin_sign_in_attempt(&keys, at(9, minute), at(0, 0), &never).await.unwrap(), None);
        }
        let ip = ["ip:192.0.2.7".to_owned()];
        accounts.begin_sign_in_attempt(&ip, at(9, 5), at(0, 0), &never).await.unwrap();
        let counted = accounts.sign_in_failures(&keys).await.unwrap();
        assert_eq!(counted, vec![("user:alice".to_owned(), 3, at(9, 2)), ("ip:192.0.2.7".to_owned(), 4, at(9, 5))]);

        // Another process (another store on the same database) sees the same counts.
        let other = db.open().await;
        assert_eq!(other.accounts().sign_in_failures(&keys).await.unwrap(), counted);

        // A success forgets its keys; old keys are forgotten when a later failure is counted.
        accounts.clear_sign_in_failures(&["user:alice".to_owned()]).await.unwrap();
        assert_eq!(accounts.sign_in_failures(&keys).await.unwrap().len(), 1);
        accounts.begin_sign_in_attempt(&["user:bob".to_owned()], at(12, 0), at(10, 0), &never).await.unwrap();
        assert!(accounts.sign_in_failures(&keys).await.unwrap().is_empty(), "the address's last failure was at 9:05");
        assert_eq!(accounts.sign_in_failures(&["user:bob".to_owned()]).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn sign_in_attempts_sent_at_once_are_checked_one_at_a_time() {
    each_backend(|db| async move {
        let store = db.open().await;
        let keys = vec!["user:alice".to_owned(), "ip:192.0.2.7".to_owned()];
        // Three attempts are free; the fourth must wait.
        let attempts: Vec<_> = (0..8)
            .map(|_| {
                let (store, keys) = (store.clone(), keys.clone());
                tokio::spawn(async move {
                    let wait = |failures: u32, _last: DateTime<Utc>| {
                        (failures >= 3).then_some(std::time::Duration::from_secs(10))
                    };
                    store.accounts().begin_sign_in_attempt(&keys, at(9, 0), at(0, 0), &wait).await.unwrap()
                })
            })
            .collect();
        let mut allowed = 0;
        for attempt in attempts {
            if attempt.await.unwrap().is_none() {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 3, "a burst gets exactly the free attempts, not one per request");
        let counted = store.accounts().sign_in_failures(&keys).await.unwrap();
        assert!(counted.iter().all(|(_, failures, _)| *failures == 3), "refused attempts count nothing: {counted:?}");

        // A success clears the count; the next attempt starts afresh, counted in advance.
        store.accounts().clear_sign_in_failures(&keys).await.unwrap();
        let never = |_: u32, _: DateTime<Utc>| None;
        let first = store.accounts().begin_sign_in_attempt(&keys, at(9, 1), at(0, 0), &never).await.unwrap();
        assert_eq!(first, None);
        assert_eq!(store.accounts().sign_in_failures(&keys).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn regression_merging_stories_keeps_their_comments_and_lock() {
    each_backend(|db| async move {
        let store = db.open().await;
        let accounts = store.accounts();
        let alice = user(&store, "alice").await;
        let bob = user(&store, "bob").await;
        let ids = articles(&store, "https://a.example/feed", None, &["a1", "a2", "a3"]).await;
        let (x, y, z) = (story(&store, ids[0]).await, story(&store, ids[1]).await, story(&store, ids[2]).await);
        let (on_x, on_y, on_z) = (CommentTarget::Story(x), CommentTarget::Story(y), CommentTarget::Story(z));
        let first = accounts.add_comment(comment(on_y, &alice, "On Y", 1)).await.unwrap();
        let reply = accounts
            .add_comment(NewComment { parent_id: Some(first.id), ..comment(on_y, &bob, "Reply on Y", 2) })
            .await
            .unwrap();
        let on_x_already = accounts.add_comment(comment(on_x, &bob, "On X", 3)).await.unwrap();
        accounts.set_thread_locked(on_y, true, at(10, 4)).await.unwrap();

        // Y converges into X: its thread goes with its articles, and so does its lock.
        let merge = |gone: StoryId| ClusteringBatch {
            merges: vec![(gone, StoryTarget::Existing(x))],
            ..ClusteringBatch::default()
        };
        store.record_clustering(at(10, 5), merge(y)).await.unwrap();
        let thread = accounts.comments_on(on_x, None).await.unwrap();
        assert_eq!(thread.iter().map(|c| c.id).collect::<Vec<_>>(), [first.id, reply.id, on_x_already.id]);
        assert!(thread.iter().all(|c| c.target == on_x), "{thread:?}");
        assert_eq!(thread[1].parent_id, Some(first.id), "replies keep their parent");
        assert_eq!(accounts.comments_on(on_y, None).await.unwrap(), thread, "Y's id shows the story it became");
        assert_eq!(accounts.comment_counts(&[on_x]).await.unwrap(), [(on_x, 3)]);
        assert!(accounts.thread_locked(on_x).await.unwrap(), "X is locked since Y was");
        assert!(accounts.thread_locked(on_y).await.unwrap());
        let locked = |r: Result<_, StoreError>| matches!(r, Err(StoreError::Refused(why)) if why.contains("locked"));
        assert!(locked(accounts.add_comment(comment(on_y, &bob, "Sneaking in", 6)).await.map(|_| ())));
        assert!(locked(accounts.add_comment(comment(on_x, &bob, "Sneaking in", 6)).await.map(|_| ())));

        // Unlocked through Y's id, X is open; a comment posted on Y is stored on X, as a reply where its parent is.
        accounts.set_thread_locked(on_y, false, at(10, 7)).await.unwrap();
        assert!(!accounts.thread_locked(on_x).await.unwrap());
        let late = accounts
            .add_comment(NewComment { parent_id: Some(first.id), ..comment(on_y, &alice, "Late reply", 8) })
            .await
            .unwrap();
        assert_eq!(late.target, on_x);
        assert_eq!(accounts.comment(late.id, None).await.unwrap().unwrap().target, on_x);
        let top = accounts.add_comment(comment(on_y, &alice, "Late, on its own", 9)).await.unwrap();
        assert_eq!(top.target, on_x);
        assert_eq!(accounts.comments_on(on_x, None).await.unwrap().len(), 5);
        // Checked the long way round (the parent is elsewhere), the merged story still means the one it became.
        let stray = accounts.add_comment(comment(on_z, &bob, "On Z", 10)).await.unwrap();
        match accounts.add_comment(NewComment { parent_id: Some(stray.id), ..comment(on_y, &bob, "x", 11) }).await {
            Err(StoreError::Refused(why)) => assert!(why.contains("not a comment on this page"), "{why}"),
            other => panic!("expected a refusal, got {other:?}"),
        }

        // Both locked: X stays locked, once; locking through a merged id locks the story it became.
        accounts.set_thread_locked(on_x, true, at(10, 12)).await.unwrap();
        accounts.set_thread_locked(on_z, true, at(10, 12)).await.unwrap();
        store.record_clustering(at(10, 13), merge(z)).await.unwrap();
        assert!(accounts.thread_locked(on_x).await.unwrap());
        assert_eq!(accounts.comments_on(on_x, None).await.unwrap().len(), 6, "Z's comment came along");
        accounts.set_thread_locked(on_x, false, at(10, 14)).await.unwrap();
        assert!(!accounts.thread_locked(on_z).await.unwrap(), "one lock row, not two");
        accounts.set_thread_locked(on_z, true, at(10, 15)).await.unwrap();
        assert!(accounts.thread_locked(on_x).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn regression_saving_an_article_deleted_meanwhile_reports_the_article() {
    each_backend(|db| async move {
        let store = db.open().await;
        let alice = user(&store, "alice").await;
        let ids = articles(&store, "https://a.example/feed", None, &["a1", "a2"]).await;
        // The article is deleted by a write that commits while the save is under way (it waits for the write's
        // lock): the save must not blame the account.
        let (commit, held) = common::hold_write(&db, "DELETE FROM articles WHERE id = $1", ids[0]).await;
        let saving = tokio::spawn({
            let store = store.clone();
            let (user, article) = (alice.id, ids[0]);
            async move { store.accounts().save_article(user, article, at(11, 0)).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        commit.send(()).unwrap();
        held.await.unwrap();
        match saving.await.unwrap() {
            Err(StoreError::NotFound { what: "article", id }) => assert_eq!(id, ids[0]),
            other => panic!("expected the article to be missing, got {other:?}"),
        }
        assert!(store.accounts().saved_articles(alice.id, 10).await.unwrap().is_empty());

        // A missing account is still named as such, and saving twice is still one save.
        assert!(matches!(
            store.accounts().save_article(9999, ids[1], at(11, 1)).await,
            Err(StoreError::NotFound { what: "user", id: 9999 })
        ));
        store.accounts().save_article(alice.id, ids[1], at(11, 2)).await.unwrap();
        store.accounts().save_article(alice.id, ids[1], at(11, 3)).await.unwrap();
        assert_eq!(store.accounts().saved_articles(alice.id, 10).await.unwrap().len(), 1);
    })
    .await;
}
