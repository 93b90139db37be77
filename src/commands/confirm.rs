//! The headless twin of the TUI's y/n prompt: mutations ask on the
//! terminal unless `--yes` is given, and refuse when nobody can answer.

use std::io::{BufRead, IsTerminal, Write};

use super::Failure;

/// Asks `question` and returns whether the answer was yes. With `yes` it
/// does not ask; with no terminal on stdin it refuses (exit 2) and says to
/// pass `--yes`.
pub fn confirm(question: &str, yes: bool) -> Result<bool, Failure> {
    if yes {
        return Ok(true);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::BadInput(format!(
            "{question} needs a confirmation and stdin is not a terminal: pass --yes to confirm"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::BadInput(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES"))
}
