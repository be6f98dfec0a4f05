//! `fapi-server` (the `fapi serve` flags) as a process: one ready line on
//! stdout, the CA written to `--dev-ca-dir`, metadata served, SIGTERM stops it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::io::BufRead;
use std::process::{Command, Stdio};

#[tokio::test]
async fn serve_prints_the_ready_line_and_serves_metadata() {
    let dir = std::env::temp_dir().join(format!("fapi-serve-test-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_fapi-server"))
        .args([
            "--profile",
            "fapi2",
            "--listen",
            "127.0.0.1:0",
            "--json",
            "--dev-ca-dir",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let _ = std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ready["event"], "ready");
    assert_eq!(ready["profile"], "fapi2");
    let issuer = ready["issuer"].as_str().unwrap().to_owned();
    assert!(issuer.starts_with("https://127.0.0.1:"));
    // the bound address, the issuer's host and port here
    let listen = ready["listen"].as_str().unwrap();
    assert_eq!(issuer, format!("https://{listen}"));
    let ca_path = ready["ca"].as_str().unwrap();
    assert!(ca_path.ends_with("ca.pem") && std::path::Path::new(ca_path).is_absolute());
    let ca = fapi_server::dev_ca::DevCa::load_or_create(&dir).unwrap();
    let http = common::http(&ca, None);
    let r = http
        .get(format!("{issuer}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // SIGTERM: a clean exit.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_refuses_plain_http_off_loopback() {
    let out = Command::new(env!("CARGO_BIN_EXE_fapi-server"))
        .args(["--listen", "0.0.0.0:0", "--plain-http"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("code 6"));
}
