//! `fapi serve --key` with an HA signing group: two PKCS#11 URIs naming one
//! key in the two group tokens of `crates/fapi-pkcs11/tests/softhsm-setup.sh`
//! (`FAPI_PKCS11_HA_TOKENS`); the key is put in both with `softhsm2-util
//! --import`. Skipped without the tokens; under CI=true their absence fails.
//!
//! A member is killed by renaming its token's directory (SoftHSM2 keeps
//! each token in a directory of its token directory; root reads a
//! `chmod 000` one) and brought back by renaming it back. SoftHSM2 holds a
//! token that vanished invalid until its module is initialised again, so
//! each member is its own module instance (a copy of the library, a module
//! path of its own): `SigningKey::from_config` then has the group restart a
//! member's module when it probes the member, and the member comes back
//! with no call from outside.
//!
//! While a member is out, `/readyz` stays 200 and names it, `/metrics`
//! shows it out (`fapi_signing_group_member_in` 0), and the server's log
//! has its going out and coming back in, with its name; with every member
//! out `/readyz` is 503.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use fapi::SigningKey;
use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;
use fapi_server::{LogFormat, ServerConfig, init_logs, start};

use common::{client, http, pkj_client, send_dpop};

struct Env {
    module: PathBuf,
    pin: String,
    a: String,
    b: String,
}

fn env() -> Option<Env> {
    let tokens = std::env::var("FAPI_PKCS11_HA_TOKENS").unwrap_or_default();
    let labels: Vec<&str> = tokens.split_whitespace().collect();
    let (Ok(pin), [a, b, ..]) = (std::env::var("FAPI_PKCS11_PIN"), labels.as_slice()) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and no SoftHSM2 group tokens: source crates/fapi-pkcs11/tests/softhsm-setup.sh"
        );
        eprintln!("*** SKIPPED: no SoftHSM2 group tokens (FAPI_PKCS11_HA_TOKENS) ***");
        return None;
    };
    let module = std::env::var_os("FAPI_PKCS11_MODULE")
        .map_or_else(|| "/usr/lib/softhsm/libsofthsm2.so".into(), PathBuf::from);
    Some(Env {
        module,
        pin,
        a: (*a).to_owned(),
        b: (*b).to_owned(),
    })
}

/// The log lines (JSON) of this process's servers.
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

/// The JSON log lines with `message` whose `member` names token `token`.
fn member_lines(logs: &Mutex<Vec<u8>>, message: &str, token: &str) -> Vec<serde_json::Value> {
    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(message))
                && l["member"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(&format!("token {token} in ")))
        })
        .collect()
}

/// `GET {issuer}{path}`: the status and the body.
async fn get(h: &reqwest::Client, issuer: &str, path: &str) -> (u16, String) {
    let r = h.get(format!("{issuer}{path}")).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The value of `fapi_signing_group_member_in` for token `token`.
fn member_in(metrics: &str, token: &str) -> Option<u8> {
    let prefix = format!("fapi_signing_group_member_in{{token=\"{token}\",member=");
    metrics
        .lines()
        .find(|l| l.starts_with(&prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The tests change the same tokens (one takes a token away): one at a
/// time, from a plain test (`blocking_lock`) or a tokio one (`lock().await`).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn unique(n: u8) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{:08x}{:08x}{n:02x}", std::process::id(), nanos)
}

/// Imports a PKCS#8 PEM key of the repository into `token` with `CKA_ID`
/// `id` (hex) and `CKA_LABEL` `label`.
fn import(env: &Env, token: &str, file: &str, id: &str, label: &str) {
    let path = format!("{}/../../{file}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("softhsm2-util")
        .args(["--import", &path, "--token", token, "--label", label])
        .args(["--id", id, "--pin", &env.pin])
        .output()
        .expect("run softhsm2-util");
    assert!(
        out.status.success(),
        "softhsm2-util --import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn uri(env: &Env, module: &Path, token: &str, label: &str) -> String {
    format!(
        "pkcs11:token={token};object={label}?module-path={}&pin-value={}",
        module.display(),
        env.pin
    )
}

/// `fapi-server --check --key <group>` where the second member holds
/// another key: exit 1, one line naming both members and both kids.
#[test]
fn serve_refuses_a_group_whose_members_hold_different_keys() {
    let Some(env) = env() else { return };
    let _serial = SERIAL.blocking_lock();
    let label = format!("mixed-{}", unique(0));
    let id = unique(1);
    import(
        &env,
        &env.a,
        "bindings/rust/testdata/pkcs8-p256.pem",
        &id,
        &label,
    );
    import(
        &env,
        &env.b,
        "bindings/c/tests/keys/p256-test-key.pem",
        &id,
        &label,
    );
    let key = format!(
        "{} {}",
        uri(&env, &env.module, &env.a, &label),
        uri(&env, &env.module, &env.b, &label)
    );
    let dir = std::env::temp_dir().join(format!("fapi-serve-group-{}", unique(2)));
    let out = Command::new(env!("CARGO_BIN_EXE_fapi-server"))
        .args([
            "--check",
            "--listen",
            "127.0.0.1:8443",
            "--key",
            &key,
            "--dev-ca-dir",
        ])
        .arg(dir.join("ca"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("fapi-server: key or issuer: ")
            && stderr.contains("PKCS#11 group: signing group member token ")
            && stderr.contains(&env.a)
            && stderr.contains(&env.b)
            && stderr.contains("(code 4)"),
        "{stderr}"
    );
    assert!(!stderr.contains(&env.pin), "{stderr}");
}

/// The subdirectory of SoftHSM2's token directory holding token `label`.
fn token_subdir(label: &str) -> PathBuf {
    let conf = std::fs::read_to_string(std::env::var("SOFTHSM2_CONF").unwrap()).unwrap();
    let dir = conf
        .lines()
        .find_map(|l| l.trim().strip_prefix("directories.tokendir"))
        .map(|v| PathBuf::from(v.trim().trim_start_matches('=').trim()))
        .unwrap();
    let padded = format!("{label:<32}");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            std::fs::read(p.join("token.object"))
                .is_ok_and(|o| o.windows(32).any(|w| w == padded.as_bytes()))
        })
        .unwrap()
}

/// Token `label`'s directory renamed away; renamed back when dropped (on a
/// failed assertion too, for the tests that come after).
struct TokenAway {
    from: PathBuf,
    to: PathBuf,
}

impl TokenAway {
    fn take(label: &str) -> Self {
        let from = token_subdir(label);
        // Out of the token directory: SoftHSM2 initialised again (the
        // group's probe restarts the member's module) finds a token in any
        // directory of it.
        let name = from.file_name().unwrap().to_string_lossy().into_owned();
        let to = from
            .parent()
            .and_then(Path::parent)
            .unwrap()
            .join(format!("{name}.away"));
        std::fs::rename(&from, &to).unwrap();
        Self { from, to }
    }
}

impl Drop for TokenAway {
    fn drop(&mut self) {
        let _ = std::fs::rename(&self.to, &self.from);
    }
}

/// Two clients take client-credentials tokens from a bank whose key is a
/// group of two tokens, while one member is killed and brought back: every
/// request is answered 200, and both members sign before and after.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_keeps_issuing_while_a_group_member_is_killed_and_brought_back() {
    let Some(env) = env() else { return };
    let _serial = SERIAL.lock().await;
    let logs = log_buffer();
    let label = format!("group-{}", unique(0));
    let id = unique(1);
    for token in [&env.a, &env.b] {
        import(
            &env,
            token,
            "bindings/rust/testdata/pkcs8-p256.pem",
            &id,
            &label,
        );
    }
    // One module instance per member.
    let copies = std::env::temp_dir().join(format!("fapi-serve-modules-{}", unique(2)));
    std::fs::create_dir_all(&copies).unwrap();
    let (ma, mb) = (copies.join("a.so"), copies.join("b.so"));
    let _ = std::fs::copy(&env.module, &ma).unwrap();
    let _ = std::fs::copy(&env.module, &mb).unwrap();
    let key = SigningKey::from_config(&format!(
        "{}\n{}",
        uri(&env, &ma, &env.a, &label),
        uri(&env, &mb, &env.b, &label)
    ))
    .unwrap();
    let profile = Profile::FAPI2;
    let (k1, r1) = pkj_client(profile, "fintech-1", true);
    let (k2, r2) = pkj_client(profile, "fintech-2", true);
    let ca = DevCa::generate().unwrap();
    let config = ServerConfig::new(profile)
        .listen("127.0.0.1:0".parse().unwrap())
        .dev_ca(ca.clone())
        .signing_key(key.clone())
        .client(r1)
        .client(r2);
    let server = start(config).await.unwrap();
    let issuer = server.issuer().to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let issued = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for keys in [k1, k2] {
        let (stop, issued) = (Arc::clone(&stop), Arc::clone(&issued));
        let c = client(profile, &issuer, &keys);
        let h = http(&ca, None);
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let r =
                    send_dpop(&h, &c, || c.client_credentials_request("accounts").unwrap()).await;
                assert_eq!(r.status, 200, "issuance {n} of {}: {}", keys.id, r.body);
                n += 1;
                let _ = issued.fetch_add(1, Ordering::Relaxed);
            }
            n
        }));
    }
    let group = key.hsm_group().unwrap();
    let wait_for = |what: &str, cond: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cond() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                group.health()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let before = group.health();
    assert!(
        before.iter().all(|m| m.is_in && m.signatures > 0),
        "{before:?}"
    );
    let watch = http(&ca, None);
    let (status, body) = get(&watch, &issuer, "/readyz").await;
    assert_eq!(
        (status, body.as_str()),
        (200, "ready\nsigning group: 2 of 2 members in\n")
    );
    let metrics = get(&watch, &issuer, "/metrics").await.1;
    assert_eq!(member_in(&metrics, &env.a), Some(1), "{metrics}");
    assert_eq!(member_in(&metrics, &env.b), Some(1), "{metrics}");

    // Kill member a.
    let away = TokenAway::take(&env.a);
    wait_for("a out", &|| !group.health()[0].is_in);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let during = group.health();
    assert!(!during[0].is_in && during[0].failures >= 1, "{during:?}");
    assert!(during[1].signatures > before[1].signatures, "{during:?}");
    // Ready, on member b; member a named out, in /readyz and /metrics.
    let (status, body) = get(&watch, &issuer, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with(&format!(
            "ready\nsigning group: 1 of 2 members in; out: token {} in {} (out for ",
            env.a,
            ma.display()
        )),
        "{body}"
    );
    let metrics = get(&watch, &issuer, "/metrics").await.1;
    assert_eq!(member_in(&metrics, &env.a), Some(0), "{metrics}");
    assert_eq!(member_in(&metrics, &env.b), Some(1), "{metrics}");
    assert!(
        metrics.contains("fapi_signing_group_members_in 1\n")
            && metrics.contains(&format!(
                "fapi_signing_group_member_failures_total{{token=\"{}\",member=\"token {} in {}\"}} ",
                env.a,
                env.a,
                ma.display()
            )),
        "{metrics}"
    );
    for text in [&body, &metrics] {
        assert!(!text.contains(&env.pin), "{text}");
    }
    // The log has a's going out, with its name.
    let out_lines = member_lines(&logs, "signing group member is out", &env.a);
    assert!(
        out_lines.first().is_some_and(|l| l["level"] == "WARN"),
        "{out_lines:?}"
    );

    // Bring it back: the directory; the group's probe restarts its module.
    drop(away);
    wait_for("a back in", &|| group.health()[0].is_in);
    let back = group.health();
    let (status, body) = get(&watch, &issuer, "/readyz").await;
    assert_eq!(
        (status, body.as_str()),
        (200, "ready\nsigning group: 2 of 2 members in\n")
    );
    let metrics = get(&watch, &issuer, "/metrics").await.1;
    assert_eq!(member_in(&metrics, &env.a), Some(1), "{metrics}");
    let in_lines = member_lines(&logs, "signing group member is back in", &env.a);
    assert!(
        in_lines.first().is_some_and(|l| l["level"] == "INFO"),
        "{in_lines:?}"
    );
    let logged = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(!logged.contains(&env.pin), "the PIN is logged");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, Ordering::Relaxed);
    let mut per_client = Vec::new();
    for t in tasks {
        per_client.push(t.await.unwrap());
    }
    let after = group.health();
    assert!(after.iter().all(|m| m.is_in), "{after:?}");
    assert!(
        after[0].signatures > back[0].signatures,
        "a signs again: {after:?}"
    );
    assert!(
        after[1].signatures > back[1].signatures,
        "b still signs: {after:?}"
    );
    eprintln!(
        "issued {} ({per_client:?}); health {after:?}",
        issued.load(Ordering::Relaxed)
    );
    let _ = std::fs::remove_dir_all(&copies);
}

/// Both members killed: issuance fails (503), and `/readyz` is 503 naming
/// both. Both brought back with no traffic: `/readyz` probes the group
/// itself (nothing else would) and is 200 with both in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_with_every_member_out_and_probes_them_back() {
    let Some(env) = env() else { return };
    let _serial = SERIAL.lock().await;
    let label = format!("down-{}", unique(0));
    let id = unique(1);
    for token in [&env.a, &env.b] {
        import(
            &env,
            token,
            "bindings/rust/testdata/pkcs8-p256.pem",
            &id,
            &label,
        );
    }
    let copies = std::env::temp_dir().join(format!("fapi-serve-modules-{}", unique(2)));
    std::fs::create_dir_all(&copies).unwrap();
    let (ma, mb) = (copies.join("a.so"), copies.join("b.so"));
    let _ = std::fs::copy(&env.module, &ma).unwrap();
    let _ = std::fs::copy(&env.module, &mb).unwrap();
    let key = SigningKey::from_config(&format!(
        "{} {}",
        uri(&env, &ma, &env.a, &label),
        uri(&env, &mb, &env.b, &label)
    ))
    .unwrap();
    let profile = Profile::FAPI2;
    let (k1, r1) = pkj_client(profile, "fintech-1", true);
    let ca = DevCa::generate().unwrap();
    let server = start(
        ServerConfig::new(profile)
            .listen("127.0.0.1:0".parse().unwrap())
            .dev_ca(ca.clone())
            .signing_key(key.clone())
            .client(r1),
    )
    .await
    .unwrap();
    let issuer = server.issuer().to_owned();
    let c = client(profile, &issuer, &k1);
    let h = http(&ca, None);
    let r = send_dpop(&h, &c, || c.client_credentials_request("accounts").unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let away = [TokenAway::take(&env.a), TokenAway::take(&env.b)];
    let r = send_dpop(&h, &c, || c.client_credentials_request("accounts").unwrap()).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.json()["error"], "temporarily_unavailable", "{}", r.body);
    let group = key.hsm_group().unwrap();
    assert_eq!(group.members_in(), 0, "{:?}", group.health());
    let (status, body) = get(&h, &issuer, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with("not ready: no signing group member is in (out: token ")
            && description.contains(&format!("token {} in {} (out for ", env.a, ma.display()))
            && description.contains(&format!("token {} in {} (out for ", env.b, mb.display())),
        "{description}"
    );
    assert!(!description.contains(&env.pin), "{description}");
    let metrics = get(&h, &issuer, "/metrics").await.1;
    assert!(
        metrics.contains("fapi_signing_group_members_in 0\n"),
        "{metrics}"
    );

    // Back, and no token request: /readyz alone brings the members in
    // (its probe restarts their modules).
    drop(away);
    let deadline = Instant::now() + Duration::from_secs(10);
    let body = loop {
        let (status, body) = get(&h, &issuer, "/readyz").await;
        if status == 200 {
            break body;
        }
        assert!(Instant::now() < deadline, "/readyz still {status}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(body.starts_with("ready\nsigning group: "), "{body}");
    assert!(group.members_in() >= 1, "{:?}", group.health());
    let r = send_dpop(&h, &c, || c.client_credentials_request("accounts").unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&copies);
}
