//! All of the cockpit's state and every decision about it, with no I/O:
//! `update` takes an [`Input`] (a key's [`Action`] or a backend's [`Msg`])
//! and returns the [`Command`]s for the runtime to run. Unit-testable
//! without a terminal or a backend.

pub mod action;
pub mod audit;
pub mod backoff;
pub mod checklist;
pub mod copy;
pub mod door;
pub mod guard;
pub mod keymap;
pub mod lag;
mod lag_update;
pub mod logs;
pub mod msg;
mod observe;
pub mod outcome;
mod redraw;
pub mod reload;
pub mod state;
pub mod table_index;
pub mod tables;
pub mod update;

/// How many of the newest validation failures (their keys) are read.
pub const VALIDATION_LATEST: usize = 5;

pub use action::Action;
pub use msg::{Command, Input, Msg};
pub use state::*;
pub use tables::{TableKey, TableMark, TableSort, TableView};
