//! The benchmark's floor: only read and parse the values files (dynalint's own YAML
//! reader, with positions), on all cores as dynalint does, and nothing else. The paths
//! come one per line on standard input, relative to the folder given as argument.
//!
//! Built and run by `benches/monorepo.py`; `cargo bench --bench read_parse` builds it.

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let paths: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .filter(|line| !line.is_empty())
        .collect();
    let start = Instant::now();
    let limits = dynalint::yaml::Limits::default();
    let parsed = dynalint::parallel::map(&paths, |_, path| {
        let text = std::fs::read_to_string(root.join(path)).expect("a readable file");
        dynalint::yaml::load(&text, &limits).map_or(0, |_| 1)
    });
    let elapsed = start.elapsed();
    let ok: usize = parsed.iter().sum();
    eprintln!(
        "read and parsed {ok} of {} files in {:.1} ms",
        paths.len(),
        elapsed.as_secs_f64() * 1e3
    );
    // Reading and parsing are all this program does: no freeing at exit, like dynalint.
    std::mem::forget(parsed);
}
