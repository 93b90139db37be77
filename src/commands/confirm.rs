//! The headless twin of the TUI's y/n prompt: mutations ask on the
//! terminal unless `--yes` is given, and refuse when nobody can answer.

use std::io::{BufRead, IsTerminal, Write};

use super::Failure;

/// Asks `question` and returns whether the answer was yes. With `yes` it
/// does not ask; with no terminal on stdin it refuses (exit 2) and says to
/// pass `--yes`.
pub fn confirm(question: &str, yes: bool) -> Result<bool, Failure> {
    ask(question, "[y/N]", yes, |answer| {
        matches!(answer, "y" | "Y" | "yes" | "YES")
    })
}

/// Asks `question`, shows `prompt` after it, and returns whether `accept`
/// takes the (trimmed) answer. `yes` skips the question; with no terminal
/// on stdin it refuses (exit 2) and says to pass `--yes`.
pub fn ask(
    question: &str,
    prompt: &str,
    yes: bool,
    accept: impl Fn(&str) -> bool,
) -> Result<bool, Failure> {
    if yes {
        return Ok(true);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::BadInput(format!(
            "{question} needs a confirmation and stdin is not a terminal: pass --yes to confirm"
        )));
    }
    eprint!("{question} {prompt} ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::BadInput(format!("cannot read the answer: {e}")))?;
    Ok(accept(answer.trim()))
}
