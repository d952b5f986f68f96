//! The chart's values as a typed model: one [`Release`] per values file, its
//! [`Table`]s, their keys, indexes and grants. Every field a rule can blame carries the
//! span of its value and of its key.
//!
//! Building never fails: the schema stage has already reported values of the wrong
//! type, so a field that cannot be read is simply absent here, and a table without the
//! fields every rule relies on (name, hashKey) is kept aside as an [`InvalidTable`].

use std::collections::{BTreeMap, BTreeSet};

use crate::source::{FileId, Site};
use crate::span::{Span, Spanned};

mod lower;

pub use lower::{ReleaseInput, build_release};

pub const DEFAULT_REGION: &str = "eu-west-1";

/// The top-level keys with a documented default (`Control`, `Delete`, [`DEFAULT_REGION`]),
/// read when the repository has no chart `values.yaml`.
pub const DOCUMENTED_DEFAULTS: &[&str] = &["managementPolicies", "deletionPolicy", "region"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManagementPolicy {
    Control,
    Observe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletionPolicy {
    Delete,
    Orphan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BillingMode {
    PayPerRequest,
    Provisioned,
}

impl BillingMode {
    /// As the chart writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
            BillingMode::Provisioned => "PROVISIONED",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Projection {
    All,
    KeysOnly,
    Include,
}

impl Projection {
    pub fn as_str(self) -> &'static str {
        match self {
            Projection::All => "ALL",
            Projection::KeysOnly => "KEYS_ONLY",
            Projection::Include => "INCLUDE",
        }
    }
}

/// A release-level setting: its value and where it was written (in the values file or
/// the chart's defaults); no site when dynalint's documented default applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub site: Option<Site>,
}

/// One values file: one Helm release of the chart.
#[derive(Clone, Debug)]
pub struct Release {
    pub file: FileId,
    pub path: String,
    pub namespace: String,
    pub management: Setting<ManagementPolicy>,
    pub deletion: Setting<DeletionPolicy>,
    pub region: Setting<String>,
    /// The `tables:` key, where removals are reported.
    pub tables_key: Option<Site>,
    pub tables: Vec<Table>,
    /// Tables that failed the schema or lack a name or hashKey: excluded from the table
    /// rules (their problems are already reported), kept for pairing across revisions.
    pub invalid_tables: Vec<InvalidTable>,
}

impl Release {
    /// Whether Crossplane only observes this release's resources (adoption, import).
    pub fn observed(&self) -> bool {
        self.management.value == ManagementPolicy::Observe
    }

    /// Whether removing a table from this release deletes it in AWS. The chart adds
    /// `Delete` to the management policies with `deletionPolicy: Delete`, under
    /// `Observe` as under `Control` (Crossplane's `[Observe, Delete]` observes a
    /// resource and deletes it with its managed resource).
    pub fn deletes_removed_tables(&self) -> bool {
        self.deletion.value == DeletionPolicy::Delete
    }

    /// Moves the tables at `positions` (in `tables:`) to the invalid tables: out of the
    /// table rules, still paired across revisions.
    pub fn set_aside(&mut self, positions: &BTreeSet<usize>) {
        let (aside, kept): (Vec<Table>, Vec<Table>) = std::mem::take(&mut self.tables)
            .into_iter()
            .partition(|table| positions.contains(&table.position));
        self.tables = kept;
        self.invalid_tables
            .extend(aside.into_iter().map(|table| InvalidTable {
                file: table.file,
                position: table.position,
                span: table.span,
                id: Some(table.id.clone()),
                table: Some(table),
                complete: true,
            }));
        self.invalid_tables.sort_by_key(|table| table.position);
    }
}

/// The AWS identity of a table: its name and region.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId {
    pub name: String,
    pub region: String,
}

impl std::fmt::Display for TableId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.name)
    }
}

/// How the chart names a table in AWS (`[naming]` in dynalint.toml).
#[derive(Clone, Debug)]
pub struct Naming {
    pub table: String,
    pub prefix: String,
}

impl Naming {
    /// The AWS table name of a table.
    pub fn table_name(&self, namespace: &str, name: &str, use_prefix: bool) -> String {
        let prefix = if use_prefix { self.prefix.as_str() } else { "" };
        self.table
            .replace("{prefix}", prefix)
            .replace("{namespace}", namespace)
            .replace("{name}", name)
    }

    /// What the AWS names of `namespace`'s tables look like, whatever their `name`:
    /// [`NameShape::fits`] tells whether a table of that namespace could have a name.
    pub fn shape(&self, namespace: &str) -> NameShape {
        let parts: Vec<&str> = self.table.split("{name}").collect();
        let [before, after] = parts[..] else {
            return NameShape { around: None };
        };
        let around = [self.prefix.as_str(), ""].map(|prefix| {
            let render = |part: &str| {
                part.replace("{prefix}", prefix)
                    .replace("{namespace}", namespace)
            };
            (render(before), render(after))
        });
        NameShape {
            around: Some(around),
        }
    }
}

/// The text around `{name}` in a namespace's AWS table names, with and without prefix;
/// none when the template does not name it exactly once (then anything fits).
pub struct NameShape {
    around: Option<[(String, String); 2]>,
}

impl NameShape {
    /// What a fitting name starts with, with and without prefix; none: anything fits.
    pub fn starts(&self) -> Option<[&str; 2]> {
        let [(with, _), (without, _)] = self.around.as_ref()?;
        Some([with.as_str(), without.as_str()])
    }

    pub fn fits(&self, table: &str) -> bool {
        let Some(around) = &self.around else {
            return true;
        };
        around.iter().any(|(before, after)| {
            table.len() >= before.len() + after.len()
                && table.starts_with(before.as_str())
                && table.ends_with(after.as_str())
        })
    }
}

/// One values file of a revision, as the diff and the change rules see it.
#[derive(Clone, Debug)]
pub struct ValuesFile {
    pub id: FileId,
    pub path: String,
    /// The git blob id of its content, when it was computed or known.
    pub content: Option<git2::Oid>,
    /// Its release's index in [`Values::releases`]; none when the file could not be read
    /// as a release (a DL001 finding, or values that are not a mapping).
    pub release: Option<usize>,
    /// The namespace the release is installed in (its tables' AWS names follow it).
    pub namespace: String,
    /// The namespace its path names, when Argo CD deploys it to another one.
    pub path_namespace: Option<String>,
}

/// The values of one revision, read: its releases and its values files. The diff pairs
/// two of them; the change rules compare them.
#[derive(Debug, Default)]
pub struct Values {
    /// Shared with the other revision where a file is the same on both sides.
    pub releases: Vec<std::sync::Arc<Release>>,
    /// Every values file read, sorted by path (with a focus, not all of them).
    pub files: Vec<ValuesFile>,
    /// What the files were read with (the chart's schema and defaults, the
    /// configuration): a file reads the same in two revisions only when this is equal.
    pub read_with: String,
}

impl Values {
    pub fn file(&self, path: &str) -> Option<&ValuesFile> {
        let index = self
            .files
            .binary_search_by(|file| file.path.as_str().cmp(path))
            .ok()?;
        Some(&self.files[index])
    }

    /// Whether both revisions read values files alike: with the same chart schema and
    /// defaults, and the same configuration.
    pub fn reads_alike(&self, other: &Values) -> bool {
        self.read_with == other.read_with
    }

    /// Keeps only the releases `keep` accepts; the files of the others keep no release
    /// (they are not compared), and every other file its own.
    pub fn retain_releases(&mut self, keep: impl Fn(&Release) -> bool) {
        let mut kept = Vec::with_capacity(self.releases.len());
        let mut moved: Vec<Option<usize>> = Vec::with_capacity(self.releases.len());
        for release in std::mem::take(&mut self.releases) {
            if keep(&release) {
                moved.push(Some(kept.len()));
                kept.push(release);
            } else {
                moved.push(None);
            }
        }
        self.releases = kept;
        for file in &mut self.files {
            file.release = file.release.and_then(|index| moved[index]);
        }
    }

    pub fn release_at(&self, path: &str) -> Option<&Release> {
        self.release_file(path)?
            .release
            .map(|index| &*self.releases[index])
    }

    /// The values file of the release that `path` holds in another revision: the file
    /// itself, or its `values.yaml`/`values.yml` twin in the same folder (renaming one to
    /// the other keeps the release).
    pub fn release_file(&self, path: &str) -> Option<&ValuesFile> {
        self.file(path).or_else(|| self.file(&release_twin(path)?))
    }
}

/// The other name of a release's values file in its folder: `values.yaml` for
/// `values.yml`, and back; `None` for other names.
pub fn release_twin(path: &str) -> Option<String> {
    let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
    let twin = match name {
        "values.yaml" => "values.yml",
        "values.yml" => "values.yaml",
        _ => return None,
    };
    Some(if folder.is_empty() {
        twin.to_string()
    } else {
        format!("{folder}/{twin}")
    })
}

/// Whether two values files' paths are one Helm release: the same file, or `values.yaml`
/// and `values.yml` of one folder.
pub fn same_release(left: &str, right: &str) -> bool {
    left == right || release_twin(left).is_some_and(|twin| twin == right)
}

#[derive(Clone, Debug)]
pub struct InvalidTable {
    pub file: FileId,
    pub position: usize,
    pub span: Span,
    pub id: Option<TableId>,
    /// What could be read of it despite its schema errors, when it has a name (its
    /// hashKey may be empty): enough to notice that it is removed, not to compare its
    /// settings.
    pub table: Option<Table>,
    /// `table` was read in full: the table is set aside only because its schema
    /// problems stand as errors, and its settings can be compared with a head that reads
    /// it without them.
    pub complete: bool,
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: Spanned<String>,
    /// `S`, `N` or `B` as written; absent when not a string.
    pub kind: Option<Spanned<String>>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Index {
    pub name: Spanned<String>,
    pub span: Span,
    /// GSIs only; an LSI's partition key is the table's.
    pub hash_key: Option<Spanned<String>>,
    pub range_key: Option<Spanned<String>>,
    pub projection: Option<Spanned<Projection>>,
    pub non_key: Vec<Spanned<String>>,
    /// The `nonKeyAttributes:` key, when written.
    pub non_key_key: Option<Span>,
    pub read_capacity: Option<Spanned<u64>>,
    pub write_capacity: Option<Spanned<u64>>,
}

impl Index {
    /// Where this index differs from `before` in what defines it (its keys, projection
    /// or projected attributes): the first such value, else the line that removed it
    /// (the index's name, where the removed field was).
    pub fn changed_span(&self, before: &Index) -> Span {
        fn text<T: std::fmt::Debug>(value: &Option<Spanned<T>>) -> Option<String> {
            value.as_ref().map(|value| format!("{:?}", value.value))
        }
        let fields = [
            (
                text(&self.hash_key),
                text(&before.hash_key),
                self.hash_key.as_ref().map(|key| key.span),
            ),
            (
                text(&self.range_key),
                text(&before.range_key),
                self.range_key.as_ref().map(|key| key.span),
            ),
            (
                text(&self.projection),
                text(&before.projection),
                self.projection.as_ref().map(|value| value.span),
            ),
        ];
        for (now, then, span) in fields {
            if now != then {
                return span.unwrap_or(self.name.span);
            }
        }
        let names = |index: &Index| -> BTreeSet<String> {
            index
                .non_key
                .iter()
                .map(|name| name.value.clone())
                .collect()
        };
        let (now, then) = (names(self), names(before));
        if now != then {
            // The first attribute added, else the list that lost one.
            return self
                .non_key
                .iter()
                .find(|name| !then.contains(&name.value))
                .map(|name| name.span)
                .or(self.non_key_key)
                .unwrap_or(self.name.span);
        }
        self.name.span
    }

    /// What defines the index in AWS, comparable across tables and revisions: name,
    /// keys, projection and projected attributes.
    pub fn signature(&self) -> String {
        let mut non_key: Vec<&str> = self
            .non_key
            .iter()
            .map(|name| name.value.as_str())
            .collect();
        non_key.sort_unstable();
        format!(
            "{} {}/{} {}{}",
            self.name.value,
            self.hash_key.as_ref().map_or("-", |key| key.value.as_str()),
            self.range_key
                .as_ref()
                .map_or("-", |key| key.value.as_str()),
            self.projection
                .as_ref()
                .map_or("?", |projection| projection.value.as_str()),
            if non_key.is_empty() {
                String::new()
            } else {
                format!(" ({})", non_key.join(","))
            }
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexKind {
    Local,
    Global,
}

impl IndexKind {
    pub fn field(self) -> &'static str {
        match self {
            IndexKind::Local => "localSecondaryIndex",
            IndexKind::Global => "globalSecondaryIndex",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            IndexKind::Local => "LSI",
            IndexKind::Global => "GSI",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Ttl {
    pub key: Span,
    pub attribute: Option<Spanned<String>>,
    pub enabled: Option<Spanned<bool>>,
}

/// A list of role names and where the list's key is.
#[derive(Clone, Debug, Default)]
pub struct Grants {
    pub key: Option<Span>,
    pub roles: Vec<Spanned<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn field(self) -> &'static str {
        match self {
            Access::Read => "serviceAccountReadRoles",
            Access::Write => "serviceAccountWriteRoles",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Table {
    pub file: FileId,
    /// Index in the release's `tables` list.
    pub position: usize,
    /// The table's mapping; it starts at its first key.
    pub span: Span,
    pub name: Spanned<String>,
    pub use_idp_prefix: Option<Spanned<bool>>,
    pub id: TableId,
    /// The table's own `region`, when it overrides the release's.
    pub region: Option<Spanned<String>>,
    pub hash_key: Spanned<String>,
    pub range_key: Option<Spanned<String>>,
    pub attributes_key: Option<Span>,
    pub attributes: Vec<Attribute>,
    pub billing_mode: Option<Spanned<BillingMode>>,
    pub read_capacity: Option<Spanned<u64>>,
    pub write_capacity: Option<Spanned<u64>>,
    pub lsi_key: Option<Span>,
    pub lsis: Vec<Index>,
    pub gsi_key: Option<Span>,
    pub gsis: Vec<Index>,
    pub read: Grants,
    pub write: Grants,
    pub pitr: Option<Spanned<bool>>,
    pub backup: Option<Spanned<bool>>,
    pub ttl: Option<Ttl>,
    pub stream: Option<Spanned<String>>,
    pub deletion_protection: Option<Spanned<bool>>,
    /// Tag keys and values (values as written, for comparing).
    pub tags: BTreeMap<String, String>,
    /// The values of fields that misspell `hashKey` or `rangeKey` (DL002's): the
    /// attributes they name are meant as keys.
    pub misspelled_keys: Vec<String>,
}

impl Table {
    pub fn site(&self, span: Span) -> Site {
        Site::new(self.file, span)
    }

    /// Where the table is named: its `name` value.
    pub fn name_site(&self) -> Site {
        self.site(self.name.span)
    }

    pub fn billing(&self) -> BillingMode {
        self.billing_mode
            .as_ref()
            .map_or(BillingMode::PayPerRequest, |mode| mode.value)
    }

    pub fn pitr_enabled(&self) -> bool {
        self.pitr.as_ref().is_none_or(|pitr| pitr.value)
    }

    pub fn indexes(&self) -> impl Iterator<Item = (IndexKind, &Index)> {
        self.lsis
            .iter()
            .map(|index| (IndexKind::Local, index))
            .chain(self.gsis.iter().map(|index| (IndexKind::Global, index)))
    }

    pub fn grants(&self, access: Access) -> &Grants {
        match access {
            Access::Read => &self.read,
            Access::Write => &self.write,
        }
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|attribute| attribute.name.value == name)
    }

    /// Its declared attributes as (name, type) pairs; a type that is not text reads as
    /// empty (its schema finding says why).
    pub fn attribute_set(&self) -> BTreeSet<(String, String)> {
        self.attributes
            .iter()
            .map(|attribute| {
                (
                    attribute.name.value.clone(),
                    attribute
                        .kind
                        .as_ref()
                        .map_or_else(String::new, |kind| kind.value.clone()),
                )
            })
            .collect()
    }

    /// Names of the table's and its indexes' key attributes.
    pub fn key_attributes(&self) -> BTreeSet<&str> {
        let mut keys = BTreeSet::from([self.hash_key.value.as_str()]);
        keys.extend(self.range_key.iter().map(|key| key.value.as_str()));
        for (_, index) in self.indexes() {
            keys.extend(index.hash_key.iter().map(|key| key.value.as_str()));
            keys.extend(index.range_key.iter().map(|key| key.value.as_str()));
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::yaml::{Limits, load};

    fn release(text: &str, defaults: Option<&str>, invalid: &[usize]) -> Release {
        let root = load(text, &Limits::default()).unwrap().root;
        let defaults = defaults.map(|text| load(text, &Limits::default()).unwrap().root);
        let config = Config::default();
        let mut release = build_release(&ReleaseInput {
            file: FileId(0),
            path: "apps-koa/apps/koa-dev/dynamo-tables/values.yaml",
            namespace: "koa-dev",
            root: &root,
            defaults: defaults.as_ref().map(|node| (FileId(1), node)),
            naming: &config.naming,
        });
        release.set_aside(&invalid.iter().copied().collect());
        release
    }

    const ORDERS: &str = "\
region: eu-central-1
tables:
  - name: Orders
    useIdpPrefix: true
    hashKey: CustomerId
    rangeKey: OrderDate
    attributes:
      - name: CustomerId
        type: 'S'
      - name: OrderDate
        type: 'S'
      - name: Status
        type: 'S'
    localSecondaryIndex:
      - name: StatusIndex
        rangeKey: Status
        projectionType: ALL
        nonKeyAttributes: []
    serviceAccountReadRoles: [\"reader-koa-dev\"]
  - name: Plain
    hashKey: Id
    region: us-east-1
    attributes: [{name: Id, type: 'S'}]
";

    #[test]
    fn reads_tables_with_identity_and_spans() {
        let release = release(ORDERS, None, &[]);
        assert_eq!(release.management.value, ManagementPolicy::Control);
        assert!(release.deletes_removed_tables());
        assert_eq!(release.tables.len(), 2);
        let orders = &release.tables[0];
        assert_eq!(
            orders.id,
            TableId {
                name: "idp-koa-dev-Orders".into(),
                region: "eu-central-1".into()
            }
        );
        assert_eq!(&ORDERS[orders.hash_key.span.range()], "CustomerId");
        assert_eq!(&ORDERS[orders.hash_key.key.range()], "hashKey");
        assert_eq!(
            orders.lsis[0].projection.as_ref().unwrap().value,
            Projection::All
        );
        assert_eq!(orders.read.roles[0].value, "reader-koa-dev");
        assert_eq!(
            orders.key_attributes().into_iter().collect::<Vec<_>>(),
            ["CustomerId", "OrderDate", "Status"]
        );
        let plain = &release.tables[1];
        assert_eq!(plain.id.name, "koa-dev-Plain");
        assert_eq!(plain.id.region, "us-east-1");
    }

    #[test]
    fn invalid_tables_are_kept_aside_with_their_identity() {
        let release = release(ORDERS, None, &[1]);
        assert_eq!(release.tables.len(), 1);
        assert_eq!(release.invalid_tables[0].position, 1);
        assert_eq!(
            release.invalid_tables[0].id.as_ref().unwrap().name,
            "koa-dev-Plain"
        );
        let nameless = self::release("tables:\n  - hashKey: Id\n", None, &[]);
        assert!(nameless.tables.is_empty());
        assert!(nameless.invalid_tables[0].id.is_none());
    }

    #[test]
    fn chart_defaults_fill_unset_top_level_keys() {
        let defaults = "deletionPolicy: Orphan\nmanagementPolicies: Observe\nregion: us-west-2\n";
        let release = release(
            "managementPolicies: Control\ntables: []\n",
            Some(defaults),
            &[],
        );
        assert_eq!(release.management.value, ManagementPolicy::Control);
        assert_eq!(release.management.site.unwrap().file, FileId(0));
        assert_eq!(release.deletion.value, DeletionPolicy::Orphan);
        assert_eq!(release.deletion.site.unwrap().file, FileId(1));
        assert_eq!(release.region.value, "us-west-2");
        // An explicit null removes the default; dynalint's own default applies.
        let nulled = self::release("deletionPolicy: null\n", Some(defaults), &[]);
        assert_eq!(nulled.deletion.value, DeletionPolicy::Delete);
        assert!(nulled.deletion.site.is_none());
    }
}
