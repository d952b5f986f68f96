//! `dynalint server`: a language server over stdio (LSP 3.17, PRODUCT.md section 10).
//! It calls the same pipeline as the CLI, on the open buffers' unsaved text over the
//! repository on disk: diagnostics as a document is typed (debounced), the fixes as quick
//! fixes, a suppression with a reason, and the rule's documentation on hover.

mod listed;
mod position;
mod transport;

use std::collections::BTreeMap;
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
use crate::source::{Scope, SourceFile};
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
    #[error("the initialize request: {0}")]
    Initialize(#[from] serde_json::Error),
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
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    connection.initialize_finish(
        id,
        serde_json::json!({
            "capabilities": capabilities,
            "serverInfo": {"name": "dynalint", "version": env!("CARGO_PKG_VERSION")},
        }),
    )?;
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
                if connection.handle_shutdown(&request)? {
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
    /// The merge-base with `initializationOptions.base`, and how messages name it.
    base: Option<(GitTree, String)>,
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
                    .map(|tree| (tree, label))
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
    fn repository_path(&self, uri: &Url) -> Option<String> {
        let path = uri.to_file_path().ok()?;
        let relative = path.strip_prefix(&self.root).ok()?;
        let text = relative.to_str()?.replace('\\', "/");
        (!text.is_empty()).then_some(text)
    }

    fn notify(&mut self, notification: Notification) {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(params) = notification
                    .extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                {
                    let document = params.text_document;
                    if let Some(path) = self.repository_path(&document.uri) {
                        self.documents.insert(
                            document.uri,
                            Document {
                                path,
                                text: document.text,
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
                    // Full sync: the last change is the whole text.
                    && let Some(change) = params.content_changes.into_iter().last()
                {
                    document.text = change.text;
                    self.dirty = true;
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
        let open: Vec<(String, Vec<u8>)> = self
            .documents
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
                    base: self.base.as_ref().map(|(tree, label)| pipeline::Base {
                        snapshot: tree,
                        config: None,
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
            _ => Response::new_err(
                id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("dynalint does not serve `{}`", request.method),
            ),
        }
    }

    /// The findings of the last lint in the document at `uri`, with its source.
    fn findings(&self, uri: &Url) -> Vec<(&Reported, &SourceFile)> {
        let (Some(run), Some(document)) = (&self.last, self.documents.get(uri)) else {
            return Vec::new();
        };
        run.report
            .findings
            .iter()
            .filter(|item| item.path == document.path)
            .map(|item| (item, run.sources.get(item.finding.site.file)))
            .filter(|(_, source)| source.text == document.text)
            .collect()
    }

    fn code_actions(&self, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let uri = &params.text_document.uri;
        let mut actions = Vec::new();
        for (item, source) in self.findings(uri) {
            let lines = Lines::new(&source.text);
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
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("{}: suppress on this line, with a reason", rule.code),
                kind: Some(CodeActionKind::QUICKFIX),
                edit: Some(workspace_edit(uri, vec![suppression(source, &lines, item)])),
                ..CodeAction::default()
            }));
        }
        actions
    }

    fn hover(&self, params: &HoverParams) -> Option<Hover> {
        let at = params.text_document_position_params.position;
        let uri = &params.text_document_position_params.text_document.uri;
        self.findings(uri).into_iter().find_map(|(item, source)| {
            let lines = Lines::new(&source.text);
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
/// above it when the line has a comment already; the reason is the user's to write.
fn suppression(source: &SourceFile, lines: &Lines<'_>, item: &Reported) -> TextEdit {
    let line = item.start.line;
    let text = source.line_text(line);
    let code = item.finding.rule.code;
    let start = source.line_start(line).unwrap_or(0);
    if text.contains('#') {
        let indent: String = text.chars().take_while(|c| *c == ' ').collect();
        let at = range_of(lines, crate::span::Span::at(start)).start;
        let line_break = if source.text[start as usize..].contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        TextEdit {
            range: lsp_types::Range { start: at, end: at },
            new_text: format!("{indent}# dynalint: ignore[{code}] -- {line_break}"),
        }
    } else {
        let end = range_of(lines, crate::span::Span::at(start + text.len() as u32)).start;
        TextEdit {
            range: lsp_types::Range { start: end, end },
            new_text: format!("  # dynalint: ignore[{code}] -- "),
        }
    }
}

/// The diagnostics of one document from a run.
fn diagnostics(
    run: &Run,
    root: &Path,
    path: &str,
    documents: &BTreeMap<Url, Document>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for item in run.report.findings.iter().filter(|item| item.path == path) {
        let source = run.sources.get(item.finding.site.file);
        let lines = Lines::new(&source.text);
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
                let lines = Lines::new(&source.text);
                Some(DiagnosticRelatedInformation {
                    location: Location {
                        uri,
                        range: range_of(&lines, related_span(source, related)),
                    },
                    message: related.message.clone(),
                })
            })
            .collect();
        out.push(Diagnostic {
            range: range_of(&lines, finding.site.span),
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
