//! How long one full frame takes to draw, and whether it depends on how
//! many tables a task has. DMS tasks can carry thousands of tables; the
//! screen shows a few dozen at most, so drawing should cost about the same
//! for 10 tables as for 10,000. The ratio 10000/10 per screen size, printed
//! at the end, is the figure that says so (close to 1 = bounded by what is
//! visible); 10000/100 compares two screens that are equally full, so what
//! is left above 1 there is work done for tables nobody sees.
//!
//! The terminal is kept across iterations, as the runtime keeps it: each
//! iteration is `ui::draw` into a fresh frame plus ratatui's diff against
//! the previous one, written to a `TestBackend`.
//!
//! Run: `cargo bench --bench render -- --warm-up-time 1 --measurement-time 3`

mod support;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use dms_cockpit::ui::{self, Theme};
use support::ratios;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];
/// 10 leaves the statistics table part empty; 100 fills it at both sizes,
/// so 10000/100 isolates what the tables the screen does not show cost.
const TABLES: [usize; 3] = [10, 100, 10_000];

fn draw(c: &mut Criterion) {
    let theme = Theme::color();
    let mut group = c.benchmark_group("draw");
    for (w, h) in SIZES {
        for n in TABLES {
            let app = support::app(n, w, h);
            let mut terminal =
                Terminal::new(TestBackend::new(w, h)).expect("a TestBackend never fails");
            group.bench_with_input(BenchmarkId::new(format!("{w}x{h}"), n), &app, |b, app| {
                b.iter(|| {
                    terminal
                        .draw(|frame| ui::draw(frame, black_box(app), &theme))
                        .expect("a TestBackend never fails");
                })
            });
        }
    }
    group.finish();
}

fn main() {
    ratios::start();
    let mut c = Criterion::default().configure_from_args();
    draw(&mut c);
    c.final_summary();
    println!();
    for (w, h) in SIZES {
        ratios::print_ratio(
            &format!("draw {w}x{h}, 10000 tables / 10 tables"),
            &format!("draw/{w}x{h}/10000"),
            &format!("draw/{w}x{h}/10"),
        );
        ratios::print_ratio(
            &format!("draw {w}x{h}, 10000 tables / 100 tables (both fill the screen)"),
            &format!("draw/{w}x{h}/10000"),
            &format!("draw/{w}x{h}/100"),
        );
    }
}
