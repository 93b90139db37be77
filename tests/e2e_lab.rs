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
    let t = Tmux::start(
        &wrapped(&format!(
            "lab --data-dir {} --log-file {} --refresh 300ms --transition-delay 200ms",
            data.display(),
            log.display()
        )),
        100,
        30,
    );
    t.wait_text("LAB");
    t.wait_for("the forward task to be described", |s| {
        s.contains("lab-forward") && s.contains("ready")
    });

    // Heartbeat as SITEA: the appmap sends it to database a.
    t.keys(&["a"]);
    t.wait_text("as SITEA inserted into database a");

    // Start the forward task: start-replication, then running.
    t.keys(&["1", "s"]);
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
