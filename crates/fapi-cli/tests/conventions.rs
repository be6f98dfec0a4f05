//! The CLI's conventions, each pinned (`fapi --help` and the README state
//! them):
//!
//! - inputs: a document is a file path, `-` or nothing for stdin, inline
//!   JSON only in its `--*-json` flag; a token is the value itself, `-`
//!   or nothing for stdin; what is neither says what it saw;
//! - `fapi inspect` decodes without verifying, labelled so;
//! - `fapi sign` claim flags with durations, and no token that `fapi
//!   verify` would refuse unless `--unchecked`;
//! - `dpop create` refuses a lower-case method and an `htu` without a
//!   scheme, showing the value;
//! - `--json` on every command; lower-case results shared with the C
//!   API's audit report;
//! - errors: the fapi name first, the code labelled, no OAuth error, the
//!   values involved.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const FAPI: &str = env!("CARGO_BIN_EXE_fapi");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn fapi_stdin(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(FAPI)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the fapi binary runs");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn fapi(args: &[&str]) -> Run {
    fapi_stdin(args, None)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A fresh directory with an ES256 key and its JWK Set.
fn setup(name: &str) -> (PathBuf, String, String) {
    let dir = std::env::temp_dir().join(format!("fapi-conv-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("k.pem");
    assert_eq!(
        fapi(&["keygen", "--alg", "ES256", "--out", key.to_str().unwrap()]).code,
        0
    );
    let jwks = dir.join("jwks.json");
    std::fs::write(&jwks, fapi(&["jwks", key.to_str().unwrap()]).stdout).unwrap();
    (
        dir,
        key.to_str().unwrap().to_owned(),
        jwks.to_str().unwrap().to_owned(),
    )
}

fn sign(key: &str, extra: &[&str]) -> Run {
    let mut args = vec!["sign", "--key", key];
    args.extend_from_slice(extra);
    fapi(&args)
}

#[test]
fn one_input_defaults_to_stdin_and_dash_is_stdin() {
    let (_dir, key, jwks) = setup("stdin");
    let token = sign(&key, &["--sub", "alice", "--exp", "+5m"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    let token = token.stdout.trim();
    for args in [
        vec!["verify", "--jwks", &jwks],
        vec!["verify", "--jwks", &jwks, "-"],
    ] {
        let r = fapi_stdin(&args, Some(token));
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(r.stdout.contains("alice"));
    }
    let r = fapi_stdin(&["inspect"], Some(token));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    // RFC 8037 A.3
    let r = fapi_stdin(&["thumbprint"], Some(jwk));
    assert_eq!(
        r.stdout.trim(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        "{}",
        r.stderr
    );
    let metadata = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/metadata-fapi2.json"
    ))
    .unwrap();
    let r = fapi_stdin(&["audit", "--profile", "fapi2"], Some(&metadata));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // the token and the JWK Set cannot both come from stdin
    let r = fapi_stdin(&["verify", "--jwks", "-"], Some(token));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn files_and_inline_values_are_told_apart_and_garbage_says_what_it_saw() {
    let (_dir, key, jwks) = setup("inline");
    let token = sign(&key, &["--sub", "alice", "--exp", "+5m"]).stdout;
    let token = token.trim();
    // the JWK Set inline, in its own flag
    let set = std::fs::read_to_string(&jwks).unwrap();
    let r = fapi(&["verify", "--jwks-json", &set, token]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // JSON given where a path belongs: no guess, the flag that takes it named
    let r = fapi(&["verify", "--jwks", &set, token]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("--jwks-json"), "{}", r.stderr);
    // fapi verify --jwks jwks.json garbage: not a JWS, with what it saw
    let r = fapi(&["verify", "--jwks", &jwks, "garbage"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("error: malformed (fapi code ")
            && r.stderr.contains("not a compact JWS")
            && r.stderr.contains(r#"saw "garbage""#),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("No such file"), "{}", r.stderr);
    // a token file given as the token: said so
    let r = fapi(&["verify", "--jwks", &jwks, &jwks]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("is a file"), "{}", r.stderr);
    // claims: a file, or inline in --claims-json
    let r = sign(&key, &["--claims", r#"{"sub":"a"}"#]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("--claims-json"), "{}", r.stderr);
}

#[test]
fn inspect_decodes_without_verifying_and_says_so() {
    let (_dir, key, _jwks) = setup("inspect");
    let token = sign(&key, &["--sub", "alice", "--exp", "+5m", "--typ", "at+jwt"]).stdout;
    let token = token.trim();
    let r = fapi(&["inspect", token]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("UNVERIFIED"), "{}", r.stdout);
    assert!(
        r.stdout.contains("at+jwt") && r.stdout.contains("alice"),
        "{}",
        r.stdout
    );
    let r = fapi(&["inspect", "--json", token]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["verified"], false);
    assert_eq!(v["form"], "jws");
    assert_eq!(v["header"]["typ"], "at+jwt");
    assert_eq!(v["payload"]["sub"], "alice");
    // a JWE: its header only ({"alg":"RSA-OAEP-256","enc":"A256GCM"})
    let jwe = "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0.a2V5.aXY.Y2lwaGVy.dGFn";
    let r = fapi(&["inspect", "--json", jwe]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["form"], "jwe");
    assert_eq!(v["header"]["enc"], "A256GCM");
    assert!(v.get("payload").is_none());
    // a tampered signature decodes all the same: nothing was verified
    let (head, _) = token.rsplit_once('.').unwrap();
    assert_eq!(fapi(&["inspect", &format!("{head}.AAAA")]).code, 0);
    let r = fapi(&["inspect", "a.b"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains(r#"saw "a.b""#), "{}", r.stderr);
}

#[test]
fn sign_takes_claim_flags_and_refuses_what_verify_would_refuse() {
    let (_dir, key, jwks) = setup("claims");
    let r = sign(
        &key,
        &[
            "--iss",
            "https://as.bank.example",
            "--sub",
            "alice",
            "--aud",
            "https://api.bank.example",
            "--exp",
            "+5m",
            "--iat",
            "now",
            "--nbf",
            "-30s",
            "--claim",
            "n=3",
            "--claim",
            "scope=accounts payments",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = fapi(&[
        "verify",
        "--jwks",
        &jwks,
        "--iss",
        "https://as.bank.example",
        "--aud",
        "https://api.bank.example",
        "--json",
        r.stdout.trim(),
    ]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    let v: serde_json::Value = serde_json::from_str(&v.stdout).unwrap();
    let c = &v["claims"];
    let exp = c["exp"].as_u64().unwrap();
    assert!((now() + 290..=now() + 310).contains(&exp), "{c}");
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 300);
    assert_eq!(c["iat"].as_u64().unwrap() - c["nbf"].as_u64().unwrap(), 30);
    assert_eq!(c["n"], 3);
    assert_eq!(c["scope"], "accounts payments");
    // no exp: verify would refuse it
    let r = sign(&key, &["--sub", "alice"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: missing_claim (fapi code ")
            && r.stderr.contains("no exp claim")
            && r.stderr.contains("--unchecked"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
    // exp too far: more than a day
    let r = sign(&key, &["--sub", "alice", "--exp", "+2d"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("lifetime_too_long"), "{}", r.stderr);
    // exp past
    let r = sign(&key, &["--sub", "alice", "--exp", "-1h"]);
    assert!(r.stderr.contains("expired"), "{}", r.stderr);
    // nbf still ahead: not valid yet
    let r = sign(&key, &["--sub", "alice", "--nbf", "+1h", "--exp", "+2h"]);
    assert!(r.stderr.contains("not_yet_valid"), "{}", r.stderr);
    // --unchecked signs it all the same
    let r = sign(&key, &["--sub", "alice", "--unchecked"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // a time that is no time, a claim that is no NAME=VALUE: usage
    let r = sign(&key, &["--exp", "5m"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(r#""5m" is not a time"#), "{}", r.stderr);
    assert_eq!(sign(&key, &["--exp", "+5m", "--claim", "novalue"]).code, 2);
}

#[test]
fn dpop_create_refuses_lower_case_methods_and_relative_htu_showing_the_value() {
    let (_dir, key, _jwks) = setup("dpop");
    let create =
        |htm: &str, htu: &str| fapi(&["dpop", "create", "--key", &key, "--htm", htm, "--htu", htu]);
    let r = create("post", "https://as.bank.example/token");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(r#""post" is not "POST""#) && r.stderr.contains("RFC 9110"),
        "{}",
        r.stderr
    );
    let r = create("POST", "as.bank.example/token");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains(r#""as.bank.example/token" is not an absolute URL"#),
        "{}",
        r.stderr
    );
    let r = create("POST", "/token");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(create("POST", "https://as.bank.example/token").code, 0);
}

#[test]
fn every_command_takes_json() {
    let (dir, key, jwks) = setup("json");
    let json = |args: &[&str], stdin: Option<&str>| -> serde_json::Value {
        let r = fapi_stdin(args, stdin);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        serde_json::from_str(r.stdout.trim())
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", r.stdout))
    };
    let fresh = dir.join("fresh.pem");
    assert!(
        json(
            &[
                "keygen",
                "--alg",
                "EdDSA",
                "--json",
                "--out",
                fresh.to_str().unwrap()
            ],
            None
        )["kty"]
            == "OKP"
    );
    assert!(json(&["keygen", "--alg", "EdDSA", "--json"], None)["private_key_pem"].is_string());
    assert!(json(&["jwks", "--json", &key], None)["keys"].is_array());
    let token = json(
        &[
            "sign", "--json", "--key", &key, "--sub", "a", "--exp", "+5m",
        ],
        None,
    );
    let token = token["token"].as_str().unwrap().to_owned();
    assert_eq!(
        json(&["verify", "--json", "--jwks", &jwks, &token], None)["verified"],
        true
    );
    assert_eq!(
        json(&["inspect", "--json", &token], None)["verified"],
        false
    );
    let proof = json(
        &[
            "dpop",
            "create",
            "--json",
            "--key",
            &key,
            "--htm",
            "GET",
            "--htu",
            "https://rs.example/a",
        ],
        None,
    );
    let proof = proof["proof"].as_str().unwrap().to_owned();
    let v = json(
        &[
            "dpop",
            "verify",
            "--json",
            "--htm",
            "GET",
            "--htu",
            "https://rs.example/a",
            &proof,
        ],
        None,
    );
    assert_eq!(v["verified"], true);
    assert!(json(&["pkce", "--json"], None)["code_challenge"].is_string());
    let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    assert!(json(&["thumbprint", "--json", "--jwk-json", jwk], None)["jkt"].is_string());
    let md = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/metadata-fapi2.json");
    assert!(json(&["audit", "--json", "--profile", "fapi2", md], None)["audit"].is_array());
    assert_eq!(
        json(&["explain", "--json", "F2-PKCE"], None)["id"],
        "F2-PKCE"
    );
    // errors too: one JSON object on stderr, the fapi name and code
    let r = fapi(&["verify", "--json", "--jwks", &jwks, "garbage"]);
    let e: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert_eq!(e["kind"], "refused");
    assert_eq!(e["name"], "malformed");
    assert!(e.get("oauth_error").is_none());
}

/// The keys and values of the C API's `fapi_audit` report, from the
/// example in its doc comment (the header's documentation).
fn c_report_example() -> serde_json::Value {
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bindings/c/src/audit.rs"),
    )
    .unwrap();
    let line = src
        .lines()
        .find(|l| l.contains("/// `{\"profile\":"))
        .expect("the report example in bindings/c/src/audit.rs");
    let json = line.split('`').nth(1).unwrap().replace("...", "");
    let json = json.replace(",]", "]");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

// F2-METADATA: `fapi audit --json` writes the C report's keys and lower
// case outcomes.
#[test]
fn audit_json_agrees_with_the_c_report() {
    let c = c_report_example();
    let c_finding = &c["findings"][0];
    let weak = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/metadata-weak.json");
    let r = fapi(&["audit", "--json", "--profile", "fapi2", weak]);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let report = &v["audit"][0];
    let keys = |o: &serde_json::Value| {
        let mut k: Vec<String> = o.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(report), keys(&c), "{report}");
    let failed = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["outcome"] == "fail")
        .unwrap();
    assert_eq!(keys(failed), keys(c_finding), "{failed}");
    assert_eq!(c_finding["outcome"], "fail");
    for f in report["findings"].as_array().unwrap() {
        let o = f["outcome"].as_str().unwrap();
        assert!(
            ["pass", "fail", "not_applicable", "undeclared"].contains(&o),
            "{f}"
        );
    }
}

#[test]
fn refusals_show_the_values_involved() {
    let (_dir, key, jwks) = setup("values");
    // exp against now
    let old = sign(&key, &["--sub", "a", "--exp", "1700000000", "--unchecked"]).stdout;
    let r = fapi(&["verify", "--jwks", &jwks, old.trim()]);
    assert!(
        r.stderr
            .starts_with("error: expired (fapi code 401): verify: exp 1700000000 is before now "),
        "{}",
        r.stderr
    );
    // the kid asked for against the kids known
    let (_d2, other_key, _j2) = setup("values-other");
    let stranger = sign(&other_key, &["--sub", "a", "--exp", "+5m"]).stdout;
    let r = fapi(&["verify", "--jwks", &jwks, stranger.trim()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("key_not_found")
            && r.stderr.contains("is not among the JWK Set's kids ["),
        "{}",
        r.stderr
    );
    // iss expected against got
    let t = sign(&key, &["--iss", "https://a", "--aud", "x", "--exp", "+5m"]).stdout;
    let r = fapi(&[
        "verify",
        "--jwks",
        &jwks,
        "--iss",
        "https://b",
        "--aud",
        "x",
        t.trim(),
    ]);
    assert!(
        r.stderr
            .contains(r#"iss expected "https://b", got "https://a""#),
        "{}",
        r.stderr
    );
    // htu expected against got
    let proof = fapi(&[
        "dpop",
        "create",
        "--key",
        &key,
        "--htm",
        "GET",
        "--htu",
        "https://rs.example/a",
    ])
    .stdout;
    let r = fapi(&[
        "dpop",
        "verify",
        "--htm",
        "GET",
        "--htu",
        "https://rs.example/b",
        proof.trim(),
    ]);
    assert!(
        r.stderr.contains("dpop_uri")
            && r.stderr.contains(r#"htu expected "https://rs.example/b""#)
            && r.stderr.contains(r#"got "https://rs.example/a""#),
        "{}",
        r.stderr
    );
}
