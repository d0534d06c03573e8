//! `tidings sources …`, `tidings stories …`, `tidings users …` and configuration errors, through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env { dir: tempfile::tempdir().unwrap() }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tidings"))
            .args(args)
            .current_dir(self.dir.path())
            .env("TIDINGS_DATA_DIR", self.dir.path().join("data"))
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

const OPML: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/subscriptions.opml");

#[test]
fn import_list_export_remove() {
    let env = Env::new();
    assert!(env.ok(&["sources", "import", OPML]).contains("imported 3 sources"));
    assert!(env.ok(&["sources", "import", OPML]).contains("imported 0 sources"), "a second import adds nothing");

    let listed: serde_json::Value = serde_json::from_str(&env.ok(&["sources", "list", "--json"])).unwrap();
    let sources = listed.as_array().unwrap();
    assert_eq!(sources.len(), 3);
    assert_eq!(sources[1]["title"], "Canal & Quay");
    assert_eq!(sources[1]["category"], "World/Europe");
    assert_eq!(sources[0]["error_count"], 0);

    let table = env.ok(&["sources", "list"]);
    assert!(table.contains("LAST SUCCESS") && table.contains("never") && table.contains("Northwind Post"), "{table}");

    let exported = env.ok(&["sources", "export"]);
    assert!(
        exported.contains("xmlUrl=\"https://canal.example/feed\"") && exported.contains("text=\"World/Europe\""),
        "{exported}"
    );

    assert!(env.ok(&["sources", "remove", "https://canal.example/feed"]).contains("removed source"));
    assert!(
        env.ok(&["sources", "add", "https://new.example/feed.xml", "--no-discover", "--category", "Tech"])
            .contains("added source")
    );
    let listed: serde_json::Value = serde_json::from_str(&env.ok(&["sources", "list", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);

    let again = env.run(&["sources", "add", "https://new.example/feed.xml", "--no-discover"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let missing = env.run(&["sources", "remove", "999"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no source \"999\""));
}

#[test]
fn a_broken_opml_file_is_named_in_the_error() {
    let env = Env::new();
    let path = env.dir.path().join("broken.opml");
    std::fs::write(&path, "<html><body>not opml</body></html>").unwrap();
    let out = env.run(&["sources", "import", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.opml") && stderr.contains("not an OPML document"), "{stderr}");
}

#[test]
fn adding_a_private_address_is_refused_by_the_guard() {
    let env = Env::new();
    let out = env.run(&["sources", "add", "http://169.254.169.254/latest/meta-data/"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("169.254.169.254") && stderr.contains("blocked"), "{stderr}");
}

#[test]
fn config_errors_name_the_file_or_variable() {
    let env = Env::new();
    std::fs::write(env.dir.path().join("tidings.toml"), "[fetch]\ntimeout = 5\n").unwrap();
    let out = env.run(&["config"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tidings.toml") && stderr.contains("timeout"), "{stderr}");

    std::fs::remove_file(env.dir.path().join("tidings.toml")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("config")
        .env("TIDINGS_POLL__CONCURRENCY", "many")
        .current_dir(env.dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TIDINGS_POLL__CONCURRENCY"));

    let shown = env.ok(&["config"]);
    assert!(shown.contains("allow_private_networks = false"), "{shown}");
}

#[test]
fn a_skip_rule_that_is_not_a_regular_expression_is_named() {
    let env = Env::new();
    std::fs::write(env.dir.path().join("tidings.toml"), "[poll]\nskip_rules = [\"^sponsored\", \"live (blog\"]\n")
        .unwrap();
    let out = env.run(&["stories", "update"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[poll] skip_rules: skip rule #2 \"live (blog\"") && stderr.contains("unclosed group"),
        "{stderr}"
    );
}

#[test]
fn stories_commands_on_an_empty_database_explain_themselves() {
    let env = Env::new();
    assert!(env.ok(&["stories", "list"]).contains("no stories yet"));
    assert!(env.ok(&["stories", "update"]).contains("0 articles clustered"));
    let missing = env.run(&["stories", "show", "999"]);
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("there is no story 999"), "{stderr}");
}

#[test]
fn an_operator_turns_off_a_lost_second_factor() {
    let env = Env::new();
    assert!(env.ok(&["users", "add", "kai"]).contains("Its password, shown only now"));

    let url = format!("sqlite://{}", env.dir.path().join("data/tidings.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = tidings_store::open(&url).await.unwrap();
        let kai = store.accounts().user_by_name("kai").await.unwrap().unwrap();
        store.accounts().set_totp(kai.id, Some("JBSWY3DPEHPK3PXP")).await.unwrap();
    });
    let listed = env.ok(&["users", "list"]);
    let row = listed.lines().find(|l| l.contains(" kai ")).unwrap();
    assert!(listed.contains("2fa") && row.contains(" on "), "{listed}");

    assert!(env.ok(&["users", "remove-2fa", "kai"]).contains("password alone"));
    let row = env.ok(&["users", "list"]).lines().find(|l| l.contains(" kai ")).unwrap().to_owned();
    assert!(!row.contains(" on "), "{row}");
    assert!(env.ok(&["users", "remove-2fa", "kai"]).contains("nothing to do"));
    let missing = env.run(&["users", "remove-2fa", "nobody"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no account named \"nobody\""));
}

#[test]
fn a_backup_is_a_working_copy_and_never_overwrites() {
    let env = Env::new();
    assert!(env.ok(&["users", "add", "kai"]).contains("Its password, shown only now"));
    let copy = env.dir.path().join("copy.db");
    let copy_arg = copy.to_str().unwrap();
    let printed = env.ok(&["backup", copy_arg]);
    assert!(printed.contains("a consistent copy") && printed.contains("To restore"), "{printed}");

    // The copy is a database Tidings opens, with what the original holds.
    let url = format!("sqlite://{}", copy.display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = tidings_store::open(&url).await.unwrap();
        assert!(store.accounts().user_by_name("kai").await.unwrap().is_some());
    });

    let again = env.run(&["backup", copy_arg]);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("copy.db exists already"), "{stderr}");

    // A data directory with no database in it: an error, and no empty database made to copy.
    let elsewhere = env.dir.path().join("nothing-here");
    std::fs::create_dir(&elsewhere).unwrap();
    let missing = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["backup", env.dir.path().join("copy2.db").to_str().unwrap()])
        .current_dir(env.dir.path())
        .env("TIDINGS_DATA_DIR", &elsewhere)
        .output()
        .unwrap();
    assert!(!missing.status.success(), "no database there: an error, not an empty copy");
    assert!(!elsewhere.join("tidings.db").exists());
}

#[test]
fn a_sources_own_skip_rules_are_set_shown_and_cleared() {
    let env = Env::new();
    assert!(env.ok(&["sources", "add", "https://new.example/feed.xml", "--no-discover"]).contains("added source"));
    let feed = "https://new.example/feed.xml";
    assert!(env.ok(&["sources", "skip", feed]).contains("no skip rules of its own"));
    assert!(env.ok(&["sources", "skip", feed, "^sponsored\\b", "/podcasts?/"]).contains("2 skip rule(s)"));
    assert_eq!(env.ok(&["sources", "skip", feed]), "^sponsored\\b\n/podcasts?/\n");
    let listed: serde_json::Value = serde_json::from_str(&env.ok(&["sources", "list", "--json"])).unwrap();
    assert_eq!(listed[0]["skip_rules"][1], "/podcasts?/");

    let bad = env.run(&["sources", "skip", feed, "live (blog"]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("skip rules of source 1 https://new.example/feed.xml: not changed"), "{stderr}");
    assert!(stderr.contains("skip rule #1 \"live (blog\""), "{stderr}");
    assert!(env.ok(&["sources", "skip", feed]).contains("/podcasts?/"), "the old rules stay");

    assert!(env.ok(&["sources", "skip", feed, "--clear"]).contains("0 skip rule(s)"));
    assert!(env.ok(&["sources", "skip", feed]).contains("no skip rules of its own"));
}

#[test]
fn a_sources_category_is_set_shown_and_cleared() {
    let env = Env::new();
    let feed = "https://new.example/feed.xml";
    assert!(env.ok(&["sources", "add", feed, "--no-discover", "--category", "World"]).contains("added source"));
    assert!(env.ok(&["sources", "category", feed]).ends_with(": World\n"));
    assert!(env.ok(&["sources", "category", "1", " Science "]).ends_with(": Science\n"));
    let listed: serde_json::Value = serde_json::from_str(&env.ok(&["sources", "list", "--json"])).unwrap();
    assert_eq!(listed[0]["category"], "Science");

    let long = "x".repeat(201);
    let bad = env.run(&["sources", "category", feed, &long]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("source 1 https://new.example/feed.xml: not changed"), "{stderr}");
    assert!(stderr.contains("category: at most 200 characters"), "{stderr}");

    assert!(env.ok(&["sources", "category", feed, "--clear"]).ends_with(": no category\n"));
    assert!(env.ok(&["sources", "category", feed]).contains("has no category"));
}

#[test]
fn leans_come_from_opml_the_lean_command_and_sources_add_and_go_out_in_the_export() {
    let env = Env::new();
    let opml = env.dir.path().join("leans.opml");
    std::fs::write(
        &opml,
        r#"<opml version="2.0"><body>
  <outline text="Rated" xmlUrl="https://rated.example/feed" lean="Lean-Left"/>
  <outline text="Odd" xmlUrl="https://odd.example/feed" lean="far-out"/>
  <outline text="Plain" xmlUrl="https://plain.example/feed"/>
</body></opml>"#,
    )
    .unwrap();
    let out = env.run(&["sources", "import", opml.to_str().unwrap()]);
    assert!(out.status.success(), "a lean that cannot be read does not stop the import");
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 3 sources"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("https://odd.example/feed: lean \"far-out\" is not one of"), "{stderr}");

    let listed: serde_json::Value = serde_json::from_str(&env.ok(&["sources", "list", "--json"])).unwrap();
    assert_eq!(listed[0]["lean"], "lean-left");
    assert!(listed[1]["lean"].is_null() && listed[2]["lean"].is_null(), "{listed}");
    assert!(env.ok(&["sources", "list"]).contains("lean-left"));

    assert!(env.ok(&["sources", "lean", "https://plain.example/feed"]).contains("has no lean rated"));
    assert!(env.ok(&["sources", "lean", "https://plain.example/feed", "centre"]).ends_with(": center\n"));
    assert!(env.ok(&["sources", "lean", "3"]).contains(": center"));
    let bad = env.run(&["sources", "lean", "3", "middling"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("\"middling\" is not a lean"));
    assert!(
        env.ok(&["sources", "add", "https://new.example/feed.xml", "--no-discover", "--lean", "right"])
            .contains("added source")
    );

    let exported = env.ok(&["sources", "export"]);
    assert!(exported.contains("xmlUrl=\"https://rated.example/feed\" lean=\"lean-left\""), "{exported}");
    assert!(exported.contains("xmlUrl=\"https://new.example/feed.xml\" lean=\"right\""), "{exported}");
    assert!(!exported.contains("odd.example/feed\" lean"), "{exported}");

    assert!(env.ok(&["sources", "lean", "1", "--clear"]).contains("no lean rated"));
    assert!(env.ok(&["sources", "lean", "1"]).contains("has no lean rated"));

    // Rated in the file and imported again: the sources already followed take the list's leans.
    std::fs::write(
        &opml,
        exported.replace("lean=\"lean-left\"", "lean=\"right\"").replace("lean=\"center\"", "lean=\"left\""),
    )
    .unwrap();
    let out = env.ok(&["sources", "import", opml.to_str().unwrap()]);
    assert!(out.contains("imported 0 sources") && out.contains("(4 already followed; 2 leans set)"), "{out}");
    let listed: serde_json::Value = serde_json::from_str(&env.ok(&["sources", "list", "--json"])).unwrap();
    assert_eq!((listed[0]["lean"].as_str(), listed[2]["lean"].as_str()), (Some("right"), Some("left")), "{listed}");
}
