//! Pure tests of `App::update`: every action and backend result,
//! confirmations, in-flight guards and errors. No terminal, no backend.

use chrono::{DateTime, TimeZone, Utc};
use dms_cockpit::app::audit::AuditResult;
use dms_cockpit::app::keymap::{Key, action_for};
use dms_cockpit::app::{
    Action, App, Busy, Command, Focus, LogLevel, Msg, Pending, Popup, Settings, TableKey, TableSort,
};
use dms_cockpit::backend::logs::{LogBatch, LogLine, Severity};
use dms_cockpit::backend::validation::FailuresOf;
use dms_cockpit::backend::{
    AppMapItem, BackendError, DatabaseRef, DbSide, Engine, HeartbeatRow, ModeInfo, PerDb,
    ReloadOption, Site, StartRequest, StartType, TableRef, TableStats, TaskProgress, TaskRole,
    TaskSnapshot, TaskStatus,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
}

fn databases() -> PerDb<DatabaseRef> {
    PerDb {
        a: DatabaseRef {
            side: DbSide::A,
            engine: Engine::Oracle,
            endpoint: "ora.example".into(),
            port: 1521,
            dbname: "ORCL".into(),
            username: "customer_orders".into(),
        },
        b: DatabaseRef {
            side: DbSide::B,
            engine: Engine::Postgresql,
            endpoint: "pg.example".into(),
            port: 5432,
            dbname: "postgres".into(),
            username: "customer_orders".into(),
        },
    }
}

fn mode(read_only: bool) -> ModeInfo {
    ModeInfo {
        name: "LAB".into(),
        description: "test".into(),
        read_only,
    }
}

fn app() -> App {
    App::new(mode(false), databases(), Settings::default(), now())
}

fn task(role: TaskRole, status: TaskStatus, ran: bool) -> TaskSnapshot {
    TaskSnapshot {
        role,
        id: format!("{role}-task"),
        arn: format!("arn:aws:dms:us-east-1:1:task:{role}"),
        status,
        migration_type: "cdc".into(),
        progress: TaskProgress::default(),
        stop_reason: None,
        last_failure: None,
        start_date: ran.then(now),
        recovery_checkpoint: None,
        control_schema: None,
    }
}

fn tables() -> Vec<TableStats> {
    (0..30)
        .map(|i| TableStats {
            schema: "customer_orders".into(),
            table: format!("t{i}"),
            ..TableStats::default()
        })
        .collect()
}

fn item(site: Site, db: DbSide) -> AppMapItem {
    let dbs = databases();
    AppMapItem::new(site.as_str(), &dbs[db])
}

fn with_tasks(mut app: App, status: TaskStatus, ran: bool) -> App {
    for role in TaskRole::ALL {
        app.update(now(), Msg::Task(role, Ok(task(role, status.clone(), ran))));
        app.update(now(), Msg::Tables(role, Ok(tables())));
    }
    app
}

/// The commands other than audit lines (those have tests of their own).
fn effects(cmds: Vec<Command>) -> Vec<Command> {
    cmds.into_iter()
        .filter(|c| !matches!(c, Command::Audit(_)))
        .collect()
}

fn last_log(app: &App) -> (LogLevel, String) {
    let e = app.log.back().expect("a log entry");
    (e.level, e.text.clone())
}

#[test]
fn tick_polls_every_panel_once_and_not_again_while_in_flight() {
    let mut app = app();
    let first = app.update(now(), Msg::Tick);
    assert_eq!(first.len(), 7, "{first:?}");
    assert!(first.contains(&Command::FetchTask(TaskRole::Forward)));
    assert!(first.contains(&Command::FetchTables(TaskRole::Backward)));
    assert!(first.contains(&Command::FetchHeartbeats(DbSide::B)));
    assert!(first.contains(&Command::FetchAppMap));
    assert!(app.update(now(), Msg::Tick).is_empty(), "no pile-up");
    app.update(now(), Msg::AppMap(Ok(vec![])));
    assert_eq!(app.update(now(), Msg::Tick), vec![Command::FetchAppMap]);
}

#[test]
fn refresh_key_polls_what_is_not_in_flight_and_logs() {
    let mut app = app();
    let cmds = app.update(now(), Action::Refresh);
    assert_eq!(cmds.len(), 7, "{cmds:?}");
    assert!(app.update(now(), Action::Refresh).is_empty());
    assert_eq!(last_log(&app).1, "refresh requested");
}

#[test]
fn results_are_stored_with_time_and_errors_keep_old_data() {
    let mut app = app();
    app.update(now(), Msg::Tick);
    let rows = vec![HeartbeatRow {
        id: 7,
        at: now(),
        site: "SITEA".into(),
    }];
    app.update(now(), Msg::Heartbeats(DbSide::A, Ok(rows.clone())));
    assert_eq!(app.heartbeats.a.data.as_deref(), Some(&rows[..]));
    assert_eq!(app.heartbeats.a.fetched_at, Some(now()));
    assert!(!app.heartbeats.a.loading);

    let later = now() + chrono::Duration::seconds(5);
    app.update(
        later,
        Msg::Heartbeats(DbSide::A, Err(BackendError::Unavailable("db down".into()))),
    );
    assert_eq!(
        app.heartbeats.a.data.as_deref(),
        Some(&rows[..]),
        "stale data kept"
    );
    assert_eq!(app.heartbeats.a.error.as_deref(), Some("db down"));
    assert_eq!(app.heartbeats.a.error_at, Some(later));
    assert_eq!(
        app.heartbeats.a.fetched_at,
        Some(now()),
        "age of the data unchanged"
    );
    // The other panels are untouched by that error.
    assert!(app.heartbeats.b.error.is_none());

    app.update(later, Msg::Heartbeats(DbSide::A, Ok(vec![])));
    assert!(app.heartbeats.a.error.is_none(), "success clears the error");
}

#[test]
fn replicated_asks_the_other_database_for_exactly_the_ids_shown() {
    let mut app = app();
    let row = |id, site: &str, secs| HeartbeatRow {
        id,
        at: now() + chrono::Duration::seconds(secs),
        site: site.into(),
    };
    let cmds = app.update(
        now(),
        Msg::Heartbeats(
            DbSide::A,
            Ok(vec![
                row(3, "SITEA", 3),
                row(2, "SITEA", 2),
                row(1, "SITEA", 1),
            ]),
        ),
    );
    assert_eq!(cmds, vec![Command::FetchReplicas(DbSide::A, vec![3, 2, 1])]);
    // Not asked yet: unknown, and no mark.
    assert_eq!(app.replicated(DbSide::A, &row(1, "SITEA", 1)), None);
    // While that check is in flight, another read does not pile one up.
    assert!(
        app.update(
            now(),
            Msg::Heartbeats(DbSide::A, Ok(vec![row(1, "SITEA", 1)]))
        )
        .is_empty()
    );
    // b holds 1 as written; 2 with the same id but another site; 3 with
    // another time. Only 1 is replicated (the live false positive).
    app.update(
        now(),
        Msg::Replicas(
            DbSide::A,
            vec![3, 2, 1],
            Ok(vec![
                row(1, "SITEA", 1),
                row(2, "SITEB", 2),
                row(3, "SITEA", 9),
            ]),
        ),
    );
    assert!(app.is_replicated(DbSide::A, &row(1, "SITEA", 1)));
    assert_eq!(app.replicated(DbSide::A, &row(2, "SITEA", 2)), Some(false));
    assert_eq!(app.replicated(DbSide::A, &row(3, "SITEA", 3)), Some(false));
    // An id that was not asked about stays unknown.
    assert_eq!(app.replicated(DbSide::A, &row(4, "SITEA", 4)), None);
    // Nothing shown: nothing to ask.
    assert!(
        app.update(now(), Msg::Heartbeats(DbSide::B, Ok(vec![])))
            .is_empty()
    );
}

#[test]
fn start_picks_start_replication_first_and_resume_after_a_stop() {
    let mut app = with_tasks(app(), TaskStatus::Ready, false);
    let cmds = app.update(now(), Action::StartSelected);
    assert_eq!(
        cmds,
        vec![Command::StartTask(
            TaskRole::Forward,
            StartRequest {
                start_type: StartType::StartReplication,
                cdc_start_time: None
            }
        )]
    );
    assert!(app.busy.contains(&Busy::Start(TaskRole::Forward)));

    let mut app = with_tasks(self::app(), TaskStatus::Stopped, true);
    app.update(now(), Action::SelectTask(TaskRole::Backward));
    let cmds = app.update(now(), Action::StartSelected);
    assert_eq!(
        cmds,
        vec![Command::StartTask(
            TaskRole::Backward,
            StartRequest {
                start_type: StartType::ResumeProcessing,
                cdc_start_time: None
            }
        )]
    );
}

#[test]
fn start_is_not_sent_twice_while_in_flight_and_result_clears_it() {
    let mut app = with_tasks(app(), TaskStatus::Ready, false);
    assert_eq!(app.update(now(), Action::StartSelected).len(), 1);
    assert!(
        app.update(now(), Action::StartSelected).is_empty(),
        "repeated key ignored"
    );
    let req = StartRequest {
        start_type: StartType::StartReplication,
        cdc_start_time: None,
    };
    let cmds = effects(app.update(now(), Msg::Started(TaskRole::Forward, req, Ok(()))));
    assert!(!app.busy.contains(&Busy::Start(TaskRole::Forward)));
    assert_eq!(
        cmds,
        vec![
            Command::FetchTask(TaskRole::Forward),
            Command::FetchTables(TaskRole::Forward)
        ],
        "refreshes the task"
    );
    assert_eq!(last_log(&app).0, LogLevel::Success);
}

#[test]
fn start_failure_is_logged_as_error() {
    let mut app = with_tasks(app(), TaskStatus::Ready, false);
    app.update(now(), Action::StartSelected);
    let req = StartRequest {
        start_type: StartType::StartReplication,
        cdc_start_time: None,
    };
    app.update(
        now(),
        Msg::Started(
            TaskRole::Forward,
            req,
            Err(BackendError::InvalidState("bad state".into())),
        ),
    );
    let (level, text) = last_log(&app);
    assert_eq!(level, LogLevel::Error);
    assert!(text.contains("bad state"), "{text}");
}

#[test]
fn start_of_a_running_or_unknown_task_is_refused_with_a_reason() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    assert!(effects(app.update(now(), Action::StartSelected)).is_empty());
    let (level, text) = last_log(&app);
    assert_eq!(level, LogLevel::Error);
    assert!(text.contains("already running"), "{text}");

    let mut fresh = self::app();
    assert!(effects(fresh.update(now(), Action::StartSelected)).is_empty());
    assert!(last_log(&fresh).1.contains("not known yet"));
}

#[test]
fn stop_asks_first_and_y_confirms_n_cancels() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    assert!(app.update(now(), Action::StopSelected).is_empty());
    assert_eq!(
        app.popup,
        Some(Popup::Confirm(Pending::Stop(TaskRole::Forward)))
    );
    assert!(app.update(now(), Action::Cancel).is_empty());
    assert_eq!(app.popup, None);

    app.update(now(), Action::StopSelected);
    assert_eq!(
        app.update(now(), Action::Confirm),
        vec![Command::StopTask(TaskRole::Forward)]
    );
    assert_eq!(app.popup, None);
    app.update(now(), Action::StopSelected);
    assert!(
        app.update(now(), Action::Confirm).is_empty(),
        "stop already in flight"
    );
    let cmds = app.update(now(), Msg::Stopped(TaskRole::Forward, Ok(())));
    assert!(
        matches!(&cmds[0], Command::Audit(r) if r.request.starts_with("stop the forward task"))
    );
    assert_eq!(
        effects(cmds),
        vec![
            Command::FetchTask(TaskRole::Forward),
            Command::FetchTables(TaskRole::Forward)
        ]
    );
}

#[test]
fn other_keys_do_nothing_in_a_prompt() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    app.update(now(), Action::StopSelected);
    let popup = app.popup.clone();
    for key in [
        Key::Char('s'),
        Key::Char('a'),
        Key::Char('x'),
        Key::Tab,
        Key::Char('z'),
    ] {
        assert_eq!(action_for(&app, key), None, "{key:?}");
    }
    assert_eq!(action_for(&app, Key::Char('y')), Some(Action::Confirm));
    assert_eq!(action_for(&app, Key::Char('n')), Some(Action::Cancel));
    assert_eq!(action_for(&app, Key::Esc), Some(Action::Cancel));
    // And actions that slip through while a prompt is open change nothing.
    assert!(app.update(now(), Action::Heartbeat(Site::A)).is_empty());
    assert_eq!(app.popup, popup);
}

#[test]
fn stop_of_a_stopped_task_is_refused_without_a_prompt() {
    let mut app = with_tasks(app(), TaskStatus::Stopped, true);
    app.update(now(), Action::StopSelected);
    assert_eq!(app.popup, None);
    assert!(
        last_log(&app)
            .1
            .contains("only a running or starting task can be stopped")
    );
}

#[test]
fn reload_target_is_confirmed_by_typing_the_task_identifier_not_y_twice() {
    let mut app = with_tasks(app(), TaskStatus::Stopped, true);
    app.update(now(), Action::ReloadSelected);
    assert_eq!(
        app.popup,
        Some(Popup::Confirm(Pending::Reload(TaskRole::Forward)))
    );
    assert_eq!(action_for(&app, Key::Char('y')), Some(Action::Type('y')));
    assert_eq!(action_for(&app, Key::Enter), Some(Action::Confirm));
    // Nothing in the target statistics and no heartbeats read: the list
    // fails on the unread heartbeat table, so override it first.
    app.update(now(), Action::Override);
    assert!(
        app.update(now(), Action::Confirm).is_empty(),
        "nothing typed yet"
    );
    assert!(
        last_log(&app)
            .1
            .contains("type the task identifier forward-task")
    );
    for c in "forward-tas".chars() {
        app.update(now(), Action::Type(c));
    }
    assert!(
        app.update(now(), Action::Confirm).is_empty(),
        "one letter short"
    );
    app.update(now(), Action::Type('k'));
    let cmds = app.update(now(), Action::Confirm);
    assert_eq!(
        cmds,
        vec![Command::StartTask(
            TaskRole::Forward,
            StartRequest {
                start_type: StartType::ReloadTarget,
                cdc_start_time: None
            }
        )]
    );
    assert_eq!(app.popup, None);
}

#[test]
fn heartbeat_is_sent_once_while_in_flight() {
    let mut app = app();
    assert_eq!(
        app.update(now(), Action::Heartbeat(Site::A)),
        vec![Command::InsertHeartbeat(Site::A)]
    );
    assert!(
        app.update(now(), Action::Heartbeat(Site::A)).is_empty(),
        "queued behind the one in flight"
    );
    assert_eq!(
        app.update(now(), Action::Heartbeat(Site::B)),
        vec![Command::InsertHeartbeat(Site::B)]
    );
    let row = HeartbeatRow {
        id: 42,
        at: now(),
        site: "SITEA".into(),
    };
    let cmds = app.update(
        now(),
        Msg::HeartbeatInserted(Site::A, Ok((DbSide::B, row.clone()))),
    );
    let Some(Command::Audit(record)) = cmds.first() else {
        panic!("a manual heartbeat is audited first: {cmds:?}")
    };
    assert_eq!(record.request, "heartbeat as SITEA");
    assert_eq!(record.result, AuditResult::Confirmed);
    assert_eq!(
        record.message.as_deref(),
        Some("inserted heartbeat 42 into database b")
    );
    assert_eq!(
        cmds[1..],
        [
            Command::FetchHeartbeats(DbSide::B),
            Command::InsertHeartbeat(Site::A)
        ]
    );
    assert!(app.busy.contains(&Busy::Heartbeat(Site::A)));
    app.update(now(), Msg::HeartbeatInserted(Site::A, Ok((DbSide::B, row))));
    assert!(app.log.iter().any(|e| {
        e.text
            .contains("heartbeat 42 as SITEA inserted into database b")
    }));
    assert!(!app.busy.contains(&Busy::Heartbeat(Site::A)));
}

#[test]
fn heartbeat_failure_is_logged() {
    let mut app = app();
    app.update(now(), Action::Heartbeat(Site::B));
    app.update(
        now(),
        Msg::HeartbeatInserted(
            Site::B,
            Err(BackendError::Timeout(std::time::Duration::from_secs(5))),
        ),
    );
    let (level, text) = last_log(&app);
    assert_eq!(level, LogLevel::Error);
    assert!(
        text.contains("heartbeat as SITEB failed: no answer within 5s"),
        "{text}"
    );
}

#[test]
fn flip_asks_which_site_then_confirms_with_what_was_seen() {
    let mut app = app();
    app.update(
        now(),
        Msg::AppMap(Ok(vec![item(Site::A, DbSide::A), item(Site::B, DbSide::B)])),
    );
    app.update(now(), Action::FlipPrompt);
    assert_eq!(app.popup, Some(Popup::ChooseFlipSite));
    assert_eq!(
        action_for(&app, Key::Char('a')),
        Some(Action::FlipChoose(Site::A))
    );
    assert_eq!(action_for(&app, Key::Char('x')), None);
    app.update(now(), Action::FlipChoose(Site::A));
    let seen = item(Site::A, DbSide::A);
    assert_eq!(
        app.popup,
        Some(Popup::Confirm(Pending::Flip {
            site: Site::A,
            seen: seen.clone(),
            to: DbSide::B,
            changed_from: None,
        }))
    );
    // Nothing is measured and no task is known: the checklist fails, so
    // y alone is refused and ! arms the override.
    assert!(effects(app.update(now(), Action::Confirm)).is_empty());
    assert!(app.popup.is_some(), "the prompt stays open");
    assert_eq!(action_for(&app, Key::Char('!')), Some(Action::Override));
    app.update(now(), Action::Override);
    assert_eq!(
        app.update(now(), Action::Confirm),
        vec![Command::Flip(Site::A, seen.clone())]
    );
    assert!(app.update(now(), Action::FlipPrompt).is_empty());
    app.update(now(), Action::FlipChoose(Site::A));
    app.update(now(), Action::Override);
    assert!(
        app.update(now(), Action::Confirm).is_empty(),
        "flip in flight"
    );

    let flipped = item(Site::A, DbSide::B);
    let cmds = app.update(now(), Msg::Flipped(Site::A, Ok((flipped, DbSide::B))));
    let Command::Audit(record) = &cmds[0] else {
        panic!("an audit line first: {cmds:?}")
    };
    assert_eq!(record.result, dms_cockpit::app::audit::AuditResult::Forced);
    assert!(record.overridden);
    assert!(record.checklist.as_ref().is_some_and(|c| !c.passed()));
    assert_eq!(effects(cmds), vec![Command::FetchAppMap]);
    assert!(last_log(&app).1.contains("SITEA now writes to database b"));
}

#[test]
fn flip_conflict_is_reported() {
    let mut app = app();
    app.update(now(), Msg::AppMap(Ok(vec![item(Site::A, DbSide::A)])));
    app.update(now(), Action::FlipPrompt);
    app.update(now(), Action::FlipChoose(Site::A));
    app.update(now(), Action::Override);
    app.update(now(), Action::Confirm);
    app.update(
        now(),
        Msg::Flipped(
            Site::A,
            Err(BackendError::Conflict(
                "SITEA's mapping changed underneath".into(),
            )),
        ),
    );
    let (level, text) = last_log(&app);
    assert_eq!(level, LogLevel::Error);
    assert!(text.contains("changed underneath"));
}

#[test]
fn flip_of_an_unknown_or_unmatched_site_is_refused() {
    let mut app = app();
    app.update(now(), Action::FlipPrompt);
    app.update(now(), Action::FlipChoose(Site::B));
    assert_eq!(app.popup, None);
    assert!(last_log(&app).1.contains("not been read yet"));

    let mut odd = item(Site::B, DbSide::B);
    odd.endpoint = "elsewhere".into();
    app.update(now(), Msg::AppMap(Ok(vec![odd])));
    app.update(now(), Action::FlipPrompt);
    app.update(now(), Action::FlipChoose(Site::B));
    assert_eq!(app.popup, None);
    let text = last_log(&app).1;
    assert!(text.contains("neither configured database"), "{text}");
    assert!(
        text.contains("elsewhere"),
        "names what the item says: {text}"
    );
}

#[test]
fn read_only_mode_refuses_every_mutation() {
    let mut app = App::new(mode(true), databases(), Settings::default(), now());
    app = with_tasks(app, TaskStatus::Running, true);
    for action in [
        Action::StartSelected,
        Action::StopSelected,
        Action::ReloadSelected,
        Action::Heartbeat(Site::A),
        Action::FlipPrompt,
    ] {
        let before = app.log.len();
        let cmds = app.update(now(), action);
        assert!(
            matches!(&cmds[..], [Command::Audit(r)] if r.result == dms_cockpit::app::audit::AuditResult::Refused),
            "{action:?}: {cmds:?}"
        );
        assert_eq!(app.popup, None, "{action:?}");
        assert!(app.log.len() > before);
        assert!(last_log(&app).1.contains("read-only"), "{action:?}");
    }
}

#[test]
fn too_small_window_disables_action_keys_but_not_quit_or_scroll() {
    let mut app = with_tasks(app(), TaskStatus::Ready, false);
    app.update(now(), Action::Resize(60, 20));
    assert!(app.too_small());
    assert!(app.update(now(), Action::StartSelected).is_empty());
    assert!(app.update(now(), Action::Heartbeat(Site::A)).is_empty());
    assert!(last_log(&app).1.contains("enlarge it to at least 80x24"));
    app.update(now(), Action::ScrollDown);
    assert_eq!(app.scroll.tasks.forward, 1);
    app.update(now(), Action::Resize(80, 24));
    assert_eq!(app.update(now(), Action::Heartbeat(Site::A)).len(), 1);
    app.update(now(), Action::Quit);
    assert!(app.should_quit);
}

#[test]
fn focus_cycles_and_scroll_is_bounded_per_panel() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    assert_eq!(app.focus, Focus::Tasks);
    app.update(now(), Action::FocusPrev);
    assert_eq!(app.focus, Focus::Log);
    app.update(now(), Action::FocusNext);
    app.update(now(), Action::FocusNext);
    assert_eq!(app.focus, Focus::HeartbeatA);
    app.update(now(), Action::FocusPrev);

    app.update(now(), Action::PageDown);
    assert_eq!(app.scroll.tasks.forward, 10);
    app.update(now(), Action::ScrollBottom);
    assert_eq!(app.scroll.tasks.forward, 29);
    app.update(now(), Action::ScrollDown);
    assert_eq!(app.scroll.tasks.forward, 29, "bounded by the table");
    app.update(now(), Action::SelectTask(TaskRole::Backward));
    app.update(now(), Action::ScrollDown);
    assert_eq!(app.scroll.tasks.backward, 1, "each task scrolls on its own");
    app.update(now(), Action::ScrollTop);
    assert_eq!(app.scroll.tasks.backward, 0);
    app.update(now(), Action::PageUp);
    assert_eq!(app.scroll.tasks.backward, 0);
}

#[test]
fn help_toggles_with_question_mark_and_esc() {
    let mut app = app();
    assert_eq!(action_for(&app, Key::Char('?')), Some(Action::ToggleHelp));
    app.update(now(), Action::ToggleHelp);
    assert_eq!(app.popup, Some(Popup::Help));
    assert_eq!(action_for(&app, Key::Esc), Some(Action::ToggleHelp));
    assert_eq!(action_for(&app, Key::Char('s')), None);
    app.update(now(), Action::ToggleHelp);
    assert_eq!(app.popup, None);
}

#[test]
fn ctrl_c_quits_everywhere() {
    let mut app = app();
    assert_eq!(action_for(&app, Key::Ctrl('c')), Some(Action::Quit));
    app.update(now(), Action::FlipPrompt);
    assert_eq!(action_for(&app, Key::Ctrl('c')), Some(Action::Quit));
    assert_eq!(
        action_for(&app, Key::Char('q')),
        None,
        "q is a letter in a prompt"
    );
}

#[test]
fn log_is_bounded() {
    let mut app = app();
    for _ in 0..(dms_cockpit::app::LOG_CAPACITY + 20) {
        app.update(now(), Action::Refresh);
    }
    assert_eq!(app.log.len(), dms_cockpit::app::LOG_CAPACITY);
}

#[test]
fn backward_first_start_carries_the_configured_cdc_start_time_only() {
    let at = Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap();
    let settings = Settings {
        backward_cdc_start_time: Some(at),
        ..Settings::default()
    };
    let mut app = App::new(mode(false), databases(), settings.clone(), now());
    app = with_tasks(app, TaskStatus::Ready, false);
    app.update(now(), Action::SelectTask(TaskRole::Backward));
    let cmds = app.update(now(), Action::StartSelected);
    assert_eq!(
        cmds,
        vec![Command::StartTask(
            TaskRole::Backward,
            StartRequest {
                start_type: StartType::StartReplication,
                cdc_start_time: Some(at)
            }
        )]
    );
    // The forward task never gets it; nor does a resume.
    let mut app = with_tasks(
        App::new(mode(false), databases(), settings.clone(), now()),
        TaskStatus::Ready,
        false,
    );
    let cmds = app.update(now(), Action::StartSelected);
    assert!(
        matches!(&cmds[0], Command::StartTask(TaskRole::Forward, r) if r.cdc_start_time.is_none())
    );
    let mut app = with_tasks(
        App::new(mode(false), databases(), settings, now()),
        TaskStatus::Stopped,
        true,
    );
    app.update(now(), Action::SelectTask(TaskRole::Backward));
    let cmds = app.update(now(), Action::StartSelected);
    assert!(
        matches!(&cmds[0], Command::StartTask(_, r) if r.cdc_start_time.is_none() && r.start_type == StartType::ResumeProcessing)
    );
}

#[test]
fn h_turns_automatic_heartbeats_on_and_they_write_as_both_sites_then_look() {
    use dms_cockpit::app::lag::LagState;
    let mut app = app();
    assert_eq!(action_for(&app, Key::Char('h')), Some(Action::ToggleLag));
    let commands = app.update(now(), Action::ToggleLag);
    assert!(app.lag.auto);
    assert_eq!(
        commands,
        vec![Command::LagWrite(Site::A), Command::LagWrite(Site::B)]
    );
    // Not again while the writes are in flight, nor before `every`.
    assert!(app.update(now(), Msg::LagTick).is_empty());
    let row = HeartbeatRow {
        id: 5,
        at: now(),
        site: "SITEA".into(),
    };
    app.update(
        now(),
        Msg::LagWritten(Site::A, Ok((DbSide::A, row.clone(), now()))),
    );
    let later = now() + chrono::Duration::milliseconds(250);
    assert_eq!(
        app.update(later, Msg::LagTick),
        vec![Command::LagLook(DbSide::B, vec![5])]
    );
    let seen_at = now() + chrono::Duration::milliseconds(700);
    app.update(seen_at, Msg::LagSeen(DbSide::B, Ok((vec![row], seen_at))));
    assert_eq!(app.lag.tracker.last(TaskRole::Forward).unwrap().lag_ms, 700);
    assert_eq!(
        app.lag.tracker.state(TaskRole::Forward, seen_at),
        LagState::Replicating
    );
    // A second h turns them off: a tick a second later writes nothing.
    app.update(seen_at, Action::ToggleLag);
    assert!(!app.lag.auto);
    let next = now() + chrono::Duration::seconds(2);
    assert!(app.update(next, Msg::LagTick).is_empty());
}

#[test]
fn a_missing_heartbeat_is_logged_once_as_not_replicating_and_once_when_back() {
    let mut app = app();
    app.update(now(), Action::ToggleLag);
    let row = HeartbeatRow {
        id: 1_000_000_001,
        at: now(),
        site: "SITEB".into(),
    };
    app.update(
        now(),
        Msg::LagWritten(Site::B, Ok((DbSide::B, row.clone(), now()))),
    );
    let late = now() + chrono::Duration::seconds(31);
    app.update(late, Msg::LagTick);
    app.update(late, Msg::LagTick);
    let down: Vec<_> = app
        .log
        .iter()
        .filter(|e| e.text.starts_with("b→a not replicating"))
        .collect();
    assert_eq!(down.len(), 1, "{:?}", app.log);
    assert_eq!(down[0].level, LogLevel::Error);
    assert!(down[0].text.contains("missing for 31.00 s"));
    app.update(late, Msg::LagSeen(DbSide::A, Ok((vec![row], late))));
    // The late row's own lag is past the threshold; a fresh one clears it.
    let fresh = HeartbeatRow {
        id: 1_000_000_002,
        at: late,
        site: "SITEB".into(),
    };
    app.update(
        late,
        Msg::LagWritten(Site::B, Ok((DbSide::B, fresh.clone(), late))),
    );
    let soon = late + chrono::Duration::milliseconds(300);
    app.update(soon, Msg::LagSeen(DbSide::A, Ok((vec![fresh], soon))));
    assert!(
        app.log.iter().any(|e| e.text == "b→a replicating again"),
        "{:?}",
        app.log
    );
}

#[test]
fn read_only_refuses_automatic_heartbeats_and_measures_age_instead() {
    let mut app = App::new(mode(true), databases(), Settings::default(), now());
    assert!(app.update(now(), Action::ToggleLag).is_empty());
    assert!(!app.lag.auto);
    assert!(app.log.back().unwrap().text.contains("read-only"));
    let rows = vec![HeartbeatRow {
        id: 3,
        at: now() - chrono::Duration::seconds(2),
        site: "SITEA".into(),
    }];
    app.update(now(), Msg::Heartbeats(DbSide::B, Ok(rows)));
    assert_eq!(
        app.lag.tracker.last(TaskRole::Forward).unwrap().lag_ms,
        2000
    );
    assert!(app.lag.tracker.last(TaskRole::Backward).is_none());
}

/// A state in which flipping SITEA to database b is safe: both tasks
/// running, lag measured both ways under warn, no table in error, the
/// appmap just read.
fn safe_to_flip() -> App {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    app.update(
        now(),
        Msg::AppMap(Ok(vec![item(Site::A, DbSide::A), item(Site::B, DbSide::B)])),
    );
    for (db, id) in [(DbSide::A, 1), (DbSide::B, 1_000_000_001)] {
        let row = HeartbeatRow {
            id,
            at: now(),
            site: "SITEA".into(),
        };
        app.lag.tracker.written(db, row.clone(), now());
        app.lag.tracker.seen(
            db.other(),
            &[row],
            now() + chrono::Duration::milliseconds(300),
        );
    }
    app.update(now() + chrono::Duration::seconds(1), Msg::Tick);
    app
}

fn flip_outcome(mut app: App) -> (Vec<Command>, App) {
    app.update(app.now, Action::FlipPrompt);
    app.update(app.now, Action::FlipChoose(Site::A));
    let cmds = effects(app.update(app.now, Action::Confirm));
    (cmds, app)
}

#[test]
fn flip_goes_ahead_on_y_only_when_every_check_passes() {
    let (cmds, app) = flip_outcome(safe_to_flip());
    assert_eq!(
        cmds,
        vec![Command::Flip(Site::A, item(Site::A, DbSide::A))],
        "{:?}",
        app.log
    );
}

#[test]
fn each_flip_check_failing_alone_blocks_y() {
    type Breaker = fn(&mut App);
    let breakers: [(&str, Breaker); 6] = [
        ("the backward task ", |app| {
            let mut t = app.tasks.backward.data.clone().unwrap();
            t.status = TaskStatus::Ready;
            app.tasks.backward.data = Some(t);
        }),
        ("lag a→b", |app| {
            let row = HeartbeatRow {
                id: 2,
                at: app.now,
                site: "SITEA".into(),
            };
            app.lag
                .tracker
                .written(DbSide::A, row, app.now - chrono::Duration::seconds(6));
        }),
        ("lag b→a", |app| {
            let row = HeartbeatRow {
                id: 1_000_000_002,
                at: app.now,
                site: "SITEB".into(),
            };
            app.lag
                .tracker
                .written(DbSide::B, row, app.now - chrono::Duration::seconds(40));
        }),
        ("no table in error", |app| {
            let mut tables = app.tables.forward.data.clone().unwrap();
            tables[3].state = "Table error".into();
            app.tables.forward.data = Some(tables);
        }),
        ("the appmap read is fresh", |app| {
            app.appmap.fetched_at = Some(app.now - chrono::Duration::seconds(60));
        }),
        ("the appmap read is fresh", |app| {
            app.appmap.error = Some("AccessDenied".into());
        }),
    ];
    for (what, breaker) in breakers {
        let mut app = safe_to_flip();
        breaker(&mut app);
        let (cmds, mut app) = flip_outcome(app);
        assert!(cmds.is_empty(), "{what}: flipped despite the failed check");
        let refusal = &app.log.back().unwrap().text;
        assert!(refusal.contains("1 check(s) failed"), "{what}: {refusal}");
        assert!(refusal.contains(what), "{what}: {refusal}");
        // The override key, then y, lets it through; on an appmap that is
        // not fresh, through a re-read of the item first (issue 8).
        app.update(app.now, Action::Override);
        let expected = if what.starts_with("the appmap") {
            Command::RereadForFlip(Site::A)
        } else {
            Command::Flip(Site::A, item(Site::A, DbSide::A))
        };
        assert_eq!(
            effects(app.update(app.now, Action::Confirm)),
            vec![expected],
            "{what}"
        );
    }
}

#[test]
fn first_full_load_start_asks_and_names_a_target_heartbeat_table_with_rows() {
    let mut app = app();
    let mut t = task(TaskRole::Forward, TaskStatus::Ready, false);
    t.migration_type = "full-load-and-cdc".into();
    app.update(now(), Msg::Task(TaskRole::Forward, Ok(t)));
    let rows = vec![HeartbeatRow {
        id: 1_000_000_000,
        at: now(),
        site: "SITEB".into(),
    }];
    app.update(now(), Msg::Heartbeats(DbSide::B, Ok(rows)));
    assert!(effects(app.update(now(), Action::StartSelected)).is_empty());
    let Some(Popup::Confirm(pending)) = app.popup.clone() else {
        panic!("a confirmation: {:?}", app.log)
    };
    let list = dms_cockpit::app::checklist::for_pending(&app, &pending);
    assert!(
        list.failed()[0]
            .text
            .contains("heartbeat table in database b is empty: it holds 1 rows (1 written there)"),
        "{list:?}"
    );
    assert!(effects(app.update(now(), Action::Confirm)).is_empty());
    // With the table empty it passes and y starts it.
    app.update(now(), Msg::Heartbeats(DbSide::B, Ok(vec![])));
    assert_eq!(
        effects(app.update(now(), Action::Confirm)),
        vec![Command::StartTask(
            TaskRole::Forward,
            StartRequest {
                start_type: StartType::StartReplication,
                cdc_start_time: None
            }
        )]
    );
}

/// Feeds `keys` through the keymap, as the runtime does.
fn press(app: &mut App, keys: &[Key]) {
    for key in keys {
        if let Some(action) = action_for(app, *key) {
            app.update(now(), action);
        }
    }
}

fn typed(text: &str) -> Vec<Key> {
    text.chars().map(Key::Char).collect()
}

fn shown(app: &App) -> Vec<String> {
    app.visible_tables(app.selected)
        .iter()
        .map(|t| t.table.clone())
        .collect()
}

#[test]
fn slash_filters_the_tables_enter_keeps_it_and_esc_clears_it() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    press(&mut app, &[Key::Char('/')]);
    assert_eq!(app.popup, Some(Popup::Filter));
    // Keys that act elsewhere (q quits, s starts) are text while typing.
    press(&mut app, &typed("qst2"));
    assert!(!app.should_quit);
    assert_eq!(app.table_view.filter, "qst2");
    press(
        &mut app,
        &[
            Key::Backspace,
            Key::Backspace,
            Key::Backspace,
            Key::Backspace,
        ],
    );
    press(&mut app, &typed("T2"));
    assert_eq!(
        shown(&app),
        [
            "t2", "t20", "t21", "t22", "t23", "t24", "t25", "t26", "t27", "t28", "t29"
        ]
    );
    press(&mut app, &[Key::Enter]);
    assert_eq!(
        app.popup, None,
        "Enter keeps the filter and closes the prompt"
    );
    assert_eq!(app.table_view.filter, "T2");
    // Scrolling is bounded by the filtered list.
    press(&mut app, &[Key::Char('G')]);
    assert_eq!(app.scroll.tasks.forward, 10);
    // The filter applies to both tasks.
    press(&mut app, &[Key::Char('2')]);
    assert_eq!(shown(&app).len(), 11);
    press(&mut app, &[Key::Char('/'), Key::Esc]);
    assert_eq!(app.table_view.filter, "");
    assert_eq!(shown(&app).len(), 30);
}

#[test]
fn o_cycles_the_sort_and_errors_first_puts_trouble_on_top() {
    let mut app = app();
    let mut t = tables();
    t[5].inserts = 50; // t5: most changes
    t[7].state = "Table error".into();
    t[9].validation_state = "Suspended records".into();
    t[3].more.validation_failed_records = 1;
    t[4].last_update = Some(now());
    app.update(
        now(),
        Msg::Task(
            TaskRole::Forward,
            Ok(task(TaskRole::Forward, TaskStatus::Running, true)),
        ),
    );
    app.update(now(), Msg::Tables(TaskRole::Forward, Ok(t)));
    assert_eq!(app.table_view.sort, TableSort::Name);
    assert_eq!(&shown(&app)[..3], ["t0", "t1", "t10"]);
    press(&mut app, &[Key::Char('o')]);
    assert_eq!(app.table_view.sort, TableSort::Trouble);
    assert_eq!(&shown(&app)[..4], ["t7", "t9", "t3", "t0"]);
    press(&mut app, &[Key::Char('o')]);
    assert_eq!(app.table_view.sort, TableSort::Changes);
    assert_eq!(shown(&app)[0], "t5");
    press(&mut app, &[Key::Char('o')]);
    assert_eq!(app.table_view.sort, TableSort::LastUpdate);
    assert_eq!(shown(&app)[0], "t4");
    press(&mut app, &[Key::Char('o')]);
    assert_eq!(app.table_view.sort, TableSort::Name);
}

#[test]
fn enter_opens_the_detail_of_the_table_under_the_cursor() {
    let mut cockpit = with_tasks(app(), TaskStatus::Running, true);
    press(&mut cockpit, &[Key::Char('j'), Key::Char('j'), Key::Enter]);
    let key = TableKey {
        role: TaskRole::Forward,
        schema: "customer_orders".into(),
        table: "t10".into(), // sorted by name: t0, t1, t10
    };
    assert_eq!(cockpit.popup, Some(Popup::TableDetail(key.clone())));
    assert_eq!(cockpit.detail_key(), Some(&key));
    // Keys that would act on the main screen do nothing under the detail.
    press(&mut cockpit, &[Key::Char('s'), Key::Char('x')]);
    assert_eq!(cockpit.popup, Some(Popup::TableDetail(key)));
    assert!(cockpit.busy.is_empty());
    press(&mut cockpit, &[Key::Esc]);
    assert_eq!(cockpit.popup, None);

    // Enter on another panel is not a table's detail.
    cockpit.focus = Focus::Log;
    assert_ne!(
        action_for(&cockpit, Key::Enter),
        Some(Action::OpenTableDetail)
    );

    // No table to show: said, not silently ignored.
    let mut empty = app();
    empty.update(now(), Action::OpenTableDetail);
    assert_eq!(empty.popup, None);
    let (level, text) = last_log(&empty);
    assert_eq!(level, LogLevel::Error);
    assert!(text.contains("no table statistics yet"), "{text}");
    let mut filtered = with_tasks(app(), TaskStatus::Running, true);
    filtered.table_view.filter = "zzz".into();
    filtered.update(now(), Action::OpenTableDetail);
    assert!(last_log(&filtered).1.contains("matches the filter `zzz`"));
}

/// Issue 8, item 2: a task's status and its table statistics are separate
/// calls; a failing statistics call is a failure of its own (what status
/// and the header report), and the status is shown without waiting for it.
#[test]
fn table_statistics_are_their_own_call_and_their_failure_is_reported() {
    let mut app = app();
    let cmds = app.update(now(), Msg::Tick);
    assert!(cmds.contains(&Command::FetchTask(TaskRole::Forward)));
    assert!(cmds.contains(&Command::FetchTables(TaskRole::Forward)));
    app.update(
        now(),
        Msg::Task(
            TaskRole::Forward,
            Ok(task(TaskRole::Forward, TaskStatus::Running, true)),
        ),
    );
    // The status is there while the statistics are still in flight.
    assert_eq!(
        app.tasks.forward.data.as_ref().map(|t| t.status.clone()),
        Some(TaskStatus::Running)
    );
    assert!(app.tables.forward.loading);
    assert!(app.failures().is_empty());
    app.update(
        now(),
        Msg::Tables(
            TaskRole::Forward,
            Err(BackendError::Denied(
                "no dms:DescribeTableStatistics".into(),
            )),
        ),
    );
    let failures = app.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].which, "tasks.forward.tables");
    assert_eq!(failures[0].message, "no dms:DescribeTableStatistics");
    // An ordinary failure is asked again on the next refresh.
    assert!(
        app.update(now(), Msg::Tick)
            .contains(&Command::FetchTables(TaskRole::Forward))
    );
}

/// Issue 8, item 2: an endpoint that does not implement the statistics
/// call is not asked again on every refresh; `r` asks again.
#[test]
fn unimplemented_table_statistics_are_not_re_asked_until_r() {
    let mut app = app();
    app.update(now(), Msg::Tick);
    let unsupported = BackendError::Unsupported(
        "DMS at http://127.0.0.1:5000: this endpoint does not implement DescribeTableStatistics"
            .into(),
    );
    app.update(
        now(),
        Msg::Tables(TaskRole::Forward, Err(unsupported.clone())),
    );
    let (level, text) = last_log(&app);
    assert_eq!(level, LogLevel::Error);
    assert!(
        text.contains("does not implement DescribeTableStatistics"),
        "{text}"
    );
    assert!(text.contains("press r"), "{text}");
    // Still a failure to report (status exits 1, the header says so).
    assert_eq!(app.failures()[0].which, "tasks.forward.tables");
    app.update(
        now(),
        Msg::Task(
            TaskRole::Forward,
            Ok(task(TaskRole::Forward, TaskStatus::Running, true)),
        ),
    );
    for _ in 0..3 {
        let cmds = app.update(now(), Msg::Tick);
        assert!(
            !cmds.contains(&Command::FetchTables(TaskRole::Forward)),
            "{cmds:?}"
        );
        assert!(
            cmds.contains(&Command::FetchTask(TaskRole::Forward)),
            "{cmds:?}"
        );
        app.update(
            now(),
            Msg::Task(
                TaskRole::Forward,
                Ok(task(TaskRole::Forward, TaskStatus::Running, true)),
            ),
        );
    }
    // After a start or stop, too, only the status is read again.
    app.update(now(), Action::StopSelected);
    app.update(now(), Action::Confirm);
    let cmds = app.update(now(), Msg::Stopped(TaskRole::Forward, Ok(())));
    assert_eq!(effects(cmds), vec![Command::FetchTask(TaskRole::Forward)]);
    app.update(
        now(),
        Msg::Task(
            TaskRole::Forward,
            Ok(task(TaskRole::Forward, TaskStatus::Stopped, true)),
        ),
    );
    // `r` asks once more.
    let cmds = app.update(now(), Action::Refresh);
    assert!(
        cmds.contains(&Command::FetchTables(TaskRole::Forward)),
        "{cmds:?}"
    );
    app.update(now(), Msg::Tables(TaskRole::Forward, Ok(tables())));
    assert!(app.failures().is_empty());
    assert!(
        app.update(now(), Msg::Tick)
            .contains(&Command::FetchTables(TaskRole::Forward))
    );
}

/// The event log: newest at the bottom, so `j`/`Down`/`PgDn` go toward
/// newer entries, `k`/`Up`/`PgUp` toward older ones, `g` to the oldest and
/// `G` to the newest, and nothing moves past either end.
#[test]
fn log_scrolls_newest_at_the_bottom_and_never_past_an_end() {
    let mut app = app();
    for i in 0..30 {
        app.push_log(now(), LogLevel::Info, format!("entry {i}"));
    }
    app.focus = Focus::Log;
    assert_eq!(app.log_cursor(), Some(29), "follows the newest at first");
    app.update(now(), Action::ScrollDown);
    assert_eq!(app.log_cursor(), Some(29), "nothing newer than the newest");
    app.update(now(), Action::ScrollUp);
    assert_eq!(app.log_cursor(), Some(28), "k: one older");
    app.update(now(), Action::ScrollDown);
    assert_eq!(app.log_cursor(), Some(29), "j: one newer");
    app.update(now(), Action::PageUp);
    assert_eq!(app.log_cursor(), Some(19));
    app.update(now(), Action::ScrollTop);
    assert_eq!(app.log_cursor(), Some(0), "g: the oldest");
    app.update(now(), Action::ScrollUp);
    assert_eq!(app.log_cursor(), Some(0), "nothing older than the oldest");
    app.update(now(), Action::PageDown);
    assert_eq!(app.log_cursor(), Some(10), "PgDn: newer");
    // A new entry does not move the view away from what is being read.
    app.push_log(now(), LogLevel::Info, "entry 30");
    assert_eq!(app.log_cursor(), Some(10));
    app.update(now(), Action::ScrollBottom);
    assert_eq!(app.log_cursor(), Some(30), "G: the newest");
    // At the bottom the log follows new entries.
    app.push_log(now(), LogLevel::Info, "entry 31");
    assert_eq!(app.log_cursor(), Some(31));
}

#[test]
fn a_log_full_of_entries_keeps_the_cursor_on_the_same_entry() {
    let mut app = app();
    for i in 0..dms_cockpit::app::LOG_CAPACITY {
        app.push_log(now(), LogLevel::Info, format!("entry {i}"));
    }
    app.focus = Focus::Log;
    app.update(now(), Action::ScrollTop);
    app.update(now(), Action::PageDown);
    app.push_log(now(), LogLevel::Info, "one more");
    let at = app.log_cursor().unwrap();
    assert_eq!(app.log[at].text, "entry 10");
}

fn inserted(site: Site, id: i64) -> Msg {
    let row = HeartbeatRow {
        id,
        at: now(),
        site: site.as_str().into(),
    };
    Msg::HeartbeatInserted(site, Ok((DbSide::A, row)))
}

/// Every heartbeat key press is carried out, one after the other: twelve
/// quick presses are twelve heartbeats, never one at a time in flight.
#[test]
fn twelve_quick_heartbeat_presses_make_twelve_heartbeats_in_order() {
    let mut app = app();
    let mut sent = 0;
    for _ in 0..12 {
        sent += app
            .update(now(), Action::Heartbeat(Site::A))
            .iter()
            .filter(|c| **c == Command::InsertHeartbeat(Site::A))
            .count();
    }
    assert_eq!(sent, 1, "one at a time in flight");
    assert_eq!(app.queued_heartbeats(Site::A), 11);
    for id in 0..12 {
        let cmds = app.update(now(), inserted(Site::A, id));
        sent += cmds
            .iter()
            .filter(|c| **c == Command::InsertHeartbeat(Site::A))
            .count();
    }
    assert_eq!(sent, 12, "twelve presses, twelve heartbeats");
    assert_eq!(app.queued_heartbeats(Site::A), 0);
    assert!(!app.busy.contains(&Busy::Heartbeat(Site::A)));
    let done = app
        .log
        .iter()
        .filter(|e| e.text.contains("as SITEA inserted"))
        .count();
    assert_eq!(done, 12);
}

#[test]
fn a_a_gives_two_heartbeats_even_when_the_first_fails() {
    let mut app = app();
    assert_eq!(
        app.update(now(), Action::Heartbeat(Site::B)),
        vec![Command::InsertHeartbeat(Site::B)]
    );
    assert!(app.update(now(), Action::Heartbeat(Site::B)).is_empty());
    assert!(
        last_log(&app).1.contains("queued"),
        "the second press is acknowledged: {:?}",
        last_log(&app)
    );
    // The other site's heartbeats have their own queue.
    assert_eq!(
        app.update(now(), Action::Heartbeat(Site::A)),
        vec![Command::InsertHeartbeat(Site::A)]
    );
    let cmds = app.update(
        now(),
        Msg::HeartbeatInserted(Site::B, Err(BackendError::Other("refused".into()))),
    );
    let Some(Command::Audit(record)) = cmds.first() else {
        panic!("a failed heartbeat is audited too: {cmds:?}")
    };
    assert_eq!(record.result, AuditResult::Failed);
    assert_eq!(cmds[1..], [Command::InsertHeartbeat(Site::B)]);
    let cmds = app.update(now(), inserted(Site::B, 5));
    assert!(
        !cmds.contains(&Command::InsertHeartbeat(Site::B)),
        "{cmds:?}"
    );
    assert!(!app.busy.contains(&Busy::Heartbeat(Site::B)));
}

/// Another action pressed while the same one is pending is not silently
/// dropped: the log says it is still in flight.
#[test]
fn an_action_repeated_while_pending_says_so() {
    let mut app = with_tasks(app(), TaskStatus::Ready, false);
    assert_eq!(app.update(now(), Action::StartSelected).len(), 1);
    let before = app.log.len();
    assert!(app.update(now(), Action::StartSelected).is_empty());
    assert_eq!(app.log.len(), before + 1);
    let text = last_log(&app).1;
    assert!(text.contains("already in flight"), "{text}");

    let mut app = with_tasks(self::app(), TaskStatus::Running, true);
    app.update(now(), Action::StopSelected);
    app.update(now(), Action::Confirm);
    app.update(now(), Action::StopSelected);
    app.update(now(), Action::Confirm);
    assert!(
        last_log(&app).1.contains("already in flight"),
        "{:?}",
        last_log(&app)
    );

    let mut app = self::app();
    app.update(now(), Msg::AppMap(Ok(vec![item(Site::A, DbSide::A)])));
    for _ in 0..2 {
        app.update(now(), Action::FlipPrompt);
        app.update(now(), Action::FlipChoose(Site::A));
        // Nothing is known yet, so the checklist fails: override it.
        app.update(now(), Action::Override);
        app.update(now(), Action::Confirm);
    }
    assert!(
        last_log(&app).1.contains("already in flight"),
        "{:?}",
        last_log(&app)
    );
}

#[test]
fn zero_source_latency_next_to_a_missing_heartbeat_is_suspicious() {
    use dms_cockpit::backend::CdcLatency;
    let mut app = app();
    let zero = CdcLatency {
        source_s: Some(0.0),
        target_s: Some(0.0),
        at: Some(now()),
    };
    app.update(now(), Msg::Latency(TaskRole::Forward, Ok(zero)));
    assert!(
        !app.latency_suspicious(TaskRole::Forward),
        "no heartbeat missing"
    );
    let row = HeartbeatRow {
        id: 9,
        at: now(),
        site: "SITEA".into(),
    };
    app.lag
        .tracker
        .written(DbSide::A, row, now() - chrono::Duration::seconds(10));
    assert!(app.latency_suspicious(TaskRole::Forward));
    assert!(!app.latency_suspicious(TaskRole::Backward));
}

#[test]
fn data_reload_of_a_table_goes_only_once_its_name_is_typed() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    press(&mut app, &[Key::Char('j'), Key::Char('L')]); // t1
    let Some(Popup::Confirm(Pending::ReloadTables { tables, option, .. })) = &app.popup else {
        panic!("no confirmation: {:?}", app.popup)
    };
    assert_eq!(tables, &[TableRef::parse("customer_orders.t1").unwrap()]);
    assert_eq!(*option, ReloadOption::DataReload);
    // `y` is text here, and a wrong name does nothing on Enter.
    press(&mut app, &[Key::Char('y'), Key::Enter]);
    assert!(matches!(app.popup, Some(Popup::Confirm(_))), "still asking");
    assert!(app.busy.is_empty());
    press(&mut app, &[Key::Backspace]);
    press(&mut app, &typed("t1"));
    let sent: Vec<Command> = match action_for(&app, Key::Enter) {
        Some(action) => app.update(now(), action),
        None => panic!("Enter does nothing"),
    };
    assert_eq!(
        sent,
        [Command::ReloadTables(
            TaskRole::Forward,
            vec![TableRef::parse("customer_orders.t1").unwrap()],
            ReloadOption::DataReload
        )]
    );
    assert_eq!(app.popup, None);
    assert!(app.busy.contains(&Busy::ReloadTables(TaskRole::Forward)));
    // The answer ends it and refreshes the task.
    let after = app.update(
        now(),
        Msg::TablesReloaded(
            TaskRole::Forward,
            vec![TableRef::parse("customer_orders.t1").unwrap()],
            ReloadOption::DataReload,
            Ok(()),
        ),
    );
    assert!(app.busy.is_empty());
    // Audited like every mutation (issue 10).
    let audited = after.iter().find_map(|c| match c {
        Command::Audit(r) => Some(r.request.clone()),
        _ => None,
    });
    assert_eq!(
        audited.as_deref(),
        Some("data-reload of customer_orders.t1 (forward task)")
    );
    let after = effects(after);
    assert_eq!(
        after,
        [
            Command::FetchTask(TaskRole::Forward),
            Command::FetchTables(TaskRole::Forward)
        ]
    );
    assert_eq!(
        last_log(&app),
        (
            LogLevel::Success,
            "forward task: data-reload of customer_orders.t1 accepted".into()
        )
    );
}

/// Issue 12: Space marks tables (and unmarks them); `L` then reloads every
/// marked table of the task in one `ReloadTables` call. The confirmation
/// names them all and, for several, asks for the task's identifier (issue
/// 10's rule for a reload), not the table names; the marks go once sent.
#[test]
fn marked_tables_are_reloaded_together_after_typing_the_task_identifier() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    assert_eq!(action_for(&app, Key::Char(' ')), Some(Action::ToggleMark));
    // By name t0, t1, t10, t11, …: t1 and t11 marked; t10 marked and
    // unmarked again.
    press(&mut app, &typed("j j  j "));
    let marked: Vec<String> = app
        .marked_tables(TaskRole::Forward)
        .iter()
        .map(|k| k.name())
        .collect();
    assert_eq!(marked, ["customer_orders.t1", "customer_orders.t11"]);
    assert!(app.marked_tables(TaskRole::Backward).is_empty());
    press(&mut app, &[Key::Char('L')]);
    let both = vec![
        TableRef::parse("customer_orders.t1").unwrap(),
        TableRef::parse("customer_orders.t11").unwrap(),
    ];
    let Some(Popup::Confirm(Pending::ReloadTables { tables, .. })) = &app.popup else {
        panic!("no confirmation: {:?}", app.popup)
    };
    assert_eq!(tables, &both, "every marked table, not the cursor's");
    assert_eq!(app.reload_word(&both), "forward-task");
    // The table names do not confirm several tables.
    press(&mut app, &typed("t1"));
    press(&mut app, &[Key::Enter]);
    assert!(matches!(app.popup, Some(Popup::Confirm(_))), "still asking");
    press(&mut app, &[Key::Backspace, Key::Backspace]);
    press(&mut app, &typed("forward-task"));
    let sent = match action_for(&app, Key::Enter) {
        Some(action) => app.update(now(), action),
        None => panic!("Enter does nothing"),
    };
    assert_eq!(
        effects(sent),
        [Command::ReloadTables(
            TaskRole::Forward,
            both,
            ReloadOption::DataReload
        )]
    );
    assert!(
        app.marked_tables(TaskRole::Forward).is_empty(),
        "sent: unmarked"
    );

    // A marked table the statistics no longer list is left out.
    let mut app = with_tasks(self::app(), TaskStatus::Running, true);
    press(&mut app, &typed(" j "));
    let fewer: Vec<TableStats> = self::tables().into_iter().skip(1).collect();
    app.update(now(), Msg::Tables(TaskRole::Forward, Ok(fewer)));
    press(&mut app, &[Key::Char('L')]);
    let Some(Popup::Confirm(Pending::ReloadTables { tables, .. })) = &app.popup else {
        panic!("no confirmation: {:?}", app.popup)
    };
    assert_eq!(tables, &[TableRef::parse("customer_orders.t1").unwrap()]);
    app.update(now(), Action::Cancel);

    // V on marked tables: validate-only of all of them, asked with y.
    let mut app = with_tasks(self::app(), TaskStatus::Running, true);
    press(&mut app, &typed(" j V"));
    let Some(Popup::Confirm(Pending::ReloadTables { tables, option, .. })) = &app.popup else {
        panic!("no confirmation: {:?}", app.popup)
    };
    assert_eq!(tables.len(), 2);
    assert_eq!(*option, ReloadOption::ValidateOnly);
    let sent = app.update(now(), Action::Confirm);
    assert!(
        effects(sent).iter().any(
            |c| matches!(c, Command::ReloadTables(_, t, ReloadOption::ValidateOnly) if t.len() == 2)
        ),
        "one call for both"
    );
}

#[test]
fn reload_is_refused_when_dms_would_refuse_it() {
    // Not running: refused before asking.
    let mut stopped = with_tasks(app(), TaskStatus::Stopped, true);
    press(&mut stopped, &[Key::Char('L')]);
    assert_eq!(stopped.popup, None);
    assert!(last_log(&stopped).1.contains("needs a running task"));
    // validate-only on a task that does not validate.
    let mut running = with_tasks(app(), TaskStatus::Running, true);
    for role in TaskRole::ALL {
        let mut t = tables();
        for s in &mut t {
            s.validation_state = "Not enabled".into();
        }
        running.update(now(), Msg::Tables(role, Ok(t)));
    }
    press(&mut running, &[Key::Char('V')]);
    assert_eq!(running.popup, None);
    assert!(last_log(&running).1.contains("validation is not enabled"));
    // From the detail, V asks y/n when the task validates.
    let mut validating = with_tasks(app(), TaskStatus::Running, true);
    press(&mut validating, &[Key::Enter, Key::Char('V')]);
    assert!(matches!(
        validating.popup,
        Some(Popup::Confirm(Pending::ReloadTables {
            option: ReloadOption::ValidateOnly,
            ..
        }))
    ));
    press(&mut validating, &[Key::Char('y')]);
    assert!(
        validating
            .busy
            .contains(&Busy::ReloadTables(TaskRole::Forward))
    );
    // Read-only refuses.
    let mut ro = App::new(mode(true), databases(), Settings::default(), now());
    ro = with_tasks(ro, TaskStatus::Running, true);
    press(&mut ro, &[Key::Char('L')]);
    assert_eq!(ro.popup, None);
    assert!(last_log(&ro).1.contains("read-only"));
}

fn log_line(id: &str, secs: i64, text: &str) -> LogLine {
    LogLine {
        id: id.into(),
        at: now() + chrono::Duration::seconds(secs),
        severity: Severity::of_message(text),
        text: text.into(),
    }
}

fn batch(lines: Vec<LogLine>) -> LogBatch {
    LogBatch {
        source: "dms-tasks-ri / dms-task-FWD".into(),
        lines,
    }
}

/// `l` in the open logs view closes it, as the README and the view's own
/// bottom line say (it did nothing: found by the tmux test of the view).
#[test]
fn l_in_the_logs_view_closes_it() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    press(&mut app, &[Key::Char('l')]);
    assert_eq!(app.popup, Some(Popup::Logs));
    press(&mut app, &[Key::Char('l')]);
    assert_eq!(app.popup, None);
    assert!(app.logs_view.is_none());
}

#[test]
fn l_opens_the_log_of_the_selected_task_and_follows_it_on_ticks() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    press(&mut app, &[Key::Char('2')]);
    let Some(action) = action_for(&app, Key::Char('l')) else {
        panic!("l does nothing")
    };
    let first = app.update(now(), action);
    assert_eq!(app.popup, Some(Popup::Logs));
    let [Command::FetchLogs(TaskRole::Backward, query)] = first.as_slice() else {
        panic!("{first:?}")
    };
    assert_eq!(query.since, now() - chrono::Duration::minutes(60));
    // No second read while the first is out.
    let tick = app.update(now(), Msg::Tick);
    assert!(
        !tick.iter().any(|c| matches!(c, Command::FetchLogs(..))),
        "{tick:?}"
    );
    let lines = vec![
        log_line("1", 1, "2026-11-27T12:00:01 [TASK_MANAGER    ]I:  running"),
        log_line(
            "2",
            2,
            "2026-11-27T12:00:02 [TARGET_LOAD     ]E:  Load failed",
        ),
        log_line("3", 2, "2026-11-27T12:00:02 [SOURCE_CAPTURE  ]W:  slow"),
    ];
    app.update(
        now(),
        Msg::Logs(TaskRole::Backward, query.clone(), Ok(batch(lines))),
    );
    let view = app.logs_view.as_ref().unwrap();
    assert_eq!(view.lines.len(), 3);
    assert_eq!(view.source.as_deref(), Some("dms-tasks-ri / dms-task-FWD"));
    // The next tick follows on after the last line.
    let tick = app.update(now(), Msg::Tick);
    let next = tick
        .iter()
        .find_map(|c| match c {
            Command::FetchLogs(TaskRole::Backward, q) => Some(q.clone()),
            _ => None,
        })
        .expect("a follow-up read");
    assert_eq!(next.since, now() + chrono::Duration::seconds(2));
    assert_eq!(next.seen_at_since.len(), 2);
    // An answer to an old query (a view closed and reopened) is dropped.
    app.update(
        now(),
        Msg::Logs(TaskRole::Backward, query.clone(), Ok(batch(vec![]))),
    );
    assert!(
        app.logs_view.as_ref().unwrap().loading,
        "still waiting for its own answer"
    );
    // An error keeps the lines.
    app.update(
        now(),
        Msg::Logs(
            TaskRole::Backward,
            next,
            Err(BackendError::NotFound("no log".into())),
        ),
    );
    let view = app.logs_view.as_ref().unwrap();
    assert_eq!(view.lines.len(), 3);
    assert_eq!(view.error.as_deref(), Some("no log"));
    press(&mut app, &[Key::Esc]);
    assert_eq!((app.popup.clone(), app.logs_view.is_none()), (None, true));
}

#[test]
fn the_log_view_filters_by_severity_searches_and_scrolls_back() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    press(&mut app, &[Key::Char('l')]);
    let query = app.logs_view.as_ref().unwrap().query.clone();
    let lines = (0..30)
        .map(|i| {
            let sev = match i % 3 {
                0 => "E",
                1 => "W",
                _ => "I",
            };
            log_line(
                &i.to_string(),
                i,
                &format!("2026-11-27T12:00:00 [TASK_MANAGER    ]{sev}:  line {i}"),
            )
        })
        .collect();
    app.update(now(), Msg::Logs(TaskRole::Forward, query, Ok(batch(lines))));
    let shown = |app: &App| app.logs_view.as_ref().unwrap().shown().len();
    assert_eq!(shown(&app), 30);
    press(&mut app, &[Key::Char('e')]);
    assert_eq!(shown(&app), 20, "warnings and errors");
    press(&mut app, &[Key::Char('e')]);
    assert_eq!(shown(&app), 10, "errors only");
    press(&mut app, &[Key::Char('e')]);
    // Search: `/` then text; keys are text while typing (q does not quit).
    press(&mut app, &[Key::Char('/')]);
    press(&mut app, &typed("LINE 2q"));
    assert!(!app.should_quit);
    press(&mut app, &[Key::Backspace, Key::Enter]);
    assert_eq!(shown(&app), 11, "line 2 and line 20..29");
    // Scroll back and follow again.
    let view = |app: &App| app.logs_view.clone().unwrap();
    assert_eq!(view(&app).cursor(), Some(10));
    press(&mut app, &[Key::Char('k'), Key::Char('k')]);
    assert_eq!(view(&app).cursor(), Some(8));
    assert_eq!(view(&app).scroll, Some(8));
    press(&mut app, &[Key::Char('G')]);
    assert_eq!(view(&app).scroll, None, "following again");
    // Esc in the search clears it.
    press(&mut app, &[Key::Char('/'), Key::Esc]);
    assert_eq!(shown(&app), 30);
}

fn appmap_at(app: &mut App, at: DateTime<Utc>, a: DbSide) {
    app.update(
        at,
        Msg::AppMap(Ok(vec![item(Site::A, a), item(Site::B, DbSide::B)])),
    );
}

/// An open flip prompt shows the item as it is now, and says when it
/// changed since the prompt opened.
#[test]
fn an_open_flip_prompt_follows_the_appmap_and_says_it_changed() {
    let mut app = app();
    appmap_at(&mut app, now(), DbSide::A);
    app.update(now(), Action::FlipPrompt);
    app.update(now(), Action::FlipChoose(Site::A));
    // Someone else flips SITEA to b while the prompt is open.
    appmap_at(&mut app, now(), DbSide::B);
    assert_eq!(
        app.popup,
        Some(Popup::Confirm(Pending::Flip {
            site: Site::A,
            seen: item(Site::A, DbSide::B),
            to: DbSide::A,
            changed_from: Some(Box::new(item(Site::A, DbSide::A))),
        }))
    );
    assert!(
        last_log(&app)
            .1
            .contains("changed while the flip prompt was open")
    );
    // y flips from what it reads now (its checks overridden: this test
    // is about the item, not the checklist).
    app.update(now(), Action::Override);
    assert_eq!(
        effects(app.update(now(), Action::Confirm)),
        vec![Command::Flip(Site::A, item(Site::A, DbSide::B))]
    );
}

/// A flip confirmed on an appmap older than one refresh interval re-reads
/// the item first, and goes ahead only when it still reads as confirmed.
#[test]
fn a_flip_on_old_appmap_data_rereads_the_item_first() {
    let later = now() + chrono::Duration::seconds(13);
    let mut app = app();
    appmap_at(&mut app, now(), DbSide::A);
    app.update(later, Action::FlipPrompt);
    app.update(later, Action::FlipChoose(Site::A));
    app.update(later, Action::Override);
    let cmds = effects(app.update(later, Action::Confirm));
    assert_eq!(cmds, vec![Command::RereadForFlip(Site::A)], "no flip yet");
    assert!(
        last_log(&app).1.contains("re-reading SITEA's item"),
        "{:?}",
        last_log(&app)
    );
    // Unchanged: the flip goes ahead on it.
    let same = vec![item(Site::A, DbSide::A), item(Site::B, DbSide::B)];
    let cmds = effects(app.update(later, Msg::FlipReread(Site::A, Ok(same))));
    assert_eq!(cmds, vec![Command::Flip(Site::A, item(Site::A, DbSide::A))]);
    assert_eq!(app.appmap.fetched_at, Some(later), "the re-read is shown");

    // Changed: nothing is sent, the new item is shown and asked about again.
    let mut app = self::app();
    appmap_at(&mut app, now(), DbSide::A);
    app.update(later, Action::FlipPrompt);
    app.update(later, Action::FlipChoose(Site::A));
    app.update(later, Action::Override);
    app.update(later, Action::Confirm);
    let changed = vec![item(Site::A, DbSide::B), item(Site::B, DbSide::B)];
    let cmds = effects(app.update(later, Msg::FlipReread(Site::A, Ok(changed))));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(
        app.popup,
        Some(Popup::Confirm(Pending::Flip {
            site: Site::A,
            seen: item(Site::A, DbSide::B),
            to: DbSide::A,
            changed_from: Some(Box::new(item(Site::A, DbSide::A))),
        }))
    );
    assert!(!app.busy.contains(&Busy::Flip(Site::A)));
    assert_eq!(last_log(&app).0, LogLevel::Error);

    // A failed re-read sends nothing either.
    let mut app = self::app();
    appmap_at(&mut app, now(), DbSide::A);
    app.update(later, Action::FlipPrompt);
    app.update(later, Action::FlipChoose(Site::A));
    app.update(later, Action::Override);
    app.update(later, Action::Confirm);
    let cmds = effects(app.update(
        later,
        Msg::FlipReread(
            Site::A,
            Err(BackendError::Unavailable("DynamoDB down".into())),
        ),
    ));
    assert!(cmds.is_empty());
    assert!(
        last_log(&app).1.contains("not sent"),
        "{:?}",
        last_log(&app)
    );
    assert!(!app.busy.contains(&Busy::Flip(Site::A)));
}

/// Data whose last read failed is never fresh enough to flip on, however
/// recent its last success.
#[test]
fn a_flip_on_a_stale_appmap_rereads_too() {
    let mut app = app();
    appmap_at(&mut app, now(), DbSide::A);
    app.update(
        now(),
        Msg::AppMap(Err(BackendError::Unavailable("down".into()))),
    );
    assert!(app.appmap.is_stale());
    app.update(now(), Action::FlipPrompt);
    app.update(now(), Action::FlipChoose(Site::A));
    app.update(now(), Action::Override);
    assert_eq!(
        effects(app.update(now(), Action::Confirm)),
        vec![Command::RereadForFlip(Site::A)]
    );
}

#[test]
fn a_stop_confirmed_after_the_task_stopped_is_not_sent() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    app.update(now(), Action::StopSelected);
    app = with_tasks(app, TaskStatus::Stopped, true);
    assert!(effects(app.update(now(), Action::Confirm)).is_empty());
    assert!(
        last_log(&app).1.contains("stop not sent"),
        "{:?}",
        last_log(&app)
    );
}

fn texts(app: &App) -> Vec<String> {
    app.log.iter().map(|e| e.text.clone()).collect()
}

/// The log records what the cockpit observes, not only what it did.
#[test]
fn a_task_status_change_is_logged_with_its_stop_reason() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    let before = app.log.len();
    // The same status again is not news.
    app.update(
        now(),
        Msg::Task(
            TaskRole::Forward,
            Ok(task(TaskRole::Forward, TaskStatus::Running, true)),
        ),
    );
    assert_eq!(app.log.len(), before);
    let mut stopped = task(TaskRole::Forward, TaskStatus::Stopped, true);
    stopped.stop_reason = Some("NORMAL".into());
    app.update(now(), Msg::Task(TaskRole::Forward, Ok(stopped)));
    let (level, text) = last_log(&app);
    assert_eq!(level, LogLevel::Info);
    assert_eq!(
        text,
        "forward task forward-task: running → stopped (stop reason NORMAL)"
    );

    let mut failed = task(TaskRole::Backward, TaskStatus::Failed, true);
    failed.stop_reason = Some("FATAL_ERROR".into());
    failed.last_failure = Some("Last Error ORA-01017: invalid username/password".into());
    app.update(now(), Msg::Task(TaskRole::Backward, Ok(failed)));
    last_error_says(
        &app,
        "running → failed (stop reason FATAL_ERROR): Last Error ORA-01017",
    );
}

/// The newest log entry is an error that says `what`.
fn last_error_says(app: &App, what: &str) {
    let (level, text) = last_log(app);
    assert_eq!(level, LogLevel::Error, "{text}");
    assert!(text.contains(what), "{text}");
}

#[test]
fn a_table_entering_the_error_state_is_logged_once() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    let mut t = tables();
    t[3].state = "Table error".into();
    app.update(now(), Msg::Tables(TaskRole::Forward, Ok(t.clone())));
    let (level, text) = last_log(&app);
    assert_eq!(level, LogLevel::Error);
    assert_eq!(
        text,
        "forward task: table customer_orders.t3 entered the error state (Table error)"
    );
    let before = app.log.len();
    app.update(now(), Msg::Tables(TaskRole::Forward, Ok(t)));
    assert_eq!(app.log.len(), before, "still in error is not news");
}

#[test]
fn a_backend_going_down_and_coming_back_is_logged_once_each() {
    let mut app = app();
    let rows = || {
        Ok(vec![HeartbeatRow {
            id: 1,
            at: now(),
            site: "SITEA".into(),
        }])
    };
    app.update(now(), Msg::Heartbeats(DbSide::B, rows()));
    assert!(texts(&app).is_empty(), "{:?}", texts(&app));
    let down = || {
        Msg::Heartbeats(
            DbSide::B,
            Err(BackendError::Unavailable("connection refused".into())),
        )
    };
    app.update(now(), down());
    let (level, text) = last_log(&app);
    assert_eq!(level, LogLevel::Error);
    assert_eq!(
        text,
        "database b (pg.example:5432/postgres) is down: connection refused"
    );
    app.update(now(), down());
    assert_eq!(app.log.len(), 1, "still down is not news");
    app.update(now(), Msg::Heartbeats(DbSide::B, rows()));
    let (level, text) = last_log(&app);
    assert_eq!(level, LogLevel::Success);
    assert!(
        text.starts_with("database b (pg.example:5432/postgres) is back"),
        "{text}"
    );

    app.update(
        now(),
        Msg::Task(
            TaskRole::Forward,
            Err(BackendError::Timeout(std::time::Duration::from_secs(5))),
        ),
    );
    assert!(
        last_log(&app)
            .1
            .contains("DMS (describing the forward task) is down: no answer within 5s")
    );
    app.update(
        now(),
        Msg::AppMap(Err(BackendError::Unavailable("DynamoDB refused".into()))),
    );
    assert!(
        last_log(&app)
            .1
            .contains("the appmap (DynamoDB) is down: DynamoDB refused")
    );
}

#[test]
fn an_appmap_item_changed_by_someone_else_is_logged_but_not_our_own_flip() {
    let mut app = app();
    appmap_at(&mut app, now(), DbSide::A);
    // Someone else flips SITEA to b.
    appmap_at(&mut app, now(), DbSide::B);
    let (level, text) = last_log(&app);
    assert_eq!(level, LogLevel::Error);
    assert_eq!(
        text,
        "SITEA's appmap item was changed by someone else: oracle ora.example:1521/ORCL → postgresql pg.example:5432/postgres"
    );
    // Our own flip back to a is not someone else's change.
    app.update(now(), Action::FlipPrompt);
    app.update(now(), Action::FlipChoose(Site::A));
    app.update(now(), Action::Override);
    app.update(now(), Action::Confirm);
    let mut written = item(Site::A, DbSide::A);
    written
        .extra
        .insert("flipped_by".into(), "dms-cockpit".into());
    app.update(
        now(),
        Msg::Flipped(Site::A, Ok((written.clone(), DbSide::A))),
    );
    let before = app.log.len();
    app.update(
        now(),
        Msg::AppMap(Ok(vec![written, item(Site::B, DbSide::B)])),
    );
    assert_eq!(app.log.len(), before, "{:?}", texts(&app));
}

/// The runtime writes each new entry to the log file: `log_since` gives
/// exactly the entries it has not written yet, also past the log's capacity.
#[test]
fn log_since_gives_each_new_entry_once() {
    let mut app = app();
    app.push_log(now(), LogLevel::Info, "one");
    let seen = app.log_pushed;
    app.push_log(now(), LogLevel::Info, "two");
    app.push_log(now(), LogLevel::Info, "three");
    let new: Vec<&str> = app.log_since(seen).map(|e| e.text.as_str()).collect();
    assert_eq!(new, ["two", "three"]);
    assert_eq!(app.log_since(app.log_pushed).count(), 0);
    for i in 0..dms_cockpit::app::LOG_CAPACITY + 5 {
        app.push_log(now(), LogLevel::Info, format!("n{i}"));
    }
    assert_eq!(app.log_since(seen).count(), dms_cockpit::app::LOG_CAPACITY);
}

/// The screen is redrawn for a message, a key or a resize, and for a
/// clock tick only when it changes an age on screen.
#[test]
fn redraw_only_when_something_shown_changed() {
    let ms = chrono::Duration::milliseconds;
    let mut app = app();
    assert!(app.take_redraw(), "the first frame");
    assert!(!app.take_redraw(), "taken");
    app.update(now(), Msg::AppMap(Ok(vec![item(Site::A, DbSide::A)])));
    assert!(app.take_redraw(), "a result");
    // Ticks every 200ms: the appmap stays `0s ago` for the first ones.
    app.update(now() + ms(200), Msg::Tick);
    assert!(!app.take_redraw(), "no age on screen changed");
    app.update(now() + ms(400), Msg::Tick);
    assert!(!app.take_redraw());
    app.update(now() + ms(1000), Msg::Tick);
    assert!(app.take_redraw(), "`0s ago` became `1s ago`");
    app.update(now() + ms(1100), Action::FocusNext);
    assert!(app.take_redraw(), "a key");
    app.update(now() + ms(1150), Action::Resize(100, 30));
    assert!(app.take_redraw(), "a resize");
    app.update(now() + ms(1200), Msg::Tick);
    assert!(!app.take_redraw());
}

/// Issue 8, item 5: a change that timed out after it was sent is "outcome
/// unknown", never "failed", and is read back at once; the read-back says
/// what is now true and fills the panel.
#[test]
fn a_timed_out_start_is_outcome_unknown_and_read_back() {
    use dms_cockpit::backend::ops::{Mutation, Reread};
    let mut app = with_tasks(app(), TaskStatus::Stopped, true);
    let cmds = app.update(now(), Action::StartSelected);
    let [Command::StartTask(role, request)] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    let cmds = effects(app.update(
        now(),
        Msg::Started(
            *role,
            request.clone(),
            Err(BackendError::OutcomeUnknown(
                "DMS gave no answer within 5s: it may or may not have been applied".into(),
            )),
        ),
    ));
    let mutation = Mutation::Start(TaskRole::Forward, StartType::ResumeProcessing);
    assert_eq!(cmds, vec![Command::Reread(mutation.clone())]);
    let (_, text) = last_log(&app);
    assert!(text.contains("outcome unknown"), "{text}");
    assert!(!text.contains("failed"), "{text}");
    assert!(!app.busy.contains(&Busy::Start(TaskRole::Forward)));

    let running = task(TaskRole::Forward, TaskStatus::Running, true);
    app.update(
        now(),
        Msg::Reread(mutation.clone(), Ok(Reread::Task(Box::new(running)))),
    );
    let (_, text) = last_log(&app);
    assert!(
        text.contains("read back: the forward task is now"),
        "{text}"
    );
    assert!(text.contains("running"), "{text}");
    assert_eq!(
        app.tasks.forward.data.as_ref().unwrap().status,
        TaskStatus::Running,
        "the panel shows the read-back"
    );
    // A read-back that fails leaves the outcome unknown, and says so.
    app.update(
        now(),
        Msg::Reread(mutation, Err(BackendError::Unavailable("DMS down".into()))),
    );
    let (level, text) = last_log(&app);
    assert_eq!(level, LogLevel::Error);
    assert!(text.contains("still unknown"), "{text}");
}

/// Issue 8, item 5: after a flip the appmap shows what the flip returned,
/// and a read that was already under way (it may hold the pre-flip item)
/// is dropped and made again.
#[test]
fn after_a_flip_the_pre_flip_appmap_is_never_shown() {
    let mut app = app();
    let before = vec![item(Site::A, DbSide::A), item(Site::B, DbSide::B)];
    app.update(now(), Msg::AppMap(Ok(before.clone())));
    app.update(now(), Action::FlipPrompt);
    app.update(now(), Action::FlipChoose(Site::A));
    app.update(now(), Action::Override);
    assert!(matches!(
        &effects(app.update(now(), Action::Confirm))[..],
        [Command::Flip(Site::A, _)]
    ));
    // A tick starts an appmap read while the flip is under way.
    assert!(app.update(now(), Msg::Tick).contains(&Command::FetchAppMap));
    let flipped = item(Site::A, DbSide::B);
    let cmds = effects(app.update(
        now(),
        Msg::Flipped(Site::A, Ok((flipped.clone(), DbSide::B))),
    ));
    assert!(cmds.is_empty(), "waits for the read under way: {cmds:?}");
    let shown = |app: &App| {
        app.appmap
            .data
            .as_ref()
            .unwrap()
            .iter()
            .find(|i| i.site == "SITEA")
            .cloned()
            .unwrap()
    };
    assert_eq!(shown(&app), flipped, "the flip's item at once");
    // The read that started before the flip answers with the old item.
    let cmds = app.update(now(), Msg::AppMap(Ok(before)));
    assert_eq!(cmds, vec![Command::FetchAppMap], "read again");
    assert_eq!(shown(&app), flipped, "the pre-flip answer is dropped");
    app.update(
        now(),
        Msg::AppMap(Ok(vec![flipped.clone(), item(Site::B, DbSide::B)])),
    );
    assert_eq!(shown(&app), flipped);
    assert!(app.update(now(), Msg::Tick).contains(&Command::FetchAppMap));
}

/// Issue 8, item 5: a heartbeat whose insert timed out is read back from
/// both databases; a queued press still goes out.
#[test]
fn a_timed_out_heartbeat_is_read_back_from_both_databases() {
    use dms_cockpit::backend::ops::{Mutation, Reread};
    let mut app = app();
    app.update(now(), Action::Heartbeat(Site::A));
    app.update(now(), Action::Heartbeat(Site::A));
    let cmds = app.update(
        now(),
        Msg::HeartbeatInserted(
            Site::A,
            Err(BackendError::OutcomeUnknown("no answer within 5s".into())),
        ),
    );
    assert!(
        cmds.contains(&Command::Reread(Mutation::Heartbeat(Site::A))),
        "{cmds:?}"
    );
    assert!(
        cmds.contains(&Command::InsertHeartbeat(Site::A)),
        "the queued press: {cmds:?}"
    );
    assert!(
        app.log
            .iter()
            .any(|e| e.text.contains("heartbeat as SITEA: outcome unknown")),
        "{:?}",
        app.log
    );
    let row = HeartbeatRow {
        id: 7,
        at: now(),
        site: "SITEA".into(),
    };
    let cmds = app.update(
        now(),
        Msg::Reread(
            Mutation::Heartbeat(Site::A),
            Ok(Reread::Heartbeats(PerDb {
                a: vec![row.clone()],
                b: vec![],
            })),
        ),
    );
    assert!(
        app.log
            .iter()
            .any(|e| e.text.contains("the newest SITEA row is 7")),
        "{:?}",
        app.log
    );
    assert_eq!(app.heartbeats.a.data.as_deref(), Some(&[row][..]));
    assert_eq!(cmds, vec![Command::FetchReplicas(DbSide::A, vec![7])]);
}

/// The lag meter's clock redraws only when the lag panel (or the log)
/// changes: a quiet tick draws nothing, a direction turning
/// `not_replicating` and the time it has been missing do.
#[test]
fn a_lag_tick_redraws_only_when_the_lag_panel_changes() {
    let ms = chrono::Duration::milliseconds;
    let mut app = app();
    app.take_redraw();
    app.update(now(), Msg::LagTick);
    assert!(!app.take_redraw(), "nothing measured: nothing changed");
    let row = HeartbeatRow {
        id: 9,
        at: now(),
        site: "SITEA".into(),
    };
    app.lag.tracker.written(DbSide::A, row, now());
    app.update(now() + ms(250), Msg::LagTick);
    app.take_redraw();
    app.update(now() + ms(500), Msg::LagTick);
    assert!(!app.take_redraw(), "still within the thresholds");
    let past = app.lag.tracker.settings.not_replicating;
    let past = chrono::Duration::from_std(past).unwrap() + ms(100);
    app.update(now() + past, Msg::LagTick);
    assert!(app.take_redraw(), "a→b is not replicating now");
    app.update(now() + past + ms(1000), Msg::LagTick);
    assert!(app.take_redraw(), "missing for one second longer");
}

#[test]
fn y_copies_what_is_selected_and_says_what() {
    let mut app = with_tasks(app(), TaskStatus::Running, true);
    // A table row (the cursor's: t1).
    press(&mut app, &[Key::Char('j')]);
    let Some(action) = action_for(&app, Key::Char('y')) else {
        panic!("y does nothing")
    };
    let cmds = app.update(now(), action);
    let [Command::Copy(text)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert!(
        text.starts_with("forward customer_orders.t1 state="),
        "{text}"
    );
    let (level, said) = last_log(&app);
    assert_eq!(level, LogLevel::Success);
    assert!(
        said.starts_with("copied the row of customer_orders.t1 to the clipboard"),
        "{said}"
    );
    // The detail: the whole of it.
    press(&mut app, &[Key::Enter]);
    let cmds = app.update(now(), Action::Copy);
    let [Command::Copy(text)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert!(
        text.starts_with("customer_orders.t1 (forward task)\nstate: "),
        "{text}"
    );
    assert!(
        text.contains("validation records: 0 pending · 0 failed · 0 suspended"),
        "{text}"
    );
    press(&mut app, &[Key::Esc]);
    // An event log entry, in full.
    app.focus = Focus::Log;
    app.push_log(
        now(),
        LogLevel::Error,
        "a long failure message that the panel cuts",
    );
    let cmds = app.update(now(), Action::Copy);
    assert!(
        matches!(cmds.as_slice(), [Command::Copy(t)] if t.ends_with("✖ a long failure message that the panel cuts")),
        "{cmds:?}"
    );
    // In a confirmation y still confirms; it never copies.
    app.focus = Focus::Tasks;
    press(&mut app, &[Key::Char('x')]);
    assert_eq!(action_for(&app, Key::Char('y')), Some(Action::Confirm));
    // Nothing selected: said.
    let mut empty = self::app();
    assert!(empty.update(now(), Action::Copy).is_empty());
    assert!(last_log(&empty).1.contains("nothing to copy"));
}

/// Issue 12: `y` on the table detail copies all of it, the validation
/// failures section included, in the order the detail shows them; checked
/// on the OSC 52 payload that goes to the terminal.
#[test]
fn y_on_the_table_detail_copies_its_validation_failures_too() {
    use base64::Engine as _;
    use dms_cockpit::backend::validation::{ValidationFailure, ValidationSummary};
    let mut app = with_tasks(self::app(), TaskStatus::Running, true);
    press(&mut app, &[Key::Char('j'), Key::Enter]);
    let key = app.detail_key().cloned().expect("the detail is open");
    let mut found = ValidationSummary {
        table_exists: true,
        ..ValidationSummary::default()
    };
    found.counts.insert(
        key.name(),
        [
            ("MISSING_TARGET".to_string(), 1),
            ("RECORD_DIFF".to_string(), 2),
        ]
        .into(),
    );
    found.latest.push(ValidationFailure {
        schema: key.schema.clone(),
        table: key.table.clone(),
        at: now(),
        key_type: "Row".into(),
        key: "{\"id\": 7}".into(),
        failure_type: "RECORD_DIFF".into(),
        details: "differs".into(),
    });
    app.update(now(), Msg::Validation(TaskRole::Forward, Ok(found)));
    let cmds = app.update(now(), Action::Copy);
    let [Command::Copy(text)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let sent = dms_cockpit::runtime::clipboard::osc52(text);
    let payload = sent
        .strip_prefix(b"\x1b]52;c;")
        .and_then(|p| p.strip_suffix(b"\x07"))
        .expect("an OSC 52 clipboard sequence");
    let copied = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert!(
        copied.starts_with(&format!("{} (forward task)\nstate: ", key.name())),
        "{copied}"
    );
    assert!(
        copied.contains(
            "validation details: —\nresync: — · — attempted · — succeeded · — failed · — %\n\
             validation failures:\n  MISSING_TARGET 1\n  RECORD_DIFF 2\n  \
             2026-11-27T12:00:00Z RECORD_DIFF Row {\"id\": 7}\n"
        ),
        "{copied}"
    );
}

/// The audit line names who the AWS credentials belong to, as STS said
/// (the header's identity); unknown (null) until it has been read.
#[test]
fn an_audit_line_carries_the_sts_caller_identity() {
    let audit_of = |cmds: Vec<Command>| {
        cmds.into_iter()
            .find_map(|c| match c {
                Command::Audit(r) => Some(r),
                _ => None,
            })
            .expect("an audit line")
    };
    let mut app = with_tasks(app(), TaskStatus::Stopped, true);
    let record = audit_of(app.update(now(), Action::StopSelected));
    assert_eq!(record.aws_identity, None, "not read yet");
    app.update(
        now(),
        Msg::Identity(Ok(dms_cockpit::backend::CallerIdentity {
            account: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:user/ops".into(),
        })),
    );
    let record = audit_of(app.update(now(), Action::StopSelected));
    assert_eq!(
        record.aws_identity.as_deref(),
        Some("arn:aws:iam::123456789012:user/ops")
    );
}

/// Issue 12: the validation failures are read in the control schema the
/// task's settings name (`ControlTablesSettings.ControlSchema`, carried in
/// the task snapshot), on the first read and when the detail opens.
#[test]
fn validation_failures_are_read_in_the_control_schema_of_the_tasks_settings() {
    let mut cockpit = app();
    let mut forward = task(TaskRole::Forward, TaskStatus::Running, true);
    forward.control_schema = Some("dmsctl".into());
    let asked = cockpit.update(now(), Msg::Task(TaskRole::Forward, Ok(forward)));
    let of = FailuresOf {
        task_arn: "arn:aws:dms:us-east-1:1:task:forward".into(),
        control_schema: Some("dmsctl".into()),
    };
    assert_eq!(
        asked,
        vec![Command::FetchValidation(TaskRole::Forward, of.clone())]
    );
    cockpit.update(
        now(),
        Msg::Validation(
            TaskRole::Forward,
            Ok(dms_cockpit::backend::validation::ValidationSummary::default()),
        ),
    );
    cockpit.update(now(), Msg::Tables(TaskRole::Forward, Ok(tables())));
    assert_eq!(
        cockpit.update(now(), Action::OpenTableDetail),
        vec![Command::FetchValidation(TaskRole::Forward, of)]
    );
}

/// Issue 12: the table detail shows the table's DMS validation failures,
/// read (on the task's target) when the detail opens and with every read
/// of the task while it stays open.
#[test]
fn the_table_detail_reads_the_tables_validation_failures() {
    use dms_cockpit::app::tables::validation_lines;
    use dms_cockpit::backend::validation::{ValidationFailure, ValidationSummary};
    let mut cockpit = with_tasks(app(), TaskStatus::Running, true);
    // The task read already asked for them; that answer comes back empty.
    cockpit.update(
        now(),
        Msg::Validation(TaskRole::Forward, Ok(ValidationSummary::default())),
    );
    press(&mut cockpit, &[Key::Char('j'), Key::Char('j')]);
    let asked = cockpit.update(now(), Action::OpenTableDetail);
    let of = FailuresOf {
        task_arn: "arn:aws:dms:us-east-1:1:task:forward".to_string(),
        control_schema: None,
    };
    assert_eq!(
        asked,
        vec![Command::FetchValidation(TaskRole::Forward, of.clone())]
    );
    let key = cockpit.detail_key().cloned().expect("the detail is open");
    assert_eq!(
        validation_lines(&cockpit, &key),
        Some(vec!["none".to_string()])
    );

    let mut found = ValidationSummary {
        table_exists: true,
        ..ValidationSummary::default()
    };
    found.counts.insert(
        "customer_orders.t10".into(),
        [
            ("MISSING_TARGET".to_string(), 1),
            ("RECORD_DIFF".to_string(), 2),
        ]
        .into(),
    );
    found.counts.insert(
        "customer_orders.t0".into(),
        [("RECORD_DIFF".to_string(), 9)].into(),
    );
    for (table, key) in [("t10", "{\"id\": 10}"), ("t0", "{\"id\": 0}")] {
        found.latest.push(ValidationFailure {
            schema: "customer_orders".into(),
            table: table.into(),
            at: now(),
            key_type: "Row".into(),
            key: key.into(),
            failure_type: "RECORD_DIFF".into(),
            details: "differs".into(),
        });
    }
    cockpit.update(now(), Msg::Validation(TaskRole::Forward, Ok(found)));
    assert_eq!(
        validation_lines(&cockpit, &key).unwrap(),
        [
            "MISSING_TARGET 1",
            "RECORD_DIFF 2",
            "2026-11-27T12:00:00Z RECORD_DIFF Row {\"id\": 10}"
        ],
        "only this table's counts and keys"
    );
    // The next read of the task (the refresh) reads them again.
    let next = cockpit.update(
        now(),
        Msg::Task(
            TaskRole::Forward,
            Ok(task(TaskRole::Forward, TaskStatus::Running, true)),
        ),
    );
    assert_eq!(next, vec![Command::FetchValidation(TaskRole::Forward, of)]);
    // A failed read is said in the detail and is a failure of its own.
    cockpit.update(
        now(),
        Msg::Validation(
            TaskRole::Forward,
            Err(BackendError::Other("database b refused".into())),
        ),
    );
    assert!(validation_lines(&cockpit, &key).unwrap()[0].contains("database b refused"));
    assert!(
        cockpit
            .failures()
            .iter()
            .any(|f| f.which == "tasks.forward.validation")
    );
}

/// A target whose validation failures cannot be read (an Oracle target)
/// is unknown, not an outage: no `errors` entry, no failed status, and
/// `status --json` says why instead of claiming an empty list.
#[test]
fn validation_failures_unavailable_on_a_target_are_unknown_not_an_error() {
    use dms_cockpit::backend::validation::ValidationSummary;
    use dms_cockpit::commands::status::Snapshot;
    let mut cockpit = with_tasks(app(), TaskStatus::Running, true);
    let why = "not read: implemented for PostgreSQL targets only; database a is Oracle";
    cockpit.update(
        now(),
        Msg::Validation(
            TaskRole::Backward,
            Ok(ValidationSummary {
                unavailable: Some(why.to_string()),
                ..ValidationSummary::default()
            }),
        ),
    );
    assert!(
        !cockpit
            .failures()
            .iter()
            .any(|f| f.which.contains("validation")),
        "{:?}",
        cockpit.failures()
    );
    let json = serde_json::to_value(Snapshot::from_app(&cockpit)).unwrap();
    let backward = &json["tasks"]["backward"];
    assert!(backward["validation_failures"].is_null(), "{backward}");
    assert_eq!(backward["validation_unavailable"], why);
    assert!(
        dms_cockpit::commands::status::text(&cockpit).contains(why),
        "the text status says it too"
    );
}

/// DMS's CloudWatch latency has one point a minute: it is read when due
/// (every `LATENCY_EVERY_S`), not on every refresh, and `r` reads it at once.
#[test]
fn cdc_latency_is_read_when_due_not_on_every_refresh() {
    let mut app = app();
    app.settings.cdc_latency = true;
    let latency = |cmds: &[Command]| {
        cmds.iter()
            .filter(|c| matches!(c, Command::FetchLatency(_)))
            .count()
    };
    assert_eq!(latency(&app.poll_all()), 2, "both tasks at the start");
    let value = dms_cockpit::backend::CdcLatency {
        source_s: Some(1.0),
        target_s: Some(2.0),
        at: Some(now()),
    };
    for role in [TaskRole::Forward, TaskRole::Backward] {
        app.update(now(), Msg::Latency(role, Ok(value.clone())));
    }
    app.now = now() + chrono::Duration::seconds(2);
    assert_eq!(latency(&app.poll_all()), 0, "a refresh 2 s later");
    app.now = now() + chrono::Duration::seconds(dms_cockpit::app::update::LATENCY_EVERY_S);
    assert_eq!(latency(&app.poll_all()), 2, "due again");
    for role in [TaskRole::Forward, TaskRole::Backward] {
        app.update(app.now, Msg::Latency(role, Ok(value.clone())));
    }
    let cmds = app.update(app.now + chrono::Duration::seconds(1), Action::Refresh);
    assert_eq!(latency(&cmds), 2, "r reads it at once");
}
