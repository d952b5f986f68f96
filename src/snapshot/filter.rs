//! Which folders a walk must visit and which files it wants: the include globs and the
//! chart's and workloads' paths, one component at a time.

use globset::{GlobBuilder, GlobMatcher};

/// Prunes directories that no wanted pattern can match below, so walking a large
/// monorepo visits only the folders that can hold values files, workloads or the chart.
#[derive(Debug)]
pub struct PathFilter {
    patterns: Vec<ComponentPattern>,
    /// A pattern could not be split by component: no pruning at all.
    walk_everything: bool,
}

#[derive(Debug)]
struct ComponentPattern {
    /// A matcher per path component, up to the first `**`.
    fixed: Vec<ComponentMatcher>,
    /// Whether a `**` follows the fixed components (anything deeper may match).
    globstar: bool,
}

/// One component's glob. The common shapes (`*`, `apps-*`, `*.yaml`, a plain name) are
/// compared as strings: a walk matches every folder of the repository against them, and
/// a glob's regular expression costs far more than a comparison.
#[derive(Debug)]
enum ComponentMatcher {
    Any,
    /// A plain name: such a child can be looked up without reading the folder.
    Exact(String),
    Prefix(String),
    Suffix(String),
    Glob(GlobMatcher),
}

impl ComponentMatcher {
    fn new(component: &str, glob: GlobMatcher) -> ComponentMatcher {
        let plain = |text: &str| literal_name(text).is_some() || text.is_empty();
        if component == "*" {
            ComponentMatcher::Any
        } else if let Some(name) = literal_name(component) {
            ComponentMatcher::Exact(name)
        } else if let Some(prefix) = component.strip_suffix('*')
            && plain(prefix)
        {
            ComponentMatcher::Prefix(prefix.to_string())
        } else if let Some(suffix) = component.strip_prefix('*')
            && plain(suffix)
        {
            ComponentMatcher::Suffix(suffix.to_string())
        } else {
            ComponentMatcher::Glob(glob)
        }
    }

    /// Whether a path component (never containing `/`) matches.
    fn matches(&self, component: &str) -> bool {
        match self {
            ComponentMatcher::Any => true,
            ComponentMatcher::Exact(name) => component == name,
            ComponentMatcher::Prefix(prefix) => component.starts_with(prefix.as_str()),
            ComponentMatcher::Suffix(suffix) => component.ends_with(suffix.as_str()),
            ComponentMatcher::Glob(glob) => glob.is_match(component),
        }
    }
}

/// Which children of a folder the filter may want.
#[derive(Debug, PartialEq)]
pub enum Children<'a> {
    /// Any: the folder must be read.
    Any,
    /// Only these names (sorted, no repeats): each can be looked up directly.
    Named(Vec<&'a str>),
}

impl PathFilter {
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> PathFilter {
        let mut filter = PathFilter {
            patterns: Vec::new(),
            walk_everything: false,
        };
        for pattern in patterns {
            // A brace group spanning separators (`{a/b,c}`) cannot be split by component.
            let braces_cross_separators = pattern.split('{').skip(1).any(|group| {
                group
                    .split('}')
                    .next()
                    .is_some_and(|inner| inner.contains('/'))
            });
            if braces_cross_separators {
                filter.walk_everything = true;
                continue;
            }
            let mut compiled = ComponentPattern {
                fixed: Vec::new(),
                globstar: false,
            };
            for component in pattern.split('/') {
                if component.contains("**") {
                    compiled.globstar = true;
                    break;
                }
                match GlobBuilder::new(component).literal_separator(true).build() {
                    Ok(glob) => compiled
                        .fixed
                        .push(ComponentMatcher::new(component, glob.compile_matcher())),
                    Err(_) => filter.walk_everything = true,
                }
            }
            filter.patterns.push(compiled);
        }
        filter
    }

    /// Whether a directory (repository-relative, `/`-separated) may contain wanted files.
    pub fn may_contain(&self, directory: &str) -> bool {
        if self.walk_everything || directory.is_empty() {
            return true;
        }
        let components = components(directory);
        self.patterns
            .iter()
            .any(|pattern| pattern.reaches(&components))
    }

    /// The children of a directory the filter may want: when every pattern reaching the
    /// directory names its next component literally (`apps`, `values.yaml`), only those
    /// names, so a walk looks them up instead of reading the folder.
    pub fn children(&self, directory: &str) -> Children<'_> {
        if self.walk_everything {
            return Children::Any;
        }
        let components = components(directory);
        let mut names = Vec::new();
        for pattern in &self.patterns {
            if !pattern.reaches(&components) {
                continue;
            }
            match pattern.fixed.get(components.len()) {
                Some(ComponentMatcher::Exact(name)) => names.push(name.as_str()),
                Some(_) => return Children::Any,
                None if pattern.globstar => return Children::Any,
                None => {}
            }
        }
        names.sort_unstable();
        names.dedup();
        Children::Named(names)
    }
}

fn components(directory: &str) -> Vec<&str> {
    if directory.is_empty() {
        Vec::new()
    } else {
        directory.split('/').collect()
    }
}

impl ComponentPattern {
    /// Whether the pattern can match below a directory given by its components.
    fn reaches(&self, components: &[&str]) -> bool {
        components
            .iter()
            .enumerate()
            .all(|(depth, component)| match self.fixed.get(depth) {
                Some(fixed) => fixed.matches(component),
                None => self.globstar,
            })
    }
}

/// A pattern component that matches exactly one name: no wildcard, class, group or
/// escape, and a name a folder can hold (not empty, `.` or `..`).
fn literal_name(component: &str) -> Option<String> {
    let special = |c: char| matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\');
    (!component.is_empty() && component != "." && component != ".." && !component.contains(special))
        .then(|| component.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_filter_prunes_folders_that_cannot_match() {
        let filter = PathFilter::new([
            "apps-*/apps/*/dynamo-tables/values.yaml",
            "helm/helm-idp-dynamodb/values.yaml",
        ]);
        assert!(filter.may_contain("apps-koa"));
        assert!(filter.may_contain("apps-koa/apps/koa-dev/dynamo-tables"));
        assert!(filter.may_contain("helm/helm-idp-dynamodb"));
        assert!(!filter.may_contain("node_modules"));
        assert!(!filter.may_contain("apps-koa/charts"));
        assert!(!filter.may_contain("apps-koa/apps/koa-dev/dynamo-tables/nested/deeper"));
        let deep = PathFilter::new(["teams/**/values.yaml"]);
        assert!(deep.may_contain("teams/a/b/c"));
        assert!(!deep.may_contain("other"));
        assert!(PathFilter::new(["{a/b,c}/values.yaml"]).may_contain("anything"));
    }

    #[test]
    fn literal_components_are_looked_up_not_read() {
        let filter = PathFilter::new([
            "apps-*/apps/*/dynamo-tables/values.yaml",
            "apps-*/apps/*/dynamo-tables/values.yml",
            "apps-*/apps/*/*/Chart.yaml",
            "helm/helm-idp-dynamodb/values.schema.json",
        ]);
        let named = |names: &[&'static str]| Children::Named(names.to_vec());
        assert_eq!(filter.children(""), Children::Any);
        assert_eq!(filter.children("apps-koa"), named(&["apps"]));
        assert_eq!(filter.children("helm"), named(&["helm-idp-dynamodb"]));
        assert_eq!(filter.children("apps-koa/apps"), Children::Any);
        assert_eq!(filter.children("apps-koa/apps/koa-dev"), Children::Any);
        assert_eq!(
            filter.children("apps-koa/apps/koa-dev/dynamo-tables"),
            named(&["Chart.yaml", "values.yaml", "values.yml"])
        );
        assert_eq!(
            filter.children("apps-koa/apps/koa-dev/api"),
            named(&["Chart.yaml"])
        );
        // Past the end of every pattern: nothing is wanted.
        assert_eq!(
            filter.children("apps-koa/apps/koa-dev/api/deeper"),
            named(&[])
        );
        // Wildcards, classes, groups, escapes and `**` need the folder read.
        for pattern in ["a/b?", "a/[bc]", "a/{b,c}", "a/\\b", "a/**/b", "a/"] {
            assert_eq!(
                PathFilter::new([pattern]).children("a"),
                Children::Any,
                "{pattern}"
            );
        }
        // `.` and `..` are never looked up: they would leave the folder.
        assert_eq!(PathFilter::new(["a/../b"]).children("a"), Children::Any);
    }

    #[test]
    fn component_shapes_match_as_their_globs_do() {
        let names = [
            "apps",
            "apps-koa",
            "apps-",
            "app",
            "values.yaml",
            "values.yml",
            ".yaml",
            "x.yaml.bak",
            ".hidden",
            "Chart.yaml",
            "a*b",
            "é-apps",
            "abc",
        ];
        for pattern in [
            "*",
            "apps-*",
            "*.yaml",
            "values.yaml",
            "values.*",
            "a?c",
            "[ab]*",
            "*apps*",
            ".*",
            "é-*",
        ] {
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .unwrap()
                .compile_matcher();
            let matcher = ComponentMatcher::new(pattern, glob.clone());
            for name in names {
                assert_eq!(
                    matcher.matches(name),
                    glob.is_match(name),
                    "{pattern} on {name} ({matcher:?})"
                );
            }
        }
    }
}
