//! `dynalint migrate --base REV [TABLE...]`: plan the migration from a run against the
//! base, check it by running the pipeline again over the head as it would be written,
//! then write it (or show it with `--diff`) and say what remains.

use anyhow::{Context, bail};

use super::{print_stdout, sides};
use crate::cli::MigrateArgs;
use crate::exit::{CLEAN, FINDINGS};
use crate::migrate;
use crate::pipeline;
use crate::snapshot::Overlay;
use crate::snapshot::{self, Snapshot, WorkingTree};
use crate::source::Scope;

pub(super) fn migrate(args: &MigrateArgs) -> anyhow::Result<u8> {
    let sides::Setup {
        root,
        config_path,
        config,
        ..
    } = sides::setup(args.repo.as_deref(), args.config.as_deref())?;
    let commits = snapshot::commits(&root, &args.base, None)?;
    let mut base_warnings = Vec::new();
    let (base_tree, base_config, label) = sides::base_side(
        &root,
        config_path.as_deref(),
        args.config.is_some(),
        &commits,
        &mut base_warnings,
    )?;
    let head_tree = WorkingTree::new(&root)
        .with_context(|| format!("cannot read the repository at {}", root.display()))?;
    let scope = Scope::everything();
    let run_over = |head: &dyn Snapshot| {
        pipeline::run(pipeline::Input {
            config: &config,
            head,
            base: Some(pipeline::Base {
                snapshot: &base_tree,
                config: base_config.as_ref(),
                label: label.clone(),
            }),
            scope: &scope,
            focus: false,
            new_only: false,
        })
    };
    let run = sides::ran(run_over(&head_tree), &root, &base_warnings)?;
    for warning in &run.warnings {
        eprintln!("dynalint: warning: {warning}");
    }
    let plan = migrate::plan(&migrate::Request {
        run: &run,
        config: &config,
        head: &head_tree,
        base: &base_tree,
        base_label: &label,
        tables: &args.tables,
    })?;
    if plan.is_empty() {
        print_stdout(&migrate::nothing_to_do(&label))?;
        return Ok(CLEAN);
    }
    let written = plan
        .files
        .iter()
        .map(|file| (file.path.clone(), file.after.clone()));
    let overlay = Overlay::with(&head_tree, written);
    let after = sides::ran(run_over(&overlay), &root, &[])?;
    migrate::verify(&plan, &after)?;
    let plan_line = after
        .report
        .changes
        .as_deref()
        .map(crate::report::text::plan_line)
        .unwrap_or_default();
    if args.diff {
        let diff: String = plan.files.iter().map(migrate::FileChange::diff).collect();
        print_stdout(&diff)?;
        eprint!("{}", migrate::done(&plan, false, &plan_line));
        return Ok(FINDINGS);
    }
    // Files edited meanwhile (an editor, a formatter) are not overwritten: all are checked
    // before any is written.
    for file in &plan.files {
        let now = match std::fs::read(root.join(&file.path)) {
            Ok(bytes) => Some(bytes),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(error).with_context(|| format!("cannot read {}", file.path)),
        };
        if now != file.before {
            bail!(
                "{} changed on disk while dynalint migrated it; nothing was written: run migrate again",
                file.path
            );
        }
    }
    for file in &plan.files {
        let path = root.join(&file.path);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        std::fs::write(&path, &file.after)
            .with_context(|| format!("cannot write {}", file.path))?;
    }
    print_stdout(&migrate::done(&plan, true, &plan_line))?;
    Ok(CLEAN)
}
