//! Source files as read from one side of a change, with a line index for positions; a
//! place in one of them ([`Site`]); and the reporting scope (the PATH arguments).

use crate::span::{Position, Span};

/// Which revision a file was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Base,
    Head,
}

/// Bytes without a leading UTF-8 byte order mark (which Helm also accepts).
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// One file's text. `path` is repository-relative with `/` separators. A UTF-8 byte
/// order mark is removed from `text` (positions start after it, as editors show them);
/// text that is not UTF-8 is kept lossily decoded so snippets can still be shown.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub side: Side,
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, side: Side, text: String) -> Self {
        let line_starts = line_starts(&text);
        SourceFile {
            path: path.into(),
            side,
            text,
            line_starts,
        }
    }

    /// 1-based line and column of a byte offset (clamped to the text).
    pub fn position(&self, offset: u32) -> Position {
        let offset = (offset as usize).min(self.text.len());
        let line_index = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(index) => index,
            Err(index) => index - 1,
        };
        let line_start = self.line_starts[line_index] as usize;
        let mut boundary = offset;
        while !self.text.is_char_boundary(boundary) {
            boundary -= 1;
        }
        let column = self.text[line_start..boundary].chars().count() + 1;
        Position {
            line: line_index + 1,
            column,
        }
    }

    /// Start and end positions of a span. The end is inclusive of the last character,
    /// as SARIF and editors expect (`end_column` is the column after the last one).
    pub fn range(&self, span: Span) -> (Position, Position) {
        (self.position(span.start), self.position(span.end))
    }

    /// Byte offset of the start of a 1-based line, if the file has that line.
    pub fn line_start(&self, line: usize) -> Option<u32> {
        self.line_starts.get(line.checked_sub(1)?).copied()
    }

    /// Number of lines (a final line break does not start a new line).
    pub fn line_count(&self) -> usize {
        let ends_with_break = self.text.ends_with('\n') || self.text.ends_with('\r');
        if ends_with_break {
            self.line_starts.len() - 1
        } else {
            self.line_starts.len()
        }
    }

    /// The text of a 1-based line without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(start) = self.line_start(line) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map(|&next| next as usize)
            .unwrap_or(self.text.len());
        self.text[start as usize..end].trim_end_matches(['\n', '\r'])
    }

    /// The span of a whole 1-based line, without its line break.
    pub fn line_span(&self, line: usize) -> Span {
        let start = self.line_start(line).unwrap_or(self.text.len() as u32);
        Span::new(start, start + self.line_text(line).len() as u32)
    }

    /// The text under a span.
    pub fn slice(&self, span: Span) -> &str {
        let end = (span.end as usize).min(self.text.len());
        let start = (span.start as usize).min(end);
        self.text.get(start..end).unwrap_or("")
    }
}

/// Byte offsets where lines start. `\n`, `\r\n` and a lone `\r` each end a line, as in
/// the YAML parser, so positions agree with it on every kind of line ending.
fn line_starts(text: &str) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut starts = vec![0u32];
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\n' => starts.push(index as u32 + 1),
            b'\r' if bytes.get(index + 1) != Some(&b'\n') => starts.push(index as u32 + 1),
            _ => {}
        }
        index += 1;
    }
    starts
}

/// Every file read in one run, both sides. Shared, so that a later run reusing this
/// one's readings (the fix loop's passes, the language server) copies no text.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<std::sync::Arc<SourceFile>>,
}

impl Sources {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(std::sync::Arc::new(file));
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// A place in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site {
    pub file: FileId,
    pub span: Span,
}

impl Site {
    pub fn new(file: FileId, span: Span) -> Self {
        Site { file, span }
    }
}

/// Which repository paths findings are reported for (the PATH arguments); the whole
/// repository is still the context of every rule.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Repository-relative files or folders; empty means everything.
    paths: Vec<String>,
}

impl Scope {
    pub fn everything() -> Scope {
        Scope::default()
    }

    pub fn paths(paths: Vec<String>) -> Scope {
        Scope { paths }
    }

    pub fn contains(&self, path: &str) -> bool {
        self.paths.is_empty()
            || self.paths.iter().any(|scope| {
                scope.is_empty()
                    || path == scope
                    || path
                        .strip_prefix(scope.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scope_matches_files_and_folders() {
        let scope =
            super::Scope::paths(vec!["apps-koa/apps/koa-dev".into(), "a/values.yaml".into()]);
        assert!(scope.contains("apps-koa/apps/koa-dev/dynamo-tables/values.yaml"));
        assert!(scope.contains("a/values.yaml"));
        assert!(!scope.contains("apps-koa/apps/koa-dev2/dynamo-tables/values.yaml"));
        assert!(super::Scope::everything().contains("anything"));
        assert!(super::Scope::paths(vec![String::new()]).contains("anything"));
    }

    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("f.yaml", Side::Head, text.to_string())
    }

    #[test]
    fn positions_on_every_line_ending() {
        let lf = file("a: 1\nb: 2\n");
        assert_eq!(lf.position(5), Position { line: 2, column: 1 });
        let crlf = file("a: 1\r\nb: 2\r\n");
        assert_eq!(crlf.position(9), Position { line: 2, column: 4 });
        assert_eq!(crlf.line_text(1), "a: 1");
        let cr = file("a: 1\rb: 2\r");
        assert_eq!(cr.position(8), Position { line: 2, column: 4 });
        assert_eq!(cr.line_count(), 2);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = file("é: ü\nb: 1\n");
        // 'ü' starts at byte 4 (é is two bytes) and is the 4th character.
        assert_eq!(text.position(4), Position { line: 1, column: 4 });
        // An offset inside a multi-byte character snaps to its start.
        assert_eq!(text.position(1), Position { line: 1, column: 1 });
    }

    #[test]
    fn line_helpers() {
        let text = file("one\ntwo\nthree");
        assert_eq!(text.line_count(), 3);
        assert_eq!(text.line_text(3), "three");
        assert_eq!(text.line_text(4), "");
        assert_eq!(text.line_span(2), Span::new(4, 7));
        assert_eq!(text.slice(Span::new(4, 7)), "two");
    }
}
