//! The command line: every flag and subcommand, parsed by clap (derive).
//! Values are checked here as far as they can be without I/O, so a bad
//! flag fails with exit code 2 before anything is created or connected.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::backend::{DbSide, Engine, Site, TaskRole};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success (also when a reader closed the output early, e.g. `| head`)
  1  the action failed (a backend refused or is unreachable, a task is failed,
     an appmap item names neither configured database) or its outcome is
     unknown (no answer in time; what is now true is printed)
  2  bad input or configuration (nothing was changed)";

#[derive(Debug, Parser)]
#[command(
    name = "dms-cockpit",
    version,
    about = "Terminal cockpit for a two-way AWS DMS migration (Oracle <-> PostgreSQL)",
    long_about = "Terminal cockpit for a two-way AWS DMS migration: the forward and backward \
                  tasks, the heartbeat rows of both databases, the DynamoDB appmap that routes \
                  each application site, and an event log. With no subcommand it opens the TUI \
                  on the configuration it finds; `dms-cockpit lab` runs it on an embedded lab \
                  that needs no AWS account, no Oracle and no server.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Configuration file [default: $DMS_COCKPIT_CONFIG, ./dms-cockpit.toml,
    /// then the user's config directory]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// No colour (also when NO_COLOR is set and non-empty)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Refuse every change: no start, stop, heartbeat or flip
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Where logs go [default: dms-cockpit.log in the user's state or cache
    /// directory]; logs never go to the screen
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Where every mutating action is appended as a JSON line [default:
    /// [audit] path, else audit.jsonl in the user's state directory]
    #[arg(long, global = true, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the cockpit on the embedded lab (SQLite sites, simulated DMS)
    Lab(LabArgs),
    /// Print one snapshot of everything the cockpit shows (text or --json)
    Status(StatusArgs),
    /// Insert heartbeats as a site into the database the appmap names
    Heartbeat(HeartbeatArgs),
    /// Start or stop a DMS task
    #[command(subcommand)]
    Task(TaskCommand),
    /// Print a task's log (CloudWatch Logs, or the lab's); --follow keeps
    /// printing new lines
    Logs(LogsArgs),
    /// Point a site at the other database (conditional appmap write)
    Flip(FlipArgs),
    /// Create the appmap, the DMS resources or the database objects
    #[command(subcommand)]
    Setup(SetupCommand),
    /// Write a commented configuration template
    Init(InitArgs),
    /// Measure replication lag per direction with heartbeats (a→b, b→a)
    Lag(LagArgs),
    /// Check the pair against AWS's rules for bidirectional replication
    /// (exit 0 all good, 1 findings, 2 bad config)
    Doctor(DoctorArgs),
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
    /// Check the embedded lab's pair instead of the configured one
    #[arg(long)]
    pub lab: bool,
    /// With --lab: the lab pair with one rule broken (e.g. batch-apply)
    #[arg(long, value_name = "NAME", requires = "lab")]
    pub fixture: Option<String>,
}

/// `--warn` and `--not-replicating`: the lag thresholds, over the config's.
#[derive(Debug, Args, Clone, Default)]
pub struct LagThresholdArgs {
    /// A lag at or above this is `slow` [default: [lag] warn, 5s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub warn: Option<Duration>,
    /// A heartbeat missing this long is `not_replicating` [default: [lag]
    /// not_replicating, 30s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub not_replicating: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct LagArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Write a heartbeat as each site this often [default: [lag] every, 1s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub every: Option<Duration>,
    /// Rounds of heartbeats, then wait for them and stop [default: until
    /// Ctrl-C]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub count: Option<u32>,
    /// One JSON object per line instead of text
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub thresholds: LagThresholdArgs,
}

/// Options of the lab itself, shared by `lab` and the headless `--lab`.
#[derive(Debug, Args, Clone)]
pub struct LabDirArgs {
    /// Lab data directory; reusing one resumes its state [default: a fresh
    /// temporary directory]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct LabArgs {
    #[command(flatten)]
    pub dir: LabDirArgs,
    /// Built-in traffic generator: application writes per second, routed
    /// by the appmap
    #[arg(long, value_name = "RATE", value_parser = parse_rate, allow_negative_numbers = true)]
    pub traffic: Option<f64>,
    /// How often the panels refresh
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub refresh: Duration,
    /// How long the simulated DMS spends in starting/stopping
    #[arg(long, value_name = "DURATION", default_value = "800ms", value_parser = parse_duration)]
    pub transition_delay: Duration,
    /// Each task applies a change no sooner than this after it was written
    /// (shows lag and outages)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub apply_delay: Option<Duration>,
    /// Turn data validation on for this task of the lab (forward or
    /// backward; repeat for both); it stays on for the data directory
    #[arg(long = "validate", value_name = "TASK", value_parser = parse_role)]
    pub validate: Vec<TaskRole>,
}

/// Where a headless command runs: the configured system, or the lab.
#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// Run against the embedded lab instead of the configured system
    #[arg(long)]
    pub lab: bool,
    /// The lab's data directory (with --lab)
    #[arg(long, value_name = "DIR", requires = "lab")]
    pub data_dir: Option<PathBuf>,
    /// The lab's tasks apply a change no sooner than this after it was
    /// written (with --lab)
    #[arg(long, value_name = "DURATION", requires = "lab", value_parser = parse_duration)]
    pub apply_delay: Option<Duration>,
    /// Turn data validation on for this task of the lab (with --lab;
    /// repeat for both); it stays on for the data directory
    #[arg(long = "validate", value_name = "TASK", requires = "lab", value_parser = parse_role)]
    pub validate: Vec<TaskRole>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Print JSON (a documented, stable interface) instead of text
    #[arg(long)]
    pub json: bool,
    /// Heartbeat rows per database
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub rows: usize,
    #[command(flatten)]
    pub thresholds: LagThresholdArgs,
}

#[derive(Debug, Args)]
pub struct HeartbeatArgs {
    /// The application site to write as: SITEA or SITEB
    #[arg(value_parser = parse_site)]
    pub site: Site,
    #[command(flatten)]
    pub target: TargetArgs,
    /// How many heartbeats to insert
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub count: u32,
    /// Pause between heartbeats when --count > 1
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub every: Duration,
    /// Latest rows to print afterwards
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub rows: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Start a task: start-replication the first time, resume-processing
    /// after a stop, or --type reload (reloads the target: destructive)
    Start(TaskStartArgs),
    /// Stop a task (asks first; --yes to skip)
    Stop(TaskStopArgs),
    /// Reload single tables of a running task (ReloadTables): data-reload,
    /// or --validate-only
    ReloadTables(TaskReloadArgs),
}

#[derive(Debug, Args)]
pub struct TaskReloadArgs {
    #[arg(value_parser = parse_role)]
    pub task: TaskRole,
    #[command(flatten)]
    pub target: TargetArgs,
    /// A table to reload, as schema.table; repeat for more
    #[arg(long = "table", value_name = "SCHEMA.TABLE", required = true, value_parser = parse_table)]
    pub tables: Vec<crate::backend::TableRef>,
    /// Only validate the tables again (needs a task with validation on);
    /// no row changes
    #[arg(long)]
    pub validate_only: bool,
    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StartTypeArg {
    /// resume-processing
    Resume,
    /// reload-target: reloads the target tables
    Reload,
}

#[derive(Debug, Args)]
pub struct TaskStartArgs {
    #[arg(value_parser = parse_role)]
    pub task: TaskRole,
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long = "type", value_enum)]
    pub start_type: Option<StartTypeArg>,
    /// CDC start time (RFC 3339), e.g. for the backward task
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub cdc_start_time: Option<chrono::DateTime<chrono::Utc>>,
    #[command(flatten)]
    pub guard: GuardArgs,
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// `--yes` and `--force`: how a checklist is answered without a terminal.
#[derive(Debug, Args, Clone, Copy)]
pub struct GuardArgs {
    /// Confirm without asking; only a checklist whose checks all passed
    #[arg(long)]
    pub yes: bool,
    /// Go ahead although a check failed (still needs --yes or an answer)
    #[arg(long)]
    pub force: bool,
}

/// `--wait [--timeout D]`.
#[derive(Debug, Args, Clone, Copy)]
pub struct WaitArgs {
    /// Wait until the task is running (start) or stopped (stop)
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration, requires = "wait")]
    pub timeout: Duration,
}

#[derive(Debug, Args)]
pub struct TaskStopArgs {
    #[arg(value_parser = parse_role)]
    pub task: TaskRole,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub guard: GuardArgs,
    #[command(flatten)]
    pub wait: WaitArgs,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    #[arg(value_parser = parse_role)]
    pub task: TaskRole,
    #[command(flatten)]
    pub target: TargetArgs,
    /// How far back to start, e.g. 10m, 2h
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub since: Duration,
    /// Keep printing new lines until interrupted
    #[arg(long)]
    pub follow: bool,
    /// Only lines containing TEXT (case-insensitive)
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// One JSON object a line: at, severity, text, id
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FlipArgs {
    /// SITEA or SITEB
    #[arg(value_parser = parse_site)]
    pub site: Site,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub guard: GuardArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyShapeArg {
    /// Partition key `site` and sort key `dbengine`, as the original scripts
    #[value(name = "site-dbengine")]
    SiteDbengine,
    /// Partition key `site` only
    Site,
}

#[derive(Debug, Subcommand)]
pub enum SetupCommand {
    /// Create the appmap table if missing and load SITEA/SITEB from the config
    Appmap(SetupAppmapArgs),
    /// Create (or find) the replication instance, endpoints and both tasks
    Dms(SetupDmsArgs),
    /// Print (or --apply) the DDL for a configured database or an engine
    Sql(SetupSqlArgs),
}

#[derive(Debug, Args)]
pub struct SetupAppmapArgs {
    #[arg(long, value_enum, default_value = "site-dbengine")]
    pub key: KeyShapeArg,
    /// Point every site back at its configured database (undoes flips;
    /// asks first)
    #[arg(long)]
    pub reset: bool,
    /// Confirm --reset without asking
    #[arg(long, requires = "reset")]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct SetupDmsArgs {
    /// Print every request as JSON and send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Write the resulting task ARNs into the config file
    #[arg(long)]
    pub write_config: bool,
    /// Test the connection from the replication instance to all four
    /// endpoints and print each result (exit 1 if any fails)
    #[arg(long, conflicts_with_all = ["dry_run", "write_config", "delete"])]
    pub test: bool,
    /// Delete the door: both tasks, the four endpoints, the instance (only
    /// what the config names or setup created; asks first)
    #[arg(long, conflicts_with_all = ["dry_run", "write_config"])]
    pub delete: bool,
    /// Confirm --delete without asking
    #[arg(long, requires = "delete")]
    pub yes: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["database", "engine"])))]
pub struct SetupSqlArgs {
    /// The configured database (a or b)
    #[arg(long, value_parser = parse_db)]
    pub database: Option<DbSide>,
    /// Print the DDL for an engine with default names, no config needed
    #[arg(long, value_parser = parse_engine, conflicts_with = "apply")]
    pub engine: Option<Engine>,
    /// Run it against the database (PostgreSQL only), idempotently
    #[arg(long)]
    pub apply: bool,
    /// Where the database runs (overrides databases.a|b.hosting): Amazon
    /// RDS grants through rdsadmin procedures / rds_replication
    #[arg(long, value_enum)]
    pub hosting: Option<HostingArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HostingArg {
    /// Your own server (or EC2): grants on SYS objects directly
    SelfManaged,
    /// Amazon RDS: rdsadmin.rdsadmin_util procedures, rds_replication
    Rds,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the template
    #[arg(long, default_value = "dms-cockpit.toml", value_name = "PATH")]
    pub path: PathBuf,
    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
    /// List the replication tasks of the account and region (writes nothing)
    #[arg(long, conflicts_with_all = ["forward", "backward"])]
    pub list_tasks: bool,
    /// List the pairs of tasks that mirror each other and ask which one to
    /// write a config for (reads the answer from stdin)
    #[arg(long, conflicts_with_all = ["forward", "backward", "list_tasks"])]
    pub choose: bool,
    /// Write a config for this forward task (a -> b) ...
    #[arg(long, value_name = "ID", requires = "backward")]
    pub forward: Option<String>,
    /// ... and this backward task (b -> a)
    #[arg(long, value_name = "ID", requires = "forward")]
    pub backward: Option<String>,
    /// AWS profile for --list-tasks / --forward (also written to [aws])
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
    /// AWS region for --list-tasks / --forward (also written to [aws])
    #[arg(long, value_name = "R")]
    pub region: Option<String>,
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("`{s}` is not a duration ({e}); expected e.g. 500ms, 2s, 1m"))?;
    if d.is_zero() {
        return Err(format!(
            "`{s}` is zero; expected a positive duration such as 2s"
        ));
    }
    Ok(d)
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 && r <= 10_000.0 => Ok(r),
        _ => Err(format!(
            "`{s}` is not a positive rate; expected writes per second, e.g. 2 or 0.5 (at most 10000)"
        )),
    }
}

fn parse_site(s: &str) -> Result<Site, String> {
    Site::parse(s)
}

fn parse_role(s: &str) -> Result<TaskRole, String> {
    match s {
        "forward" => Ok(TaskRole::Forward),
        "backward" => Ok(TaskRole::Backward),
        _ => Err(format!("unknown task `{s}`: expected forward or backward")),
    }
}

fn parse_table(s: &str) -> Result<crate::backend::TableRef, String> {
    crate::backend::TableRef::parse(s)
}

fn parse_db(s: &str) -> Result<DbSide, String> {
    match s {
        "a" => Ok(DbSide::A),
        "b" => Ok(DbSide::B),
        _ => Err(format!("unknown database `{s}`: expected a or b")),
    }
}

fn parse_engine(s: &str) -> Result<Engine, String> {
    Engine::parse(s)
}

fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| {
            format!("`{s}` is not an RFC 3339 time ({e}); expected e.g. 2026-11-27T10:00:00Z")
        })
}
