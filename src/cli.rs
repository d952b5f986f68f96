//! The command line (clap derive).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::FailOn;
use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "dynalint",
    version,
    about = "Lint DynamoDB tables declared through the helm-idp-dynamodb chart, before Crossplane applies them",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint the values files of the repository.
    Check(CheckArgs),
    /// List every rule: code, name, default severity, summary.
    Rules,
    /// Show a rule's documentation (by code or name).
    Explain {
        /// A rule code (DL101) or name (key-attribute-undeclared).
        rule: String,
    },
    /// Print the embedded values JSON schema.
    Schema,
    /// A language server on stdin/stdout (LSP): diagnostics as values files are typed,
    /// quick fixes, the rule's documentation on hover.
    Server,
    /// Keep a table AWS cannot change in place as in the base; its new definition
    /// becomes a new table beside it (DL302, DL303, DL304, DL310).
    Migrate(MigrateArgs),
    /// Argo CD config-management plugin entry points.
    Argocd {
        #[command(subcommand)]
        command: ArgocdCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ArgocdCommand {
    /// Lint the application's values (in the current directory, with the whole repository
    /// as context); on errors fail with the reason on stderr, else run the render command
    /// and pass its manifests through.
    Generate(GenerateArgs),
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The sidecar's own render command, run with `sh -c` in the application directory
    /// after a clean lint (also DYNALINT_RENDER_COMMAND on the sidecar) [default: `helm
    /// template` from the Application's parameters `release-name`, `chart`,
    /// `values-files` and `set`, never a command from the Application].
    #[arg(long, value_name = "COMMAND")]
    pub render: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Report findings only for these files or folders; the whole repository is still the
    /// context (duplicate tables, known roles).
    pub paths: Vec<PathBuf>,

    /// Repository root (default: the git top level of the current directory).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,

    /// Output format (text, json, sarif, github, markdown, junit, gitlab), optionally to a
    /// file: `sarif=dynalint.sarif`. Repeatable.
    #[arg(long = "format", value_name = "FORMAT[=FILE]", value_parser = parse_output)]
    pub formats: Vec<Output>,

    /// Also run the change rules against this revision (any revision git understands),
    /// compared at its merge-base with head [default in GitHub Actions on a pull request:
    /// the pull request's base].
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,

    /// Lint this commit instead of the working tree.
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,

    /// Apply the safe fixes to the files, lint again until nothing more is fixable, and
    /// report what remains (its exit status). Not with --head or --comment: the comment
    /// reports the commit, not the fixed files.
    #[arg(long, conflicts_with_all = ["head", "comment"])]
    pub fix: bool,

    /// With --fix or --diff, also apply the unsafe fixes (they can change what AWS does:
    /// a renamed field, another role, a new key attribute).
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print the unified diff that --fix would apply, and write nothing; exit 1 when
    /// there is something to fix or what remains fails, as `check` would.
    #[arg(long, conflicts_with_all = ["fix", "comment"])]
    pub diff: bool,

    /// Also check the values against the AWS account (read-only: IAM roles, DynamoDB
    /// tables); with a base, only what the change touches is asked.
    #[arg(long, conflicts_with_all = ["fix", "diff"])]
    pub aws: bool,

    /// Judge the change only on the findings it introduces: those the base revision has
    /// too decide nothing, and only the comment, the job summary (folded), SARIF and GitLab
    /// (which compare with the base branch themselves) show them. `--new-only` needs a
    /// base; `--new-only=auto` applies when there is one (the GitHub Action's default).
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "always"
    )]
    pub new_only: Option<NewOnly>,

    /// Lowest severity that fails the run (exit 1) [default: error, or `fail-on` in config].
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,

    /// Configuration file (default: dynalint.toml or .dynalint.toml at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Create or update the pull-request comment (GitHub Actions: needs GITHUB_TOKEN with
    /// `pull-requests: write`; a read-only token is a warning, never a failure).
    #[arg(long)]
    pub comment: bool,

    /// What tells this run's comment from other dynalint comments on the same pull
    /// request [default: the workflow and job, `$GITHUB_WORKFLOW/$GITHUB_JOB`].
    #[arg(long, value_name = "KEY", requires = "comment")]
    pub comment_key: Option<String>,

    /// With --comment: also post the fixes of findings on lines the pull request changes
    /// as one review of one-click suggestions (needs `pull-requests: write`; a read-only
    /// token is a warning, never a failure).
    #[arg(long, requires = "comment")]
    pub suggest: bool,

    /// When to colour the text output on standard output (files are never coloured).
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,
}

/// `dynalint migrate`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
For each selected table: its entry is copied back from the base revision, grants included,
into the values file where the base had it (AWS keeps it as it is); the head's new
definition becomes a new table with the next version suffix (Orders -> Orders-v2,
Orders-v2 -> Orders-v3, Orders-shadow -> Orders-v2-shadow; names already taken are
skipped), with the head's grants. A head definition that already has a name of its own (a
rename, or a move to another namespace) keeps it. Comments, quoting and line endings of the
rest of the file stay byte for byte, and the result is read again before it is written.

Afterwards `dynalint check --base REV` plans one create per table, and nothing else for
the old one. Then: dual-write, backfill, switch reads, and retire the old table in a
change of its own under `deletionPolicy: Orphan`.

Exit status: 0 migrated (or nothing to migrate), 1 with --diff when there is something to
migrate, 2 when a table cannot be migrated safely (nothing is written) or on bad input.")]
pub struct MigrateArgs {
    /// The tables to migrate, by `name` as written (in the base or the head) or by AWS
    /// name [default: every table with a DL302, DL303, DL304 or DL310 finding].
    #[arg(value_name = "TABLE")]
    pub tables: Vec<String>,

    /// The revision the change is compared with, as for `check --base` (at its
    /// merge-base with HEAD): the tables as they exist in AWS.
    #[arg(long, value_name = "REV", required = true)]
    pub base: String,

    /// Repository root (default: the git top level of the current directory).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,

    /// Configuration file (default: dynalint.toml or .dynalint.toml at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the unified diff that migrate would apply and write nothing (exit 1 when
    /// there is something to migrate).
    #[arg(long)]
    pub diff: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when standard output is a terminal and NO_COLOR is unset or empty.
    Auto,
    /// Always colour, even with NO_COLOR set or output to a pipe.
    Always,
    /// Never colour.
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NewOnly {
    /// Always; without a base revision it is a usage error.
    Always,
    /// When there is a base revision (`--base`, or the pull request's); else every
    /// finding counts.
    Auto,
}

/// One `--format` value: a format and where to write it (stdout by default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    pub file: Option<PathBuf>,
}

fn parse_output(value: &str) -> Result<Output, String> {
    let (name, file) = match value.split_once('=') {
        Some((name, file)) if !file.is_empty() => (name, Some(PathBuf::from(file))),
        Some(_) => return Err(format!("`{value}`: a file name is needed after `=`")),
        None => (value, None),
    };
    let format = Format::parse(name).ok_or_else(|| {
        let known: Vec<&str> = Format::ALL.iter().map(|format| format.name()).collect();
        format!("unknown format `{name}` (known: {})", known.join(", "))
    })?;
    Ok(Output { format, file })
}

/// A usage error for stderr: the reason on the first line, as for every other error, then
/// what clap adds to it (the tip for a typo, the usage). For a mistyped subcommand the tip
/// names the one closest command: clap's own lists every loosely similar one (`chek`:
/// `schema`, `check`).
pub fn usage_error(error: &clap::Error) -> String {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue};
    let rendered = error.render().to_string();
    let mut paragraphs = rendered
        .split("\n\n")
        .map(str::trim_end)
        .filter(|paragraph| !paragraph.trim().is_empty());
    let reason = paragraphs
        .next()
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let reason = reason.strip_prefix("error: ").unwrap_or(&reason);
    let mut out = format!("dynalint: error: {reason}\n");
    let closest_command = match error.get(ContextKind::InvalidSubcommand) {
        Some(ContextValue::String(typed)) => {
            let command = Cli::command();
            let names: Vec<String> = command
                .get_subcommands()
                .map(|subcommand| subcommand.get_name().to_string())
                .collect();
            crate::suggest::closest(typed, names.iter().map(String::as_str)).map(str::to_string)
        }
        _ => None,
    };
    for paragraph in paragraphs {
        match &closest_command {
            Some(name) if paragraph.trim_start().starts_with("tip: ") => {
                out.push_str(&format!("  tip: a similar subcommand exists: '{name}'\n"));
            }
            _ => {
                out.push_str(paragraph);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(args: &[&str]) -> String {
        usage_error(&Cli::try_parse_from(args).unwrap_err())
    }

    #[test]
    fn usage_errors_keep_the_tip_and_the_usage() {
        assert_eq!(
            usage(&["dynalint", "chek"]),
            "dynalint: error: unrecognized subcommand 'chek'\n  tip: a similar subcommand exists: 'check'\nUsage: dynalint <COMMAND>\nFor more information, try '--help'.\n"
        );
        assert_eq!(
            usage(&["dynalint", "check", "--colr"]),
            "dynalint: error: unexpected argument '--colr' found\n  tip: a similar argument exists: '--color'\nUsage: dynalint check --color <WHEN> [PATHS]...\nFor more information, try '--help'.\n"
        );
        // Nothing close: clap's words stay.
        let far = usage(&["dynalint", "xyzzy"]);
        assert!(
            far.starts_with("dynalint: error: unrecognized subcommand 'xyzzy'\n"),
            "{far}"
        );
        assert!(!far.contains("similar"), "{far}");
    }

    #[test]
    fn outputs() {
        assert_eq!(
            parse_output("json").unwrap(),
            Output {
                format: Format::Json,
                file: None
            }
        );
        assert_eq!(
            parse_output("json=out/report.json").unwrap(),
            Output {
                format: Format::Json,
                file: Some("out/report.json".into())
            }
        );
        assert!(
            parse_output("xml")
                .unwrap_err()
                .contains("unknown format `xml`")
        );
        assert!(parse_output("json=").is_err());
    }

    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
