//! What `migrate` says: what it did, and the steps that remain, in order.

use super::{Kind, Migration, Plan};
use crate::model::TableId;

/// `dynalint migrate --base REV TABLE`, quoted for a shell where needed.
pub fn command(base: &str, table: &str) -> String {
    format!("dynalint migrate --base {} {}", shell(base), shell(table))
}

fn shell(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_./:@".contains(character));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Said when no table has a finding to migrate.
pub fn nothing_to_do(base: &str) -> String {
    format!(
        "dynalint: nothing to migrate: no table has a DL302, DL303, DL304 or DL310 finding against {base}\n"
    )
}

fn rule_names(migration: &Migration) -> String {
    migration
        .rules
        .iter()
        .map(|code| match crate::rules::find(code) {
            Some(rule) => format!("{code} {}", rule.name),
            None => code.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn id(id: &TableId) -> String {
    format!("{} ({})", id.name, id.region)
}

fn roles(roles: &[String]) -> String {
    if roles.is_empty() {
        String::new()
    } else {
        format!(" ({})", roles.join(", "))
    }
}

/// Each old table and its new one, `old -> new`, with `extra` after each.
fn pairs(plan: &Plan, extra: impl Fn(&Migration) -> String) -> String {
    plan.tables
        .iter()
        .map(|migration| {
            format!(
                "{} -> {}{}",
                migration.old.id.name,
                migration.new.id.name,
                extra(migration)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a migration did (`written`) or would do, what the plan of `check --base` is
/// then (`plan_line`), and the steps that remain.
pub fn done(plan: &Plan, written: bool, plan_line: &str) -> String {
    let count = plan.tables.len();
    let mut out = format!(
        "dynalint: {} {count} table{} against {}:\n",
        if written { "migrated" } else { "would migrate" },
        if count == 1 { "" } else { "s" },
        plan.base_label
    );
    for migration in &plan.tables {
        let why = match &migration.kind {
            Kind::Replaced(reasons) => reasons
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            Kind::Changed => [
                ("DL303", "its key schema changes"),
                ("DL304", "its local secondary indexes change"),
            ]
            .iter()
            .filter(|(code, _)| migration.rules.contains(code))
            .map(|(_, why)| *why)
            .collect::<Vec<_>>()
            .join(", "),
            Kind::Moved => format!("moved to {}", migration.new.path),
        };
        out.push_str(&format!(
            "- {} ({}): {why}\n  kept as in the base: `{}` in {}, with its grants; AWS leaves it as it is\n  new table: `{}`, {} in {}, with the head's definition and grants; created empty{}\n",
            migration.old.id.name,
            rule_names(migration),
            migration.old.name,
            migration.old.path,
            migration.new.name,
            id(&migration.new.id),
            migration.new.path,
            if migration.versioned {
                ""
            } else {
                " (its own name already makes it a table of its own: kept)"
            },
        ));
    }
    let files: Vec<&str> = plan.files.iter().map(|file| file.path.as_str()).collect();
    out.push_str(&format!(
        "{} {}\n",
        if written { "wrote" } else { "would write" },
        files.join(", ")
    ));
    out.push_str(&format!(
        "`dynalint check --base {}` then says {plan_line}\n\n",
        plan.base_label
    ));
    let olds = plan
        .tables
        .iter()
        .map(|migration| migration.old.id.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let news = plan
        .tables
        .iter()
        .map(|migration| migration.new.id.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    out.push_str("What remains, in order:\n");
    out.push_str(&format!(
        "1. Merge this change: Crossplane creates {news}; {olds} stay{} as {} in AWS, with {} data.\n",
        if count == 1 { "s" } else { "" },
        if count == 1 { "it is" } else { "they are" },
        if count == 1 { "its" } else { "their" },
    ));
    out.push_str(&format!(
        "2. Dual-write: make the services that write {} write every change to {} too: {}.\n",
        if count == 1 {
            "the old table"
        } else {
            "each old table"
        },
        if count == 1 {
            "the new one"
        } else {
            "its new one"
        },
        pairs(plan, |migration| roles(&migration.old.writers)),
    ));
    out.push_str(&format!(
        "3. Backfill: copy the items that were there before the dual-write from the old table to the new one (a job that scans {olds} and writes each item, in the new keys where they changed, without overwriting newer ones).\n"
    ));
    out.push_str(&format!(
        "4. Switch reads to the new table{}, then stop writing to the old one: {}.\n",
        if count == 1 { "" } else { "s" },
        pairs(plan, |migration| roles(&migration.new.readers)),
    ));
    let mut retire = Vec::new();
    for migration in &plan.tables {
        retire.push(if migration.deletes {
            format!(
                "set `deletionPolicy: Orphan` in {} and let it sync (it applies to every table of that release), then remove the entry of `{}`",
                migration.old.path, migration.old.name
            )
        } else {
            format!(
                "{} has `deletionPolicy: Orphan` already: remove the entry of `{}`",
                migration.old.path, migration.old.name
            )
        });
    }
    out.push_str(&format!(
        "5. Retire {olds} once nothing reads or writes {}, in changes of {} own: {}. Under Orphan, removing the entry leaves the table and its data in AWS, unmanaged, until it is deleted there.\n",
        if count == 1 { "it" } else { "them" },
        if count == 1 { "its" } else { "their" },
        retire.join("; ")
    ));
    out
}
