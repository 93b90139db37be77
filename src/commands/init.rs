//! `dms-cockpit init`: writes the commented configuration template, never
//! over an existing file unless `--force`.

use super::{Failure, Outcome};
use crate::cli::InitArgs;

pub fn run(args: &InitArgs) -> Outcome {
    let path = &args.path;
    if path.exists() && !args.force {
        return Err(Failure::BadInput(format!(
            "{} already exists: edit it, choose another --path, or pass --force to overwrite it",
            path.display()
        )));
    }
    std::fs::write(path, crate::config::TEMPLATE)
        .map_err(|e| Failure::Failed(format!("cannot write {}: {e}", path.display())))?;
    super::output::say(format!(
        "wrote {}: fill in [tasks] and [databases.a|b], then run dms-cockpit --config {}",
        path.display(),
        path.display()
    ))?;
    Ok(())
}
