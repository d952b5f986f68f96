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
            // One line, as for every other error: clap's first paragraph, without the usage.
            let rendered = error.render().to_string();
            let paragraph: Vec<&str> = rendered
                .lines()
                .take_while(|line| !line.trim().is_empty())
                .map(str::trim)
                .collect();
            let reason = paragraph.join(" ");
            let reason = reason.strip_prefix("error: ").unwrap_or(&reason);
            eprintln!("dynalint: error: {reason} (see `dynalint --help`)");
            return ExitCode::from(2);
        }
    };
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
