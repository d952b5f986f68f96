//! The house's floors run one way: no module of the library reaches, through `crate::`
//! paths in its non-test code, a module that reaches it back. A cycle fails this test
//! with the modules and the files that close it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The code of a file that is not test code, without comments: a `#[cfg(test)]` module
/// declared as `mod name;` is skipped (its file is left out of the graph), one written
/// inline ends what is read (it comes last).
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line == "#[cfg(test)]" {
            let declaration = lines.peek().is_some_and(|next| {
                let next = next.trim().trim_start_matches("pub ");
                next.starts_with("mod ") && next.ends_with(';')
            });
            if declaration {
                lines.next();
                continue;
            }
            break;
        }
        let line = line.split("//").next().unwrap_or_default();
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The modules a text names as `crate::<module>`.
fn named(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::")
        .filter(|(at, _)| {
            // Not `dynalint_crate::` or the like.
            !text[..*at]
                .chars()
                .next_back()
                .is_some_and(|before| before.is_alphanumeric() || before == '_')
        })
        .map(|(at, _)| {
            text[at + "crate::".len()..]
                .chars()
                .take_while(|character| character.is_alphanumeric() || *character == '_')
                .collect::<String>()
        })
        .filter(|module| !module.is_empty())
        .collect()
}

/// The library's top-level modules and whom each names, with the file that does.
fn graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    // Files that are test modules themselves (`#[cfg(test)] mod testing;`).
    let mut test_only = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for pair in lines.windows(2) {
            if pair[0].trim() == "#[cfg(test)]" {
                let declared = pair[1].trim().trim_start_matches("pub ");
                if let Some(name) = declared
                    .strip_prefix("mod ")
                    .and_then(|rest| rest.strip_suffix(';'))
                {
                    let folder = if file.ends_with("mod.rs") || file.ends_with("lib.rs") {
                        file.parent().unwrap().to_path_buf()
                    } else {
                        file.with_extension("")
                    };
                    test_only.insert(folder.join(format!("{name}.rs")));
                }
            }
        }
    }
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap();
        if test_only.contains(file) || ["lib.rs", "main.rs"].contains(&relative.to_str().unwrap()) {
            continue;
        }
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(file).unwrap();
        let edges = graph.entry(module.clone()).or_default();
        for other in named(&code(&text)) {
            if other != module {
                edges
                    .entry(other)
                    .or_insert_with(|| relative.display().to_string());
            }
        }
    }
    graph
}

/// A cycle through `start`, as the modules along it.
fn cycle(graph: &BTreeMap<String, BTreeMap<String, String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeMap<String, String>>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flat_map(BTreeMap::keys) {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    walk(graph, start, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn no_module_imports_in_a_circle() {
    let graph = graph();
    assert!(graph.len() > 20, "{:?}", graph.keys());
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|module| cycle(&graph, module))
        .map(|path| {
            let mut steps = Vec::new();
            for (index, module) in path.iter().enumerate() {
                let next = &path[(index + 1) % path.len()];
                steps.push(format!("{module} -> {next} ({})", graph[module][next]));
            }
            steps.join(", ")
        })
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let edge = |graph: &mut BTreeMap<String, BTreeMap<String, String>>, from: &str, to: &str| {
        graph
            .entry(from.into())
            .or_default()
            .insert(to.into(), format!("{from}.rs"));
    };
    edge(&mut graph, "a", "b");
    edge(&mut graph, "b", "c");
    assert_eq!(cycle(&graph, "a"), None);
    edge(&mut graph, "c", "a");
    assert_eq!(
        cycle(&graph, "a"),
        Some(vec!["a".into(), "b".into(), "c".into()])
    );
    assert_eq!(
        named(
            "use crate::finding::Site;\nlet x = crate::lint::Scope::everything(); dynalint_crate::x"
        ),
        BTreeSet::from(["finding".to_string(), "lint".to_string()])
    );
    assert_eq!(
        code("use crate::a;\n// crate::b\n#[cfg(test)]\nmod tests {\nuse crate::c;\n"),
        "use crate::a;\n\n"
    );
    assert_eq!(
        code("#[cfg(test)]\npub mod testing;\nuse crate::d;\n#[cfg(test)]\nmod tests;\n"),
        "use crate::d;\n"
    );
}
