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
    /// The second, explicit key that lets a confirmation with failed
    /// checks go ahead (`!`); the confirm key alone never does.
    Override,
    Cancel,
    Refresh,
    /// Turns automatic heartbeats (the lag meter) on or off.
    ToggleLag,
    Resize(u16, u16),
    /// `/`: start typing the table filter.
    FilterStart,
    /// A character typed into the text being edited (the filter, the
    /// table name a data-reload asks for, or the task id a reload-target
    /// asks for).
    Type(char),
    Backspace,
    /// Enter: keep the filter, or confirm a typed table name.
    Submit,
    /// Esc: drop the filter.
    FilterClear,
    /// `o`: the next table sort.
    CycleSort,
    /// Enter on a table row: its detail.
    OpenTableDetail,
    /// `L` / `V`: reload (or only validate again) the table in the
    /// detail, else the marked tables, else the one under the cursor; asks
    /// first.
    ReloadTable(crate::backend::ReloadOption),
    /// Space on the table list: mark (or unmark) the table under the
    /// cursor, so `L` / `V` reload every marked table in one call.
    ToggleMark,
    /// `l`: the selected task's log (and `l`/Esc closes it).
    OpenLogs,
    /// `e` in the logs view: all, warnings and errors, errors only.
    CycleSeverity,
    /// `y` outside a prompt: copy the selected thing (OSC 52).
    Copy,
}
