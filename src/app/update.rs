//! `App::update`: the one place state changes. Pure: it returns the
//! commands to run instead of running them.

use chrono::{DateTime, Utc};

use super::outcome;
use super::state::{App, Busy, Focus, LogLevel, PAGE, Pending, Popup};
use super::{Action, Command, Input, Msg};
use super::{checklist, guard};
use crate::backend::ops::{Mutation, Reread};
use crate::backend::validation::FailuresOf;
use crate::backend::{BackendError, DbSide, StartType, TaskRole};

/// How often DMS's CloudWatch latency is read (its metrics have one point a
/// minute); `r` reads it at once.
pub const LATENCY_EVERY_S: i64 = 30;

impl App {
    /// Handles one input at time `now` and returns what to run. Marks the
    /// screen for a redraw unless the input was a clock tick (the refresh
    /// or the lag meter's) that changed no age shown.
    pub fn update(&mut self, now: DateTime<Utc>, input: impl Into<Input>) -> Vec<Command> {
        let input = input.into();
        let tick = matches!(&input, Input::Msg(m) if matches!(**m, Msg::Tick | Msg::LagTick));
        let clock_before = tick.then(|| self.clock_view());
        let logged = self.log_pushed;
        self.now = now;
        let commands = match input {
            Input::Action(action) => self.on_action(action),
            Input::Msg(msg) => self.on_msg(*msg),
        };
        self.index_tables();
        // A tick may also log (the lag meter reports a direction that
        // stopped replicating): a new log entry is drawn too.
        self.dirty |= match clock_before {
            Some(before) => before != self.clock_view() || self.log_pushed != logged,
            None => true,
        };
        commands
    }

    /// Fetches for every panel that has no poll in flight, marking them so
    /// a slow backend never gets a pile of identical requests.
    pub fn poll_all(&mut self) -> Vec<Command> {
        let mut commands = Vec::new();
        for role in TaskRole::ALL {
            commands.extend(self.refresh_task(role));
        }
        for db in DbSide::ALL {
            if !self.heartbeats[db].loading {
                self.heartbeats[db].loading = true;
                commands.push(Command::FetchHeartbeats(db));
            }
        }
        if !self.appmap.loading && self.backoff.dynamo.ready(self.now) {
            self.appmap.loading = true;
            commands.push(Command::FetchAppMap);
        }
        if self.settings.cdc_latency {
            // CloudWatch keeps one point a minute: asking on every refresh
            // costs requests (and idle CPU) and shows nothing new.
            let force = std::mem::take(&mut self.latency_forced);
            for role in TaskRole::ALL {
                let panel = &self.latency[role];
                let last = panel.fetched_at.max(panel.error_at);
                let due = force
                    || last.is_none_or(|at| {
                        self.now - at >= chrono::Duration::seconds(LATENCY_EVERY_S)
                    });
                if !panel.loading && due {
                    self.latency[role].loading = true;
                    commands.push(Command::FetchLatency(role));
                }
            }
        }
        // Who the credentials belong to does not change while the cockpit
        // runs: read until known (`r` reads it again).
        if self.identity_wanted && self.identity.data.is_none() && !self.identity.loading {
            self.identity.loading = true;
            commands.push(Command::FetchIdentity);
        }
        if self.door_wanted && self.door.data.is_none() && !self.door.loading {
            self.door.loading = true;
            commands.push(Command::FetchDoor);
        }
        commands
    }

    fn on_action(&mut self, action: Action) -> Vec<Command> {
        if action == Action::Copy {
            return self.copy_selected();
        }
        if let Some(commands) = self.on_logs_action(action) {
            return commands;
        }
        if let Some(commands) = self.on_table_action(action) {
            return commands;
        }
        match action {
            Action::Quit => {
                self.should_quit = true;
                return vec![];
            }
            Action::Resize(w, h) => {
                self.size = (w, h);
                return vec![];
            }
            Action::ToggleHelp => {
                self.popup = match self.popup {
                    Some(Popup::Help) => None,
                    _ => Some(Popup::Help),
                };
                return vec![];
            }
            Action::Cancel => {
                if let Some(Popup::Confirm(_) | Popup::ChooseFlipSite) = &self.popup {
                    self.log_info("cancelled");
                }
                self.popup = None;
                self.confirm_input = Default::default();
                return vec![];
            }
            Action::Refresh => {
                self.log_info("refresh requested");
                // `r` is also how the operator asks again for statistics
                // the endpoint said it does not implement.
                self.tables_unsupported = Default::default();
                self.identity.data = None;
                self.door.data = None;
                self.latency_forced = true;
                return self.poll_all();
            }
            Action::ToggleLag if self.popup.is_none() => return self.toggle_lag(),
            _ => {}
        }
        if self.popup.is_some() {
            return match action {
                Action::Confirm => self.confirm(),
                Action::Override => {
                    self.override_checks();
                    vec![]
                }
                Action::Type(c) => {
                    self.confirm_input.typed.push(c);
                    vec![]
                }
                Action::Backspace => {
                    self.confirm_input.typed.pop();
                    vec![]
                }
                Action::FlipChoose(site) => self.flip_chosen(site),
                _ => vec![],
            };
        }
        match action {
            Action::FocusNext => self.move_focus(1),
            Action::FocusPrev => self.move_focus(Focus::ORDER.len() - 1),
            Action::ScrollDown => self.scroll_by(1),
            Action::ScrollUp => self.scroll_by(-1),
            Action::PageDown => self.scroll_by(PAGE as isize),
            Action::PageUp => self.scroll_by(-(PAGE as isize)),
            Action::ScrollTop => self.scroll_by(isize::MIN),
            Action::ScrollBottom => self.scroll_by(isize::MAX),
            Action::SelectTask(role) => self.selected = role,
            Action::OpenDetail => self.open_detail(),
            _ if self.too_small() => {
                self.log_error(format!(
                    "window too small for actions: enlarge it to at least {}x{}",
                    super::state::MIN_WIDTH,
                    super::state::MIN_HEIGHT
                ));
            }
            Action::StartSelected => return self.start_asked(self.selected),
            Action::StopSelected if self.busy.contains(&Busy::Stop(self.selected)) => {
                self.log_in_flight(Busy::Stop(self.selected))
            }
            Action::StopSelected => {
                return self.ask(Pending::Stop(self.selected), |app, role| {
                    let task = app.tasks[role].data.as_ref();
                    match task {
                        Some(t) => guard::check_stop(t),
                        None => Err(unknown_task(role)),
                    }
                });
            }
            Action::ReloadSelected => {
                return self.ask(Pending::Reload(self.selected), |app, role| {
                    match app.tasks[role].data.as_ref() {
                        Some(t) => guard::start_type(t, Some(StartType::ReloadTarget)).map(|_| ()),
                        None => Err(unknown_task(role)),
                    }
                });
            }
            Action::Heartbeat(site) => {
                if let Err(e) = guard::check_writable(&self.mode, "insert a heartbeat") {
                    return self.refuse(format!("heartbeat as {site}"), e);
                } else if self.busy.insert(Busy::Heartbeat(site)) {
                    self.log_info(format!("inserting a heartbeat as {site}"));
                    return vec![Command::InsertHeartbeat(site)];
                } else {
                    // One at a time per site, but every press counts: it
                    // is sent when the one before it has ended.
                    let waiting = self.queued.entry(site).or_default();
                    *waiting += 1;
                    let waiting = *waiting;
                    self.log_info(format!(
                        "heartbeat as {site} queued ({waiting} waiting for the one in flight)"
                    ));
                }
            }
            Action::FlipPrompt => match guard::check_writable(&self.mode, "flip a site") {
                Err(e) => return self.refuse("flip a site", e),
                Ok(()) => self.popup = Some(Popup::ChooseFlipSite),
            },
            _ => {}
        }
        vec![]
    }

    /// Opens a confirmation for a task action, or logs (and audits) why
    /// it cannot be.
    fn ask(
        &mut self,
        pending: Pending,
        check: impl Fn(&App, TaskRole) -> Result<(), String>,
    ) -> Vec<Command> {
        let role = self.selected;
        let checked =
            guard::check_writable(&self.mode, "change a task").and_then(|_| check(self, role));
        match checked {
            Ok(()) => {
                self.open_confirm(pending);
                vec![]
            }
            Err(e) => {
                let request = checklist::for_pending(self, &pending).action;
                self.refuse(request, e)
            }
        }
    }

    /// A mutating request refused before it was asked: logged and audited.
    fn refuse(&mut self, request: impl Into<String>, why: String) -> Vec<Command> {
        let audit = self.audit_refused(request, None, &why);
        self.log_error(why);
        vec![audit]
    }

    fn open_confirm(&mut self, pending: Pending) {
        self.confirm_input = Default::default();
        self.popup = Some(Popup::Confirm(pending));
    }

    /// `s`: a start that empties the target tables (a full-load task's
    /// first start) asks first, with its checklist; any other starts now.
    fn start_asked(&mut self, role: TaskRole) -> Vec<Command> {
        let configured = self.settings.backward_cdc_start_time;
        let decided = guard::check_writable(&self.mode, "start a task").and_then(|_| {
            match self.tasks[role].data.as_ref() {
                Some(task) => guard::start_request(task, None, configured, None)
                    .map(|r| (checklist::empties_target(task, r.start_type), r)),
                None => Err(unknown_task(role)),
            }
        });
        match decided {
            Err(e) => self.refuse(format!("start the {role} task"), e),
            Ok((true, request)) => {
                self.open_confirm(Pending::Start(role, request));
                vec![]
            }
            Ok((false, _)) => self.start(role, None),
        }
    }

    /// `!`: lets the open confirmation go ahead despite failed checks.
    fn override_checks(&mut self) {
        let Some(Popup::Confirm(pending)) = &self.popup else {
            return;
        };
        let list = checklist::for_pending(self, pending);
        if list.passed() {
            self.log_info("nothing to override: every check passed");
            return;
        }
        self.confirm_input.overridden = true;
        let failed: Vec<String> = list.failed().iter().map(|i| i.text.clone()).collect();
        self.log_error(format!(
            "override armed for {}: {}; confirm to go ahead anyway",
            list.action,
            failed.join("; ")
        ));
    }

    fn start(&mut self, role: TaskRole, requested: Option<StartType>) -> Vec<Command> {
        let configured = self.settings.backward_cdc_start_time;
        let decided = guard::check_writable(&self.mode, "start a task").and_then(|_| {
            match self.tasks[role].data.as_ref() {
                Some(task) => guard::start_request(task, requested, configured, None),
                None => Err(unknown_task(role)),
            }
        });
        match decided {
            Err(e) => return self.refuse(format!("start the {role} task"), e),
            Ok(request) => {
                if !self.busy.contains(&Busy::Start(role)) {
                    let list = checklist::start(self, role, request.start_type);
                    self.audit_sent(Busy::Start(role), list, false);
                }
                if self.busy.insert(Busy::Start(role)) {
                    self.log_info(format!("{role} task: {}", request.start_type));
                    return vec![Command::StartTask(role, request)];
                }
                self.log_in_flight(Busy::Start(role));
            }
        }
        vec![]
    }

    fn flip_chosen(&mut self, site: crate::backend::Site) -> Vec<Command> {
        self.popup = None;
        if self.busy.contains(&Busy::Flip(site)) {
            self.log_in_flight(Busy::Flip(site));
            return vec![];
        }
        let items = self.appmap.data.clone().unwrap_or_default();
        if self.appmap.data.is_none() {
            self.log_error("the appmap has not been read yet: wait for it, then flip");
            return vec![];
        }
        match crate::backend::routing::flip_target(&items, site, &self.databases) {
            Ok((seen, to)) => self.open_confirm(Pending::Flip {
                site,
                seen,
                to,
                changed_from: None,
            }),
            Err(e) => self.log_error(e),
        }
        vec![]
    }

    /// An open flip prompt follows the appmap: it shows the site's current
    /// item, and remembers what it read when it opened if that changed.
    /// An item that now names neither database closes the prompt.
    fn follow_flip_prompt(&mut self) {
        let Some(Popup::Confirm(Pending::Flip {
            site,
            seen,
            changed_from,
            ..
        })) = &self.popup
        else {
            return;
        };
        let (site, seen, first) = (*site, seen.clone(), changed_from.clone());
        let Some(items) = &self.appmap.data else {
            return;
        };
        match crate::backend::routing::flip_target(items, site, &self.databases) {
            Ok((current, _)) if current == seen => {}
            Ok((current, to)) => {
                self.log_info(format!(
                    "{site}'s appmap item changed while the flip prompt was open: it now reads {}",
                    current.describe()
                ));
                let first = first.unwrap_or_else(|| Box::new(seen));
                self.popup = Some(Popup::Confirm(Pending::Flip {
                    site,
                    changed_from: (*first != current).then_some(first),
                    seen: current,
                    to,
                }));
            }
            Err(e) => {
                self.popup = None;
                self.log_error(format!("flip prompt closed: {e}"));
            }
        }
    }

    /// Stores an appmap read, logging what changed since the last one.
    fn store_appmap(
        &mut self,
        result: Result<Vec<crate::backend::AppMapItem>, crate::backend::BackendError>,
    ) {
        let result = self.note_throttling(Backend::Dynamo, result);
        let error = result.as_ref().err().cloned();
        let before = std::mem::take(&mut self.appmap);
        self.observe_health("the appmap (DynamoDB)", &before, error.as_deref());
        if let Ok(items) = &result {
            self.observe_appmap(before.data.as_deref(), items);
        }
        self.appmap = before;
        self.appmap.set(self.now, result);
    }

    /// Feeds an AWS read's result to `backend`'s backoff: a throttled
    /// answer pushes the next poll back, any other answer resets it.
    /// Returns the result as the panel stores it: a throttled one says
    /// when the next poll goes.
    fn note_throttling<T>(
        &mut self,
        backend: Backend,
        result: Result<T, BackendError>,
    ) -> Result<T, String> {
        let backoff = match backend {
            Backend::Dms => &mut self.backoff.dms,
            Backend::Dynamo => &mut self.backoff.dynamo,
        };
        match result {
            Err(e @ BackendError::Throttled(_)) => {
                let delay = backoff.throttled(self.now, self.settings.refresh_every);
                Err(format!(
                    "{e}; next try in {}",
                    humantime::format_duration(delay)
                ))
            }
            other => {
                backoff.reset();
                other.map_err(|e| e.to_string())
            }
        }
    }

    /// Sends a confirmed flip, or re-reads the appmap first when what was
    /// confirmed is older than one refresh interval (or its last read
    /// failed): a flip is only as good as the item it was confirmed on.
    fn flip_confirmed(
        &mut self,
        site: crate::backend::Site,
        seen: crate::backend::AppMapItem,
        to: DbSide,
    ) -> Vec<Command> {
        if !self.busy.insert(Busy::Flip(site)) {
            self.log_in_flight(Busy::Flip(site));
            return vec![];
        }
        if self.appmap.is_fresh(self.now, self.settings.refresh_every) {
            self.log_info(format!("flipping {site} to database {to}"));
            return vec![Command::Flip(site, seen)];
        }
        let age = self
            .appmap
            .fetched_at
            .map(|at| format!("{} old", crate::format::duration_short(self.now - at)))
            .unwrap_or_else(|| "not fresh".into());
        self.log_info(format!(
            "the appmap shown is {age}: re-reading {site}'s item before flipping"
        ));
        self.flip_reread = Some((site, seen, to));
        vec![Command::RereadForFlip(site)]
    }

    /// The re-read before a flip: goes ahead if the item still reads as
    /// confirmed, otherwise shows the new item and asks again.
    fn on_flip_reread(
        &mut self,
        site: crate::backend::Site,
        result: Result<Vec<crate::backend::AppMapItem>, crate::backend::BackendError>,
    ) -> Vec<Command> {
        let Some((_, seen, to)) = self.flip_reread.take().filter(|(s, _, _)| *s == site) else {
            return vec![];
        };
        let items = match result {
            Ok(items) => items,
            Err(e) => {
                self.busy.remove(&Busy::Flip(site));
                let text = format!(
                    "flip of {site} not sent: the appmap could not be re-read ({e}); nothing changed"
                );
                self.store_appmap(Err(e));
                let audit = self.audit_not_sent(Busy::Flip(site), &text);
                self.log_error(text);
                return audit.into_iter().collect();
            }
        };
        // Busy until the re-read is judged: a change found here is logged
        // as someone else's only once, below.
        self.busy.remove(&Busy::Flip(site));
        self.store_appmap(Ok(items.clone()));
        self.busy.insert(Busy::Flip(site));
        match crate::backend::routing::flip_target(&items, site, &self.databases) {
            Ok((current, _)) if current == seen => {
                self.log_info(format!("flipping {site} to database {to}"));
                vec![Command::Flip(site, seen)]
            }
            Ok((current, to)) => {
                self.busy.remove(&Busy::Flip(site));
                let text = format!(
                    "flip of {site} not sent: its item changed since you confirmed; it now reads {}: asking again",
                    current.describe()
                );
                let audit = self.audit_not_sent(Busy::Flip(site), &text);
                self.log_error(text);
                // A new question: its checklist and override start afresh.
                self.open_confirm(Pending::Flip {
                    site,
                    seen: current,
                    to,
                    changed_from: Some(Box::new(seen)),
                });
                audit.into_iter().collect()
            }
            Err(e) => {
                self.busy.remove(&Busy::Flip(site));
                let text = format!("flip of {site} not sent: {e}");
                let audit = self.audit_not_sent(Busy::Flip(site), &text);
                self.log_error(text);
                audit.into_iter().collect()
            }
        }
    }

    fn confirm(&mut self) -> Vec<Command> {
        let Some(Popup::Confirm(pending)) = self.popup.clone() else {
            return vec![];
        };
        // The checklist is computed again now, from live state: what the
        // popup showed a moment ago may have changed.
        let list = checklist::for_pending(self, &pending);
        if !list.passed() && !self.confirm_input.overridden {
            let failed: Vec<String> = list.failed().iter().map(|i| i.text.clone()).collect();
            let why = format!(
                "refused to {}: {} check(s) failed: {}. Press ! to override, then confirm; Esc cancels",
                list.action,
                failed.len(),
                failed.join("; ")
            );
            let audit = self.audit_refused(list.action.clone(), Some(list), &why);
            self.log_error(why);
            return vec![audit];
        }
        if let Pending::Reload(role) = &pending {
            let id = self.tasks[*role].data.as_ref().map(|t| t.id.clone());
            if id.as_deref() != Some(self.confirm_input.typed.as_str()) {
                self.log_error(format!(
                    "reload not confirmed: type the task identifier {} exactly, then Enter (typed `{}`)",
                    id.as_deref().unwrap_or("(unknown)"),
                    self.confirm_input.typed
                ));
                return vec![];
            }
        }
        // The prompt follows the task: one that stopped meanwhile is not
        // stopped again.
        if let Pending::Stop(role) = &pending
            && let Some(Err(e)) = self.tasks[*role].data.as_ref().map(guard::check_stop)
        {
            let why = format!("stop not sent: {e}");
            let audit = self.audit_refused(list.action.clone(), Some(list), &why);
            self.popup = None;
            self.confirm_input = Default::default();
            self.log_error(why);
            return vec![audit];
        }
        self.popup = None;
        let overridden = self.confirm_input.overridden;
        self.confirm_input = Default::default();
        let busy = match &pending {
            Pending::Stop(role) => Busy::Stop(*role),
            Pending::Reload(role) | Pending::Start(role, _) => Busy::Start(*role),
            Pending::Flip { site, .. } => Busy::Flip(*site),
            Pending::ReloadTables { role, .. } => Busy::ReloadTables(*role),
        };
        if !self.busy.contains(&busy) {
            self.audit_sent(busy, list, overridden);
        }
        match pending {
            Pending::Stop(role) => {
                if self.busy.insert(Busy::Stop(role)) {
                    self.log_info(format!("stopping the {role} task"));
                    return vec![Command::StopTask(role)];
                }
                self.log_in_flight(Busy::Stop(role));
            }
            Pending::Reload(role) => return self.start(role, Some(StartType::ReloadTarget)),
            Pending::Start(role, request) => {
                if self.busy.insert(Busy::Start(role)) {
                    self.log_info(format!("{role} task: {}", request.start_type));
                    return vec![Command::StartTask(role, request)];
                }
                self.log_in_flight(Busy::Start(role));
            }
            Pending::ReloadTables {
                role,
                tables,
                option,
                typed,
            } => return self.confirm_reload(role, tables, option, typed),
            Pending::Flip { site, seen, to, .. } => return self.flip_confirmed(site, seen, to),
        }
        vec![]
    }

    fn on_msg(&mut self, msg: Msg) -> Vec<Command> {
        let now = self.now;
        match msg {
            Msg::Tick => {
                let mut commands = self.poll_all();
                commands.extend(self.poll_logs());
                return commands;
            }
            Msg::Logs(role, query, result) => return self.on_logs(role, query, result),
            Msg::Copied => {}
            Msg::Task(role, result) => {
                let before = std::mem::take(&mut self.tasks[role]);
                let result = self.note_throttling(Backend::Dms, result);
                self.observe_health(
                    &format!("DMS (describing the {role} task)"),
                    &before,
                    result.as_ref().err().map(String::as_str),
                );
                if let Ok(task) = &result {
                    self.observe_task(role, before.data.as_ref(), task);
                }
                let of = result.as_ref().ok().map(FailuresOf::task);
                self.tasks[role] = before;
                self.tasks[role].set(now, result);
                // The failures are keyed by the task's resource id and kept
                // in the control schema its settings name: asked as soon as
                // the task is described, beside the rest.
                if let Some(of) = of
                    && !self.validation[role].loading
                {
                    self.validation[role].loading = true;
                    return vec![Command::FetchValidation(role, of)];
                }
            }
            Msg::Validation(role, result) => {
                self.validation[role].set(now, result.map_err(|e| e.to_string()));
            }
            Msg::Identity(result) => self.identity.set(now, result.map_err(|e| e.to_string())),
            Msg::Door(result) => self.on_door(now, result),
            Msg::Tables(role, result) => {
                if let Err(e @ BackendError::Unsupported(_)) = &result {
                    self.tables_unsupported[role] = true;
                    self.log_error(format!(
                        "{role} task: table statistics: {e}; not asked again until you press r"
                    ));
                }
                if let (Some(before), Ok(now_tables)) = (self.tables[role].data.clone(), &result) {
                    self.observe_tables(role, &before, now_tables);
                }
                let result = self.note_throttling(Backend::Dms, result);
                self.tables[role].set(now, result);
            }
            Msg::Heartbeats(db, result) => {
                if let Ok(rows) = &result {
                    self.lag_age(db, rows);
                }
                let name = format!("database {db} ({})", self.databases[db].address());
                let error = result.as_ref().err().map(|e| e.to_string());
                let before = std::mem::take(&mut self.heartbeats[db]);
                self.observe_health(&name, &before, error.as_deref());
                self.heartbeats[db] = before;
                let ids: Option<Vec<i64>> = result
                    .as_ref()
                    .ok()
                    .map(|rows| rows.iter().map(|r| r.id).collect());
                self.heartbeats[db].set(now, result.map_err(|e| e.to_string()));
                if let Some(ids) = ids {
                    return self.check_replicas(db, ids);
                }
            }
            Msg::Replicas(db, asked, result) => {
                self.replicas[db].set(
                    now,
                    result
                        .map(|found| super::state::Replicas { asked, found })
                        .map_err(|e| e.to_string()),
                );
            }
            Msg::Latency(role, result) => {
                self.latency[role].set(now, result.map_err(|e| e.to_string()))
            }
            Msg::LagTick => return self.lag_tick(),
            Msg::LagWritten(site, result) => self.lag_written(site, result),
            Msg::LagSeen(db, result) => self.lag_seen(db, result),
            Msg::Audited(result) => {
                if let Err(e) = result {
                    self.log_error(format!("audit line not written: {e}"));
                }
            }
            Msg::AppMap(result) => {
                // A read that was already under way when a flip answered
                // may hold the pre-flip item: drop it and read again.
                if std::mem::take(&mut self.appmap_refetch) {
                    self.appmap.loading = false;
                    return self.refetch_appmap();
                }
                self.store_appmap(result);
                self.follow_flip_prompt();
            }
            Msg::FlipReread(site, result) => return self.on_flip_reread(site, result),
            Msg::Started(role, request, result) => {
                self.busy.remove(&Busy::Start(role));
                let audit = self.audit_answered(Busy::Start(role), &result);
                match result {
                    Ok(()) => self.log_ok(format!("{role} task: {} accepted", request.start_type)),
                    Err(e @ BackendError::OutcomeUnknown(_)) => {
                        let mutation = Mutation::Start(role, request.start_type);
                        return audit
                            .into_iter()
                            .chain(self.outcome_unknown(mutation, &e))
                            .collect();
                    }
                    Err(e) => {
                        self.log_error(format!("{role} task: {} failed: {e}", request.start_type))
                    }
                }
                return audit.into_iter().chain(self.refresh_task(role)).collect();
            }
            Msg::Stopped(role, result) => {
                self.busy.remove(&Busy::Stop(role));
                let audit = self.audit_answered(Busy::Stop(role), &result);
                match result {
                    Ok(()) => self.log_ok(format!("{role} task: stop accepted")),
                    Err(e @ BackendError::OutcomeUnknown(_)) => {
                        let reread = self.outcome_unknown(Mutation::Stop(role), &e);
                        return audit.into_iter().chain(reread).collect();
                    }
                    Err(e) => self.log_error(format!("{role} task: stop failed: {e}")),
                }
                return audit.into_iter().chain(self.refresh_task(role)).collect();
            }
            Msg::Reread(mutation, result) => match result {
                Ok(found) => {
                    self.log_info(outcome::now_true(&mutation, &found, &self.databases));
                    return self.store_reread(found);
                }
                Err(e) => self.log_error(outcome::reread_failed(&mutation, &e)),
            },
            Msg::HeartbeatInserted(site, result) => {
                let audit = self.audit_heartbeat(site, &result);
                let mut commands = match result {
                    Ok((db, row)) => {
                        self.log_ok(format!(
                            "heartbeat {} as {site} inserted into database {db} ({})",
                            row.id, self.databases[db].engine
                        ));
                        self.refresh_heartbeats(db)
                    }
                    Err(e @ BackendError::OutcomeUnknown(_)) => {
                        self.outcome_unknown(Mutation::Heartbeat(site), &e)
                    }
                    Err(e) => {
                        self.log_error(format!("heartbeat as {site} failed: {e}"));
                        vec![]
                    }
                };
                commands.extend(self.next_heartbeat(site));
                commands.insert(0, audit);
                return commands;
            }
            Msg::TablesReloaded(role, tables, option, result) => {
                return self.on_tables_reloaded(role, &tables, option, result);
            }
            Msg::Flipped(site, result) => {
                self.busy.remove(&Busy::Flip(site));
                let mut commands: Vec<Command> = self
                    .audit_answered(Busy::Flip(site), &result)
                    .into_iter()
                    .collect();
                match result {
                    Ok((item, db)) => {
                        self.own_flips.insert(site, item.clone());
                        self.log_ok(format!(
                            "{site} now writes to database {db} ({} {})",
                            self.databases[db].engine,
                            self.databases[db].address()
                        ));
                        // Show what the flip returned at once, never the
                        // pre-flip item.
                        if let Some(items) = self.appmap.data.as_mut() {
                            items.retain(|i| i.site != item.site);
                            items.push(item);
                            items.sort_by(|x, y| x.site.cmp(&y.site));
                        }
                    }
                    Err(e @ BackendError::OutcomeUnknown(_)) => {
                        let to = self.flip_destination(site);
                        self.appmap_refetch = self.appmap.loading;
                        commands.extend(self.outcome_unknown(Mutation::Flip(site, to), &e));
                        return commands;
                    }
                    Err(e) => self.log_error(format!("flip of {site} failed: {e}")),
                }
                commands.extend(self.refetch_appmap());
                return commands;
            }
        }
        vec![]
    }

    /// A change's call timed out after it was sent: say so (never
    /// "failed") and read back what is now true.
    pub(super) fn outcome_unknown(
        &mut self,
        mutation: Mutation,
        error: &BackendError,
    ) -> Vec<Command> {
        self.log_error(outcome::unknown(&mutation, error));
        vec![Command::Reread(mutation)]
    }

    /// Where a flip of `site` was headed: the database other than the one
    /// the shown item names (`b` when that is not known).
    fn flip_destination(&self, site: crate::backend::Site) -> DbSide {
        self.appmap
            .data
            .as_deref()
            .and_then(|items| crate::backend::routing::item_for(items, site).ok())
            .and_then(|item| self.database_of(item))
            .map_or(DbSide::B, DbSide::other)
    }

    /// A fresh appmap read after a flip: started now, or, when one is
    /// already under way (it may predate the flip), once that one is back.
    fn refetch_appmap(&mut self) -> Vec<Command> {
        if self.appmap.loading {
            self.appmap_refetch = true;
            return vec![];
        }
        self.appmap.loading = true;
        vec![Command::FetchAppMap]
    }

    /// A read-back is fresh data: the panels show it too.
    fn store_reread(&mut self, found: Reread) -> Vec<Command> {
        let now = self.now;
        match found {
            Reread::Task(task) => {
                let role = task.role;
                let loading = self.tasks[role].loading;
                self.tasks[role].set(now, Ok(*task));
                self.tasks[role].loading = loading;
            }
            Reread::AppMap(items) => {
                let loading = self.appmap.loading;
                self.appmap.set(now, Ok(items));
                self.appmap.loading = loading;
            }
            Reread::Tables(role, stats) => {
                let loading = self.tables[role].loading;
                self.tables[role].set(now, Ok(stats));
                self.tables[role].loading = loading;
            }
            Reread::Heartbeats(rows) => {
                let mut commands = Vec::new();
                for db in DbSide::ALL {
                    let loading = self.heartbeats[db].loading;
                    let ids = rows[db].iter().map(|r| r.id).collect();
                    self.heartbeats[db].set(now, Ok(rows[db].clone()));
                    self.heartbeats[db].loading = loading;
                    commands.extend(self.check_replicas(db, ids));
                }
                return commands;
            }
        }
        vec![]
    }

    /// The heartbeat for `site` has ended: sends the next queued press,
    /// or marks the site idle.
    fn next_heartbeat(&mut self, site: crate::backend::Site) -> Option<Command> {
        match self.queued.get_mut(&site) {
            Some(waiting) if *waiting > 0 => {
                *waiting -= 1;
                let left = *waiting;
                if left == 0 {
                    self.queued.remove(&site);
                }
                self.log_info(format!(
                    "inserting a queued heartbeat as {site} ({left} more waiting)"
                ));
                Some(Command::InsertHeartbeat(site))
            }
            _ => {
                self.busy.remove(&Busy::Heartbeat(site));
                None
            }
        }
    }

    /// Opens the full text of what the focused panel may have shortened:
    /// the log entry under the cursor, or the panel's errors.
    fn open_detail(&mut self) {
        let hms = crate::format::hms;
        let (title, parts): (String, Vec<String>) = match self.focus {
            Focus::Log => {
                let Some(entry) = self.log_cursor().map(|i| &self.log[i]) else {
                    return;
                };
                (
                    format!("event log · {}", hms(entry.at)),
                    vec![format!(
                        "{} {}",
                        crate::format::log_symbol(entry.level),
                        entry.text
                    )],
                )
            }
            Focus::Tasks => {
                let role = self.selected;
                let panel = &self.tasks[role];
                let mut parts = Vec::new();
                if let Some(e) = &panel.error {
                    parts.push(format!("✖ describing the task failed: {e}"));
                }
                if let Some(e) = &self.tables[role].error {
                    parts.push(format!("✖ table statistics: {e}"));
                }
                if let Some(task) = &panel.data {
                    if let Some(reason) = &task.stop_reason {
                        parts.push(format!("stop reason: {reason}"));
                    }
                    if let Some(failure) = &task.last_failure {
                        parts.push(format!("✖ last failure: {failure}"));
                    }
                }
                (format!("the {role} task"), parts)
            }
            Focus::HeartbeatA | Focus::HeartbeatB => {
                let db = if self.focus == Focus::HeartbeatA {
                    DbSide::A
                } else {
                    DbSide::B
                };
                let mut parts = Vec::new();
                if let Some(e) = &self.heartbeats[db].error {
                    parts.push(format!("✖ reading the heartbeats failed: {e}"));
                }
                if let Some(e) = &self.replicas[db].error {
                    parts.push(format!(
                        "✖ asking database {} which rows it holds failed: {e}",
                        db.other()
                    ));
                }
                (
                    format!("database {db} ({})", self.databases[db].address()),
                    parts,
                )
            }
            Focus::AppMap => (
                "the appmap".to_string(),
                self.appmap
                    .error
                    .iter()
                    .map(|e| format!("✖ reading the appmap failed: {e}"))
                    .chain(self.appmap.data.iter().flatten().filter_map(|item| {
                        let problem = item.problem.as_ref()?;
                        Some(format!("✖ {} is malformed: {problem}", item.site))
                    }))
                    .collect(),
            ),
        };
        if parts.is_empty() {
            self.log_info(format!("{title}: no error to show"));
            return;
        }
        self.popup = Some(Popup::Detail {
            title,
            text: parts.join("\n\n"),
        });
    }

    /// Says that `busy` is still pending, so a repeated key is not
    /// silently swallowed.
    pub(super) fn log_in_flight(&mut self, busy: Busy) {
        let what = match busy {
            Busy::Start(role) => format!("the {role} task's start"),
            Busy::Stop(role) => format!("the {role} task's stop"),
            Busy::Heartbeat(site) => format!("a heartbeat as {site}"),
            Busy::Flip(site) => format!("the flip of {site}"),
            Busy::ReloadTables(role) => format!("the {role} task's table reload"),
        };
        self.log_info(format!(
            "{what} is already in flight: wait for its answer (the event log shows it)"
        ));
    }

    /// Reads the task's status and, separately, its table statistics,
    /// each unless already in flight (statistics also not while the
    /// endpoint is known not to implement them).
    pub(super) fn refresh_task(&mut self, role: TaskRole) -> Vec<Command> {
        let mut commands = Vec::new();
        // A throttled DMS is left alone until its backoff is over.
        if !self.backoff.dms.ready(self.now) {
            return commands;
        }
        if !self.tasks[role].loading {
            self.tasks[role].loading = true;
            commands.push(Command::FetchTask(role));
        }
        if !self.tables[role].loading && !self.tables_unsupported[role] {
            self.tables[role].loading = true;
            commands.push(Command::FetchTables(role));
        }
        commands
    }

    /// Asks the other database for exactly the ids now shown for `db`.
    /// With nothing shown there is nothing to ask; while a check is in
    /// flight none is added (the next read of `db` asks again).
    fn check_replicas(&mut self, db: DbSide, ids: Vec<i64>) -> Vec<Command> {
        if ids.is_empty() {
            self.replicas[db].set(self.now, Ok(super::state::Replicas::default()));
            return vec![];
        }
        if self.replicas[db].loading {
            return vec![];
        }
        self.replicas[db].loading = true;
        vec![Command::FetchReplicas(db, ids)]
    }

    fn refresh_heartbeats(&mut self, db: DbSide) -> Vec<Command> {
        if self.heartbeats[db].loading {
            return vec![];
        }
        self.heartbeats[db].loading = true;
        vec![Command::FetchHeartbeats(db)]
    }

    fn move_focus(&mut self, steps: usize) {
        let i = Focus::ORDER
            .iter()
            .position(|f| *f == self.focus)
            .unwrap_or(0);
        self.focus = Focus::ORDER[(i + steps) % Focus::ORDER.len()];
    }

    /// Rows in the focused table, which bounds its scroll offset.
    fn focused_len(&self) -> usize {
        match self.focus {
            Focus::Tasks => self.matching_tables(self.selected),
            Focus::HeartbeatA => self.heartbeats.a.data.as_ref().map_or(0, Vec::len),
            Focus::HeartbeatB => self.heartbeats.b.data.as_ref().map_or(0, Vec::len),
            Focus::AppMap => self.appmap.data.as_ref().map_or(0, Vec::len),
            Focus::Log => self.log.len(),
        }
    }

    fn scroll_by(&mut self, delta: isize) {
        if self.focus == Focus::Log {
            return self.scroll_log_by(delta);
        }
        let max = self.focused_len().saturating_sub(1);
        let selected = self.selected;
        let offset = match self.focus {
            Focus::Tasks => &mut self.scroll.tasks[selected],
            Focus::HeartbeatA => &mut self.scroll.heartbeats.a,
            Focus::HeartbeatB => &mut self.scroll.heartbeats.b,
            Focus::AppMap => &mut self.scroll.appmap,
            Focus::Log => return,
        };
        *offset = offset.saturating_add_signed(delta).min(max);
    }

    /// The log's newest entry is at the bottom: a positive `delta` (j,
    /// Down, PgDn, G) moves the cursor toward newer entries, a negative one
    /// toward older; it stops at either end. Reaching the newest entry
    /// follows new ones again.
    fn scroll_log_by(&mut self, delta: isize) {
        let Some(cursor) = self.log_cursor() else {
            return;
        };
        let last = self.log.len() - 1;
        let next = cursor.saturating_add_signed(delta).min(last);
        self.scroll.log = (next < last).then_some(next);
    }

    pub(super) fn log_info(&mut self, text: impl Into<String>) {
        self.push_log(self.now, LogLevel::Info, text);
    }

    pub(super) fn log_ok(&mut self, text: impl Into<String>) {
        self.push_log(self.now, LogLevel::Success, text);
    }

    pub(super) fn log_error(&mut self, text: impl Into<String>) {
        self.push_log(self.now, LogLevel::Error, text);
    }
}

/// The AWS backends that back off when throttled.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Dms,
    Dynamo,
}

fn unknown_task(role: TaskRole) -> String {
    format!("the {role} task's status is not known yet: wait for the next refresh (r)")
}
