//! `dms-cockpit lag`: the TUI's automatic heartbeats for scripts and demos.
//! It runs the very same app logic (the lag meter in `app::lag`) and the
//! same executor as the TUI, on a clock of its own, and prints one line (or
//! JSON object) per measurement and direction, plus one when a direction
//! stops replicating. With `--read-only` it writes nothing and prints the
//! age of others' heartbeats instead.

use std::collections::BTreeSet;

use chrono::Utc;
use serde::Serialize;
use tokio::sync::mpsc;

use super::connect::{self, Connected};
use super::{Failure, Outcome};
use crate::app::lag::{
    LagBasis, LagSettings, LagState, LagTracker, Measured, direction_arrow, direction_name,
};
use crate::app::{App, Command, Msg, Settings};
use crate::backend::{Backends, DbSide, TaskRole};
use crate::cli::{GlobalArgs, LagArgs, LagThresholdArgs};
use crate::format;
use crate::runtime::executor::{self, Context};

/// One output record.
#[derive(Debug, Clone, Serialize)]
pub struct LagLine {
    pub at: String,
    pub direction: &'static str,
    pub state: LagState,
    pub lag_ms: Option<i64>,
    pub resolution_ms: i64,
    pub basis: LagBasis,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_for_ms: Option<i64>,
}

/// The flags over the config's `[lag]`; checks that they still make sense.
pub fn apply_thresholds(lag: &mut LagSettings, flags: &LagThresholdArgs) -> Result<(), Failure> {
    if let Some(w) = flags.warn {
        lag.warn = w;
    }
    if let Some(n) = flags.not_replicating {
        lag.not_replicating = n;
    }
    if lag.warn >= lag.not_replicating {
        return Err(Failure::BadInput(format!(
            "--warn ({}) must be shorter than --not-replicating ({})",
            humantime::format_duration(lag.warn),
            humantime::format_duration(lag.not_replicating)
        )));
    }
    Ok(())
}

pub async fn run(global: &GlobalArgs, args: &LagArgs) -> Outcome {
    let mut connected = connect::target(global, &args.target).await?;
    let mut lag = connected.settings.lag;
    if let Some(every) = args.every {
        lag.every = every;
    }
    let checked = apply_thresholds(&mut lag, &args.thresholds);
    connected.settings.lag = lag;
    let result = match checked {
        Ok(()) => measure(&connected, args).await,
        Err(e) => Err(e),
    };
    connected.close().await;
    result
}

async fn measure(connected: &Connected, args: &LagArgs) -> Outcome {
    let json = args.json;
    let mut printed = Ok(());
    let (down, _) = measure_with(
        &connected.backends,
        connected.settings.clone(),
        args.count,
        json,
        |line| {
            if printed.is_ok() {
                printed = print_line(line, json);
            }
        },
    )
    .await;
    printed?;
    if down.is_empty() {
        Ok(())
    } else {
        let names: Vec<&str> = down.iter().map(|r| direction_arrow(*r)).collect();
        Err(Failure::Failed(
            format!(
                "not replicating: {} (a heartbeat was missing for {} or more)",
                names.join(", "),
                humantime::format_duration(connected.settings.lag.not_replicating)
            )
            .into(),
        ))
    }
}

/// Runs the lag meter on `backends` until `count` rounds are done and
/// waited for (or Ctrl-C), handing every line to `out`. Returns the
/// directions that were declared not replicating at some point. Public so
/// the lab tests run exactly what the command runs.
pub async fn measure_with(
    backends: &Backends,
    settings: Settings,
    count: Option<u32>,
    quiet: bool,
    mut out: impl FnMut(&LagLine),
) -> (BTreeSet<TaskRole>, LagTracker) {
    let mut app = App::new(
        backends.mode.clone(),
        backends.databases.clone(),
        settings.clone(),
        Utc::now(),
    );
    let read_only = backends.mode.read_only;
    app.lag.auto = !read_only;
    let context = Context {
        operator: settings.operator.clone(),
        heartbeat_rows: settings.heartbeat_rows.max(50),
        audit: None,
    };
    let lag = app.lag.tracker.settings;
    if !quiet {
        eprintln!(
            "measuring lag a→b and b→a: {}; resolution {}",
            app.lag.tracker.basis.describe(),
            humantime::format_duration(lag.poll)
        );
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let spawn = |command: Command| {
        let backends = backends.clone();
        let context = context.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(executor::run(&backends, &context, command).await);
        });
    };
    // Read-only reads the latest rows of both databases once per `every`.
    let mut clock = tokio::time::interval(if read_only { lag.every } else { lag.poll });
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rounds = 0u32;
    let mut in_flight = 0usize;
    let mut ever_down = BTreeSet::new();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let msg = tokio::select! {
            _ = &mut ctrl_c => break,
            _ = clock.tick() => Msg::LagTick,
            Some(msg) = rx.recv() => { in_flight -= 1; msg }
        };
        let ticked = msg == Msg::LagTick;
        let down_before = app.lag.reported_down.clone();
        let round_before = app.lag.last_round;
        let commands = if ticked && read_only {
            let done = count.is_some_and(|n| rounds >= n);
            if done && in_flight == 0 {
                break;
            }
            if done {
                vec![]
            } else {
                rounds += 1;
                DbSide::ALL.map(Command::FetchHeartbeats).to_vec()
            }
        } else {
            app.update(Utc::now(), msg)
        };
        if app.lag.last_round != round_before {
            rounds += 1;
            if count.is_some_and(|n| rounds >= n) {
                app.lag.auto = false;
            }
        }
        for m in &app.lag.measured {
            out(&line_of(&app, m));
        }
        app.lag.measured.clear();
        for role in app.lag.reported_down.difference(&down_before) {
            ever_down.insert(*role);
            out(&down_line(&app, *role));
        }
        in_flight += commands.len();
        for command in commands {
            spawn(command);
        }
        if !read_only && count.is_some_and(|n| rounds >= n) && in_flight == 0 {
            // Done once every heartbeat was seen or its direction was
            // declared not replicating.
            let waiting = TaskRole::ALL.iter().any(|r| {
                !app.lag.tracker.per[*r].outstanding.is_empty()
                    && !app.lag.reported_down.contains(r)
            });
            if !waiting {
                break;
            }
        }
    }
    (ever_down, app.lag.tracker)
}

fn line_of(app: &App, m: &Measured) -> LagLine {
    let t = &app.lag.tracker;
    LagLine {
        at: format::rfc3339(m.at),
        direction: direction_name(m.direction),
        state: t.state(m.direction, m.at),
        lag_ms: Some(m.lag_ms),
        resolution_ms: t.report(m.direction, m.at).resolution_ms,
        basis: t.basis,
        heartbeat_id: m.heartbeat_id,
        site: m.site.clone(),
        missing_for_ms: None,
    }
}

fn down_line(app: &App, role: TaskRole) -> LagLine {
    let report = app.lag.tracker.report(role, app.now);
    LagLine {
        at: format::rfc3339(app.now),
        direction: direction_name(role),
        state: LagState::NotReplicating,
        lag_ms: None,
        resolution_ms: report.resolution_ms,
        basis: report.basis,
        heartbeat_id: app.lag.tracker.per[role]
            .outstanding
            .front()
            .map(|o| o.row.id),
        site: None,
        missing_for_ms: report.missing_for_ms,
    }
}

fn print_line(line: &LagLine, json: bool) -> Outcome {
    let text = if json {
        serde_json::to_string(line)
            .map_err(|e| Failure::Failed(format!("cannot encode a lag line as JSON: {e}").into()))?
    } else {
        text_line(line)
    };
    super::output::say(text)
}

/// `2026-11-27T10:00:03.250Z a→b 2.03 s ±250 ms replicating (heartbeat 17 as SITEA)`
pub fn text_line(l: &LagLine) -> String {
    let arrow = if l.direction == "a_to_b" {
        "a→b"
    } else {
        "b→a"
    };
    let state = l.state.as_str().replace('_', " ");
    match (l.lag_ms, l.missing_for_ms) {
        (Some(lag), _) => {
            let what = match (l.heartbeat_id, &l.site) {
                (Some(id), Some(site)) => format!(" (heartbeat {id} as {site})"),
                _ => " (age, database clock)".to_string(),
            };
            format!(
                "{} {arrow} {} ±{} {state}{what}",
                l.at,
                format::lag_ms(lag),
                format::lag_ms(l.resolution_ms)
            )
        }
        (None, missing) => format!(
            "{} {arrow} {state}: heartbeat {} missing for {}",
            l.at,
            l.heartbeat_id.map_or("?".to_string(), |i| i.to_string()),
            format::lag_ms(missing.unwrap_or(0))
        ),
    }
}
