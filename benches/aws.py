#!/usr/bin/env python3
"""`check --base --aws` on the benchmark's 2,000-file repository (benches/monorepo.py
generates it) against a local moto server: the calls dynalint makes, beside what the
change touches, and the time it adds.

Measured, median of --runs after a warm-up: `check --base HEAD~1` without and with
`--aws`. Expected calls: one DescribeTable per table the change creates (the plan's
`create` entries) and one GetRole per role a release grants for the first time, with its
ListAttachedRolePolicies when IAM has it (here: none has it), counted from the values
files of both commits independently of dynalint. The goals: the calls equal what the
change touches, and the run within 2x of the run without `--aws` plus the calls' own
time (what dynalint reports on stderr).

    python3 benches/monorepo.py --skip-check-jsonschema   # builds, generates the repository
    python3 benches/aws.py                                 # then this (moto from PyPI)
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
REPO = PROJECT / "target" / "bench" / "monorepo"
VENV = PROJECT / "target" / "moto-venv"
GRANT = re.compile(r'serviceAccount(?:Read|Write)Roles: \[(.*)\]')


def moto_python(given):
    if given:
        return given
    if os.environ.get("DYNALINT_MOTO_PYTHON"):
        return os.environ["DYNALINT_MOTO_PYTHON"]
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "moto[server]==5.2.5"], check=True)
    return str(python)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def roles_by_file(revision):
    """{values file: set of lower-cased roles it grants} at a commit."""
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", revision], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.split()
    files = [path for path in listing if path.endswith("/dynamo-tables/values.yaml")]
    # One `git cat-file --batch` for all of them.
    request = "".join(f"{revision}:{path}\n" for path in files)
    output = subprocess.run(
        ["git", "cat-file", "--batch"], cwd=REPO, check=True, capture_output=True, input=request.encode()
    ).stdout
    roles, at = {}, 0
    for path in files:
        header_end = output.index(b"\n", at)
        size = int(output[at:header_end].split()[2])
        text = output[header_end + 1 : header_end + 1 + size].decode()
        at = header_end + 1 + size + 1
        granted = set()
        for match in GRANT.finditer(text):
            granted.update(role.strip().strip("\"'").lower() for role in match.group(1).split(",") if role.strip())
        roles[path] = granted
    return roles


def run(dynalint, args, env):
    start = time.perf_counter()
    result = subprocess.run([dynalint, *args], cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - start) * 1000
    if result.returncode not in (0, 1):
        sys.exit(f"dynalint {' '.join(args)}: exit {result.returncode}\n{result.stderr}")
    return elapsed, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", help="a Python with moto[server] (default: target/moto-venv, made if missing)")
    options = parser.parse_args()
    if not (REPO / ".bench-generator").exists():
        sys.exit(f"{REPO} is missing: run `python3 benches/monorepo.py` first")
    subprocess.run(["cargo", "build", "--release", "--locked", "--features", "aws", "--bin", "dynalint"], cwd=PROJECT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", PROJECT / "target")).resolve()
    dynalint = str(target / "release" / "dynalint")

    port = free_port()
    moto = subprocess.Popen(
        [moto_python(options.python), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("moto did not listen within 30 s")
                time.sleep(0.1)
        env = dict(os.environ)
        env.update(
            AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_REGION="eu-west-1",
            AWS_EC2_METADATA_DISABLED="true",
        )
        base_args = ["check", "--base", "HEAD~1", "--format", "json"]
        without, with_aws, reported, summary = [], [], [], ""
        for index in range(options.runs + 1):
            elapsed, _ = run(dynalint, base_args, env)
            if index:
                without.append(elapsed)
            elapsed, result = run(dynalint, [*base_args, "--aws"], env)
            line = next(line for line in result.stderr.splitlines() if line.startswith("dynalint: aws: "))
            summary = line
            if index:
                with_aws.append(elapsed)
                reported.append(int(re.search(r" in (\d+) ms$", line).group(1)))
        plan = json.loads(result.stdout)["changes"]
    finally:
        moto.kill()
        moto.wait()

    calls = int(re.search(r"aws: (\d+) calls? ", summary).group(1))
    creates = sum(1 for entry in plan if entry["action"] == "create")
    base_roles, head_roles = roles_by_file("HEAD~1"), roles_by_file("HEAD")
    new_roles = {role for path, roles in head_roles.items() for role in roles - base_roles.get(path, set())}
    expected = creates + len(new_roles)
    without_ms, with_ms, calls_ms = statistics.median(without), statistics.median(with_aws), statistics.median(reported)
    print(f"repository: {REPO.relative_to(PROJECT)}; the change creates {creates} tables and grants {len(new_roles)} roles new to their release")
    print(summary)
    print("| measure | value | goal |")
    print("|---|---:|---:|")
    print(f"| API calls | {calls} | {expected} (the tables and roles the change touches) |")
    print(f"| `check --base` | {without_ms:.0f} ms | |")
    print(f"| `check --base --aws` | {with_ms:.0f} ms | within 2x of {without_ms:.0f} + {calls_ms:.0f} ms = {2 * (without_ms + calls_ms):.0f} ms |")
    print(f"| the calls' own time (dynalint's figure) | {calls_ms:.0f} ms | |")
    if calls != expected:
        sys.exit(f"{calls} calls, expected {expected}")
    if with_ms > 2 * (without_ms + calls_ms):
        sys.exit("over the goal")


if __name__ == "__main__":
    main()
