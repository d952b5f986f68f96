//! Byte offsets of a document as LSP positions: 0-based lines, and columns in UTF-16 code
//! units (LSP's default encoding), lines ended by `\n`, `\r\n` or `\r` as LSP says.

use lsp_types::{Position, Range};

use crate::span::Span;

/// Where each line of a text starts.
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (at, byte) in bytes.iter().enumerate() {
            match byte {
                b'\n' => starts.push(at + 1),
                b'\r' if bytes.get(at + 1) != Some(&b'\n') => starts.push(at + 1),
                _ => {}
            }
        }
        Lines { text, starts }
    }

    /// The position of a byte offset (clamped to the text, snapped to a character).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|start| *start <= offset) - 1;
        let column: usize = self.text[self.starts[line]..offset]
            .chars()
            .map(char::len_utf16)
            .sum();
        Position {
            line: line as u32,
            character: column as u32,
        }
    }
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
