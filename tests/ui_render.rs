//! Render tests of the whole screen: `TestBackend` frames as text, snapshot
//! with insta, plus plain assertions on the strings that matter so a
//! failure says what broke rather than only "the picture changed".

use chrono::{DateTime, Duration, TimeZone, Utc};
use ratatui::style::Color;

use dms_cockpit::app::Msg;
use dms_cockpit::app::{
    Action, App, Busy, Focus, LogLevel, Panel, Pending, Popup, Replicas, Settings, TableKey,
    TableSort,
};
use dms_cockpit::backend::{
    AppMapItem, DatabaseRef, DbSide, Engine, HeartbeatRow, ModeInfo, PerDb, ReloadOption, Site,
    TableRef, TableStats, TableStatsMore, TaskProgress, TaskRole, TaskSnapshot, TaskStatus,
};
use dms_cockpit::doctor;
use dms_cockpit::format;
use dms_cockpit::ui::{Theme, render_to_buffer, render_to_string};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 30).unwrap()
}

fn ago(secs: i64) -> DateTime<Utc> {
    now() - Duration::seconds(secs)
}

fn databases() -> PerDb<DatabaseRef> {
    PerDb {
        a: DatabaseRef {
            side: DbSide::A,
            engine: Engine::Oracle,
            endpoint: "ora.lab".into(),
            port: 1521,
            dbname: "ORCL".into(),
            username: "customer_orders".into(),
        },
        b: DatabaseRef {
            side: DbSide::B,
            engine: Engine::Postgresql,
            endpoint: "pg.lab".into(),
            port: 5432,
            dbname: "orders".into(),
            username: "customer_orders".into(),
        },
    }
}

fn mode(read_only: bool) -> ModeInfo {
    ModeInfo {
        name: "LAB".into(),
        description: "SQLite files stand in for Oracle (a) and PostgreSQL (b); DMS is simulated"
            .into(),
        read_only,
    }
}

fn stats(table: &str, full: i64, ins: i64, upd: i64, del: i64, at: i64) -> TableStats {
    TableStats {
        schema: "customer_orders".into(),
        table: table.into(),
        state: "Table completed".into(),
        full_load_rows: full,
        inserts: ins,
        updates: upd,
        deletes: del,
        ddls: 0,
        errors: 0,
        validation_state: "Not enabled".into(),
        last_update: Some(ago(at)),
        more: Default::default(),
    }
}

fn forward_task() -> TaskSnapshot {
    TaskSnapshot {
        role: TaskRole::Forward,
        id: "lab-forward".into(),
        arn: "arn:aws:dms:lab:000000000000:task:lab-forward".into(),
        status: TaskStatus::Running,
        migration_type: "full-load-and-cdc".into(),
        progress: TaskProgress {
            full_load_percent: Some(100),
            tables_loaded: 4,
            tables_loading: 0,
            tables_queued: 0,
            tables_errored: 0,
            elapsed_ms: 1_800_000,
            fresh_start_date: Some(ago(1800)),
            start_date: Some(ago(1800)),
            stop_date: None,
            full_load_start_date: Some(ago(1800)),
            full_load_finish_date: Some(ago(1700)),
        },
        stop_reason: None,
        last_failure: None,
        start_date: Some(ago(1800)),
        recovery_checkpoint: None,
        control_schema: None,
    }
}

fn forward_tables() -> Vec<TableStats> {
    vec![
        stats("customers", 12_500, 31, 7, 0, 40),
        stats("orders", 250_000, 1_204, 388, 12, 3),
        stats("order_items", 1_250_000, 4_410, 25, 40, 3),
        stats("heartbeat", 20, 6, 0, 0, 5),
    ]
}

fn backward_task() -> TaskSnapshot {
    TaskSnapshot {
        role: TaskRole::Backward,
        id: "lab-backward".into(),
        arn: "arn:aws:dms:lab:000000000000:task:lab-backward".into(),
        status: TaskStatus::Stopped,
        migration_type: "cdc".into(),
        progress: TaskProgress {
            full_load_percent: None,
            stop_date: Some(ago(600)),
            start_date: Some(ago(1700)),
            ..TaskProgress::default()
        },
        stop_reason: Some("NORMAL".into()),
        last_failure: None,
        start_date: Some(ago(1700)),
        recovery_checkpoint: None,
        control_schema: None,
    }
}

fn backward_tables() -> Vec<TableStats> {
    vec![
        stats("customers", 0, 2, 1, 0, 700),
        stats("orders", 0, 15, 4, 0, 650),
        stats("heartbeat", 0, 3, 0, 0, 620),
    ]
}

fn hb(id: i64, secs_ago: i64, site: &str) -> HeartbeatRow {
    HeartbeatRow {
        id,
        at: ago(secs_ago),
        site: site.into(),
    }
}

fn item(site: &str, db: &DatabaseRef) -> AppMapItem {
    AppMapItem {
        username: "app_user".into(),
        ..AppMapItem::new(site, db)
    }
}

/// A cockpit that has fetched everything once: the forward task running,
/// the backward one stopped, heartbeats where the newest row of database a
/// has not reached b yet, SITEA on a and SITEB on b.
fn app_with_data() -> App {
    let dbs = databases();
    let mut app = App::new(mode(false), dbs.clone(), Settings::default(), now());
    app.tasks.forward.set(ago(2), Ok(forward_task()));
    app.tasks.backward.set(ago(2), Ok(backward_task()));
    app.tables.forward.set(ago(2), Ok(forward_tables()));
    app.tables.backward.set(ago(2), Ok(backward_tables()));
    app.heartbeats.a.set(
        ago(1),
        Ok(vec![
            hb(1_000_007, 2, "SITEA"),
            hb(1_000_006, 12, "SITEA"),
            hb(2_000_003, 25, "SITEB"),
            hb(1_000_005, 40, "SITEA"),
            hb(1_000_004, 70, "SITEA"),
            hb(2_000_002, 90, "SITEB"),
            hb(1_000_003, 130, "SITEA"),
        ]),
    );
    app.heartbeats.b.set(
        ago(1),
        Ok(vec![
            hb(2_000_003, 25, "SITEB"),
            hb(1_000_006, 12, "SITEA"),
            hb(1_000_005, 40, "SITEA"),
            hb(2_000_002, 90, "SITEB"),
            hb(1_000_004, 70, "SITEA"),
            hb(1_000_003, 130, "SITEA"),
            hb(2_000_001, 160, "SITEB"),
        ]),
    );
    // What each database answers when asked for the ids the other shows.
    for db in DbSide::ALL {
        let asked: Vec<i64> = app.heartbeats[db]
            .data
            .iter()
            .flatten()
            .map(|r| r.id)
            .collect();
        let found = app.heartbeats[db.other()]
            .data
            .iter()
            .flatten()
            .filter(|r| asked.contains(&r.id))
            .cloned()
            .collect();
        app.replicas[db].set(ago(1), Ok(Replicas { asked, found }));
    }
    app.appmap.set(
        ago(4),
        Ok(vec![item("SITEA", &dbs.a), item("SITEB", &dbs.b)]),
    );
    app.push_log(ago(300), LogLevel::Info, "refresh requested");
    app.push_log(ago(290), LogLevel::Info, "backward task: resume-processing");
    app.push_log(
        ago(288),
        LogLevel::Success,
        "backward task: resume-processing accepted",
    );
    app.push_log(ago(200), LogLevel::Info, "inserting a heartbeat as SITEB");
    app.push_log(
        ago(199),
        LogLevel::Success,
        "heartbeat 2000002 as SITEB inserted into database b (postgresql)",
    );
    app.push_log(ago(120), LogLevel::Info, "stopping the backward task");
    app.push_log(ago(118), LogLevel::Success, "backward task: stop accepted");
    app.push_log(ago(30), LogLevel::Info, "refresh requested");
    app.push_log(ago(20), LogLevel::Info, "inserting a heartbeat as SITEA");
    app.push_log(
        ago(19),
        LogLevel::Success,
        "heartbeat 1000006 as SITEA inserted into database a (oracle)",
    );
    app.push_log(
        ago(10),
        LogLevel::Error,
        "backward task: stop failed: no answer within 5s",
    );
    app.push_log(
        ago(2),
        LogLevel::Success,
        "heartbeat 1000007 as SITEA inserted into database a (oracle)",
    );
    app
}

fn sized(mut app: App, w: u16, h: u16) -> App {
    app.size = (w, h);
    app
}

fn screen(app: &App, w: u16, h: u16) -> String {
    render_to_string(app, &Theme::color(), w, h)
}

/// The line of `text` that contains `needle`, for assertions on one row.
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line contains {needle:?} in:\n{text}"))
}

#[test]
fn main_screen_80x24() {
    let app = sized(app_with_data(), 80, 24);
    let text = screen(&app, 80, 24);
    for expected in [
        " LAB ",
        "stand in for Oracle",
        "✓ backends ok",
        "» 1 forward",
        "● running",
        "■ stopped",
        "stop reason NORMAL",
        "Σ 4 tables",
        "db a · ORCL · ora.lab:1521 · 1s ago",
        "⇄ replicated",
        "SITEA",
        "→ db a",
        "→ db b",
        "heartbeat 1000007 as SITEA inserted",
        "?:help",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains("READ-ONLY"));
    insta::assert_snapshot!(text);
}

#[test]
fn main_screen_160x48_shows_both_tables_side_by_side() {
    let app = sized(app_with_data(), 160, 48);
    let text = screen(&app, 160, 48);
    let header = line_with(&text, "customer_orders.tab");
    assert_eq!(
        header.matches("customer_orders.tab").count(),
        2,
        "both tasks' tables share a row at 160 columns:\n{text}"
    );
    assert!(text.contains("Σ 4 tables") && text.contains("Σ 3 tables"));
    assert!(
        text.contains("2025-06-01 12:00:28"),
        "dated timestamps:\n{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn totals_row_sums_every_table() {
    let app = sized(app_with_data(), 80, 24);
    let text = screen(&app, 80, 24);
    let totals = line_with(&text, "Σ 4 tables");
    // 12,500 + 250,000 + 1,250,000 + 20 full-load rows; 31+1204+4410+6
    // inserts; 7+388+25 updates; 12+40 deletes.
    for expected in ["1,512,520", "5,651", "420", "52"] {
        assert!(
            totals.contains(expected),
            "{expected} missing in {totals:?}"
        );
    }
    let sum = format::totals(&forward_tables());
    assert_eq!(sum.full_load_rows, 1_512_520);
    assert_eq!(sum.inserts, 5_651);
}

/// The left half of each line (database a's panel) that mentions `id`.
fn left_half_row(text: &str, id: &str, width: usize) -> String {
    text.lines()
        .map(|l| l.chars().take(width / 2).collect::<String>())
        .find(|l| l.contains(id))
        .unwrap_or_else(|| panic!("no row {id} in database a's panel:\n{text}"))
}

#[test]
fn replicated_marker_only_on_rows_in_both_databases() {
    let app = sized(app_with_data(), 100, 30);
    let text = screen(&app, 100, 30);
    // 1000006 is in both databases; 1000007 only in a (not yet carried).
    let row = |db: DbSide, id| {
        app.heartbeats[db]
            .data
            .iter()
            .flatten()
            .find(|r| r.id == id)
            .unwrap()
            .clone()
    };
    assert!(app.is_replicated(DbSide::A, &row(DbSide::A, 1_000_006)));
    assert!(!app.is_replicated(DbSide::A, &row(DbSide::A, 1_000_007)));
    assert!(left_half_row(&text, "1000006", 100).contains("⇄ replicated"));
    let newest = left_half_row(&text, "1000007", 100);
    assert!(!newest.contains("replicated"), "{newest:?}");
    assert!(newest.contains('▸'), "the newest row is marked: {newest:?}");
}

#[test]
fn help_overlay_lists_every_key() {
    let mut app = sized(app_with_data(), 80, 24);
    app.popup = Some(Popup::Help);
    let text = screen(&app, 80, 24);
    for (keys, what) in dms_cockpit::app::keymap::HELP {
        assert!(text.contains(keys), "key {keys:?} missing:\n{text}");
        assert!(text.contains(what), "help {what:?} missing:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn stop_confirmation_names_the_task() {
    let mut app = sized(app_with_data(), 80, 24);
    app.update(now(), Action::StopSelected);
    assert_eq!(
        app.popup,
        Some(Popup::Confirm(Pending::Stop(TaskRole::Forward)))
    );
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Stop the forward task lab-forward? y / n"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn reload_asks_for_the_task_identifier_and_lists_what_it_empties() {
    let mut app = sized(app_with_data(), 80, 30);
    app.selected = TaskRole::Backward;
    app.update(now(), Action::ReloadSelected);
    for c in "lab-back".chars() {
        app.update(now(), Action::Type(c));
    }
    let text = screen(&app, 80, 30);
    assert!(
        text.contains("Reload the target of the backward task lab-backward?"),
        "{text}"
    );
    assert!(text.contains("reloads the target tables"), "{text}");
    assert!(text.contains("> lab-back_"), "{text}");
    assert!(
        text.contains("✖ the heartbeat table in database a is empty"),
        "{text}"
    );
    assert!(!text.contains("y / n"), "no y/n for a reload: {text}");
    insta::assert_snapshot!("reload_typed", text);
}

/// A flip whose checklist has a failed item: the popup marks it, says y
/// is refused and names the override key; once armed it says so.
#[test]
fn confirmation_with_a_failed_check_names_the_override_key() {
    let mut app = sized(app_with_data(), 100, 36);
    app.update(now(), Action::FlipPrompt);
    app.update(now(), Action::FlipChoose(Site::A));
    let text = screen(&app, 100, 36);
    assert!(
        text.contains("✖ the backward task lab-backward (b→a) is running"),
        "{text}"
    );
    assert!(
        text.contains("check(s) failed: y is refused. ! = override"),
        "{text}"
    );
    assert!(text.contains("• SITEA's writes move from"), "{text}");
    insta::assert_snapshot!("flip_with_failed_check", text);
    app.update(now(), Action::Override);
    let armed = screen(&app, 100, 36);
    assert!(armed.contains("OVERRIDE ARMED"), "{armed}");
    let plain = render_to_string(&app, &Theme::plain(), 100, 36);
    assert!(plain.contains("✖ the backward task"));
}

#[test]
fn flip_site_choice_shows_where_each_site_points() {
    let mut app = sized(app_with_data(), 80, 24);
    app.update(now(), Action::FlipPrompt);
    assert_eq!(app.popup, Some(Popup::ChooseFlipSite));
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Flip which site? a = SITEA, b = SITEB, Esc cancels"),
        "{text}"
    );
    assert!(text.contains("a = SITEA: now writes to db a"), "{text}");
    assert!(text.contains("b = SITEB: now writes to db b"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn flip_confirmation_names_both_databases() {
    let mut app = sized(app_with_data(), 160, 48);
    app.update(now(), Action::FlipPrompt);
    app.update(now(), Action::FlipChoose(Site::A));
    assert!(matches!(
        app.popup,
        Some(Popup::Confirm(Pending::Flip { .. }))
    ));
    let text = screen(&app, 160, 48);
    // The popup wraps at its own width: join its lines to read the sentence.
    let joined: String = text
        .lines()
        .filter(|l| l.contains('║'))
        .map(|l| l.split('║').nth(1).unwrap_or("").trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.contains(
            "Flip SITEA from db a (oracle ora.lab:1521/ORCL) to db b (postgresql pg.lab:5432/orders)? y / n"
        ),
        "{joined}\n{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn panel_errors_show_inside_the_panel_with_stale_data() {
    let mut app = sized(app_with_data(), 80, 24);
    // Database b's heartbeats: old data, then a failure.
    app.heartbeats.b.fetched_at = Some(ago(120));
    app.heartbeats
        .b
        .set(ago(12), Err("connection refused by pg.lab:5432".into()));
    // The appmap never answered.
    app.appmap = Default::default();
    app.appmap.set(ago(5), Err("no answer within 5s".into()));
    let text = screen(&app, 80, 24);
    // The error wraps inside its half of the screen.
    assert!(
        text.contains("✖ connection refused by pg.lab:5432"),
        "{text}"
    );
    assert!(text.contains("(12s ago)"), "{text}");
    assert!(
        line_with(&text, "db b · ").contains("⚠ stale, 2m old"),
        "stale data keeps its age:\n{text}"
    );
    let right_halves: Vec<String> = text
        .lines()
        .map(|l| l.chars().skip(41).collect::<String>())
        .collect();
    assert!(
        right_halves.iter().any(|l| l.contains("1000006")),
        "stale rows are still shown:\n{text}"
    );
    assert!(text.contains("✖ no answer within 5s (5s ago)"), "{text}");
    assert!(
        text.contains("✖ error: db b, appmap"),
        "header marker:\n{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn loading_state_before_the_first_answers() {
    let mut app = App::new(mode(true), databases(), Settings::default(), now());
    app.size = (80, 24);
    app.poll_all();
    let text = screen(&app, 80, 24);
    assert!(text.matches(format::LOADING).count() >= 5, "{text}");
    assert!(text.contains("READ-ONLY"), "{text}");
    assert!(text.contains("nothing has happened yet"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn too_small_says_how_big_to_make_it() {
    let app = sized(app_with_data(), 60, 20);
    let text = screen(&app, 60, 20);
    assert!(text.contains("Window too small"), "{text}");
    assert!(text.contains("at least 80x24 (now 60x20)"), "{text}");
    assert!(!text.contains("DMS tasks"), "no panels: {text}");
    insta::assert_snapshot!(text);
}

#[test]
fn focus_is_marked_without_colour() {
    let mut app = sized(app_with_data(), 80, 24);
    app.focus = Focus::HeartbeatB;
    let text = screen(&app, 80, 24);
    let title = line_with(&text, "db b · orders");
    assert!(title.contains("▶ db b · orders"), "{title}");
    assert!(!title.contains(" ▶ db a"), "{title}");
    assert!(!line_with(&text, "DMS tasks").contains('▶'));
    app.focus = Focus::AppMap;
    let text = screen(&app, 80, 24);
    let title = line_with(&text, "which database each site");
    assert!(title.contains("▶ appmap"), "{title}");
    assert!(title.contains('═'), "focused rule is doubled: {title}");
    assert!(line_with(&text, "DMS tasks").contains('─'), "others single");
}

#[test]
fn footer_shows_actions_in_flight() {
    let mut app = sized(app_with_data(), 80, 24);
    app.busy.insert(Busy::Stop(TaskRole::Backward));
    app.busy.insert(Busy::Heartbeat(Site::B));
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("◌ in flight: stopping the backward task, heartbeat as SITEB"),
        "{text}"
    );
    assert!(text.contains("?:help"), "{text}");
    // Presses waiting behind the one in flight are counted.
    app.queued.insert(Site::B, 3);
    let text = screen(&app, 80, 24);
    assert!(text.contains("heartbeat as SITEB (+3 queued)"), "{text}");
}

#[test]
fn failed_task_shows_reason_and_failure() {
    let mut app = sized(app_with_data(), 80, 24);
    let mut task = backward_task();
    task.status = TaskStatus::Failed;
    task.stop_reason = Some("FATAL_ERROR".into());
    task.last_failure = Some(
        "Last Error Could not find replication slot dms_slot_orders on the source; \
         create the logical replication slot, then resume the task. Task error \
         notification received."
            .into(),
    );
    app.tasks.backward.set(ago(2), Ok(task));
    let text = screen(&app, 80, 24);
    assert!(text.contains("✖ failed"), "{text}");
    assert!(
        text.contains("stop reason FATAL_ERROR · ✖ last failure: Last Error"),
        "{text}"
    );
    // The message wraps rather than being cut at the screen's edge.
    assert!(text.contains("then resume the task"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn appmap_item_matching_neither_database_is_flagged() {
    let mut app = sized(app_with_data(), 80, 24);
    let mut stray = item("SITEB", &databases().b);
    stray.endpoint = "elsewhere.example".into();
    app.appmap
        .set(ago(1), Ok(vec![item("SITEA", &databases().a), stray]));
    let text = screen(&app, 80, 24);
    // Shortened in the middle at 80 columns, so the port and name stay.
    assert!(line_with(&text, "elsewhere.exa").contains("⚠ matches neither"));
}

#[test]
fn plain_theme_draws_no_colour_at_all() {
    let mut app = sized(app_with_data(), 160, 48);
    app.tasks
        .forward
        .set(ago(1), Err("throttled by DMS".into()));
    for popup in [None, Some(Popup::Help), Some(Popup::ChooseFlipSite)] {
        app.popup = popup;
        let buffer = render_to_buffer(&app, &Theme::plain(), 160, 48);
        for cell in &buffer.content {
            assert_eq!(cell.fg, Color::Reset, "fg on {:?}", cell.symbol());
            assert_eq!(cell.bg, Color::Reset, "bg on {:?}", cell.symbol());
        }
    }
    // The same screen in colour does use colour, so the check above means
    // something.
    app.popup = None;
    let coloured = render_to_buffer(&app, &Theme::color(), 160, 48);
    assert!(coloured.content.iter().any(|c| c.fg != Color::Reset));
    // And plain text is the same text.
    assert_eq!(
        render_to_string(&app, &Theme::plain(), 160, 48),
        render_to_string(&app, &Theme::color(), 160, 48)
    );
}

#[test]
fn scrolled_panels_show_later_rows_and_say_so() {
    let mut app = sized(app_with_data(), 80, 24);
    // The cursor on the last table (sorted by name: customers, heartbeat,
    // order_items, orders) scrolls the first two away.
    app.scroll.tasks.forward = 3;
    app.scroll.heartbeats.a = 1;
    app.scroll.log = Some(app.log.len() - 2);
    let text = screen(&app, 80, 24);
    assert!(text.contains("Σ 4 tables, 3-4 shown"), "{text}");
    assert!(text.contains("order_items"), "{text}");
    assert!(!text.contains("customers "), "scrolled past: {text}");
    assert!(
        text.lines()
            .all(|l| !l.chars().take(40).collect::<String>().contains("1000007")),
        "database a's newest row scrolled away:\n{text}"
    );
    assert!(text.contains("1 newer below (G: newest)"), "{text}");
    assert!(
        !text.contains("heartbeat 1000007 as SITEA inserted"),
        "the newest log entry is below the view:\n{text}"
    );
    assert!(text.contains("stop failed: no answer within 5s"), "{text}");
}

#[test]
fn too_small_message_wraps_on_a_tiny_screen() {
    let app = sized(app_with_data(), 30, 8);
    let text = screen(&app, 30, 8);
    assert!(text.contains("Window too small"), "{text}");
    assert!(text.contains("80x24"), "{text}");
    assert!(text.contains("(now 30x8)"), "{text}");
}

#[test]
fn only_the_selected_task_is_highlighted() {
    let app = sized(app_with_data(), 80, 24);
    let buffer = render_to_buffer(&app, &Theme::color(), 80, 24);
    let text = dms_cockpit::ui::buffer_to_string(&buffer);
    let row_of = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not on screen")) as u16
    };
    let selected = row_of("1 forward lab-forward");
    let other = row_of("2 backward lab-backward");
    assert_eq!(buffer[(0, selected)].symbol(), "»");
    assert_ne!(buffer[(2, selected)].bg, Color::Reset);
    for x in 0..4 {
        assert_eq!(buffer[(x, other)].bg, Color::Reset, "column {x}");
    }
}

#[test]
fn table_statistics_error_is_shown_above_the_table() {
    let mut app = app_with_data();
    app.tables.forward = Panel::default();
    app.tables.forward.set(
        now(),
        Err("DescribeTableStatistics failed: HTTP 500".into()),
    );
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("✖ table statistics: DescribeTableStatistics failed"),
        "{text}"
    );
    // Without an error, no such line.
    let text = screen(&app_with_data(), 80, 24);
    assert!(!text.contains("table statistics:"), "{text}");
}

#[test]
fn long_log_entries_wrap_so_their_end_is_visible() {
    let mut app = app_with_data();
    app.push_log(
        now(),
        LogLevel::Error,
        "heartbeat as SITEB failed: database b (postgresql 127.0.0.1:54321/site_b) gave no answer within 3s: is it running and reachable?",
    );
    let text = screen(&app, 100, 30);
    assert!(text.contains("is it running and reachable?"), "{text}");
    assert!(text.contains("heartbeat as SITEB failed"), "{text}");
    // Where the log has room for only part of it, the start shows, cut
    // with an ellipsis, never silently.
    let text = screen(&app, 80, 24);
    assert!(text.contains("heartbeat as SITEB failed"), "{text}");
    assert!(text.contains('…'), "{text}");
}

/// The lag panel with automatic heartbeats on: a→b measured (current,
/// windows, resolution), b→a with a heartbeat missing past the threshold.
#[test]
fn lag_panel_shows_each_direction_in_words() {
    let mut app = sized(app_with_data(), 100, 30);
    app.lag.auto = true;
    let t = &mut app.lag.tracker;
    for (i, lag) in [1800i64, 2100, 2000].iter().enumerate() {
        let written = ago(40 - i as i64 * 5);
        let row = hb(i as i64 + 1, 40 - i as i64 * 5, "SITEA");
        t.written(DbSide::A, row.clone(), written);
        t.seen(DbSide::B, &[row], written + Duration::milliseconds(*lag));
    }
    t.written(DbSide::B, hb(1_000_000_009, 34, "SITEB"), ago(34));
    let text = screen(&app, 100, 30);
    let starting = |p: &str| {
        text.lines()
            .find(|l| l.starts_with(p))
            .unwrap_or_else(|| panic!("no line starts with {p:?}:\n{text}"))
            .to_string()
    };
    let a = starting("a→b ");
    assert!(a.contains("✓ replicating · 2.00 s ±250 ms"), "{a}");
    assert!(a.contains("1m 1.8s/2.0s/2.1s"), "{a}");
    let b = starting("b→a ");
    assert!(b.contains("✖ not replicating for 34.00 s"), "{b}");
    assert!(b.contains("no measurement yet"), "{b}");
    assert!(text.contains("automatic heartbeats every 1s · h stops"));
    insta::assert_snapshot!(text);
    // Without colour the words alone carry the state.
    let plain = render_to_string(&app, &Theme::plain(), 100, 30);
    assert!(plain.contains("✖ not replicating"));
}

/// A forward task whose tables went wrong in the ways the marks tell
/// apart: an error, suspended validation, failed validation, one loading.
fn troubled_app() -> App {
    let mut app = sized(app_with_data(), 80, 24);
    let mut tables = forward_tables();
    tables[0].state = "Table error".into(); // customers
    tables[1].validation_state = "Suspended records".into(); // orders
    tables[1].more.validation_suspended_records = 4;
    tables[2].validation_state = "Mismatched records".into(); // order_items
    tables[2].more.validation_failed_records = 2;
    tables[3].state = "Full load".into(); // heartbeat
    app.tables.forward.set(ago(2), Ok(tables));
    app
}

#[test]
fn errored_and_suspended_tables_are_marked_without_colour() {
    let app = sized(troubled_app(), 100, 40);
    let text = render_to_string(&app, &Theme::plain(), 100, 40);
    assert!(
        line_with(&text, "customers").starts_with("✖ customers"),
        "{text}"
    );
    assert!(
        line_with(&text, "orders ").starts_with("‖ orders"),
        "{text}"
    );
    assert!(
        line_with(&text, "order_items").starts_with("≠ order_items"),
        "{text}"
    );
    assert!(
        line_with(&text, "heartbeat ").starts_with("… heartbeat"),
        "{text}"
    );
    // The cursor row (the first: the tasks panel has focus) is reversed,
    // which needs no colour either.
    let buffer = render_to_buffer(&app, &Theme::plain(), 100, 40);
    let row = text.lines().position(|l| l.contains("customers")).unwrap() as u16;
    let cell = &buffer[(3, row)];
    assert!(
        cell.modifier.contains(ratatui::style::Modifier::REVERSED),
        "cursor row not reversed: {cell:?}"
    );
}

#[test]
fn filter_and_sort_narrow_the_list_and_show_in_the_title() {
    let mut app = troubled_app();
    app.table_view.filter = "ORDER".into();
    app.table_view.sort = TableSort::Changes;
    app.popup = Some(Popup::Filter);
    let text = screen(&app, 80, 24);
    assert!(text.contains("/ORDER▏"), "{text}");
    assert!(text.contains("sort: most changes"), "{text}");
    assert!(text.contains("Σ 2 of 4 tables"), "{text}");
    assert!(!text.contains("customers"), "{text}");
    let items = text.find("order_items").expect("order_items shown");
    let orders = text.find("orders ").expect("orders shown");
    assert!(items < orders, "most changes first:\n{text}");
    insta::assert_snapshot!(text);

    app.table_view.filter = "nothing-like-this".into();
    app.popup = None;
    let none = screen(&app, 80, 24);
    assert!(none.contains("no table matches the filter"), "{none}");
    assert!(none.contains("· /nothing-like-this"), "{none}");
}

#[test]
fn table_detail_shows_every_statistic_and_what_the_lab_simulates() {
    let mut app = troubled_app();
    let mut tables = app.tables.forward.data.clone().unwrap();
    let t = &mut tables[1]; // orders
    t.errors = 0;
    t.more = TableStatsMore {
        applied_inserts: Some(1_200),
        applied_updates: Some(388),
        applied_deletes: Some(12),
        applied_ddls: Some(0),
        full_load_condtnl_chk_failed_rows: 3,
        full_load_start: Some(ago(1790)),
        full_load_end: Some(ago(1750)),
        full_load_reloaded: Some(true),
        validation_pending_records: 7,
        validation_failed_records: 2,
        validation_suspended_records: 4,
        validation_state_details: Some("4 records suspended: no unique key".into()),
        resync_state: None,
        resync_rows_attempted: None,
        resync_rows_succeeded: None,
        resync_rows_failed: None,
        resync_progress: None,
        simulated: Some("lab: the simulated DMS copies this table from site a to site b".into()),
    };
    app.tables.forward.set(ago(2), Ok(tables));
    app.popup = Some(Popup::TableDetail(TableKey {
        role: TaskRole::Forward,
        schema: "customer_orders".into(),
        table: "orders".into(),
    }));
    let text = screen(&app, 100, 30);
    for expected in [
        "customer_orders.orders · forward task lab-forward · db a → db b",
        "‖ Table completed (validation suspended)",
        "250,000 rows · 0 error rows · 3 failed the condition check",
        "yes: loaded again by a table reload",
        "1,204 inserts · 388 updates · 12 deletes · 0 DDLs",
        "1,200 inserts · 388 updates · 12 deletes · 0 DDLs",
        "Suspended records",
        "7 pending · 2 failed · 4 suspended",
        "4 records suspended: no unique key",
        "2025-06-01 12:00:27 (3s ago)",
        "lab: the simulated DMS copies",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    insta::assert_snapshot!(text);

    // A table that left the statistics says so instead of showing old numbers.
    let mut gone = app.tables.forward.data.clone().unwrap();
    gone.remove(1);
    app.tables.forward.set(ago(1), Ok(gone));
    let text = screen(&app, 100, 30);
    assert!(
        text.contains("is no longer in the forward task's table statistics"),
        "{text}"
    );
}

/// `g` on the log shows the oldest entry at the top of a full view, and
/// the view never runs past the newest entry at the bottom.
#[test]
fn log_scrolled_to_the_oldest_fills_the_view_downwards() {
    let mut app = sized(app_with_data(), 80, 24);
    app.focus = Focus::Log;
    app.update(now(), Action::ScrollTop);
    let text = screen(&app, 80, 24);
    let log: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("event log"))
        .skip(1)
        .take_while(|l| !l.contains("?:help"))
        .collect();
    assert!(
        log[0].contains("refresh requested"),
        "oldest first:\n{text}"
    );
    assert!(
        log[1].contains("backward task: resume-processing"),
        "then newer ones below it:\n{text}"
    );
    assert!(
        log.iter().all(|l| !l.trim().is_empty()),
        "a full view:\n{text}"
    );
    assert!(text.contains("newer below (G: newest)"), "{text}");
    // At the newest, the newest entry is the bottom line.
    app.update(now(), Action::ScrollBottom);
    let text = screen(&app, 80, 24);
    let last_log_line = text
        .lines()
        .take_while(|l| !l.contains("?:help"))
        .last()
        .unwrap();
    assert!(last_log_line.contains("heartbeat 1000007"), "{text}");
}

#[test]
fn data_reload_confirmation_names_task_tables_and_target_rows_and_asks_for_the_name() {
    let mut app = sized(app_with_data(), 80, 24);
    app.popup = Some(Popup::Confirm(Pending::ReloadTables {
        role: TaskRole::Forward,
        tables: vec![TableRef::parse("customer_orders.orders").unwrap()],
        option: ReloadOption::DataReload,
        typed: "ord".into(),
    }));
    let text = screen(&app, 80, 24);
    for expected in [
        "Reload 1 table of the forward task lab-forward",
        "customer_orders.orders",
        "rows that exist only in db b are lost",
        "Type orders and press Enter",
        "> ord▏",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    insta::assert_snapshot!(text);
    let Some(Popup::Confirm(Pending::ReloadTables { typed, .. })) = &mut app.popup else {
        unreachable!()
    };
    *typed = "customers".into();
    assert!(screen(&app, 80, 24).contains("✖ does not match"));
}

/// Issue 12: marked tables (Space) read `+ ` before their name and the
/// totals row counts them; the confirmation of their data-reload names
/// every table and asks for the task's identifier.
#[test]
fn marked_tables_and_their_reload_confirmation() {
    use dms_cockpit::app::TableKey;
    let mut app = sized(app_with_data(), 80, 24);
    for table in ["customers", "orders"] {
        app.table_view.marked.insert(TableKey {
            role: TaskRole::Forward,
            schema: "customer_orders".into(),
            table: table.into(),
        });
    }
    let app = sized(app, 160, 48);
    let text = screen(&app, 160, 48);
    assert!(text.contains("+ customers"), "{text}");
    assert!(text.contains("+ orders"), "{text}");
    assert!(text.contains("2 marked"), "{text}");
    insta::assert_snapshot!("marked_tables_list", text);
    let mut app = sized(app, 80, 24);
    app.popup = Some(Popup::Confirm(Pending::ReloadTables {
        role: TaskRole::Forward,
        tables: vec![
            TableRef::parse("customer_orders.customers").unwrap(),
            TableRef::parse("customer_orders.orders").unwrap(),
        ],
        option: ReloadOption::DataReload,
        typed: String::new(),
    }));
    let text = screen(&app, 80, 24);
    for expected in [
        "Reload 2 tables of the forward task lab-forward",
        "customer_orders.customers, customer_orders.orders",
        "Type the task identifier lab-forward and press Enter",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    insta::assert_snapshot!("marked_tables_reload_confirmation", text);
}

#[test]
fn logs_view_marks_severities_by_letter_and_says_where_it_reads() {
    use dms_cockpit::app::logs::LogsView;
    use dms_cockpit::backend::logs::{LogLine, Severity};
    let mut app = sized(app_with_data(), 80, 24);
    let mut view = LogsView::new(TaskRole::Forward, now());
    view.source = Some("dms-tasks-ri / dms-task-FWD".into());
    view.fetched_at = Some(ago(1));
    for (i, text) in [
        "2025-06-01T11:59:00 [TASK_MANAGER    ]I:  Task 'lab-forward' running",
        "2025-06-01T11:59:10 [SOURCE_CAPTURE  ]W:  Source latency 12 seconds",
        "2025-06-01T11:59:20 [TARGET_LOAD     ]E:  Failed to load table 'customer_orders'.'orders'",
    ]
    .iter()
    .enumerate()
    {
        view.lines.push(LogLine {
            id: i.to_string(),
            at: ago(70 - 10 * i as i64),
            severity: Severity::of_message(text),
            text: (*text).into(),
        });
    }
    app.logs_view = Some(view);
    app.popup = Some(Popup::Logs);
    let text = screen(&app, 80, 24);
    for expected in [
        "task log · forward task lab-forward",
        "dms-tasks-ri / dms-task-FWD",
        "following",
        "11:59:20 I: TASK_MANAGER Task 'lab-forward' running",
        "W: SOURCE_CAPTURE Source latency 12 seconds",
        "E: TARGET_LOAD Failed to load table",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    insta::assert_snapshot!(text);
    // The error line is red in colour, and still says E: without it.
    let plain = render_to_string(&app, &Theme::plain(), 80, 24);
    assert!(plain.contains("E: TARGET_LOAD"), "{plain}");
}

#[test]
fn the_footer_says_what_was_copied_for_a_while() {
    let mut app = sized(app_with_data(), 80, 24);
    app.last_copy = Some((
        ago(3),
        "copied the row of customer_orders.orders to the clipboard (98 characters, OSC 52)".into(),
    ));
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("✓ copied the row of customer_orders.orders"),
        "{text}"
    );
    assert!(text.contains("?:help"), "the keys stay: {text}");
    app.last_copy = Some((ago(11), "copied something".into()));
    assert!(
        !screen(&app, 80, 24).contains("copied something"),
        "gone after 10 s"
    );
}

/// Issue 8, item 11: the header says which AWS account, before the rest.
#[test]
fn header_shows_the_aws_account() {
    use dms_cockpit::backend::CallerIdentity;
    let mut app = app_with_data();
    app.identity_wanted = true;
    app.identity.set(
        now(),
        Ok(CallerIdentity {
            account: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:user/moto".into(),
        }),
    );
    let text = screen(&app, 160, 48);
    let first = text.lines().next().unwrap();
    assert!(
        first.contains("AWS account 123456789012 · arn:aws:iam::123456789012:user/moto"),
        "{first}"
    );
    app.identity = Default::default();
    app.identity.set(now(), Err("STS gave no answer".into()));
    let text = screen(&app, 160, 48);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("AWS account unknown: STS gave no answer"),
        "{text}"
    );
}

/// Data whose last fetch failed is drawn stale: a task whose describe
/// failed is not a green `● running`; it says `⚠ stale`, how old it is,
/// and loses its healthy colour. Heartbeat rows likewise.
#[test]
fn stale_data_is_not_drawn_as_current() {
    let mut app = sized(app_with_data(), 80, 24);
    app.tasks.forward.set(
        now(),
        Err("cannot reach DMS at dms.example: connection refused".into()),
    );
    app.heartbeats
        .a
        .set(now(), Err("cannot connect to Oracle".into()));
    let buffer = render_to_buffer(&app, &Theme::color(), 80, 24);
    let text = dms_cockpit::ui::buffer_to_string(&buffer);
    let summary = line_with(&text, "1 forward lab-forward");
    assert!(!summary.contains("● running"), "{text}");
    assert!(summary.contains("⚠ stale: was running"), "{text}");
    assert!(summary.contains("2s ago"), "its age:\n{text}");
    let y = text
        .lines()
        .position(|l| l.contains("1 forward lab-forward"))
        .unwrap() as u16;
    for x in 0..80 {
        assert_ne!(
            buffer[(x, y)].fg,
            Color::Green,
            "no healthy colour at column {x}:\n{text}"
        );
    }
    assert!(
        line_with(&text, " db a · ").contains("⚠ stale, 1s old"),
        "{text}"
    );
    // The same without colour: the words carry it.
    let plain = render_to_string(&app, &Theme::plain(), 80, 24);
    assert!(line_with(&plain, "1 forward lab-forward").contains("⚠ stale: was running"));
    // A healthy task keeps its symbol and colour.
    let healthy = screen(&sized(app_with_data(), 80, 24), 80, 24);
    assert!(line_with(&healthy, "1 forward lab-forward").contains("● running"));
}

/// An open flip prompt shows the item as it is now and says that it
/// changed since it opened, and how old the appmap is.
#[test]
fn flip_prompt_says_the_item_changed_since_it_opened() {
    let dbs = databases();
    let mut app = sized(app_with_data(), 80, 24);
    app.update(now(), Action::FlipPrompt);
    app.update(now(), Action::FlipChoose(Site::A));
    app.update(
        now(),
        dms_cockpit::app::Msg::AppMap(Ok(vec![item("SITEA", &dbs.b), item("SITEB", &dbs.b)])),
    );
    let text = screen(&app, 80, 24);
    assert!(text.contains("Flip SITEA from db b"), "{text}");
    assert!(text.contains("changed since this prompt opened"), "{text}");
    assert!(text.contains("The appmap was read 0s ago"), "{text}");
    insta::assert_snapshot!(text);
}

/// Two PostgreSQL databases on one host, as on the live test bed: the
/// panels must tell them apart at 80 columns.
fn two_postgres_on_one_host() -> App {
    let mut app = app_with_data();
    for (db, name) in [
        (&mut app.databases.a, "site_a"),
        (&mut app.databases.b, "site_b"),
    ] {
        db.engine = Engine::Postgresql;
        db.endpoint = "127.0.0.1".into();
        db.port = 43210;
        db.dbname = name.into();
    }
    let dbs = app.databases.clone();
    app.appmap.set(
        ago(4),
        Ok(vec![item("SITEA", &dbs.a), item("SITEB", &dbs.b)]),
    );
    app
}

#[test]
fn heartbeat_titles_lead_with_what_tells_the_databases_apart() {
    let app = sized(two_postgres_on_one_host(), 80, 24);
    let text = screen(&app, 80, 24);
    let title = line_with(&text, " db a · ");
    // The names differ, so they lead; the host follows, shortened in the
    // middle if it must be so its port stays.
    assert!(title.contains("db a · site_a · 127.0"), "{text}");
    assert!(title.contains("db b · site_b · 127.0"), "{text}");
    assert!(title.contains("43210 · 1s ago"), "{text}");
    assert!(title.contains("1s ago"), "the age stays: {text}");
}

#[test]
fn appmap_columns_share_the_width_and_keep_the_database_name() {
    let mut app = sized(two_postgres_on_one_host(), 80, 24);
    let long = "replica-7.cluster-abcdefghijkl.eu-west-1.rds.amazonaws.com";
    let items = app.appmap.data.as_mut().unwrap();
    items[0].endpoint = long.into();
    let text = screen(&app, 80, 24);
    let line = line_with(&text, "SITEA  postgresql");
    assert!(line.contains("…"), "shortened in the middle: {line}");
    assert!(
        line.contains(":43210/site_a"),
        "the end that differs stays: {line}"
    );
    // (The item no longer names database a's host.)
    assert!(
        line.ends_with("⚠ matches neither"),
        "the last column is not cut: {line}"
    );
    assert!(line.contains("user app_user"), "{line}");
    // Short values are shown whole.
    let line = line_with(&text, "SITEB  postgresql");
    assert!(line.contains("127.0.0.1:43210/site_b"), "{line}");
}

#[test]
fn a_cut_panel_error_says_where_the_full_text_is_and_e_opens_it() {
    let mut app = sized(app_with_data(), 80, 24);
    let error = "cannot connect to PostgreSQL at 127.0.0.1:43210/site_b as customer_orders: Connection refused (os error 111): is it running, and is the port right?";
    app.heartbeats.b.set(now(), Err(error.into()));
    let text = screen(&app, 80, 24);
    assert!(text.contains("… e: full text"), "{text}");
    // The table-statistics line too, and `e` on the tasks panel opens it.
    app.tables.forward.set(
        now(),
        Err("DMS at http://127.0.0.1:55000: this endpoint does not implement DescribeTableStatistics (HTTP 500)".into()),
    );
    let text = screen(&app, 80, 24);
    assert!(
        line_with(&text, "✖ table statistics").ends_with("… e: full text"),
        "{text}"
    );
    app.update(now(), Action::OpenDetail);
    assert!(screen(&app, 80, 24).contains("implement DescribeTableStatistics (HTTP 500)"));
    app.update(now(), Action::Cancel);
    app.focus = Focus::HeartbeatB;
    app.update(now(), Action::OpenDetail);
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("is the port right?"),
        "the whole error:\n{text}"
    );
    assert!(text.contains("Esc, Enter or e closes"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn enter_on_the_log_opens_the_focused_entry_in_full() {
    let mut app = sized(app_with_data(), 80, 24);
    let long = "heartbeat as SITEB failed: cannot connect to PostgreSQL at 127.0.0.1:43210/site_b as customer_orders: Connection refused (os error 111): is it running, and is the port right?";
    app.push_log(now(), LogLevel::Error, long);
    app.push_log(now(), LogLevel::Info, "refresh requested");
    app.focus = Focus::Log;
    assert_eq!(
        dms_cockpit::app::keymap::action_for(&app, dms_cockpit::app::keymap::Key::Enter),
        Some(Action::OpenDetail)
    );
    app.update(now(), Action::ScrollUp);
    app.update(now(), Action::OpenDetail);
    let text = screen(&app, 80, 24);
    assert!(text.contains("is the port right?"), "{text}");
    assert!(text.contains("event log · 12:00:30"), "{text}");
}

/// A tall screen shows every fetched heartbeat row instead of leaving the
/// log's lines empty.
#[test]
fn heartbeat_panels_use_the_height_there_is() {
    let mut app = sized(app_with_data(), 120, 40);
    let rows = |base: i64| -> Vec<HeartbeatRow> {
        (0..10).map(|i| hb(base + i, 10 * i + 2, "SITEA")).collect()
    };
    app.heartbeats.a.set(ago(1), Ok(rows(1_000_000)));
    app.heartbeats.b.set(ago(1), Ok(rows(2_000_000)));
    // A cockpit just started: the log holds little.
    while app.log.len() > 2 {
        app.log.pop_front();
    }
    let text = render_to_string(&app, &Theme::color(), 120, 40);
    for i in 0..10 {
        assert!(
            text.contains(&(1_000_000 + i).to_string()),
            "row {i} of 10 missing:\n{text}"
        );
    }
    insta::assert_snapshot!(text);
}

/// `✓ backends ok` only when no call is failing: a table-statistics error
/// counts, though the task's status came through.
#[test]
fn header_is_not_ok_while_table_statistics_fail() {
    let mut app = sized(app_with_data(), 80, 24);
    app.tables
        .forward
        .set(now(), Err("DescribeTableStatistics: AccessDenied".into()));
    let text = screen(&app, 80, 24);
    assert!(!text.contains("✓ backends ok"), "{text}");
    assert!(
        line_with(&text, "data age").starts_with("✖ error: fwd tables"),
        "{text}"
    );
    let text = screen(&sized(app_with_data(), 80, 24), 80, 24);
    assert!(text.contains("✓ backends ok"), "{text}");
}

/// A ten-digit id leaves the replicated column too narrow at 80 columns:
/// the mark is shortened whole, never cut mid-word.
#[test]
fn the_replicated_mark_is_never_cut() {
    let mut app = sized(app_with_data(), 80, 24);
    let rows = vec![hb(1_000_000_000, 2, "SITEB"), hb(1_000_006, 12, "SITEA")];
    app.heartbeats.b.set(ago(1), Ok(rows.clone()));
    app.heartbeats.a.set(ago(1), Ok(rows));
    app.replicas.b.set(
        ago(1),
        Ok(dms_cockpit::app::Replicas {
            asked: vec![1_000_000_000, 1_000_006],
            found: vec![hb(1_000_000_000, 2, "SITEB"), hb(1_000_006, 12, "SITEA")],
        }),
    );
    let text = screen(&app, 80, 24);
    assert!(!text.contains("⇄ replicate\n"), "{text}");
    let right: String = line_with(&text, "1000006 12:00:18 SITEA ⇄ yes")
        .chars()
        .skip(40)
        .collect();
    assert!(right.contains("⇄ yes"), "{text}");
}

/// Issue 12: the table detail's validation failures section: counts per
/// failure type and the newest failing keys of that table only.
#[test]
fn table_detail_shows_the_tables_validation_failures() {
    use dms_cockpit::backend::validation::{ValidationFailure, ValidationSummary};
    let mut app = troubled_app();
    let mut found = ValidationSummary {
        table_exists: true,
        ..ValidationSummary::default()
    };
    found.counts.insert(
        "customer_orders.orders".into(),
        [
            ("MISSING_TARGET".to_string(), 1),
            ("RECORD_DIFF".to_string(), 2),
        ]
        .into(),
    );
    found.counts.insert(
        "customer_orders.customers".into(),
        [("RECORD_DIFF".to_string(), 5)].into(),
    );
    for (table, key) in [
        ("orders", "{\"order_id\": 2}"),
        ("customers", "{\"customer_id\": 9}"),
    ] {
        found.latest.push(ValidationFailure {
            schema: "customer_orders".into(),
            table: table.into(),
            at: ago(30),
            key_type: "Row".into(),
            key: key.into(),
            failure_type: "RECORD_DIFF".into(),
            details: "amount_cents differs".into(),
        });
    }
    app.validation.forward.set(ago(1), Ok(found));
    app.popup = Some(Popup::TableDetail(TableKey {
        role: TaskRole::Forward,
        schema: "customer_orders".into(),
        table: "orders".into(),
    }));
    let text = screen(&app, 100, 40);
    for expected in [
        "validation failures",
        "MISSING_TARGET 1",
        "RECORD_DIFF 2",
        "RECORD_DIFF Row {\"order_id\": 2}",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains("customer_id"), "another table's key: {text}");
    insta::assert_snapshot!(text);
}

/// The door badge says what the door check found, without colour alone:
/// `✓ door ok`, the first broken rule and how many more, or that the pair
/// could not be read.
#[test]
fn the_door_badge_names_the_first_broken_rule_and_counts_the_rest() {
    let mut app = sized(app_with_data(), 120, 30);
    app.door_wanted = true;
    assert!(screen(&app, 120, 30).contains("door …"));
    app.update(now(), Msg::Door(Ok(vec![])));
    let text = screen(&app, 120, 30);
    assert!(
        line_with(&text, "backends ok").contains("✓ door ok"),
        "{text}"
    );
    let broken: Vec<_> = ["batch-apply", "ddl-backward"]
        .into_iter()
        .flat_map(|rule| doctor::check(&doctor::lab::fixture(rule).unwrap()))
        .collect();
    assert_eq!(broken.len(), 2, "{broken:?}");
    app.update(now(), Msg::Door(Ok(broken.clone())));
    let text = screen(&app, 120, 30);
    let badge = format!("✖ door: {} +1", broken[0].rule);
    assert!(line_with(&text, "backends ok").contains(&badge), "{text}");
    assert!(
        text.contains(&format!("door check: ✖ {}", broken[0].task)),
        "each finding goes to the event log:\n{text}"
    );
    app.update(
        now(),
        Msg::Door(Err(dms_cockpit::backend::BackendError::Unavailable(
            "DescribeEndpoints: access denied".into(),
        ))),
    );
    let text = screen(&app, 120, 30);
    assert!(text.contains("? door unreadable"), "{text}");
}
