//! Standard output for commands: every write checked, a reader that closes
//! the pipe (`fapi jwks | head -c1`) ends the command quietly
//! ([`Failure::ClosedPipe`]) instead of a panic.

use std::io::{self, Write as _};

use crate::failure::Failure;

/// Writes `text` and a newline to stdout and flushes.
///
/// ```ignore
/// output::line("{\"keys\":[]}")?;
/// ```
pub fn line(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| Failure::io("writing to stdout", &e))
}

/// Writes `value` as one line of JSON.
pub fn json(value: &serde_json::Value) -> Result<(), Failure> {
    line(&value.to_string())
}

/// A report written line by line (`fapi demo`): after the reader closed
/// the pipe nothing more is written, and the work goes on so that the exit
/// code still gives the verdict.
#[derive(Debug, Default)]
pub struct Report {
    closed: bool,
    error: Option<String>,
}

impl Report {
    /// Writes one line, unless the pipe is closed.
    pub fn line(&mut self, text: &str) {
        if self.closed {
            return;
        }
        match line(text) {
            Ok(()) => {}
            Err(Failure::ClosedPipe) => self.closed = true,
            Err(other) => {
                self.closed = true;
                self.error = other.line();
            }
        }
    }

    /// The write error that was not a closed pipe, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}
