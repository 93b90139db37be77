//! Reloading single tables (`ReloadTables`): the guardrail and the words of
//! the confirmation, shared by the TUI (`L` / `V` on a table) and the
//! headless `task reload-tables`, and the TUI's flow around them. A
//! data-reload replaces the target table's rows, so the TUI asks for the
//! table's name to be typed, not just `y`.

use super::state::{App, Busy, Pending, Popup};
use super::{Command, guard};
use crate::backend::ops::Mutation;
use crate::backend::{
    BackendError, DatabaseRef, ReloadOption, TableRef, TableStats, TaskRole, TaskSnapshot,
    TaskStatus,
};
use crate::format;

/// Whether `tables` of `task` can be reloaded with `option` now. DMS only
/// reloads tables of a running task; a table the task's statistics
/// (`stats`, when they could be read) do not list is refused;
/// `validate-only` needs a task that validates.
pub fn check_reload(
    task: &TaskSnapshot,
    stats: Option<&[TableStats]>,
    tables: &[TableRef],
    option: ReloadOption,
) -> Result<(), String> {
    let name = format!("the {} task ({})", task.role, task.id);
    if tables.is_empty() {
        return Err("name at least one table to reload (schema.table)".into());
    }
    if task.status != TaskStatus::Running {
        return Err(format!(
            "{name} is {}: ReloadTables needs a running task; start or resume it first (s)",
            task.status
        ));
    }
    if let Some(stats) = stats.filter(|s| !s.is_empty()) {
        for t in tables {
            if !stats
                .iter()
                .any(|s| s.schema == t.schema && s.table == t.table)
            {
                let known: Vec<String> = stats.iter().map(format::table_name).collect();
                return Err(format!(
                    "{name} has no table {t} in its statistics: its tables are {}",
                    known.join(", ")
                ));
            }
        }
        if option == ReloadOption::ValidateOnly
            && tables.iter().all(|t| {
                stats.iter().any(|s| {
                    s.schema == t.schema
                        && s.table == t.table
                        && s.validation_state.eq_ignore_ascii_case("Not enabled")
                })
            })
        {
            return Err(format!(
                "validation is not enabled for {name}: validate-only applies only to a task that validates (task settings ValidationSettings.EnableValidation)"
            ));
        }
    }
    Ok(())
}

/// What a data-reload confirmation asks to be typed: the table's name for
/// one table; for several, the task's identifier (issue 10's rule for a
/// reload: type the task's identifier, not `y` twice), which names them
/// all at once and cannot be typed by habit.
pub fn name_to_type(task_id: &str, tables: &[TableRef]) -> String {
    match tables {
        [one] => one.table.clone(),
        _ => task_id.to_string(),
    }
}

/// The confirmation's paragraphs: the task, the tables, and what happens
/// to the target rows. `source`/`target` are the task's databases.
pub fn reload_question(
    role: TaskRole,
    task_id: &str,
    tables: &[TableRef],
    option: ReloadOption,
    source: &DatabaseRef,
    target: &DatabaseRef,
) -> Vec<String> {
    let names: Vec<String> = tables.iter().map(ToString::to_string).collect();
    let what = match option {
        ReloadOption::DataReload => "Reload",
        ReloadOption::ValidateOnly => "Validate again",
    };
    let mut paras = vec![format!(
        "{what} {} of the {role} task {task_id} ({option}): {}?",
        if tables.len() == 1 {
            "1 table".to_string()
        } else {
            format!("{} tables", tables.len())
        },
        names.join(", ")
    )];
    match option {
        ReloadOption::DataReload => {
            paras.push(format!(
                "⚠ DMS loads {} again from {} into {}. With the task's TargetTablePrepMode DROP_AND_CREATE or TRUNCATE_BEFORE_LOAD the target rows are replaced: rows that exist only in {} are lost. With DO_NOTHING they stay and the loaded rows are added. Changes keep flowing once the load is done; the table is validated again if the task validates.",
                if tables.len() == 1 { "this table" } else { "these tables" },
                format::db_long(source),
                format::db_long(target),
                format::db_label(target.side),
            ));
        }
        ReloadOption::ValidateOnly => {
            paras.push(format!(
                "No row changes: DMS compares the rows of {} in {} with {} again and records what differs in awsdms_validation_failures_v1.",
                if tables.len() == 1 { "this table" } else { "these tables" },
                format::db_long(target),
                format::db_long(source),
            ));
        }
    }
    paras
}

impl App {
    /// `L` / `V`: the table in the open detail, else the selected task's
    /// marked tables (Space), else the one under the cursor; checks, then
    /// asks.
    pub(super) fn ask_reload(&mut self, option: ReloadOption) {
        let table_ref = |schema: &str, table: &str| TableRef {
            schema: schema.to_string(),
            table: table.to_string(),
        };
        let (role, tables) = match self.detail_key() {
            Some(key) => (key.role, vec![table_ref(&key.schema, &key.table)]),
            None => {
                let role = self.selected;
                // A marked table the statistics no longer list (dropped
                // from the task) is left out: it could not be unmarked.
                let listed = |k: &super::TableKey| {
                    self.tables[role]
                        .data
                        .as_ref()
                        .is_none_or(|stats| stats.iter().any(|t| k.matches(t)))
                };
                let marked: Vec<TableRef> = self
                    .marked_tables(role)
                    .into_iter()
                    .filter(|k| listed(k))
                    .map(|k| table_ref(&k.schema, &k.table))
                    .collect();
                match self.cursor_table(role) {
                    _ if !marked.is_empty() => (role, marked),
                    Some(t) => (role, vec![table_ref(&t.schema, &t.table)]),
                    None => {
                        self.log_error(format!(
                            "no table to reload: the {role} task shows no table statistics (or none matches the filter)"
                        ));
                        return;
                    }
                }
            }
        };
        let checked = guard::check_writable(&self.mode, "reload a table").and_then(|_| match self
            .tasks[role]
            .data
            .as_ref()
        {
            Some(task) => check_reload(task, self.tables[role].data.as_deref(), &tables, option),
            None => Err(format!(
                "the {role} task's status is not known yet: wait for the next refresh (r)"
            )),
        });
        match checked {
            Err(e) => self.log_error(e),
            Ok(()) => {
                self.popup = Some(Popup::Confirm(Pending::ReloadTables {
                    role,
                    tables,
                    option,
                    typed: String::new(),
                }))
            }
        }
    }

    /// Edits the name typed into a data-reload confirmation; `None` when no
    /// such confirmation is open.
    pub(super) fn type_reload_name(&mut self, edit: impl FnOnce(&mut String)) -> Option<()> {
        match &mut self.popup {
            Some(Popup::Confirm(Pending::ReloadTables {
                option: ReloadOption::DataReload,
                typed,
                ..
            })) => {
                edit(typed);
                Some(())
            }
            _ => None,
        }
    }

    /// Enter in a data-reload confirmation: goes only when the typed name
    /// is right; otherwise the prompt stays and says what to type.
    pub(super) fn submit_reload_name(&mut self) -> Vec<Command> {
        let Some(Popup::Confirm(Pending::ReloadTables { tables, typed, .. })) = &self.popup else {
            return vec![];
        };
        if typed.trim() == self.reload_word(tables) {
            return self.confirm_from_popup();
        }
        vec![]
    }

    /// What the data-reload of `tables` of the selected prompt's task asks
    /// to be typed ([`name_to_type`]).
    pub fn reload_word(&self, tables: &[TableRef]) -> String {
        let role = match &self.popup {
            Some(Popup::Confirm(Pending::ReloadTables { role, .. })) => *role,
            _ => self.selected,
        };
        self.reload_word_of(role, tables)
    }

    fn reload_word_of(&self, role: TaskRole, tables: &[TableRef]) -> String {
        let id = self.tasks[role]
            .data
            .as_ref()
            .map_or_else(|| format!("({role})"), |t| t.id.clone());
        name_to_type(&id, tables)
    }

    fn confirm_from_popup(&mut self) -> Vec<Command> {
        let Some(Popup::Confirm(pending)) = self.popup.take() else {
            return vec![];
        };
        let Pending::ReloadTables {
            role,
            tables,
            option,
            typed,
        } = pending
        else {
            return vec![];
        };
        if !self.busy.contains(&Busy::ReloadTables(role)) {
            let list = super::checklist::reload_tables(role, &tables, option);
            let overridden = self.confirm_input.overridden;
            self.audit_sent(Busy::ReloadTables(role), list, overridden);
        }
        self.confirm_reload(role, tables, option, typed)
    }

    /// The confirmed reload: sent once; a data-reload only with the name
    /// typed right (`y` alone does not do it).
    pub(super) fn confirm_reload(
        &mut self,
        role: TaskRole,
        tables: Vec<TableRef>,
        option: ReloadOption,
        typed: String,
    ) -> Vec<Command> {
        if option == ReloadOption::DataReload && typed.trim() != self.reload_word_of(role, &tables)
        {
            // Put the prompt back: only the typed name confirms.
            self.popup = Some(Popup::Confirm(Pending::ReloadTables {
                role,
                tables,
                option,
                typed,
            }));
            return vec![];
        }
        if !self.busy.insert(Busy::ReloadTables(role)) {
            self.log_in_flight(Busy::ReloadTables(role));
            return vec![];
        }
        let names: Vec<String> = tables.iter().map(ToString::to_string).collect();
        self.log_info(format!("{role} task: {option} of {}", names.join(", ")));
        // Sent: the marks have done their job.
        self.table_view.marked.retain(|k| k.role != role);
        vec![Command::ReloadTables(role, tables, option)]
    }

    pub(super) fn on_tables_reloaded(
        &mut self,
        role: TaskRole,
        tables: &[TableRef],
        option: ReloadOption,
        result: Result<(), BackendError>,
    ) -> Vec<Command> {
        self.busy.remove(&Busy::ReloadTables(role));
        let audit = self.audit_answered(Busy::ReloadTables(role), &result);
        let names: Vec<String> = tables.iter().map(ToString::to_string).collect();
        match result {
            Ok(()) => self.log_ok(format!(
                "{role} task: {option} of {} accepted",
                names.join(", ")
            )),
            // Sent, no answer: DMS may have queued the tables. Never
            // "failed": the table statistics are read back at once.
            Err(e @ BackendError::OutcomeUnknown(_)) => {
                let mutation = Mutation::ReloadTables(role, tables.to_vec(), option);
                return audit
                    .into_iter()
                    .chain(self.outcome_unknown(mutation, &e))
                    .collect();
            }
            Err(e) => self.log_error(format!(
                "{role} task: {option} of {} failed: {e}",
                names.join(", ")
            )),
        }
        audit.into_iter().chain(self.refresh_task(role)).collect()
    }
}
