//! The server's stdio: LSP's `Content-Length` framing, read so that a malformed message
//! (a bad header, a body that is not JSON-RPC, a frame without a length) is skipped and
//! said on stderr, never the end of the server; and a writer thread for the replies.

use std::io::{self, BufRead, Read};
use std::thread::JoinHandle;

use lsp_server::{Connection, Message};

/// The largest message read (a 30 MB buffer fits); a larger one is skipped unread.
const MAX_MESSAGE: usize = 128 * 1024 * 1024;

/// The two threads, to join once the connection is dropped.
pub struct Threads {
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Threads {
    pub fn join(self) {
        let _ = self.reader.join();
        let _ = self.writer.join();
    }
}

/// A connection over stdin and stdout.
pub fn stdio() -> (Connection, Threads) {
    let (to_client, outgoing) = crossbeam_channel::unbounded::<Message>();
    let (incoming, from_client) = crossbeam_channel::unbounded::<Message>();
    let writer = std::thread::spawn(move || {
        let stdout = io::stdout();
        let mut stdout = stdout.lock();
        for message in outgoing {
            if message.write(&mut stdout).is_err() {
                break;
            }
        }
    });
    let reader = std::thread::spawn(move || {
        let stdin = io::stdin();
        let mut stdin = stdin.lock();
        read_messages(&mut stdin, |message| incoming.send(message).is_ok());
    });
    (
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        Threads { reader, writer },
    )
}

/// Reads messages from `input` until its end, `exit`, or `deliver` refuses one.
pub fn read_messages(input: &mut impl BufRead, mut deliver: impl FnMut(Message) -> bool) {
    loop {
        let body = match frame(input) {
            Ok(Some(body)) => body,
            Ok(None) => return,
            Err(error) => {
                eprintln!("dynalint server: skipped a message: {error}");
                continue;
            }
        };
        match serde_json::from_slice::<Message>(&body) {
            Ok(message) => {
                let exit = matches!(&message, Message::Notification(notification) if notification.method == "exit");
                if !deliver(message) || exit {
                    return;
                }
            }
            Err(error) => {
                eprintln!("dynalint server: skipped a message that is not JSON-RPC: {error}")
            }
        }
    }
}

/// The next frame's body; `None` at the end of the input. A frame that cannot be read is
/// an error after which reading goes on at the next header.
fn frame(input: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut length = None;
    let mut line = Vec::new();
    let mut any = false;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if any {
                break;
            }
            continue;
        }
        any = true;
        if let Some((name, value)) = text.split_once(':')
            && name.trim().eq_ignore_ascii_case("Content-Length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let Some(length) = length else {
        return Err(io::Error::other("a header without a Content-Length"));
    };
    if length > MAX_MESSAGE {
        io::copy(&mut input.by_ref().take(length as u64), &mut io::sink())?;
        return Err(io::Error::other(format!("a message of {length} bytes")));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn malformed_messages_are_skipped_and_reading_goes_on() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "{}X-Nothing: 1\r\n\r\n{}{}{}",
            framed("not json"),
            framed(r#"{"jsonrpc":"2.0","id":1}"#),
            framed(good),
            framed(r#"{"jsonrpc":"2.0","method":"exit"}"#),
        );
        let mut seen = Vec::new();
        read_messages(&mut input.as_bytes(), |message| {
            seen.push(message);
            true
        });
        let methods: Vec<String> = seen
            .iter()
            .map(|message| match message {
                Message::Notification(notification) => notification.method.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        assert!(methods.contains(&"initialized".to_string()), "{methods:?}");
        assert_eq!(methods.last().map(String::as_str), Some("exit"));
    }
}
