//! DL302 table-replaced: a change of AWS identity that replaces a table with an empty one.

use crate::diff::{ChangeSet, Removal, ReplaceReason};
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{migrate_command, observe_note, removal_severity};
use crate::rules::{Check, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL302",
        name: "table-replaced",
        severity: Severity::Error,
        summary: "a rename, `useIdpPrefix` flip, namespace move or region change: the old table is deleted, an empty one created",
        fix: None,
        docs: r#"
## What it catches
A table whose AWS identity — its derived name and its region — changes: `name` renamed,
`useIdpPrefix` switched, the values file moved to another namespace, or `region`
changed (on the table or for the whole release). dynalint recognizes the old and new
declarations as one table when they keep the same logical name, or when a table is
renamed in place with the same keys.

Severity follows what happens to the old table: an error when the release deletes it
(`deletionPolicy: Delete`), a warning when deletion protection makes the deletion hang,
a note under `deletionPolicy: Orphan`.

## Why it matters
DynamoDB tables cannot be renamed or moved between regions. A new name is a new Crossplane
resource and the removal of the old one: Crossplane deletes the old table (with its data)
and creates a new, empty one; the service reading it finds nothing. A region change on the
same resource is refused instead: the provider will not replace the table, the Table
resource stays `Synced=False`, and every other change to the table is blocked until the
values are reverted.

## Example
```yaml
tables:
  - name: Orders
    useIdpPrefix: true          # was false: koa-dev-Orders becomes idp-koa-dev-Orders
    hashKey: OrderId
```

## How to fix
Keep the AWS identity of tables that hold data. To move data, declare the new table
beside the old one, copy the data (a dual-write and a backfill), switch the service, and
only then remove the old table. `dynalint migrate --base <REV> Orders` writes the first
step: it copies the old entry back from the base revision and keeps the new definition
beside it — under its new name for a rename or a namespace move, with the next version
suffix (`Orders-v2`) for a `useIdpPrefix` or region change.
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for replacement in &changes.replaced {
        let (old, new) = (&replacement.base, &replacement.head);
        // Point at the line that changes the identity.
        let span = match replacement.reasons.first() {
            Some(ReplaceReason::Prefix { .. }) => new
                .table
                .use_idp_prefix
                .as_ref()
                .map_or(new.table.name.span, |flag| flag.span),
            Some(ReplaceReason::Region { .. }) => new
                .table
                .region
                .as_ref()
                .map(|region| region.span)
                .or_else(|| {
                    new.release
                        .region
                        .site
                        .filter(|site| site.file == new.table.file)
                        .map(|site| site.span)
                })
                .unwrap_or(new.table.name.span),
            _ => new.table.name.span,
        };
        let reasons: Vec<String> = replacement
            .reasons
            .iter()
            .map(ToString::to_string)
            .collect();
        if replacement.refused() {
            findings.push(
                on_table(
                    &RULE.meta,
                    new.table,
                    span,
                    "region",
                    format!(
                        "the region of table `{}` changes from {} to {}: Terraform would replace the table, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted or moved",
                        old.table.id.name, old.table.id.region, new.table.id.region
                    ),
                )
                .help(format!(
                    "keep the region; to move the data, {} keeps the table where it is and declares the one in the new region as a new table beside it; copy the data, then remove the old one",
                    migrate_command(old.table)
                ))
                .related(old.table.name_site(), "the table in the base revision"),
            );
            continue;
        }
        let help = if removal_severity(old) == Severity::Note {
            format!(
                "the old table stays in AWS, unmanaged, and the service gets an empty one: keep the AWS identity, or run {} to keep the old table as it is beside the new one while the data moves",
                migrate_command(old.table)
            )
        } else {
            format!(
                "keep the AWS identity of a table with data; to migrate, {} keeps the old table as it is and declares the new one beside it; copy the data, then remove the old one",
                migrate_command(old.table)
            )
        };
        findings.push(
            on_table(
                &RULE.meta,
                new.table,
                span,
                "name",
                format!(
                    "table `{}` is replaced by `{}` ({}): the old table {}{}, and `{}` is created empty",
                    old.table.id.name,
                    new.table.id.name,
                    reasons.join(", "),
                    Removal::of(old).outcome(),
                    observe_note(old),
                    new.table.id.name
                ),
            )
            .severity(removal_severity(old))
            .help(help)
            .related(old.table.name_site(), "the table in the base revision"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const ORDERS: &str = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
";

    #[test]
    fn ok() {
        // A new table beside the old one, with other keys, is a creation, not a rename.
        let more = format!(
            "{ORDERS}  - name: Carts\n    hashKey: CartId\n    attributes: [{{name: CartId, type: 'S'}}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n"
        );
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &more)]),
            "DL302",
            &[],
        );
    }

    #[test]
    fn identity_changes() {
        let renamed = ORDERS.replace("name: Orders", "name: Orders2");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &renamed)]),
            "DL302",
            &[
                "koa-dev.yaml:2:11 error DL302 table `koa-dev-Orders` is replaced by `koa-dev-Orders2` (renamed from `Orders` to `Orders2`): the old table is deleted with its data, and `koa-dev-Orders2` is created empty (keep the AWS identity of a table with data; to migrate, `dynalint migrate --base <REV> Orders` keeps the old table as it is and declares the new one beside it; copy the data, then remove the old one)",
            ],
        );
        let prefixed = ORDERS.replace(
            "    hashKey: Id\n",
            "    useIdpPrefix: true\n    hashKey: Id\n",
        );
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &prefixed)]),
            "DL302",
            &[
                "koa-dev.yaml:3:19 error DL302 table `koa-dev-Orders` is replaced by `idp-koa-dev-Orders` (useIdpPrefix changes from false to true): the old table is deleted with its data, and `idp-koa-dev-Orders` is created empty (keep the AWS identity of a table with data; to migrate, `dynalint migrate --base <REV> Orders` keeps the old table as it is and declares the new one beside it; copy the data, then remove the old one)",
            ],
        );
        let moved_region = format!("region: eu-central-1\n{ORDERS}");
        check(
            &lint_change(
                &[("koa-dev.yaml", ORDERS)],
                &[("koa-dev.yaml", &moved_region)],
            ),
            "DL302",
            &[
                "koa-dev.yaml:1:9 error DL302 the region of table `koa-dev-Orders` changes from eu-west-1 to eu-central-1: Terraform would replace the table, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted or moved (keep the region; to move the data, `dynalint migrate --base <REV> Orders` keeps the table where it is and declares the one in the new region as a new table beside it; copy the data, then remove the old one)",
            ],
        );
        // `region: null` brings the default region back: at that line.
        let nulled = format!("region: null\n{ORDERS}");
        check(
            &lint_change(
                &[("koa-dev.yaml", &moved_region)],
                &[("koa-dev.yaml", &nulled)],
            ),
            "DL302",
            &[
                "koa-dev.yaml:1:1 error DL302 the region of table `koa-dev-Orders` changes from eu-central-1 to eu-west-1: Terraform would replace the table, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted or moved (keep the region; to move the data, `dynalint migrate --base <REV> Orders` keeps the table where it is and declares the one in the new region as a new table beside it; copy the data, then remove the old one)",
            ],
        );
        let orphaned = |text: &str| format!("deletionPolicy: Orphan\n{text}");
        check(
            &lint_change(
                &[("koa-dev.yaml", &orphaned(ORDERS))],
                &[("koa-dev.yaml", &orphaned(&renamed))],
            ),
            "DL302",
            &[
                "koa-dev.yaml:3:11 note DL302 table `koa-dev-Orders` is replaced by `koa-dev-Orders2` (renamed from `Orders` to `Orders2`): the old table is left in AWS (deletionPolicy: Orphan), and `koa-dev-Orders2` is created empty (the old table stays in AWS, unmanaged, and the service gets an empty one: keep the AWS identity, or run `dynalint migrate --base <REV> Orders` to keep the old table as it is beside the new one while the data moves)",
            ],
        );
    }

    #[test]
    fn namespace_move() {
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-qa.yaml", ORDERS)]),
            "DL302",
            &[
                "koa-qa.yaml:2:11 error DL302 table `koa-dev-Orders` is replaced by `koa-qa-Orders` (moves from namespace `koa-dev` to `koa-qa`): the old table is deleted with its data, and `koa-qa-Orders` is created empty (keep the AWS identity of a table with data; to migrate, `dynalint migrate --base <REV> Orders` keeps the old table as it is and declares the new one beside it; copy the data, then remove the old one)",
            ],
        );
    }
}
