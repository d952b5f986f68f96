//! DL2xx: whether the grants of each table reach real roles within IAM's limits
//! (head revision).

use crate::model::{Access, Table};
use crate::span::Spanned;

pub mod cross_namespace_role;
pub mod invalid_role_name;
pub mod no_access;
pub mod policy_size_limit;
pub mod role_policy_quota;
pub mod unknown_role;

/// Every grant of a table: read roles first, then write roles.
pub fn grants(table: &Table) -> impl Iterator<Item = (Access, &Spanned<String>)> {
    [Access::Read, Access::Write]
        .into_iter()
        .flat_map(move |access| {
            table
                .grants(access)
                .roles
                .iter()
                .map(move |role| (access, role))
        })
}
