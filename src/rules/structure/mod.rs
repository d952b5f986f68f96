//! DL0xx: problems of the file itself. The loader hands each file's raw problems to
//! these rules as data ([`FileContext`]); the rules turn them into findings.

use crate::finding::Finding;
use crate::model::{Release, TableId};
use crate::schema::Violation;
use crate::source::{FileId, Site, SourceFile};
use crate::span::Span;
use crate::yaml::{DuplicateKey, Located, Node, YamlError};

pub mod duplicate_key;
pub mod namespace_mismatch;
pub mod schema_violation;
pub mod unused_suppression;
pub mod values_file_unchecked;
pub mod yaml_syntax;
pub mod yaml_type_trap;

/// Why a file could not be read as YAML at all.
pub enum ReadProblem {
    TooLarge {
        size: u64,
        limit: u64,
    },
    LinkOutside {
        target: String,
    },
    BrokenLink {
        target: String,
    },
    Unreadable(std::io::Error),
    /// `offset`: where the first invalid byte starts, in the text decoded with U+FFFD.
    NotUtf8 {
        offset: u32,
    },
    Syntax(YamlError),
    /// A workload's `Chart.yaml` that cannot be read: the role it may create is unknown.
    Workload {
        span: Span,
        reason: String,
    },
}

/// One file as the structure rules see it: why it could not be read, or its tree.
pub struct FileContext<'a> {
    pub file: FileId,
    pub problem: Option<&'a ReadProblem>,
    /// A values file that parsed.
    pub values: Option<&'a ValuesContext<'a>>,
}

/// The structure rules' findings on one file. A finding that makes a table unreadable
/// for the other rules (a schema problem) records the table's position: the pipeline
/// leaves the table out of the table rules while such a finding stands as an error.
#[derive(Default)]
pub struct FileFindings {
    pub findings: Vec<Finding>,
    /// (position in `tables`, index in `findings`).
    pub unreadable_tables: Vec<(usize, usize)>,
}

impl FileFindings {
    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// A finding that makes the table at `position` unreadable.
    pub fn push_unreadable_table(&mut self, position: usize, finding: Finding) {
        self.unreadable_tables.push((position, self.findings.len()));
        self.findings.push(finding);
    }
}

/// A parsed values file with what findings about it need: where a JSON pointer is
/// written (in the file, or in the chart's defaults), which table it belongs to, and
/// how to name it in a message; and the raw problems found while reading it.
pub struct ValuesContext<'a> {
    pub file: FileId,
    pub source: &'a SourceFile,
    pub root: &'a Node,
    pub defaults: Option<(FileId, &'a Node)>,
    pub release: &'a Release,
    /// The schema the values were checked against, for help texts.
    pub schema: &'a crate::schema::Origin,
    /// What the schema rejects in the values, as Helm reads them (defaults merged in).
    pub violations: &'a [Violation],
    pub duplicates: &'a [DuplicateKey],
    /// Where a second YAML document starts (Helm ignores it).
    pub extra_document: Option<Span>,
    /// The file has no YAML document, or only an empty one.
    pub empty: bool,
}

impl<'a> ValuesContext<'a> {
    /// The node at a pointer: in the values file, else in the chart's defaults.
    pub fn locate(&self, pointer: &str) -> Option<(FileId, Located<'a>)> {
        if let Some(located) = self.root.lookup(pointer) {
            return Some((self.file, located));
        }
        let (file, defaults) = self.defaults?;
        defaults.lookup(pointer).map(|located| (file, located))
    }

    /// The position in `tables` a pointer lies under.
    pub fn table_position(pointer: &str) -> Option<usize> {
        pointer
            .strip_prefix("/tables/")?
            .split('/')
            .next()?
            .parse()
            .ok()
    }

    pub fn table_id(&self, pointer: &str) -> Option<TableId> {
        let position = Self::table_position(pointer)?;
        // Both lists are in file order: a binary search, as a file may hold thousands.
        let tables = &self.release.tables;
        if let Ok(index) = tables.binary_search_by_key(&position, |table| table.position) {
            return Some(tables[index].id.clone());
        }
        let invalid = &self.release.invalid_tables;
        let index = invalid
            .binary_search_by_key(&position, |table| table.position)
            .ok()?;
        invalid[index].id.clone()
    }

    /// The start of the file, for problems that have no better place.
    pub fn file_start(&self) -> Site {
        Site::new(self.file, Span::at(0))
    }

    /// `` `billingMode` of table `Orders` ``, `` `attributes[1].type` of table `Orders` ``,
    /// `` `managementPolicies` ``, `the values` (root).
    pub fn describe(&self, pointer: &str) -> String {
        let segments: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|segment| crate::yaml::unescape_pointer(segment).into_owned())
            .collect();
        if segments.is_empty() {
            return "the values".to_string();
        }
        let (field_segments, table) = match segments.as_slice() {
            [tables, position, rest @ ..] if tables == "tables" => {
                let label = self.table_id(&format!("/tables/{position}")).map_or_else(
                    || {
                        format!(
                            "table #{}",
                            position.parse::<usize>().map_or(0, |index| index + 1)
                        )
                    },
                    |id| format!("table `{}`", id.name),
                );
                (rest, Some(label))
            }
            all => (all, None),
        };
        let mut field = String::new();
        for segment in field_segments {
            if segment.parse::<usize>().is_ok() {
                field.push_str(&format!("[{segment}]"));
            } else {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(segment);
            }
        }
        match (field.is_empty(), table) {
            (true, Some(table)) => table,
            (false, Some(table)) => format!("`{field}` of {table}"),
            (_, None) => format!("`{field}`"),
        }
    }

    /// The first line of a mapping (where "this table" is), or its span if not a mapping.
    pub fn first_line(&self, node: &Node) -> Span {
        match node.as_map().and_then(|entries| entries.first()) {
            Some(first) => Span::new(
                first.key_span.start,
                first.value.span.end.max(first.key_span.end),
            )
            .min_line(self.source),
            None => node.span.min_line(self.source),
        }
    }
}

trait SingleLine {
    fn min_line(self, source: &SourceFile) -> Span;
}

impl SingleLine for Span {
    /// Cut a span at the end of its first line.
    fn min_line(self, source: &SourceFile) -> Span {
        let line = source.position(self.start).line;
        let line_end = source.line_span(line).end;
        Span::new(self.start, self.end.min(line_end).max(self.start))
    }
}
