//! The `swabsim` binary: parse the command line, run, print the error chain, map to an exit code.

mod app;
mod cli;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    if let Err(failure) = app::run(cli) {
        let message = failure.message();
        if !message.is_empty() {
            app::warn(format!("error: {message}"));
        }
        std::process::exit(failure.exit_code());
    }
}
