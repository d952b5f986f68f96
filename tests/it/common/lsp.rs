//! `dynalint server` driven over stdio as an editor drives it (the server tests).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A server process and its two ends.
pub struct Server {
    pub child: Child,
    pub input: ChildStdin,
    output: BufReader<ChildStdout>,
    next_id: u64,
}

impl Server {
    /// The process, not initialized.
    pub fn spawn(root: &std::path::Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dynalint"))
            .arg("server")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Server {
            child,
            input,
            output,
            next_id: 1,
        }
    }

    pub fn start(root: &std::path::Path) -> Server {
        Server::start_at(root, &format!("file://{}", root.display()), Value::Null)
    }

    /// Initialized with `root_uri` as the workspace and these `initializationOptions`.
    pub fn start_at(root: &std::path::Path, root_uri: &str, options: Value) -> Server {
        Server::start_as(root, root_uri, options, json!({}))
    }

    /// Initialized as a client with these `capabilities`.
    pub fn start_as(
        root: &std::path::Path,
        root_uri: &str,
        options: Value,
        capabilities: Value,
    ) -> Server {
        let mut server = Server::spawn(root);
        let answer = server.request(
            "initialize",
            json!({"processId": null, "rootUri": root_uri, "capabilities": capabilities, "initializationOptions": options}),
        );
        assert_eq!(answer["result"]["serverInfo"]["name"], "dynalint");
        server.notify("initialized", json!({}));
        server
    }

    pub fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.input.flush().unwrap();
    }

    pub fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert_ne!(
                self.output.read_line(&mut line).unwrap(),
                0,
                "the server left"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = value.parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.output.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.receive();
            if message["id"] == id && message.get("method").is_none() {
                return message;
            }
        }
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
    }

    pub fn change(&mut self, uri: &str, version: u64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    pub fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let message = self.receive();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }

    /// The diagnostics last published for `uri` before the answer to a request sent now
    /// (the server lints what it was sent before it answers): `None` if none were.
    pub fn settled(&mut self, uri: &str) -> Option<Vec<Value>> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "dynalint/unknown", "params": {}}));
        let mut last = None;
        loop {
            let message = self.receive();
            if message["id"] == id && message.get("method").is_none() {
                return last;
            }
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                last = Some(message["params"]["diagnostics"].as_array().unwrap().clone());
            }
        }
    }

    pub fn actions(&mut self, uri: &str, diagnostic: &Value) -> Vec<Value> {
        let answer = self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}}),
        );
        answer["result"].as_array().unwrap().clone()
    }

    /// The exit status, waited for at most 10 s (`None`: it hangs, and is killed).
    pub fn status(mut self) -> Option<i32> {
        drop(self.input);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        None
    }

    pub fn stop(mut self) -> Option<i32> {
        let answer = self.request("shutdown", Value::Null);
        assert_eq!(answer["result"], Value::Null);
        self.notify("exit", Value::Null);
        self.status()
    }

    /// Sends a request; the messages before its response (the diagnostics published
    /// since), and the response.
    pub fn until_answered(&mut self, method: &str, params: Value) -> (Vec<Value>, Value) {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let mut before = Vec::new();
        loop {
            let message = self.receive();
            if message["id"] == id && message.get("method").is_none() {
                return (before, message);
            }
            before.push(message);
        }
    }
}
