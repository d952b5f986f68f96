//! Load one revision: discover its values files, read and parse each once, check it
//! against the chart schema as Helm would see it (chart defaults merged in), and lower
//! it to the model. Files are independent and processed in parallel; one bad file yields
//! findings and never hides the others.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::config::Config;
use crate::finding::Finding;
use crate::model::{self, Release, Values, ValuesFile};
use crate::parallel;
use crate::roles::KnownRoles;
use crate::rules::{
    self,
    structure::{FileContext, FileFindings, ReadProblem, ValuesContext},
};
use crate::schema::{self, ChartSchema};
use crate::snapshot::{Content, GitTree, Listing, PathFilter, Snapshot};
use crate::source::{FileId, Scope, Side, SourceFile, Sources, strip_bom};
use crate::span::Span;
use crate::suppress::{self, Suppression};
use crate::workloads;
use crate::yaml::{self, Node};

/// One revision, parsed and lowered.
pub struct Revision {
    /// Its releases and values files: what the diff and the change rules see.
    pub values: Values,
    pub roles: KnownRoles,
    /// The structure rules' findings (DL001–DL004) on its files.
    pub findings: Vec<Finding>,
    /// Each file's findings in [`Revision::findings`], in the order of `values.files`.
    file_findings: Vec<FileSlice>,
    pub suppressions: Vec<Suppression>,
    /// How many values files the revision has, read or not.
    pub listed: usize,
    /// Symbolic links to folders outside the repository, not followed.
    pub links_out: Vec<String>,
    /// The workloads read whose blob id is known, by path, for the other revision to
    /// reuse when its blob is the same.
    workloads: std::collections::HashMap<String, (git2::Oid, WorkloadChart)>,
    /// Where its listed files stand, for the next reading of the same listing.
    layout: Arc<Layout>,
}

/// Where a listing's files stand under a configuration: the values files, with their
/// namespaces, and the workloads; for focused loads also the shape of each namespace's
/// AWS table names and the role each workload's path names. Computed once per listing:
/// the language server's lints of one repository share it.
struct Layout {
    /// The configuration (and `also`) it was computed under.
    key: String,
    /// The listed files, sorted.
    listing: Vec<String>,
    /// The values files' indexes in `listing`.
    values: Vec<usize>,
    /// Each values file's namespace.
    namespaces: Vec<String>,
    /// The workloads' indexes in `listing`.
    workloads: Vec<usize>,
    /// What only a focused load asks, computed when it first does.
    focus: std::sync::OnceLock<FocusIndex>,
}

/// A layout's index for focused loads: which files' tables could clash with a name, and
/// which roles the workloads create.
struct FocusIndex {
    /// The shape of the AWS names of each values file's namespace.
    shapes: Vec<model::NameShape>,
    /// The values files (positions in `values`) by namespace.
    by_namespace: HashMap<String, Vec<usize>>,
    /// The values files by what their namespace's AWS names start with.
    by_start: HashMap<String, Vec<usize>>,
    /// The values files whose names can be anything.
    any_name: Vec<usize>,
    /// The role each workload's path names, in the order of `workloads`.
    roles: Vec<Option<String>>,
    /// The roles some workload's path names.
    possible_roles: HashSet<String>,
}

impl FocusIndex {
    fn new(config: &Config, layout: &Layout) -> FocusIndex {
        let shapes: Vec<model::NameShape> = layout
            .namespaces
            .iter()
            .map(|namespace| config.naming.shape(namespace))
            .collect();
        let mut by_namespace: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_start: HashMap<String, Vec<usize>> = HashMap::new();
        let mut any_name = Vec::new();
        for (position, (namespace, shape)) in layout.namespaces.iter().zip(&shapes).enumerate() {
            by_namespace
                .entry(namespace.clone())
                .or_default()
                .push(position);
            let Some(starts) = shape.starts() else {
                any_name.push(position);
                continue;
            };
            for start in starts {
                let files = by_start.entry(start.to_string()).or_default();
                if files.last() != Some(&position) {
                    files.push(position);
                }
            }
        }
        let roles: Vec<Option<String>> = layout
            .workloads
            .iter()
            .map(|index| workloads::path_role(&layout.listing[*index], config))
            .collect();
        let possible_roles = roles.iter().flatten().cloned().collect();
        FocusIndex {
            shapes,
            by_namespace,
            by_start,
            any_name,
            roles,
            possible_roles,
        }
    }
}

impl Layout {
    fn new(
        config: &Config,
        listing: Vec<String>,
        also: &[String],
        key: String,
    ) -> Result<Layout, LoadError> {
        let also: HashSet<&str> = also.iter().map(String::as_str).collect();
        // A file read for the other revision only is read when its namespace is known.
        let values: Vec<usize> = (0..listing.len())
            .filter(|index| {
                let path = &listing[*index];
                config.values.matches(path)
                    || (also.contains(path.as_str()) && config.namespace(path).is_some())
            })
            .collect();
        if values.len() > config.limits.max_files {
            return Err(LoadError::TooManyFiles {
                count: values.len(),
                limit: config.limits.max_files,
            });
        }
        let namespaces = values
            .iter()
            .map(|index| {
                let path = &listing[*index];
                config
                    .namespace(path)
                    .ok_or_else(|| LoadError::NoNamespace { path: path.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let workloads = (0..listing.len())
            .filter(|index| config.roles.workloads.is_match(listing[*index].as_str()))
            .collect();
        Ok(Layout {
            key,
            listing,
            values,
            namespaces,
            workloads,
            focus: std::sync::OnceLock::new(),
        })
    }

    fn focus(&self, config: &Config) -> &FocusIndex {
        self.focus.get_or_init(|| FocusIndex::new(config, self))
    }
}

/// One values file's part of [`Revision::findings`].
#[derive(Clone)]
struct FileSlice {
    findings: std::ops::Range<usize>,
    /// (position in `tables:`, index in `findings`) of the findings that make a table
    /// unreadable (see [`FileFindings`]).
    unreadable_tables: Vec<(usize, usize)>,
}

impl Revision {
    /// `file`'s part of [`Revision::findings`].
    fn findings_of(&self, file: &ValuesFile) -> &FileSlice {
        let index = self
            .values
            .files
            .binary_search_by(|other| other.path.as_str().cmp(&file.path))
            .expect("a file of this revision");
        &self.file_findings[index]
    }

    /// Leaves out of the table rules each table with a finding that makes it unreadable
    /// and `stands` (is still an error once the settings and suppressions apply); the
    /// other tables go on to every rule.
    pub fn set_aside_unreadable_tables(&mut self, stands: impl Fn(&Finding) -> bool) {
        let Revision {
            values,
            findings,
            file_findings,
            ..
        } = self;
        for (file, slice) in values.files.iter().zip(file_findings.iter()) {
            let Some(release) = file.release else {
                continue;
            };
            let positions: BTreeSet<usize> = slice
                .unreadable_tables
                .iter()
                .filter(|(_, index)| stands(&findings[slice.findings.start + index]))
                .map(|(position, _)| *position)
                .collect();
            if !positions.is_empty() {
                Arc::make_mut(&mut values.releases[release]).set_aside(&positions);
            }
        }
    }
}

impl Revision {
    /// The blob id of every values file and workload read with `hash_contents`, by path:
    /// what a later reading of the same files can reuse.
    pub fn content_ids(&self) -> impl Iterator<Item = (&str, git2::Oid)> {
        let files = self
            .values
            .files
            .iter()
            .filter_map(|file| Some((file.path.as_str(), file.content?)));
        let workloads = self
            .workloads
            .iter()
            .map(|(path, (content, _))| (path.as_str(), *content));
        files.chain(workloads)
    }
}

/// How to load a revision.
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    /// Compute the blob id of every values file and workload read, and keep what the
    /// other revision can reuse.
    pub hash_contents: bool,
    /// Another revision whose readings of identical files (same blob, same chart and
    /// configuration) are reused instead of parsing them again.
    pub reuse: Option<&'a Revision>,
    /// Where to read the chart's schema and defaults from, when not from the revision
    /// itself (a base revision whose chart is broken is read with the head's).
    pub chart: Option<&'a dyn Snapshot>,
    /// Only these values files are reported (`dynalint check FILE`, pre-commit): they
    /// are read, and of the others only those that can change what is said about them
    /// (see [`context_needed`]).
    pub focus: Option<&'a Scope>,
    /// Values files read even where the configuration does not select them: the base
    /// reads the files the head checks, so that a file the base's configuration excluded
    /// is paired with its base content, not taken for a new release.
    pub also: &'a [String],
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot list the files of the repository: {0}")]
    List(std::io::Error),
    #[error("{path}: cannot read: {error}")]
    Read { path: String, error: std::io::Error },
    #[error(transparent)]
    Schema(#[from] schema::SchemaError),
    #[error("{path}: the chart's default values cannot be read: {message}")]
    ChartDefaults { path: String, message: String },
    #[error(
        "{path}: no namespace: the path has no `apps/<namespace>/` folder; map it under [namespaces] in dynalint.toml"
    )]
    NoNamespace { path: String },
    #[error(
        "{count} values files match the include globs, more than limits.max-files ({limit}); narrow `include` or raise the limit"
    )]
    TooManyFiles { count: usize, limit: usize },
}

/// The paths a revision's discovery wants: values files (and `also`), workloads and
/// the chart.
fn path_filter(config: &Config, also: &[String]) -> PathFilter {
    let also: Vec<String> = also.iter().map(|path| globset::escape(path)).collect();
    let wanted = config
        .include
        .iter()
        .chain(&config.roles.workload_patterns)
        .chain(&also)
        .map(String::as_str)
        .chain([config.chart_schema.as_str(), config.chart_defaults.as_str()]);
    PathFilter::new(wanted)
}

pub(crate) fn load(
    snapshot: &dyn Snapshot,
    side: Side,
    config: &Config,
    sources: &mut Sources,
    options: Options<'_>,
) -> Result<Revision, LoadError> {
    let Listing {
        files: paths,
        links_out,
    } = snapshot
        .list(&path_filter(config, options.also))
        .map_err(LoadError::List)?;
    // Where the listed files stand: the other revision's layout when it was computed from
    // the same listing under the same configuration (the language server's lints).
    let key = format!(
        "{}\0{:?}\0{:?}",
        config.fingerprint, config.deployed_namespace, options.also
    );
    let layout = match options
        .reuse
        .map(|other| &other.layout)
        .filter(|layout| layout.key == key && layout.listing == paths)
    {
        Some(layout) => Arc::clone(layout),
        None => Arc::new(Layout::new(config, paths, options.also, key)?),
    };
    let values_paths: Vec<&String> = layout
        .values
        .iter()
        .map(|index| &layout.listing[*index])
        .collect();
    let namespaces = &layout.namespaces;

    let chart_snapshot = options.chart.unwrap_or(snapshot);
    let schema_text = read_text(chart_snapshot, &config.chart_schema, config)?;
    let defaults_text = read_text(chart_snapshot, &config.chart_defaults, config)?;
    let chart = git2::Oid::hash_object(
        git2::ObjectType::Blob,
        format!(
            "{}\0{}",
            schema_text.as_deref().unwrap_or(""),
            defaults_text.as_deref().unwrap_or("")
        )
        .as_bytes(),
    )
    .map_err(|error| LoadError::Read {
        path: config.chart_schema.clone(),
        error: std::io::Error::other(error.message().to_string()),
    })?;
    let from_repository;
    let chart_schema: &ChartSchema = match schema_text {
        Some(text) => {
            from_repository = ChartSchema::from_repository(&text, &config.chart_schema)?;
            &from_repository
        }
        None => ChartSchema::embedded_shared(),
    };
    let defaults = match defaults_text {
        Some(text) => {
            let document = yaml::load(&text, &config.limits.yaml).map_err(|error| {
                let line = text[..error.span.start as usize].matches('\n').count() + 1;
                LoadError::ChartDefaults {
                    path: format!("{}:{line}", config.chart_defaults),
                    message: error.message,
                }
            })?;
            let id = sources.add(SourceFile::new(config.chart_defaults.clone(), side, text));
            Some((id, document.root))
        }
        None => None,
    };
    let defaults_json = defaults.as_ref().map(|(_, root)| root.to_json());

    // Files identical to the other revision's (same blob under the same chart, read
    // with the same configuration) are shared with it: the same source, release and
    // findings; only the others are read and parsed.
    let read_with = format!(
        "{chart}\0{}\0{:?}",
        config.fingerprint, config.deployed_namespace
    );
    let reuse = options
        .reuse
        .filter(|other| other.values.read_with == read_with);
    let known = parallel::map(&values_paths, |_, path| snapshot.content_id(path));
    let same: Vec<Option<&ValuesFile>> = values_paths
        .iter()
        .zip(&known)
        .map(|(path, content)| {
            let content = (*content)?;
            reuse?
                .values
                .file(path)
                .filter(|file| file.content == Some(content))
        })
        .collect();
    let mut to_parse: Vec<usize> = (0..values_paths.len())
        .filter(|index| same[*index].is_none())
        .filter(|index| {
            options
                .focus
                .is_none_or(|focus| focus.contains(values_paths[*index]))
        })
        .collect();

    let first_id = sources.len() as u32;
    let shared = FileReader {
        config,
        schema: chart_schema,
        defaults: defaults.as_ref().map(|(id, root)| (*id, root)),
        defaults_json: defaults_json.as_ref(),
        side,
        hash_contents: options.hash_contents,
    };
    let parse = |first: usize, indexes: &[usize]| {
        parallel::map(indexes, |order, &index| {
            let path = values_paths[index];
            let content = snapshot.read(path, config.limits.max_file_size);
            let mut outcome = shared.values_file(
                FileId(first_id + (first + order) as u32),
                path,
                &namespaces[index],
                content,
            );
            outcome.content = outcome.content.or(known[index]);
            outcome
        })
    };
    let mut parsed = parse(0, &to_parse);

    let mut workload_paths: Vec<&String> = layout
        .workloads
        .iter()
        .map(|index| &layout.listing[*index])
        .collect();
    if options.focus.is_some() {
        let index = layout.focus(config);
        let mut context = context_needed(&layout, index, &to_parse, &parsed);
        // A file of the context that reads as the other revision read it is reused, not
        // parsed again (the language server's files that are not open).
        context.values.retain(|index| same[*index].is_none());
        parsed.extend(parse(to_parse.len(), &context.values));
        to_parse.extend(context.values);
        if let Some(granted) = context.roles {
            // An unknown role gets suggestions from every workload: read them all then.
            let all_possible = granted.iter().all(|role| {
                index.possible_roles.contains(role) || config.roles.known_set.is_match(role)
            });
            if all_possible {
                workload_paths = layout
                    .workloads
                    .iter()
                    .zip(&index.roles)
                    .filter(|(_, role)| role.as_ref().is_none_or(|role| granted.contains(role)))
                    .map(|(workload, _)| &layout.listing[*workload])
                    .collect();
            }
        }
    }
    // A workload whose blob is the same in the other revision reads the same.
    let reusable = |path: &str, content: Option<git2::Oid>| {
        let (blob, workload) = reuse?.workloads.get(path)?;
        (content? == *blob && !matches!(workload, WorkloadChart::Unreadable { .. }))
            .then(|| workload.clone())
    };
    let workloads = parallel::map(&workload_paths, |_, path| {
        let content = snapshot.content_id(path);
        match reusable(path, content) {
            Some(workload) => (content, workload),
            None => read_workload(snapshot, path, config, options.hash_contents, content),
        }
    });

    let mut revision = Revision {
        values: Values {
            releases: Vec::new(),
            files: Vec::new(),
            read_with,
        },
        roles: KnownRoles::default(),
        findings: Vec::new(),
        file_findings: Vec::new(),
        suppressions: Vec::new(),
        listed: values_paths.len(),
        links_out,
        workloads: Default::default(),
        layout: Arc::clone(&layout),
    };
    // Sources in the order of their ids; files in the order of their paths.
    type Read = (FileId, Option<git2::Oid>, Option<Release>, FileFindings);
    let mut read: Vec<Option<Read>> = (0..values_paths.len()).map(|_| None).collect();
    for (index, outcome) in to_parse.into_iter().zip(parsed) {
        let id = sources.add(outcome.source);
        debug_assert_eq!(id, outcome.id);
        revision.suppressions.extend(outcome.suppressions);
        read[index] = Some((id, outcome.content, outcome.release, outcome.findings));
    }
    // A file shared with the other revision has its suppressions too: they decide which
    // of its tables are read, in this revision as in the other.
    let mut shared_suppressions: HashMap<FileId, Vec<Suppression>> = HashMap::new();
    if let Some(other) = reuse {
        let shared: HashSet<FileId> = same.iter().flatten().map(|file| file.id).collect();
        for suppression in &other.suppressions {
            if shared.contains(&suppression.file) {
                shared_suppressions
                    .entry(suppression.file)
                    .or_default()
                    .push(suppression.clone());
            }
        }
    }
    for (index, ((path, same), read)) in values_paths.iter().zip(same).zip(read).enumerate() {
        let (id, content, release, findings) = match same {
            None => {
                // A file outside the focus that cannot matter to it is not read at all.
                let Some((id, content, release, findings)) = read else {
                    continue;
                };
                (id, content, release.map(Arc::new), findings)
            }
            Some(other_file) => {
                let other = reuse.expect("reuse is set when a file is the same");
                let release = other_file
                    .release
                    .map(|index| Arc::clone(&other.values.releases[index]));
                if let Some(suppressions) = shared_suppressions.remove(&other_file.id) {
                    revision.suppressions.extend(suppressions);
                }
                let slice = other.findings_of(other_file);
                let findings = FileFindings {
                    findings: other.findings[slice.findings.clone()].to_vec(),
                    unreadable_tables: slice.unreadable_tables.clone(),
                };
                (other_file.id, other_file.content, release, findings)
            }
        };
        let start = revision.findings.len();
        revision.findings.extend(findings.findings);
        revision.file_findings.push(FileSlice {
            findings: start..revision.findings.len(),
            unreadable_tables: findings.unreadable_tables,
        });
        let namespace = &namespaces[index];
        let path_namespace = config
            .path_namespace(path)
            .filter(|named| named != namespace);
        let values = &mut revision.values;
        values.files.push(ValuesFile {
            id,
            path: path.to_string(),
            content,
            release: release.map(|release| {
                values.releases.push(release);
                values.releases.len() - 1
            }),
            namespace: namespace.clone(),
            path_namespace,
        });
    }
    let mut roles = Vec::new();
    for (path, (content, workload)) in workload_paths.iter().zip(workloads) {
        // Kept for the other revision only when it will reuse this one's readings.
        if options.hash_contents
            && let Some(content) = content
        {
            revision
                .workloads
                .insert(path.to_string(), (content, workload.clone()));
        }
        match workload {
            WorkloadChart::Role(role, workload) => roles.push((role, workload)),
            WorkloadChart::Other => {}
            // A workload whose chart cannot be read may create a role nobody sees: say so.
            WorkloadChart::Unreadable { text, span, reason } => {
                let id = sources.add(SourceFile::new(path.as_str(), side, text));
                let found = structure_findings(&FileContext {
                    file: id,
                    problem: Some(&ReadProblem::Workload { span, reason }),
                    values: None,
                });
                revision.findings.extend(found.findings);
            }
        }
    }
    revision.roles = KnownRoles::new(&config.roles.known, &config.roles.known_set, roles);
    Ok(revision)
}

/// What else a focused load must read: the values files that can change what is said
/// about the focus, and the workloads that can create the roles it grants (none: all).
struct FocusNeeds {
    values: Vec<usize>,
    roles: Option<std::collections::HashSet<String>>,
}

/// The context a focused load needs, decided from the focus files' tables and the other
/// files' paths alone. A table elsewhere matters when it shares the focus's namespace
/// (shadow tables) or could have the AWS name of a focus table (duplicates); a workload
/// when its role is granted by a focus table. When a granted role is created by no
/// workload of the repository, every workload is read, for the suggestions.
fn context_needed(
    layout: &Layout,
    index: &FocusIndex,
    focus: &[usize],
    parsed: &[ParsedFile],
) -> FocusNeeds {
    let releases: Vec<&Release> = parsed
        .iter()
        .filter_map(|outcome| outcome.release.as_ref())
        .collect();
    let names: BTreeSet<&str> = releases
        .iter()
        .flat_map(|release| &release.tables)
        .map(|table| table.id.name.as_str())
        .collect();
    // The files of the focus's namespaces, and those whose names could be a focus name:
    // looked up by each name's beginnings, not by trying every file's shape.
    let mut wanted: BTreeSet<usize> = focus
        .iter()
        .flat_map(|file| &index.by_namespace[&layout.namespaces[*file]])
        .copied()
        .collect();
    wanted.extend(&index.any_name);
    for name in &names {
        for end in (0..=name.len()).filter(|end| name.is_char_boundary(*end)) {
            let Some(files) = index.by_start.get(&name[..end]) else {
                continue;
            };
            wanted.extend(files.iter().filter(|file| index.shapes[**file].fits(name)));
        }
    }
    let values = wanted
        .into_iter()
        .filter(|index| !focus.contains(index))
        .collect();
    let granted: std::collections::HashSet<String> = releases
        .iter()
        .flat_map(|release| &release.tables)
        .flat_map(|table| table.read.roles.iter().chain(&table.write.roles))
        .map(|role| role.value.clone())
        .collect();
    FocusNeeds {
        values,
        roles: Some(granted),
    }
}

/// What a workload folder's `Chart.yaml` says: the role it creates, none, or why it
/// cannot be read.
#[derive(Clone)]
enum WorkloadChart {
    Role(String, crate::roles::Workload),
    /// Not a workload of the role-creating chart.
    Other,
    Unreadable {
        text: String,
        span: Span,
        reason: String,
    },
}

/// A workload's `Chart.yaml` read, with its blob id when known or asked for (`hash`).
fn read_workload(
    snapshot: &dyn Snapshot,
    path: &str,
    config: &Config,
    hash: bool,
    content: Option<git2::Oid>,
) -> (Option<git2::Oid>, WorkloadChart) {
    let unreadable = |reason: String| {
        let workload = WorkloadChart::Unreadable {
            text: String::new(),
            span: Span::at(0),
            reason,
        };
        (content, workload)
    };
    let bytes = match snapshot.read(path, config.limits.max_file_size) {
        Ok(Content::Bytes(bytes)) => bytes,
        Ok(Content::TooLarge(size)) => {
            return unreadable(format!("{size} bytes, over limits.max-file-size"));
        }
        Ok(Content::LinkOutside(target)) => {
            return unreadable(format!(
                "a symbolic link to `{target}`, outside the repository"
            ));
        }
        Ok(Content::BrokenLink(target)) => {
            return unreadable(format!("a broken symbolic link to `{target}`"));
        }
        Err(error) => return unreadable(error.to_string()),
    };
    let content = match content {
        None if hash => git2::Oid::hash_object(git2::ObjectType::Blob, &bytes).ok(),
        known => known,
    };
    let Ok(text) = String::from_utf8(strip_bom(&bytes).to_vec()) else {
        return unreadable("not UTF-8".to_string());
    };
    let workload = match workloads::workload_role(path, &text, config) {
        Ok(Some((role, workload))) => WorkloadChart::Role(role, workload),
        Ok(None) => WorkloadChart::Other,
        Err(error) => WorkloadChart::Unreadable {
            text,
            span: error.span,
            reason: error.message,
        },
    };
    (content, workload)
}

/// A file the chart needs (schema, defaults): absent is fine; unreadable is an error.
fn read_text(
    snapshot: &dyn Snapshot,
    path: &str,
    config: &Config,
) -> Result<Option<String>, LoadError> {
    if !snapshot.exists(path) {
        return Ok(None);
    }
    let read_error = |message: String| LoadError::Read {
        path: path.to_string(),
        error: std::io::Error::other(message),
    };
    match snapshot.read(path, config.limits.max_file_size) {
        Ok(Content::Bytes(bytes)) => String::from_utf8(strip_bom(&bytes).to_vec())
            .map(Some)
            .map_err(|_| read_error("not valid UTF-8".to_string())),
        Ok(Content::TooLarge(size)) => Err(read_error(format!(
            "{size} bytes, over limits.max-file-size"
        ))),
        Ok(Content::LinkOutside(target) | Content::BrokenLink(target)) => Err(read_error(format!(
            "symbolic link to `{target}` is not followed"
        ))),
        Err(error) => Err(LoadError::Read {
            path: path.to_string(),
            error,
        }),
    }
}

struct FileReader<'a> {
    config: &'a Config,
    schema: &'a ChartSchema,
    defaults: Option<(FileId, &'a Node)>,
    defaults_json: Option<&'a Json>,
    side: Side,
    hash_contents: bool,
}

struct ParsedFile {
    id: FileId,
    source: SourceFile,
    content: Option<git2::Oid>,
    release: Option<Release>,
    findings: FileFindings,
    suppressions: Vec<Suppression>,
}

/// The structure rules of the registry, over what reading one file found.
fn structure_findings(context: &FileContext<'_>) -> FileFindings {
    let mut out = FileFindings::default();
    for (_, check) in rules::file_checks() {
        check(context, &mut out);
    }
    out
}

impl FileReader<'_> {
    fn values_file(
        &self,
        id: FileId,
        path: &str,
        namespace: &str,
        content: std::io::Result<Content>,
    ) -> ParsedFile {
        let mut outcome = ParsedFile {
            id,
            source: SourceFile::new(path, self.side, String::new()),
            content: None,
            release: None,
            findings: FileFindings::default(),
            suppressions: Vec::new(),
        };
        let unreadable = |problem: ReadProblem| {
            structure_findings(&FileContext {
                file: id,
                problem: Some(&problem),
                values: None,
            })
        };
        let limit = self.config.limits.max_file_size;
        let bytes = match content {
            Ok(Content::Bytes(bytes)) => bytes,
            Ok(Content::TooLarge(size)) => {
                outcome.findings = unreadable(ReadProblem::TooLarge { size, limit });
                return outcome;
            }
            Ok(Content::LinkOutside(target)) => {
                outcome.findings = unreadable(ReadProblem::LinkOutside { target });
                return outcome;
            }
            Ok(Content::BrokenLink(target)) => {
                outcome.findings = unreadable(ReadProblem::BrokenLink { target });
                return outcome;
            }
            Err(error) => {
                outcome.findings = unreadable(ReadProblem::Unreadable(error));
                return outcome;
            }
        };
        if self.hash_contents {
            outcome.content = git2::Oid::hash_object(git2::ObjectType::Blob, &bytes).ok();
        }
        let bytes = strip_bom(&bytes);
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(error) => {
                outcome.source =
                    SourceFile::new(path, self.side, String::from_utf8_lossy(bytes).into_owned());
                outcome.findings = unreadable(ReadProblem::NotUtf8 {
                    offset: error.valid_up_to() as u32,
                });
                return outcome;
            }
        };
        outcome.source = SourceFile::new(path, self.side, text);
        let has_suppressions = outcome.source.text.contains("dynalint:");
        let document = match yaml::load(&outcome.source.text, &self.config.limits.yaml) {
            Ok(document) => document,
            Err(error) => {
                outcome.findings = unreadable(ReadProblem::Syntax(error));
                if has_suppressions {
                    outcome.suppressions = suppress::parse(id, &outcome.source, &[], rules::find);
                }
                return outcome;
            }
        };
        if has_suppressions {
            // Comment-like text inside block scalars is content, not a suppression.
            outcome.suppressions =
                suppress::parse(id, &outcome.source, &document.literal_text, rules::find);
        }

        let mut values = document.root.to_json();
        // Helm reads an empty (or null) values file as no values at all.
        if values.is_null() {
            values = Json::Object(Default::default());
        }
        match self.defaults_json {
            Some(defaults) => coalesce(&mut values, defaults),
            // The documented defaults stand in for the chart's: a null deletes them, as
            // it would delete the chart's.
            None => {
                if let Json::Object(entries) = &mut values {
                    for key in model::DOCUMENTED_DEFAULTS {
                        if entries.get(*key).is_some_and(Json::is_null) {
                            entries.remove(*key);
                        }
                    }
                }
            }
        }
        let violations = self.schema.validate(&values);
        let release = model::build_release(&model::ReleaseInput {
            file: id,
            path,
            namespace,
            root: &document.root,
            defaults: self.defaults,
            naming: &self.config.naming,
        });
        let context = ValuesContext {
            file: id,
            source: &outcome.source,
            root: &document.root,
            defaults: self.defaults,
            release: &release,
            schema: &self.schema.origin,
            violations: &violations,
            duplicates: &document.duplicates,
            extra_document: document.extra_document,
            empty: document.empty,
        };
        outcome.findings = structure_findings(&FileContext {
            file: id,
            problem: None,
            values: Some(&context),
        });
        // Values that are not a mapping have no tables to speak of, not zero tables.
        if document.empty || document.root.as_map().is_some() {
            outcome.release = Some(release);
        }
        outcome
    }
}

/// Helm's coalescing of a release's values over the chart's defaults: mappings merge
/// key by key, anything else in the values wins, and an explicit null removes the
/// default.
pub fn coalesce(values: &mut Json, defaults: &Json) {
    let (Json::Object(values), Json::Object(defaults)) = (values, defaults) else {
        return;
    };
    for (key, default) in defaults {
        match values.get_mut(key) {
            None => {
                values.insert(key.clone(), default.clone());
            }
            Some(Json::Null) => {
                values.remove(key);
            }
            Some(value @ Json::Object(_)) if default.is_object() => coalesce(value, default),
            Some(_) => {}
        }
    }
}

/// The configuration a revision was checked with: its own configuration file at the
/// place of the head's (or found the same way), so that a change to `include`,
/// `[namespaces]` or `[naming]` does not make the revision's tables look different.
/// `None`: the head's applies (a --config outside the repository, or a file that does
/// not parse, which is said).
pub fn revision_config(
    root: &std::path::Path,
    config_path: Option<&std::path::Path>,
    explicit: bool,
    tree: &GitTree,
    head: Option<&GitTree>,
) -> (Option<Config>, Option<String>) {
    let candidates: Vec<String> = match config_path {
        Some(path) => {
            let relative = || -> Option<String> {
                Some(
                    path.canonicalize()
                        .ok()?
                        .strip_prefix(root.canonicalize().ok()?)
                        .ok()?
                        .to_string_lossy()
                        .replace(std::path::MAIN_SEPARATOR, "/"),
                )
            };
            match relative() {
                Some(relative) => vec![relative],
                None => return (None, None),
            }
        }
        None => crate::config::CONFIG_FILES
            .iter()
            .map(ToString::to_string)
            .collect(),
    };
    for candidate in &candidates {
        let Ok(Content::Bytes(bytes)) = tree.read(candidate, 1 << 20) else {
            continue;
        };
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|error| anyhow::anyhow!("{candidate}: {error}"))
            .and_then(|text| Ok(Config::parse(text, candidate)?));
        return match parsed {
            Ok(config) => (Some(config), None),
            Err(error) => (
                None,
                Some(format!(
                    "the base revision's configuration cannot be read ({error:#}); the head's applies to it"
                )),
            ),
        };
    }
    // A --config that the base commit lacks: when the head's commit lacks it too (a file
    // git does not track, written by an earlier step), it applies to both sides — with
    // the defaults the base would match other files, or none, and a deletion would pass
    // as a create. When the head's commit has it, the change adds it: the base had the
    // defaults, and that is said.
    if explicit && config_path.is_some() {
        let candidate = &candidates[0];
        let in_head = head.is_some_and(|head| head.exists(candidate));
        if !in_head {
            return (None, None);
        }
        return (
            Some(Config::default()),
            Some(format!(
                "the base revision has no {candidate} (this change adds it): the base is read with the built-in defaults"
            )),
        );
    }
    // No configuration then: the defaults applied.
    (Some(Config::default()), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coalesce_as_helm() {
        let mut values = json!({"region": null, "tables": [{"name": "A"}], "global": {"a": 1}});
        coalesce(
            &mut values,
            &json!({"region": "eu-west-1", "deletionPolicy": "Delete", "tables": [], "global": {"b": 2}}),
        );
        assert_eq!(
            values,
            json!({"tables": [{"name": "A"}], "deletionPolicy": "Delete", "global": {"a": 1, "b": 2}})
        );
        let mut empty = json!({});
        coalesce(&mut empty, &json!({"tables": []}));
        assert_eq!(empty, json!({"tables": []}));
    }
}
