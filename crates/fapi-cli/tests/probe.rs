//! `fapi probe` against `fapi serve` started in process under every
//! profile: every module PASS or SKIP, exit 0; and bad input: exit 2 with
//! one clear line.

mod probe_support;

use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;
use fapi_server::{ServerConfig, Stores};
use probe_support::{FAPI, probe, temp_dir, write_client};

async fn against_fapi_serve(profile: &Profile) -> Vec<String> {
    let dir = temp_dir(profile.name);
    let ca = DevCa::generate().unwrap();
    let a = write_client(&dir, profile, &ca, "probe-1", false);
    let b = write_client(&dir, profile, &ca, "probe-2", false);
    let config = ServerConfig::new(*profile)
        .listen(core::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .client(a.registration.clone())
        .client(b.registration.clone())
        .dev_ca(ca.clone())
        .stores(Stores::memory());
    let server = fapi_server::start(config).await.unwrap();
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, ca.ca_pem()).unwrap();
    // FAPI_PROBE_TABLE_DIR=DIR: the run is made a second time without
    // --json and its table kept as DIR/probe-PROFILE.txt (the README's
    // sample comes from there).
    let table_dir = std::env::var_os("FAPI_PROBE_TABLE_DIR").map(std::path::PathBuf::from);
    let consents = if table_dir.is_some() { 80 } else { 40 };
    for c in [&a, &b] {
        probe_support::create_consents(&dir, profile, server.issuer(), ca.ca_pem(), c, consents)
            .await;
    }
    let args: Vec<String> = vec![
        server.issuer().into(),
        "--profile".into(),
        profile.name.into(),
        "--client".into(),
        a.file.display().to_string(),
        "--client".into(),
        b.file.display().to_string(),
        "--ca".into(),
        ca_path.display().to_string(),
        "--user".into(),
        "username=alice".into(),
        "--user".into(),
        "password=alice-password".into(),
        "--resource".into(),
        format!("{}/open-banking/v3.1/aisp/accounts", server.issuer()),
    ];
    let run = probe(args.clone()).await;
    if let Some(out) = table_dir {
        let table = tokio::task::spawn_blocking(move || {
            std::process::Command::new(FAPI)
                .arg("probe")
                .args(&args)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(
            out.join(format!("probe-{}.txt", profile.name)),
            &table.stdout,
        )
        .unwrap();
    }
    server.shutdown().await;
    for m in run.doc["modules"].as_array().into_iter().flatten() {
        eprintln!(
            "{} {} {} {}",
            profile.name, m["module"], m["result"], m["detail"]
        );
    }
    let failed: Vec<_> = run.doc["modules"]
        .as_array()
        .unwrap_or_else(|| panic!("{}\n{}", run.stdout, run.stderr))
        .iter()
        .filter(|m| m["result"] == "fail")
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    if !failed.is_empty() {
        return failed
            .iter()
            .map(|m| format!("{}: {} {}", profile.name, m["module"], m["detail"]))
            .collect();
    }
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.doc["outcome"], "pass");
    assert_eq!(run.doc["profile"], profile.name);
    // The happy flow and the modules that need no capability ran.
    for m in [
        "metadata",
        "code-flow",
        "token-code-reuse",
        "par-request-uri-reuse",
    ] {
        assert_eq!(
            run.result(m).0,
            "pass",
            "{m} under {}: {}",
            profile.name,
            run.result(m).1
        );
    }
    Vec::new()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_module_passes_against_fapi_serve_under_every_profile() {
    let mut failed = Vec::new();
    for profile in Profile::ALL {
        failed.extend(against_fapi_serve(profile).await);
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

fn run_cli(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(FAPI)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_unknown_profile_is_a_usage_error() {
    let (code, _, err) = run_cli(&[
        "probe",
        "https://127.0.0.1:1",
        "--profile",
        "fapi3",
        "--client",
        "x.toml",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("fapi3"), "{err}");
}

#[test]
fn an_unreadable_client_file_is_one_line_and_exit_2() {
    let (code, _, err) = run_cli(&[
        "probe",
        "https://127.0.0.1:1",
        "--profile",
        "fapi2",
        "--client",
        "/nonexistent/client.toml",
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("/nonexistent/client.toml") && err.contains("cannot read"),
        "{err}"
    );
    let dir = temp_dir("bad-file");
    let f = dir.join("c.toml");
    std::fs::write(&f, "client_id = 3\n").unwrap();
    let (code, _, err) = run_cli(&[
        "probe",
        "https://127.0.0.1:1",
        "--profile",
        "fapi2",
        "--client",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a client file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_mismatch_is_one_line_and_exit_2() {
    let profile = Profile::FAPI2;
    let dir = temp_dir("mismatch");
    let ca = DevCa::generate().unwrap();
    let a = write_client(&dir, &profile, &ca, "probe-1", false);
    let server = fapi_server::start(
        ServerConfig::new(profile)
            .listen(core::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .client(a.registration.clone())
            .dev_ca(ca.clone())
            .stores(Stores::memory()),
    )
    .await
    .unwrap();
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, ca.ca_pem()).unwrap();
    // The same server named with a trailing slash: not its issuer.
    let named = format!("{}/", server.issuer());
    let run = probe(vec![
        named.clone(),
        "--profile".into(),
        "fapi2".into(),
        "--client".into(),
        a.file.display().to_string(),
        "--ca".into(),
        ca_path.display().to_string(),
    ])
    .await;
    server.shutdown().await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("issuer mismatch"), "{}", run.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn list_names_every_module_with_its_clause() {
    let (code, out, err) = run_cli(&["probe", "--list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = doc["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["module"].as_str().unwrap())
        .collect();
    for n in [
        "client-assertion-wrong-aud",
        "par-request-uri-reuse",
        "token-code-reuse",
        "dpop-token-wrong-htu",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    for m in doc["modules"].as_array().unwrap() {
        assert!(
            !m["clause"].as_str().unwrap().is_empty()
                && !m["expected"].as_str().unwrap().is_empty(),
            "{m}"
        );
    }
    let (code, _, err) = run_cli(&[
        "probe",
        "https://127.0.0.1:1",
        "--profile",
        "fapi2",
        "--client",
        "x",
        "--only",
        "no-such-module",
    ]);
    assert_eq!(code, 2, "{err}");
}

/// `--user-command`: its last line is where the browser came back; here
/// the user refused, so the happy flow fails (exit 1) with the server's
/// answer named, and the command saw the authorization URL as `$1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_command_gives_the_redirect_back() {
    let profile = Profile::FAPI2;
    let dir = temp_dir("user-command");
    let ca = DevCa::generate().unwrap();
    let a = write_client(&dir, &profile, &ca, "probe-1", false);
    let server = fapi_server::start(
        ServerConfig::new(profile)
            .listen(core::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .client(a.registration.clone())
            .dev_ca(ca.clone())
            .stores(Stores::memory()),
    )
    .await
    .unwrap();
    probe_support::create_consents(&dir, &profile, server.issuer(), ca.ca_pem(), &a, 4).await;
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, ca.ca_pem()).unwrap();
    let seen = dir.join("seen-url");
    let command = format!(
        "printf '%s' \"$FAPI_PROBE_AUTHORIZATION_URL\" > {} && echo log line && echo \"$FAPI_PROBE_REDIRECT_URI?error=access_denied\" && true",
        seen.display()
    );
    let run = probe(vec![
        server.issuer().into(),
        "--profile".into(),
        "fapi2".into(),
        "--client".into(),
        a.file.display().to_string(),
        "--ca".into(),
        ca_path.display().to_string(),
        "--user-command".into(),
        command,
        "--only".into(),
        "code-flow".into(),
    ])
    .await;
    server.shutdown().await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (result, detail) = run.result("code-flow");
    assert_eq!(result, "fail");
    assert!(detail.contains("access_denied"), "{detail}");
    let url = std::fs::read_to_string(&seen).unwrap();
    assert!(
        url.contains("/authorize?client_id=probe%2D1&request_uri=urn"),
        "{url}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
