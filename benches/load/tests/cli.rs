//! `fapi-load` as a command: `setup` writes what the servers and the load
//! client read, and `discover` refuses an issuer that does not answer with
//! a reason and exit status 3. (This test also makes `cargo test` build the
//! binary that `.ci/interop` runs against oidc-provider.)

use std::process::Command;

fn fapi_load() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fapi-load"))
}

#[test]
fn setup_writes_the_keys_the_ca_and_the_clients() {
    let dir = std::env::temp_dir().join(format!("fapi-load-setup-{}", std::process::id()));
    let out = fapi_load().arg("setup").arg(&dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "ca.pem",
        "client.pem",
        "client-jwks.json",
        "tls-cert.pem",
        "tls-key.pem",
    ] {
        assert!(dir.join(name).is_file(), "{name} missing");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn discover_names_an_issuer_that_does_not_answer() {
    let dir = std::env::temp_dir().join(format!("fapi-load-discover-{}", std::process::id()));
    assert!(
        fapi_load()
            .arg("setup")
            .arg(&dir)
            .status()
            .unwrap()
            .success()
    );
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("https://127.0.0.1:{port}");
    let out = fapi_load()
        .args(["discover", "--issuer", &issuer, "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&issuer), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
