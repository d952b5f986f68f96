//! The GitHub Action: `action.yml` and the entrypoint script of the image, run with the
//! environment GitHub's runner sets for a Docker action (INPUT_*, GITHUB_OUTPUT, ...).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Repo, TWO_TABLES, project_root};

fn yaml(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(project_root().join(path)).unwrap();
    dynalint::yaml::load(&text, &Default::default())
        .unwrap()
        .root
        .to_json()
}

/// A pull request that deletes a table, checked out in a workspace.
fn workspace() -> (Repo, String) {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.values("shop-dev", TWO_TABLES);
    let base = repo.commit("two tables");
    let (orders, _) = TWO_TABLES.split_at(TWO_TABLES.find("  - name: Invoices").unwrap());
    repo.values("shop-dev", orders);
    repo.commit("drop invoices");
    (repo, base)
}

struct Step {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: String,
    summary: String,
}

/// The entrypoint as the runner starts it: inputs with their hyphens, in the workspace.
fn run_step(workspace: &Path, inputs: &[(&str, &str)], extra: &[(&str, &str)]) -> Step {
    let files = tempfile::tempdir().unwrap();
    let output = files.path().join("output");
    let summary = files.path().join("summary");
    std::fs::write(&output, "").unwrap();
    std::fs::write(&summary, "").unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_dynalint"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("sh");
    command
        .arg(project_root().join("docker/action-entrypoint.sh"))
        .current_dir(files.path())
        .env_clear()
        .env("PATH", path)
        .env("HOME", files.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", workspace)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_REPOSITORY", "acme/gitops")
        .env("GITHUB_EVENT_NAME", "push");
    // What the runner does: each input (given, else its default) as INPUT_<NAME>, with
    // the hyphen, and action.yml's `runs.env` with its `${{ inputs.* }}` evaluated.
    let action = yaml("action.yml");
    let value = |name: &str| -> String {
        inputs
            .iter()
            .find(|(input, _)| *input == name)
            .map(|(_, value)| value.to_string())
            .unwrap_or_else(|| {
                let default = action["inputs"][name]["default"].as_str().unwrap_or("");
                if default.contains("${{") {
                    String::new()
                } else {
                    default.to_string()
                }
            })
    };
    for name in action["inputs"].as_object().unwrap().keys() {
        command.env(format!("INPUT_{}", name.to_uppercase()), value(name));
    }
    for (variable, expression) in action["runs"]["env"].as_object().unwrap() {
        let input = expression
            .as_str()
            .unwrap()
            .strip_prefix("${{ inputs.")
            .and_then(|rest| rest.strip_suffix(" }}"))
            .expect("runs.env maps inputs");
        command.env(variable, value(input));
    }
    for (name, value) in extra {
        command.env(name, value);
    }
    let result = command.output().unwrap();
    Step {
        code: result.status.code().unwrap(),
        stdout: String::from_utf8(result.stdout).unwrap(),
        stderr: String::from_utf8(result.stderr).unwrap(),
        outputs: std::fs::read_to_string(&output).unwrap(),
        summary: std::fs::read_to_string(&summary).unwrap(),
    }
}

#[test]
fn action_yml_declares_the_inputs_and_runs_the_image_entrypoint() {
    let action = yaml("action.yml");
    assert_eq!(action["name"], "dynalint");
    assert!(action["branding"]["icon"].is_string());
    let inputs: Vec<&String> = action["inputs"].as_object().unwrap().keys().collect();
    for input in [
        "base",
        "fail-on",
        "new-only",
        "comment",
        "aws",
        "sarif-file",
        "config",
        "github-token",
        "working-directory",
    ] {
        assert!(inputs.iter().any(|name| *name == input), "{input}");
    }
    assert_eq!(
        action["inputs"]["github-token"]["default"],
        "${{ github.token }}"
    );
    let mut outputs: Vec<&String> = action["outputs"].as_object().unwrap().keys().collect();
    outputs.sort();
    assert_eq!(outputs, ["errors", "sarif-file", "warnings"]);
    // Every input reaches the entrypoint under a name a shell can read.
    let env = action["runs"]["env"].as_object().unwrap();
    for input in &inputs {
        let variable = format!("DYNALINT_INPUT_{}", input.to_uppercase().replace('-', "_"));
        assert_eq!(
            env[&variable],
            format!("${{{{ inputs.{input} }}}}"),
            "{input}"
        );
    }
    assert_eq!(action["runs"]["using"], "docker");
    assert_eq!(action["runs"]["image"], "Dockerfile");
    // The image has the entrypoint where action.yml says, and dynalint as ENTRYPOINT.
    let dockerfile = std::fs::read_to_string(project_root().join("Dockerfile")).unwrap();
    let entrypoint = action["runs"]["entrypoint"].as_str().unwrap();
    assert!(dockerfile.contains(&format!(
        "COPY --chmod=0755 docker/action-entrypoint.sh {entrypoint}"
    )));
    assert!(dockerfile.contains("cargo build --release --locked"));
    assert!(dockerfile.contains("USER 1001"));
    assert!(dockerfile.contains("ENTRYPOINT [\"dynalint\"]"));
    // Inputs are only ever environment values, never part of a command line.
    let text = std::fs::read_to_string(project_root().join("action.yml")).unwrap();
    for line in text.lines().filter(|line| line.contains("${{ inputs.")) {
        assert!(line.trim_start().starts_with("DYNALINT_INPUT_"), "{line}");
    }
    let script =
        std::fs::read_to_string(project_root().join("docker/action-entrypoint.sh")).unwrap();
    assert!(
        script
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .all(|line| !line.contains("eval ")),
        "the entrypoint never evaluates input"
    );
}

#[test]
fn the_step_writes_sarif_annotations_summary_and_outputs() {
    let (repo, _) = workspace();
    let step = run_step(
        repo.path(),
        &[("base", "HEAD~1"), ("comment", "false")],
        &[],
    );
    assert_eq!(step.code, 1, "{}", step.stderr);
    // Annotations on stdout, the readable report on stderr.
    assert!(
        step.stdout
            .starts_with("::error file=apps-shop/apps/shop-dev/dynamo-tables/values.yaml,line=1,col=1,endColumn=7,title=DL301 table-deleted::"),
        "{}",
        step.stdout
    );
    assert!(
        step.stderr.contains("error[DL301 table-deleted]"),
        "{}",
        step.stderr
    );
    assert_eq!(
        step.outputs,
        "errors=1\nwarnings=0\nsarif-file=dynalint.sarif\n"
    );
    let sarif = std::fs::read_to_string(repo.path().join("dynalint.sarif")).unwrap();
    assert!(sarif.contains("\"ruleId\": \"DL301\""));
    assert!(
        step.summary.contains("🗑️ **delete** | `shop-dev-Invoices`"),
        "{}",
        step.summary
    );

    // fail-on never: the same findings, a passing step.
    let step = run_step(
        repo.path(),
        &[
            ("base", "HEAD~1"),
            ("comment", "false"),
            ("fail-on", "never"),
        ],
        &[],
    );
    assert_eq!(step.code, 0, "{}", step.stderr);
    assert!(step.outputs.starts_with("errors=1\n"));
}

#[test]
fn outputs_that_cannot_be_written_fail_the_step() {
    let (repo, _) = workspace();
    let folder = tempfile::tempdir().unwrap();
    let output = folder.path().display().to_string();
    let step = run_step(
        repo.path(),
        &[("comment", "false")],
        &[("GITHUB_OUTPUT", &output)],
    );
    assert_eq!(step.code, 2);
    assert!(
        step.stdout
            .contains("::error title=dynalint::cannot write the step outputs to "),
        "{}",
        step.stdout
    );
}

#[test]
fn inputs_are_never_evaluated_by_a_shell() {
    let (repo, _) = workspace();
    let marker = repo.path().join("pwned");
    let hostile = format!("$(touch {})", marker.display());
    let step = run_step(
        repo.path(),
        &[
            ("base", &hostile),
            ("comment", "false"),
            ("config", "`touch pwned`"),
        ],
        &[],
    );
    assert_eq!(step.code, 2);
    assert!(!marker.exists());
    assert!(step.stderr.contains("dynalint: error:"), "{}", step.stderr);
    assert_eq!(step.outputs, "errors=\nwarnings=\nsarif-file=\n");
}

#[test]
fn a_working_directory_and_a_config_relative_to_the_workspace() {
    let workspace = tempfile::tempdir().unwrap();
    let (repo, _) = workspace_in(workspace.path().join("gitops"));
    std::fs::write(
        workspace.path().join("lint.toml"),
        "fail-on = \"warning\"\n[rules]\ntable-deleted = \"warning\"\n",
    )
    .unwrap();
    let step = run_step(
        workspace.path(),
        &[
            ("base", "HEAD~1"),
            ("comment", "false"),
            ("working-directory", "gitops"),
            ("config", "lint.toml"),
            ("sarif-file", "reports/dynalint.sarif"),
        ],
        &[],
    );
    // No fail-on input: the configuration's `fail-on = "warning"` decides.
    assert_eq!(step.code, 1, "{}", step.stderr);
    assert_eq!(
        step.outputs,
        "errors=0\nwarnings=1\nsarif-file=reports/dynalint.sarif\n"
    );
    assert!(workspace.path().join("reports/dynalint.sarif").is_file());
    drop(repo);
}

fn workspace_in(path: PathBuf) -> (PathBuf, String) {
    std::fs::create_dir_all(&path).unwrap();
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .args(args)
            .current_dir(&path)
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    git(&["init", "-q"]);
    let write = |relative: &str, text: &str| {
        let file = path.join(relative);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    write(
        "apps-shop/apps/shop-dev/api/Chart.yaml",
        crate::common::IDP_ADVANCED_CHART,
    );
    write(&Repo::values_path("shop-dev"), TWO_TABLES);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "two tables"]);
    let base = git(&["rev-parse", "HEAD"]).trim().to_string();
    let (orders, _) = TWO_TABLES.split_at(TWO_TABLES.find("  - name: Invoices").unwrap());
    write(&Repo::values_path("shop-dev"), orders);
    git(&["commit", "-qam", "drop invoices"]);
    (path, base)
}

/// Actions checks out as the runner's user; the container may run as another one.
#[cfg(unix)]
#[test]
#[ignore = "gives the checkout to another user, which needs root; .ci/run runs it"]
fn a_checkout_owned_by_another_user_is_still_read() {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
    assert!(is_root, "giving the checkout to another user needs root");
    let (repo, _) = workspace();
    let chown = Command::new("chown")
        .args(["-R", "4242:4242"])
        .arg(repo.path())
        .status()
        .unwrap();
    assert!(chown.success());
    // Without the entrypoint's safe.directory, git refuses the repository.
    let home = tempfile::tempdir().unwrap();
    let plain = Command::new(env!("CARGO_BIN_EXE_dynalint"))
        .args(["check", "--base", "HEAD~1"])
        .current_dir(repo.path())
        .env("HOME", home.path())
        .env_remove("GIT_CONFIG_GLOBAL")
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(2), "{plain:?}");
    // Through the entrypoint it is read, and the deletion found.
    let step = run_step(
        repo.path(),
        &[("base", "HEAD~1"), ("comment", "false")],
        &[],
    );
    assert_eq!(step.code, 1, "{}", step.stderr);
    assert!(step.outputs.starts_with("errors=1\n"));
}

/// Team koa's old mistake is in the base; team shop's pull request adds a table.
fn monorepo_pull_request(shop_head: &str) -> Repo {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.values("shop-dev", TWO_TABLES);
    repo.values(
        "koa-dev",
        "tables:\n  - name: Users\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"nobody-koa-dev\"]\n",
    );
    repo.commit("base: koa's unknown role was already there");
    repo.values("shop-dev", shop_head);
    repo.commit("shop's change");
    repo
}

#[test]
fn a_pull_request_is_judged_on_what_it_introduces() {
    let carts = format!(
        "{TWO_TABLES}  - name: Carts\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n"
    );
    let repo = monorepo_pull_request(&carts);
    let step = run_step(
        repo.path(),
        &[("base", "HEAD~1"), ("comment", "false")],
        &[],
    );
    // new-only defaults to true: koa's old error neither fails nor annotates shop's change.
    assert_eq!(step.code, 0, "{}", step.stderr);
    assert!(!step.stdout.contains("::error"), "{}", step.stdout);
    assert!(
        step.outputs.starts_with("errors=0\nwarnings=0\n"),
        "{}",
        step.outputs
    );
    // The summary still shows it, folded, and code scanning still gets it (it tells new
    // alerts from old by itself; one left out would count as fixed).
    assert!(
        step.summary
            .contains("<details><summary>1 finding was already there"),
        "{}",
        step.summary
    );
    assert!(
        step.summary.contains("DL201 unknown-role"),
        "{}",
        step.summary
    );
    let sarif = std::fs::read_to_string(repo.path().join("dynalint.sarif")).unwrap();
    assert!(sarif.contains("\"ruleId\": \"DL201\""), "{sarif}");

    // new-only: false gives the whole repository's verdict.
    let step = run_step(
        repo.path(),
        &[
            ("base", "HEAD~1"),
            ("comment", "false"),
            ("new-only", "false"),
        ],
        &[],
    );
    assert_eq!(step.code, 1, "{}", step.stderr);
    assert!(step.outputs.starts_with("errors=1\n"), "{}", step.outputs);
    assert!(
        step.stdout.contains("title=DL201 unknown-role::"),
        "{}",
        step.stdout
    );
    assert!(!step.summary.contains("already there"), "{}", step.summary);

    // Anything else is refused before anything runs.
    let step = run_step(
        repo.path(),
        &[
            ("base", "HEAD~1"),
            ("comment", "false"),
            ("new-only", "yes"),
        ],
        &[],
    );
    assert_eq!(step.code, 2);
    assert!(
        step.stdout
            .contains("::error title=dynalint::new-only must be true or false"),
        "{}",
        step.stdout
    );
}

#[test]
fn a_mistake_the_pull_request_adds_still_fails_it() {
    let repo = monorepo_pull_request(&TWO_TABLES.replace("api-shop-dev", "apu-shop-dev"));
    let step = run_step(
        repo.path(),
        &[("base", "HEAD~1"), ("comment", "false")],
        &[],
    );
    assert_eq!(step.code, 1, "{}", step.stderr);
    // Only shop's new errors are annotated and counted (two grants to the misspelled role).
    let annotated: Vec<&str> = step
        .stdout
        .lines()
        .filter(|line| line.starts_with("::error"))
        .collect();
    assert_eq!(annotated.len(), 2, "{}", step.stdout);
    assert!(
        annotated.iter().all(|line| line
            .contains("file=apps-shop/apps/shop-dev/dynamo-tables/values.yaml,line=5,")
            || line.contains("file=apps-shop/apps/shop-dev/dynamo-tables/values.yaml,line=9,")),
        "{annotated:#?}"
    );
    assert!(step.outputs.starts_with("errors=2\n"), "{}", step.outputs);
    assert!(
        step.summary.contains("1 finding was already there"),
        "{}",
        step.summary
    );
}

#[test]
fn without_a_base_new_only_changes_nothing() {
    let repo = monorepo_pull_request(TWO_TABLES);
    // A push of a new branch, a workflow_dispatch: no base, every finding counts.
    let step = run_step(repo.path(), &[("comment", "false")], &[]);
    assert_eq!(step.code, 1, "{}", step.stderr);
    assert!(step.outputs.starts_with("errors=1\n"), "{}", step.outputs);
    assert!(!step.summary.contains("already there"), "{}", step.summary);
    // No change to speak of: the summary says what the check found.
    assert!(step.summary.contains("the check fails"), "{}", step.summary);
    assert!(!step.summary.contains("this change"), "{}", step.summary);
}

#[test]
fn a_working_directory_in_a_monorepo_is_the_repository_checked() {
    // The GitOps tables are one folder of a larger repository.
    let repo = Repo::new();
    repo.write(
        "koa/apps-shop/apps/shop-dev/api/Chart.yaml",
        crate::common::IDP_ADVANCED_CHART,
    );
    repo.write(
        "koa/apps-shop/apps/shop-dev/dynamo-tables/values.yaml",
        TWO_TABLES,
    );
    repo.write("README.md", "the whole company\n");
    repo.commit("two tables");
    let (orders, _) = TWO_TABLES.split_at(TWO_TABLES.find("  - name: Invoices").unwrap());
    repo.write(
        "koa/apps-shop/apps/shop-dev/dynamo-tables/values.yaml",
        orders,
    );
    repo.commit("drop invoices");
    let step = run_step(
        repo.path(),
        &[
            ("base", "HEAD~1"),
            ("comment", "false"),
            ("working-directory", "koa"),
        ],
        &[],
    );
    assert_eq!(step.code, 1, "{}", step.stderr);
    assert_eq!(
        step.outputs,
        "errors=1\nwarnings=0\nsarif-file=dynalint.sarif\n"
    );
    assert!(step.stdout.contains("DL301"), "{}", step.stdout);
}

#[test]
fn why_dynalint_could_not_check_is_an_annotation_and_in_the_summary() {
    let (repo, _) = workspace();
    let step = run_step(
        repo.path(),
        &[("base", "no-such-revision"), ("comment", "false")],
        &[],
    );
    assert_eq!(step.code, 2);
    assert!(
        step.stderr.contains("::error title=dynalint::")
            && step.stderr.contains("no-such-revision"),
        "{}",
        step.stderr
    );
    assert!(
        step.summary
            .contains("dynalint could not check this change"),
        "{}",
        step.summary
    );
}

#[test]
fn suggest_goes_with_the_comment() {
    let (repo, _) = workspace();
    let step = run_step(
        repo.path(),
        &[("comment", "false"), ("suggest", "true")],
        &[],
    );
    assert_eq!(step.code, 2);
    assert!(
        step.stdout
            .contains("::error title=dynalint::suggest needs comment: true"),
        "{}",
        step.stdout
    );
    let step = run_step(repo.path(), &[("suggest", "yes")], &[]);
    assert_eq!(step.code, 2);
    assert!(
        step.stdout
            .contains("::error title=dynalint::suggest must be true or false"),
        "{}",
        step.stdout
    );
    // With the comment, dynalint takes it (outside a pull request, neither is written).
    let step = run_step(repo.path(), &[("suggest", "true")], &[]);
    assert_eq!(step.code, 0, "{}", step.stderr);
    assert!(
        step.stderr
            .contains("--comment: this run is not for a pull request"),
        "{}",
        step.stderr
    );
}

#[test]
fn aws_is_true_or_false() {
    let (repo, _) = workspace();
    let step = run_step(repo.path(), &[("aws", "maybe")], &[]);
    assert_eq!(step.code, 2);
    assert!(
        step.stdout
            .contains("::error title=dynalint::aws must be true or false"),
        "{}",
        step.stdout
    );
}

#[cfg(feature = "aws")]
#[test]
fn aws_checks_the_account_with_the_jobs_credentials_and_a_fork_gets_a_notice() {
    let (repo, base) = workspace();
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    // A fork's pull request: no credentials, a notice; the deletion still fails the step.
    let event = repo.path().join(".git/event.json");
    std::fs::write(
        &event,
        format!(
            r#"{{"pull_request": {{"number": 9, "base": {{"sha": "{base}", "repo": {{"full_name": "acme/gitops"}}}}, "head": {{"sha": "{head}", "repo": {{"full_name": "someone/gitops"}}}}}}}}"#
        ),
    )
    .unwrap();
    let event = event.display().to_string();
    let step = run_step(
        repo.path(),
        &[("aws", "true"), ("comment", "false")],
        &[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", &event),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    assert_eq!(step.code, 1, "{}\n{}", step.stdout, step.stderr);
    assert!(
        step.stderr
            .contains("::notice title=dynalint::--aws: no AWS credentials"),
        "{}",
        step.stderr
    );
    assert!(step.stdout.contains("DL301"), "{}", step.stdout);
}
