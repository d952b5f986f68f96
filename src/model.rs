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
use crate::yaml::{Entry, Node, Value};

pub const DEFAULT_REGION: &str = "eu-west-1";

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

    pub fn release_at(&self, path: &str) -> Option<&Release> {
        self.file(path)?.release.map(|index| &*self.releases[index])
    }
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

/// Reads a release from a values file's tree, falling back to the chart's defaults for
/// top-level keys the file does not set (as Helm coalesces them; `tables` is a list, so
/// the file's own list replaces the default one).
pub struct ReleaseInput<'a> {
    pub file: FileId,
    pub path: &'a str,
    pub namespace: &'a str,
    pub root: &'a Node,
    pub defaults: Option<(FileId, &'a Node)>,
    /// Positions of tables with schema errors.
    pub invalid: &'a BTreeSet<usize>,
    pub naming: &'a Naming,
}

pub fn build_release(input: &ReleaseInput<'_>) -> Release {
    let top = |key: &str| -> Option<(FileId, &Entry)> {
        match input.root.entry(key) {
            Some(entry) if entry.value.value != Value::Null => Some((input.file, entry)),
            // An explicit null removes the chart's default, as in Helm.
            Some(_) => None,
            None => input
                .defaults
                .and_then(|(file, defaults)| defaults.entry(key).map(|entry| (file, entry))),
        }
    };
    let management = setting(
        top("managementPolicies"),
        |text| match text {
            "Control" => Some(ManagementPolicy::Control),
            "Observe" => Some(ManagementPolicy::Observe),
            _ => None,
        },
        ManagementPolicy::Control,
    );
    let deletion = setting(
        top("deletionPolicy"),
        |text| match text {
            "Delete" => Some(DeletionPolicy::Delete),
            "Orphan" => Some(DeletionPolicy::Orphan),
            _ => None,
        },
        DeletionPolicy::Delete,
    );
    let region = top("region")
        .and_then(|(file, entry)| {
            Some(Setting {
                value: entry.value.as_str()?.to_string(),
                site: Some(Site::new(file, entry.value.span)),
            })
        })
        .unwrap_or(Setting {
            value: DEFAULT_REGION.to_string(),
            site: None,
        });

    let mut release = Release {
        file: input.file,
        path: input.path.to_string(),
        namespace: input.namespace.to_string(),
        management,
        deletion,
        region,
        tables_key: None,
        tables: Vec::new(),
        invalid_tables: Vec::new(),
    };
    let Some((tables_file, tables_entry)) = top("tables") else {
        // `tables:` with no value declares no table, and is where they went.
        if let Some(entry) = input.root.entry("tables") {
            release.tables_key = Some(Site::new(input.file, entry.key_span));
        }
        return release;
    };
    release.tables_key = Some(Site::new(tables_file, tables_entry.key_span));
    let Some(items) = tables_entry.value.as_seq() else {
        return release;
    };
    release.tables.reserve_exact(items.len());
    for (position, item) in items.iter().enumerate() {
        let reader = TableReader {
            file: tables_file,
            position,
            node: item,
            namespace: input.namespace,
            release_region: &release.region.value,
            naming: input.naming,
        };
        match reader.read(false) {
            Some(table) if !input.invalid.contains(&position) => release.tables.push(table),
            table => release.invalid_tables.push(InvalidTable {
                file: tables_file,
                position,
                span: item.span,
                id: table
                    .as_ref()
                    .map(|table| table.id.clone())
                    .or_else(|| reader.id()),
                table: table.or_else(|| reader.read(true)),
            }),
        }
    }
    release.tables.shrink_to_fit();
    release.invalid_tables.shrink_to_fit();
    release
}

/// A release-level enum setting from its entry, or the documented default.
fn setting<T>(
    found: Option<(FileId, &Entry)>,
    parse: impl Fn(&str) -> Option<T>,
    default: T,
) -> Setting<T> {
    found
        .and_then(|(file, entry)| {
            Some(Setting {
                value: parse(entry.value.as_str()?)?,
                site: Some(Site::new(file, entry.value.span)),
            })
        })
        .unwrap_or(Setting {
            value: default,
            site: None,
        })
}

struct TableReader<'a> {
    file: FileId,
    position: usize,
    node: &'a Node,
    namespace: &'a str,
    release_region: &'a str,
    naming: &'a Naming,
}

impl TableReader<'_> {
    /// The table's AWS identity, when at least its name can be read.
    fn id(&self) -> Option<TableId> {
        let name = string(self.node.entry("name")?)?;
        let prefix = boolean(self.node.entry("useIdpPrefix")).is_some_and(|flag| flag.value);
        let region = string_field(self.node, "region")
            .map(|region| region.value)
            .unwrap_or_else(|| self.release_region.to_string());
        Some(TableId {
            name: self.naming.table_name(self.namespace, &name.value, prefix),
            region,
        })
    }

    /// The table, when its name and hashKey can be read; `lenient` reads one without a
    /// readable hashKey too (an empty one), for a table with schema errors.
    fn read(&self, lenient: bool) -> Option<Table> {
        let node = self.node;
        node.as_map()?;
        let name = string_field(node, "name")?;
        let hash_key = match string_field(node, "hashKey") {
            Some(key) => key,
            None if lenient => Spanned::new(String::new(), name.key, name.span),
            None => return None,
        };
        let id = self.id()?;
        let (attributes_key, attributes) = list(node, "attributes", |item| {
            Some(Attribute {
                name: string_field(item, "name")?,
                kind: string_field(item, "type"),
                span: item.span,
            })
        });
        let (lsi_key, lsis) = list(node, "localSecondaryIndex", read_index);
        let (gsi_key, gsis) = list(node, "globalSecondaryIndex", read_index);
        let ttl = node.entry("ttl").map(|entry| Ttl {
            key: entry.key_span,
            attribute: string_field(&entry.value, "attributeName"),
            enabled: boolean(entry.value.entry("enabled")),
        });
        let tags = node
            .get("tags")
            .and_then(Node::as_map)
            .map(|entries| {
                entries
                    .iter()
                    .map(|entry| {
                        let value = entry
                            .value
                            .as_str()
                            .map_or_else(|| entry.value.to_json().to_string(), str::to_string);
                        (entry.key.clone(), value)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Table {
            file: self.file,
            position: self.position,
            span: node.span,
            name,
            use_idp_prefix: boolean(node.entry("useIdpPrefix")),
            id,
            region: string_field(node, "region"),
            hash_key,
            range_key: string_field(node, "rangeKey"),
            attributes_key,
            attributes,
            billing_mode: enumeration(node, "billingMode", |text| match text {
                "PAY_PER_REQUEST" => Some(BillingMode::PayPerRequest),
                "PROVISIONED" => Some(BillingMode::Provisioned),
                _ => None,
            }),
            read_capacity: number(node, "readCapacity"),
            write_capacity: number(node, "writeCapacity"),
            lsi_key,
            lsis,
            gsi_key,
            gsis,
            read: grants(node, "serviceAccountReadRoles"),
            write: grants(node, "serviceAccountWriteRoles"),
            pitr: boolean(node.entry("pointInTimeRecovery")),
            backup: boolean(node.entry("backup")),
            ttl,
            stream: string_field(node, "streamViewType"),
            deletion_protection: boolean(node.entry("deletionProtection")),
            tags,
        })
    }
}

fn read_index(item: &Node) -> Option<Index> {
    let non_key_entry = item.entry("nonKeyAttributes");
    Some(Index {
        name: string_field(item, "name")?,
        span: item.span,
        hash_key: string_field(item, "hashKey"),
        range_key: string_field(item, "rangeKey"),
        projection: enumeration(item, "projectionType", |text| match text {
            "ALL" => Some(Projection::All),
            "KEYS_ONLY" => Some(Projection::KeysOnly),
            "INCLUDE" => Some(Projection::Include),
            _ => None,
        }),
        non_key: non_key_entry
            .and_then(|entry| entry.value.as_seq())
            .map(|items| exact(items.iter().filter_map(string_item).collect()))
            .unwrap_or_default(),
        non_key_key: non_key_entry.map(|entry| entry.key_span),
        read_capacity: number(item, "readCapacity"),
        write_capacity: number(item, "writeCapacity"),
    })
}

fn string(entry: &Entry) -> Option<Spanned<String>> {
    Some(Spanned::new(
        entry.value.as_str()?.to_string(),
        entry.key_span,
        entry.value.span,
    ))
}

fn string_field(node: &Node, key: &str) -> Option<Spanned<String>> {
    string(node.entry(key)?)
}

fn string_item(node: &Node) -> Option<Spanned<String>> {
    Some(Spanned::new(
        node.as_str()?.to_string(),
        node.span,
        node.span,
    ))
}

fn boolean(entry: Option<&Entry>) -> Option<Spanned<bool>> {
    let entry = entry?;
    Some(Spanned::new(
        entry.value.as_bool()?,
        entry.key_span,
        entry.value.span,
    ))
}

fn number(node: &Node, key: &str) -> Option<Spanned<u64>> {
    let entry = node.entry(key)?;
    Some(Spanned::new(
        entry.value.as_u64()?,
        entry.key_span,
        entry.value.span,
    ))
}

fn enumeration<T>(node: &Node, key: &str, parse: impl Fn(&str) -> Option<T>) -> Option<Spanned<T>> {
    let entry = node.entry(key)?;
    Some(Spanned::new(
        parse(entry.value.as_str()?)?,
        entry.key_span,
        entry.value.span,
    ))
}

fn list<T>(node: &Node, key: &str, read: impl Fn(&Node) -> Option<T>) -> (Option<Span>, Vec<T>) {
    match node.entry(key) {
        Some(entry) => (
            Some(entry.key_span),
            entry
                .value
                .as_seq()
                .map(|items| exact(items.iter().filter_map(&read).collect()))
                .unwrap_or_default(),
        ),
        None => (None, Vec::new()),
    }
}

/// A list without spare room: the model of a large repository is kept whole, and a
/// vector grown by pushing holds up to twice what it needs (four items for one).
fn exact<T>(mut items: Vec<T>) -> Vec<T> {
    items.shrink_to_fit();
    items
}

fn grants(node: &Node, key: &str) -> Grants {
    let (key, roles) = list(node, key, string_item);
    Grants { key, roles }
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
        build_release(&ReleaseInput {
            file: FileId(0),
            path: "apps-koa/apps/koa-dev/dynamo-tables/values.yaml",
            namespace: "koa-dev",
            root: &root,
            defaults: defaults.as_ref().map(|node| (FileId(1), node)),
            invalid: &invalid.iter().copied().collect(),
            naming: &config.naming,
        })
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
