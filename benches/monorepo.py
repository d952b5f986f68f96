#!/usr/bin/env python3
"""dynalint's benchmark (PRODUCT.md section 8), side by side in one run.

Generates a GitOps monorepo of 2,000 values files and 50,000 tables with idp-advanced
workloads, a base commit and a head commit that changes 5% of the files, then measures:

- `dynalint check --base` (everything: both revisions, the diff, the change rules);
- `dynalint check` (the head only);
- a pre-commit style run on one file (the whole repository as context);
- `dynalint check --fix` on a copy whose head has a fixable type trap in 100 files
  (restored before every run), beside `dynalint check` on the same copy;
- reading and parsing the same values files only (benches/read_parse.rs, same parser,
  same threads), the floor dynalint is compared with;
- `check-jsonschema` (from PyPI, installed here in a virtual environment) validating the
  same files against `dynalint schema`.

Every command runs once to warm the page cache, then --runs times; the table gives the
median and the fastest wall time and the peak memory (max RSS) of the process.

    python3 benches/monorepo.py                 # build, generate (once), measure
    python3 benches/monorepo.py --runs 10 --files 500
    python3 benches/monorepo.py --skip-check-jsonschema

Results go to stdout and to target/bench/results.md.
"""

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "target" / "bench"
# Bump when the generated repository changes, so an old one is not reused.
GENERATOR = 3
CHECK_JSONSCHEMA = "check-jsonschema==0.33.2"


def git(repo, *args):
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
        GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
        GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
    )
    subprocess.run(["git", *args], cwd=repo, check=True, env=env, stdout=subprocess.DEVNULL)


def table(rng, index, namespace, apps, changed):
    """One table's YAML: keys, attributes, indexes on some tables (an LSI on every fifth,
    a GSI on every third), TTL and tags on some, grants to the namespace's workloads."""
    reader, writer = apps[index % len(apps)], apps[(index + 1) % len(apps)]
    provisioned = index % 4 == 0
    owner = changed and index == 3  # the head adds a GSI (and its attribute) here
    has_lsi = index % 5 == 0
    has_gsi = index % 3 == 0 or owner
    lines = [
        f"  - name: Table{index:02d}",
        "    useIdpPrefix: true",
        "    hashKey: Pk",
        "    rangeKey: Sk",
        "    attributes:",
        "      - name: Pk",
        "        type: 'S'",
        "      - name: Sk",
        "        type: 'S'",
    ]
    if has_gsi:
        lines += ["      - name: Status", "        type: 'S'"]
    if has_lsi or has_gsi:
        lines += ["      - name: CreatedAt", "        type: 'N'"]
    if owner:
        lines += ["      - name: Owner", "        type: 'S'"]
    if provisioned:
        lines += ["    billingMode: PROVISIONED", "    readCapacity: 5", "    writeCapacity: 5"]
    else:
        lines += ["    billingMode: PAY_PER_REQUEST"]
    capacity = ["        readCapacity: 5", "        writeCapacity: 5"] if provisioned else []
    if has_lsi:
        lines += [
            "    localSecondaryIndex:",
            "      - name: ByCreatedAt",
            "        rangeKey: CreatedAt",
            "        projectionType: KEYS_ONLY",
            "        nonKeyAttributes: []",
        ]
    if has_gsi:
        lines += [
            "    globalSecondaryIndex:",
            "      - name: ByStatus",
            "        hashKey: Status",
            "        rangeKey: CreatedAt",
            "        projectionType: INCLUDE",
            '        nonKeyAttributes: ["Total", "Currency"]',
            *capacity,
        ]
    if owner:
        lines += [
            "      - name: ByOwner",
            "        hashKey: Owner",
            "        projectionType: KEYS_ONLY",
            "        nonKeyAttributes: []",
            *capacity,
        ]
    lines += [f"    pointInTimeRecovery: {'false' if changed and index == 7 else 'true'}"]
    return "\n".join(lines + roles_of(reader, writer, namespace, index, rng))


def roles_of(reader, writer, namespace, index, rng):
    """TTL and tags on some tables, and the grants."""
    lines = []
    if index % 5 == 0:
        lines += ["    ttl:", "      enabled: true", "      attributeName: ExpiresAt"]
    if index % 6 == 0:
        lines += ["    tags:", f"      team: {namespace.split('-')[0]}", f"      cost-center: cc-{rng.randint(100, 999)}"]
    lines += [
        f'    serviceAccountReadRoles: ["{reader}-{namespace}"]',
        f'    serviceAccountWriteRoles: ["{writer}-{namespace}"]',
    ]
    return lines


def values_file(rng, namespace, apps, per_file, changed):
    indexes = list(range(per_file))
    if changed:
        indexes.remove(per_file - 1)  # a table removed
        indexes.append(per_file + 10)  # a table added
    body = "\n".join(table(rng, index, namespace, apps, changed) for index in indexes)
    return f"# Tables of {namespace}.\ntables:\n{body}\n"


def generate(repo, files, per_file, changed_share):
    rng = random.Random(7)
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    layout = []
    for number in range(files):
        team = f"team{number % 40:02d}"
        namespace = f"{team}-ns{number:04d}"
        apps = ["api", "worker"]
        base = repo / f"apps-{team}" / "apps" / namespace
        for app in apps:
            (base / app).mkdir(parents=True, exist_ok=True)
            (base / app / "Chart.yaml").write_text(
                f"apiVersion: v2\nname: {app}\nversion: 0.1.0\ndependencies:\n"
                "  - name: idp-advanced\n    version: 4.2.0\n"
                "    repository: oci://registry.example.com/platform-charts\n"
            )
        (base / "dynamo-tables").mkdir(parents=True, exist_ok=True)
        path = base / "dynamo-tables" / "values.yaml"
        path.write_text(values_file(rng, namespace, apps, per_file, False))
        layout.append((path, namespace, apps))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    changed = rng.sample(range(files), max(1, int(files * changed_share)))
    for number in changed:
        path, namespace, apps = layout[number]
        path.write_text(values_file(rng, namespace, apps, per_file, True))
    git(repo, "commit", "-q", "-am", f"head: {len(changed)} values files changed")
    (repo / ".bench-generator").write_text(f"{GENERATOR} {files} {per_file} {changed_share}\n")
    return [str(path.relative_to(repo)) for path, _, _ in layout]


def fixable_copy(repo, files=100):
    """A clone of the head with `type: 'N'` unquoted (DL004, a safe fix) in `files` values
    files, committed, so that `git checkout -- .` restores it between runs."""
    copy = OUT / "fixable"
    if copy.exists():
        shutil.rmtree(copy)
    subprocess.run(["git", "clone", "-q", str(repo), str(copy)], check=True)
    paths = sorted(copy.glob("apps-*/apps/*/dynamo-tables/values.yaml"))
    step = max(1, len(paths) // files)
    changed = 0
    for path in paths[::step]:
        text = path.read_text()
        if changed < files and "type: 'N'" in text:
            path.write_text(text.replace("type: 'N'", "type: N", 1))
            changed += 1
    git(copy, "commit", "-q", "-am", f"{changed} fixable files")
    return copy, changed


def measure(command, cwd, runs, stdin_path=None, accept=(0, 1), setup=None):
    """Median and fastest wall time (s), peak RSS (MB) over `runs` runs after a warm-up;
    `setup` runs before each, untimed."""
    walls, peaks = [], []
    for run in range(runs + 1):
        if setup:
            setup()
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        with open(OUT / "last-stderr.txt", "wb") as stderr:
            start = time.perf_counter()
            process = subprocess.Popen(command, cwd=cwd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr)
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if stdin_path:
            stdin.close()
        if process.returncode not in accept:
            sys.exit(
                f"{' '.join(map(str, command))} exited with {process.returncode}:\n"
                + (OUT / "last-stderr.txt").read_text(errors="replace")[-2000:]
            )
        if run > 0:
            walls.append(wall)
            peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(walls), min(walls), max(peaks)


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores ({cpu}){memory}, {platform.system()} {platform.release()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--tables-per-file", type=int, default=25)
    parser.add_argument("--changed", type=float, default=0.05, help="share of files the head changes")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-check-jsonschema", action="store_true")
    options = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    print("== building dynalint (release)", flush=True)
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--bin", "dynalint", "--example", "read_parse"],
        cwd=PROJECT,
        check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", PROJECT / "target")).resolve()
    dynalint = target / "release" / "dynalint"
    read_parse = target / "release" / "examples" / "read_parse"

    repo = OUT / "monorepo"
    stamp = f"{GENERATOR} {options.files} {options.tables_per_file} {options.changed}\n"
    marker = repo / ".bench-generator"
    if marker.exists() and marker.read_text() == stamp:
        print(f"== reusing {repo}", flush=True)
        values = sorted(
            str(path.relative_to(repo)) for path in repo.glob("apps-*/apps/*/dynamo-tables/values.yaml")
        )
    else:
        print(f"== generating {repo}", flush=True)
        values = generate(repo, options.files, options.tables_per_file, options.changed)
    listing = OUT / "values-files.txt"
    listing.write_text("\n".join(values) + "\n")
    tables = options.files * options.tables_per_file
    one_file = values[len(values) // 2]

    rows = []

    def row(name, command, stdin_path=None, runs=options.runs, accept=(0, 1), cwd=repo, setup=None):
        print(f"== {name}", flush=True)
        median, fastest, peak = measure(command, cwd, runs, stdin_path, accept, setup)
        rows.append((name, median, fastest, peak))
        return median

    full = row("dynalint check --base HEAD~1", [dynalint, "check", "--base", "HEAD~1"])
    head = row("dynalint check (head only)", [dynalint, "check"])
    single = row(f"dynalint check {one_file} (pre-commit)", [dynalint, "check", one_file])
    floor = row("read + parse only (benches/read_parse.rs)", [read_parse, repo], stdin_path=listing, accept=(0,))
    fixable, fixable_files = fixable_copy(repo)
    restore = lambda: subprocess.run(["git", "checkout", "-q", "--", "."], cwd=fixable, check=True)
    unfixed = row(f"dynalint check ({fixable_files} fixable files)", [dynalint, "check"], cwd=fixable)
    fixed = row(
        f"dynalint check --fix ({fixable_files} files fixed)",
        [dynalint, "check", "--fix"],
        cwd=fixable,
        setup=restore,
    )

    jsonschema = None
    if not options.skip_check_jsonschema:
        venv = OUT / "venv"
        tool = venv / "bin" / "check-jsonschema"
        if not tool.exists():
            print(f"== installing {CHECK_JSONSCHEMA} from PyPI", flush=True)
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            subprocess.run(
                [venv / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check", CHECK_JSONSCHEMA],
                check=True,
            )
        schema = OUT / "values.schema.json"
        with open(schema, "wb") as out:
            subprocess.run([dynalint, "schema"], check=True, stdout=out)
        jsonschema = row(
            "check-jsonschema --schemafile (dynalint schema)",
            [tool, "--schemafile", schema, *values],
            runs=max(1, min(options.runs, 2)),
        )

    lines = [
        f"Machine: {machine()}.",
        f"Repository: {options.files:,} values files, {tables:,} tables, "
        f"{2 * options.files:,} idp-advanced workloads; the head changes "
        f"{int(options.files * options.changed):,} files. "
        f"{options.runs} runs after a warm-up (check-jsonschema: {max(1, min(options.runs, 2))}).",
        "",
        "| run | median | fastest | peak memory |",
        "|---|---:|---:|---:|",
    ]
    for name, median, fastest, peak in rows:
        lines.append(f"| {name} | {median * 1000:,.0f} ms | {fastest * 1000:,.0f} ms | {peak:,.0f} MB |")
    lines += ["", "| ratio | measured | goal |", "|---|---:|---:|"]
    lines.append(f"| check --base / read + parse | {full / floor:.1f}x | at most 3x |")
    lines.append(f"| check (head) / read + parse | {head / floor:.1f}x | |")
    if jsonschema is not None:
        lines.append(f"| check-jsonschema / check --base | {jsonschema / full:.0f}x | at least 20x |")
        lines.append(f"| check-jsonschema / check (head) | {jsonschema / head:.0f}x | |")
    lines.append(f"| check --fix / check, {fixable_files} files fixed | {fixed / unfixed:.2f}x | at most 2x |")
    lines.append(f"| check --base wall time | {full * 1000:,.0f} ms | under 1,000 ms |")
    lines.append(f"| pre-commit run on one file | {single * 1000:,.0f} ms | under 50 ms |")
    full_peak = rows[0][3]
    lines.append(f"| check --base peak memory | {full_peak:,.0f} MB | under 300 MB |")
    text = "\n".join(lines) + "\n"
    (OUT / "results.md").write_text(text)
    print()
    print(text)


if __name__ == "__main__":
    main()
