//! The binary's command line: bad input gets one clear message and exit
//! code 2 with nothing created; the headless commands work on the lab.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dms-cockpit"));
    c.env_remove("DMS_COCKPIT_CONFIG").env_remove("NO_COLOR");
    c
}

fn run(args: &[&str], cwd: &Path) -> Output {
    bin()
        .args(args)
        .arg("--log-file")
        .arg(cwd.join("test.log"))
        .arg("--audit-log")
        .arg(cwd.join("audit.jsonl"))
        .current_dir(cwd)
        .env("HOME", cwd)
        .env("XDG_CONFIG_HOME", cwd.join("xdg"))
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn unknown_flag_is_exit_2_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["lab", "--colour"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--colour"), "{}", stderr(&o));
}

#[test]
fn data_dir_that_is_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let o = run(&["lab", "--data-dir", file.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("--data-dir") && e.contains("not a directory"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "x",
        "file untouched"
    );
}

#[test]
fn data_dir_under_a_missing_parent_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing/parent/lab");
    let o = run(&["lab", "--data-dir", target.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
    assert!(!dir.path().join("missing").exists(), "nothing created");
}

#[test]
fn traffic_must_be_a_positive_rate() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["0", "-1", "abc", "inf"] {
        let o = run(&["lab", "--traffic", bad], dir.path());
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let e = stderr(&o);
        assert!(
            e.contains("--traffic") && e.contains("positive rate"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn no_config_says_how_to_try_the_lab_or_write_one() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&[][..], &["status"][..]] {
        let o = run(args, dir.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = stderr(&o);
        assert!(
            e.contains("dms-cockpit lab") && e.contains("dms-cockpit init"),
            "{e}"
        );
    }
}

#[test]
fn bad_config_is_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/invalid-engine.toml");
    let o = run(
        &["status", "--config", fixture.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("databases.a.engine"), "{}", stderr(&o));
}

#[test]
fn unknown_site_and_task_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["heartbeat", "SITEC", "--lab"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("expected SITEA or SITEB"),
        "{}",
        stderr(&o)
    );
    let o = run(&["task", "start", "sideways", "--lab"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("expected forward or backward"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn init_writes_a_valid_template_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["init"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = dir.path().join("dms-cockpit.toml");
    assert!(dms_cockpit::config::load(&path).is_ok());
    let o = run(&["init"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
}

#[test]
fn headless_commands_on_the_lab() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lab");
    let d = data.to_str().unwrap();

    let o = run(
        &[
            "heartbeat",
            "SITEB",
            "--lab",
            "--data-dir",
            d,
            "--count",
            "3",
            "--every",
            "10ms",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.matches("as SITEB into database b").count(), 3, "{out}");

    let o = run(&["status", "--lab", "--data-dir", d, "--json"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["tasks", "heartbeats", "appmap", "errors"] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["heartbeats"]["b"].as_array().unwrap().len(), 3);
    assert_eq!(v["heartbeats"]["b"][0]["site"], "SITEB");
    assert!(
        v["heartbeats"]["b"][0]["at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(v["tasks"]["forward"]["status"], "ready");
    assert!(v["tasks"]["forward"]["tables"].is_array());
    assert_eq!(v["appmap"][0]["site"], "SITEA");
    assert_eq!(v["appmap"][0]["matches"], "a");
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);

    // The backward task is not running and nothing replicates, so the
    // flip's checklist fails: refused (with the checklist) without --force,
    // and --yes alone does not change that. Nothing changes.
    for extra in [&[][..], &["--yes"][..]] {
        let mut args = vec!["flip", "SITEB", "--lab", "--data-dir", d];
        args.extend_from_slice(extra);
        let o = run(&args, dir.path());
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
        assert!(
            stdout(&o).contains("✖ the forward task lab-forward (a→b) is running"),
            "{}",
            stdout(&o)
        );
    }
    // --force without --yes and without a terminal still needs an answer.
    let o = bin()
        .args([
            "flip",
            "SITEB",
            "--lab",
            "--data-dir",
            d,
            "--force",
            "--log-file",
        ])
        .arg(dir.path().join("l.log"))
        .arg("--audit-log")
        .arg(dir.path().join("other-audit.jsonl"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--yes"), "{}", stderr(&o));

    let o = run(
        &[
            "flip",
            "SITEB",
            "--lab",
            "--data-dir",
            d,
            "--yes",
            "--force",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("SITEB now writes to db a"),
        "{}",
        stdout(&o)
    );
    let o = run(
        &["heartbeat", "SITEB", "--lab", "--data-dir", d],
        dir.path(),
    );
    assert!(
        stdout(&o).contains("as SITEB into database a"),
        "{}",
        stdout(&o)
    );

    let o = run(&["status", "--lab", "--data-dir", d], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("LAB") && text.contains("forward task") && text.contains("appmap"),
        "{text}"
    );

    // Stopping a task that is not running is refused with the reason.
    let o = run(
        &["task", "stop", "forward", "--lab", "--data-dir", d, "--yes"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("only a running or starting task can be stopped"),
        "{}",
        stderr(&o)
    );
    let o = run(
        &[
            "task",
            "start",
            "forward",
            "--lab",
            "--data-dir",
            d,
            "--type",
            "resume",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nothing to resume"), "{}", stderr(&o));
    // The first full load would empty database b's heartbeat table, which
    // holds SITEB's rows: refused even with --yes, named with its count.
    let o = run(
        &[
            "task",
            "start",
            "forward",
            "--lab",
            "--data-dir",
            d,
            "--yes",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("✖ the heartbeat table in database b is empty: it holds"),
        "{}",
        stdout(&o)
    );
    let o = run(
        &[
            "task",
            "start",
            "forward",
            "--lab",
            "--data-dir",
            d,
            "--yes",
            "--force",
            "--wait",
            "--timeout",
            "30s",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("start-replication accepted"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("● running after"), "{}", stdout(&o));
    // Every action and refusal is in the audit log, with checkpoints
    // (the heartbeats' own lines are checked in
    // `each_headless_heartbeat_is_an_audit_line`).
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| !l["request"].as_str().unwrap().starts_with("heartbeat as"))
        .collect();
    let results: Vec<&str> = lines
        .iter()
        .map(|l| l["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        [
            "refused", "refused", "forced", "refused", "refused", "refused", "forced"
        ],
        "{audit}"
    );
    assert!(
        lines[2]["request"]
            .as_str()
            .unwrap()
            .starts_with("flip SITEB")
    );
    assert!(lines[2]["checklist"]["items"].is_array());
    assert_eq!(lines[6]["overridden"], true);
    assert!(
        lines
            .iter()
            .all(|l| l.get("checkpoints").is_some() && l.get("os_user").is_some())
    );
}

#[test]
fn read_only_refuses_changes() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["--read-only", "heartbeat", "SITEA", "--lab"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(audit.trim()).unwrap();
    assert_eq!(
        (line["request"].as_str(), line["result"].as_str()),
        (Some("heartbeat as SITEA"), Some("refused")),
        "{audit}"
    );
}

/// Every manual heartbeat is a write, so each insert is one audit line,
/// as a key press in the TUI is: what was asked, the result, the row.
#[test]
fn each_headless_heartbeat_is_an_audit_line() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "heartbeat",
            "SITEA",
            "--lab",
            "--count",
            "3",
            "--every",
            "1ms",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{audit}");
    for l in &lines {
        assert_eq!(l["request"], "heartbeat as SITEA", "{audit}");
        assert_eq!(l["result"], "confirmed", "{audit}");
        assert!(l.get("os_user").is_some() && l.get("checkpoints").is_some());
        let message = l["message"].as_str().unwrap();
        assert!(
            message.starts_with("inserted heartbeat ") && message.ends_with(" into database a"),
            "{audit}"
        );
    }
}

#[test]
fn doctor_checks_the_lab_pair_and_each_fixture_names_its_rule() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["doctor", "--lab"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("every rule of a bidirectional pair holds"));
    for (fixture, setting) in [
        ("loopback-prevention", "EnableLoopbackPrevention"),
        ("batch-apply", "TargetMetadata.BatchApplyEnabled"),
        ("ddl-backward", "ChangeProcessingDdlHandlingPolicy"),
        ("one-full-load", "MigrationType"),
        ("same-tables", "TableMappings"),
        ("backward-cdc-start", "CdcStartTime"),
        ("sequence-ranges", "heartbeat sequence"),
        ("endpoints", "target endpoint"),
    ] {
        let o = run(
            &["doctor", "--lab", "--fixture", fixture, "--json"],
            dir.path(),
        );
        assert_eq!(o.status.code(), Some(1), "{fixture}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["ok"], false);
        let f = &v["findings"][0];
        assert_eq!(f["rule"], fixture, "{v}");
        assert!(f["setting"].as_str().unwrap().contains(setting), "{v}");
        assert!(
            f["doc"]
                .as_str()
                .unwrap()
                .starts_with("https://docs.aws.amazon.com/dms/")
        );
    }
    let o = run(&["doctor", "--lab", "--fixture", "nonsense"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("expected one of"), "{}", stderr(&o));
}

/// Issue 8, item 10: a reader that closes the pipe early ends the command
/// quietly with exit 0, no panic. The read end is closed before the
/// command writes anything, so the write surely meets a closed pipe.
#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args([
            "heartbeat",
            "SITEA",
            "--count",
            "2",
            "--every",
            "300ms",
            "--lab",
        ])
        .arg("--log-file")
        .arg(dir.path().join("test.log"))
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "quietly");

    // And as the issue ran it, through `head -c 10`.
    let line = format!(
        "{} heartbeat SITEA --count 2 --every 300ms --lab --log-file {} | head -c 10; exit ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_dms-cockpit"),
        dir.path().join("test.log").display()
    );
    let o = Command::new("bash")
        .args(["-c", &line])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env_remove("DMS_COCKPIT_CONFIG")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).len(), 10, "{}", stdout(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

/// Issue 8, item 10: an appmap item that matches neither configured
/// database is a fact about the world, not bad input: exit 1 from both
/// `heartbeat` and `flip`, each naming what the item says.
#[tokio::test]
async fn an_item_matching_neither_database_is_exit_1_for_heartbeat_and_flip() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lab");
    let d = data.to_str().unwrap();
    // Create the lab, then point SITEA somewhere else, as a person might.
    let o = run(&["status", "--lab", "--data-dir", d], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let control = sqlx::sqlite::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.join("control.db").display()
    ))
    .await
    .unwrap();
    sqlx::query("UPDATE appmap SET endpoint = 'elsewhere.example' WHERE site = 'SITEA'")
        .execute(&control)
        .await
        .unwrap();
    control.close().await;
    for args in [&["heartbeat", "SITEA"][..], &["flip", "SITEA", "--yes"][..]] {
        let mut all = args.to_vec();
        all.extend(["--lab", "--data-dir", d]);
        let o = run(&all, dir.path());
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("elsewhere.example"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("neither configured database"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}
