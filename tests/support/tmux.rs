//! Drives the real binary in a real terminal: a detached tmux session of a
//! fixed size, `send-keys` to type, `capture-pane` to read the screen. A
//! bare pty would leave crossterm's cursor-position query unanswered.

#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// `command`, then a report of its exit code and of whether the terminal
/// is back in cooked mode (`EXIT=…`, `TTY=cooked|raw`), then a pause so
/// the pane can be read.
pub fn reporting_exit(command: &str) -> String {
    format!(
        "{command}; echo EXIT=$?; stty -a | grep -q -- '-icanon' && echo TTY=raw || echo TTY=cooked; sleep 60"
    )
}

pub struct Tmux {
    pub session: String,
}

impl Tmux {
    /// Starts `command` (a shell command line) in a new `width`x`height` session.
    pub fn start(command: &str, width: u16, height: u16) -> Tmux {
        let session = format!("dmsc-e2e-{}-{}", std::process::id(), rand_suffix());
        let status = Self::on_socket(&session)
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .arg(command)
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux must be installed: run bash tests/run-all.sh, which installs it");
        assert!(status.success(), "tmux new-session failed");
        Tmux { session }
    }

    /// Each session has a tmux server of its own (`-L`): tests running
    /// side by side never share one, so one test's last session closing
    /// the server cannot fail another's `new-session`.
    fn on_socket(session: &str) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", session]);
        c
    }

    /// A tmux command aimed at this session's own server.
    pub fn command(&self) -> Command {
        Self::on_socket(&self.session)
    }

    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = self
                .command()
                .args(["send-keys", "-t", &self.session, key])
                .status()
                .expect("tmux send-keys");
            assert!(status.success(), "tmux send-keys {key}");
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    pub fn screen(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until `pred` holds for the screen, or panics with the screen.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(&format!("`{text}`"), |s| s.contains(text))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}
