//! The whole pipeline in memory, from bytes to every output format: what the fuzzer
//! (`fuzz/`) and the property tests drive. A base and a head values file (of the same
//! namespace, with a workload whose role they may grant) are read, checked, paired and
//! reported; nothing touches the disk.

use crate::config::Config;
use crate::fix;
use crate::pipeline;
use crate::report::{self, Format, RenderContext};
use crate::snapshot::MemoryTree;
use crate::source::Scope;

const VALUES: &str = "apps-fuzz/apps/fuzz-dev/dynamo-tables/values.yaml";
/// A second release, the same on both sides, that a configuration may stop checking.
const OTHER: &str = "apps-fuzz/apps/fuzz-prod/dynamo-tables/values.yaml";
const OTHER_VALUES: &str = "tables:\n  - name: Ledger\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [api-fuzz-prod]\n";
const WORKLOAD: &str = "apps-fuzz/apps/fuzz-dev/api/Chart.yaml";
const CHART: &str =
    "apiVersion: v2\nname: api\ndependencies:\n  - name: idp-advanced\n    version: 1.0.0\n";
const DEFAULTS: &str = "helm/helm-idp-dynamodb/values.yaml";

/// What one run produced: the number of findings and every format's bytes.
pub struct Outcome {
    pub findings: usize,
    pub outputs: Vec<(Format, Vec<u8>)>,
    /// The fixes `--fix --unsafe-fixes` applied.
    pub fixes: usize,
}

/// One side of a change: its values file, and optionally its `dynalint.toml` and chart
/// defaults.
#[derive(Clone, Copy, Default)]
pub struct Side<'a> {
    pub values: &'a [u8],
    pub config: Option<&'a [u8]>,
    pub defaults: Option<&'a [u8]>,
}

impl<'a> Side<'a> {
    /// Up to three parts separated by NUL: values, `dynalint.toml`, chart defaults.
    pub fn split(data: &'a [u8]) -> Side<'a> {
        let mut parts = data.splitn(3, |byte| *byte == 0);
        Side {
            values: parts.next().unwrap_or_default(),
            config: parts.next(),
            defaults: parts.next(),
        }
    }

    fn tree(&self) -> MemoryTree {
        let mut tree = MemoryTree::new()
            .with(VALUES, self.values.to_vec())
            .with(OTHER, OTHER_VALUES)
            .with(WORKLOAD, CHART);
        if let Some(config) = self.config {
            tree = tree.with("dynalint.toml", config.to_vec());
        }
        if let Some(defaults) = self.defaults {
            tree = tree.with(DEFAULTS, defaults.to_vec());
        }
        tree
    }

    /// The side's configuration: `None` when it has none; `Err` when it does not parse.
    fn config(&self) -> Result<Option<Config>, ()> {
        let Some(bytes) = self.config else {
            return Ok(None);
        };
        let text = std::str::from_utf8(bytes).map_err(|_| ())?;
        Config::parse(text, "dynalint.toml")
            .map(Some)
            .map_err(|_| ())
    }
}

/// Lints `head` as a values file, compared with `base` when given, and renders the
/// report in every format. Never panics on any input: that is what is tested.
pub fn run(base: Option<&[u8]>, head: &[u8]) -> Outcome {
    run_sides(
        base.map(|values| Side {
            values,
            ..Side::default()
        }),
        Side {
            values: head,
            ..Side::default()
        },
    )
}

/// As [`run`], with each side's configuration and chart defaults too (the base read with
/// its own, as `check --base` reads it). A head configuration that does not parse is
/// the CLI's exit 2: nothing to render.
pub fn run_sides(base: Option<Side<'_>>, head: Side<'_>) -> Outcome {
    let nothing = || Outcome {
        findings: 0,
        outputs: Vec::new(),
        fixes: 0,
    };
    let Ok(head_config) = head.config() else {
        return nothing();
    };
    let config = head_config.unwrap_or_default();
    // A base configuration that does not parse: the head's applies, as in the CLI.
    let base_config = base.map(|base| base.config().ok().map(Option::unwrap_or_default));
    let head_tree = head.tree();
    let base_tree = base.map(|base| base.tree());
    let scope = Scope::everything();
    let input = pipeline::Input {
        config: &config,
        head: &head_tree,
        base: base_tree.as_ref().map(|tree| pipeline::Base {
            snapshot: tree,
            config: base_config.as_ref().and_then(Option::as_ref),
            label: "base".into(),
        }),
        scope: &scope,
        focus: false,
        new_only: true,
    };
    let run = pipeline::run(input.clone());
    let Ok(pipeline::Run {
        report, sources, ..
    }) = run
    else {
        return nothing();
    };
    let context = RenderContext {
        sources: &sources,
        color: true,
        fails: true,
        repository_prefix: String::new(),
        blob_url: Some("https://github.com/acme/gitops/blob/head".into()),
        base_blob_url: Some("https://github.com/acme/gitops/blob/base".into()),
        comment_key: "fuzz".into(),
    };
    let outputs = Format::ALL
        .into_iter()
        .map(|format| {
            let mut out = Vec::new();
            report::render(format, &report, &context, &mut out).expect("writing to memory");
            (format, out)
        })
        .collect();
    // Every fix, applied until nothing more applies: whatever the input, what it writes
    // parses (each fix is checked to read as intended), and the loop ends.
    let fixes = if report.every_finding().any(|item| item.fix.is_some()) {
        let outcome = fix::run(input, true).expect("the same input ran once already");
        for changed in &outcome.fixed.changed {
            let text = String::from_utf8(changed.after.clone()).expect("fixes write UTF-8");
            assert!(
                crate::yaml::load(text.trim_start_matches('\u{feff}'), &config.limits.yaml).is_ok(),
                "a fix wrote YAML that does not parse: {text:?}"
            );
        }
        outcome.fixed.applied
    } else {
        0
    };
    Outcome {
        findings: report.findings.len(),
        outputs,
        fixes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_and_the_chart_defaults_vary_on_each_side() {
        // The change that once panicked: the head stops checking a file the base checked.
        let values = b"tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [api-fuzz-dev]\n";
        let outcome = run_sides(
            Some(Side::split(values)),
            Side {
                values,
                config: Some(b"exclude = [\"apps-fuzz/apps/fuzz-dev/**\"]\n"),
                defaults: Some(b"deletionPolicy: Orphan\n"),
            },
        );
        assert_eq!(outcome.outputs.len(), 7);
        let json = String::from_utf8_lossy(&outcome.outputs[1].1).into_owned();
        assert!(json.contains("\"rule\": \"DL007\""), "{json}");
        let split = Side::split(b"tables: []\0include = [1]\0x: 1");
        assert_eq!(split.config, Some(b"include = [1]".as_slice()));
        assert_eq!(
            run_sides(None, split).outputs.len(),
            0,
            "a broken configuration"
        );
    }

    #[test]
    fn a_change_goes_through_every_format() {
        let base = b"tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [api-fuzz-dev]\n";
        let outcome = run(Some(base), b"tables: []\n");
        assert_eq!(outcome.findings, 1, "the deletion");
        assert_eq!(outcome.outputs.len(), 7);
        let json = &outcome.outputs[1].1;
        assert!(String::from_utf8_lossy(json).contains("\"rule\": \"DL301\""));
    }
}
