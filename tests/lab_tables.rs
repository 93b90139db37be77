//! The lab's table-level DMS features for real, through the same ports the
//! cockpit uses: `ReloadTables` copies a table again (and the statistics
//! say so), with DMS's refusals; the headless `task reload-tables` on a lab
//! directory. No server needed.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use dms_cockpit::backend::{
    BackendError, Backends, DbSide, ReloadOption, StartRequest, StartType, TableRef, TableStats,
    TaskRole, TaskSnapshot, TaskStatus,
};
use dms_cockpit::lab::{Lab, LabOptions};

const DEADLINE: Duration = Duration::from_secs(10);

async fn open(dir: &Path) -> (Lab, Backends) {
    let lab = Lab::open(LabOptions {
        data_dir: dir.to_path_buf(),
        traffic: None,
        transition_delay: Duration::from_millis(50),
        apply_interval: Duration::from_millis(20),
        apply_delay: Duration::ZERO,
    })
    .await
    .expect("lab opens");
    let backends = lab.backends(Duration::from_secs(5), false);
    (lab, backends)
}

async fn until<T, Fut: Future<Output = Option<T>>>(
    what: &str,
    mut probe: impl FnMut() -> Fut,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn snapshot(b: &Backends) -> TaskSnapshot {
    b.describe_task(TaskRole::Forward).await.expect("describe")
}

async fn tables(b: &Backends) -> Vec<TableStats> {
    b.task_tables(TaskRole::Forward)
        .await
        .expect("table statistics")
}

/// Starts the forward task and waits for its full load to finish.
async fn loaded_forward(b: &Backends) -> TaskSnapshot {
    b.replication
        .start(
            TaskRole::Forward,
            StartRequest {
                start_type: StartType::StartReplication,
                cdc_start_time: None,
            },
        )
        .await
        .expect("start");
    until("the full load", || async {
        let s = snapshot(b).await;
        (s.status == TaskStatus::Running && s.progress.full_load_percent == Some(100)).then_some(s)
    })
    .await
}

fn customers() -> TableRef {
    TableRef::parse("customer_orders.customers").unwrap()
}

async fn customers_in_b(lab: &Lab) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM customers")
        .fetch_one(lab.site(DbSide::B))
        .await
        .unwrap()
}

#[tokio::test]
async fn data_reload_copies_the_table_again_and_the_statistics_show_it() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    loaded_forward(&b).await;
    let first = tables(&b).await;
    let before = first.iter().find(|t| t.table == "customers").unwrap();
    assert_eq!(before.full_load_rows, 4);
    assert_eq!(before.more.full_load_reloaded, Some(false));
    assert!(before.more.full_load_start.is_some() && before.more.full_load_end.is_some());

    // The target drifts: two rows lost in database b (as a bad manual fix
    // would do; the backward task is not running, so nothing flows back).
    sqlx::query("DELETE FROM customers WHERE customer_id IN (1, 2)")
        .execute(lab.site(DbSide::B))
        .await
        .unwrap();
    assert_eq!(customers_in_b(&lab).await, 2);

    b.replication
        .reload_tables(TaskRole::Forward, &[customers()], ReloadOption::DataReload)
        .await
        .expect("reload accepted");
    let after = until("the reload to finish", || async {
        let t = tables(&b)
            .await
            .into_iter()
            .find(|t| t.table == "customers")?;
        (t.state == "Table completed" && t.more.full_load_reloaded == Some(true)).then_some(t)
    })
    .await;
    assert_eq!(customers_in_b(&lab).await, 4, "the table was copied again");
    assert_eq!(after.full_load_rows, 4);
    assert!(after.more.full_load_end > before.more.full_load_end);
    // The other tables were not reloaded.
    let all = tables(&b).await;
    let orders = all.iter().find(|t| t.table == "orders").unwrap();
    assert_eq!(orders.more.full_load_reloaded, Some(false));

    // Change capture goes on after the reload, exactly once.
    sqlx::query(
        "INSERT INTO customers (customer_id, name, email, site, updated_at)
         VALUES (9, 'Barbara Liskov', NULL, 'SITEA', '2024-01-01T00:00:00Z')",
    )
    .execute(lab.site(DbSide::A))
    .await
    .unwrap();
    until("the insert to arrive", || async {
        (customers_in_b(&lab).await == 5).then_some(())
    })
    .await;
    lab.shutdown().await;
}

#[tokio::test]
async fn reload_is_refused_as_dms_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    let err = b
        .replication
        .reload_tables(TaskRole::Forward, &[customers()], ReloadOption::DataReload)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::InvalidState(m) if m.contains("is ready") && m.contains("needs the task to be running")),
        "{err:?}"
    );
    loaded_forward(&b).await;
    let unknown = TableRef::parse("customer_orders.invoices").unwrap();
    let err = b
        .replication
        .reload_tables(TaskRole::Forward, &[unknown], ReloadOption::DataReload)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::NotFound(m) if m.contains("no table customer_orders.invoices") && m.contains("customer_orders.orders")),
        "{err:?}"
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn headless_reload_tables_on_a_lab_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lab");
    {
        let (lab, b) = open(&data).await;
        loaded_forward(&b).await;
        lab.shutdown().await;
    }
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dms-cockpit"))
            .args(["task", "reload-tables"])
            .args(args)
            .args(["--lab", "--data-dir"])
            .arg(&data)
            .arg("--log-file")
            .arg(dir.path().join("l.log"))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    // No terminal and no --yes: refused, saying what would happen.
    let o = run(&["forward", "--table", "customer_orders.customers"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("customer_orders.customers") && err.contains("pass --yes"),
        "{err}"
    );
    // A bad table name is bad input.
    let o = run(&["forward", "--table", "customers", "--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected schema.table"));
    // validate-only on a task that does not validate: refused, named.
    let o = run(&[
        "forward",
        "--table",
        "customer_orders.customers",
        "--validate-only",
        "--yes",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("validation is not enabled"), "{err}");
    // --yes: accepted, and the lab copies the table again.
    let o = run(&["forward", "--table", "customer_orders.customers", "--yes"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("data-reload of customer_orders.customers accepted"),
        "{out}"
    );
    let (lab, b) = open(&data).await;
    until("the headless reload to be carried out", || async {
        tables(&b)
            .await
            .iter()
            .find(|t| t.table == "customers" && t.more.full_load_reloaded == Some(true))
            .map(|_| ())
    })
    .await;
    lab.shutdown().await;
}

#[tokio::test]
async fn the_lab_writes_its_task_log_through_the_port() {
    use dms_cockpit::backend::logs::{LogQuery, Severity};
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    let since = LogQuery::from(chrono::Utc::now() - chrono::Duration::minutes(1));
    loaded_forward(&b).await;
    b.replication.stop(TaskRole::Forward).await.unwrap();
    let lines = until("the stop to be logged", || async {
        let batch = b.logs.read(TaskRole::Forward, &since, 100).await.unwrap();
        batch
            .lines
            .iter()
            .any(|l| l.text.contains("stopped"))
            .then_some(batch.lines)
    })
    .await;
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    for expected in [
        "Task 'lab-forward' running (start-replication",
        "Load finished for table 'customer_orders'.'customers'. 4 rows received",
        "Load finished for table 'customer_orders'.'orders'. 5 rows received",
        "Task 'lab-forward' stopped",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(expected)),
            "missing {expected:?} in {texts:#?}"
        );
    }
    assert!(
        lines.iter().all(|l| l.severity == Severity::Info),
        "{texts:#?}"
    );
    // Reading on after the last line gives nothing again.
    let next = since.after(&lines);
    assert!(
        b.logs
            .read(TaskRole::Forward, &next, 100)
            .await
            .unwrap()
            .lines
            .is_empty()
    );
    // The backward task has a log of its own.
    assert!(
        b.logs
            .read(TaskRole::Backward, &since, 100)
            .await
            .unwrap()
            .lines
            .is_empty()
    );
    lab.shutdown().await;

    // Headless: the same lines from the lab directory, as JSON.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dms-cockpit"))
        .args([
            "logs",
            "forward",
            "--lab",
            "--json",
            "--grep",
            "LOAD FINISHED",
            "--data-dir",
        ])
        .arg(dir.path())
        .arg("--log-file")
        .arg(std::env::temp_dir().join(format!("dmsc-logs-{}.log", std::process::id())))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "one per table: {out}");
    assert!(
        rows.iter()
            .all(|r| r["severity"] == "info"
                && r["text"].as_str().unwrap().contains("Load finished"))
    );
}

/// Accepts connections and holds them open without a byte in reply: a DMS
/// endpoint whose answer never comes.
async fn silent_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

/// The lab for everything but `ReloadTables`, which goes through the real
/// DMS adapter and SDK client to an endpoint that never answers: the call
/// is sent and its outcome cannot be known.
struct ReloadToSilentDms {
    lab: std::sync::Arc<dyn dms_cockpit::backend::Replication>,
    dms: dms_cockpit::backend::aws::dms::DmsReplication,
}

#[async_trait::async_trait]
impl dms_cockpit::backend::Replication for ReloadToSilentDms {
    async fn describe(&self, role: TaskRole) -> Result<TaskSnapshot, BackendError> {
        self.lab.describe(role).await
    }
    async fn table_stats(&self, role: TaskRole) -> Result<Vec<TableStats>, BackendError> {
        self.lab.table_stats(role).await
    }
    async fn start(&self, role: TaskRole, request: StartRequest) -> Result<(), BackendError> {
        self.lab.start(role, request).await
    }
    async fn stop(&self, role: TaskRole) -> Result<(), BackendError> {
        self.lab.stop(role).await
    }
    async fn reload_tables(
        &self,
        role: TaskRole,
        tables: &[TableRef],
        option: ReloadOption,
    ) -> Result<(), BackendError> {
        self.dms.reload_tables(role, tables, option).await
    }
}

/// Lab backends whose `ReloadTables` never gets an answer (1 s limit).
async fn with_silent_reload(dir: &Path) -> (Lab, Backends) {
    let (lab, mut b) = open(dir).await;
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url(format!("http://127.0.0.1:{}", silent_server().await))
        .credentials_provider(aws_sdk_databasemigration::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    let dms = dms_cockpit::backend::aws::dms::DmsReplication::from_sdk_config(
        &sdk,
        dms_cockpit::backend::PerTask::new(|role| {
            format!("arn:aws:dms:eu-west-1:123456789012:task:{role}")
        }),
    );
    b.replication = std::sync::Arc::new(ReloadToSilentDms {
        lab: b.replication.clone(),
        dms,
    });
    b.timeout = Duration::from_secs(1);
    (lab, b)
}

/// Issue 12: a `ReloadTables` that timed out is "outcome unknown", never
/// "failed"; the cockpit then reads the table statistics back at once and
/// says what they show.
#[tokio::test]
async fn a_reload_that_timed_out_is_outcome_unknown_and_the_statistics_are_read_back() {
    use dms_cockpit::app::{App, Command, Msg, Settings};
    use dms_cockpit::backend::ops::Mutation;
    use dms_cockpit::runtime::executor::{self, Context};
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = with_silent_reload(dir.path()).await;
    loaded_forward(&b).await;
    let sent = Command::ReloadTables(
        TaskRole::Forward,
        vec![customers()],
        ReloadOption::DataReload,
    );
    let context = Context {
        operator: "test".into(),
        heartbeat_rows: 5,
        audit: None,
    };
    let answer = executor::run(&b, &context, sent).await;
    let Msg::TablesReloaded(_, _, _, Err(e)) = &answer else {
        panic!("expected a reload error, got {answer:?}");
    };
    assert!(
        matches!(e, BackendError::OutcomeUnknown(m) if m.contains("ReloadTables") && m.contains("may or may not")),
        "{e:?}"
    );

    let mut app = App::new(
        b.mode.clone(),
        b.databases.clone(),
        Settings::default(),
        chrono::Utc::now(),
    );
    let next = app.update(chrono::Utc::now(), answer);
    let mutation = Mutation::ReloadTables(
        TaskRole::Forward,
        vec![customers()],
        ReloadOption::DataReload,
    );
    assert!(
        next.contains(&Command::Reread(mutation.clone())),
        "{next:?}"
    );
    let said = &app.log.back().unwrap().text;
    assert!(
        said.contains("forward task: data-reload of customer_orders.customers: outcome unknown"),
        "{said}"
    );
    assert!(!said.contains("failed"), "{said}");

    let found = executor::run(&b, &context, Command::Reread(mutation)).await;
    app.update(chrono::Utc::now(), found);
    let said = &app.log.back().unwrap().text;
    assert!(
        said.contains("read back: customer_orders.customers is Table completed"),
        "{said}"
    );
    assert!(
        app.tables[TaskRole::Forward]
            .data
            .as_ref()
            .is_some_and(|t| t.iter().any(|t| t.table == "customers")),
        "the statistics read back are shown"
    );
    lab.shutdown().await;
}

/// Issue 12: headless `task reload-tables` whose call timed out says
/// "outcome unknown" and what the statistics read back show, and exits 1.
#[tokio::test]
async fn headless_reload_that_timed_out_is_outcome_unknown_and_exit_1() {
    use dms_cockpit::cli::{TargetArgs, TaskReloadArgs};
    use dms_cockpit::commands::{Failure, reload};
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = with_silent_reload(dir.path()).await;
    loaded_forward(&b).await;
    let args = TaskReloadArgs {
        task: TaskRole::Forward,
        target: TargetArgs {
            lab: true,
            data_dir: None,
            apply_delay: None,
            validate: Vec::new(),
        },
        tables: vec![customers()],
        validate_only: false,
        yes: true,
    };
    let failure = reload::run_on(&b, &args).await.unwrap_err();
    assert_eq!(failure.exit_code(), std::process::ExitCode::from(1));
    let Failure::Failed(text) = &failure else {
        panic!("expected a failure, got {failure:?}");
    };
    assert!(
        text.contains("data-reload of customer_orders.customers: outcome unknown"),
        "{text}"
    );
    assert!(
        text.contains("read back: customer_orders.customers is Table completed"),
        "{text}"
    );
    lab.shutdown().await;
}

async fn table(b: &Backends, name: &str) -> TableStats {
    tables(b)
        .await
        .into_iter()
        .find(|t| t.table == name)
        .unwrap_or_else(|| panic!("no table {name}"))
}

/// Issue 12: the lab validates for real. With validation on, the forward
/// task compares source and target rows of each loaded table; rows changed,
/// added and deleted directly in the target are found by a `validate-only`
/// reload and reported through the same fields and port as on DMS (table
/// statistics' validation state and counts, `awsdms_validation_failures_v1`
/// read by `HeartbeatStore::validation_failures`); a source change is
/// validated again as it arrives, and a data-reload repairs the table.
#[tokio::test]
async fn lab_validation_finds_real_differences_and_validate_only_works() {
    use dms_cockpit::backend::validation::FailuresOf;
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    lab.enable_validation(TaskRole::Forward).await.unwrap();
    let task = loaded_forward(&b).await;
    let of = FailuresOf::task(&task);
    for name in ["heartbeat", "customers", "orders"] {
        until("each table to be validated", || async {
            (table(&b, name).await.validation_state == "Validated").then_some(())
        })
        .await;
    }
    let orders = table(&b, "orders").await;
    assert_eq!(orders.more.validation_failed_records, 0);
    let none = b
        .validation_failures(TaskRole::Forward, &of, 5)
        .await
        .unwrap();
    assert_eq!(none.total(), 0, "{none:?}");
    // The backward task does not validate.
    let backward = b.task_tables(TaskRole::Backward).await.unwrap();
    assert!(backward.iter().all(|t| t.validation_state == "Not enabled"));

    // The target drifts behind DMS's back: a changed row, an extra row, a
    // lost row (the backward task is not running: nothing flows back).
    let target = lab.site(DbSide::B);
    for sql in [
        "UPDATE orders SET amount_cents = 1 WHERE order_id = 2",
        "INSERT INTO orders (order_id, customer_id, amount_cents, status, site, updated_at)
         VALUES (99, 1, 5, 'open', 'SITEB', '2024-01-01T00:00:00.000000Z')",
        "DELETE FROM customers WHERE customer_id = 4",
    ] {
        sqlx::query(sql).execute(target).await.unwrap();
    }
    b.replication
        .reload_tables(
            TaskRole::Forward,
            &[
                TableRef::parse("customer_orders.orders").unwrap(),
                customers(),
            ],
            ReloadOption::ValidateOnly,
        )
        .await
        .expect("validate-only is accepted once the task validates");
    let orders = until("orders to be found mismatched", || async {
        let t = table(&b, "orders").await;
        (t.validation_state == "Mismatched records").then_some(t)
    })
    .await;
    assert_eq!(orders.more.validation_failed_records, 2, "{orders:?}");
    assert_eq!(
        orders.more.validation_state_details.as_deref(),
        Some("1 MISSING_SOURCE, 1 RECORD_DIFF")
    );
    let customers_now = until("customers to be found mismatched", || async {
        let t = table(&b, "customers").await;
        (t.validation_state == "Mismatched records").then_some(t)
    })
    .await;
    assert_eq!(customers_now.more.validation_failed_records, 1);
    let found = b
        .validation_failures(TaskRole::Forward, &of, 10)
        .await
        .unwrap();
    let counts = |t: &str| counts_of(&found, t);
    assert_eq!(
        counts("orders"),
        Some([("MISSING_SOURCE".into(), 1), ("RECORD_DIFF".into(), 1)].into()),
        "{found:?}"
    );
    assert_eq!(
        counts("customers"),
        Some([("MISSING_TARGET".into(), 1)].into())
    );
    let diff = found
        .latest
        .iter()
        .find(|f| f.failure_type == "RECORD_DIFF")
        .expect("the changed row among the latest failures");
    assert_eq!(
        (diff.key.as_str(), diff.details.as_str()),
        (r#"{"order_id": 2}"#, "amount_cents: source 9900, target 1")
    );

    // A source change of the changed row is applied and validated again:
    // that row now matches, the extra row still does not.
    sqlx::query("UPDATE orders SET amount_cents = 9901 WHERE order_id = 2")
        .execute(lab.site(DbSide::A))
        .await
        .unwrap();
    until("the change to be validated", || async {
        let t = table(&b, "orders").await;
        (t.updates == 1
            && t.validation_state == "Mismatched records"
            && t.more.validation_failed_records == 1)
            .then_some(())
    })
    .await;

    // A data-reload copies the table again: it validates clean, and its
    // recorded failures start afresh.
    b.replication
        .reload_tables(
            TaskRole::Forward,
            &[TableRef::parse("customer_orders.orders").unwrap()],
            ReloadOption::DataReload,
        )
        .await
        .unwrap();
    until("the reloaded table to validate clean", || async {
        let t = table(&b, "orders").await;
        (t.more.full_load_reloaded == Some(true)
            && t.validation_state == "Validated"
            && t.more.validation_failed_records == 0)
            .then_some(())
    })
    .await;
    let after = b
        .validation_failures(TaskRole::Forward, &of, 10)
        .await
        .unwrap();
    assert_eq!(counts_of(&after, "orders"), None, "{after:?}");
    assert!(counts_of(&after, "customers").is_some());
    lab.shutdown().await;
}

fn counts_of(
    s: &dms_cockpit::backend::validation::ValidationSummary,
    table: &str,
) -> Option<std::collections::BTreeMap<String, i64>> {
    s.counts.get(&format!("customer_orders.{table}")).cloned()
}

/// Issue 12: `--validate forward` on a headless `--lab` command turns the
/// lab's validation on for that directory; `validate-only` then works
/// headless too.
#[tokio::test]
async fn headless_validate_only_on_a_lab_that_validates() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lab");
    {
        let (lab, b) = open(&data).await;
        loaded_forward(&b).await;
        lab.shutdown().await;
    }
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dms-cockpit"))
        .args([
            "task",
            "reload-tables",
            "forward",
            "--table",
            "customer_orders.orders",
            "--validate-only",
            "--yes",
            "--lab",
            "--validate",
            "forward",
            "--data-dir",
        ])
        .arg(&data)
        .arg("--log-file")
        .arg(dir.path().join("l.log"))
        .arg("--audit-log")
        .arg(dir.path().join("audit.jsonl"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("validate-only of customer_orders.orders accepted")
    );
    // A reload is a change: one audit line, as the TUI's `V` writes.
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(audit.trim()).unwrap();
    assert_eq!(
        line["request"], "validate-only of customer_orders.orders in the forward task",
        "{audit}"
    );
    assert_eq!(line["result"], "confirmed", "{audit}");
    // It stays on for the directory.
    let (lab, b) = open(&data).await;
    until("the table to be validated", || async {
        (table(&b, "orders").await.validation_state == "Validated").then_some(())
    })
    .await;
    lab.shutdown().await;
}
