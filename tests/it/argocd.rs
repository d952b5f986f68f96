//! `dynalint argocd generate` run the way the Argo CD sidecar runs it: in the
//! application's directory of a repository copy without `.git`, with Argo's environment
//! and a stand-in `helm` on PATH.

use std::path::{Path, PathBuf};

use crate::common::{Run, copy_dir, dynalint, project_root};

/// What the stand-in `helm` prints: bytes a re-encoding would change, no final newline.
const MANIFESTS: &[u8] =
    b"---\napiVersion: dynamodb.aws.upbound.io/v1beta1\nkind: Table\nmetadata:\n  name: orders\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\xc3\xa4bles\r\ndata: {a: \"\\t\"}";

struct Argo {
    repo: tempfile::TempDir,
    bin: tempfile::TempDir,
}

impl Argo {
    /// The demo repository as Argo sends it (no `.git`), and a `helm` that records its
    /// arguments and prints [`MANIFESTS`].
    fn new() -> Argo {
        let repo = tempfile::tempdir().unwrap();
        copy_dir(&project_root().join("fixtures/demo"), repo.path());
        let bin = tempfile::tempdir().unwrap();
        let helm = bin.path().join("helm");
        std::fs::write(bin.path().join("manifests"), MANIFESTS).unwrap();
        std::fs::write(
            &helm,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{dir}/called'\npwd >> '{dir}/called'\ncat '{dir}/manifests'\nexit \"${{HELM_EXIT:-0}}\"\n",
                dir = bin.path().display()
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Argo { repo, bin }
    }

    fn app(&self, namespace: &str) -> PathBuf {
        let team = namespace.split('-').next().unwrap();
        self.repo
            .path()
            .join(format!("apps-{team}/apps/{namespace}/dynamo-tables"))
    }

    /// `dynalint argocd generate` in the application of `namespace`, deployed to
    /// `deployed`.
    fn generate(&self, namespace: &str, deployed: &str, extra: &[(&str, &str)]) -> Raw {
        let team = namespace.split('-').next().unwrap();
        let mut command = dynalint(&self.app(namespace));
        let path = format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        command
            .args(["argocd", "generate"])
            .env("PATH", path)
            .env("ARGOCD_APP_NAME", format!("{namespace}-dynamo-tables"))
            .env("ARGOCD_APP_NAMESPACE", deployed)
            .env(
                "ARGOCD_APP_SOURCE_PATH",
                format!("apps-{team}/apps/{namespace}/dynamo-tables"),
            )
            .env("KUBE_VERSION", "1.31.0");
        for (name, value) in extra {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        Raw {
            code: output.status.code().unwrap(),
            stdout: output.stdout,
            stderr: String::from_utf8(output.stderr).unwrap(),
            called: std::fs::read_to_string(self.bin.path().join("called")).ok(),
        }
    }
}

struct Raw {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    called: Option<String>,
}

#[test]
fn good_values_pass_the_manifests_through_unchanged() {
    let argo = Argo::new();
    let run = argo.generate("koa-dev", "koa-dev", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, MANIFESTS, "byte for byte");
    // The default render command, in the application directory.
    let called = run.called.unwrap();
    let app = argo.app("koa-dev").canonicalize().unwrap();
    assert_eq!(
        called,
        format!(
            "template\nkoa-dev-dynamo-tables\n.\n--namespace\nkoa-dev\n{}\n",
            app.display()
        )
    );
}

#[test]
fn bad_values_fail_with_the_rule_and_print_no_manifests() {
    let argo = Argo::new();
    let run = argo.generate("koa-prod", "koa-prod", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.is_empty(),
        "no manifests, not even an empty stream"
    );
    assert!(run.called.is_none(), "helm is not run");
    let first = run.stderr.lines().next().unwrap();
    assert_eq!(
        first,
        "dynalint: sync blocked by 2 errors: DL201 unknown-role at apps-koa/apps/koa-prod/dynamo-tables/values.yaml:11: role `acess-service-koa-prod` (read access to table `idp-koa-prod-AAUserAccess-v3`) is not created by any idp-advanced workload of this repository nor listed in `roles.known`"
    );
    assert!(run.stderr.contains(
        "apps-koa/apps/koa-prod/dynamo-tables/values.yaml:22:15: error[DL004 yaml-type-trap]"
    ));
    // Only this application's findings: payments-dev has errors of its own.
    assert!(!run.stderr.contains("payments-dev"), "{}", run.stderr);
}

#[test]
fn the_repository_is_the_context() {
    // Roles are created by workloads elsewhere in the repository (access-service beside
    // dynamo-tables): without the repository as context koa-dev's grants would be unknown.
    let argo = Argo::new();
    let run = argo.generate("koa-dev", "koa-dev", &[("ARGOCD_APP_SOURCE_PATH", "")]);
    assert_eq!(
        run.code, 0,
        "found the root by the apps-*/apps/ layout: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("DL201"), "{}", run.stderr);
}

#[test]
fn a_namespace_that_disagrees_with_the_path_stops_the_sync() {
    let argo = Argo::new();
    let run = argo.generate("koa-dev", "koa-prod", &[]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.starts_with("dynalint: sync blocked by "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("apps-koa/apps/koa-dev/dynamo-tables/values.yaml:1:1: error[DL006 namespace-mismatch] Argo CD deploys this release to namespace `koa-prod`, but its path names namespace `koa-dev`"),
        "{}",
        run.stderr
    );
    // Linted as the chart renders it: tables named after Argo's namespace.
    assert!(run.stderr.contains("koa-prod-"), "{}", run.stderr);
}

#[test]
fn the_render_is_data_from_the_application_and_its_failure_is_ours() {
    let argo = Argo::new();
    let parameters = r#"[{"name": "release-name", "string": "orders"},
        {"name": "chart", "string": "../../../../helm/helm-idp-dynamodb"},
        {"name": "values-files", "array": ["values.yaml"]},
        {"name": "set", "map": {"global.team": "koa"}}]"#;
    let run = argo.generate(
        "koa-dev",
        "koa-dev",
        &[("ARGOCD_APP_PARAMETERS", parameters)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.called.unwrap().starts_with(
            "template\norders\n../../../../helm/helm-idp-dynamodb\n--namespace\nkoa-dev\n--values\nvalues.yaml\n--set\nglobal.team=koa\n"
        )
    );
    // A failed render prints nothing, even what it wrote before failing.
    let run = argo.generate("koa-dev", "koa-dev", &[("HELM_EXIT", "3")]);
    assert_eq!(run.code, 3);
    assert!(run.stdout.is_empty(), "no partial manifests");
    assert!(
        run.stderr.contains("the render failed (exit 3)"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_command_from_the_application_runs_in_the_sidecar() {
    let argo = Argo::new();
    let marker = argo.bin.path().join("pwned");
    let attack = format!("touch {}", marker.display());
    let injected = [
        // A render command, as a parameter or a plugin.env entry.
        vec![("PARAM_RENDER_COMMAND", attack.clone())],
        vec![("ARGOCD_ENV_DYNALINT_RENDER_COMMAND", attack.clone())],
        vec![(
            "ARGOCD_APP_PARAMETERS",
            format!(r#"[{{"name": "render-command", "string": "{attack}"}}]"#),
        )],
        // helm options through data: a post-renderer runs a program.
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name": "chart", "string": "--post-renderer=/bin/sh"}]"#.to_string(),
        )],
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name": "values-files", "array": ["/etc/passwd"]}]"#.to_string(),
        )],
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name": "chart", "string": "../../../../../outside"}]"#.to_string(),
        )],
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name": "release-name", "string": "$(touch /tmp/x)"}]"#.to_string(),
        )],
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name": "set", "map": {"a": "1,b=2"}}]"#.to_string(),
        )],
        // Charts and values from elsewhere: helm would fetch them.
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name": "chart", "string": "oci://evil.example.com/charts/x"}]"#.to_string(),
        )],
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name": "chart", "string": "stable/mysql"}]"#.to_string(),
        )],
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name": "values-files", "array": ["https://evil.example.com/v.yaml"]}]"#.to_string(),
        )],
        // Values the lint did not read: another file, or `--set` over linted keys.
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name": "values-files", "array": ["../../koa-prod/dynamo-tables/../web/Chart.yaml"]}]"#.to_string(),
        )],
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name": "set", "map": {"tables[0].hashKey": "Other"}}]"#.to_string(),
        )],
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name": "set", "map": {"deletionPolicy": "Delete"}}]"#.to_string(),
        )],
    ];
    for extra in injected {
        let extra: Vec<(&str, &str)> = extra
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        let run = argo.generate("koa-dev", "koa-dev", &extra);
        assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
        assert!(run.called.is_none(), "{extra:?}: helm is not run");
        assert!(
            run.stderr.starts_with("dynalint: error: "),
            "{}",
            run.stderr
        );
        assert!(!marker.exists(), "{extra:?} ran a command");
    }
    // The sidecar's own configuration may run a command.
    let run = argo.generate(
        "koa-dev",
        "koa-dev",
        &[(
            "DYNALINT_RENDER_COMMAND",
            "helm template from-the-sidecar .",
        )],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.called
            .unwrap()
            .starts_with("template\nfrom-the-sidecar\n.\n")
    );
}

#[test]
fn a_render_without_the_declared_tables_is_refused() {
    // An umbrella chart whose values are not under the subchart's key renders nothing:
    // with `prune: true` that would delete every table.
    let argo = Argo::new();
    std::fs::write(argo.bin.path().join("manifests"), "---\n# Source: empty\n").unwrap();
    let run = argo.generate("koa-dev", "koa-dev", &[]);
    assert_ne!(run.code, 0);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.starts_with(
            "dynalint: error: the render holds no Table while the values declare tables"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_directory_without_values_is_a_clear_error() {
    let argo = Argo::new();
    let run = Run::of({
        let mut command = dynalint(&argo.repo.path().join("apps-koa/apps/koa-dev/web"));
        command.args(["argocd", "generate"]);
        command
    });
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .contains("no values file in apps-koa/apps/koa-dev/web matches the include globs"),
        "{}",
        run.stderr
    );
}

#[test]
fn part_of_the_repository_is_named_as_the_reason() {
    // With the manifest-generate-paths annotation Argo CD sends only a subtree: here the
    // application folder alone, while the source path still names its place.
    let argo = Argo::new();
    let subtree = tempfile::tempdir().unwrap();
    copy_dir(&argo.app("koa-dev"), subtree.path());
    let run = Run::of({
        let mut command = dynalint(subtree.path());
        command
            .args(["argocd", "generate"])
            .env("ARGOCD_APP_NAMESPACE", "koa-dev")
            .env(
                "ARGOCD_APP_SOURCE_PATH",
                "apps-koa/apps/koa-dev/dynamo-tables",
            );
        command
    });
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .starts_with("dynalint: error: no values file in . matches")
            && run
                .stderr
                .contains("Argo CD sent only part of the repository")
            && run.stderr.contains("manifest-generate-paths"),
        "{}",
        run.stderr
    );
}

/// `plugin.yaml` as the sidecar reads it.
fn plugin() -> serde_json::Value {
    let text = std::fs::read_to_string(project_root().join("plugin.yaml")).unwrap();
    dynalint::yaml::load(&text, &Default::default())
        .unwrap()
        .root
        .to_json()
}

#[test]
fn the_plugin_discovers_dynamo_tables_applications_and_runs_generate() {
    let plugin = plugin();
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert_eq!(
        plugin["spec"]["generate"]["command"],
        serde_json::json!(["dynalint", "argocd", "generate"])
    );
    let discover: Vec<String> = plugin["spec"]["discover"]["find"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| part.as_str().unwrap().to_string())
        .collect();
    let argo = Argo::new();
    let discovers = |dir: &Path| {
        let output = std::process::Command::new(&discover[0])
            .args(&discover[1..])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(output.status.success());
        !output.stdout.is_empty()
    };
    assert!(discovers(&argo.app("koa-dev")));
    assert!(!discovers(
        &argo.repo.path().join("apps-koa/apps/koa-dev/web")
    ));
    // A values file with tables elsewhere is found by its content.
    let other = argo.repo.path().join("tables-elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("values.yaml"), "tables:\n  - name: A\n").unwrap();
    assert!(discovers(&other));
    // The parameters are data for `helm template`; none is a command.
    let names: Vec<&str> = plugin["spec"]["parameters"]["static"]
        .as_array()
        .unwrap()
        .iter()
        .map(|parameter| parameter["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["release-name", "chart", "values-files", "set"]);
}

/// The sidecar of `docs/argocd/repo-server-patch.yaml` passes the restricted Pod Security
/// profile (or the whole repo-server pod is rejected) and runs as Argo CD's own
/// containers do; what it writes goes to volumes, its root filesystem being read-only.
#[test]
fn the_sidecar_is_hardened_as_argo_cd_s_own_containers() {
    let text =
        std::fs::read_to_string(project_root().join("docs/argocd/repo-server-patch.yaml")).unwrap();
    let patch = dynalint::yaml::load(&text, &Default::default())
        .unwrap()
        .root
        .to_json();
    let pod = &patch["spec"]["template"]["spec"];
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    let sidecar = &containers[0];
    let security = &sidecar["securityContext"];
    assert_eq!(security["runAsNonRoot"], true);
    assert_eq!(security["runAsUser"], 999);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert!(security["capabilities"].get("add").is_none());
    assert_eq!(security["seccompProfile"]["type"], "RuntimeDefault");
    assert!(
        security
            .get("privileged")
            .is_none_or(|value| value == false)
    );

    // HOME (helm's and git's files) and /tmp (the CMP server's copy of the application)
    // are a writable emptyDir of the patch; the other mounts are Argo CD's volumes or the
    // plugin's configuration.
    let home = sidecar["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|variable| variable["name"] == "HOME")
        .unwrap()["value"]
        .as_str()
        .unwrap();
    let volumes = pod["volumes"].as_array().unwrap();
    let mounts = sidecar["volumeMounts"].as_array().unwrap();
    let mount_of = |path: &str| {
        mounts
            .iter()
            .find(|mount| mount["mountPath"] == path)
            .unwrap_or_else(|| panic!("nothing mounted at {path}"))
    };
    for writable in [home, "/tmp"] {
        let mount = mount_of(writable);
        assert!(mount.get("readOnly").is_none_or(|value| value == false));
        let volume = volumes
            .iter()
            .find(|volume| volume["name"] == mount["name"])
            .unwrap();
        assert!(volume.get("emptyDir").is_some(), "{volume}");
    }
    // Argo CD's repo server defines these two; every other mount is the patch's own.
    for mount in mounts {
        let name = mount["name"].as_str().unwrap();
        assert!(
            ["var-files", "plugins"].contains(&name)
                || volumes.iter().any(|volume| volume["name"] == name),
            "{name}"
        );
    }
    assert_eq!(
        mount_of("/home/argocd/cmp-server/config/plugin.yaml")["subPath"],
        "plugin.yaml"
    );
}
