//! `fapi demo` end to end over HTTPS against the reference bank (a DPoP
//! profile and a mutual-TLS one), and `fapi serve`: its ready line, the
//! metadata it serves passing `fapi audit` for its own profile, and a
//! clean stop on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

const FAPI: &str = env!("CARGO_BIN_EXE_fapi");

fn demo(profile: &str) -> (i32, Vec<serde_json::Value>) {
    let out = Command::new(FAPI)
        .args(["demo", "--profile", profile, "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let events = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out.status.code().unwrap_or(-1), events)
}

fn check(profile: &str, attacks: &[&str]) -> Vec<serde_json::Value> {
    let (code, events) = demo(profile);
    let failed: Vec<_> = events
        .iter()
        .filter(|e| e["ok"] == false || e["stopped"] == false)
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(code, 0);
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["failures"], 0);
    // An attack of the demo, or a module of fapi probe run against the
    // bank (the attacks that moved there).
    for a in attacks {
        let e = events
            .iter()
            .find(|e| e["attack"] == *a || (e["event"] == "probe" && e["module"] == *a))
            .unwrap_or_else(|| panic!("{a} not run"));
        if e["event"] == "probe" {
            assert_eq!(e["result"], "pass", "{e}");
        } else {
            assert_eq!(e["stopped"], true, "{e}");
        }
    }
    // both flows ran through to their last API call
    for step in ["transactions read", "payment status polled"] {
        assert!(events.iter().any(|e| e["step"] == step), "{step} missing");
    }
    explains_itself(profile, &events);
    events
}

/// The run explains itself: each step is tagged only with the IDs that
/// hold under the profile run (no mutual-TLS IDs under DPoP), the
/// attacker legend names only the classes whose attacks ran, and the
/// summary counts the attacks refused.
fn explains_itself(profile: &str, events: &[serde_json::Value]) {
    let p = fapi_core::profile::Profile::from_name(profile).unwrap();
    let is_requirement_id = |s: &str| {
        ["F2-", "OB-", "OFB-", "CDR-", "BG-"]
            .iter()
            .any(|x| s.starts_with(x))
            && s.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    };
    for e in events.iter().filter(|e| e["ids"].is_array()) {
        for id in e["ids"].as_array().unwrap() {
            let id = id.as_str().unwrap();
            if is_requirement_id(id) {
                assert!(p.has(id), "{id} does not hold under {profile}: {e}");
            }
        }
    }
    let mut ran: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "attack")
        .map(|e| e["attacker"].as_str().unwrap())
        .collect();
    ran.sort_unstable();
    ran.dedup();
    let legend = events.iter().find(|e| e["event"] == "attackers").unwrap();
    let mut named: Vec<&str> = legend["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap())
        .collect();
    named.sort_unstable();
    assert_eq!(named, ran, "the legend names the classes that occur");
    let summary = events.last().unwrap();
    assert_eq!(summary["refused"], summary["attacks"], "{summary}");
    assert_eq!(summary["missed"], 0);
    assert_eq!(summary["steps_failed"], 0);
    assert_eq!(summary["outcome"], "pass");
}

// The text report: the summary says how many attacks were refused, the
// cross-profile audit cells are explained, and no mutual-TLS ID is
// printed under a DPoP profile.
#[test]
fn demo_text_says_attacks_refused_and_explains_the_audit_cells() {
    let out = Command::new(FAPI)
        .args(["demo", "--profile", "fapi2"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let last = text.lines().last().unwrap();
    assert!(
        last.contains(" attacks refused; 0 step(s) failed, 0 attack(s) not refused"),
        "{last}"
    );
    let audit = text
        .lines()
        .find(|l| l.contains("metadata audited"))
        .unwrap();
    assert!(
        audit.contains("only fapi2, the profile it runs, must pass")
            && audit.contains("fapi2 pass"),
        "{audit}"
    );
    // the step and attack lines; the audit line names other sets' IDs
    // as the findings of their audits
    for line in text.lines().filter(|l| l.starts_with("     ")) {
        for mtls in ["OB-SENDER", "CDR-HOK", "BG-MTLS"] {
            assert!(
                !line.contains(mtls),
                "{mtls} printed under fapi2 (DPoP): {line}"
            );
        }
    }
    let legend = text.lines().find(|l| l.starts_with("attackers (")).unwrap();
    for (class, _) in [("A1 ", ""), ("A5 ", "")] {
        assert!(legend.contains(class), "{legend}");
    }
}

// F2-PAR, F2-ISS, F2-CODE-ONCE, F2-SENDER (DPoP), F2-RT-NO-ROTATE,
// CDR-CODE-FLOW: the fapi2 run and its attacks, each refused with the
// expected OAuth error.
#[test]
fn demo_fapi2_runs_both_flows_and_stops_every_attack() {
    let _ = check(
        "fapi2",
        &[
            "token-code-reuse",
            "dpop-proof-replay",
            "resource-dpop-token-without-proof",
            "resource-dpop-proof-of-another-key",
            "refresh-token-other-client",
            "authorization-request-outside-par",
            "authorization-response-with-a-wrong-iss",
            "payment-consent-used-twice",
            "account-data-with-a-client-credentials-token",
            "client-assertion-wrong-aud",
            "par-request-uri-other-client",
            "id-token-issued-to-another-client",
            "id-token-of-another-session",
            "id-token-with-the-at-hash-of-another-access-token",
            "id-token-re-signed-by-an-attacker-key",
        ],
    );
}

/// The attacks on signed resource messages (RFC 9421, RFC 9530).
const SIGNED_MESSAGE_ATTACKS: &[&str] = &[
    "resource-request-without-a-signature",
    "signature-that-does-not-cover-the-body",
    "body-changed-after-signing",
    "signature-created-120-s-ago",
    "second-signature-under-the-same-label",
    "response-signature-made-for-another-request",
];

/// Every resource step names `id`, and the signed consent step ran.
fn signed_messages(events: &[serde_json::Value], id: &str) {
    let steps: Vec<_> = events.iter().filter(|e| e["event"] == "step").collect();
    for step in ["transactions read", "payment status polled"] {
        let e = steps
            .iter()
            .find(|e| e["step"] == step)
            .unwrap_or_else(|| panic!("{step} missing"));
        assert!(e["ids"].as_array().unwrap().iter().any(|i| i == id), "{e}");
    }
    assert!(
        steps.iter().any(
            |e| e["flow"] == "signed resource messages (RFC 9421, RFC 9530)"
                && e["ok"] == true
                && e["step"]
                    .as_str()
                    .unwrap()
                    .contains("response signature verified")
        ),
        "the signed consent step did not run"
    );
    for a in SIGNED_MESSAGE_ATTACKS {
        let e = events.iter().find(|e| e["attack"] == *a).unwrap();
        assert!(e["ids"].as_array().unwrap().iter().any(|i| i == id), "{e}");
    }
}

// FAPI 2.0 Message Signing §5.4 (fapi2-ms): the client reads the JARM
// response and refuses one of another issuer, one tampered, one stripped
// to a plain query (JARM §2.3, §2.4, RFC 9207); FAPI 2.0 HTTP Signatures:
// signed requests, verified responses, and the signature attacks refused
// (RFC 9421 §2.4, §3.2, §4.1; RFC 9530 §2).
#[test]
fn demo_fapi2_ms_reads_jarm_signs_messages_and_refuses_forgeries() {
    let mut attacks = vec![
        "jarm-response-of-another-issuer",
        "jarm-response-with-one-payload-byte-changed",
        "jarm-response-stripped-to-a-plain-query",
        "id-token-of-another-session",
    ];
    attacks.extend_from_slice(SIGNED_MESSAGE_ATTACKS);
    let events = check("fapi2-ms", &attacks);
    signed_messages(&events, "FAPI 2.0 HTTP Signatures");
}

// BG-SIGNED-REQ (berlin): the TPP signs every resource request, over
// mutual TLS with certificate-bound tokens (BG-MTLS), verifies the bank's
// response signatures, and every signature attack is refused.
#[test]
fn demo_berlin_bg_signed_req_signs_every_resource_request() {
    let mut attacks = vec![
        "token-code-reuse",
        "resource-mtls-token-with-another-certificate",
        "resource-mtls-token-without-certificate",
    ];
    attacks.extend_from_slice(SIGNED_MESSAGE_ATTACKS);
    let events = check("berlin", &attacks);
    signed_messages(&events, "BG-SIGNED-REQ");
}

// CDR-HOK, OB-SENDER: certificate-bound tokens over mutual TLS; CDR-PAR,
// CDR-REQ-TTL (signed request objects), CDR-CODE-ONCE; CDR-ALG: the ID
// token encrypted to the client, and the JWE forgeries refused.
#[test]
fn demo_cdr_runs_both_flows_over_mutual_tls_and_stops_every_attack() {
    let _ = check(
        "cdr",
        &[
            "token-code-reuse",
            "resource-mtls-token-with-another-certificate",
            "resource-mtls-token-without-certificate",
            "par-request-uri-other-client",
            "authorization-request-outside-par",
            "payment-consent-used-twice",
            "funds-confirmation-with-a-client-credentials-token",
            "id-token-issued-to-another-client",
            "encrypted-id-token-with-rsa1_5",
            "encrypted-id-token-with-its-key-algorithm-swapped",
            "encrypted-id-token-with-its-tag-changed",
        ],
    );
}

#[test]
fn demo_refuses_an_unknown_profile() {
    let out = Command::new(FAPI)
        .args(["demo", "--profile", "fapi3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

// F2-METADATA: the running bank's metadata passes the core's audit for its
// own profile, fetched over HTTPS trusting its development CA.
#[test]
fn serve_prints_one_ready_line_serves_audited_metadata_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("fapi-cli-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new(FAPI)
        .args(["serve", "--listen", "127.0.0.1:0", "--json", "--dev-ca-dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(ready["event"], "ready");
    assert_eq!(ready["profile"], "fapi2");
    let issuer = ready["issuer"].as_str().unwrap().to_owned();
    assert!(issuer.starts_with("https://127.0.0.1:"), "{issuer}");
    assert_eq!(
        ready["listen"].as_str().map(|a| format!("https://{a}")),
        Some(issuer.clone())
    );
    let ca = ready["ca"].as_str().unwrap().to_owned();
    assert!(std::path::Path::new(&ca).is_absolute(), "{ca}");
    let audit = Command::new(FAPI)
        .args([
            "audit",
            &issuer,
            "--ca",
            &ca,
            "--profile",
            "fapi2",
            "--json",
        ])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&audit.stdout);
    // stop the server before any assertion can fail
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(status.success(), "serve ended with {status}");
    assert_eq!(
        audit.status.code(),
        Some(0),
        "{report} {}",
        String::from_utf8_lossy(&audit.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["audit"][0]["passed"], true);
    // an unknown profile and plain HTTP off loopback are usage errors
    let bad = Command::new(FAPI)
        .args(["serve", "--profile", "nope"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let off = Command::new(FAPI)
        .args(["serve", "--plain-http", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(
        off.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&off.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
