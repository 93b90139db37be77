//! dms-cockpit: a terminal cockpit for a two-way AWS DMS migration.
//! See DESIGN.md in the project's shared folder and the README.

pub mod app;
pub mod backend;
pub mod format;
pub mod lab;
pub mod setup;
pub mod setup_sql;
pub mod ui;
