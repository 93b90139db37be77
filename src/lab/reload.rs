//! `ReloadTables` in the simulated DMS, for real: `data-reload` puts the
//! named tables back in the load queue of the running task, and the engine
//! copies each again from one consistent snapshot of the source (replacing
//! the target's rows, as DMS does with `TargetTablePrepMode`
//! `DROP_AND_CREATE` or `TRUNCATE_BEFORE_LOAD`), marks it reloaded and
//! carries on with change capture from that snapshot. The checks are
//! DMS's: the task must be running and must know the tables.

use super::db_error;
use super::dms::{Dms, TABLE_BEFORE_LOAD, task_id};
use super::schema::{SCHEMA, TABLES, table};
use crate::backend::{BackendError, BackendResult, ReloadOption, TableRef, TaskRole, TaskStatus};

impl Dms {
    pub(crate) async fn reload_tables(
        &self,
        role: TaskRole,
        tables: &[TableRef],
        option: ReloadOption,
    ) -> BackendResult<()> {
        let task = self.load_task(role).await?;
        if task.status != TaskStatus::Running {
            return Err(BackendError::InvalidState(format!(
                "lab task {} is {}: ReloadTables needs the task to be running; start or resume it first",
                task.id, task.status
            ).into()));
        }
        if tables.is_empty() {
            return Err(BackendError::InvalidState(
                "no table named: ReloadTables needs at least one schema.table".into(),
            ));
        }
        for t in tables {
            if t.schema != SCHEMA || table(&t.table).is_none() {
                let known: Vec<String> = TABLES
                    .iter()
                    .map(|s| format!("{SCHEMA}.{}", s.name))
                    .collect();
                return Err(BackendError::NotFound(
                    format!(
                        "lab task {} has no table {t}: its tables are {}",
                        task.id,
                        known.join(", ")
                    )
                    .into(),
                ));
            }
        }
        match option {
            ReloadOption::ValidateOnly => self.revalidate(role, tables).await,
            ReloadOption::DataReload if !task.is_full_load() => {
                Err(BackendError::InvalidState(format!(
                    "lab task {} is a {} task with no full load of its own: the lab reloads tables only in the full-load-and-cdc task",
                    task.id, task.migration_type
                ).into()))
            }
            ReloadOption::DataReload => {
                let err = |e| db_error(&format!("queueing the reload of tables of {}", task.id), e);
                let mut tx = self.sites[role.target()]
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(err)?;
                for t in tables {
                    sqlx::query(
                        "UPDATE awsdms_apply_tables SET state = ?3, reloaded = 1, loaded_at = NULL,
                           last_update = ?4 WHERE task = ?1 AND tbl = ?2",
                    )
                    .bind(task_id(role))
                    .bind(&t.table)
                    .bind(TABLE_BEFORE_LOAD)
                    .bind(super::clock::now_text())
                    .execute(&mut *tx)
                    .await
                    .map_err(err)?;
                    // The reloaded table is validated afresh.
                    super::validation::clear_failures(&mut tx, role, &t.table)
                        .await
                        .map_err(err)?;
                }
                tx.commit().await.map_err(err)?;
                for t in tables {
                    self.log(
                        role,
                        crate::backend::logs::Severity::Info,
                        "TASK_MANAGER",
                        &format!(
                            "Table '{}'.'{}' queued for reload (data-reload)",
                            t.schema, t.table
                        ),
                    )
                    .await;
                }
                Ok(())
            }
        }
    }
}
