//! The README's copy-paste blocks for the integrations agree with the files they use:
//! the workflow with `action.yml`, the pre-commit configuration with
//! `.pre-commit-hooks.yaml`, the Argo CD Application with `plugin.yaml`.

use crate::common::project_root;
use serde_json::Value;

fn read(path: &str) -> String {
    std::fs::read_to_string(project_root().join(path)).unwrap()
}

fn parse(text: &str) -> Value {
    dynalint::yaml::load(text, &Default::default())
        .unwrap_or_else(|error| panic!("{error:?}\n{text}"))
        .root
        .to_json()
}

/// The README's fenced blocks of one language, in order.
fn blocks(language: &str) -> Vec<String> {
    let readme = read("README.md");
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match &mut current {
            None if line.trim_end() == format!("```{language}") => current = Some(String::new()),
            Some(_) if line.trim_end() == "```" => found.push(current.take().unwrap()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    found
}

/// The one YAML block of the README that contains `needle`, parsed.
fn block_with(needle: &str) -> Value {
    let matching: Vec<String> = blocks("yaml")
        .into_iter()
        .filter(|block| block.contains(needle))
        .collect();
    assert_eq!(matching.len(), 1, "blocks with {needle}");
    parse(&matching[0])
}

#[test]
fn the_workflow_runs_the_action_and_uploads_its_sarif_safely() {
    let workflow = block_with("upload-sarif");
    assert_eq!(
        workflow["permissions"],
        serde_json::json!({
            "contents": "read",
            "pull-requests": "write",
            "security-events": "write",
            "actions": "read"
        })
    );
    // dynalint reads YAML as Helm does (1.1), where the key `on` is the boolean true.
    let on = workflow.get("on").or_else(|| workflow.get("true")).unwrap();
    assert!(on.get("pull_request").is_some(), "{on}");
    let steps = workflow["jobs"]["dynalint"]["steps"].as_array().unwrap();
    assert!(
        steps[0]["uses"]
            .as_str()
            .unwrap()
            .starts_with("actions/checkout@")
    );
    assert_eq!(steps[0]["with"]["fetch-depth"], 0);
    assert_eq!(steps[0]["with"]["persist-credentials"], false);
    // The judgement on what the pull request introduces, said where users copy it.
    assert_eq!(steps[1]["with"]["new-only"], true);
    assert!(
        steps[1]["uses"]
            .as_str()
            .unwrap()
            .starts_with("dynalint/dynalint@")
    );
    let id = steps[1]["id"].as_str().unwrap();
    let upload = &steps[2];
    assert!(
        upload["uses"]
            .as_str()
            .unwrap()
            .starts_with("github/codeql-action/upload-sarif@")
    );
    assert_eq!(upload["with"]["category"], "dynalint");
    let output = format!("steps.{id}.outputs.sarif-file");
    assert_eq!(upload["with"]["sarif_file"], format!("${{{{ {output} }}}}"));
    // Runs after a failing lint, never for a fork's read-only token, only with a file.
    let condition = upload["if"].as_str().unwrap();
    assert!(condition.starts_with("always()"), "{condition}");
    assert!(
        condition.contains(&format!("{output} != ''")),
        "{condition}"
    );
    assert!(
        condition.contains("github.event.pull_request.head.repo.full_name == github.repository"),
        "{condition}"
    );
    // The outputs it uses are the Action's.
    let action = parse(&read("action.yml"));
    assert!(action["outputs"].get("sarif-file").is_some());
}

/// Third-party actions in the README's workflows are pinned to a full commit with the
/// version in a comment (zizmor's unpinned-uses; `.ci/zizmor-readme` runs zizmor itself);
/// only dynalint's own shows a tag, which the README explains.
#[test]
fn the_workflows_pin_actions_by_commit() {
    let readme = read("README.md");
    let mut pinned = 0;
    for line in readme.lines().map(str::trim) {
        let Some(reference) = line.strip_prefix("- uses: ") else {
            continue;
        };
        let (action, rest) = reference.split_once('@').unwrap();
        if action == "dynalint/dynalint" {
            continue;
        }
        let (commit, comment) = rest.split_once("  # v").unwrap_or_else(|| panic!("{line}"));
        assert!(
            commit.len() == 40 && commit.bytes().all(|byte| byte.is_ascii_hexdigit()),
            "{line}"
        );
        assert!(comment.starts_with(|c: char| c.is_ascii_digit()), "{line}");
        pinned += 1;
    }
    assert!(pinned >= 7, "{pinned} pinned actions");
    assert!(readme.contains("dynalint/dynalint@<commit>  # v1.2.3"));
}

#[test]
fn the_inputs_table_lists_every_input_of_the_action() {
    let action = parse(&read("action.yml"));
    let readme = read("README.md");
    for (name, input) in action["inputs"].as_object().unwrap() {
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("no row for input {name}"));
        let default = input["default"].as_str().unwrap();
        if !default.is_empty() {
            assert!(row.contains(&format!("`{default}`")), "{row}");
        }
    }
}

#[test]
fn the_release_workflow_rewrites_the_image_line_of_action_yml() {
    let release = block_with("build-push-action");
    let script = release["jobs"]["image"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|step| step["run"].as_str())
        .collect::<String>();
    assert!(
        script.contains(r#"sed -i "s|^  image: Dockerfile$|"#),
        "{script}"
    );
    assert!(
        read("action.yml")
            .lines()
            .any(|line| line == "  image: Dockerfile")
    );
}

#[test]
fn the_pre_commit_block_names_hooks_that_exist() {
    let config = block_with("repos:");
    let hooks = parse(&read(".pre-commit-hooks.yaml"));
    let ids: Vec<&str> = hooks
        .as_array()
        .unwrap()
        .iter()
        .map(|hook| hook["id"].as_str().unwrap())
        .collect();
    let repo = &config["repos"][0];
    assert_eq!(repo["repo"], "https://github.com/dynalint/dynalint");
    assert!(repo["rev"].is_string());
    for hook in repo["hooks"].as_array().unwrap() {
        assert!(ids.contains(&hook["id"].as_str().unwrap()), "{hook}");
    }
    assert_eq!(
        ids,
        [
            "dynalint",
            "dynalint-system",
            "dynalint-fix",
            "dynalint-fix-system"
        ]
    );
    let block = blocks("yaml")
        .into_iter()
        .find(|block| block.contains("repos:"))
        .unwrap();
    assert!(block.contains("- id: dynalint-system"));
    assert!(block.contains("- id: dynalint-fix "));
    let fix = &hooks[2];
    assert_eq!(fix["entry"], "dynalint check --fix");
    assert_eq!(fix["files"], hooks[0]["files"]);
}

#[test]
fn the_fixing_section_shows_what_diff_prints_on_the_demo() {
    let [diff] = blocks("diff").try_into().expect("one diff block");
    let run = crate::common::Run::of({
        let mut command = crate::common::dynalint(&project_root());
        command.args(["check", "--repo", "fixtures/demo", "--diff"]);
        command
    });
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, diff);
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("```text\n{}```", run.stderr)),
        "the README lacks what --diff says on stderr:\n{}",
        run.stderr
    );
}

#[test]
fn the_application_uses_the_plugin_by_its_name_and_parameters() {
    let application = block_with("kind: Application");
    let plugin = parse(&read("plugin.yaml"));
    let source = &application["spec"]["source"];
    assert_eq!(
        source["plugin"]["name"],
        format!(
            "{}-{}",
            plugin["metadata"]["name"].as_str().unwrap(),
            plugin["spec"]["version"].as_str().unwrap()
        )
    );
    let declared: Vec<&str> = plugin["spec"]["parameters"]["static"]
        .as_array()
        .unwrap()
        .iter()
        .map(|parameter| parameter["name"].as_str().unwrap())
        .collect();
    for parameter in source["plugin"]["parameters"].as_array().unwrap() {
        assert!(declared.contains(&parameter["name"].as_str().unwrap()));
    }
    // The path is one the plugin discovers, in the namespace it deploys to.
    let path = source["path"].as_str().unwrap();
    assert!(path.ends_with("/dynamo-tables"));
    let namespace = application["spec"]["destination"]["namespace"]
        .as_str()
        .unwrap();
    assert!(path.contains(&format!("/apps/{namespace}/")));
    // The chart's default the README quotes is the plugin's.
    let chart = plugin["spec"]["parameters"]["static"]
        .as_array()
        .unwrap()
        .iter()
        .find(|parameter| parameter["name"] == "chart")
        .unwrap();
    assert_eq!(chart["string"], ".");
    assert!(
        blocks("yaml")
            .iter()
            .any(|block| block.contains("# default: `.`, a chart in the folder"))
    );
}
