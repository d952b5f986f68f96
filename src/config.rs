//! `dynalint.toml`: strict (an unknown key is an error that names it), validated once,
//! then merged with command-line flags by the caller.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::model::Naming;
use crate::rule_meta::{RuleStatus, RuleStatuses, Severity};
use crate::rules;
use crate::suppress::Ignore;
use crate::yaml;

pub const CONFIG_FILES: [&str; 2] = ["dynalint.toml", ".dynalint.toml"];
pub const DEFAULT_INCLUDE: [&str; 2] = [
    "apps-*/apps/*/dynamo-tables/values.yaml",
    "apps-*/apps/*/dynamo-tables/values.yml",
];
pub const DEFAULT_WORKLOADS: [&str; 1] = ["apps-*/apps/*/*/Chart.yaml"];
pub const DEFAULT_CHART_SCHEMA: &str = "helm/helm-idp-dynamodb/values.schema.json";
pub const DEFAULT_CHART_DEFAULTS: &str = "helm/helm-idp-dynamodb/values.yaml";
pub const DEFAULT_TABLE_TEMPLATE: &str = "{prefix}{namespace}-{name}";
pub const DEFAULT_ROLE_TEMPLATE: &str = "{application}-{namespace}";

/// The lowest severity that makes the run fail (exit 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Note => true,
            FailOn::Never => false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    // Not `source`: the reason is part of this one-line message, not a cause to repeat.
    #[error("{path}: cannot read: {error}")]
    Read { path: String, error: std::io::Error },
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    fail_on: Option<FailOn>,
    namespaces: Option<BTreeMap<String, String>>,
    naming: Option<RawNaming>,
    roles: Option<RawRoles>,
    rules: Option<BTreeMap<String, String>>,
    ignore: Option<Vec<String>>,
    suppressions: Option<RawSuppressions>,
    chart: Option<RawChart>,
    limits: Option<RawLimits>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawNaming {
    table: Option<String>,
    prefix: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRoles {
    known: Option<Vec<String>>,
    workloads: Option<Vec<String>>,
    workload_chart: Option<String>,
    template: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSuppressions {
    require_reason: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawChart {
    schema: Option<String>,
    defaults: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    max_file_size: Option<ByteSize>,
    max_depth: Option<usize>,
    max_nodes: Option<usize>,
    max_files: Option<usize>,
    max_gsis: Option<usize>,
    max_policies_per_role: Option<usize>,
}

/// `max-file-size`: a number of bytes, or a size such as `"4MiB"`.
#[derive(Debug)]
enum ByteSize {
    Bytes(u64),
    Text(String),
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ByteSize;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a number of bytes, or a size such as \"4MiB\"")
            }

            fn visit_u64<E: serde::de::Error>(self, bytes: u64) -> Result<ByteSize, E> {
                Ok(ByteSize::Bytes(bytes))
            }

            fn visit_i64<E: serde::de::Error>(self, bytes: i64) -> Result<ByteSize, E> {
                u64::try_from(bytes)
                    .map(ByteSize::Bytes)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(bytes), &self))
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ByteSize, E> {
                Ok(ByteSize::Text(text.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[derive(Clone, Debug)]
pub struct Roles {
    /// Role names or glob patterns that exist whatever the repository says.
    pub known: Vec<String>,
    pub known_set: GlobSet,
    pub workload_patterns: Vec<String>,
    pub workloads: GlobSet,
    /// The chart whose workloads create a role.
    pub workload_chart: String,
    pub template: String,
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_file_size: u64,
    pub max_files: usize,
    pub yaml: yaml::Limits,
    /// The account's adjustable quotas, for the rules.
    pub quotas: rules::Quotas,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 4 * 1024 * 1024,
            max_files: 50_000,
            yaml: yaml::Limits::default(),
            quotas: rules::Quotas::default(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// Where the configuration came from, when a file was read.
    pub source: Option<PathBuf>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub values: Selection,
    pub fail_on: Option<FailOn>,
    pub namespaces: Vec<(globset::GlobMatcher, String)>,
    /// The namespace the values files under a folder are deployed to, whatever their
    /// path says (`dynalint argocd generate`: the Application's namespace).
    pub deployed_namespace: Option<(String, String)>,
    pub naming: Naming,
    pub roles: Roles,
    pub rules: BTreeMap<&'static str, RuleStatus>,
    pub ignores: Vec<Ignore>,
    pub require_reason: bool,
    pub chart_schema: String,
    pub chart_defaults: String,
    pub limits: Limits,
    /// Every setting as written (defaults filled in): two revisions read with equal
    /// fingerprints read an identical file identically, so one can reuse the other's.
    pub fingerprint: String,
}

/// Include and exclude globs, compiled.
#[derive(Clone, Debug)]
pub struct Selection {
    include: GlobSet,
    exclude: GlobSet,
}

impl Selection {
    pub fn matches(&self, path: &str) -> bool {
        self.include.is_match(path) && !self.exclude.is_match(path)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::from_raw(RawConfig::default(), "defaults").expect("the defaults are valid")
    }
}

impl Config {
    /// The configuration file at the repository root, if there is one.
    pub fn discover(root: &Path) -> Option<PathBuf> {
        CONFIG_FILES
            .iter()
            .map(|name| root.join(name))
            .find(|path| path.is_file())
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: display.clone(),
            error,
        })?;
        let mut config = Config::parse(&text, &display)?;
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            let location = error
                .span()
                .map(|span| {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!(":{line}")
                })
                .unwrap_or_default();
            ConfigError::Invalid {
                path: format!("{path}{location}"),
                message: error.message().trim().replace('\n', " "),
            }
        })?;
        Config::from_raw(raw, path)
    }

    fn from_raw(raw: RawConfig, path: &str) -> Result<Config, ConfigError> {
        let fingerprint = format!("{raw:?}");
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_string(),
            message,
        };
        let include = raw
            .include
            .unwrap_or_else(|| DEFAULT_INCLUDE.map(String::from).to_vec());
        let exclude = raw.exclude.unwrap_or_default();
        let values = Selection {
            include: glob_set(&include, "include").map_err(invalid)?,
            exclude: glob_set(&exclude, "exclude").map_err(invalid)?,
        };

        let mut namespaces = Vec::new();
        for (pattern, namespace) in raw.namespaces.unwrap_or_default() {
            let glob = GlobBuilder::new(&pattern)
                .literal_separator(true)
                .build()
                .map_err(|error| {
                    invalid(format!(
                        "[namespaces] `{pattern}` is not a valid glob: {error}"
                    ))
                })?;
            namespaces.push((glob.compile_matcher(), namespace));
        }

        let raw_naming = raw.naming.unwrap_or_default();
        let naming = Naming {
            table: raw_naming
                .table
                .unwrap_or_else(|| DEFAULT_TABLE_TEMPLATE.to_string()),
            prefix: raw_naming.prefix.unwrap_or_else(|| "idp-".to_string()),
        };
        check_template(
            &naming.table,
            &["prefix", "namespace", "name"],
            "naming.table",
        )
        .map_err(invalid)?;
        if !naming.table.contains("{name}") {
            return Err(invalid(
                "naming.table must contain `{name}`, or every table would get the same AWS name"
                    .to_string(),
            ));
        }

        let raw_roles = raw.roles.unwrap_or_default();
        let known = raw_roles.known.unwrap_or_default();
        let workloads = raw_roles
            .workloads
            .unwrap_or_else(|| DEFAULT_WORKLOADS.map(String::from).to_vec());
        let roles = Roles {
            known_set: glob_set(&known, "roles.known").map_err(invalid)?,
            known,
            workloads: glob_set(&workloads, "roles.workloads").map_err(invalid)?,
            workload_patterns: workloads,
            workload_chart: raw_roles
                .workload_chart
                .unwrap_or_else(|| "idp-advanced".to_string()),
            template: raw_roles
                .template
                .unwrap_or_else(|| DEFAULT_ROLE_TEMPLATE.to_string()),
        };
        check_template(
            &roles.template,
            &["application", "namespace"],
            "roles.template",
        )
        .map_err(invalid)?;

        let mut rule_settings = BTreeMap::new();
        for (key, value) in raw.rules.unwrap_or_default() {
            let rule = rules::find(&key).ok_or_else(|| {
                invalid(format!(
                    "[rules] unknown rule `{key}`{}",
                    did_you_mean_rule(&key)
                ))
            })?;
            let setting = match value.as_str() {
                "off" => RuleStatus::Off,
                other => RuleStatus::Severity(Severity::parse(other).ok_or_else(|| {
                    invalid(format!(
                        "[rules] {key} = \"{other}\": expected \"off\", \"error\", \"warning\" or \"note\""
                    ))
                })?),
            };
            rule_settings.insert(rule.code, setting);
        }

        let mut ignores = Vec::new();
        for entry in raw.ignore.unwrap_or_default() {
            ignores.push(parse_ignore(&entry).map_err(invalid)?);
        }

        let raw_limits = raw.limits.unwrap_or_default();
        let defaults = Limits::default();
        let limits = Limits {
            max_file_size: match raw_limits.max_file_size {
                None => defaults.max_file_size,
                Some(ByteSize::Bytes(bytes)) => bytes,
                Some(ByteSize::Text(text)) => parse_byte_size(&text).ok_or_else(|| {
                    invalid(format!(
                        "limits.max-file-size = \"{text}\": expected bytes, or a size such as \"4MiB\""
                    ))
                })?,
            },
            max_files: raw_limits.max_files.unwrap_or(defaults.max_files),
            yaml: yaml::Limits {
                max_depth: raw_limits.max_depth.unwrap_or(defaults.yaml.max_depth),
                max_nodes: raw_limits.max_nodes.unwrap_or(defaults.yaml.max_nodes),
            },
            quotas: rules::Quotas {
                max_gsis: raw_limits.max_gsis.unwrap_or(defaults.quotas.max_gsis),
                max_policies_per_role: raw_limits
                    .max_policies_per_role
                    .unwrap_or(defaults.quotas.max_policies_per_role),
            },
        };
        if limits.quotas.max_policies_per_role == 0 {
            return Err(invalid(
                "limits.max-policies-per-role must be at least 1".to_string(),
            ));
        }
        if limits.yaml.max_depth < 8 {
            return Err(invalid(
                "limits.max-depth must be at least 8: values files nest 6 levels deep".to_string(),
            ));
        }

        let chart = raw.chart.unwrap_or_default();
        // The chart files are read and may be quoted in findings: they must be files of
        // the repository, never a way to print the CI runner's other files.
        for (key, path) in [
            ("chart.schema", &chart.schema),
            ("chart.defaults", &chart.defaults),
        ] {
            if let Some(path) = path
                && !crate::snapshot::is_repository_path(path)
            {
                return Err(invalid(format!(
                    "{key} = \"{path}\": must be a path inside the repository (relative, without `..`)"
                )));
            }
        }
        Ok(Config {
            fingerprint,
            source: None,
            include,
            exclude,
            values,
            fail_on: raw.fail_on,
            namespaces,
            deployed_namespace: None,
            naming,
            roles,
            rules: rule_settings,
            ignores,
            require_reason: raw
                .suppressions
                .and_then(|suppressions| suppressions.require_reason)
                .unwrap_or(false),
            chart_schema: chart
                .schema
                .unwrap_or_else(|| DEFAULT_CHART_SCHEMA.to_string()),
            chart_defaults: chart
                .defaults
                .unwrap_or_else(|| DEFAULT_CHART_DEFAULTS.to_string()),
            limits,
        })
    }

    /// The namespace of a values file or workload: a configured override, else the
    /// directory under `apps/`.
    pub fn namespace(&self, path: &str) -> Option<String> {
        if let Some((folder, namespace)) = &self.deployed_namespace
            && crate::source::Scope::paths(vec![folder.clone()]).contains(path)
        {
            return Some(namespace.clone());
        }
        self.path_namespace(path)
    }

    /// The namespace a values file's path names (or `[namespaces]` maps it to).
    pub fn path_namespace(&self, path: &str) -> Option<String> {
        if let Some((_, namespace)) = self
            .namespaces
            .iter()
            .find(|(matcher, _)| matcher.is_match(path))
        {
            return Some(namespace.clone());
        }
        namespace_from_path(path).map(str::to_string)
    }

    /// Every rule's status under this configuration (computed once per run).
    pub fn rule_statuses(&self) -> RuleStatuses {
        RuleStatuses::new(self.rules.clone())
    }
}

/// `apps-koa/apps/koa-dev/dynamo-tables/values.yaml` -> `koa-dev`.
pub fn namespace_from_path(path: &str) -> Option<&str> {
    let mut segments = path.split('/');
    while let Some(segment) = segments.next() {
        if segment == "apps" {
            return segments.next().filter(|namespace| !namespace.is_empty());
        }
    }
    None
}

fn glob_set(patterns: &[String], key: &str) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|error| format!("{key}: `{pattern}` is not a valid glob: {error}"))?;
        builder.add(glob);
    }
    builder.build().map_err(|error| format!("{key}: {error}"))
}

fn check_template(template: &str, allowed: &[&str], key: &str) -> Result<(), String> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("{key} = \"{template}\": unclosed `{{`"))?;
        let placeholder = &after[..close];
        if !allowed.contains(&placeholder) {
            let known: Vec<String> = allowed.iter().map(|name| format!("{{{name}}}")).collect();
            return Err(format!(
                "{key} = \"{template}\": unknown placeholder `{{{placeholder}}}` (known: {})",
                known.join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

fn did_you_mean_rule(key: &str) -> String {
    let candidates = rules::all().flat_map(|rule| [rule.code, rule.name]);
    match crate::suggest::closest(key, candidates) {
        Some(best) => format!("; did you mean `{best}`?"),
        None => String::new(),
    }
}

fn parse_ignore(entry: &str) -> Result<Ignore, String> {
    let invalid = || format!("ignore: `{entry}` is not `path:line` or `path:line:RULE[,RULE...]`");
    let (head, last) = entry.rsplit_once(':').ok_or_else(invalid)?;
    // Paths are repository-relative; `./a/values.yaml` means `a/values.yaml`.
    let head = head.trim_start_matches("./");
    let (path, line, rule_list) = match last.parse::<usize>() {
        Ok(line) => (head, line, None),
        Err(_) => {
            let (path, line) = head.rsplit_once(':').ok_or_else(invalid)?;
            (path, line.parse().map_err(|_| invalid())?, Some(last))
        }
    };
    if line == 0 || path.is_empty() {
        return Err(invalid());
    }
    let mut rules = Vec::new();
    for key in rule_list.into_iter().flat_map(|list| list.split(',')) {
        let key = key.trim();
        let rule = rules::find(key)
            .ok_or_else(|| format!("ignore: `{entry}` names unknown rule `{key}`"))?;
        rules.push(rule.code);
    }
    Ok(Ignore {
        path: path.to_string(),
        line,
        rules,
    })
}

fn parse_byte_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|character: char| !character.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let multiplier = match unit.trim() {
        "" | "B" => 1,
        "KB" => 1_000,
        "KiB" => 1 << 10,
        "MB" => 1_000_000,
        "MiB" => 1 << 20,
        "GB" => 1_000_000_000,
        "GiB" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        Config::parse(text, "dynalint.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults() {
        let config = Config::default();
        assert!(
            config
                .values
                .matches("apps-koa/apps/koa-dev/dynamo-tables/values.yaml")
        );
        assert!(
            config
                .values
                .matches("apps-koa/apps/koa-dev/dynamo-tables/values.yml")
        );
        assert!(
            !config
                .values
                .matches("apps-koa/apps/koa-dev/other/dynamo-tables/values.yaml")
        );
        assert_eq!(
            config.naming.table_name("koa-dev", "Orders", true),
            "idp-koa-dev-Orders"
        );
        assert_eq!(
            config.naming.table_name("koa-dev", "Orders", false),
            "koa-dev-Orders"
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        assert_eq!(
            error("includes = []\n"),
            "dynalint.toml:1: unknown field `includes`, expected one of `include`, `exclude`, `fail-on`, `namespaces`, `naming`, `roles`, `rules`, `ignore`, `suppressions`, `chart`, `limits`"
        );
        assert!(
            error("[roles]\nknwon = []\n").starts_with("dynalint.toml:2: unknown field `knwon`")
        );
        assert_eq!(
            error("[rules]\nDL999 = \"off\"\n"),
            "dynalint.toml: [rules] unknown rule `DL999`"
        );
        assert_eq!(
            error("[rules]\npitr-disable = \"off\"\n"),
            "dynalint.toml: [rules] unknown rule `pitr-disable`; did you mean `pitr-disabled`?"
        );
    }

    #[test]
    fn rules_ignores_and_limits() {
        let config = Config::parse(
            concat!(
                "ignore = [\"a/values.yaml:12\", \"b/values.yaml:3:DL102,pitr-disabled\"]\n",
                "[rules]\nDL205 = \"off\"\npitr-disabled = \"error\"\n",
                "[limits]\nmax-file-size = \"1MiB\"\n",
            ),
            "dynalint.toml",
        )
        .unwrap();
        assert_eq!(config.rules["DL205"], RuleStatus::Off);
        assert_eq!(config.rules["DL112"], RuleStatus::Severity(Severity::Error));
        assert_eq!(
            config.ignores,
            [
                Ignore {
                    path: "a/values.yaml".into(),
                    line: 12,
                    rules: vec![]
                },
                Ignore {
                    path: "b/values.yaml".into(),
                    line: 3,
                    rules: vec!["DL102", "DL112"]
                },
            ]
        );
        assert_eq!(config.limits.max_file_size, 1 << 20);
        assert!(error("ignore = [\"a/values.yaml\"]\n").contains("is not `path:line`"));
        assert_eq!(
            Config::parse("ignore = [\"./a/values.yaml:3\"]\n", "t")
                .unwrap()
                .ignores[0]
                .path,
            "a/values.yaml"
        );
        assert_eq!(
            error("[limits]\nmax-file-size = -1\n"),
            "dynalint.toml:2: invalid value: integer `-1`, expected a number of bytes, or a size such as \"4MiB\""
        );
        assert!(error("[rules]\nDL205 = \"loud\"\n").contains("expected \"off\""));
    }

    #[test]
    fn chart_paths_stay_in_the_repository() {
        assert!(
            error("[chart]\ndefaults = \"/tmp/secret/creds.yaml\"\n").contains(
                "chart.defaults = \"/tmp/secret/creds.yaml\": must be a path inside the repository"
            )
        );
        assert!(
            error("[chart]\nschema = \"../secret.json\"\n")
                .contains("must be a path inside the repository")
        );
        assert!(
            Config::parse(
                "[chart]\nschema = \"charts/dynamo/values.schema.json\"\n",
                "t"
            )
            .is_ok()
        );
    }

    #[test]
    fn templates_are_checked() {
        assert!(
            error("[naming]\ntable = \"{prefix}{ns}-{name}\"\n")
                .contains("unknown placeholder `{ns}`")
        );
        assert!(error("[naming]\ntable = \"{namespace}\"\n").contains("must contain `{name}`"));
    }

    #[test]
    fn namespaces() {
        let config = Config::parse(
            "[namespaces]\n\"apps-x/apps/legacy/**\" = \"legacy-prod\"\n",
            "dynalint.toml",
        )
        .unwrap();
        assert_eq!(
            config
                .namespace("apps-x/apps/legacy/dynamo-tables/values.yaml")
                .as_deref(),
            Some("legacy-prod")
        );
        assert_eq!(
            config
                .namespace("apps-koa/apps/koa-dev/dynamo-tables/values.yaml")
                .as_deref(),
            Some("koa-dev")
        );
        assert_eq!(config.namespace("values.yaml"), None);
    }
}
