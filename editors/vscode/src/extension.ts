// The dynalint extension: starts `dynalint server` (a language server over stdio) for the
// YAML files of the workspace and restarts it when its settings change. The server itself
// keeps to the values files its include globs name (`dynalint.toml`), so every YAML file is
// handed to it.

import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  ErrorHandler,
  Executable,
  LanguageClient,
  LanguageClientOptions,
} from "vscode-languageclient/node";

/** The settings that decide how the server is started (`dynalint.*`). */
export interface Settings {
  /** `dynalint.path`: the executable, a name on PATH or a path. */
  path: string;
  /** `dynalint.args`: extra arguments after `server`. */
  args: string[];
  /** `dynalint.base`: a git revision for the change rules; empty: off. */
  base: string;
}

/** The settings that need a new server when they change (`trace.server` does not). */
const RESTART_ON = ["dynalint.path", "dynalint.args", "dynalint.base"];

/** Reads the `dynalint.*` settings, with their defaults for missing or mistyped values. */
export function readSettings(
  configuration: Pick<vscode.WorkspaceConfiguration, "get">,
): Settings {
  const executable = configuration.get<unknown>("path");
  const args = configuration.get<unknown>("args");
  const base = configuration.get<unknown>("base");
  return {
    path:
      typeof executable === "string" && executable.trim() !== ""
        ? executable.trim()
        : "dynalint",
    args: Array.isArray(args)
      ? args.filter((arg): arg is string => typeof arg === "string")
      : [],
    base: typeof base === "string" ? base.trim() : "",
  };
}

/** How the server is started: `<command> server <args...>` on stdio, in `cwd` if given. */
export function serverOptions(
  settings: Settings,
  command: string = settings.path,
  cwd?: string,
): Executable {
  // No `transport`: with TransportKind.stdio the client would append `--stdio`, which
  // `dynalint server` does not take; without one it still speaks over stdin/stdout.
  return {
    command,
    args: ["server", ...settings.args],
    options: cwd === undefined ? {} : { cwd },
  };
}

/** What the server is told in `initialize`: `{base}` when the change rules are on. */
export function initializationOptions(
  settings: Settings,
): { base: string } | undefined {
  return settings.base === "" ? undefined : { base: settings.base };
}

/**
 * The executable `dynalint.path` names, or undefined when there is none: a path (relative
 * to `cwd`) is taken as it is; a bare name is looked up on PATH (with PATHEXT on Windows).
 */
export function findExecutable(
  name: string,
  cwd: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const windows = platform === "win32";
  const extensions = windows
    ? ["", ...(env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter((e) => e !== "")]
    : [""];
  const runnable = (candidate: string): boolean => {
    try {
      if (!fs.statSync(candidate).isFile()) {
        return false;
      }
      fs.accessSync(candidate, windows ? fs.constants.F_OK : fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const withExtension = (base: string): string | undefined =>
    extensions.map((extension) => base + extension).find(runnable);

  if (name.includes("/") || (windows && name.includes("\\"))) {
    const absolute = path.isAbsolute(name) ? name : path.resolve(cwd ?? process.cwd(), name);
    return withExtension(absolute);
  }
  const searchPath = (windows ? (env.Path ?? env.PATH) : env.PATH) ?? "";
  for (const directory of searchPath.split(path.delimiter)) {
    if (directory === "") {
      continue;
    }
    const found = withExtension(path.join(directory, name));
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
/** Starts and stops run one after the other, never two at once. */
let queue: Promise<void> = Promise.resolve();

function enqueue(step: () => Promise<void>): Promise<void> {
  queue = queue.then(step, step);
  return queue;
}

function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.find((folder) => folder.uri.scheme === "file")?.uri
    .fsPath;
}

/** Says `message` in the output and as an error, with a way to the setting and the output. */
function showError(message: string): void {
  output?.appendLine(message);
  void vscode.window.showErrorMessage(message, "Open Settings", "Show Output").then((choice) => {
    if (choice === "Open Settings") {
      void vscode.commands.executeCommand("workbench.action.openSettings", "dynalint.path");
    } else if (choice === "Show Output") {
      output?.show(true);
    }
  });
}

async function start(): Promise<void> {
  const channel = output!;
  const settings = readSettings(vscode.workspace.getConfiguration("dynalint"));
  const cwd = workspaceRoot();
  const command = findExecutable(settings.path, cwd);
  if (command === undefined) {
    showError(
      `dynalint: the executable \`${settings.path}\` was not found. Put dynalint on PATH or set the \`dynalint.path\` setting to its path.`,
    );
    return;
  }
  const server = serverOptions(settings, command, cwd);
  channel.appendLine(`dynalint: starting ${server.command} ${server.args!.join(" ")}`);
  // The client's own handling, less its pop-ups for each broken write (they go to the
  // output channel): a server that exits is restarted, at most 4 times in 3 minutes, once
  // it has started; one that exits before it answered `initialize` is not (said below).
  let restarts: ErrorHandler | undefined;
  let started = false;
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "yaml" }],
    initializationOptions: initializationOptions(settings),
    outputChannel: channel,
    errorHandler: {
      error: (_error, _message, count) => ({
        action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        handled: true,
      }),
      closed: () =>
        started ? restarts!.closed() : { action: CloseAction.DoNotRestart, handled: true },
    },
    // Said once, below, with the setting to look at.
    initializationFailedHandler: () => false,
  };
  const created = new LanguageClient("dynalint", "dynalint", server, clientOptions);
  restarts = created.createDefaultErrorHandler(4);
  client = created;
  try {
    await created.start();
    // A server that exits during `initialize` can leave start() resolved all the same.
    if (!created.isRunning()) {
      throw new Error("the server exited before it answered initialize");
    }
    started = true;
  } catch (error) {
    client = undefined;
    void created.dispose().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    showError(
      `dynalint: \`${[command, ...server.args!].join(" ")}\` did not start (${reason}). Check the \`dynalint.path\` setting and the dynalint output.`,
    );
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running === undefined) {
    return;
  }
  try {
    await running.dispose(2000);
  } catch (error) {
    output?.appendLine(`dynalint: stopping the server: ${String(error)}`);
  }
}

/** Stops the server if one runs and starts it again with the current settings. */
export function restart(): Promise<void> {
  return enqueue(async () => {
    await stop();
    await start();
  });
}

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel("dynalint");
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("dynalint.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (RESTART_ON.some((section) => event.affectsConfiguration(section))) {
        void restart();
      }
    }),
    // Trusting the workspace makes its own dynalint.path and dynalint.args count.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart()),
  );
  // Not awaited: activation does not wait for the server's `initialize`.
  void enqueue(start);
}

export function deactivate(): Promise<void> {
  return enqueue(stop);
}
