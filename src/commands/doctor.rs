//! `dms-cockpit doctor`: the door check. Reads the pair (the configured
//! tasks and endpoints through `backend::aws::pair_setup`, or the lab's
//! pair and its fixtures), runs the rules in `crate::doctor` and prints one
//! line (or JSON object) per finding. Exit 0 all good, 1 findings (or the
//! pair could not be read), 2 bad configuration.

use serde::Serialize;

use super::{Failure, Outcome};
use crate::cli::{DoctorArgs, GlobalArgs};
use crate::config;
use crate::doctor::{self, Finding, RULES};

#[derive(Debug, Serialize)]
struct Report<'a> {
    ok: bool,
    rules: &'a [&'a str],
    findings: &'a [Finding],
}

pub async fn run(global: &GlobalArgs, args: &DoctorArgs) -> Outcome {
    let pair = if args.lab {
        match &args.fixture {
            Some(name) => doctor::lab::fixture(name).map_err(Failure::BadInput)?,
            None => doctor::lab::pair(),
        }
    } else {
        let Some(path) = config::locate(global.config.as_deref())? else {
            return Err(Failure::BadInput(format!(
                "no configuration found (looked at {}): doctor checks a configured pair; try `dms-cockpit doctor --lab`",
                config::search_places()
            )));
        };
        let config = config::load(&path)?;
        let sdk =
            crate::backend::aws::load_sdk_config(config.region.clone(), config.profile.clone())
                .await;
        crate::backend::aws::pair_setup::read(&sdk, &config, config.timeout)
            .await
            .map_err(|e| Failure::Failed(format!("cannot read the pair to check it: {e}").into()))?
    };
    let findings = doctor::check(&pair);
    if args.json {
        let report = Report {
            ok: findings.is_empty(),
            rules: &RULES,
            findings: &findings,
        };
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::Failed(format!("cannot encode the report: {e}").into()))?;
        super::output::say(text)?;
    } else if findings.is_empty() {
        super::output::say(format!(
            "✓ {} / {}: every rule of a bidirectional pair holds ({})",
            pair.tasks.forward.id,
            pair.tasks.backward.id,
            RULES.join(", ")
        ))?;
    } else {
        for f in &findings {
            super::output::say(f.line())?;
        }
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed(
            format!(
                "{} finding(s): the pair breaks AWS's rules for bidirectional replication",
                findings.len()
            )
            .into(),
        ))
    }
}
