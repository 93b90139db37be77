//! End to end on real peers: the real binary's TUI against moto (DMS,
//! DynamoDB) and two PostgreSQL databases, driven in tmux like a person
//! would — heartbeat, start and stop a task, flip a site, quit — and
//! checked both on the screen and in the peers themselves. Further runs
//! show that an unreachable database fails only its own panel, that a
//! database going down while the cockpit runs shows at once (a TCP proxy
//! in front of it is killed), that a task whose DMS endpoint stops
//! answering is drawn stale, and that someone else's appmap change (made
//! with the AWS SDK) reaches the event log.

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
    let screen = t.wait_text("TTY="); // printed after EXIT=
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        screen.contains("TTY=cooked"),
        "terminal left in raw mode:\n{screen}"
    );
    let log = door.log_text();
    assert!(log.contains("cockpit closed"), "logs go to the file: {log}");
    // The log file holds the event log's lines: starts, stops and flips.
    for line in [
        "as SITEA inserted into database a",
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
    let screen = t.wait_text("TTY="); // printed after EXIT=
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("TTY=cooked"), "{screen}");
}

/// What the header's failure marker names (`✖ error: fwd tables, db b`),
/// empty when it says `✓ backends ok`.
fn header_errors(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains("│ data age"))
        .and_then(|l| l.split('│').next())
        .filter(|l| l.contains("✖ error:"))
        .unwrap_or_default()
        .to_string()
}

/// A TCP proxy in front of a peer, to make it go away and come back while
/// the cockpit runs: `kill` closes the listening port (new connections are
/// refused) and every open connection, as a stopped server would.
struct Proxy {
    port: u16,
    to: u16,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(to: u16) -> Proxy {
        Proxy::on(0, to).await
    }

    async fn on(port: u16, to: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let tasks = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let held = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let conn = tokio::spawn(async move {
                    if let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", to)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                held.lock().unwrap().push(conn);
            }
        });
        tasks.lock().unwrap().push(accept);
        Proxy { port, to, tasks }
    }

    /// The peer is gone: the port refuses and open connections drop.
    fn kill(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// The peer is back on the same port.
    async fn revive(&self) -> Proxy {
        Proxy::on(self.port, self.to).await
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.kill();
    }
}

fn moto_port() -> u16 {
    live::moto_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("DMSC_TEST_MOTO_URL ends in a port")
}

/// Database b stops while the cockpit runs: its panel says the connection
/// is refused (not "no answer" after the timeout) within a refresh or
/// two, the header names it, the event log says it went down, and
/// everything else keeps working; when it comes back, the log says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and moto; run bash tests/run-all.sh"]
async fn a_database_going_down_shows_at_once_and_the_rest_keeps_working() {
    let pg_port = live::pg_url()
        .rsplit(':')
        .next()
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .expect("DMSC_TEST_PG_URL names a port");
    let proxy = Proxy::start(pg_port).await;
    let door = Door::with(DoorOptions {
        b_port: Some(proxy.port),
    })
    .await;
    door.setup_all();
    // (setup_all skips database b when it is not the cluster's port.)
    door.ok(&["setup", "sql", "--database", "b", "--apply"]);
    let t = Tmux::start(&wrapped(&door), WIDTH, HEIGHT);
    t.wait_for("database b read through the proxy", |s| {
        db_panel(s, 'b').concat().contains("no heartbeat rows yet")
    });
    t.keys(&["b"]);
    t.wait_text("as SITEB inserted into database b");

    proxy.kill();
    let screen = t.wait_for("database b's panel to show the refused connection", |s| {
        db_panel(s, 'b').concat().contains("refused")
    });
    assert!(
        !db_panel(&screen, 'b').concat().contains("no answer within"),
        "a refused port is named as such, not as a timeout:\n{screen}"
    );
    let screen = t.wait_for("the header to name database b", |s| {
        header_errors(s).contains("db b")
    });
    assert!(
        screen.contains("is down"),
        "the event log says so:\n{screen}"
    );
    assert!(
        db_panel(&screen, 'b').concat().contains("⚠ stale"),
        "the old rows are drawn stale:\n{screen}"
    );
    // The rest keeps working.
    t.keys(&["a"]);
    t.wait_text("as SITEA inserted into database a");
    assert!(!db_panel(&t.screen(), 'a').concat().contains("refused"));

    let _back = proxy.revive().await;
    t.wait_text("is back");
    // (moto lacks table statistics, so the header keeps naming those.)
    t.wait_for("the header to stop naming database b", |s| {
        !header_errors(s).contains("db b")
    });
    t.keys(&["q"]);
    let screen = t.wait_text("TTY="); // printed after EXIT=
    assert!(screen.contains("EXIT=0"), "{screen}");
    let log = door.log_text();
    assert!(log.contains("is down"), "the log file has it too:\n{log}");
    assert!(log.contains("is back"), "{log}");
}

/// DMS stops answering while a task runs: the task is drawn stale, not a
/// green `● running`. Before that, an appmap item changed by someone else
/// with the AWS SDK shows in the event log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and moto; run bash tests/run-all.sh"]
async fn a_stale_task_and_someone_elses_appmap_change_show_while_running() {
    let dms = Proxy::start(moto_port()).await;
    let door = Door::new().await;
    door.setup_all();
    let line = format!(
        "AWS_ENDPOINT_URL_DATABASE_MIGRATION_SERVICE=http://127.0.0.1:{} {}",
        dms.port,
        door.shell_line("")
    );
    let t = Tmux::start(&reporting_exit(&line), WIDTH, HEIGHT);
    t.wait_for("both tasks described through the proxy", |s| {
        task_shows(s, &door.forward, "creating") && task_shows(s, &door.backward, "creating")
    });

    // Someone else points SITEA at database b, with the AWS SDK.
    t.wait_for("the appmap", |s| appmap_line(s, "SITEA").is_some());
    let item = |k: &str, v: &str| {
        (
            k.to_string(),
            aws_sdk_dynamodb::types::AttributeValue::S(v.into()),
        )
    };
    door.dynamo()
        .await
        .put_item()
        .table_name(&door.appmap_table)
        .set_item(Some(
            [
                item("site", "SITEA"),
                item("dbengine", "postgresql"),
                item("endpoint", &door.host),
                item("port", &door.b.port.to_string()),
                item("dbname", &door.b.dbname),
                item("username", "postgres"),
            ]
            .into_iter()
            .collect(),
        ))
        .send()
        .await
        .expect("put SITEA's item in moto");
    t.wait_text("SITEA's appmap item was changed by someone else");
    t.wait_for("the appmap panel to show SITEA -> db b", |s| {
        appmap_line(s, "SITEA").is_some_and(|l| l.contains("→ db b"))
    });

    // The forward task runs; then DMS becomes unreachable.
    t.keys(&["1", "s"]);
    t.wait_for("the forward task to run", |s| {
        task_shows(s, &door.forward, "● running")
    });
    dms.kill();
    let screen = t.wait_for("the forward task drawn stale", |s| {
        task_shows(s, &door.forward, "⚠ stale")
    });
    assert!(
        !task_shows(&screen, &door.forward, "● running"),
        "no longer drawn as running:\n{screen}"
    );
    assert!(screen.contains("was running"), "{screen}");
    assert!(header_errors(&screen).contains("fwd"), "{screen}");

    t.keys(&["q"]);
    let screen = t.wait_text("TTY="); // printed after EXIT=
    assert!(screen.contains("EXIT=0"), "{screen}");
    let log = door.log_text();
    assert!(log.contains("changed by someone else"), "{log}");
}
