//! What a person asked for, independent of which key they pressed.

use crate::backend::{Site, TaskRole};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    ToggleHelp,
    FocusNext,
    FocusPrev,
    ScrollDown,
    ScrollUp,
    PageDown,
    PageUp,
    ScrollTop,
    ScrollBottom,
    SelectTask(TaskRole),
    StartSelected,
    StopSelected,
    /// Reload the selected task's target (`reload-target`): destructive,
    /// so it takes two confirmations.
    ReloadSelected,
    Heartbeat(Site),
    /// Opens the "which site?" prompt.
    FlipPrompt,
    /// Answers the "which site?" prompt.
    FlipChoose(Site),
    /// Opens the full text of the focused log entry, or of the focused
    /// panel's errors.
    OpenDetail,
    Confirm,
    Cancel,
    Refresh,
    Resize(u16, u16),
}
