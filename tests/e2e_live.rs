//! End to end on real peers: the real binary's TUI against moto (DMS,
//! DynamoDB) and two PostgreSQL databases, driven in tmux like a person
//! would — heartbeat, start and stop a task, flip a site, quit — and
//! checked both on the screen and in the peers themselves. A second run
//! shows that an unreachable database fails only its own panel.

#[path = "support/live.rs"]
mod live;
#[path = "support/tmux.rs"]
mod tmux;

use live::{Door, DoorOptions};
use tmux::{Tmux, reporting_exit};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 45;

/// Runs the cockpit, then reports its exit code and whether the terminal
/// is back in cooked mode, then waits to be read.
fn wrapped(door: &Door) -> String {
    reporting_exit(&door.shell_line(""))
}

/// The lines of a database panel: its left (a) or right (b) half, from the
/// panel's title line down to the appmap panel.
fn db_panel(screen: &str, side: char) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(top) = lines.iter().position(|l| l.contains(" db a · ")) else {
        return Vec::new();
    };
    let half = WIDTH as usize / 2;
    lines[top..]
        .iter()
        .take_while(|l| !l.contains(" appmap · "))
        .map(|l| {
            let chars: Vec<char> = l.chars().collect();
            let (from, to) = match side {
                'a' => (0, half.min(chars.len())),
                _ => (half.min(chars.len()), chars.len()),
            };
            chars[from..to].iter().collect()
        })
        .collect()
}

/// Whether database `side`'s panel shows a row with `id` written as `site`.
fn panel_has_row(screen: &str, side: char, id: i64, site: &str) -> bool {
    db_panel(screen, side)
        .iter()
        .any(|l| l.split_whitespace().any(|w| w == id.to_string()) && l.contains(site))
}

/// Whether the screen shows task `id` with `status` right after it (the
/// header names the tasks too, so the id alone proves nothing).
fn task_shows(screen: &str, id: &str, status: &str) -> bool {
    screen.match_indices(id).any(|(at, _)| {
        let after: String = screen[at + id.len()..].chars().take(12).collect();
        after.contains(status)
    })
}

/// The appmap panel's line for `site`.
fn appmap_line(screen: &str, site: &str) -> Option<String> {
    // Beside the event log on a wide screen, above it otherwise: the
    // panel's lines start with the site either way.
    let lines: Vec<&str> = screen.lines().collect();
    let top = lines.iter().position(|l| l.contains(" appmap · "))?;
    lines[top + 1..]
        .iter()
        .take(4)
        .find(|l| l.starts_with(&format!("{site} ")))
        .map(|l| l.to_string())
}

#[tokio::test]
#[ignore = "needs PostgreSQL and moto; run bash tests/run-all.sh"]
async fn heartbeat_start_stop_flip_and_quit_on_moto_and_postgres() {
    let door = Door::new().await;
    door.setup_all();
    let t = Tmux::start(&wrapped(&door), WIDTH, HEIGHT);
    t.wait_text("LIVE");
    // moto's quirk: a task stays `creating` until started (AWS: ready).
    t.wait_for("both tasks described by moto", |s| {
        task_shows(s, &door.forward, "creating") && task_shows(s, &door.backward, "creating")
    });

    // Heartbeat as SITEA: the appmap sends it to database a.
    t.keys(&["a"]);
    t.wait_text("as SITEA inserted into database a");
    let rows = door.heartbeats('a').await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (id, _) = rows[0];
    t.wait_for("the row in database a's panel", |s| {
        panel_has_row(s, 'a', id, "SITEA")
    });
    assert!(door.heartbeats('b').await.is_empty());

    // Start the forward task through moto.
    t.keys(&["1", "s"]);
    t.wait_text("start-replication accepted");
    t.wait_for("the forward task to run", |s| {
        task_shows(s, &door.forward, "running")
    });
    assert_eq!(door.task_status(&door.forward).await, "running");

    // Stop asks first; y stops.
    t.keys(&["x"]);
    t.wait_text("y / n");
    t.keys(&["y"]);
    t.wait_text("stop accepted");
    t.wait_for("the forward task to stop", |s| {
        task_shows(s, &door.forward, "stopped")
    });
    assert_eq!(door.task_status(&door.forward).await, "stopped");

    // Flip SITEB to database a.
    t.keys(&["f"]);
    t.wait_text("SITEB");
    t.keys(&["b"]);
    t.wait_text("y / n");
    t.keys(&["y"]);
    t.wait_text("SITEB now writes to database a");
    t.wait_for("the appmap panel to show SITEB -> db a", |s| {
        appmap_line(s, "SITEB").is_some_and(|l| l.contains("→ db a"))
    });
    let item = door
        .dynamo()
        .await
        .query()
        .table_name(&door.appmap_table)
        .key_condition_expression("site = :s")
        .expression_attribute_values(
            ":s",
            aws_sdk_dynamodb::types::AttributeValue::S("SITEB".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        item.items()[0]["dbname"].as_s().unwrap(),
        &door.a.dbname,
        "moto holds the flip"
    );

    t.keys(&["q"]);
    let screen = t.wait_text("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        screen.contains("TTY=cooked"),
        "terminal left in raw mode:\n{screen}"
    );
    let log = door.log_text();
    assert!(log.contains("cockpit closed"), "logs go to the file: {log}");
    // The log file holds the event log's lines: starts, stops and flips.
    for line in [
        "heartbeat as SITEA inserted into database a",
        "forward task: start-replication accepted",
        "forward task: stop accepted",
        "SITEB now writes to database a",
    ] {
        assert!(
            log.contains(line),
            "{line:?} missing from the log file:\n{log}"
        );
    }
    assert!(!log.contains(&door.password), "no password in the log");
}

#[tokio::test]
#[ignore = "needs PostgreSQL and moto; run bash tests/run-all.sh"]
async fn an_unreachable_database_fails_only_its_own_panel() {
    let closed = live::closed_port();
    let door = Door::with(DoorOptions {
        b_port: Some(closed),
    })
    .await;
    door.setup_all();
    let t = Tmux::start(&wrapped(&door), WIDTH, HEIGHT);
    t.wait_text("LIVE");
    let address = format!("127.0.0.1:{closed}");
    t.wait_for("database b's panel to show its error", |s| {
        db_panel(s, 'b').concat().contains("cannot connect")
            && db_panel(s, 'b').concat().contains(&address)
    });

    // Database a keeps refreshing: a row written behind the cockpit's back
    // shows up in its panel.
    let pool = door.pool('a').await;
    sqlx::query(
        "INSERT INTO customer_orders.heartbeat VALUES (424242, now() at time zone 'utc', 'SITEA')",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    t.wait_for("the row inserted directly into database a", |s| {
        panel_has_row(s, 'a', 424242, "SITEA")
    });
    // And the tasks and the appmap are there too.
    let screen = t.wait_for("tasks and appmap", |s| {
        s.contains(&door.forward) && appmap_line(s, "SITEB").is_some()
    });
    assert!(!db_panel(&screen, 'a').concat().contains("cannot connect"));

    // A heartbeat as SITEB fails in the event log; SITEA's still works.
    t.keys(&["b"]);
    // (The event log cuts long lines, so the address itself may not fit.)
    t.wait_text("heartbeat as SITEB failed: cannot connect to PostgreSQL");
    t.keys(&["a"]);
    t.wait_text("as SITEA inserted into database a");
    assert_eq!(door.heartbeats('a').await.len(), 2);

    t.keys(&["q"]);
    let screen = t.wait_text("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("TTY=cooked"), "{screen}");
}
