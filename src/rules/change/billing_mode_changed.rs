//! DL306 billing-mode-changed: a table switches billing mode.

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{applied, at_head};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL306",
        name: "billing-mode-changed",
        severity: Severity::Warning,
        summary: "billing mode switched (AWS limits how often)",
        fix: None,
        docs: r#"
## What it catches
An existing table switching between `PAY_PER_REQUEST` (the default) and `PROVISIONED`.

## Why it matters
AWS allows a table to switch to `PAY_PER_REQUEST` at most 4 times in a rolling 24 hours
(to `PROVISIONED` at any time), so going back and forth soon runs into a refusal. Switching
to `PROVISIONED` needs capacities on the table and on every GSI, and a table sized too
small throttles its service.

## Example
```yaml
tables:
  - name: Orders
    billingMode: PROVISIONED      # was PAY_PER_REQUEST
    readCapacity: 50
    writeCapacity: 20
```

## How to fix
Switch deliberately, with capacities sized from the table's metrics, and not back and
forth; suppress the finding with the reason once the switch is planned.
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in applied(changes) {
        let (before, after) = (pair.base.table.billing(), pair.head.table.billing());
        if before == after {
            continue;
        }
        let new = pair.head.table;
        let span = new
            .billing_mode
            .as_ref()
            .map_or(new.name.span, |mode| mode.span);
        let mode = crate::model::BillingMode::as_str;
        findings.push(
            at_head(
                &RULE.meta,
                pair,
                span,
                "billingMode",
                format!(
                    "table `{}` switches billing mode from {} to {}: {}",
                    new.id.name,
                    mode(before),
                    mode(after),
                    match after {
                        crate::model::BillingMode::PayPerRequest => "AWS allows a switch to PAY_PER_REQUEST at most 4 times in 24 hours, so switching back and forth is soon refused",
                        crate::model::BillingMode::Provisioned => "AWS allows it at any time, but the table (and every GSI) then serves only the capacity written here, and throttles beyond it",
                    }
                ),
            )
            .help("switch deliberately, with capacities sized from the table's metrics, and not back and forth"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const ORDERS: &str = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";

    #[test]
    fn ok() {
        let explicit = ORDERS.replace(
            "    hashKey",
            "    billingMode: PAY_PER_REQUEST\n    hashKey",
        );
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &explicit)]),
            "DL306",
            &[],
        );
    }

    #[test]
    fn switched() {
        let provisioned = ORDERS.replace(
            "    hashKey",
            "    billingMode: PROVISIONED\n    readCapacity: 5\n    writeCapacity: 5\n    hashKey",
        );
        check(
            &lint_change(
                &[("koa-dev.yaml", ORDERS)],
                &[("koa-dev.yaml", &provisioned)],
            ),
            "DL306",
            &[
                "koa-dev.yaml:3:18 warning DL306 table `koa-dev-Orders` switches billing mode from PAY_PER_REQUEST to PROVISIONED: AWS allows it at any time, but the table (and every GSI) then serves only the capacity written here, and throttles beyond it (switch deliberately, with capacities sized from the table's metrics, and not back and forth)",
            ],
        );
        check(
            &lint_change(
                &[("koa-dev.yaml", &provisioned)],
                &[("koa-dev.yaml", ORDERS)],
            ),
            "DL306",
            &[
                "koa-dev.yaml:2:11 warning DL306 table `koa-dev-Orders` switches billing mode from PROVISIONED to PAY_PER_REQUEST: AWS allows a switch to PAY_PER_REQUEST at most 4 times in 24 hours, so switching back and forth is soon refused (switch deliberately, with capacities sized from the table's metrics, and not back and forth)",
            ],
        );
    }
}
