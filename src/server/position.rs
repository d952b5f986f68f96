//! Byte offsets of a document as LSP positions: 0-based lines, and columns in UTF-16 code
//! units (LSP's default encoding), lines ended by `\n`, `\r\n` or `\r` as LSP says.

use lsp_types::{Position, Range};

use crate::span::Span;

/// How far apart [`Lines`] keeps its counts of UTF-16 units.
const CHECKPOINT: usize = 4096;

/// Where each line of a text starts.
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// Per line: only ASCII in it (a column is then a byte count, found at once even on
    /// a line of a megabyte).
    ascii: Vec<bool>,
    /// Every [`CHECKPOINT`] bytes or so (at a character): the byte offset and the UTF-16
    /// units before it, so that a column on a long line that is not ASCII is counted
    /// from near it, not from the line's start.
    checkpoints: Vec<(usize, usize)>,
    /// Where the offsets given start in `text`: past a byte order mark the editor's text
    /// has and the linted text does not.
    shift: usize,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut ascii = vec![true];
        for (at, byte) in bytes.iter().enumerate() {
            match byte {
                b'\n' => {
                    starts.push(at + 1);
                    ascii.push(true);
                }
                b'\r' if bytes.get(at + 1) != Some(&b'\n') => {
                    starts.push(at + 1);
                    ascii.push(true);
                }
                byte if !byte.is_ascii() => *ascii.last_mut().unwrap() = false,
                _ => {}
            }
        }
        let mut checkpoints = vec![(0, 0)];
        if ascii.iter().any(|ascii| !ascii) {
            let mut units = 0;
            let mut next = CHECKPOINT;
            for (at, character) in text.char_indices() {
                if at >= next {
                    checkpoints.push((at, units));
                    next = at + CHECKPOINT;
                }
                units += character.len_utf16();
            }
        }
        Lines {
            text,
            starts,
            ascii,
            checkpoints,
            shift: 0,
        }
    }

    /// The UTF-16 units before a byte offset (at a character) of the text.
    fn units(&self, offset: usize) -> usize {
        let (at, units) =
            self.checkpoints[self.checkpoints.partition_point(|(at, _)| *at <= offset) - 1];
        units
            + self.text[at..offset]
                .chars()
                .map(char::len_utf16)
                .sum::<usize>()
    }

    /// The lines of an editor's `document` for offsets into `linted`, the text the lint
    /// read from it: the same, or without its byte order mark; `None` when the document
    /// has changed since.
    pub fn of_document(document: &'a str, linted: &str) -> Option<Lines<'a>> {
        if document == linted {
            return Some(Lines::new(document));
        }
        let rest = document.strip_prefix('\u{feff}')?;
        (rest == linted).then(|| Lines {
            shift: document.len() - rest.len(),
            ..Lines::new(document)
        })
    }

    /// The position of a byte offset (clamped to the text, snapped to a character).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.saturating_add(self.shift).min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|start| *start <= offset) - 1;
        let column: usize = if self.ascii[line] {
            offset - self.starts[line]
        } else {
            self.units(offset) - self.units(self.starts[line])
        };
        Position {
            line: line as u32,
            character: column as u32,
        }
    }
}

impl Lines<'_> {
    /// The byte offset of a position: a line past the end is the end of the text, a
    /// character past the end of its line (or inside a surrogate pair) the end of the line
    /// (the character it splits), as LSP says.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .copied()
            .unwrap_or(self.text.len());
        let line = self.text[start..end].trim_end_matches(['\n', '\r']);
        let mut units = 0;
        for (at, character) in line.char_indices() {
            if units >= position.character as usize {
                return start + at;
            }
            units += character.len_utf16();
        }
        start + line.len()
    }
}

/// A change of LSP's incremental shape (a range and its new text) applied to `text`.
pub fn apply_change(text: &mut String, range: Range, new_text: &str) {
    let lines = Lines::new(text);
    let start = lines.offset(range.start);
    let end = lines.offset(range.end).max(start);
    text.replace_range(start..end, new_text);
}

pub fn range_of(lines: &Lines<'_>, span: Span) -> Range {
    Range {
        start: lines.position(span.start as usize),
        end: lines.position(span.end as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_code_units() {
        // `é` is one UTF-16 unit (two bytes), `😀` two units (four bytes).
        let text = "a: é😀 N\r\nb: 1\rc: 2\n";
        let lines = Lines::new(text);
        let n = text.find('N').unwrap();
        assert_eq!(
            lines.position(n),
            Position {
                line: 0,
                character: 7
            }
        );
        let b = text.find('b').unwrap();
        assert_eq!(
            lines.position(b),
            Position {
                line: 1,
                character: 0
            }
        );
        let c = text.find('c').unwrap();
        assert_eq!(
            lines.position(c + 3),
            Position {
                line: 2,
                character: 3
            }
        );
        assert_eq!(
            lines.position(10_000),
            Position {
                line: 3,
                character: 0
            }
        );
    }
}
