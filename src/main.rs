//! The `swabsim` binary: parse the command line, run, print the error chain, map to an exit code.

mod app;
mod cli;
mod serve;

use clap::FromArgMatches as _;

/// mimalloc instead of glibc's malloc: a city round opens and frees millions of tube records and
/// call-up lists across threads, and glibc's malloc and free were a tenth of its time
/// (docs/performance.md). Built without transparent huge pages (`no_thp`), which raised the
/// peak memory by 80 MB for no speed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
