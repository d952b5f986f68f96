#!/usr/bin/env python3
"""The language server's latency (issue 15): `dynalint server` on the benchmark's
2,000-file repository (benches/monorepo.py generates it), as an editor drives it.

Measured: from starting the process to the first diagnostics of an opened values file;
then, for each of --edits edits that add and remove a type trap in that file, from
sending `textDocument/didChange` to receiving its `textDocument/publishDiagnostics`
(median and fastest). The goals: start-up within 2x of a one-file `dynalint check`,
re-lint under 20 ms median.

    python3 benches/monorepo.py --skip-check-jsonschema   # builds, generates the repository
    python3 benches/server_latency.py                      # then this
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
REPO = PROJECT / "target" / "bench" / "monorepo"


class Client:
    def __init__(self, dynalint, root, wrap=()):
        self.process = subprocess.Popen(
            [*wrap, dynalint, "server"], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.next = 1

    def send(self, message):
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self):
        length = 0
        while True:
            line = self.process.stdout.readline()
            if line in (b"\r\n", b""):
                break
            name, value = line.decode().split(":", 1)
            if name.strip().lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def request(self, method, params):
        ident = self.next
        self.next += 1
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == ident:
                return message

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics(self):
        while True:
            message = self.receive()
            if message.get("method") == "textDocument/publishDiagnostics":
                return message["params"]["diagnostics"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=41)
    parser.add_argument(
        "--wrap",
        default="",
        help="a command the server runs under, to profile it (`perf record -g -o /tmp/server.perf`)",
    )
    options = parser.parse_args()
    if not (REPO / ".bench-generator").exists():
        sys.exit(f"{REPO} is missing: run `python3 benches/monorepo.py` first")
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "dynalint"], cwd=PROJECT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", PROJECT / "target")).resolve()
    dynalint = target / "release" / "dynalint"
    values = sorted(REPO.glob("apps-*/apps/*/dynamo-tables/values.yaml"))
    path = values[len(values) // 2]
    text = path.read_text()
    uri = path.resolve().as_uri()

    # The one-file check the start-up is compared with (median of 5 after a warm-up).
    checks = []
    for run in range(6):
        start = time.perf_counter()
        subprocess.run([dynalint, "check", str(path.relative_to(REPO))], cwd=REPO, stdout=subprocess.DEVNULL)
        if run:
            checks.append(time.perf_counter() - start)
    check = statistics.median(checks) * 1000

    start = time.perf_counter()
    client = Client(dynalint, REPO, options.wrap.split())
    client.request("initialize", {"processId": None, "rootUri": REPO.resolve().as_uri(), "capabilities": {}})
    client.notify("initialized", {})
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
    )
    client.diagnostics()
    startup = (time.perf_counter() - start) * 1000

    latencies = []
    for edit in range(options.edits):
        new = text.replace("type: 'S'", "type: N", 1) if edit % 2 == 0 else text
        start = time.perf_counter()
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": edit + 2}, "contentChanges": [{"text": new}]},
        )
        found = client.diagnostics()
        latencies.append((time.perf_counter() - start) * 1000)
        expected = edit % 2 == 0
        if any(diagnostic["code"] == "DL004" for diagnostic in found) != expected:
            sys.exit(f"edit {edit}: the diagnostics do not follow the text: {found}")
    client.request("shutdown", None)
    client.notify("exit", None)
    client.process.wait()

    median = statistics.median(latencies)
    print(f"repository: {len(values):,} values files; file: {path.relative_to(REPO)}")
    print("| measure | value | goal |")
    print("|---|---:|---:|")
    print(f"| didChange -> publishDiagnostics, median of {options.edits} | {median:.1f} ms | under 20 ms |")
    print(f"| fastest | {min(latencies):.1f} ms | |")
    print(f"| start -> first diagnostics | {startup:.0f} ms | within 2x of check ({2 * check:.0f} ms) |")
    print(f"| one-file `dynalint check` | {check:.0f} ms | |")


if __name__ == "__main__":
    main()
