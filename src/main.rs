use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = dynalint::cli::Cli::parse();
    match dynalint::app::run(cli) {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            // One line: the reason and its causes.
            let reason = format!("{error:#}").replace(['\n', '\r'], " ");
            eprintln!("dynalint: error: {reason}");
            ExitCode::from(2)
        }
    }
}
