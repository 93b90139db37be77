//! `dms-cockpit setup`: creates (or finds) the AWS resources the cockpit
//! operates and the database objects it reads, so a person goes from two
//! databases to a working two-way door with idempotent commands instead of
//! a console session. Each part is find-or-create, so re-running it is safe
//! and creates nothing twice.

pub mod dms;
mod dms_apply;
pub mod dms_custom;
pub mod dms_ops;
mod dms_plan;
pub mod heartbeat_shape;
pub mod oracle_grants;
pub mod sql;
