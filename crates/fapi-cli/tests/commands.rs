//! Every subcommand through the built binary: happy paths, bad input, exit
//! codes (0 done, 1 refused, 2 usage, 3 I/O), closed pipes. Expected values
//! come from the RFCs (RFC 7636 Appendix B, RFC 7638 §3.1, RFC 9449 §4.1
//! and §7.1).

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const FAPI: &str = env!("CARGO_BIN_EXE_fapi");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn fapi_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(FAPI)
        .args(args)
        .current_dir(dir)
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
    fapi_in(Path::new("."), args, None)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fapi-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn keygen(dir: &Path, alg: &str) -> PathBuf {
    let path = dir.join(format!("{alg}.pem"));
    let r = fapi(&["keygen", "--alg", alg, "--out", path.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    path
}

fn testdata(name: &str) -> String {
    format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn help_lists_every_subcommand() {
    let r = fapi(&["--help"]);
    assert_eq!(r.code, 0);
    for sub in [
        "keygen",
        "jwks",
        "sign",
        "verify",
        "dpop",
        "http-sig",
        "pkce",
        "thumbprint",
        "audit",
        "serve",
        "demo",
    ] {
        assert!(r.stdout.contains(sub), "{sub} missing from --help");
    }
    assert_eq!(fapi(&["no-such-command"]).code, 2);
}

// F2-ALG: the three algorithms, nothing else.
#[test]
fn keygen_writes_pkcs8_files_of_mode_0600_for_the_f2_alg_algorithms() {
    let dir = tmp("keygen");
    for alg in ["ES256", "EdDSA", "PS256"] {
        let path = keygen(&dir, alg);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{alg}");
        let pem = std::fs::read_to_string(&path).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{alg}");
        // an independent parser reads it as PKCS#8 too
        let key = fapi::SigningKey::from_pem(&pem).unwrap();
        assert_eq!(fapi_core::Signer::alg(&key).name(), alg);
    }
    // never overwritten: an I/O error
    let again = fapi(&[
        "keygen",
        "--alg",
        "ES256",
        "--out",
        dir.join("ES256.pem").to_str().unwrap(),
    ]);
    assert_eq!(again.code, 3, "{}", again.stderr);
    assert!(again.stderr.starts_with("error: "), "{}", again.stderr);
    // to stdout
    let out = fapi(&["keygen", "--alg", "EdDSA"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("BEGIN PRIVATE KEY"));
}

// F2-ALG: RS256, HS256, none are not algorithms keygen knows: usage error.
#[test]
fn keygen_refuses_algorithms_outside_f2_alg_as_usage_errors() {
    for alg in ["RS256", "HS256", "none", "ES384"] {
        let r = fapi(&["keygen", "--alg", alg]);
        assert_eq!(r.code, 2, "{alg}: {}", r.stderr);
    }
}

#[test]
fn jwks_lists_keys_in_order_and_refuses_bad_key_files() {
    let dir = tmp("jwks");
    let a = keygen(&dir, "ES256");
    let b = keygen(&dir, "EdDSA");
    let r = fapi(&["jwks", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["keys"][0]["kty"], "EC");
    assert_eq!(v["keys"][1]["kty"], "OKP");
    assert!(v["keys"][0].get("d").is_none(), "no private member");
    // the same as fapi's own KeySet
    let keys = fapi::IssuerKeys::from_jwks_json(&r.stdout).unwrap();
    assert_eq!(keys.len(), 2);

    let bad = dir.join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let r = fapi(&["jwks", bad.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("invalid_key"), "{}", r.stderr);
    let r = fapi(&["--json"].iter().chain(&[]).copied().collect::<Vec<_>>());
    assert_eq!(r.code, 2);
    let r = fapi(&["jwks", "--json", bad.to_str().unwrap()]);
    let e: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert_eq!(e["code"], 205);
    assert_eq!(e["name"], "invalid_key");
    let missing = fapi(&["jwks", dir.join("nope.pem").to_str().unwrap()]);
    assert_eq!(missing.code, 3, "{}", missing.stderr);
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tmp("pipe");
    let key = keygen(&dir, "PS256");
    for _ in 0..3 {
        let mut child = Command::new(FAPI)
            .args(["jwks", key.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(out.status.code(), Some(0), "{stderr}");
    }
}

#[test]
fn sign_and_verify_round_trip_under_each_algorithm() {
    let dir = tmp("sign");
    for alg in ["ES256", "EdDSA", "PS256"] {
        let key = keygen(&dir, alg);
        let jwks = dir.join(format!("{alg}.jwks"));
        std::fs::write(&jwks, fapi(&["jwks", key.to_str().unwrap()]).stdout).unwrap();
        // RFC 8725: a JWT of bounded life (jwt::MAX_LIFETIME): ten minutes.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = format!(
            r#"{{"iss":"https://as.bank.example","aud":"https://api.bank.example","sub":"alice","exp":{},"iat":{now}}}"#,
            now + 600
        );
        let s = fapi(&[
            "sign",
            "--key",
            key.to_str().unwrap(),
            "--typ",
            "at+jwt",
            "--claims-json",
            &claims,
        ]);
        assert_eq!(s.code, 0, "{alg}: {}", s.stderr);
        let token = s.stdout.trim();
        let full = fapi(&[
            "verify",
            "--jwks",
            jwks.to_str().unwrap(),
            "--iss",
            "https://as.bank.example",
            "--aud",
            "https://api.bank.example",
            "--typ",
            "at+jwt",
            token,
        ]);
        assert_eq!(full.code, 0, "{alg}: {}", full.stderr);
        let v: serde_json::Value = serde_json::from_str(&full.stdout).unwrap();
        assert_eq!(v["sub"], "alice");
        // the token from stdin, signature only: a note that iss/aud were not checked
        let sig_only = fapi_in(
            Path::new("."),
            &["verify", "--jwks", jwks.to_str().unwrap(), "-"],
            Some(token),
        );
        assert_eq!(sig_only.code, 0, "{}", sig_only.stderr);
        assert!(sig_only.stderr.contains("not checked"));
        // wrong audience: typed refusal, exit 1
        let wrong = fapi(&[
            "verify",
            "--jwks",
            jwks.to_str().unwrap(),
            "--iss",
            "https://as.bank.example",
            "--aud",
            "https://api.other.example",
            "--typ",
            "at+jwt",
            token,
        ]);
        assert_eq!(wrong.code, 1);
        // the name first, the code labelled, the values, no OAuth error
        assert!(
            wrong
                .stderr
                .starts_with("error: wrong_audience (fapi code 407): verify: aud expected \"https://api.other.example\", got \"https://api.bank.example\""),
            "{}",
            wrong.stderr
        );
        assert!(!wrong.stderr.contains("invalid_token"), "{}", wrong.stderr);
        // the typ must match (RFC 8725 §3.11)
        let typ = fapi(&[
            "verify",
            "--jwks",
            jwks.to_str().unwrap(),
            "--iss",
            "https://as.bank.example",
            "--aud",
            "https://api.bank.example",
            token,
        ]);
        assert_eq!(typ.code, 1, "{}", typ.stderr);
        // a flipped signature byte
        let (head, sig) = token.rsplit_once('.').unwrap();
        let flipped = if sig.starts_with('A') { "B" } else { "A" };
        let bad = format!("{head}.{flipped}{}", &sig[1..]);
        let r = fapi(&["verify", "--jwks", jwks.to_str().unwrap(), &bad]);
        assert_eq!(r.code, 1, "{}", r.stderr);
    }
}

#[test]
fn verify_refuses_none_hs256_expired_and_private_jwks() {
    let dir = tmp("verify-bad");
    let key = keygen(&dir, "ES256");
    let jwks = dir.join("k.jwks");
    std::fs::write(&jwks, fapi(&["jwks", key.to_str().unwrap()]).stdout).unwrap();
    let j = jwks.to_str().unwrap();
    // F2-ALG: {"alg":"none"} and {"alg":"HS256"}
    for head in ["eyJhbGciOiJub25lIn0", "eyJhbGciOiJIUzI1NiJ9"] {
        let token = format!("{head}.eyJzdWIiOiJhbGljZSJ9.c2ln");
        let r = fapi(&["verify", "--jwks", j, "--json", &token]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let e: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
        assert_eq!(e["kind"], "refused");
        assert!(e.get("oauth_error").is_none(), "{e}");
    }
    let expired = fapi(&[
        "sign",
        "--key",
        key.to_str().unwrap(),
        "--claims-json",
        r#"{"sub":"a","exp":1000}"#,
        "--unchecked",
    ]);
    let r = fapi(&["verify", "--jwks", j, expired.stdout.trim()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: expired (fapi code 401): verify: exp 1000 is before now "),
        "{}",
        r.stderr
    );
    assert_eq!(fapi(&["verify", "--jwks", j, "not-a-token"]).code, 1);
    // a JWK Set with a private member
    let private = dir.join("private.jwks");
    std::fs::write(&private, r#"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}]}"#).unwrap();
    let r = fapi(&[
        "verify",
        "--jwks",
        private.to_str().unwrap(),
        expired.stdout.trim(),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("private_key_member"), "{}", r.stderr);
    // --iss without --aud
    assert_eq!(
        fapi(&["verify", "--jwks", j, "--iss", "https://as", "x.y.z"]).code,
        2
    );
}

#[test]
fn sign_refuses_claims_that_are_not_one_json_object() {
    let dir = tmp("sign-bad");
    let key = keygen(&dir, "EdDSA");
    let k = key.to_str().unwrap();
    assert_eq!(
        fapi(&["sign", "--key", k, "--claims-json", "{not json"]).code,
        1
    );
    // RFC 8725 §3.4: a duplicate member, named first, no OAuth error
    let dup = fapi(&[
        "sign",
        "--key",
        k,
        "--claims-json",
        r#"{"sub":"a","sub":"b"}"#,
    ]);
    assert_eq!(dup.code, 1);
    assert!(
        dup.stderr
            .starts_with("error: duplicate_member (fapi code "),
        "{}",
        dup.stderr
    );
    assert!(!dup.stderr.contains("invalid_client"), "{}", dup.stderr);
    assert!(
        dup.stderr.contains(r#"the member "sub" appears twice"#),
        "{}",
        dup.stderr
    );
    let from_stdin = fapi_in(
        Path::new("."),
        &["sign", "--key", k, "--claims", "-", "--exp", "+5m"],
        Some(r#"{"sub":"a"}"#),
    );
    assert_eq!(from_stdin.code, 0, "{}", from_stdin.stderr);
    assert_eq!(from_stdin.stdout.trim().split('.').count(), 3);
    assert_eq!(
        fapi(&[
            "sign",
            "--key",
            "/nonexistent/key.pem",
            "--claims-json",
            "{}"
        ])
        .code,
        3
    );
}

// RFC 9449 §7.1: ath of the RFC's access token.
#[test]
fn dpop_create_puts_the_rfc_9449_ath_and_verify_checks_method_and_uri() {
    let dir = tmp("dpop");
    let key = keygen(&dir, "ES256");
    let k = key.to_str().unwrap();
    let token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    let r = fapi(&[
        "dpop",
        "create",
        "--key",
        k,
        "--htm",
        "GET",
        "--htu",
        "https://rs.example/accounts?x=1",
        "--ath",
        token,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let proof = r.stdout.trim().to_owned();
    let payload = proof.split('.').nth(1).unwrap();
    let mut buf = vec![0u8; payload.len()];
    let claims: serde_json::Value =
        serde_json::from_slice(fapi_core::b64::decode(payload.as_bytes(), &mut buf).unwrap())
            .unwrap();
    assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    assert_eq!(claims["htu"], "https://rs.example/accounts");
    let ok = fapi(&[
        "dpop",
        "verify",
        "--htm",
        "GET",
        "--htu",
        "https://rs.example/accounts",
        "--access-token",
        token,
        &proof,
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let v: serde_json::Value = serde_json::from_str(&ok.stdout).unwrap();
    let thumb = fapi(&["jwks", k]);
    let jwks: serde_json::Value = serde_json::from_str(&thumb.stdout).unwrap();
    assert_eq!(
        v["jkt"], jwks["keys"][0]["kid"],
        "kid is the RFC 7638 thumbprint"
    );
    let wrong = fapi(&[
        "dpop",
        "verify",
        "--htm",
        "POST",
        "--htu",
        "https://rs.example/accounts",
        &proof,
    ]);
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("dpop_method")
            && wrong.stderr.contains(r#"htm expected "POST", got "GET""#),
        "{}",
        wrong.stderr
    );
    let other_token = fapi(&[
        "dpop",
        "verify",
        "--htm",
        "GET",
        "--htu",
        "https://rs.example/accounts",
        "--access-token",
        "other",
        &proof,
    ]);
    assert!(
        other_token.stderr.contains("dpop_ath"),
        "{}",
        other_token.stderr
    );
    // F2-ALG under ofb: PS256 only, an ES256 proof is refused
    let ofb = fapi(&[
        "dpop",
        "verify",
        "--profile",
        "ofb",
        "--htm",
        "GET",
        "--htu",
        "https://rs.example/accounts",
        "--access-token",
        token,
        &proof,
    ]);
    assert_eq!(ofb.code, 1, "{}", ofb.stderr);
    assert_eq!(
        fapi(&[
            "dpop",
            "verify",
            "--profile",
            "nope",
            "--htm",
            "GET",
            "--htu",
            "x",
            &proof
        ])
        .code,
        2
    );
}

// RFC 9449 §4.1 Figure 2: signed in 2019, so a 60 s window refuses it as
// too old, after its signature and claims checked out.
#[test]
fn dpop_verify_of_the_rfc_9449_proof_is_too_old() {
    let proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
    let r = fapi(&[
        "dpop",
        "verify",
        "--json",
        "--htm",
        "POST",
        "--htu",
        "https://server.example.com/token",
        proof,
    ]);
    assert_eq!(r.code, 1);
    let e: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert_eq!(e["name"], "too_old");
    // its key's thumbprint, RFC 9449 §4.1 / vectors.md
    let jwk = r#"{"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"}"#;
    let t = fapi(&["thumbprint", "--jwk-json", jwk]);
    assert_eq!(
        t.stdout.trim(),
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    );
}

// F2-PKCE: RFC 7636 Appendix B.
#[test]
fn pkce_computes_the_rfc_7636_challenge_and_refuses_bad_verifiers() {
    let r = fapi(&[
        "pkce",
        "--verifier",
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    ]);
    assert_eq!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["code_challenge"],
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(v["code_challenge_method"], "S256");
    let fresh: serde_json::Value = serde_json::from_str(&fapi(&["pkce"]).stdout).unwrap();
    let verifier = fresh["code_verifier"].as_str().unwrap();
    assert_eq!(verifier.len(), 43);
    fapi_core::pkce::verify(verifier, fresh["code_challenge"].as_str().unwrap()).unwrap();
    let short = fapi(&["pkce", "--verifier", "too-short"]);
    assert_eq!(short.code, 1);
    assert!(
        short.stderr.contains("pkce_verifier_format"),
        "{}",
        short.stderr
    );
}

// RFC 7638 §3.1 and RFC 8037 A.3.
#[test]
fn thumbprint_matches_the_rfcs() {
    let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    let rsa = format!(r#"{{"kty":"RSA","n":"{n}","e":"AQAB","kid":"2011-04-29"}}"#);
    let dir = tmp("thumb");
    let file = dir.join("rsa.jwk");
    std::fs::write(&file, &rsa).unwrap();
    let r = fapi(&["thumbprint", file.to_str().unwrap()]);
    assert_eq!(
        r.stdout.trim(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
        "{}",
        r.stderr
    );
    // F2-ALG: the RFC's own "alg":"RS256" is refused
    let rs256 = format!(r#"{{"kty":"RSA","n":"{n}","e":"AQAB","alg":"RS256"}}"#);
    assert_eq!(fapi(&["thumbprint", "--jwk-json", &rs256]).code, 1);
    // RFC 8037 A.1 private key, A.3 thumbprint; from stdin
    let ed = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    let r = fapi_in(Path::new("."), &["thumbprint", "-"], Some(ed));
    assert_eq!(
        r.stdout.trim(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        "{}",
        r.stderr
    );
    assert_eq!(
        fapi(&["thumbprint", "--jwk-json", r#"{"kty":"oct","k":"AAAA"}"#]).code,
        1
    );
}

// F2-METADATA, F2-PAR, F2-PKCE, F2-ALG, F2-CLIENT-AUTH: the audit of a
// FAPI 2.0 server's metadata passes, a weak server's fails (exit 1).
#[test]
fn audit_passes_good_metadata_and_fails_weak_metadata() {
    let good = testdata("metadata-fapi2.json");
    let r = fapi(&["audit", "--profile", "fapi2", &good]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("F2-PAR "), "{}", r.stdout);
    assert!(
        r.stdout.contains("undeclared"),
        "undeclared facts are not passes"
    );
    let declared = fapi(&[
        "audit",
        "--profile",
        "fapi2",
        "--json",
        "--code-ttl",
        "60",
        "--par-ttl",
        "60",
        "--codes-single-use",
        "true",
        "--https-redirects-only",
        "true",
        "--refresh-rotation",
        "false",
        &good,
    ]);
    assert_eq!(declared.code, 0, "{}", declared.stderr);
    let v: serde_json::Value = serde_json::from_str(&declared.stdout).unwrap();
    let findings = v["audit"][0]["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|f| f["outcome"] == "pass" || f["outcome"] == "not_applicable"),
        "{findings:?}"
    );
    // a declared fact that breaks a rule: F2-CODE-TTL
    let long = fapi(&["audit", "--profile", "fapi2", "--code-ttl", "600", &good]);
    assert_eq!(long.code, 1);
    assert!(
        long.stdout.contains("F2-CODE-TTL        fail"),
        "{}",
        long.stdout
    );

    let weak = fapi(&[
        "audit",
        "--profile",
        "fapi2",
        &testdata("metadata-weak.json"),
    ]);
    assert_eq!(weak.code, 1);
    for id in [
        "F2-PAR ",
        "F2-PKCE",
        "F2-ALG ",
        "F2-CLIENT-AUTH",
        "F2-FLOWS",
    ] {
        let line = weak.stdout.lines().find(|l| l.starts_with(id)).unwrap();
        assert!(line.contains(" fail "), "{line}");
    }
    // --all: a column per profile
    let all = fapi(&["audit", "--all", &good]);
    assert_eq!(all.code, 1, "the FAPI 2.0 document fails obie's rules");
    assert!(all.stdout.lines().next().unwrap().contains("berlin"));
    // a duplicate member: refused by the core's JSON rules
    let dup = fapi(&["audit", &testdata("metadata-duplicate.json")]);
    assert_eq!(dup.code, 1);
    assert!(dup.stderr.contains("duplicate_member"), "{}", dup.stderr);
    assert_eq!(fapi(&["audit", "--profile", "fapi3", &good]).code, 2);
    assert_eq!(fapi(&["audit", "/nonexistent.json"]).code, 3);
    assert_eq!(
        fapi(&["audit", "http://127.0.0.1:1/x"]).code,
        2,
        "plain http is not fetched"
    );
}

/// `keygen --pkcs11`: the key made inside SoftHSM2, loaded back by its URI.
/// Needs the token `.ci/test-all` sets up (FAPI_PKCS11_*); under CI=true a
/// missing token fails.
#[test]
fn keygen_in_the_hsm_by_pkcs11_uri() {
    let (Ok(token), Ok(pin)) = (
        std::env::var("FAPI_PKCS11_TOKEN"),
        std::env::var("FAPI_PKCS11_PIN"),
    ) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: FAPI_PKCS11_TOKEN is not set"
        );
        eprintln!("SKIPPED: no SoftHSM2 token (FAPI_PKCS11_TOKEN, FAPI_PKCS11_PIN)");
        return;
    };
    let label = format!("cli-{}", std::process::id());
    let uri = format!("pkcs11:token={token};object={label}?pin-value={pin}");
    let r = fapi(&["keygen", "--alg", "ES256", "--pkcs11", &uri]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let jwk: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(jwk["kty"], "EC");
    let again = fapi(&["keygen", "--alg", "ES256", "--pkcs11", &uri]);
    assert_eq!(again.code, 2, "one label, one key: {}", again.stderr);
    let jwks = fapi(&["jwks", &uri]);
    assert_eq!(jwks.code, 0, "{}", jwks.stderr);
    assert!(jwks.stdout.contains(jwk["x"].as_str().unwrap()));
    let s = fapi(&["sign", "--key", &uri, "--sub", "hsm", "--exp", "+5m"]);
    assert_eq!(s.code, 0, "{}", s.stderr);
}
