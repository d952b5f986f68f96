//! Temporary git repositories in the GitOps layout, and running the binary on them.

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod lsp;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

pub const IDP_ADVANCED_CHART: &str = "apiVersion: v2\nname: workload\nversion: 0.1.0\ndependencies:\n  - name: idp-advanced\n    version: 4.2.0\n    repository: oci://registry.example.com/charts\n";

/// Two tables of shop-dev, both read by `api-shop-dev`: the base of most change tests.
pub const TWO_TABLES: &str = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
  - name: Invoices
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
";

pub struct Repo {
    dir: TempDir,
}

impl Repo {
    /// An empty repository with `git init` done (no commit).
    pub fn new() -> Repo {
        let dir = tempfile::Builder::new()
            .prefix("dynalint-test-")
            .tempdir()
            .expect("a temporary directory");
        git2::Repository::init(dir.path()).expect("git init");
        Repo { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) -> &Repo {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
        self
    }

    /// `apps-<team>/apps/<namespace>/dynamo-tables/values.yaml`, the team being the
    /// namespace's first word.
    pub fn values_path(namespace: &str) -> String {
        let team = namespace.split('-').next().unwrap();
        format!("apps-{team}/apps/{namespace}/dynamo-tables/values.yaml")
    }

    pub fn values(&self, namespace: &str, content: &str) -> &Repo {
        self.write(&Repo::values_path(namespace), content)
    }

    /// An idp-advanced workload, whose role is `<application>-<namespace>`.
    pub fn workload(&self, namespace: &str, application: &str) -> &Repo {
        let team = namespace.split('-').next().unwrap();
        self.write(
            &format!("apps-{team}/apps/{namespace}/{application}/Chart.yaml"),
            IDP_ADVANCED_CHART,
        )
    }

    pub fn remove(&self, path: &str) -> &Repo {
        std::fs::remove_file(self.dir.path().join(path)).unwrap();
        self
    }

    /// Commit every file of the working tree (additions and deletions); the commit's sha.
    pub fn commit(&self, message: &str) -> String {
        let repository = git2::Repository::open(self.dir.path()).unwrap();
        let mut index = repository.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = repository.find_tree(index.write_tree().unwrap()).unwrap();
        let signature = git2::Signature::now("Test", "test@example.com").unwrap();
        let parent = repository
            .head()
            .ok()
            .and_then(|head| head.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repository
            .commit(
                Some("HEAD"),
                &signature,
                &signature,
                message,
                &tree,
                &parents,
            )
            .unwrap()
            .to_string()
    }

    /// Run the git command line in the repository.
    pub fn git(&self, args: &[&str]) -> String {
        let output = std::process::Command::new("git")
            .args(args)
            .current_dir(self.dir.path())
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    pub fn command(&self) -> Command {
        dynalint(self.dir.path())
    }

    /// `dynalint check ARGS` in the repository, with colour and CI variables cleared.
    pub fn check(&self, args: &[&str]) -> Run {
        let mut command = self.command();
        command.arg("check").args(args);
        Run::of(command)
    }
}

pub fn dynalint(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dynalint"));
    command.current_dir(cwd).env_remove("NO_COLOR");
    // Tests run in CI too: nothing of the surrounding Actions run may leak in.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GITHUB_") {
            command.env_remove(&name);
        }
    }
    command
}

/// Copy a folder and everything in it (the demo into a test repository).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The result of a run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(mut command: Command) -> Run {
        let output = command.output().expect("dynalint runs");
        Run {
            code: output
                .status
                .code()
                .expect("exited normally, not by a signal"),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 output"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 output"),
        }
    }

    /// The JSON report (the run must have used `--format json`).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}\n{}", self.stdout, self.stderr))
    }

    /// `path:line:col CODE` of every finding, from the JSON report.
    pub fn locations(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|finding| {
                format!(
                    "{}:{}:{} {}",
                    finding["path"].as_str().unwrap(),
                    finding["line"],
                    finding["column"],
                    finding["rule"].as_str().unwrap()
                )
            })
            .collect()
    }
}

/// `dynalint check ARGS` in `repo` as a pull-request workflow run calls it: the Actions
/// environment, the event file, the job summary, GitHub's API at `api` and `token`. The
/// token must appear nowhere in what it prints.
pub fn in_pull_request(
    repo: &Repo,
    event: &Path,
    summary: &Path,
    api: &str,
    token: &str,
    args: &[&str],
) -> Run {
    let mut command = repo.command();
    command
        .arg("check")
        .args(args)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", event)
        .env("GITHUB_STEP_SUMMARY", summary)
        .env("GITHUB_REPOSITORY", "acme/gitops")
        .env("GITHUB_API_URL", api)
        .env("GITHUB_WORKFLOW", "lint")
        .env("GITHUB_JOB", "dynalint")
        .env("GITHUB_TOKEN", token);
    let run = Run::of(command);
    assert!(
        !run.stdout.contains(token) && !run.stderr.contains(token),
        "the token leaked:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    run
}
