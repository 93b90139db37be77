//! The prompts drawn over the panels: which site to flip, and the y/n
//! confirmations. Each says exactly what will happen, naming the task or
//! the site and both databases, because these are the doors that close.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::{Theme, wrap};
use crate::app::{App, Pending, Popup, checklist, reload};
use crate::backend::{ReloadOption, Site, TaskRole, routing};
use crate::format;

/// Widest a popup gets, so its lines stay easy to read on a big screen.
const MAX_WIDTH: u16 = 76;

/// A paragraph of a popup: wrapped to the popup's width, in one style.
pub(super) struct Para {
    pub text: String,
    pub style: Style,
}

pub(super) fn para(text: impl Into<String>, style: Style) -> Para {
    Para {
        text: text.into(),
        style,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, popup: &Popup, theme: &Theme) {
    let (title, paras) = match popup {
        Popup::Help | Popup::Filter | Popup::TableDetail(_) | Popup::Logs => return,
        Popup::ChooseFlipSite => ("flip a site", choose_site(app, theme)),
        Popup::Confirm(pending) => ("confirm", confirm(app, pending, theme)),
        Popup::Detail { title, text } => {
            let mut paras = Vec::new();
            for (i, part) in text.split("\n\n").enumerate() {
                if i > 0 {
                    paras.push(para("", Style::default()));
                }
                paras.push(para(part, Style::default()));
            }
            paras.push(para("", Style::default()));
            paras.push(para("Esc, Enter or e closes", theme.dim));
            (title.as_str(), paras)
        }
    };
    show(frame, area, title, paras, theme);
}

/// Draws `paras` in a double-bordered box centred on `area`, clearing what
/// is underneath.
pub(super) fn show(frame: &mut Frame, area: Rect, title: &str, paras: Vec<Para>, theme: &Theme) {
    let width = area.width.saturating_sub(4).min(MAX_WIDTH);
    let inner_width = usize::from(width.saturating_sub(4));
    let mut lines = Vec::new();
    let mut footer = 0;
    for p in paras {
        if p.text.is_empty() {
            lines.push(Line::raw(""));
            footer = 1;
            continue;
        }
        // `y / n` is glued with no-break spaces so it never splits.
        let glued = p.text.replace(" y / n", "\u{a0}y\u{a0}/\u{a0}n");
        footer = 0;
        for l in wrap(&glued, inner_width, usize::MAX) {
            lines.push(Line::styled(l.replace('\u{a0}', " "), p.style));
            footer += 1;
        }
    }
    // Too tall for the screen: the last paragraph (which keys answer) is
    // kept, and the cut is marked above it.
    let room = usize::from(area.height.saturating_sub(2));
    if lines.len() > room && room > footer {
        let tail = lines.split_off(lines.len() - footer);
        lines.truncate(room - footer - 1);
        lines.push(Line::styled(
            "… (a taller terminal shows the rest)",
            theme.dim,
        ));
        lines.extend(tail);
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.focus_border)
        .title(Line::styled(format!(" {title} "), theme.title))
        .padding(ratatui::widgets::Padding::horizontal(1));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

/// A `width` x `height` rectangle in the middle of `area`.
pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn choose_site(app: &App, theme: &Theme) -> Vec<Para> {
    let mut paras = vec![
        para(
            "Flip which site? a = SITEA, b = SITEB, Esc cancels",
            theme.title,
        ),
        para("", Style::default()),
    ];
    for site in Site::ALL {
        let key = match site {
            Site::A => "a",
            Site::B => "b",
        };
        let now = match &app.appmap.data {
            None => "the appmap has not been read yet".to_string(),
            Some(items) => match routing::item_for(items, site) {
                Err(e) => format!("⚠ {e}"),
                Ok(item) => match app.database_of(item) {
                    Some(db) => format!(
                        "now writes to {} → would move to {}",
                        format::db_long(&app.databases[db]),
                        format::db_label(db.other())
                    ),
                    None => format!(
                        "⚠ points at {}, neither configured database",
                        item.describe()
                    ),
                },
            },
        };
        paras.push(para(format!("{key} = {site}: {now}"), Style::default()));
    }
    paras
}

fn task_name(app: &App, role: TaskRole) -> String {
    match &app.tasks[role].data {
        Some(task) => format!("the {role} task {}", task.id),
        None => format!("the {role} task"),
    }
}

/// The task's status as it is now: the prompt follows the task, and says
/// so when it can no longer be stopped.
fn stop_now(app: &App, role: TaskRole, theme: &Theme) -> Para {
    let panel = &app.tasks[role];
    match panel.data.as_ref() {
        Some(task) => match crate::app::guard::check_stop(task) {
            Ok(()) if panel.is_stale() => para(
                format!(
                    "⚠ It was {} when last read, but that read is stale (the last one failed).",
                    task.status
                ),
                theme.warn,
            ),
            Ok(()) => para(format!("It is {} now.", task.status), Style::default()),
            Err(e) => para(
                format!("⚠ Changed since this prompt opened: {e}."),
                theme.warn,
            ),
        },
        None => para("Its status is not known.", theme.warn),
    }
}

fn confirm(app: &App, pending: &Pending, theme: &Theme) -> Vec<Para> {
    let blank = || para("", Style::default());
    let mut paras = match pending {
        Pending::Stop(role) => vec![
            para(
                format!("Stop {}? y / n", task_name(app, *role)),
                theme.title,
            ),
            blank(),
            stop_now(app, *role, theme),
            para(
                format!(
                    "Replication from {} to {} pauses until the task is resumed (s).",
                    format::db_long(&app.databases[role.source()]),
                    format::db_long(&app.databases[role.target()]),
                ),
                Style::default(),
            ),
        ],
        Pending::Reload(role) => vec![
            para(
                format!("Reload the target of {}?", task_name(app, *role)),
                theme.title,
            ),
            blank(),
            para(
                format!(
                    "⚠ reload-target reloads the target tables: every table of the task in {} is loaded again from {}, replacing what is there.",
                    format::db_long(&app.databases[role.target()]),
                    format::db_long(&app.databases[role.source()]),
                ),
                theme.warn,
            ),
        ],
        Pending::Start(role, request) => vec![
            para(
                format!(
                    "Start {} ({})? y / n",
                    task_name(app, *role),
                    request.start_type
                ),
                theme.title,
            ),
            blank(),
            para(
                format!(
                    "⚠ its full load prepares the target tables in {} before loading them from {}.",
                    format::db_long(&app.databases[role.target()]),
                    format::db_long(&app.databases[role.source()]),
                ),
                theme.warn,
            ),
        ],
        Pending::ReloadTables {
            role,
            tables,
            option,
            typed,
        } => {
            let task_id = app.tasks[*role]
                .data
                .as_ref()
                .map_or_else(|| format!("({role})"), |t| t.id.clone());
            let mut paras: Vec<Para> = reload::reload_question(
                *role,
                &task_id,
                tables,
                *option,
                &app.databases[role.source()],
                &app.databases[role.target()],
            )
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                let style = match (i, option) {
                    (0, _) => theme.title,
                    (_, ReloadOption::DataReload) => theme.warn,
                    _ => Style::default(),
                };
                para(text, style)
            })
            .collect();
            paras.push(blank());
            match option {
                ReloadOption::DataReload => {
                    let name = reload::name_to_type(&task_id, tables);
                    let what = if tables.len() == 1 {
                        format!("Type {name}")
                    } else {
                        format!("Type the task identifier {name}")
                    };
                    paras.push(para(
                        format!("{what} and press Enter to reload · Esc cancels"),
                        theme.key,
                    ));
                    let mark = if typed.is_empty() || typed.trim() == name {
                        ""
                    } else if name.starts_with(typed.as_str()) {
                        "  …"
                    } else {
                        "  ✖ does not match"
                    };
                    paras.push(para(format!("> {typed}▏{mark}"), theme.title));
                }
                // Its key line follows the checklist, as for every prompt.
                ReloadOption::ValidateOnly => {}
            }
            paras
        }
        Pending::Flip {
            site,
            seen,
            to,
            changed_from,
        } => {
            let from = match app.database_of(seen) {
                Some(db) => format::db_long(&app.databases[db]),
                None => seen.describe(),
            };
            let mut paras = vec![para(
                format!(
                    "Flip {site} from {from} to {}? y / n",
                    format::db_long(&app.databases[*to])
                ),
                theme.title,
            )];
            if let Some(before) = changed_from {
                paras.push(blank());
                paras.push(para(
                    format!(
                        "⚠ {site}'s item changed since this prompt opened: it read {}, it now reads {}. y flips from what it reads now.",
                        before.describe(),
                        seen.describe()
                    ),
                    theme.warn,
                ));
            }
            paras.push(blank());
            paras.push(para(
                format!(
                    "{} The flip only happens if the appmap item still reads as shown; a change by someone else in the meantime is refused, not overwritten.",
                    appmap_age(app)
                ),
                Style::default(),
            ));
            paras
        }
    };
    let list = checklist::for_pending(app, pending);
    paras.push(blank());
    paras.push(para("Checklist (live):", theme.title));
    for item in &list.items {
        let style = match item.passed {
            Some(true) => theme.ok,
            Some(false) => theme.error,
            None => Style::default(),
        };
        paras.push(para(item.line(), style));
    }
    paras.push(blank());
    let confirm_key = match pending {
        Pending::Reload(role) => {
            let id = app.tasks[*role]
                .data
                .as_ref()
                .map_or("(unknown)".to_string(), |t| t.id.clone());
            paras.push(para(
                format!(
                    "Type the task identifier {id} and press Enter: > {}_",
                    app.confirm_input.typed
                ),
                theme.key,
            ));
            "Enter"
        }
        Pending::ReloadTables {
            option: ReloadOption::DataReload,
            ..
        } => "Enter",
        _ => "y",
    };
    let failed = list.failed().len();
    if failed == 0 {
        paras.push(para(
            format!("{confirm_key} = yes, go ahead · Esc = cancel"),
            theme.key,
        ));
    } else if app.confirm_input.overridden {
        paras.push(para(
            format!(
                "⚠ OVERRIDE ARMED: {confirm_key} goes ahead despite {failed} failed check(s) · Esc = cancel"
            ),
            theme.error,
        ));
    } else {
        paras.push(para(
            format!(
                "✖ {failed} check(s) failed: {confirm_key} is refused. ! = override them (then {confirm_key}) · Esc = cancel"
            ),
            theme.error,
        ));
    }
    paras
}

/// How old the appmap shown is, and what a flip does about it.
fn appmap_age(app: &App) -> String {
    let every = format::duration_short(
        chrono::Duration::from_std(app.settings.refresh_every).unwrap_or_default(),
    );
    let read = match (app.appmap.fetched_at, app.appmap.is_stale()) {
        (Some(at), false) => format!("The appmap was read {}", format::age(app.now, at)),
        (Some(at), true) => format!(
            "⚠ The appmap shown is stale: read {}, and its last read failed",
            format::age(app.now, at)
        ),
        (None, _) => "The appmap has not been read".to_string(),
    };
    format!(
        "{read}; a flip on data older than {every} re-reads the item first and asks again if it changed."
    )
}
