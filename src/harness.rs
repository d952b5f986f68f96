//! The whole pipeline in memory, from bytes to every output format: what the fuzzer
//! (`fuzz/`) and the property tests drive. A base and a head values file (of the same
//! namespace, with a workload whose role they may grant) are read, checked, paired and
//! reported; nothing touches the disk.

use crate::config::Config;
use crate::pipeline;
use crate::report::{self, Format, RenderContext};
use crate::snapshot::MemoryTree;
use crate::source::Scope;

const VALUES: &str = "apps-fuzz/apps/fuzz-dev/dynamo-tables/values.yaml";
const WORKLOAD: &str = "apps-fuzz/apps/fuzz-dev/api/Chart.yaml";
const CHART: &str =
    "apiVersion: v2\nname: api\ndependencies:\n  - name: idp-advanced\n    version: 1.0.0\n";

/// What one run produced: the number of findings and every format's bytes.
pub struct Outcome {
    pub findings: usize,
    pub outputs: Vec<(Format, Vec<u8>)>,
}

/// Lints `head` as a values file, compared with `base` when given, and renders the
/// report in every format. Never panics on any input: that is what is tested.
pub fn run(base: Option<&[u8]>, head: &[u8]) -> Outcome {
    let config = Config::default();
    let tree = |values: &[u8]| {
        MemoryTree::new()
            .with(VALUES, values.to_vec())
            .with(WORKLOAD, CHART)
    };
    let head_tree = tree(head);
    let base_tree = base.map(tree);
    let run = pipeline::run(pipeline::Input {
        config: &config,
        head: &head_tree,
        base: base_tree.as_ref().map(|tree| pipeline::Base {
            snapshot: tree,
            config: None,
            label: "base".into(),
        }),
        scope: &Scope::everything(),
        focus: false,
        new_only: false,
    });
    let Ok(pipeline::Run {
        report, sources, ..
    }) = run
    else {
        return Outcome {
            findings: 0,
            outputs: Vec::new(),
        };
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
    Outcome {
        findings: report.findings.len(),
        outputs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
