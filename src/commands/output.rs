//! Writing a command's result to standard output. A reader that stops
//! early (`dms-cockpit heartbeat … | head -c 10`) closes the pipe; Rust's
//! `println!` would panic on that (exit 101). Here a closed pipe ends the
//! command quietly with exit 0, as any Unix filter does, and any other
//! write failure is an error that says what failed.

use std::fmt::Display;
use std::io::Write;

use super::Failure;

/// Writes `text` and a newline to standard output.
pub fn say(text: impl Display) -> Result<(), Failure> {
    write(format_args!("{text}\n"))
}

/// Writes `text` as it is (it carries its own newlines).
pub fn say_raw(text: impl Display) -> Result<(), Failure> {
    write(format_args!("{text}"))
}

fn write(args: std::fmt::Arguments<'_>) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => Failure::ClosedPipe,
            _ => Failure::Failed(format!("cannot write to standard output: {e}").into()),
        })
}
