//! Property tests of `App::update` (proptest): random sequences of keys,
//! resizes, ticks and backend messages. Whatever the sequence:
//!
//! * `update` never panics;
//! * a confirmed mutation (stop, reload-target, flip) is only produced by
//!   the `y` that answered the prompt its own key opened, for exactly what
//!   that prompt showed;
//! * no mutation is produced again while the same one is pending (a start
//!   or stop of a task, a flip of a site, a heartbeat of a site), until its
//!   result has come back.
//!
//! Results of mutations are only fed back for commands the app actually
//! produced, as the runtime does; data messages (task snapshots, heartbeat
//! rows, the appmap, errors) arrive at any time.

use chrono::{DateTime, TimeZone, Utc};
use dms_cockpit::app::keymap::{Key, action_for};
use dms_cockpit::app::{Action, App, Command, Input, Msg, Pending, Popup, Settings};
use dms_cockpit::backend::{
    AppMapItem, BackendError, DatabaseRef, DbSide, Engine, HeartbeatRow, ModeInfo, PerDb, Site,
    StartType, TableStats, TaskProgress, TaskRole, TaskSnapshot, TaskStatus,
};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
}

fn databases() -> PerDb<DatabaseRef> {
    let db = |side, engine, endpoint: &str, port| DatabaseRef {
        side,
        engine,
        endpoint: endpoint.into(),
        port,
        dbname: "orders".into(),
        username: "customer_orders".into(),
    };
    PerDb {
        a: db(DbSide::A, Engine::Oracle, "ora.example", 1521),
        b: db(DbSide::B, Engine::Postgresql, "pg.example", 5432),
    }
}

/// One step of a random session.
#[derive(Debug, Clone)]
enum Step {
    Key(Key),
    Resize(u16, u16),
    Tick,
    /// A task snapshot: status by index, or an error.
    Task(TaskRole, usize, bool),
    /// A task's table statistics, or an error.
    Tables(TaskRole, u16, bool),
    Heartbeats(DbSide, u8, bool),
    /// The appmap: 0 = both sites on a, 1 = split, 2 = empty, 3 = error.
    AppMap(u8),
    /// The result of the n-th mutation in flight (if any), ok or failed.
    Complete(usize, bool),
}

const STATUSES: [TaskStatus; 6] = [
    TaskStatus::Ready,
    TaskStatus::Running,
    TaskStatus::Stopped,
    TaskStatus::Failed,
    TaskStatus::Starting,
    TaskStatus::Stopping,
];

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        8 => prop::sample::select(b"?qjkgG12sxRabfrynNYA".to_vec()).prop_map(|c| Key::Char(c as char)),
        1 => prop::sample::select(vec![
            Key::Tab,
            Key::BackTab,
            Key::Up,
            Key::Down,
            Key::PageUp,
            Key::PageDown,
            Key::Home,
            Key::End,
            Key::Enter,
            Key::Esc,
        ]),
    ]
}

fn role() -> impl Strategy<Value = TaskRole> {
    prop::sample::select(TaskRole::ALL.to_vec())
}

fn db() -> impl Strategy<Value = DbSide> {
    prop::sample::select(DbSide::ALL.to_vec())
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => key().prop_map(Step::Key),
        1 => (0u16..300, 0u16..100).prop_map(|(w, h)| Step::Resize(w, h)),
        1 => Just(Step::Tick),
        3 => (role(), 0..STATUSES.len(), any::<bool>())
            .prop_map(|(r, s, ok)| Step::Task(r, s, ok)),
        2 => (role(), 0u16..40, any::<bool>()).prop_map(|(r, n, ok)| Step::Tables(r, n, ok)),
        2 => (db(), 0u8..12, any::<bool>()).prop_map(|(d, n, ok)| Step::Heartbeats(d, n, ok)),
        2 => (0u8..4).prop_map(Step::AppMap),
        4 => (0usize..4, any::<bool>()).prop_map(|(i, ok)| Step::Complete(i, ok)),
    ]
}

fn snapshot(role: TaskRole, status: TaskStatus) -> TaskSnapshot {
    TaskSnapshot {
        role,
        id: format!("{role}-task"),
        arn: format!("arn:aws:dms:us-east-1:1:task:{role}"),
        status,
        migration_type: "cdc".into(),
        progress: TaskProgress::default(),
        stop_reason: None,
        last_failure: None,
        start_date: Some(now()),
        recovery_checkpoint: None,
        control_schema: None,
    }
}

fn tables(n: u16) -> Vec<TableStats> {
    (0..n)
        .map(|i| TableStats {
            schema: "customer_orders".into(),
            table: format!("t{i}"),
            ..TableStats::default()
        })
        .collect()
}

fn appmap(variant: u8) -> Result<Vec<AppMapItem>, BackendError> {
    let dbs = databases();
    match variant {
        0 => Ok(vec![
            AppMapItem::new("SITEA", &dbs.a),
            AppMapItem::new("SITEB", &dbs.a),
        ]),
        1 => Ok(vec![
            AppMapItem::new("SITEA", &dbs.a),
            AppMapItem::new("SITEB", &dbs.b),
        ]),
        2 => Ok(vec![]),
        _ => Err(BackendError::Unavailable("appmap down".into())),
    }
}

/// What a mutation is "the same as" for the no-second-while-pending rule.
#[derive(Debug, Clone, PartialEq)]
enum InFlight {
    Start(TaskRole),
    Stop(TaskRole),
    Flip(Site),
    Heartbeat(Site),
}

fn in_flight(command: &Command) -> Option<InFlight> {
    match command {
        Command::StartTask(role, _) => Some(InFlight::Start(*role)),
        Command::StopTask(role) => Some(InFlight::Stop(*role)),
        Command::Flip(site, _) => Some(InFlight::Flip(*site)),
        Command::InsertHeartbeat(site) => Some(InFlight::Heartbeat(*site)),
        _ => None,
    }
}

/// The message that ends `pending`, as the executor would send it.
fn result_of(pending: &(InFlight, Command), ok: bool) -> Msg {
    let err = || BackendError::Other("refused".into());
    match &pending.1 {
        Command::StartTask(role, request) => {
            Msg::Started(*role, request.clone(), if ok { Ok(()) } else { Err(err()) })
        }
        Command::StopTask(role) => Msg::Stopped(*role, if ok { Ok(()) } else { Err(err()) }),
        Command::Flip(site, seen) => {
            let dbs = databases();
            let to = if seen.dbengine == "oracle" {
                DbSide::B
            } else {
                DbSide::A
            };
            Msg::Flipped(
                *site,
                if ok {
                    Ok((AppMapItem::new(site.as_str(), &dbs[to]), to))
                } else {
                    Err(err())
                },
            )
        }
        Command::InsertHeartbeat(site) => Msg::HeartbeatInserted(
            *site,
            if ok {
                Ok((
                    DbSide::A,
                    HeartbeatRow {
                        id: 1,
                        at: now(),
                        site: site.as_str().into(),
                    },
                ))
            } else {
                Err(err())
            },
        ),
        other => unreachable!("not a mutation: {other:?}"),
    }
}

/// Checks one update's commands against the popup before it and what is
/// in flight; records the new mutations.
fn check(
    input: &Input,
    popup_before: &Option<Popup>,
    commands: &[Command],
    pending: &mut Vec<(InFlight, Command)>,
) -> Result<(), TestCaseError> {
    for command in commands {
        let confirmed = match command {
            Command::StopTask(role) => Some(Pending::Stop(*role)),
            Command::StartTask(role, request) if request.start_type == StartType::ReloadTarget => {
                Some(Pending::Reload(*role))
            }
            // A start that empties the target asks first (issue 10).
            Command::StartTask(role, request)
                if matches!(popup_before, Some(Popup::Confirm(Pending::Start(..)))) =>
            {
                Some(Pending::Start(*role, request.clone()))
            }
            Command::Flip(site, seen) => match popup_before {
                Some(Popup::Confirm(Pending::Flip {
                    site: s,
                    seen: v,
                    to,
                    changed_from,
                })) => {
                    prop_assert_eq!((s, v), (site, seen), "flip differs from the prompt");
                    Some(Pending::Flip {
                        site: *site,
                        seen: seen.clone(),
                        to: *to,
                        changed_from: changed_from.clone(),
                    })
                }
                _ => {
                    return Err(TestCaseError::fail(format!(
                        "{command:?} without a flip prompt (popup was {popup_before:?}, input {input:?})"
                    )));
                }
            },
            _ => None,
        };
        if let Some(expected) = confirmed {
            prop_assert_eq!(
                input,
                &Input::Action(Action::Confirm),
                "{:?} not produced by a confirmation",
                command
            );
            prop_assert_eq!(
                popup_before,
                &Some(Popup::Confirm(expected)),
                "{:?} not what the prompt asked",
                command
            );
        }
        if let Some(kind) = in_flight(command) {
            prop_assert!(
                !pending.iter().any(|(k, _)| *k == kind),
                "{:?} produced again while pending ({:?})",
                command,
                pending
            );
            pending.push((kind, command.clone()));
        }
    }
    Ok(())
}

fn run(steps: Vec<Step>, read_only: bool) -> Result<(), TestCaseError> {
    let mode = ModeInfo {
        name: "LAB".into(),
        description: "property test".into(),
        read_only,
    };
    let mut app = App::new(mode, databases(), Settings::default(), now());
    let mut pending: Vec<(InFlight, Command)> = Vec::new();
    let feed = |app: &mut App, input: Input, pending: &mut Vec<(InFlight, Command)>| {
        let popup_before = app.popup.clone();
        let commands = app.update(now(), input.clone());
        check(&input, &popup_before, &commands, pending)?;
        if read_only {
            prop_assert!(
                !commands.iter().any(|c| in_flight(c).is_some()),
                "read-only produced {:?}",
                commands
            );
        }
        Ok::<(), TestCaseError>(())
    };
    feed(&mut app, Action::Resize(100, 30).into(), &mut pending)?;
    for step in steps {
        let input: Input = match step {
            Step::Key(k) => match action_for(&app, k) {
                Some(action) => action.into(),
                None => continue,
            },
            Step::Resize(w, h) => Action::Resize(w, h).into(),
            Step::Tick => Msg::Tick.into(),
            Step::Task(role, status, ok) => Msg::Task(
                role,
                if ok {
                    Ok(snapshot(role, STATUSES[status].clone()))
                } else {
                    Err(BackendError::Timeout(std::time::Duration::from_secs(3)))
                },
            )
            .into(),
            Step::Tables(role, n, ok) => Msg::Tables(
                role,
                if ok {
                    Ok(tables(n))
                } else {
                    Err(BackendError::Unavailable("statistics down".into()))
                },
            )
            .into(),
            Step::Heartbeats(db, n, ok) => Msg::Heartbeats(
                db,
                if ok {
                    Ok((0..n as i64)
                        .map(|id| HeartbeatRow {
                            id,
                            at: now(),
                            site: "SITEA".into(),
                        })
                        .collect())
                } else {
                    Err(BackendError::Unavailable("down".into()))
                },
            )
            .into(),
            Step::AppMap(v) => Msg::AppMap(appmap(v)).into(),
            Step::Complete(i, ok) => {
                if pending.is_empty() {
                    continue;
                }
                let done = pending.remove(i % pending.len());
                result_of(&done, ok).into()
            }
        };
        feed(&mut app, input, &mut pending)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn update_never_panics_confirms_every_mutation_and_never_doubles_one(
        steps in prop::collection::vec(step(), 1..120)
    ) {
        run(steps, false)?;
    }

    #[test]
    fn read_only_never_produces_a_mutation(steps in prop::collection::vec(step(), 1..80)) {
        run(steps, true)?;
    }
}
