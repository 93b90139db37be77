//! All of the cockpit's state and every decision about it, with no I/O:
//! `update` takes an [`Input`] (a key's [`Action`] or a backend's [`Msg`])
//! and returns the [`Command`]s for the runtime to run. Unit-testable
//! without a terminal or a backend.

pub mod action;
pub mod guard;
pub mod keymap;
pub mod lag;
pub mod msg;
mod observe;
pub mod outcome;
mod redraw;
pub mod state;
pub mod update;

pub use action::Action;
pub use msg::{Command, Input, Msg};
pub use state::*;
