//! `dynalint server`: a language server over stdio (LSP 3.17, PRODUCT.md section 10).
//! It calls the same pipeline as the CLI, on the open buffers' unsaved text over the
//! repository on disk: diagnostics as a document is typed (debounced), the fixes as quick
//! fixes, a suppression with a reason, and the rule's documentation on hover.

mod listed;
mod position;
mod transport;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{CodeActionRequest, HoverRequest, Request as _};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CodeDescription, Diagnostic, DiagnosticRelatedInformation,
    DiagnosticSeverity, Hover, HoverContents, HoverParams, HoverProviderCapability,
    InitializeParams, Location, MarkupContent, MarkupKind, NumberOrString,
    PublishDiagnosticsParams, ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextEdit, Url, WorkspaceEdit,
};

use crate::config::Config;
use crate::edit::Applicability;
use crate::pipeline::{self, Run};
use crate::report::Reported;
use crate::rule_meta::Severity;
use crate::rules;
use crate::snapshot::{GitTree, Overlay, WorkingTree};
use crate::source::{FileId, Scope, SourceFile};
use listed::Listed;
use position::{Lines, range_of};

/// How long the client must be quiet before the open documents are linted again:
/// changes that arrive while a lint runs queue up and are taken together, so a short
/// pause is enough to coalesce a burst of keystrokes.
const DEBOUNCE: Duration = Duration::from_millis(5);

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("the language client: {0}")]
    Protocol(#[from] lsp_server::ProtocolError),
    #[error("the language client went away before `initialize` was answered")]
    Gone,
}

/// Serves one client on stdin/stdout until it says `exit`; whether it asked for
/// `shutdown` first (the exit status is 0 then, 1 otherwise, as LSP says).
pub fn run() -> Result<bool, ServerError> {
    let (connection, threads) = transport::stdio();
    let shut_down = serve(&connection)?;
    drop(connection);
    threads.join();
    Ok(shut_down)
}

/// The server's whole life on one connection: initialize, the message loop, shutdown;
/// whether the client asked for `shutdown` before it left.
pub fn serve(connection: &Connection) -> Result<bool, ServerError> {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    };
    let Some((id, params)) = initialize(connection)? else {
        // `exit` before `initialize`: no shutdown was asked for.
        return Ok(false);
    };
    connection
        .sender
        .send(
            Response::new_ok(
                id,
                serde_json::json!({
                    "capabilities": capabilities,
                    "serverInfo": {"name": "dynalint", "version": env!("CARGO_PKG_VERSION")},
                }),
            )
            .into(),
        )
        .map_err(|_| ServerError::Gone)?;
    let mut state = State::new(workspace_root(&params));
    if params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|workspace| workspace.did_change_watched_files.as_ref())
        .and_then(|watched| watched.dynamic_registration)
        == Some(true)
    {
        watch(connection, &state.config);
    }
    // `initializationOptions.base` (`"origin/main"`): the change rules while typing,
    // against the merge-base, read from git once.
    if let Some(base) = params
        .initialization_options
        .as_ref()
        .and_then(|options| options.get("base"))
        .and_then(serde_json::Value::as_str)
    {
        state.compare_with(base, connection);
    }
    loop {
        let timeout = if state.dirty {
            DEBOUNCE
        } else {
            Duration::from_secs(3600)
        };
        match connection.receiver.recv_timeout(timeout) {
            Ok(Message::Request(request)) => {
                if request.method == lsp_types::request::Shutdown::METHOD {
                    let _ = connection
                        .sender
                        .send(Response::new_ok(request.id, ()).into());
                    after_shutdown(connection);
                    return Ok(true);
                }
                // Answers come from the documents as last linted: lint first if behind.
                if state.dirty {
                    state.lint(connection);
                }
                let response = state.answer(request);
                let _ = connection.sender.send(response.into());
            }
            Ok(Message::Notification(notification)) if notification.method == "exit" => {
                return Ok(false);
            }
            Ok(Message::Notification(notification)) => state.notify(notification),
            Ok(Message::Response(_)) => {}
            Err(RecvTimeoutError::Timeout) => {
                if state.dirty {
                    state.lint(connection);
                }
            }
            Err(RecvTimeoutError::Disconnected) => return Ok(false),
        }
    }
}

/// Waits for `initialize` as LSP says: a request before it is answered "not
/// initialized", a notification dropped, and an `initialize` whose parameters do not read
/// is answered with an error (the client may send another); `None` when the client says
/// `exit` first.
fn initialize(
    connection: &Connection,
) -> Result<Option<(RequestId, InitializeParams)>, ServerError> {
    loop {
        let message = connection.receiver.recv().map_err(|_| ServerError::Gone)?;
        let response = match message {
            Message::Request(request)
                if request.method == lsp_types::request::Initialize::METHOD =>
            {
                match serde_json::from_value::<InitializeParams>(request.params) {
                    Ok(params) => return Ok(Some((request.id, params))),
                    Err(error) => Response::new_err(
                        request.id,
                        lsp_server::ErrorCode::InvalidParams as i32,
                        format!("the initialize request's parameters: {error}"),
                    ),
                }
            }
            Message::Request(request) => Response::new_err(
                request.id,
                lsp_server::ErrorCode::ServerNotInitialized as i32,
                format!("`{}` before `initialize`", request.method),
            ),
            Message::Notification(notification) if notification.method == "exit" => {
                return Ok(None);
            }
            Message::Notification(_) | Message::Response(_) => continue,
        };
        let _ = connection.sender.send(response.into());
    }
}

/// After `shutdown`, until `exit`: requests are answered with an error, notifications
/// dropped, as LSP says (the client saying `exit` or going away ends it).
fn after_shutdown(connection: &Connection) {
    for message in &connection.receiver {
        match message {
            Message::Notification(notification) if notification.method == "exit" => return,
            Message::Request(request) => {
                let response = Response::new_err(
                    request.id,
                    lsp_server::ErrorCode::InvalidRequest as i32,
                    "the server is shut down: only `exit` is served".to_string(),
                );
                let _ = connection.sender.send(response.into());
            }
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

/// The repository the editor opened: its first workspace folder or root URI (the folder
/// the include globs are relative to, as `--repo` is); else the git top level of the
/// current directory.
fn workspace_root(params: &InitializeParams) -> PathBuf {
    #[allow(deprecated)] // `root_uri` is what older clients (Neovim 0.7) send.
    let uri = params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|folder| folder.uri.clone())
        .or_else(|| params.root_uri.clone());
    if let Some(folder) = uri.and_then(|uri| uri.to_file_path().ok()) {
        return folder;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    git2::Repository::discover(&cwd)
        .ok()
        .and_then(|repository| repository.workdir().map(Path::to_path_buf))
        .unwrap_or(cwd)
}

/// An open document: its repository path and its unsaved text.
struct Document {
    path: String,
    text: String,
    /// When it was last opened or changed (a count of such events): of two URIs for one
    /// file (a link and its target), the text typed last is the file's.
    typed: u64,
}

struct State {
    root: PathBuf,
    config: Config,
    /// Open documents by URI.
    documents: BTreeMap<Url, Document>,
    /// `dynalint.toml` when it does not parse, and why.
    config_problem: Option<(Url, String)>,
    /// The open documents changed since they were last linted.
    dirty: bool,
    /// The last lint of the open documents.
    last: Option<Run>,
    /// Documents that had diagnostics published (to clear them when closed).
    published: Vec<Url>,
    /// The repository on disk, its listing kept until files change on disk.
    tree: Option<Listed<WorkingTree>>,
    /// The blob ids of the files the last lint read, by path: read again only when they
    /// change.
    known: Vec<(String, git2::Oid)>,
    /// Opens and changes so far (what [`Document::typed`] counts).
    typed: u64,
    /// The merge-base with `initializationOptions.base`, the configuration it was checked
    /// with (its own `dynalint.toml`, as `check --base` reads it; `None`: the head's), and
    /// how messages name it.
    base: Option<(GitTree, Option<Config>, String)>,
}

impl State {
    fn new(root: PathBuf) -> State {
        let mut state = State {
            root,
            config: Config::default(),
            config_problem: None,
            documents: BTreeMap::new(),
            dirty: false,
            last: None,
            published: Vec::new(),
            known: Vec::new(),
            tree: None,
            base: None,
            typed: 0,
        };
        state.load_config();
        state
    }

    /// Reads `dynalint.toml` again: one that does not parse is a diagnostic on it, and the
    /// last configuration that did stays.
    fn load_config(&mut self) {
        let Some(path) = Config::discover(&self.root) else {
            self.config = Config::default();
            self.config_problem = None;
            return;
        };
        match Config::load(&path) {
            Ok(config) => {
                self.config = config;
                self.config_problem = None;
            }
            Err(error) => {
                let message = error.to_string();
                let shown = path.display().to_string();
                let message = message
                    .strip_prefix(&format!("{shown}: "))
                    .unwrap_or(&message)
                    .to_string();
                self.config_problem = Url::from_file_path(&path).ok().map(|uri| (uri, message));
            }
        }
    }

    /// Compares the open documents with `base` (at its merge-base with HEAD); when it
    /// cannot be read, says so to the user and goes on without the change rules.
    fn compare_with(&mut self, base: &str, connection: &Connection) {
        let tree = crate::snapshot::commits(&self.root, base, None)
            .map_err(|error| error.to_string())
            .and_then(|commits| {
                let label = commits.base.to_string()[..12].to_string();
                GitTree::new(&self.root, commits.base)
                    .map(|tree| {
                        // As `check --base` finds it (the head's when it does not read).
                        let (config, _) =
                            crate::revision::revision_config(&self.root, None, false, &tree, None);
                        (tree, config, label)
                    })
                    .map_err(|error| error.to_string())
            });
        match tree {
            Ok(base) => self.base = Some(base),
            Err(error) => {
                let params = lsp_types::ShowMessageParams {
                    typ: lsp_types::MessageType::WARNING,
                    message: format!(
                        "dynalint: initializationOptions.base `{base}`: {error}; the change rules are off"
                    ),
                };
                let _ = connection.sender.send(
                    Notification::new(
                        lsp_types::notification::ShowMessage::METHOD.to_string(),
                        params,
                    )
                    .into(),
                );
            }
        }
    }

    /// The repository path of a document, when it is a file inside the repository.
    /// The path is the one the lint reads: its components joined by `/` (a `//` in the
    /// URI is one separator); through a symbolic link (the workspace folder opened by
    /// one name and the file by another), where the link leads.
    fn repository_path(&self, uri: &Url) -> Option<String> {
        let path = uri.to_file_path().ok()?;
        let relative = match path.strip_prefix(&self.root) {
            Ok(relative) => relative.to_path_buf(),
            Err(_) => {
                // The file itself may not be on disk yet: its folder is.
                let root = self.root.canonicalize().ok()?;
                let folder = path.parent()?.canonicalize().ok()?;
                folder.strip_prefix(&root).ok()?.join(path.file_name()?)
            }
        };
        let parts = relative
            .components()
            .map(|component| match component {
                std::path::Component::Normal(part) => part.to_str(),
                _ => None,
            })
            .collect::<Option<Vec<&str>>>()?;
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    fn notify(&mut self, notification: Notification) {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(params) = notification
                    .extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                {
                    let document = params.text_document;
                    self.typed += 1;
                    if let Some(path) = self.repository_path(&document.uri) {
                        self.documents.insert(
                            document.uri,
                            Document {
                                path,
                                text: document.text,
                                typed: self.typed,
                            },
                        );
                        self.dirty = true;
                    }
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(params) = notification.extract::<lsp_types::DidChangeTextDocumentParams>(
                    DidChangeTextDocument::METHOD,
                ) && let Some(document) = self.documents.get_mut(&params.text_document.uri)
                {
                    // Full sync, as declared: a change is the whole text. A client that
                    // sends ranges anyway has them applied in order, never taken for the
                    // whole text.
                    self.typed += 1;
                    document.typed = self.typed;
                    for change in params.content_changes {
                        match change.range {
                            Some(range) => {
                                position::apply_change(&mut document.text, range, &change.text)
                            }
                            None => document.text = change.text,
                        }
                        self.dirty = true;
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(params) = notification
                    .extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                {
                    self.documents.remove(&params.text_document.uri);
                    self.dirty = true;
                }
            }
            DidSaveTextDocument::METHOD => self.dirty = true,
            // `dynalint.toml`, the chart's defaults or a workload changed on disk.
            DidChangeWatchedFiles::METHOD => {
                self.load_config();
                // Read everything again.
                self.known.clear();
                self.last = None;
                self.tree = None;
                self.dirty = true;
            }
            _ => {}
        }
    }

    /// Lints the open documents (their unsaved text over the repository on disk) and
    /// publishes every open document's diagnostics; closed ones are cleared.
    fn lint(&mut self, connection: &Connection) {
        self.dirty = false;
        if self.tree.is_none() {
            self.tree = WorkingTree::new(&self.root).ok().map(Listed::new);
        }
        let Some(tree) = &self.tree else {
            return;
        };
        // One text per path: the one typed last.
        let mut latest: BTreeMap<&str, &Document> = BTreeMap::new();
        for document in self.documents.values() {
            let kept = latest.entry(&document.path).or_insert(document);
            if document.typed > kept.typed {
                *kept = document;
            }
        }
        let open: Vec<(String, Vec<u8>)> = latest
            .values()
            .map(|document| (document.path.clone(), document.text.clone().into_bytes()))
            .collect();
        let mut head = Overlay::with(tree, open);
        // The files not open read as when last linted (the repository is kept warm): only
        // the open buffers are parsed again. What changes on disk behind the editor's back
        // is read again when the client says so (watched files).
        head.know(
            self.known
                .iter()
                .filter(|(path, _)| {
                    !self
                        .documents
                        .values()
                        .any(|document| &document.path == path)
                })
                .cloned(),
        );
        let scope = Scope::paths(
            self.documents
                .values()
                .map(|document| document.path.clone())
                .collect(),
        );
        let run = if self.documents.is_empty() {
            None
        } else {
            let again = match &self.last {
                Some(last) => pipeline::Again::After(last),
                None => pipeline::Again::First,
            };
            pipeline::run_after(
                pipeline::Input {
                    config: &self.config,
                    head: &head,
                    base: self
                        .base
                        .as_ref()
                        .map(|(tree, config, label)| pipeline::Base {
                            snapshot: tree,
                            // The base is judged with its own configuration: the working
                            // tree's cannot turn off or lower the change rule that reports
                            // the change, nor an `ignore` the base has cover it (as in CI).
                            config: config.as_ref(),
                            label: label.clone(),
                        }),
                    scope: &scope,
                    focus: true,
                    new_only: false,
                },
                again,
            )
            .ok()
        };
        let mut published = Vec::new();
        for (uri, document) in &self.documents {
            let diagnostics = run
                .as_ref()
                .map(|run| diagnostics(run, &self.root, &document.path, &self.documents))
                .unwrap_or_default();
            publish(connection, uri.clone(), diagnostics);
            published.push(uri.clone());
        }
        if let Some((uri, message)) = &self.config_problem {
            let diagnostic = Diagnostic {
                severity: Some(DiagnosticSeverity::ERROR),
                source: Some("dynalint".to_string()),
                message: format!("{message} (the last configuration that read stays in use)"),
                ..Diagnostic::default()
            };
            publish(connection, uri.clone(), vec![diagnostic]);
            published.push(uri.clone());
        }
        for uri in std::mem::take(&mut self.published) {
            if !published.contains(&uri) {
                publish(connection, uri, Vec::new());
            }
        }
        self.published = published;
        self.known = run
            .as_ref()
            .map(|run| {
                run.head
                    .content_ids()
                    .map(|(path, id)| (path.to_string(), id))
                    .collect()
            })
            .unwrap_or_default();
        self.last = run;
    }

    fn answer(&self, request: Request) -> Response {
        let id = request.id.clone();
        match request.method.as_str() {
            CodeActionRequest::METHOD => {
                match request.extract::<CodeActionParams>(CodeActionRequest::METHOD) {
                    Ok((id, params)) => Response::new_ok(id, self.code_actions(&params)),
                    Err(_) => invalid(id),
                }
            }
            HoverRequest::METHOD => match request.extract::<HoverParams>(HoverRequest::METHOD) {
                Ok((id, params)) => Response::new_ok(id, self.hover(&params)),
                Err(_) => invalid(id),
            },
            lsp_types::request::Initialize::METHOD => Response::new_err(
                id,
                lsp_server::ErrorCode::InvalidRequest as i32,
                "the server is initialized already".to_string(),
            ),
            _ => Response::new_err(
                id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("dynalint does not serve `{}`", request.method),
            ),
        }
    }

    /// The findings of the last lint in the document at `uri`, with their source and its
    /// lines (as the document has them): those read from the document's text as it is.
    fn findings(&self, uri: &Url) -> Vec<(&Reported, &SourceFile, std::rc::Rc<Lines<'_>>)> {
        let (Some(run), Some(document)) = (&self.last, self.documents.get(uri)) else {
            return Vec::new();
        };
        // One index of lines per file read, not one per finding.
        let mut lines: HashMap<FileId, Option<std::rc::Rc<Lines<'_>>>> = HashMap::new();
        run.report
            .findings
            .iter()
            .filter(|item| item.path == document.path)
            .filter_map(|item| {
                let file = item.finding.site.file;
                let source = run.sources.get(file);
                let lines = lines
                    .entry(file)
                    .or_insert_with(|| {
                        Lines::of_document(&document.text, &source.text).map(std::rc::Rc::new)
                    })
                    .clone()?;
                Some((item, source, lines))
            })
            .collect()
    }

    fn code_actions(&self, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let uri = &params.text_document.uri;
        let mut actions = Vec::new();
        let mut literal: HashMap<FileId, Vec<crate::span::Span>> = HashMap::new();
        for (item, source, lines) in self.findings(uri) {
            let range = range_of(&lines, item.finding.site.span);
            if range.end < params.range.start || params.range.end < range.start {
                continue;
            }
            let rule = item.finding.rule;
            if let Some(fix) = &item.fix {
                let edits: Vec<TextEdit> = fix
                    .edits
                    .iter()
                    .map(|edit| TextEdit {
                        range: range_of(&lines, edit.span),
                        new_text: edit.text.clone(),
                    })
                    .collect();
                let safe = fix.applicability == Applicability::Safe;
                let title = if safe {
                    format!("{}: {}", rule.code, fix.title)
                } else {
                    format!(
                        "{} (unsafe: it can change what AWS does): {}",
                        rule.code, fix.title
                    )
                };
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    is_preferred: Some(safe),
                    edit: Some(workspace_edit(uri, edits)),
                    ..CodeAction::default()
                }));
            }
            // Block scalars and multi-line scalars, where a comment would be content.
            let literal = literal.entry(item.finding.site.file).or_insert_with(|| {
                crate::yaml::load(&source.text, &self.config.limits.yaml)
                    .map(|document| document.literal_text)
                    .unwrap_or_default()
            });
            if let Some(edit) = suppression(source, &lines, literal, item) {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: format!("{}: suppress on this line, with a reason", rule.code),
                    kind: Some(CodeActionKind::QUICKFIX),
                    edit: Some(workspace_edit(uri, vec![edit])),
                    ..CodeAction::default()
                }));
            }
        }
        actions
    }

    fn hover(&self, params: &HoverParams) -> Option<Hover> {
        let at = params.text_document_position_params.position;
        let uri = &params.text_document_position_params.text_document.uri;
        self.findings(uri).into_iter().find_map(|(item, _, lines)| {
            let range = range_of(&lines, item.finding.site.span);
            (range.start <= at && at <= range.end).then(|| Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: rules::explain(item.finding.rule),
                }),
                range: Some(range),
            })
        })
    }
}

/// Asks the client to say when what the lint reads besides the values changes on disk:
/// `dynalint.toml`, the chart's defaults and schema, workloads' `Chart.yaml`.
fn watch(connection: &Connection, config: &Config) {
    // The values files too: one added, removed or changed behind the editor's back.
    let patterns = [
        "**/dynalint.toml".to_string(),
        "**/.dynalint.toml".to_string(),
        format!("**/{}", config.chart_defaults),
        format!("**/{}", config.chart_schema),
        "**/Chart.yaml".to_string(),
    ]
    .into_iter()
    .chain(config.include.iter().cloned());
    let watchers: Vec<lsp_types::FileSystemWatcher> = patterns
        .into_iter()
        .map(|pattern| lsp_types::FileSystemWatcher {
            glob_pattern: lsp_types::GlobPattern::String(pattern),
            kind: None,
        })
        .collect();
    let params = lsp_types::RegistrationParams {
        registrations: vec![lsp_types::Registration {
            id: "dynalint-watched-files".to_string(),
            method: DidChangeWatchedFiles::METHOD.to_string(),
            register_options: serde_json::to_value(
                lsp_types::DidChangeWatchedFilesRegistrationOptions { watchers },
            )
            .ok(),
        }],
    };
    let request = Request::new(
        RequestId::from("dynalint-watch".to_string()),
        lsp_types::request::RegisterCapability::METHOD.to_string(),
        params,
    );
    let _ = connection.sender.send(request.into());
}

fn invalid(id: RequestId) -> Response {
    Response::new_err(
        id,
        lsp_server::ErrorCode::InvalidParams as i32,
        "the request's parameters do not read as LSP says".to_string(),
    )
}

fn workspace_edit(uri: &Url, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(std::iter::once((uri.clone(), edits)).collect()),
        ..WorkspaceEdit::default()
    }
}

/// `# dynalint: ignore[CODE] -- ` after the finding's line, or on a line of its own
/// above it when the line has a comment already or ends inside a scalar that goes on
/// (`literal`: block scalars, multi-line scalars); none when neither place is outside
/// such a scalar (the comment would be content there, or end the scalar). The reason is
/// the user's to write.
fn suppression(
    source: &SourceFile,
    lines: &Lines<'_>,
    literal: &[crate::span::Span],
    item: &Reported,
) -> Option<TextEdit> {
    let line = item.start.line;
    let text = source.line_text(line);
    let code = item.finding.rule.code;
    let start = source.line_start(line).unwrap_or(0);
    let end = start + text.len() as u32;
    let inside = |offset: u32| {
        literal
            .iter()
            .any(|span| span.start < offset && offset < span.end)
    };
    let trailing = !text.contains('#') && !inside(end);
    if trailing {
        let end = range_of(lines, crate::span::Span::at(end)).start;
        return Some(TextEdit {
            range: lsp_types::Range { start: end, end },
            new_text: format!("  # dynalint: ignore[{code}] -- "),
        });
    }
    if inside(start) {
        return None;
    }
    let indent: String = text.chars().take_while(|c| *c == ' ').collect();
    let at = range_of(lines, crate::span::Span::at(start)).start;
    let line_break = if source.text[start as usize..].contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    Some(TextEdit {
        range: lsp_types::Range { start: at, end: at },
        new_text: format!("{indent}# dynalint: ignore[{code}] -- {line_break}"),
    })
}

/// The diagnostics of one document from a run.
fn diagnostics(
    run: &Run,
    root: &Path,
    path: &str,
    documents: &BTreeMap<Url, Document>,
) -> Vec<Diagnostic> {
    // One index of lines per file, as the editor has it when it is open.
    let mut indexes: HashMap<FileId, Lines<'_>> = HashMap::new();
    let lines_of = |file: FileId| -> Lines<'_> {
        let source = run.sources.get(file);
        documents
            .values()
            .filter(|document| document.path == source.path)
            .find_map(|document| Lines::of_document(&document.text, &source.text))
            .unwrap_or_else(|| Lines::new(&source.text))
    };
    let mut out = Vec::new();
    for item in run.report.findings.iter().filter(|item| item.path == path) {
        let lines = indexes
            .entry(item.finding.site.file)
            .or_insert_with(|| lines_of(item.finding.site.file));
        let site = range_of(lines, item.finding.site.span);
        let finding = &item.finding;
        let message = match &finding.help {
            Some(help) => format!("{}\nhelp: {help}", finding.message),
            None => finding.message.clone(),
        };
        let related: Vec<DiagnosticRelatedInformation> = item
            .related
            .iter()
            .filter_map(|related| {
                let source = run.sources.get(related.file);
                // The open document's own URI, else the file in the repository.
                let uri = documents
                    .iter()
                    .find(|(_, document)| document.path == related.path)
                    .map(|(uri, _)| uri.clone())
                    .or_else(|| Url::from_file_path(root.join(&related.path)).ok())?;
                let lines = indexes
                    .entry(related.file)
                    .or_insert_with(|| lines_of(related.file));
                Some(DiagnosticRelatedInformation {
                    location: Location {
                        uri,
                        range: range_of(lines, related_span(source, related)),
                    },
                    message: related.message.clone(),
                })
            })
            .collect();
        out.push(Diagnostic {
            range: site,
            severity: Some(match finding.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
                Severity::Note => DiagnosticSeverity::INFORMATION,
            }),
            code: Some(NumberOrString::String(finding.rule.code.to_string())),
            code_description: Url::parse(&rules::docs_url(finding.rule))
                .ok()
                .map(|href| CodeDescription { href }),
            source: Some("dynalint".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Diagnostic::default()
        });
    }
    out
}

/// A related location's span in its file, from its positions.
fn related_span(
    source: &SourceFile,
    related: &crate::report::RelatedLocation,
) -> crate::span::Span {
    let offset = |position: crate::span::Position| {
        let start = source.line_start(position.line).unwrap_or(0) as usize;
        let line = source.line_text(position.line);
        let bytes: usize = line
            .chars()
            .take(position.column.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        (start + bytes) as u32
    };
    crate::span::Span::new(offset(related.start), offset(related.end))
}

fn publish(connection: &Connection, uri: Url, diagnostics: Vec<Diagnostic>) {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version: None,
    };
    let _ = connection
        .sender
        .send(Notification::new(PublishDiagnostics::METHOD.to_string(), params).into());
}
