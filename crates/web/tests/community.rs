//! Accounts, comments and moderation through the site's own forms, in-process over a real SQLite store: sign-up
//! modes, sign-in with throttling and a second factor, comment threads as each reader sees them (held, hidden,
//! removed), hostile Markdown, locks, bans, the edit window, reset links, export and deletion.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use tidings_community::{tokens, totp};
use tidings_core::Store;
use tidings_core::accounts::{NewUser, OneTimePurpose, Role};
use tidings_core::config::{AccountsConfig, SignupMode};
use tidings_web::{AppState, router};
use tower::ServiceExt;

struct Site {
    store: Arc<dyn Store>,
    /// One web process's state for the whole test, so its in-memory throttles persist between requests.
    state: AppState,
    article: i64,
    _dir: tempfile::TempDir,
}

async fn site(config: AccountsConfig) -> Site {
    let common::OneArticle { store, article, dir } = common::one_article().await;
    let state = AppState::new(store.clone()).with_accounts(config);
    Site { store, state, article, _dir: dir }
}

/// A browser: its session cookie, if signed in.
struct Reader<'a> {
    site: &'a Site,
    session: Option<String>,
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
    session: Option<String>,
    /// The response's session `Set-Cookie` headers, whole.
    session_cookies: Vec<String>,
}

impl<'a> Reader<'a> {
    fn new(site: &'a Site) -> Reader<'a> {
        Reader { site, session: None }
    }

    /// Turns on the second factor of the signed-in account with a new secret, as the account page does; the
    /// secret and the code that confirmed it. That is the previous step's code (still accepted), which setting up
    /// uses, so that the current code is left to sign in with.
    async fn turn_on_second_factor(&mut self) -> (String, String) {
        let secret = totp::new_secret().unwrap();
        let code = totp::code_at(&secret, Utc::now().timestamp() - 30).unwrap();
        let on = self.post("/account/totp", &[("secret", &secret), ("code", &code)]).await;
        assert!(on.body.contains("Two-step sign-in is on."), "{}", on.body);
        (secret, code)
    }

    async fn send(&mut self, request: axum::http::request::Builder, body: String) -> Answer {
        let mut request = request.header(header::HOST, "news.example").header("sec-fetch-site", "same-origin");
        if let Some(session) = &self.session {
            request = request.header(header::COOKIE, format!("tidings_session={session}"));
        }
        let response = router(self.site.state.clone()).oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
        let status = response.status();
        let location = response.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned());
        let session_cookies: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter(|v| v.starts_with("tidings_session="))
            .map(str::to_owned)
            .collect();
        let session = session_cookies
            .first()
            .and_then(|v| v.strip_prefix("tidings_session="))
            .map(|v| v.split(';').next().unwrap().to_owned());
        if let Some(session) = &session {
            self.session = (!session.is_empty()).then(|| session.clone());
        }
        let body =
            String::from_utf8(axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap();
        Answer { status, location, body, session, session_cookies }
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.send(Request::get(path), String::new()).await
    }

    /// Posts a form with this session's CSRF token.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut body = format!("csrf={}", self.session.as_deref().map(tokens::csrf_for).unwrap_or_default());
        for (name, value) in fields {
            body.push_str(&format!("&{name}={}", encode(value)));
        }
        let request = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(request, body).await
    }

    async fn sign_up(&mut self, name: &str) -> Answer {
        // Not containing the name, which the password rules refuse.
        let password = "a long private passphrase";
        self.post("/signup", &[("username", name), ("password", password), ("confirm", password)]).await
    }

    async fn sign_in(&mut self, name: &str, password: &str, code: &str) -> Answer {
        self.post("/login", &[("username", name), ("password", password), ("code", code)]).await
    }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The comments section of a page.
fn thread(page: &str) -> &str {
    let from = page.find("<section class=\"comments\"").expect("a comments section");
    let rest = &page[from..];
    &rest[..rest.find("</section>").unwrap()]
}

async fn make(site: &Site, name: &str, role: Role, age: Duration) -> i64 {
    let hash = tidings_community::password::hash(&format!("{name} has a long password")).unwrap();
    let user = NewUser { username: name.into(), email: None, password_hash: hash, role, created_at: Utc::now() - age };
    site.store.accounts().create_user(user).await.unwrap().id
}

#[tokio::test]
async fn a_reader_signs_up_comments_replies_edits_and_others_see_it_rendered_safely() {
    let site = site(AccountsConfig::default()).await;
    let mut ada = Reader::new(&site);
    let signed_up = ada.sign_up("ada").await;
    assert_eq!(signed_up.status, StatusCode::SEE_OTHER);
    assert!(signed_up.session.is_some());
    assert!(ada.get("/account").await.body.contains("Signed in as ada (reader)."));

    let article = format!("/articles/{}", site.article);
    let hostile = "Hi <script>alert(1)</script> **bold** [x](javascript:alert(1)) [ok](https://example.org/a)";
    let posted = ada.post(&format!("{article}/comments"), &[("body", hostile)]).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    // A new account's comment with a link waits for a moderator: its author sees it, marked; others do not.
    let own = ada.get(&article).await.body;
    assert!(thread(&own).contains("Held for a moderator"), "{}", thread(&own));
    let mut anonymous = Reader::new(&site);
    assert!(!thread(&anonymous.get(&article).await.body).contains("bold"));

    let mut mona = Reader::new(&site);
    make(&site, "mona", Role::Moderator, Duration::days(30)).await;
    assert_eq!(mona.sign_in("mona", "mona has a long password", "").await.status, StatusCode::SEE_OTHER);
    let queue = mona.get("/moderation").await.body;
    assert!(queue.contains("1 comment held for review"), "{queue}");
    let id: i64 = posted.location.unwrap().rsplit("#comment-").next().unwrap().parse().unwrap();
    assert_eq!(mona.post(&format!("/moderation/comments/{id}/approve"), &[]).await.status, StatusCode::SEE_OTHER);

    let seen = anonymous.get(&article).await.body;
    let shown = thread(&seen);
    assert!(shown.contains("<strong>bold</strong>"), "{shown}");
    assert!(shown.contains("&lt;script&gt;") && !shown.contains("<script>"), "{shown}");
    assert!(!shown.contains("href=\"javascript:"), "{shown}");
    assert!(
        shown.contains("<a href=\"https://example.org/a\" rel=\"nofollow ugc noopener noreferrer\">ok</a>"),
        "{shown}"
    );
    assert!(seen.contains("1 comment"));
    let api = anonymous.get(&format!("/api/v1/articles/{}", site.article)).await.body;
    assert!(api.contains("\"comments\":1"), "the article's API object counts the visible comment: {api}");
    // So do the lists that carry it (one count query per list, not per article).
    let listed: serde_json::Value = serde_json::from_str(&anonymous.get("/api/v1/articles").await.body).unwrap();
    let item = listed["articles"].as_array().unwrap().iter().find(|a| a["id"] == site.article).unwrap();
    assert_eq!(item["comments"], 1, "the list item counts it too: {item}");
    let outlet = item["outlet_id"].as_i64().unwrap();
    let detail: serde_json::Value =
        serde_json::from_str(&anonymous.get(&format!("/api/v1/outlets/{outlet}")).await.body).unwrap();
    assert_eq!(detail["articles"][0]["comments"], 1, "{detail}");

    // Another reader replies; the author edits within the window.
    make(&site, "bert", Role::Reader, Duration::days(30)).await;
    let mut bert = Reader::new(&site);
    bert.sign_in("bert", "bert has a long password", "").await;
    let reply =
        bert.post(&format!("{article}/comments"), &[("body", "I disagree."), ("parent", &id.to_string())]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(bert.post(&format!("/comments/{id}/edit"), &[("body", "Not mine")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        ada.post(&format!("/comments/{id}/edit"), &[("body", "Edited text")]).await.status,
        StatusCode::SEE_OTHER
    );
    let seen = anonymous.get(&article).await.body;
    assert!(thread(&seen).contains("Edited text") && thread(&seen).contains("in reply to ada"), "{}", thread(&seen));
    // The same text twice in a row is refused, saying why.
    let again = bert.post(&format!("{article}/comments"), &[("body", "I disagree.")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("same comment"), "{}", again.body);

    // Votes order the thread by best; newest first on request.
    assert_eq!(bert.post(&format!("/comments/{id}/vote"), &[("value", "up")]).await.status, StatusCode::SEE_OTHER);
    let best = anonymous.get(&article).await.body;
    assert!(thread(&best).contains("1 point"));
    let newest = anonymous.get(&format!("{article}?comments=newest")).await.body;
    assert!(thread(&newest).contains("<strong>newest</strong>"));
}

#[tokio::test]
async fn moderators_hide_lock_and_ban_and_every_action_is_logged() {
    let site = site(AccountsConfig::default()).await;
    let carl = make(&site, "carl", Role::Reader, Duration::days(30)).await;
    make(&site, "mona", Role::Moderator, Duration::days(30)).await;
    let (mut c, mut m, mut anonymous) = (Reader::new(&site), Reader::new(&site), Reader::new(&site));
    c.sign_in("carl", "carl has a long password", "").await;
    m.sign_in("mona", "mona has a long password", "").await;
    let article = format!("/articles/{}", site.article);
    let posted = c.post(&format!("{article}/comments"), &[("body", "Something rude")]).await;
    let id: i64 = posted.location.unwrap().rsplit("#comment-").next().unwrap().parse().unwrap();
    assert_eq!(m.post(&format!("/comments/{id}/report"), &[("reason", "rude")]).await.status, StatusCode::OK);
    assert!(m.get("/moderation").await.body.contains("mona: rude"));
    let reply =
        m.post(&format!("{article}/comments"), &[("body", "Please keep it civil."), ("parent", &id.to_string())]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    m.post(&format!("/moderation/comments/{id}/hide"), &[("reason", "rude")]).await;
    // Regression: a hidden comment with a reply was shown in full, as the reply's parent.
    let seen = anonymous.get(&article).await.body;
    let shown = thread(&seen);
    assert!(!shown.contains("Something rude") && shown.contains("[not shown]"), "{shown}");
    assert!(shown.contains("Please keep it civil."), "{shown}");
    assert!(thread(&c.get(&article).await.body).contains("Hidden by a moderator"));
    assert!(m.get("/moderation").await.body.contains("0 reported comments"));

    m.post(&format!("/moderation/threads/articles/{}/lock", site.article), &[]).await;
    let locked = c.post(&format!("{article}/comments"), &[("body", "Let me in")]).await;
    assert_eq!(locked.status, StatusCode::CONFLICT);
    m.post(&format!("/moderation/threads/articles/{}/unlock", site.article), &[]).await;
    m.post(&format!("/moderation/users/{carl}/ban"), &[("days", "2")]).await;
    let banned = c.post(&format!("{article}/comments"), &[("body", "Still here")]).await;
    assert_eq!(banned.status, StatusCode::FORBIDDEN);
    assert!(banned.body.contains("may not post until"));
    // A reader cannot moderate, and a moderator cannot ban a moderator or change roles.
    assert_eq!(c.post(&format!("/moderation/comments/{id}/approve"), &[]).await.status, StatusCode::FORBIDDEN);

    let log = m.get("/moderation/log").await.body;
    for action in ["hide", "lock", "unlock", "ban"] {
        assert!(log.contains(&format!("<td>{action}</td>")), "{action} not logged: {log}");
    }
}

#[tokio::test]
async fn sign_up_follows_the_configured_mode_and_invitations_work_once() {
    let closed = site(AccountsConfig { signup: SignupMode::Closed, ..AccountsConfig::default() }).await;
    assert_eq!(Reader::new(&closed).sign_up("dora").await.status, StatusCode::FORBIDDEN);

    let invite = site(AccountsConfig { signup: SignupMode::Invite, ..AccountsConfig::default() }).await;
    assert_eq!(Reader::new(&invite).sign_up("dora").await.status, StatusCode::FORBIDDEN);
    let token = "an-invitation-token";
    let expires = Utc::now() + Duration::days(1);
    invite
        .store
        .accounts()
        .create_one_time_token(OneTimePurpose::Invite, &tokens::hash(token), None, None, expires)
        .await
        .unwrap();
    let password = "a long private passphrase";
    let fields = [("username", "dora"), ("password", password), ("confirm", password), ("invite", token)];
    assert_eq!(Reader::new(&invite).post("/signup", &fields).await.status, StatusCode::SEE_OTHER);
    let fields = [("username", "eve"), ("password", password), ("confirm", password), ("invite", token)];
    assert_eq!(Reader::new(&invite).post("/signup", &fields).await.status, StatusCode::FORBIDDEN, "used once");

    let open = site(AccountsConfig::default()).await;
    let taken = {
        Reader::new(&open).sign_up("Fred").await;
        Reader::new(&open).sign_up("fred").await
    };
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(taken.body.contains("is taken"));
    let weak =
        Reader::new(&open).post("/signup", &[("username", "gus"), ("password", "short"), ("confirm", "short")]).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn sign_in_slows_down_after_failures_and_asks_for_the_second_factor() {
    let site = site(AccountsConfig { login_free_failures: 3, ..AccountsConfig::default() }).await;
    make(&site, "hana", Role::Reader, Duration::days(1)).await;
    make(&site, "hiro", Role::Reader, Duration::days(1)).await;
    let mut guesser = Reader::new(&site);
    for _ in 0..3 {
        assert_eq!(guesser.sign_in("hana", "wrong password!", "").await.status, StatusCode::UNAUTHORIZED);
    }
    let slowed = guesser.sign_in("hana", "hana has a long password", "").await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(slowed.body.contains("Too many failed sign-ins"));

    let mut reader = Reader::new(&site);
    let ok = reader.sign_in("hiro", "hiro has a long password", "").await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);

    // Turn on the second factor with a code from the secret the page offers.
    let (secret, _) = reader.turn_on_second_factor().await;
    let mut later = Reader::new(&site);
    let without = later.sign_in("hiro", "hiro has a long password", "").await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED);
    assert!(without.body.contains("enter the code"));
    let code = totp::code_at(&secret, Utc::now().timestamp()).unwrap();
    assert_eq!(later.sign_in("hiro", "hiro has a long password", &code).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_old_sessions() {
    let site = site(AccountsConfig::default()).await;
    let ivan = make(&site, "ivan", Role::Reader, Duration::days(1)).await;
    let mut old = Reader::new(&site);
    old.sign_in("ivan", "ivan has a long password", "").await;
    let token = "a-reset-token";
    site.store
        .accounts()
        .create_one_time_token(
            OneTimePurpose::PasswordReset,
            &tokens::hash(token),
            Some(ivan),
            None,
            Utc::now() + Duration::hours(1),
        )
        .await
        .unwrap();
    let mut anyone = Reader::new(&site);
    assert_eq!(anyone.get(&format!("/reset/{token}")).await.status, StatusCode::OK);
    let fields = [("password", "a brand new password"), ("confirm", "a brand new password")];
    let reset = anyone.post(&format!("/reset/{token}"), &fields).await;
    assert_eq!(reset.location.as_deref(), Some("/login?done=reset"));
    assert_eq!(anyone.post(&format!("/reset/{token}"), &fields).await.status, StatusCode::NOT_FOUND, "once only");
    assert_eq!(old.get("/account").await.status, StatusCode::SEE_OTHER, "the old session ended");
    assert_eq!(Reader::new(&site).sign_in("ivan", "a brand new password", "").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_reader_exports_then_deletes_their_data_and_the_thread_keeps_its_shape() {
    let site = site(AccountsConfig::default()).await;
    make(&site, "june", Role::Reader, Duration::days(30)).await;
    make(&site, "kai", Role::Reader, Duration::days(30)).await;
    let (mut june, mut kai) = (Reader::new(&site), Reader::new(&site));
    june.sign_in("june", "june has a long password", "").await;
    kai.sign_in("kai", "kai has a long password", "").await;
    let article = format!("/articles/{}", site.article);
    let posted = june.post(&format!("{article}/comments"), &[("body", "My first words")]).await;
    let id = posted.location.unwrap().rsplit("#comment-").next().unwrap().to_owned();
    kai.post(&format!("{article}/comments"), &[("body", "A reply to June"), ("parent", &id)]).await;
    june.post("/follow", &[("kind", "topic"), ("key", "Local"), ("back", "/topics/Local")]).await;
    june.post(&format!("{article}/save"), &[]).await;
    assert!(june.get("/for-you").await.body.contains("Council approves the tram"));
    assert!(june.get("/saved").await.body.contains("Council approves the tram"));

    let export: serde_json::Value = serde_json::from_str(&june.get("/account/export.json").await.body).unwrap();
    assert_eq!(export["account"]["username"], "june");
    assert_eq!(export["comments"][0]["body"], "My first words");
    assert_eq!(export["follows"][0]["key"], "Local");
    assert_eq!(export["saved"][0]["title"], "Council approves the tram");

    let deleted = june.post("/account/delete", &[("current", "june has a long password")]).await;
    assert_eq!(deleted.location.as_deref(), Some("/login?done=deleted"));
    let seen = Reader::new(&site).get(&article).await.body;
    let shown = thread(&seen);
    assert!(
        !shown.contains("My first words") && shown.contains("[deleted]") && shown.contains("A reply to June"),
        "{shown}"
    );
    assert!(site.store.accounts().user_by_name("june").await.unwrap().is_none());
}

#[tokio::test]
async fn comments_cannot_be_edited_after_the_window() {
    let site = site(AccountsConfig { edit_window_mins: 0, ..AccountsConfig::default() }).await;
    make(&site, "lea", Role::Reader, Duration::days(30)).await;
    let mut lea = Reader::new(&site);
    lea.sign_in("lea", "lea has a long password", "").await;
    let posted = lea.post(&format!("/articles/{}/comments", site.article), &[("body", "Typo here")]).await;
    let id = posted.location.unwrap().rsplit("#comment-").next().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let edit = lea.post(&format!("/comments/{id}/edit"), &[("body", "Fixed")]).await;
    assert_eq!(edit.status, StatusCode::CONFLICT);
    assert!(edit.body.contains("can no longer be"), "{}", edit.body);
}

/// A mail relay on loopback that speaks just enough SMTP, and hands over each message it is given.
async fn mail_relay() -> (String, tokio::sync::mpsc::Receiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 relay.test ESMTP\r\n").await.unwrap();
                let mut in_data = false;
                let mut message = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            sender.send(std::mem::take(&mut message)).await.unwrap();
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            message.push_str(&line);
                            message.push('\n');
                        }
                        continue;
                    }
                    let reply: &[u8] = match line.get(..4).unwrap_or("").to_ascii_uppercase().as_str() {
                        "EHLO" => b"250-relay.test\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go on\r\n"
                        }
                        "QUIT" => b"221 bye\r\n",
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (address, receiver)
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_link_sent_by_mail() {
    let (relay, mut mails) = mail_relay().await;
    let config = AccountsConfig {
        smtp_url: format!("smtp://{relay}"),
        mail_from: "Tidings <news@example.org>".into(),
        public_url: "https://news.example".into(),
        ..AccountsConfig::default()
    };
    let site = site(config).await;
    let hash = tidings_community::password::hash("mia has a long password").unwrap();
    let user = NewUser {
        username: "mia".into(),
        email: Some("mia@example.org".into()),
        password_hash: hash,
        role: Role::Reader,
        created_at: Utc::now(),
    };
    site.store.accounts().create_user(user).await.unwrap();
    make(&site, "noel", Role::Reader, Duration::days(1)).await;

    let mut anyone = Reader::new(&site);
    assert!(anyone.get("/login").await.body.contains("href=\"/forgot\""));
    // The same answer for an account with an address, one without, and no account at all.
    let answers = [
        anyone.post("/forgot", &[("username", "mia")]).await,
        anyone.post("/forgot", &[("username", "noel")]).await,
        anyone.post("/forgot", &[("username", "nobody")]).await,
    ];
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.body.contains("a link is on its way"), "{}", answer.body);
    }
    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), mails.recv()).await.unwrap().unwrap();
    assert!(mail.contains("To: <mia@example.org>") && mail.contains("From: Tidings <news@example.org>"), "{mail}");
    let link = mail.lines().find(|l| l.starts_with("https://news.example/reset/")).expect("a reset link");
    let path = link.trim_start_matches("https://news.example");
    let fields = [("password", "a brand new password"), ("confirm", "a brand new password")];
    assert_eq!(anyone.post(path, &fields).await.location.as_deref(), Some("/login?done=reset"));
    assert_eq!(Reader::new(&site).sign_in("mia", "a brand new password", "").await.status, StatusCode::SEE_OTHER);
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), mails.recv()).await.is_err(),
        "no mail for the account without an address"
    );
}

/// Regression: the cookie set at sign-in expired `session_days` after sign-in even though the database extends a
/// session with use, so a reader who came back every day was signed out all the same.
#[tokio::test]
async fn a_session_in_use_gets_its_cookie_extended_and_sign_out_still_ends_it() {
    let site = site(AccountsConfig::default()).await;
    make(&site, "cleo", Role::Reader, Duration::days(30)).await;
    let mut cleo = Reader::new(&site);
    assert_eq!(cleo.sign_in("cleo", "cleo has a long password", "").await.status, StatusCode::SEE_OTHER);
    let token = cleo.session.clone().unwrap();
    assert!(cleo.get("/account").await.session_cookies.is_empty(), "a session just used is not extended again");

    let last_used = Utc::now() - Duration::hours(1);
    let accounts = site.store.accounts();
    accounts.touch_session(&tokens::hash(&token), last_used, last_used + Duration::days(30)).await.unwrap();
    let page = cleo.get("/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.session_cookies.len(), 1, "{:?}", page.session_cookies);
    let renewed = &page.session_cookies[0];
    assert!(renewed.starts_with(&format!("tidings_session={token};")), "{renewed}");
    assert!(renewed.contains("Max-Age=2592000") && renewed.contains("HttpOnly"), "{renewed}");

    // Signing out with a session due for extension ends it: no renewal rides along with the cleared cookie.
    accounts.touch_session(&tokens::hash(&token), last_used, last_used + Duration::days(30)).await.unwrap();
    let out = cleo.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.session_cookies.len(), 1, "{:?}", out.session_cookies);
    assert!(out.session_cookies[0].starts_with("tidings_session=;"), "{:?}", out.session_cookies);
    assert!(!cleo.get("/account").await.body.contains("Signed in as cleo"));
}

#[tokio::test]
async fn the_openapi_document_gives_the_configured_comment_length() {
    for max in [500, 20_000] {
        let site = site(AccountsConfig { max_comment_chars: max, ..AccountsConfig::default() }).await;
        let doc = Reader::new(&site).get("/api/openapi.json").await;
        assert_eq!(doc.status, StatusCode::OK);
        let doc: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
        for schema in ["NewCommentRequest", "EditCommentRequest"] {
            let body = &doc["components"]["schemas"][schema]["properties"]["body"];
            assert_eq!(body["maxLength"], max, "{schema}: {body}");
        }
    }
}

#[tokio::test]
async fn regression_being_asked_for_the_second_factor_code_is_not_a_failed_sign_in() {
    let site = site(AccountsConfig { login_free_failures: 3, ..AccountsConfig::default() }).await;
    make(&site, "iris", Role::Reader, Duration::days(1)).await;
    let password = "iris has a long password";
    let mut reader = Reader::new(&site);
    assert_eq!(reader.sign_in("iris", password, "").await.status, StatusCode::SEE_OTHER);
    let (secret, _) = reader.turn_on_second_factor().await;

    // The right password without the code, more times than the free failures: asked for the code each time.
    let mut later = Reader::new(&site);
    for _ in 0..5 {
        let asked = later.sign_in("iris", password, "").await;
        assert_eq!(asked.status, StatusCode::UNAUTHORIZED);
        assert!(asked.body.contains("enter the code"), "{}", asked.body);
    }
    // Wrong codes still count, and sending no code does not wipe them out.
    let code = totp::code_at(&secret, Utc::now().timestamp()).unwrap();
    let wrong = if code == "123456" { "654321" } else { "123456" };
    for _ in 0..3 {
        assert_eq!(later.sign_in("iris", password, wrong).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(later.sign_in("iris", password, "").await.status, StatusCode::TOO_MANY_REQUESTS);
    let code = totp::code_at(&secret, Utc::now().timestamp()).unwrap();
    assert_eq!(later.sign_in("iris", password, &code).await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn second_factor_secrets_are_sealed_in_the_database_and_plain_ones_at_the_next_sign_in() {
    let mut site = site(AccountsConfig::default()).await;
    let key = totp::SealingKey::generate().unwrap();
    site.state = site.state.clone().with_sealing_key(key.clone());
    let kai = make(&site, "kai", Role::Reader, Duration::days(1)).await;
    let password = "kai has a long password";
    let stored = || async { site.store.accounts().credentials("kai").await.unwrap().unwrap().totp_secret };
    let mut reader = Reader::new(&site);
    assert_eq!(reader.sign_in("kai", password, "").await.status, StatusCode::SEE_OTHER);
    let (secret, _) = reader.turn_on_second_factor().await;
    let sealed = stored().await.unwrap();
    assert!(totp::is_sealed(&sealed) && !sealed.contains(&secret), "{sealed}");
    assert_eq!(totp::unseal(Some(&key), kai, &sealed).unwrap(), secret);
    let code = totp::code_at(&secret, Utc::now().timestamp()).unwrap();
    assert_eq!(Reader::new(&site).sign_in("kai", password, &code).await.status, StatusCode::SEE_OTHER);

    // A secret stored plain (by a version before sealing) still signs in, and is sealed then (with the next
    // step's code: each code signs in once).
    site.store.accounts().set_totp(kai, Some(&secret)).await.unwrap();
    let code = totp::code_at(&secret, Utc::now().timestamp() + 30).unwrap();
    assert_eq!(Reader::new(&site).sign_in("kai", password, &code).await.status, StatusCode::SEE_OTHER);
    let resealed = stored().await.unwrap();
    assert!(totp::is_sealed(&resealed), "{resealed}");
    assert_eq!(totp::unseal(Some(&key), kai, &resealed).unwrap(), secret);

    // With another key (the key file lost and made again) the right code is refused, until the operator turns
    // the second factor off (`tidings users remove-2fa`) and the password alone signs in.
    site.state = site.state.clone().with_sealing_key(totp::SealingKey::generate().unwrap());
    let refused = Reader::new(&site).sign_in("kai", password, &code).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused.body.contains("That code is not right"),
        "refused for the key, not as a reused code: {}",
        refused.body
    );
    site.store.accounts().set_totp(kai, None).await.unwrap();
    assert_eq!(Reader::new(&site).sign_in("kai", password, "").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_second_factor_code_signs_in_once() {
    let site = site(AccountsConfig::default()).await;
    make(&site, "lena", Role::Reader, Duration::days(1)).await;
    let password = "lena has a long password";
    let mut reader = Reader::new(&site);
    assert_eq!(reader.sign_in("lena", password, "").await.status, StatusCode::SEE_OTHER);
    let (secret, _) = reader.turn_on_second_factor().await;

    let code = totp::code_at(&secret, Utc::now().timestamp()).unwrap();
    assert_eq!(Reader::new(&site).sign_in("lena", password, &code).await.status, StatusCode::SEE_OTHER);
    let replayed = Reader::new(&site).sign_in("lena", password, &code).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED);
    assert!(replayed.body.contains("used to sign in already"), "{}", replayed.body);
    let next = totp::code_at(&secret, Utc::now().timestamp() + 30).unwrap();
    assert_eq!(Reader::new(&site).sign_in("lena", password, &next).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_code_that_confirms_the_setup_does_not_sign_in_as_well() {
    let site = site(AccountsConfig::default()).await;
    make(&site, "omar", Role::Reader, Duration::days(1)).await;
    let password = "omar has a long password";
    let mut reader = Reader::new(&site);
    assert_eq!(reader.sign_in("omar", password, "").await.status, StatusCode::SEE_OTHER);
    let (_, code) = reader.turn_on_second_factor().await;
    let replayed = Reader::new(&site).sign_in("omar", password, &code).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED);
    assert!(replayed.body.contains("used to sign in already"), "{}", replayed.body);
}

#[tokio::test]
async fn regression_an_edit_meets_the_hold_rules_and_a_banned_reader_cannot_edit() {
    let site = site(AccountsConfig::default()).await;
    let kim = make(&site, "kim", Role::Reader, Duration::days(30)).await;
    make(&site, "mona", Role::Moderator, Duration::days(30)).await;
    let (mut k, mut m, mut anonymous) = (Reader::new(&site), Reader::new(&site), Reader::new(&site));
    k.sign_in("kim", "kim has a long password", "").await;
    m.sign_in("mona", "mona has a long password", "").await;
    let article = format!("/articles/{}", site.article);
    let posted = k.post(&format!("{article}/comments"), &[("body", "A fair point")]).await;
    let id: i64 = posted.location.unwrap().rsplit("#comment-").next().unwrap().parse().unwrap();
    assert!(thread(&anonymous.get(&article).await.body).contains("A fair point"));

    // Edited into what posting would have held (four links): it waits for a moderator.
    let spam = "[a](https://a.example) [b](https://b.example) [c](https://c.example) [d](https://d.example)";
    let edited = k.post(&format!("/comments/{id}/edit"), &[("body", spam)]).await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let seen = anonymous.get(&article).await.body;
    assert!(!thread(&seen).contains("a.example"), "held, not shown: {}", thread(&seen));
    assert!(m.get("/moderation").await.body.contains("d.example"), "in the moderation queue");

    // Banned: no edits either, by form or by API token.
    m.post(&format!("/moderation/users/{kim}/ban"), &[("days", "2")]).await;
    let banned = k.post(&format!("/comments/{id}/edit"), &[("body", "Sneaky")]).await;
    assert_eq!(banned.status, StatusCode::FORBIDDEN, "{}", banned.body);
    let token = "kim-api-token-kim-api-token";
    site.store.accounts().create_api_token(kim, &tokens::hash(token), "test", Utc::now()).await.unwrap();
    let request = Request::patch(format!("/api/v1/comments/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"body": "Sneaky"}"#))
        .unwrap();
    let response = router(site.state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!m.get("/moderation").await.body.contains("Sneaky"));
}

#[tokio::test]
async fn regression_approving_a_reported_comment_its_author_deleted_keeps_it_deleted() {
    let site = site(AccountsConfig::default()).await;
    make(&site, "ivo", Role::Reader, Duration::days(30)).await;
    make(&site, "mona", Role::Moderator, Duration::days(30)).await;
    let (mut i, mut m, mut anonymous) = (Reader::new(&site), Reader::new(&site), Reader::new(&site));
    i.sign_in("ivo", "ivo has a long password", "").await;
    m.sign_in("mona", "mona has a long password", "").await;
    let article = format!("/articles/{}", site.article);
    let posted = i.post(&format!("{article}/comments"), &[("body", "Regrettable words")]).await;
    let id: i64 = posted.location.unwrap().rsplit("#comment-").next().unwrap().parse().unwrap();
    m.post(&format!("/comments/{id}/report"), &[("reason", "rude")]).await;
    assert_eq!(i.post(&format!("/comments/{id}/delete"), &[]).await.status, StatusCode::SEE_OTHER);
    m.post(&format!("/moderation/comments/{id}/approve"), &[]).await;
    let comment = site.store.accounts().comment(id, None).await.unwrap().unwrap();
    assert_eq!(comment.status, tidings_core::accounts::CommentStatus::Removed);
    let seen = anonymous.get(&article).await.body;
    assert!(!thread(&seen).contains(&format!("id=\"comment-{id}\"")), "not back in the thread: {}", thread(&seen));
}
