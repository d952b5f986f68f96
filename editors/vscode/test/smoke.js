// Smoke test of the bundle (dist/extension.js) outside VS Code: a fake `vscode` module is
// put in front of `require`, the extension is activated, and the LanguageClient it makes
// really spawns a fake `dynalint` (a tiny LSP server written to a temporary folder and found
// on PATH) that records how it was started and what it was told. Then the restart command,
// settings changes (dynalint.base, dynalint.args, trace.server), a missing executable, a
// server that exits at once and deactivate are checked.
//
//   node test/smoke.js            (after the bundle is built)

"use strict";

const assert = require("assert/strict");
const fs = require("fs");
const Module = require("module");
const os = require("os");
const path = require("path");

const bundle = path.resolve(__dirname, "..", "dist", "extension.js");
const temp = fs.mkdtempSync(path.join(os.tmpdir(), "dynalint-vscode-smoke-"));
const record = path.join(temp, "record.jsonl");
const workspace = path.join(temp, "workspace");
fs.mkdirSync(workspace);

// The fake server: answers initialize and shutdown, leaves on exit (or when stdin closes),
// and appends one JSON line per message to $DYNALINT_SMOKE_RECORD.
const fakeServer = path.join(temp, "bin", "dynalint");
fs.mkdirSync(path.dirname(fakeServer));
fs.writeFileSync(
  fakeServer,
  `#!${process.execPath}
"use strict";
const fs = require("fs");
const record = process.env.DYNALINT_SMOKE_RECORD;
let buffer = Buffer.alloc(0);
function send(message) {
  const body = JSON.stringify(message);
  process.stdout.write("Content-Length: " + Buffer.byteLength(body) + "\\r\\n\\r\\n" + body);
}
function handle(message) {
  fs.appendFileSync(record, JSON.stringify({
    pid: process.pid,
    argv: process.argv.slice(2),
    cwd: process.cwd(),
    method: message.method,
    initializationOptions: message.method === "initialize" ? message.params.initializationOptions ?? null : undefined,
    workspaceFolders: message.method === "initialize" ? message.params.workspaceFolders : undefined,
  }) + "\\n");
  if (message.method === "initialize") {
    send({ jsonrpc: "2.0", id: message.id, result: {
      capabilities: { textDocumentSync: 1, hoverProvider: true, codeActionProvider: true },
      serverInfo: { name: "dynalint", version: "0.0.0-smoke" },
    } });
  } else if (message.method === "shutdown") {
    send({ jsonrpc: "2.0", id: message.id, result: null });
  } else if (message.method === "exit") {
    process.exit(0);
  } else if (message.id !== undefined && message.method !== undefined) {
    send({ jsonrpc: "2.0", id: message.id, result: null });
  }
}
process.stdin.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf("\\r\\n\\r\\n");
    if (end < 0) return;
    const length = Number(/Content-Length: *(\\d+)/i.exec(buffer.subarray(0, end).toString())[1]);
    if (buffer.length < end + 4 + length) return;
    const body = buffer.subarray(end + 4, end + 4 + length).toString();
    buffer = buffer.subarray(end + 4 + length);
    handle(JSON.parse(body));
  }
});
process.stdin.on("end", () => process.exit(0));
`,
);
fs.chmodSync(fakeServer, 0o755);
process.env.DYNALINT_SMOKE_RECORD = record;
process.env.PATH = `${path.dirname(fakeServer)}${path.delimiter}${process.env.PATH ?? ""}`;

// ---- The fake `vscode` API: what the extension and vscode-languageclient touch. Anything
// not defined here is a stub: callable, constructible, every property another stub.
function stub(name) {
  return new Proxy(function () {}, {
    get(target, property) {
      if (property === "then") return undefined; // not a promise
      if (property === Symbol.iterator) return function* () {};
      if (property === Symbol.toPrimitive) return () => `[vscode stub ${name}]`;
      if (property === "prototype") return target.prototype;
      return stub(`${name}.${String(property)}`);
    },
    apply: () => stub(`${name}()`),
    construct: () => stub(`new ${name}`),
  });
}

class Disposable {
  constructor(callOnDispose) {
    this.callOnDispose = callOnDispose;
  }
  static from(...disposables) {
    return new Disposable(() => disposables.forEach((d) => d && d.dispose && d.dispose()));
  }
  dispose() {
    if (this.callOnDispose) this.callOnDispose();
    this.callOnDispose = undefined;
  }
}

class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (listener, thisArg) => {
      const entry = thisArg === undefined ? listener : listener.bind(thisArg);
      this.listeners.push(entry);
      return new Disposable(() => {
        this.listeners = this.listeners.filter((l) => l !== entry);
      });
    };
  }
  fire(value) {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose() {
    this.listeners = [];
  }
}

class Uri {
  constructor(fsPath) {
    this.scheme = "file";
    this.authority = "";
    this.path = fsPath;
    this.fsPath = fsPath;
    this.query = "";
    this.fragment = "";
  }
  static file(fsPath) {
    return new Uri(fsPath);
  }
  static parse(value) {
    return new Uri(decodeURIComponent(value.replace(/^file:\/\//, "")));
  }
  toString() {
    return `file://${encodeURI(this.fsPath)}`;
  }
  toJSON() {
    return { scheme: this.scheme, path: this.path };
  }
}

const settings = new Map([
  ["dynalint.path", "dynalint"],
  ["dynalint.args", []],
  ["dynalint.base", ""],
  ["dynalint.trace.server", "off"],
]);
const commands = new Map();
const configurationListeners = [];
const errors = [];
const outputLines = [];

const vscodeApi = {
  version: "1.82.0",
  Disposable,
  EventEmitter,
  Uri,
  env: { appName: "Visual Studio Code", language: "en", uiKind: 1 },
  UIKind: { Desktop: 1, Web: 2 },
  workspace: {
    workspaceFolders: [{ uri: Uri.file(workspace), name: "workspace", index: 0 }],
    textDocuments: [],
    isTrusted: true,
    getConfiguration(section) {
      const prefix = section ? `${section}.` : "";
      return {
        get(key, fallback) {
          const full = prefix + key;
          return settings.has(full) ? settings.get(full) : fallback;
        },
        has: (key) => settings.has(prefix + key),
        inspect: () => undefined,
        update: async () => {},
      };
    },
    onDidChangeConfiguration(listener) {
      configurationListeners.push(listener);
      return new Disposable(() => {
        configurationListeners.splice(configurationListeners.indexOf(listener), 1);
      });
    },
    onDidGrantWorkspaceTrust: () => new Disposable(),
  },
  window: {
    createOutputChannel(name) {
      return {
        name,
        append: (text) => outputLines.push(text),
        appendLine: (text) => outputLines.push(text),
        replace: () => {},
        clear: () => {},
        show: () => {},
        hide: () => {},
        dispose: () => {},
      };
    },
    showErrorMessage(message) {
      errors.push(message);
      return Promise.resolve(undefined);
    },
    showWarningMessage: () => Promise.resolve(undefined),
    showInformationMessage: () => Promise.resolve(undefined),
  },
  commands: {
    registerCommand(id, handler) {
      assert.ok(!commands.has(id), `command ${id} registered twice`);
      commands.set(id, handler);
      return new Disposable(() => commands.delete(id));
    },
    executeCommand: async () => undefined,
  },
};

const vscode = new Proxy(vscodeApi, {
  get(target, property) {
    if (property in target) {
      const value = target[property];
      if (value && typeof value === "object" && !Array.isArray(value) && property !== "workspace") {
        return withStubs(value, property);
      }
      if (property === "workspace") return withStubs(value, property);
      return value;
    }
    if (property === "__esModule") return false;
    return stub(`vscode.${String(property)}`);
  },
});
function withStubs(object, name) {
  return new Proxy(object, {
    get(target, property) {
      if (property in target) return target[property];
      if (property === "then") return undefined;
      return stub(`vscode.${name}.${String(property)}`);
    },
  });
}

const fakeVscodePath = path.join(temp, "vscode.js");
fs.writeFileSync(fakeVscodePath, "module.exports = global.__dynalintFakeVscode;\n");
global.__dynalintFakeVscode = vscode;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === "vscode" ? fakeVscodePath : resolve.call(this, request, ...rest);
};

// ---- Helpers.
function records() {
  if (!fs.existsSync(record)) return [];
  return fs
    .readFileSync(record, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));
}
const initializes = () => records().filter((r) => r.method === "initialize");
async function until(what, condition, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}\nrecords: ${JSON.stringify(records(), null, 1)}\noutput: ${outputLines.join("\n")}`,
      );
    }
    await new Promise((done) => setTimeout(done, 20));
  }
}
function changeSettings(changed) {
  for (const [key, value] of Object.entries(changed)) settings.set(key, value);
  const event = {
    affectsConfiguration: (section) =>
      Object.keys(changed).some((key) => key === section || key.startsWith(`${section}.`)),
  };
  for (const listener of [...configurationListeners]) listener(event);
}

let passed = 0;
let failed = 0;
async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}\n${error && error.stack ? error.stack : error}`);
  }
}

// vscode-languageclient 9 leaves promises of its own unhandled when a server exits during
// `initialize` ("Pending response rejected since connection got disposed", "Client is not
// running and can't be stopped", EPIPE): the extension host only logs them. They are
// tolerated while that case is checked; any other one fails the test.
const unhandled = [];
let tolerateClientRejections = false;
process.on("unhandledRejection", (reason) => {
  if (tolerateClientRejections) return;
  unhandled.push(reason);
  console.log(`not ok - unhandled rejection: ${reason && reason.stack ? reason.stack : reason}`);
});

async function main() {
  const extension = require(bundle);
  const subscriptions = [];
  const context = {
    subscriptions,
    extensionPath: path.resolve(__dirname, ".."),
    extensionUri: Uri.file(path.resolve(__dirname, "..")),
  };

  await check("exports activate, deactivate and the pure helpers", () => {
    for (const name of ["activate", "deactivate", "serverOptions", "readSettings"]) {
      assert.equal(typeof extension[name], "function", name);
    }
  });

  await check("serverOptions: <path> server <args...> over stdio", () => {
    const options = extension.serverOptions({ path: "dynalint", args: ["-x"], base: "" });
    assert.equal(options.command, "dynalint");
    assert.deepEqual(options.args, ["server", "-x"]);
    assert.equal(options.transport, undefined); // TransportKind.stdio would add --stdio
    assert.deepEqual(
      extension.readSettings({ get: () => undefined }),
      { path: "dynalint", args: [], base: "" },
    );
    assert.equal(extension.initializationOptions({ path: "d", args: [], base: "" }), undefined);
    assert.deepEqual(extension.initializationOptions({ path: "d", args: [], base: "origin/main" }), {
      base: "origin/main",
    });
  });

  await check("activate registers dynalint.restartServer and starts `dynalint server`", async () => {
    await extension.activate(context);
    assert.ok(commands.has("dynalint.restartServer"));
    assert.ok(configurationListeners.length >= 1); // the client has one for trace.server too
    assert.ok(subscriptions.length >= 3);
    await until("the server's initialize", () => initializes().length === 1);
    const [first] = initializes();
    assert.deepEqual(first.argv, ["server"]);
    assert.equal(fs.realpathSync(first.cwd), fs.realpathSync(workspace));
    assert.equal(first.initializationOptions, null); // no base: no change rules
    assert.equal(first.workspaceFolders[0].uri, Uri.file(workspace).toString());
    await until("initialized", () => records().some((r) => r.method === "initialized"));
    assert.deepEqual(errors, []);
  });

  await check("dynalint.restartServer stops the server and starts a new one", async () => {
    await commands.get("dynalint.restartServer")();
    await until("a second initialize", () => initializes().length === 2);
    const [first, second] = initializes();
    assert.notEqual(first.pid, second.pid);
    assert.ok(records().some((r) => r.pid === first.pid && r.method === "shutdown"));
    assert.ok(records().some((r) => r.pid === first.pid && r.method === "exit"));
  });

  await check("changing dynalint.base and dynalint.args restarts with {base} and the args", async () => {
    changeSettings({ "dynalint.base": "origin/main", "dynalint.args": ["--verbose"] });
    await until("a third initialize", () => initializes().length === 3);
    const third = initializes()[2];
    assert.deepEqual(third.argv, ["server", "--verbose"]);
    assert.deepEqual(third.initializationOptions, { base: "origin/main" });
  });

  await check("changing only dynalint.trace.server does not restart", async () => {
    changeSettings({ "dynalint.trace.server": "messages" });
    await new Promise((done) => setTimeout(done, 300));
    assert.equal(initializes().length, 3);
  });

  await check("a missing executable: an error naming dynalint.path, nothing spawned", async () => {
    settings.set("dynalint.path", path.join(temp, "nowhere", "dynalint")); // no event
    await commands.get("dynalint.restartServer")();
    assert.equal(errors.length, 1);
    assert.match(errors[0], /dynalint\.path/);
    assert.match(errors[0], /nowhere/);
    assert.equal(initializes().length, 3);
    const third = initializes()[2];
    await until("the third server's exit", () =>
      records().some((r) => r.pid === third.pid && r.method === "exit"),
    );
  });

  await check("a server that exits at once: an error naming dynalint.path", async () => {
    const quitter = path.join(temp, "bin", "quits");
    // Like a dynalint too old to have `server`: a usage error on stderr, a non-zero exit.
    fs.writeFileSync(quitter, "#!/bin/sh\necho 'not a language server' >&2\nsleep 0.2\nexit 2\n");
    fs.chmodSync(quitter, 0o755);
    errors.length = 0;
    settings.set("dynalint.path", quitter);
    tolerateClientRejections = true;
    try {
      await commands.get("dynalint.restartServer")();
      await new Promise((done) => setTimeout(done, 200));
    } finally {
      tolerateClientRejections = false;
    }
    const ours = errors.filter((message) => message.startsWith("dynalint: "));
    assert.equal(ours.length, 1, JSON.stringify(errors));
    assert.match(ours[0], /quits server --verbose` did not start.*dynalint\.path/);
    // The client's own "couldn't create connection" is forced; no others (no restart loop).
    assert.ok(errors.length <= 2, JSON.stringify(errors));
    assert.ok(outputLines.some((line) => line.includes("not a language server")));
  });

  await check("deactivate stops the server it started", async () => {
    changeSettings({ "dynalint.path": fakeServer, "dynalint.args": [], "dynalint.base": "" });
    await until("a fourth initialize", () => initializes().length === 4);
    const fourth = initializes()[3];
    await extension.deactivate();
    await until("the fourth server's exit", () =>
      records().some((r) => r.pid === fourth.pid && r.method === "exit"),
    );
    for (const disposable of subscriptions) disposable.dispose();
    assert.equal(commands.size, 0);
  });

  failed += unhandled.length;
  console.log(`smoke: ${passed} passed, ${failed} failed`);
  fs.rmSync(temp, { recursive: true, force: true });
  process.exit(failed === 0 ? 0 : 1);
}

const watchdog = setTimeout(() => {
  console.log("not ok - the smoke test took over 60 s");
  process.exit(1);
}, 60000);
watchdog.unref();

main().catch((error) => {
  console.log(`not ok - ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
