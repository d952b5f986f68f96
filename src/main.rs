use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

// Reading YAML allocates a string or a node for every scalar, from several threads:
// mimalloc's thread-local heaps make the whole check markedly faster than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match dynalint::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version (and help for a missing subcommand) print as clap renders them.
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            error.exit()
        }
        Err(error) => {
            eprint!("{}", dynalint::cli::usage_error(&error));
            return ExitCode::from(dynalint::exit::USAGE_ERROR);
        }
    };
    match dynalint::app::run(cli) {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            // One line: the reason and its causes.
            let reason = format!("{error:#}").replace(['\n', '\r'], " ");
            dynalint::github::failure(&reason);
            ExitCode::from(dynalint::exit::USAGE_ERROR)
        }
    }
}
