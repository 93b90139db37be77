//! What `App::update` costs per input, on the state of a long-running
//! cockpit (full event log, both tasks described):
//!
//! * a burst of 1,000 key presses through the same path the runtime takes
//!   (`keymap::action_for`, then `update`), on a task of 10 and of 5,000
//!   tables: navigation must not depend on the table count;
//! * storing a task snapshot (`Msg::Tables`, since issue 8 a call of its own) of 10 and of 5,000 tables, which
//!   replaces (and drops) the previous snapshot of the same size, and the
//!   same into an app with no snapshot yet, which tells storing (a move)
//!   from freeing the old one.
//!
//! Throughput is set to the number of inputs, so criterion prints inputs
//! per second next to the time per burst; the per-op cost and the
//! 5000/10 ratios are printed at the end.
//!
//! Run: `cargo bench --bench update -- --warm-up-time 1 --measurement-time 3`

mod support;

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};

use dms_cockpit::app::keymap::{Key, action_for};
use dms_cockpit::app::{App, Input, Msg};
use dms_cockpit::backend::TaskRole;
use support::ratios;

const TABLES: [usize; 2] = [10, 5_000];
const BURST: usize = 1_000;

/// A person working the keyboard: moving focus, scrolling every panel,
/// paging, switching tasks, opening and closing help. Every key here is a
/// pure state change (no backend command), so a burst can repeat it.
const KEYS: [Key; 16] = [
    Key::Char('j'),
    Key::Char('j'),
    Key::PageDown,
    Key::Char('k'),
    Key::Char('2'),
    Key::Char('G'),
    Key::Char('g'),
    Key::Char('1'),
    Key::Tab,
    Key::Down,
    Key::Up,
    Key::BackTab,
    Key::Char('?'),
    Key::Esc,
    Key::End,
    Key::Home,
];

fn burst() -> Vec<Key> {
    KEYS.iter().copied().cycle().take(BURST).collect()
}

fn keys(c: &mut Criterion) {
    let mut group = c.benchmark_group("update_keys");
    group.throughput(Throughput::Elements(BURST as u64));
    let keys = burst();
    for n in TABLES {
        let app = support::app(n, 80, 24);
        group.bench_with_input(BenchmarkId::new("burst_1000", n), &app, |b, app| {
            b.iter_batched(
                || app.clone(),
                |mut app: App| {
                    let now = support::now();
                    for key in &keys {
                        if let Some(action) = action_for(&app, *key) {
                            black_box(app.update(now, action));
                        }
                    }
                    app
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn task_snapshot(c: &mut Criterion) {
    let mut group = c.benchmark_group("update_task");
    group.throughput(Throughput::Elements(1));
    for n in TABLES {
        let app = support::app(n, 80, 24);
        let msg: Input = Msg::Tables(TaskRole::Forward, Ok(support::tables(n))).into();
        group.bench_with_input(BenchmarkId::new("store_snapshot", n), &n, |b, _| {
            b.iter_batched(
                || (app.clone(), msg.clone()),
                |(mut app, msg)| {
                    black_box(app.update(support::now(), msg));
                    // Returned, so dropping the app is not timed; dropping
                    // the snapshot it replaced is, as in the runtime.
                    app
                },
                BatchSize::LargeInput,
            )
        });
        // The same with no previous snapshot: what storing costs apart
        // from freeing the one it replaces.
        let mut empty = app.clone();
        empty.tasks[TaskRole::Forward].data = None;
        group.bench_with_input(BenchmarkId::new("store_first_snapshot", n), &n, |b, _| {
            b.iter_batched(
                || (empty.clone(), msg.clone()),
                |(mut app, msg)| {
                    black_box(app.update(support::now(), msg));
                    app
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn main() {
    ratios::start();
    let mut c = Criterion::default().configure_from_args();
    keys(&mut c);
    task_snapshot(&mut c);
    c.final_summary();
    println!();
    for n in TABLES {
        if let Some(ns) = ratios::median_ns(&format!("update_keys/burst_1000/{n}")) {
            println!(
                "key burst, {n} tables: {} per key ({} per burst of {BURST})",
                ratios::human(ns / BURST as f64),
                ratios::human(ns)
            );
        }
        if let Some(ns) = ratios::median_ns(&format!("update_task/store_snapshot/{n}")) {
            println!(
                "Msg::Tables, {n} tables: {} per snapshot replacing one",
                ratios::human(ns)
            );
        }
        if let Some(ns) = ratios::median_ns(&format!("update_task/store_first_snapshot/{n}")) {
            println!(
                "Msg::Tables, {n} tables: {} per first snapshot (nothing to free)",
                ratios::human(ns)
            );
        }
    }
    ratios::print_ratio(
        "key burst, 5000 tables / 10 tables",
        "update_keys/burst_1000/5000",
        "update_keys/burst_1000/10",
    );
    ratios::print_ratio(
        "Msg::Tables, 5000 tables / 10 tables",
        "update_task/store_snapshot/5000",
        "update_task/store_snapshot/10",
    );
    ratios::print_ratio(
        "Msg::Tables, 5000 tables, replacing a snapshot / storing the first",
        "update_task/store_snapshot/5000",
        "update_task/store_first_snapshot/5000",
    );
}
