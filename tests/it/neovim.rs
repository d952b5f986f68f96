//! A real editor as the client: Neovim, headless, configured with the README's block for
//! Neovim 0.7 to 0.10 (`vim.lsp.start_client`; Debian's package is 0.7), opens a values
//! file, and writes back the diagnostics it received (`vim.diagnostic.get`) and the code
//! actions it was offered. Needs `nvim` on PATH: `.ci/run` installs it and runs this.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::common::Repo;

const PATH: &str = "apps-shop/apps/shop-dev/dynamo-tables/values.yaml";

/// The Lua the editor runs: start the client, open the file, wait for diagnostics, ask for
/// the code actions at the first one, write both as JSON to `$OUT`, quit.
const SCRIPT: &str = r#"
local out = os.getenv("OUT")
local function finish(result)
  local file = io.open(out, "w")
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd("qa!")
end
vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("FILE")))
local buffer = vim.api.nvim_get_current_buf()
-- The README's autocommand attached the server to the YAML buffer (a client is listed
-- once it is initialized).
local client
vim.wait(20000, function()
  for _, each in pairs(vim.lsp.buf_get_clients(buffer)) do
    if each.name == "dynalint" then client = each end
  end
  return client ~= nil
end, 20)
if not client then
  finish({ error = "no dynalint client attached to the buffer (filetype " .. vim.bo.filetype .. ")" })
end
local ok = vim.wait(20000, function()
  return #vim.diagnostic.get(buffer) > 0
end, 20)
if not ok then
  finish({ error = "no diagnostics within 20 s" })
end
local diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(buffer)) do
  local lsp = (d.user_data or {}).lsp or {}
  table.insert(diagnostics, {
    lnum = d.lnum, col = d.col, end_col = d.end_col, severity = d.severity,
    source = d.source, message = d.message, code = d.code or lsp.code,
  })
end
local first = vim.diagnostic.get(buffer)[1]
local params = {
  textDocument = { uri = vim.uri_from_bufnr(buffer) },
  range = {
    start = { line = first.lnum, character = first.col },
    ["end"] = { line = first.end_lnum, character = first.end_col },
  },
  context = { diagnostics = {} },
}
local answer = client.request_sync("textDocument/codeAction", params, 10000, buffer)
local titles = {}
for _, action in ipairs((answer or {}).result or {}) do
  table.insert(titles, action.title)
end
client.stop()
vim.wait(5000, function() return client.is_stopped() end, 20)
finish({ diagnostics = diagnostics, actions = titles })
"#;

#[test]
#[ignore = "needs Neovim (`nvim` on PATH); .ci/run installs it and runs the ignored tests"]
fn neovim_receives_the_diagnostics_and_the_fixes() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    // Two traps; `é` before the second one is two bytes, one UTF-16 unit: Neovim's columns
    // are bytes, converted from the server's UTF-16 positions.
    repo.values(
        "shop-dev",
        "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: N}]\n    tags: {note: \"é\", kind: no}\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n",
    );
    // The README's configuration, then the test's own steps.
    let readme = std::fs::read_to_string(crate::common::project_root().join("README.md")).unwrap();
    let (_, after) = readme
        .split_once("Older Neovim (0.7 to 0.10)")
        .expect("the README's block for older Neovim");
    let configuration = after
        .split_once("```lua\n")
        .and_then(|(_, block)| block.split_once("```"))
        .map(|(block, _)| block)
        .expect("a lua block");
    assert!(
        configuration.contains("vim.lsp.start_client"),
        "{configuration}"
    );
    let script = repo.path().join("client.lua");
    std::fs::write(&script, format!("{configuration}\n{SCRIPT}")).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_dynalint"))
        .parent()
        .unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = repo.path().join("received.json");
    let mut child = Command::new("nvim")
        .args(["--headless", "--clean", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("OUT", &out)
        .env("PATH", path)
        .env("FILE", repo.path().join(PATH))
        .current_dir(repo.path())
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("nvim on PATH (.ci/run installs Debian's neovim)");
    // Never a hang: the editor has a minute.
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("nvim did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "nvim: {status}");
    let received: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(received["error"], Value::Null, "{received}");
    let mut diagnostics: Vec<(String, u64, u64, u64, String)> = received["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["lnum"].as_u64().unwrap(),
                d["col"].as_u64().unwrap(),
                d["end_col"].as_u64().unwrap(),
                d["source"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    diagnostics.sort();
    // Line 4 `type: N` (bytes 34..35); line 5 `kind: no`, which the server put at UTF-16
    // unit 28: after the two bytes of `é`, Neovim's byte column is 29.
    assert_eq!(
        diagnostics,
        [
            ("DL004".to_string(), 3, 34, 35, "dynalint".to_string()),
            ("DL004".to_string(), 4, 29, 31, "dynalint".to_string()),
        ],
        "{received}"
    );
    let message = received["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("YAML"), "{message}");
    // Error severity (vim.diagnostic.severity.ERROR is 1).
    assert_eq!(received["diagnostics"][0]["severity"], 1);
    let actions: Vec<&str> = received["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|title| title.as_str().unwrap())
        .collect();
    assert!(
        actions
            .iter()
            .any(|title| title.starts_with("DL004: quote it")),
        "{actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|title| title.contains("suppress on this line, with a reason")),
        "{actions:?}"
    );
    // The editor's buffer was never saved: the file is as written.
    assert!(
        std::fs::read_to_string(repo.path().join(PATH))
            .unwrap()
            .contains("type: N")
    );
}
