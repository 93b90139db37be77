//! `dms-cockpit lab`: the cockpit on the embedded lab.

use super::connect::{self, LabSpec};
use super::{Outcome, tui};
use crate::cli::{GlobalArgs, LabArgs};

pub async fn run(global: &GlobalArgs, args: &LabArgs) -> Outcome {
    let connected = connect::lab(
        global,
        LabSpec {
            data_dir: args.dir.data_dir.clone(),
            traffic: args.traffic,
            transition_delay: args.transition_delay,
            refresh: args.refresh,
            apply_delay: args.apply_delay.unwrap_or_default(),
            validate: args.validate.clone(),
        },
    )
    .await?;
    tui::run(global, connected).await
}
