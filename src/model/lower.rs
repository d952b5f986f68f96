//! Lowering one values file's tree (as Helm reads it, with the chart's defaults under
//! it) to its [`Release`]: never failing, a field that cannot be read is absent.

use super::*;
use crate::source::FileId;
use crate::span::{Span, Spanned};
use crate::yaml::{Entry, Node, Value};

/// Reads a release from a values file's tree, falling back to the chart's defaults for
/// top-level keys the file does not set (as Helm coalesces them; `tables` is a list, so
/// the file's own list replaces the default one).
pub struct ReleaseInput<'a> {
    pub file: FileId,
    pub path: &'a str,
    pub namespace: &'a str,
    pub root: &'a Node,
    pub defaults: Option<(FileId, &'a Node)>,
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
        .unwrap_or_else(|| Setting {
            value: DEFAULT_REGION.to_string(),
            // `region: null` in the file is where the default comes back.
            site: input
                .root
                .entry("region")
                .filter(|entry| entry.value.value == Value::Null)
                .map(|entry| Site::new(input.file, entry.key_span)),
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
            Some(table) => release.tables.push(table),
            None => release.invalid_tables.push(InvalidTable {
                file: tables_file,
                position,
                span: item.span,
                id: reader.id(),
                table: reader.read(true),
                complete: false,
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
            misspelled_keys: misspelled_keys(node),
        })
    }
}

/// The values of fields of a table or of its indexes whose name misspells `hashKey` or
/// `rangeKey` (`rangekey: CreatedAt`): the chart does not read them, but they say which
/// attributes are meant as keys.
fn misspelled_keys(table: &Node) -> Vec<String> {
    let indexes = ["localSecondaryIndex", "globalSecondaryIndex"]
        .into_iter()
        .filter_map(|list| table.get(list)?.as_seq())
        .flatten();
    let mut found = Vec::new();
    for node in std::iter::once(table).chain(indexes) {
        for entry in node.as_map().into_iter().flatten() {
            let fields = ["hashKey", "rangeKey"];
            if fields.contains(&entry.key.as_str()) {
                continue;
            }
            if crate::suggest::closest(&entry.key, fields).is_some()
                && let Some(value) = entry.value.as_str()
            {
                found.push(value.to_string());
            }
        }
    }
    found
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
