//! `fapi http-sig` through the built binary: the RFC 9421 Appendix B.2
//! examples (B.2.1–B.2.3 rsa-pss-sha512, B.2.4 ecdsa-p256-sha256, B.2.6
//! ed25519) verified with the Appendix B.1 keys
//! (`testdata/rfc9421-b1-keys.json`, the public halves), the FAPI 2.0 HTTP
//! Signatures profile signed and verified end to end (BG-SIGNED-REQ), and
//! refusals with their error codes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const FAPI: &str = env!("CARGO_BIN_EXE_fapi");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn fapi_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
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
            input.write_all(s).unwrap();
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

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fapi-cli-hs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_str().unwrap().to_owned()
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// The `code` of a `--json` refusal on stderr (exit 1).
fn refused_code(r: &Run) -> u64 {
    assert_eq!(r.code, 1, "stdout {} stderr {}", r.stdout, r.stderr);
    let v = json(&r.stderr);
    assert_eq!(v["kind"], "refused", "{}", r.stderr);
    v["code"].as_u64().unwrap()
}

const B1_KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/rfc9421-b1-keys.json");

// --- RFC 9421 Appendix B.2 ----------------------------------------------------

const CREATED: &str = "1618884473";
const TARGET: &str = "https://example.com/foo?param=Value&Pet=dog";
const REQUEST_BODY: &[u8] = br#"{"hello": "world"}"#;
const RESPONSE_BODY: &[u8] = br#"{"message": "good dog"}"#;
const REQUEST_HEADERS: &[&str] = &[
    "Host: example.com",
    "Date: Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type: application/json",
    "Content-Digest: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    "Content-Length: 18",
];
const RESPONSE_HEADERS: &[&str] = &[
    "Date: Tue, 20 Apr 2021 02:07:56 GMT",
    "Content-Type: application/json",
    "Content-Digest: sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:",
    "Content-Length: 23",
];

/// The B.2 request with one signature, verified by `fapi http-sig
/// verify-request` with `extra` arguments; the body on stdin.
fn verify_b2_request(input: &str, signature: &str, headers: &[&str], extra: &[&str]) -> Run {
    let si = format!("Signature-Input: {input}");
    let sig = format!("Signature: {signature}");
    let mut args = vec![
        "http-sig",
        "verify-request",
        "--json",
        "--jwks",
        B1_KEYS,
        "--method",
        "POST",
        "--uri",
        TARGET,
        "--body",
        "-",
    ];
    for h in headers.iter().copied().chain([si.as_str(), sig.as_str()]) {
        args.extend(["--header", h]);
    }
    args.extend(extra);
    fapi_stdin(&args, Some(REQUEST_BODY))
}

const B26_INPUT: &str = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
const B26_SIG: &str = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";

#[test]
fn rfc9421_b_2_6_ed25519_verifies_through_the_cli() {
    let r = verify_b2_request(
        B26_INPUT,
        B26_SIG,
        REQUEST_HEADERS,
        &["--rfc9421-label", "sig-b26", "--now", CREATED],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    assert_eq!(v["label"], "sig-b26");
    assert_eq!(v["keyid"], "test-key-ed25519");
    assert_eq!(v["alg"], "ed25519");
    assert_eq!(v["created"], 1_618_884_473);
    assert_eq!(v["rfc9421_only"], true);

    // 60 s later it is still fresh (FAPI 2.0 HTTP Signatures' minute), 61 s
    // later too old (TooOld, 203 in the core's table).
    let at = |t: u64| {
        verify_b2_request(
            B26_INPUT,
            B26_SIG,
            REQUEST_HEADERS,
            &["--rfc9421-label", "sig-b26", "--now", &t.to_string()],
        )
    };
    assert_eq!(at(1_618_884_533).code, 0);
    let old = at(1_618_884_534);
    assert_eq!(json(&old.stderr)["name"], "too_old", "{}", old.stderr);

    // RFC 9421 §3.2: a covered field altered breaks the signature.
    let mut altered = REQUEST_HEADERS.to_vec();
    altered[1] = "Date: Tue, 20 Apr 2021 02:07:56 GMT";
    let r = verify_b2_request(
        B26_INPUT,
        B26_SIG,
        &altered,
        &["--rfc9421-label", "sig-b26", "--now", CREATED],
    );
    assert_eq!(json(&r.stderr)["name"], "bad_signature", "{}", r.stderr);

    // Under the profile the RFC's example is not a FAPI 2.0 request
    // signature: no `fapi-2-request` tag (WrongTag, 324).
    let r = verify_b2_request(B26_INPUT, B26_SIG, REQUEST_HEADERS, &["--now", CREATED]);
    assert_eq!(refused_code(&r), 324);

    // UK Open Banking allows PS256 only: its one HTTP algorithm is
    // rsa-pss-sha512, and no such key is `test-key-ed25519`.
    let r = verify_b2_request(
        B26_INPUT,
        B26_SIG,
        REQUEST_HEADERS,
        &[
            "--rfc9421-label",
            "sig-b26",
            "--now",
            CREATED,
            "--profile",
            "obie",
        ],
    );
    assert_eq!(json(&r.stderr)["name"], "key_not_found", "{}", r.stderr);

    // A label the message does not carry (SignatureMissing, 325).
    let r = verify_b2_request(
        B26_INPUT,
        B26_SIG,
        REQUEST_HEADERS,
        &["--rfc9421-label", "sig-b21", "--now", CREATED],
    );
    assert_eq!(refused_code(&r), 325);

    // RFC 9530: content that does not match the Content-Digest the message
    // carries is refused although the signature does not cover it
    // (DigestMismatch, 326).
    let si = format!("Signature-Input: {B26_INPUT}");
    let sig = format!("Signature: {B26_SIG}");
    let mut args = vec![
        "http-sig",
        "verify-request",
        "--json",
        "--jwks",
        B1_KEYS,
        "--method",
        "POST",
        "--uri",
        TARGET,
        "--body",
        "-",
        "--rfc9421-label",
        "sig-b26",
        "--now",
        CREATED,
    ];
    for h in REQUEST_HEADERS
        .iter()
        .copied()
        .chain([si.as_str(), sig.as_str()])
    {
        args.extend(["--header", h]);
    }
    let r = fapi_stdin(&args, Some(br#"{"hello": "World"}"#));
    assert_eq!(refused_code(&r), 326);
}

#[test]
fn rfc9421_b_2_1_to_b_2_3_rsa_pss_sha512_verify_through_the_cli() {
    let cases = [
        (
            "sig-b21",
            r#"sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#,
            "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:",
        ),
        (
            "sig-b22",
            r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#,
            "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:",
        ),
        (
            "sig-b23",
            r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#,
            "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:",
        ),
    ];
    for (label, input, sig) in cases {
        // UK Open Banking allows PS256 only: its RSA-PSS is rsa-pss-sha512.
        let r = verify_b2_request(
            input,
            sig,
            REQUEST_HEADERS,
            &[
                "--rfc9421-label",
                label,
                "--now",
                CREATED,
                "--profile",
                "obie",
            ],
        );
        assert_eq!(r.code, 0, "{label}: {}", r.stderr);
        let v = json(&r.stdout);
        assert_eq!(v["alg"], "rsa-pss-sha512", "{label}");
        assert_eq!(v["keyid"], "test-key-rsa-pss", "{label}");
    }
    // B.2.3 covers @query: another query is another signature base.
    let (label, input, sig) = cases[2];
    let si = format!("Signature-Input: {input}");
    let sg = format!("Signature: {sig}");
    let mut args = vec![
        "http-sig",
        "verify-request",
        "--json",
        "--jwks",
        B1_KEYS,
        "--method",
        "POST",
        "--uri",
        "https://example.com/foo?param=Value&Pet=cat",
        "--rfc9421-label",
        label,
        "--now",
        CREATED,
        "--body",
        "-",
    ];
    for h in REQUEST_HEADERS
        .iter()
        .copied()
        .chain([si.as_str(), sg.as_str()])
    {
        args.extend(["--header", h]);
    }
    let r = fapi_stdin(&args, Some(REQUEST_BODY));
    assert_eq!(json(&r.stderr)["name"], "bad_signature", "{}", r.stderr);
}

#[test]
fn rfc9421_b_2_4_ecdsa_p256_sha256_response_verifies_through_the_cli() {
    let dir = tmp("b24");
    let body = write(&dir, "response.json", RESPONSE_BODY);
    let run = |status: &str| {
        let mut args = vec![
            "http-sig",
            "verify-response",
            "--json",
            "--jwks",
            B1_KEYS,
            "--rfc9421-label",
            "sig-b24",
            "--now",
            CREATED,
            "--status",
            status,
            "--body",
            &body,
            "--request-method",
            "POST",
            "--request-uri",
            TARGET,
        ];
        for h in RESPONSE_HEADERS {
            args.extend(["--header", h]);
        }
        args.extend([
            "--header",
            r#"Signature-Input: sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256""#,
            "--header",
            "Signature: sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:",
        ]);
        for h in REQUEST_HEADERS {
            args.extend(["--request-header", h]);
        }
        fapi(&args)
    };
    let r = run("200");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    assert_eq!(v["alg"], "ecdsa-p256-sha256");
    assert_eq!(v["keyid"], "test-key-ecc-p256");
    // @status is covered.
    assert_eq!(json(&run("201").stderr)["name"], "bad_signature");
    // Not a status code: a usage error.
    assert_eq!(run("42").code, 2);
}

// --- the profile, signed and verified by the CLI --------------------------------

fn keygen(dir: &Path, name: &str, alg: &str) -> (String, String) {
    let key = dir.join(format!("{name}.pem"));
    let r = fapi(&["keygen", "--alg", alg, "--out", key.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = fapi(&["jwks", key.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    (key.to_str().unwrap().to_owned(), r.stdout.trim().to_owned())
}

const URI: &str = "https://bank.example/payments?x=1";
const BODY: &[u8] = br#"{"amount":"10.00","currency":"EUR"}"#;

/// `Name: value` lines out of what a signing command printed.
fn lines(stdout: &str) -> Vec<String> {
    stdout.lines().map(str::to_owned).collect()
}

#[test]
fn bg_signed_req_sign_and_verify_round_trip_for_both_key_types() {
    let dir = tmp("roundtrip");
    let body = write(&dir, "body.json", BODY);
    let resp_body = write(&dir, "resp.json", br#"{"status":"accepted"}"#);
    for alg in ["ES256", "EdDSA"] {
        let (key, jwks) = keygen(&dir, &format!("client-{alg}"), alg);
        let base = ["Authorization: DPoP at-123", "DPoP: eyJ.proof.sig"];
        let mut args = vec![
            "http-sig",
            "sign-request",
            "--key",
            &key,
            "--method",
            "POST",
            "--uri",
            URI,
            "--body",
            &body,
        ];
        for h in base {
            args.extend(["--header", h]);
        }
        let signed = fapi(&args);
        assert_eq!(signed.code, 0, "{}", signed.stderr);
        let added = lines(&signed.stdout);
        assert_eq!(added.len(), 3, "{}", signed.stdout);
        assert!(added[0].starts_with("Content-Digest: sha-256=:"), "{alg}");
        assert!(
            added[1].starts_with(
                r#"Signature-Input: sig1=("@method" "@target-uri" "authorization" "dpop" "content-digest");created="#
            ),
            "{}",
            added[1]
        );
        assert!(
            added[1].ends_with(r#";tag="fapi-2-request""#),
            "{}",
            added[1]
        );
        assert!(added[2].starts_with("Signature: sig1=:"), "{}", added[2]);

        let request: Vec<String> = base
            .iter()
            .map(|s| (*s).to_owned())
            .chain(added.iter().cloned())
            .collect();
        let verify = |profile: &str, body_path: &str| {
            let mut args = vec![
                "http-sig",
                "verify-request",
                "--json",
                "--jwks-json",
                &jwks,
                "--profile",
                profile,
                "--method",
                "POST",
                "--uri",
                URI,
                "--body",
                body_path,
            ];
            for h in &request {
                args.extend(["--header", h]);
            }
            fapi(&args)
        };
        // BG-SIGNED-REQ: the Berlin Group's TPP request signature.
        let r = verify("berlin", &body);
        assert_eq!(r.code, 0, "{alg}: {}", r.stderr);
        let v = json(&r.stdout);
        assert_eq!(v["label"], "sig1");
        assert_eq!(v["tag"], "fapi-2-request");
        assert_eq!(
            v["alg"],
            if alg == "ES256" {
                "ecdsa-p256-sha256"
            } else {
                "ed25519"
            }
        );
        // RFC 9530 §2 / BG-SIGNED-REQ: the body changed after signing.
        let tampered = write(
            &dir,
            "tampered.json",
            br#"{"amount":"99.00","currency":"EUR"}"#,
        );
        assert_eq!(refused_code(&verify("berlin", &tampered)), 326, "{alg}");
        // UK Open Banking allows no EC or Ed25519 signature (AlgNotAllowed).
        assert_eq!(verify("obie", &body).code, 1, "{alg}");

        // The bank's response, linked to the request (RFC 9421 §2.4).
        let (bank_key, bank_jwks) = keygen(&dir, &format!("bank-{alg}"), "ES256");
        let mut args = vec![
            "http-sig",
            "sign-response",
            "--json",
            "--key",
            &bank_key,
            "--status",
            "201",
            "--body",
            &resp_body,
            "--request-method",
            "POST",
            "--request-uri",
            URI,
        ];
        for h in &request {
            args.extend(["--request-header", h]);
        }
        let r = fapi(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let signed = json(&r.stdout);
        assert_eq!(signed["alg"], "ecdsa-p256-sha256");
        let input = signed["headers"]["Signature-Input"].as_str().unwrap();
        assert!(
            input.starts_with(r#"sig1=("@status" "content-digest" "@method";req "@target-uri";req "content-digest";req "signature";req;key="sig1" "signature-input";req;key="sig1");created="#),
            "{input}"
        );
        let response: Vec<String> = ["Content-Digest", "Signature-Input", "Signature"]
            .iter()
            .map(|n| format!("{n}: {}", signed["headers"][n].as_str().unwrap()))
            .collect();
        let verify_response = |uri: &str| {
            let mut args = vec![
                "http-sig",
                "verify-response",
                "--json",
                "--jwks-json",
                &bank_jwks,
                "--status",
                "201",
                "--body",
                &resp_body,
                "--request-method",
                "POST",
                "--request-uri",
                uri,
            ];
            for h in &response {
                args.extend(["--header", h]);
            }
            for h in &request {
                args.extend(["--request-header", h]);
            }
            fapi(&args)
        };
        let r = verify_response(URI);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(json(&r.stdout)["tag"], "fapi-2-response");
        // Another request: the response's `@target-uri;req` no longer
        // matches (BadSignature, RFC 9421 §2.4).
        let r = verify_response("https://bank.example/payments?x=2");
        assert_eq!(json(&r.stderr)["name"], "bad_signature", "{}", r.stderr);
    }
}

#[test]
fn http_sig_refusals_and_usage_errors() {
    let dir = tmp("refusals");
    let (key, _) = keygen(&dir, "client", "EdDSA");
    // The profile covers `authorization`: a request without one cannot be
    // signed (ComponentAbsent, 322).
    let r = fapi(&[
        "http-sig",
        "sign-request",
        "--json",
        "--key",
        &key,
        "--method",
        "GET",
        "--uri",
        URI,
    ]);
    assert_eq!(refused_code(&r), 322);
    // A Content-Digest given that does not match the body (326).
    let r = fapi_stdin(
        &[
            "http-sig",
            "sign-request",
            "--json",
            "--key",
            &key,
            "--method",
            "POST",
            "--uri",
            URI,
            "--header",
            "Authorization: DPoP x",
            "--header",
            "Content-Digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            "--body",
            "-",
        ],
        Some(b"other"),
    );
    assert_eq!(refused_code(&r), 326);
    // The given Content-Digest is kept when it matches: only the
    // signature fields are printed.
    let r = fapi_stdin(
        &[
            "http-sig",
            "sign-request",
            "--key",
            &key,
            "--method",
            "POST",
            "--uri",
            URI,
            "--header",
            "Authorization: DPoP x",
            "--header",
            "Content-Digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            "--body",
            "-",
        ],
        Some(REQUEST_BODY),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(lines(&r.stdout).len(), 2, "{}", r.stdout);
    // Not a header line, not a field name: usage errors (exit 2).
    for h in ["no colon here", "Bad Name: x"] {
        let r = fapi(&[
            "http-sig",
            "sign-request",
            "--key",
            &key,
            "--method",
            "GET",
            "--uri",
            URI,
            "--header",
            h,
        ]);
        assert_eq!(r.code, 2, "{h}: {}", r.stderr);
    }
    // A message without signature fields (SignatureMissing, 325); JWKS
    // inline, in its --jwks-json flag.
    let r = fapi(&[
        "http-sig",
        "verify-request",
        "--json",
        "--jwks-json",
        r#"{"keys":[]}"#,
        "--method",
        "GET",
        "--uri",
        URI,
        "--header",
        "Authorization: DPoP x",
    ]);
    assert_eq!(refused_code(&r), 325);
    // A malformed Signature-Input (StructuredField, 107).
    let r = fapi(&[
        "http-sig",
        "verify-request",
        "--json",
        "--jwks",
        B1_KEYS,
        "--method",
        "GET",
        "--uri",
        URI,
        "--header",
        "Signature-Input: sig1=(\"@method\"",
        "--header",
        "Signature: sig1=:AAAA:",
    ]);
    assert_eq!(refused_code(&r), 107);
}
