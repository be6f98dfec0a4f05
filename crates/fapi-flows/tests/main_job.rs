//! The main job as a command: a reader that stops early (`| head -3`)
//! closes the pipe, and the job still ends cleanly, without a panic, with
//! its verdict as the exit code.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

/// POSIX `write()` on a pipe without a reader fails with `EPIPE`: the job
/// stops writing and exits as it would have, with nothing on stderr.
#[test]
fn closed_pipe_ends_the_report_not_the_job() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fapi-flows"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    for _ in 0..3 {
        let _line = lines.next().expect("a line").unwrap();
    }
    // `head -3` exits: the read end of the pipe closes.
    drop(lines);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
}
