//! The request log, `/healthz`, `/readyz` and `/metrics`: a full code flow
//! logs no secret; a refusal's line names its reason and code and counts
//! in `fapi_refusals_total`; `/readyz` follows the store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::io::{BufRead, Read};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use common::*;
use fapi::store::{HandleKey, HandleStore};
use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;
use fapi_server::{LogFormat, ServerConfig, Stores, init_logs, start};
use serde_json::json;

/// The log lines of this process (JSON), shared by its tests.
fn log_buffer() -> Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    Arc::clone(BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buf);
        init_logs(LogFormat::Json, Some("info"), move || {
            LogSink(Arc::clone(&sink))
        })
        .unwrap();
        buf
    }))
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_text(buf: &Mutex<Vec<u8>>) -> String {
    String::from_utf8(buf.lock().unwrap().clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_flow_logs_no_secret_and_a_refusal_its_reason_and_code() {
    let logs = log_buffer();
    let profile = Profile::FAPI2;
    let (keys, reg) = pkj_client(profile, "fintech-log", true);
    let bank = bank(profile, DevCa::generate().unwrap(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let http = http(&bank.ca, None);

    // Consent, PAR, login (a password), consent page, code, tokens, a
    // resource call (DPoP proofs, client assertions throughout).
    let cc = cc_token(&http, &client, "accounts").await;
    let url = format!("{issuer}/open-banking/v3.1/aisp/account-access-consents");
    let body = json!({"Data": {
        "Permissions": ["ReadAccountsDetail", "ReadBalances"],
        "ExpirationDateTime": "2030-01-01T00:00:00+00:00"
    }, "Risk": {}});
    let r = send_dpop(&http, &client, || {
        rs_request(&client, "POST", &url, &cc, Some(&body), &[])
    })
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let consent_id = r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned();
    let (session, code) = authorize_code(
        &http,
        &client,
        "openid accounts",
        &consent_id,
        ("alice", "alice-password"),
    )
    .await;
    let r = send_dpop(&http, &client, || {
        client.code_token_request(&session, &code).unwrap()
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let tokens = r.json();
    let at = tokens["access_token"].as_str().unwrap().to_owned();
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let accounts = format!("{issuer}/open-banking/v3.1/aisp/accounts");
    let r = send_dpop(&http, &client, || {
        rs_request(&client, "GET", &accounts, &at, None, &[])
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send_dpop(&http, &client, || client.refresh_request(&rt).unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // The code again: refused (F2-CODE-ONCE), with a core error.
    let again = send_dpop(&http, &client, || {
        client.code_token_request(&session, &code).unwrap()
    })
    .await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(again.json()["error"], "invalid_grant");
    let description = again.json()["error_description"]
        .as_str()
        .unwrap()
        .to_owned();

    let text = log_text(&logs);
    for (what, secret) in [
        ("access token", at.as_str()),
        ("refresh token", rt.as_str()),
        ("ID token", id_token.as_str()),
        ("client credentials token", cc.as_str()),
        ("code", code.as_str()),
        ("password", "alice-password"),
    ] {
        assert!(!text.contains(secret), "the {what} is in the log:\n{text}");
    }
    // Every token, client assertion, DPoP proof and request object is a
    // JWT or JWE: none begins in the log.
    assert!(!text.contains("eyJ"), "a JWT is in the log:\n{text}");
    assert!(!text.contains("request_uri"), "{text}");

    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mine: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["client_id"] == "fintech-log")
        .collect();
    assert!(
        mine.iter()
            .any(|l| l["path"] == "/open-banking/v3.1/aisp/accounts" && l["status"] == 200),
        "{text}"
    );
    let refused = mine
        .iter()
        .rev()
        .find(|l| {
            l["path"] == "/token" && l["status"] == 400 && l["oauth_error"] == "invalid_grant"
        })
        .unwrap_or_else(|| panic!("no refusal line:\n{text}"));
    assert_eq!(refused["level"], "INFO");
    assert_eq!(refused["message"], "refused");
    assert_eq!(refused["method"], "POST");
    let code_no = refused["error_code"].as_str().unwrap();
    let reason = refused["reason"].as_str().unwrap();
    assert_eq!(
        description,
        format!("fapi error {code_no} ({reason})"),
        "{refused}"
    );
    assert!(refused["latency_ms"].as_f64().unwrap() >= 0.0);

    // The refusal is counted with its code; requests and store calls too.
    let m = http.get(format!("{issuer}/metrics")).send().await.unwrap();
    assert_eq!(m.status(), 200);
    assert_eq!(
        m.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let m = m.text().await.unwrap();
    let line = format!(
        "fapi_refusals_total{{code=\"{code_no}\",reason=\"{reason}\",oauth_error=\"invalid_grant\"}} 1"
    );
    assert!(m.contains(&line), "{line} not in:\n{m}");
    assert!(
        m.contains(r#"fapi_http_requests_total{method="POST",route="/token",status="200"} "#),
        "{m}"
    );
    assert!(
        m.contains(r#"fapi_store_call_duration_seconds_count{store="codes",op="#),
        "{m}"
    );
    assert!(
        m.contains(
            r#"fapi_store_call_duration_seconds_bucket{store="codes",op="insert",le="+Inf"} 1"#
        ),
        "{m}"
    );
    assert!(!m.contains("eyJ") && !m.contains(&code), "{m}");
    bank.server.shutdown().await;
}

/// A resource request whose DPoP proof names another origin: the answer's
/// `error_description` and the refusal's log line say the `htu` expected
/// and the one received.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_says_the_values_expected_and_received() {
    let logs = log_buffer();
    let profile = Profile::FAPI2;
    let (keys, reg) = pkj_client(profile, "fintech-htu", true);
    let bank = bank(profile, DevCa::generate().unwrap(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let http = http(&bank.ca, None);
    let token = cc_token(&http, &client, "accounts").await;
    let path = "/open-banking/v3.1/aisp/accounts";
    let elsewhere = format!("http://localhost:8080{path}");
    let r = send_dpop(&http, &client, || {
        let mut req = client
            .resource_request("GET", &format!("{issuer}{path}"), &token)
            .unwrap();
        let proof = client.dpop_proof("GET", &elsewhere, Some(&token)).unwrap();
        let _ = req.headers_mut().insert("dpop", proof.parse().unwrap());
        req
    })
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
    let detail = format!("htu: expected {issuer}{path}, got {elsewhere}");
    assert_eq!(
        r.json()["error_description"],
        format!("fapi error 601 (dpop_uri): {detail}"),
        "{}",
        r.body
    );
    let www = r.headers["www-authenticate"].to_str().unwrap();
    assert!(www.contains(&detail), "{www}");

    let text = log_text(&logs);
    let line = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["path"] == path && l["reason"] == "dpop_uri")
        .unwrap_or_else(|| panic!("no refusal line:\n{text}"));
    assert_eq!(line["message"], "refused");
    assert_eq!(line["error_code"], "601");
    assert_eq!(line["detail"], detail, "{line}");
    bank.server.shutdown().await;
}

/// A store whose backend is down: every call fails.
struct DownStore;

#[async_trait]
impl<V: Clone + Send + Sync + 'static> HandleStore<V> for DownStore {
    async fn insert(&self, _: HandleKey, _: V, _: u64, _: u64) -> Result<(), fapi_core::Error> {
        Err(fapi_core::Error::StoreFailed)
    }
    async fn take(&self, _: &HandleKey, _: u64) -> Result<V, fapi_core::Error> {
        Err(fapi_core::Error::StoreFailed)
    }
    async fn get(&self, _: &HandleKey, _: u64) -> Result<V, fapi_core::Error> {
        Err(fapi_core::Error::StoreFailed)
    }
    async fn remove(&self, _: &HandleKey) -> Result<(), fapi_core::Error> {
        Err(fapi_core::Error::StoreFailed)
    }
    async fn replace(&self, _: &HandleKey, _: V, _: u64, _: u64) -> Result<V, fapi_core::Error> {
        Err(fapi_core::Error::StoreFailed)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_store_and_healthz_the_process() {
    let logs = log_buffer();
    let ca = DevCa::generate().unwrap();
    let up = start(
        ServerConfig::new(Profile::FAPI2)
            .listen("127.0.0.1:0".parse().unwrap())
            .dev_ca(ca.clone())
            .stores(Stores::memory()),
    )
    .await
    .unwrap();
    let mut stores = Stores::memory();
    stores.transactions = Arc::new(DownStore);
    let down = start(
        ServerConfig::new(Profile::FAPI2)
            .listen("127.0.0.1:0".parse().unwrap())
            .dev_ca(ca.clone())
            .stores(stores),
    )
    .await
    .unwrap();
    let http = http(&ca, None);
    let get = |server: &fapi_server::RunningServer, path: &str| {
        http.get(format!("{}{path}", server.issuer())).send()
    };
    for s in [&up, &down] {
        let r = get(s, "/healthz").await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "ok\n");
    }
    let r = get(&up, "/readyz").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ready\n");

    let r = get(&down, "/readyz").await.unwrap();
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert_eq!(body["error_description"], "not ready: the store failed");

    // Logged at error, counted as a refusal with StoreFailed's code.
    let code = fapi_core::Error::StoreFailed.code();
    let name = fapi_core::Error::StoreFailed.name();
    let code_s = code.to_string();
    let text = log_text(&logs);
    assert!(
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .any(|l| l["path"] == "/readyz"
                && l["status"] == 503
                && l["level"] == "ERROR"
                && l["reason"] == name
                && l["error_code"] == code_s.as_str()),
        "{text}"
    );
    let m = get(&down, "/metrics").await.unwrap().text().await.unwrap();
    assert!(
        m.contains(&format!(
            "fapi_refusals_total{{code=\"{code}\",reason=\"{name}\",oauth_error=\"temporarily_unavailable\"}} 1"
        )),
        "{m}"
    );
    assert!(
        m.contains(r#"fapi_http_requests_total{method="GET",route="/readyz",status="503"} 1"#),
        "{m}"
    );
    up.shutdown().await;
    down.shutdown().await;
}

/// `fapi-server` as a process: the ready line alone on stdout, the log
/// (text by default) on stderr, a refusal's line with its reason and code.
#[tokio::test]
async fn serve_logs_text_lines_on_stderr_and_keeps_stdout_for_the_ready_line() {
    let dir = std::env::temp_dir().join(format!("fapi-obs-test-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_fapi-server"))
        .args(["--listen", "127.0.0.1:0", "--json", "--dev-ca-dir"])
        .arg(&dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let _ = stdout.read_line(&mut line).unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ready["event"], "ready");
    let issuer = ready["issuer"].as_str().unwrap().to_owned();
    let ca = DevCa::load_or_create(&dir).unwrap();
    let http = http(&ca, None);
    // No such client: 401 invalid_client (UnknownClient).
    let r = http
        .post(format!("{issuer}/token?code=secret-in-query"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http.get(format!("{issuer}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "stdout holds the ready line only");
    let mut err = String::new();
    let _ = child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let e = fapi_core::Error::UnknownClient;
    let refused = err
        .lines()
        .find(|l| l.contains("refused") && l.contains("path=/token"))
        .unwrap_or_else(|| panic!("no refusal line:\n{err}"));
    for want in [
        " INFO ",
        "method=POST",
        "status=401",
        "client_id=nobody",
        &format!("error_code={}", e.code()),
        &format!("reason={}", e.name()),
        "oauth_error=invalid_client",
        "latency_ms=",
    ] {
        assert!(refused.contains(want), "{want} not in {refused}");
    }
    assert!(!err.contains("secret-in-query"), "{err}");
    // /healthz is logged at debug only.
    assert!(!err.contains("path=/healthz"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
