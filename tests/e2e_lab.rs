//! End to end: the real binary on the lab, in tmux. Presses the keys a
//! person would (heartbeat as SITEA, start and stop a task, flip a site)
//! and reads the screen; checks that quitting restores the terminal.

mod support;

use support::tmux::{Tmux, reporting_exit};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dms-cockpit")
}

/// A shell line that runs the cockpit, then reports its exit code and
/// whether the terminal is back in cooked mode, then waits to be read.
fn wrapped(args: &str) -> String {
    reporting_exit(&format!("{} {args}", bin()))
}

#[test]
#[ignore = "needs tmux; run bash tests/run-all.sh"]
fn heartbeat_start_stop_flip_and_quit_on_the_lab() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cockpit.log");
    let data = dir.path().join("lab");
    let audit = dir.path().join("audit.jsonl");
    let t = Tmux::start(
        &wrapped(&format!(
            "lab --data-dir {} --log-file {} --audit-log {} --refresh 300ms --transition-delay 200ms",
            data.display(),
            log.display(),
            audit.display()
        )),
        100,
        30,
    );
    t.wait_text("LAB");
    t.wait_for("the forward task to be described", |s| {
        s.contains("lab-forward") && s.contains("ready")
    });
    // The door check ran on the lab's pair, which follows every rule.
    t.wait_text("✓ door ok");

    // Heartbeat as SITEA: the appmap sends it to database a.
    t.keys(&["a"]);
    t.wait_text("as SITEA inserted into database a");

    // Start the forward task: its first full load asks, with a checklist
    // (database b's heartbeat table is empty, so it passes), then runs.
    t.keys(&["1", "s"]);
    t.wait_text("✓ the heartbeat table in database b is empty");
    t.keys(&["y"]);
    t.wait_text("start-replication accepted");
    t.wait_for("the forward task to run", |s| s.contains("● running"));
    // The heartbeat reaches database b and is marked replicated.
    t.wait_text("⇄");

    // Stop asks first; n cancels, y stops.
    t.keys(&["x"]);
    t.wait_text("y / n");
    t.keys(&["n"]);
    t.wait_text("cancelled");
    t.keys(&["x"]);
    t.wait_text("y / n");
    t.keys(&["y"]);
    t.wait_text("stop accepted");
    t.wait_for("the forward task to stop", |s| s.contains("■ stopped"));

    // Flip SITEA to database b; the next heartbeat lands there.
    t.keys(&["f"]);
    t.wait_text("SITEA");
    t.keys(&["a"]);
    t.wait_text("y / n");
    // The backward task is not running, so the flip's checklist fails
    // and y alone is refused; ! overrides, then y goes ahead.
    t.wait_text("✖ the backward task lab-backward (b→a) is running");
    t.keys(&["y"]);
    // Still open (a flip would have closed it): the override arms.
    t.keys(&["!"]);
    t.wait_text("OVERRIDE ARMED");
    t.keys(&["y"]);
    t.wait_text("SITEA now writes to database b");
    t.keys(&["a"]);
    t.wait_text("as SITEA inserted into database b");

    // Help opens and closes.
    t.keys(&["?"]);
    t.wait_text("insert a heartbeat as SITEA");
    t.keys(&["Escape"]);

    t.keys(&["q"]);
    let screen = t.wait_text("TTY="); // printed after EXIT=
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        screen.contains("TTY=cooked"),
        "terminal left in raw mode:\n{screen}"
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("cockpit closed"),
        "logs go to the file: {logged}"
    );
    // The TUI's actions are in the audit log: the heartbeats pressed
    // (issue 10), the first start, the stop, the refused flip (y alone)
    // and the forced one, with checkpoints.
    let audit = std::fs::read_to_string(&audit).unwrap();
    let results: Vec<String> = audit
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert!(v.get("checkpoints").is_some(), "{l}");
            format!(
                "{} {}",
                v["result"].as_str().unwrap(),
                v["request"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            "confirmed heartbeat as SITEA",
            "confirmed start-replication of the forward task lab-forward",
            "confirmed stop the forward task (a→b)",
            "refused flip SITEA to database b",
            "forced flip SITEA to database b",
            "confirmed heartbeat as SITEA",
        ],
        "{audit}"
    );
}

#[test]
#[ignore = "needs tmux; run bash tests/run-all.sh"]
fn ctrl_c_quits_and_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(
        &wrapped(&format!(
            "lab --log-file {}",
            dir.path().join("l.log").display()
        )),
        80,
        24,
    );
    t.wait_text("LAB");
    t.keys(&["C-c"]);
    let screen = t.wait_text("TTY="); // printed after EXIT=
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("TTY=cooked"), "{screen}");
}

#[test]
#[ignore = "needs tmux; run bash tests/run-all.sh"]
fn a_small_window_says_to_enlarge_it() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(
        &wrapped(&format!(
            "lab --log-file {}",
            dir.path().join("l.log").display()
        )),
        60,
        16,
    );
    t.wait_text("80x24");
    t.keys(&["q"]);
    t.wait_text("EXIT=0");
}

#[test]
#[ignore = "needs tmux; run bash tests/run-all.sh"]
fn sigterm_quits_and_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    // The shell records the cockpit's pid, so the test can signal it.
    let line = reporting_exit(&format!(
        "sh -c 'echo $$ > {}; exec {} lab --log-file {}'",
        pidfile.display(),
        bin(),
        dir.path().join("l.log").display()
    ));
    let t = Tmux::start(&line, 80, 24);
    t.wait_text("LAB");
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap();
    assert!(status.success());
    let screen = t.wait_text("TTY="); // printed after EXIT=
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("TTY=cooked"), "{screen}");
}

/// The cockpit on a fresh lab in `dir` (`extra`: more lab options), in a
/// tmux window `width` columns wide, once it shows the lab.
fn lab_in_tmux(dir: &std::path::Path, extra: &str, width: u16) -> Tmux {
    let t = Tmux::start(
        &wrapped(&format!(
            "lab {extra} --data-dir {} --log-file {} --refresh 300ms --transition-delay 200ms",
            dir.join("lab").display(),
            dir.join("l.log").display()
        )),
        width,
        30,
    );
    t.wait_text("LAB");
    t
}

/// Starts the forward task (its first full load asks) and waits until its
/// full load of the three tables is done.
fn full_load(t: &Tmux) {
    t.keys(&["1", "s"]);
    t.wait_text("y / n");
    t.keys(&["y"]);
    t.wait_for("the full load to finish", |s| {
        s.contains("● running") && s.contains("3 loaded")
    });
}

/// Fails, showing the screen, unless it holds every one of `expected`.
fn assert_shows(screen: &str, expected: &[&str]) {
    for text in expected {
        assert!(screen.contains(text), "missing {text:?}:\n{screen}");
    }
}

/// The line of the screen that contains `needle`, if any.
fn row_of<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(needle))
}

#[test]
#[ignore = "needs tmux; run bash tests/run-all.sh"]
fn table_filter_sort_and_detail_on_the_lab() {
    let dir = tempfile::tempdir().unwrap();
    let t = lab_in_tmux(dir.path(), "", 100);
    // Start the forward task and let the full load finish: three tables.
    full_load(&t);
    t.wait_for("three table rows", |s| {
        ["heartbeat", "customers", "orders"]
            .iter()
            .all(|n| row_of(s, &format!(" {n} ")).is_some_and(|r| r.contains("completed")))
    });

    // `/ord` Enter: only orders is left, and the title says why.
    t.keys(&["/", "o", "r", "d"]);
    t.wait_text("/ord▏");
    t.keys(&["Enter"]);
    let screen = t.wait_for("the filtered list", |s| {
        s.contains("· /ord") && !s.contains("/ord▏") && s.contains("Σ 1 of 3 tables")
    });
    assert!(row_of(&screen, " orders ").is_some(), "{screen}");
    assert!(row_of(&screen, " customers ").is_none(), "{screen}");

    // Enter on the row: the detail of customer_orders.orders, live from
    // the lab, saying what the lab simulates.
    t.keys(&["Enter"]);
    let detail = t.wait_text("table detail");
    assert_shows(
        &detail,
        &[
            "customer_orders.orders · forward task lab-forward",
            "5 rows · 0 error rows",
            "changes applied",
            "validation records",
            "lab: the simulated DMS copies customer_orders.orders",
        ],
    );
    t.keys(&["Escape"]);
    t.wait_for("the detail to close", |s| !s.contains("table detail"));

    // Esc in the filter prompt clears it; `o` sorts by errors first.
    t.keys(&["/", "Escape"]);
    t.wait_text("Σ 3 tables");
    t.keys(&["o"]);
    t.wait_text("sort: errors first");
    t.keys(&["o", "o"]);
    t.wait_text("sort: last update");

    t.keys(&["q"]);
    let screen = t.wait_text("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
}

/// Issue 12: the logs view on the lab, in tmux. `l` opens the forward
/// task's log with the lab's own lines (task running, each table's load);
/// a real validation difference (a SITEB heartbeat in database b that the
/// stopped backward task never brought to a, found once a SITEA heartbeat
/// makes the forward task validate the table again) writes a `W:` line; `e`
/// filters by severity, `/` searches, `l` closes.
#[test]
#[ignore = "needs tmux; run bash tests/run-all.sh"]
fn logs_view_shows_filters_and_searches_the_labs_task_log() {
    let dir = tempfile::tempdir().unwrap();
    // Wide enough for the view's title with its filter.
    let t = lab_in_tmux(dir.path(), "--validate forward", 140);
    full_load(&t);
    t.keys(&["b"]);
    t.wait_text("as SITEB inserted into database b");
    t.keys(&["a"]);
    t.wait_text("as SITEA inserted into database a");

    t.keys(&["l"]);
    let all = t.wait_text("validation found mismatched records");
    assert_shows(
        &all,
        &[
            "task log · forward task lab-forward",
            "following",
            "I: TASK_MANAGER Task 'lab-forward' running",
            "Load finished for table 'customer_orders'.'orders'",
            "W: VALIDATOR Table 'customer_orders'.'heartbeat'",
        ],
    );
    // e: warnings and errors only; the load lines go.
    t.keys(&["e"]);
    let warnings = t.wait_text("showing W: and E:");
    assert!(!warnings.contains("Load finished"), "{warnings}");
    assert!(warnings.contains("W: VALIDATOR"), "{warnings}");
    // e: errors only: there are none.
    t.keys(&["e"]);
    let errors = t.wait_text("showing E: only");
    assert!(
        errors.contains("matches the severity filter or the search"),
        "{errors}"
    );
    // e: all again; / searches.
    t.keys(&["e", "/", "U", "n", "l", "o", "a", "d"]);
    t.wait_text("/Unload▏");
    t.keys(&["Enter"]);
    let found = t.wait_for("the search to be kept", |s| {
        s.contains(" · /Unload ") && !s.contains("/Unload▏")
    });
    assert!(
        found.contains("Unload of table 'customer_orders'.'orders' started"),
        "{found}"
    );
    assert!(!found.contains("Load finished"), "{found}");
    assert!(!found.contains("VALIDATOR"), "{found}");
    // l closes the view; the main screen is back.
    t.keys(&["l"]);
    t.wait_for("the view to close", |s| {
        !s.contains("task log ·") && s.contains("heartbeat")
    });
    t.keys(&["q"]);
    let screen = t.wait_text("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
}

/// `y` writes OSC 52 to the terminal: the pane's raw output (tmux
/// `pipe-pane`) holds exactly `ESC ] 52 ; c ; base64(text) BEL` for the
/// text tmux (with `set-clipboard on`) put in its paste buffer, and that
/// text is the table's detail.
#[test]
#[ignore = "needs tmux; run bash tests/run-all.sh"]
fn y_copies_the_table_detail_with_osc_52() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw.out");
    let t = lab_in_tmux(dir.path(), "", 100);
    let tmux = |args: &[&str]| {
        let o = t.command().args(args).output().unwrap();
        assert!(
            o.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    tmux(&["set-option", "-s", "set-clipboard", "on"]);
    tmux(&[
        "pipe-pane",
        "-o",
        "-t",
        &t.session,
        &format!("cat >> {}", raw.display()),
    ]);
    full_load(&t);
    t.keys(&["Enter"]);
    t.wait_text("table detail");
    t.keys(&["y"]);
    t.wait_text("to the clipboard");
    let copied = tmux(&["show-buffer"]);
    assert!(
        copied.starts_with("customer_orders.customers (forward task)\nstate: "),
        "tmux's buffer: {copied:?}"
    );
    let expected = dms_cockpit::runtime::clipboard::osc52(&copied);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let bytes = std::fs::read(&raw).unwrap_or_default();
        if bytes
            .windows(expected.len())
            .any(|w| w == expected.as_slice())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the raw output lacks the exact OSC 52 sequence for {copied:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    t.keys(&["Escape", "q"]);
    t.wait_text("EXIT=");
}
