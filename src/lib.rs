//! dms-cockpit: a terminal cockpit for a two-way AWS DMS migration.
//!
//! Layout (see the README): `app` holds state and decides (no I/O), `ui`
//! draws it, `backend` defines the ports and their adapters, `lab` is the
//! embedded system, `runtime` connects terminal, events and backend tasks,
//! `commands` are the subcommands, `cli` and `config` turn input into
//! checked settings, `format` is the text both the TUI and the headless
//! output use, `setup` creates the DMS resources, the appmap and the
//! database objects (`setup::sql` renders `sql/`).

pub mod app;
pub mod audit;
pub mod backend;
pub mod cli;
pub mod commands;
pub mod config;
pub mod doctor;
pub mod format;
pub mod lab;
pub mod logging;
pub mod runtime;
pub mod setup;
pub mod ui;
