//! The `dms-cockpit` binary: parse the command line, start logging to a
//! file, run the chosen command, map its outcome to the exit code.

use std::process::ExitCode;

use clap::Parser;
use dms_cockpit::cli::{Cli, Command, SetupCommand, TaskCommand};
use dms_cockpit::commands::{self, Failure, connect};
use dms_cockpit::logging;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_path = cli
        .global
        .log_file
        .clone()
        .unwrap_or_else(logging::default_path);
    let _guard = match logging::init(&log_path) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(dispatch(cli));
    // Backend calls still in flight (a hung peer) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match outcome {
        Ok(()) | Err(Failure::ClosedPipe) => ExitCode::SUCCESS,
        Err(failure) => {
            // The log file gets the causes under the message; the screen
            // only the message.
            tracing::error!("{}", dms_cockpit::backend::reason::chain(&failure));
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}

async fn dispatch(cli: Cli) -> Result<(), Failure> {
    let global = &cli.global;
    match &cli.command {
        None => {
            let connected = connect::configured(global).await?;
            commands::tui::run(global, connected).await
        }
        Some(Command::Lab(args)) => commands::lab::run(global, args).await,
        Some(Command::Status(args)) => commands::status::run(global, args).await,
        Some(Command::Heartbeat(args)) => commands::heartbeat::run(global, args).await,
        Some(Command::Task(TaskCommand::Start(args))) => commands::task::start(global, args).await,
        Some(Command::Task(TaskCommand::Stop(args))) => commands::task::stop(global, args).await,
        Some(Command::Logs(args)) => commands::logs::run(global, args).await,
        Some(Command::Task(TaskCommand::ReloadTables(args))) => {
            commands::reload::run(global, args).await
        }
        Some(Command::Flip(args)) => commands::flip::run(global, args).await,
        Some(Command::Init(args)) => commands::init::run(args).await,
        Some(Command::Lag(args)) => commands::lag::run(global, args).await,
        Some(Command::Doctor(args)) => commands::doctor::run(global, args).await,
        Some(Command::Setup(SetupCommand::Appmap(args))) => {
            commands::setup::appmap(global, args).await
        }
        Some(Command::Setup(SetupCommand::Dms(args))) => commands::setup::dms(global, args).await,
        Some(Command::Setup(SetupCommand::Sql(args))) => commands::setup::sql(global, args).await,
    }
}
