//! What a table reload names: the tables (`schema.table`) and whether DMS
//! loads their data again or only validates them again (`ReloadTables`'s
//! `ReloadOption`). Shared by the AWS adapter, the lab, the TUI and the
//! headless `task reload-tables`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One table of a task, as `ReloadTables`' `TablesToReload` names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TableRef {
    pub schema: String,
    pub table: String,
}

impl TableRef {
    /// Parses `schema.table`; both parts are required, as DMS needs both.
    pub fn parse(s: &str) -> Result<TableRef, String> {
        match s.split_once('.') {
            Some((schema, table))
                if !schema.is_empty() && !table.is_empty() && !table.contains('.') =>
            {
                Ok(TableRef {
                    schema: schema.to_string(),
                    table: table.to_string(),
                })
            }
            _ => Err(format!(
                "`{s}` is not a table name: expected schema.table, e.g. customer_orders.orders"
            )),
        }
    }
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.table)
    }
}

/// `ReloadOption`: load the data again, or only validate it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReloadOption {
    /// Reloads the table from the source (and validates it again when the
    /// task validates).
    DataReload,
    /// Validates the table again; only for a task with validation enabled.
    ValidateOnly,
}

impl ReloadOption {
    pub fn as_str(self) -> &'static str {
        match self {
            ReloadOption::DataReload => "data-reload",
            ReloadOption::ValidateOnly => "validate-only",
        }
    }
}

impl fmt::Display for ReloadOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_need_a_schema_and_a_table() {
        assert_eq!(
            TableRef::parse("customer_orders.orders")
                .unwrap()
                .to_string(),
            "customer_orders.orders"
        );
        for bad in ["orders", ".orders", "s.", "a.b.c", ""] {
            let e = TableRef::parse(bad).unwrap_err();
            assert!(e.contains("expected schema.table"), "{bad}: {e}");
        }
    }
}
