//! The names of versioned and shadow tables, as the chart's users write them:
//! `Orders`, `Orders-v2`, `Orders-v3`, and each one's twin `Orders-shadow`,
//! `Orders-v2-shadow` (the version goes before `-shadow`).

const SHADOW: &str = "-shadow";

/// A table name taken apart: what precedes the version, the version (1 when there is
/// none), and whether it is a shadow table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parts {
    pub root: String,
    pub version: u32,
    pub shadow: bool,
}

impl Parts {
    pub fn of(name: &str) -> Parts {
        let (stem, shadow) = match name.strip_suffix(SHADOW) {
            Some(stem) if !stem.is_empty() => (stem, true),
            _ => (name, false),
        };
        let versioned = stem.rsplit_once("-v").and_then(|(root, digits)| {
            let plain = !root.is_empty()
                && !digits.is_empty()
                && digits.bytes().all(|byte| byte.is_ascii_digit());
            let version: u32 = digits.parse().ok().filter(|_| plain)?;
            Some((root, version))
        });
        let (root, version) = versioned.unwrap_or((stem, 1));
        Parts {
            root: root.to_string(),
            version,
            shadow,
        }
    }

    /// The name at another version, a shadow table's or not.
    pub fn name(&self, version: u32, shadow: bool) -> String {
        format!(
            "{}-v{version}{}",
            self.root,
            if shadow { SHADOW } else { "" }
        )
    }
}

/// The other table of a pair: `Orders-shadow` for `Orders`, and back.
pub fn twin(name: &str) -> String {
    match name.strip_suffix(SHADOW) {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => format!("{name}{SHADOW}"),
    }
}

/// The first version after `parts`' own whose table and shadow table names are both
/// free (`taken` says which names are not): the chart's versioned tables go on from the
/// highest, and a shadow table without its table (or the reverse) keeps its version.
pub fn next_free(parts: &Parts, taken: impl Fn(&str) -> bool) -> u32 {
    let mut version = parts.version.saturating_add(1);
    while taken(&parts.name(version, false)) || taken(&parts.name(version, true)) {
        version = version.saturating_add(1);
        if version == u32::MAX {
            break;
        }
    }
    version
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_shadows() {
        let next = |name: &str| {
            let parts = Parts::of(name);
            parts.name(parts.version + 1, parts.shadow)
        };
        assert_eq!(next("Orders"), "Orders-v2");
        assert_eq!(next("Orders-v2"), "Orders-v3");
        assert_eq!(next("Orders-v9"), "Orders-v10");
        assert_eq!(next("Orders-shadow"), "Orders-v2-shadow");
        assert_eq!(next("Orders-v2-shadow"), "Orders-v3-shadow");
        // Not a version: a `-v` that is not followed by digits only, or nothing before it.
        assert_eq!(next("Orders-vip"), "Orders-vip-v2");
        assert_eq!(next("-v2"), "-v2-v2");
        assert_eq!(next("Orders-v1"), "Orders-v2");
        assert_eq!(next("-shadow"), "-shadow-v2");
        assert_eq!(twin("Orders"), "Orders-shadow");
        assert_eq!(twin("Orders-v2-shadow"), "Orders-v2");
    }

    #[test]
    fn taken_names_are_skipped_for_the_table_and_its_shadow() {
        let parts = Parts::of("Orders");
        assert_eq!(next_free(&parts, |_| false), 2);
        assert_eq!(next_free(&parts, |name| name == "Orders-v2"), 3);
        // A shadow table of that version alone takes the version too.
        assert_eq!(
            next_free(&parts, |name| ["Orders-v2-shadow", "Orders-v3"]
                .contains(&name)),
            4
        );
    }
}
