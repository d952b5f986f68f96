//! DL1xx: whether each table can be created as declared (head revision).

pub mod attribute_conflict;
pub mod attribute_unused;
pub mod capacity_mismatch;
pub mod duplicate_table;
pub mod index_limit;
pub mod invalid_index;
pub mod invalid_table_name;
pub mod key_attribute_undeclared;
pub mod lsi_without_range_key;
pub mod pitr_disabled;
pub mod policy_conflict;
pub mod projected_attribute_limit;
pub mod projection_mismatch;
pub mod shadow_table_mismatch;

use crate::model::{Index, IndexKind, Table};

/// What a finding is about — a table, or one of its indexes — written only when a
/// message needs it: checks run over every table, findings are few.
#[derive(Clone, Copy)]
pub struct Owner<'a> {
    pub table: &'a Table,
    pub index: Option<(IndexKind, &'a Index)>,
}

impl<'a> Owner<'a> {
    pub fn table(table: &'a Table) -> Self {
        Owner { table, index: None }
    }

    pub fn index(table: &'a Table, kind: IndexKind, index: &'a Index) -> Self {
        Owner {
            table,
            index: Some((kind, index)),
        }
    }

    /// The locus of one of its fields: `rangeKey`, `localSecondaryIndex/ByDate/rangeKey`.
    pub fn locus(&self, field: &str) -> String {
        match self.index {
            None => field.to_string(),
            Some((kind, index)) if field.is_empty() => {
                format!("{}/{}", kind.field(), index.name.value)
            }
            Some((kind, index)) => format!("{}/{}/{field}", kind.field(), index.name.value),
        }
    }
}

impl std::fmt::Display for Owner<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            None => write!(formatter, "table `{}`", self.table.id.name),
            Some((kind, index)) => write!(
                formatter,
                "{} `{}` of table `{}`",
                kind.short(),
                index.name.value,
                self.table.id.name
            ),
        }
    }
}

/// For a key that `attributes` does not declare, the declared attribute it most likely
/// means (a case or spelling slip), if any.
pub fn intended_attribute<'a>(table: &'a Table, key: &str) -> Option<&'a str> {
    if table.attribute(key).is_some() {
        return None;
    }
    crate::suggest::closest(
        key,
        table
            .attributes
            .iter()
            .map(|attribute| attribute.name.value.as_str()),
    )
}

/// Each character once, in order of appearance.
pub fn distinct(characters: impl Iterator<Item = char>) -> Vec<char> {
    let mut seen = Vec::new();
    for character in characters {
        if !seen.contains(&character) {
            seen.push(character);
        }
    }
    seen
}

/// DynamoDB's rule for table and index names: 3 to 255 of `a-z A-Z 0-9 _ - .`.
/// Returns what is wrong, if anything.
pub fn name_problem(name: &str) -> Option<String> {
    let length = name.chars().count();
    if !(3..=255).contains(&length) {
        return Some(format!(
            "is {length} characters long; DynamoDB needs 3 to 255"
        ));
    }
    let bad = distinct(name.chars().filter(|character| {
        !(character.is_ascii_alphanumeric() || matches!(character, '_' | '-' | '.'))
    }));
    if bad.is_empty() {
        return None;
    }
    let listed: Vec<String> = bad
        .iter()
        .map(|character| format!("`{character}`"))
        .collect();
    Some(format!(
        "contains {}, which DynamoDB does not allow (only letters, digits, `_`, `-` and `.`)",
        listed.join(", ")
    ))
}
