//! The `swabsim` binary: parse the command line, run, print the error chain, map to an exit code.

mod app;
mod cli;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    match app::run(cli) {
        Ok(()) => {}
        Err(failure) => {
            eprintln!("error: {}", failure.message());
            std::process::exit(failure.exit_code());
        }
    }
}
