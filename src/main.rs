//! The `swabsim` binary: parse the command line, run, print the error chain, map to an exit code.

mod app;
mod cli;
mod serve;

use clap::FromArgMatches as _;

fn main() {
    let matches = cli::command().get_matches();
    let cli = cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Err(failure) = app::run(cli) {
        let message = failure.message();
        if !message.is_empty() {
            app::warn(format!("error: {message}"));
        }
        std::process::exit(failure.exit_code());
    }
}
