//! The terminal is sacred: entered through `ratatui::init()` (which installs
//! a panic hook that restores it) and restored by a guard's `Drop`, so quit,
//! error and panic all leave the shell as it was.

use std::io::Stdout;
use std::ops::{Deref, DerefMut};

use ratatui::Terminal;
use ratatui::prelude::CrosstermBackend;

pub struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    pub fn enter() -> anyhow::Result<TerminalGuard> {
        let terminal = ratatui::try_init()
            .map_err(|e| anyhow::anyhow!("cannot open the terminal ({e}): run dms-cockpit in an interactive terminal, or use a headless command such as `dms-cockpit status`"))?;
        Ok(TerminalGuard { terminal })
    }

    pub fn size(&self) -> anyhow::Result<(u16, u16)> {
        let size = self.terminal.size()?;
        Ok((size.width, size.height))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

impl Deref for TerminalGuard {
    type Target = Terminal<CrosstermBackend<Stdout>>;
    fn deref(&self) -> &Self::Target {
        &self.terminal
    }
}

impl DerefMut for TerminalGuard {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.terminal
    }
}
