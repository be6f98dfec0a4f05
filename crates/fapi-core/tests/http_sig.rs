//! HTTP message signatures (RFC 9421) with Content-Digest (RFC 9530) under
//! FAPI 2.0 HTTP Signatures: the RFC's known answers, a signed request and
//! response end to end, and every refusal named after its section.
mod support;

use base64ct::{Base64, Encoding};
use fapi_core::content_digest::{self, DigestAlgorithm};
use fapi_core::http_sig::{
    self, FieldList, Message, Policy, SignatureAlgorithm, SignatureBuffers, SignatureInput,
};
use fapi_core::jwk::{Jwks, PublicKey};
use fapi_core::sfv::Dictionary;
use fapi_core::{Alg, Error, FixedClock, PublicKeyVerifier, Signer};
use support::*;

// --- RFC 9421 Appendix B.1 keys ---------------------------------------------

const ED25519_SEED: &str = "9f8362f87a484a954e6e740c5b4c0e84229139a20aa8ab56ff66586f6a7d29c5";
const P256_POINT: &str = "04a885586552c2acf6471878cfd7b0935b4ffe0fd2dfc341248ea17bc41e058af031ce2737d2d30ce0617e851e83c61ef5679d151867657649035d90a74cd9e85d";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// --- RFC 9421 Appendix B.2 messages -----------------------------------------

const REQUEST_DIGEST: &str = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";
const RESPONSE_DIGEST: &str = "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:";
const TEST_REQUEST: &[(&str, &str)] = &[
    ("Host", "example.com"),
    ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
    ("Content-Type", "application/json"),
    ("Content-Digest", REQUEST_DIGEST),
    ("Content-Length", "18"),
];
const TEST_RESPONSE: &[(&str, &str)] = &[
    ("Date", "Tue, 20 Apr 2021 02:07:56 GMT"),
    ("Content-Type", "application/json"),
    ("Content-Digest", RESPONSE_DIGEST),
    ("Content-Length", "23"),
];
const TARGET: &str = "https://example.com/foo?param=Value&Pet=dog";

/// The signature base of the one member of `signature_input`.
fn base_of(signature_input: &str, msg: &Message<'_>, request: Option<&Message<'_>>) -> String {
    let dict = Dictionary::parse(signature_input).unwrap();
    let (label, member) = dict.iter().next().unwrap();
    let input = SignatureInput::from_member(label, &member).unwrap();
    let mut out = [0u8; 4096];
    let n = http_sig::signature_base(&input, msg, request, &mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

fn sig_bytes(signature_field: &str) -> Vec<u8> {
    let b64 = signature_field
        .split_once("=:")
        .unwrap()
        .1
        .trim_end_matches(':');
    let mut out = [0u8; 1024];
    Base64::decode(b64, &mut out).unwrap().to_vec()
}

#[test]
fn rfc9421_b_2_1_minimal_signature_base() {
    let fields = FieldList(TEST_REQUEST);
    let msg = Message::request("POST", TARGET, &fields);
    assert_eq!(
        base_of(
            r#"sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#,
            &msg,
            None
        ),
        r#""@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#
    );
}

#[test]
fn rfc9421_b_2_2_selective_components_signature_base() {
    let fields = FieldList(TEST_REQUEST);
    let msg = Message::request("POST", TARGET, &fields);
    let expected = format!(
        "\"@authority\": example.com\n\"content-digest\": {REQUEST_DIGEST}\n\"@query-param\";name=\"Pet\": dog\n\"@signature-params\": (\"@authority\" \"content-digest\" \"@query-param\";name=\"Pet\");created=1618884473;keyid=\"test-key-rsa-pss\";tag=\"header-example\""
    );
    assert_eq!(
        base_of(
            r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#,
            &msg,
            None
        ),
        expected
    );
}

#[test]
fn rfc9421_b_2_3_full_coverage_signature_base() {
    let fields = FieldList(TEST_REQUEST);
    let msg = Message::request("POST", TARGET, &fields);
    let expected = format!(
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@query\": ?param=Value&Pet=dog\n\"@authority\": example.com\n\"content-type\": application/json\n\"content-digest\": {REQUEST_DIGEST}\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@query\" \"@authority\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\""
    );
    assert_eq!(
        base_of(
            r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#,
            &msg,
            None
        ),
        expected
    );
}

#[test]
fn rfc9421_b_2_4_response_ecdsa_p256_sha256() {
    let fields = FieldList(TEST_RESPONSE);
    let msg = Message::response(200, &fields);
    let base = base_of(
        r#"sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256""#,
        &msg,
        None,
    );
    let expected = format!(
        "\"@status\": 200\n\"content-type\": application/json\n\"content-digest\": {RESPONSE_DIGEST}\n\"content-length\": 23\n\"@signature-params\": (\"@status\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-ecc-p256\""
    );
    assert_eq!(base, expected);
    let sig = sig_bytes(
        "sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:",
    );
    assert_eq!(sig.len(), 64, "raw r || s");
    let key = PublicKey::p256_from_sec1(&hex(P256_POINT)).unwrap();
    Backend
        .verify_with(&key, Alg::Es256, base.as_bytes(), &sig)
        .unwrap();
    let mut tampered = base.into_bytes();
    tampered[10] ^= 1;
    assert_eq!(
        Backend.verify_with(&key, Alg::Es256, &tampered, &sig),
        Err(Error::BadSignature)
    );
}

#[test]
fn rfc9421_b_2_6_ed25519_exact_signature() {
    let fields = FieldList(TEST_REQUEST);
    let msg = Message::request("POST", TARGET, &fields);
    let base = base_of(
        r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#,
        &msg,
        None,
    );
    assert_eq!(
        base,
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@authority\": example.com\n\"content-type\": application/json\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
    );
    use ed25519_dalek::Signer as _;
    let sk = ed25519_dalek::SigningKey::from_bytes(&hex(ED25519_SEED).try_into().unwrap());
    let sig = sk.sign(base.as_bytes()).to_bytes();
    assert_eq!(
        sig.to_vec(),
        sig_bytes(
            "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
        )
    );
}

// --- RFC 9530 ---------------------------------------------------------------

#[test]
fn rfc9530_b_content_digest_examples() {
    let body = br#"{"hello": "world"}"#;
    let mut out = [0u8; content_digest::MAX_FIELD_LEN];
    let n = content_digest::write(DigestAlgorithm::Sha256, body, &mut out).unwrap();
    assert_eq!(
        &out[..n],
        b"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    );
    let n = content_digest::write(DigestAlgorithm::Sha512, body, &mut out).unwrap();
    assert_eq!(&out[..n], REQUEST_DIGEST.as_bytes());
    content_digest::verify(REQUEST_DIGEST, body).unwrap();
    content_digest::verify(RESPONSE_DIGEST, br#"{"message": "good dog"}"#).unwrap();
    // Both algorithms, and an unknown one ignored (RFC 9530 §2).
    content_digest::verify(
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, unixsum=:AAAA:, sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        body,
    )
    .unwrap();
}

#[test]
fn rfc9530_2_digest_mismatch_refused() {
    let body = br#"{"hello": "world"}"#;
    assert_eq!(
        content_digest::verify(REQUEST_DIGEST, br#"{"hello": "World"}"#),
        Err(Error::DigestMismatch)
    );
    // One good and one bad: refused.
    assert_eq!(
        content_digest::verify(
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:AAAA:",
            body
        ),
        Err(Error::DigestMismatch)
    );
    assert_eq!(
        content_digest::verify("md5=:AAAA:, unixsum=:AAAA:", body),
        Err(Error::UnsupportedDigest)
    );
    assert_eq!(
        content_digest::verify(
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            body
        ),
        Err(Error::DuplicateLabel)
    );
    assert_eq!(
        content_digest::verify("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", body),
        Err(Error::StructuredField)
    );
}

// --- the profile, end to end ------------------------------------------------

const NOW: u64 = 1_700_000_000;
const URI: &str = "https://rs.example/accounts?x=1";
const ALGS: &[SignatureAlgorithm] = &[
    SignatureAlgorithm::EcdsaP256Sha256,
    SignatureAlgorithm::Ed25519,
];

struct Signed {
    input: String,
    signature: String,
}

fn sign_req(signer: &dyn Signer, fields: &[(&str, &str)], body: &[u8], now: u64) -> Signed {
    let list = FieldList(fields);
    let msg = Message::request("POST", URI, &list);
    let (mut a, mut b, mut c) = ([0u8; 1024], [0u8; 1024], [0u8; 4096]);
    let out = http_sig::sign_request(
        signer,
        "sig1",
        &msg,
        body,
        &FixedClock(now),
        SignatureBuffers {
            signature_input: &mut a,
            signature: &mut b,
            scratch: &mut c,
        },
    )
    .unwrap();
    Signed {
        input: String::from_utf8(a[..out.signature_input_len].to_vec()).unwrap(),
        signature: String::from_utf8(b[..out.signature_len].to_vec()).unwrap(),
    }
}

fn digest(body: &[u8]) -> String {
    let mut out = [0u8; 98];
    let n = content_digest::write(DigestAlgorithm::Sha256, body, &mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

fn verify_req(fields: &[(&str, &str)], body: &[u8], jwks: &str, now: u64) -> Result<(), Error> {
    let jwks = Jwks::from_json(jwks.as_bytes()).unwrap();
    let list = FieldList(fields);
    let msg = Message::request("POST", URI, &list);
    let mut scratch = [0u8; 4096];
    http_sig::verify_request(
        &Policy::request(ALGS),
        &msg,
        body,
        &jwks,
        &Backend,
        &FixedClock(now),
        &mut scratch,
    )
    .map(|_| ())
}

const BODY: &[u8] = br#"{"amount":"10.00"}"#;

fn request_fields(d: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", "DPoP at-123".into()),
        ("DPoP", "eyJ.proof.sig".into()),
        ("Content-Type", "application/json".into()),
        ("Content-Digest", d.into()),
    ]
}

fn with_sig<'a>(fields: &'a [(&'static str, String)], s: &'a Signed) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    v.push(("Signature-Input", &s.input));
    v.push(("Signature", &s.signature));
    v
}

#[test]
fn fapi_signed_request_verifies_with_both_key_types() {
    let ec = P256Key::new(7, "client-ec");
    let ed = Ed25519Key::new(9, "client-ed");
    let jwks = jwks_json(&[&ec, &ed]);
    let base = request_fields(&digest(BODY));
    let plain: Vec<(&str, &str)> = base.iter().map(|(n, v)| (*n, v.as_str())).collect();
    for signer in [&ec as &dyn Signer, &ed] {
        let s = sign_req(signer, &plain, BODY, NOW);
        assert!(s.input.contains(r#"("@method" "@target-uri" "authorization" "dpop" "content-digest");created=1700000000;keyid=""#), "{}", s.input);
        assert!(s.input.ends_with(r#";tag="fapi-2-request""#));
        verify_req(&with_sig(&base, &s), BODY, &jwks, NOW + 30).unwrap();
    }
}

#[test]
fn fapi_signed_response_links_its_request() {
    let client = Ed25519Key::new(9, "client");
    let server = P256Key::new(3, "rs");
    let base = request_fields(&digest(BODY));
    let plain: Vec<(&str, &str)> = base.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let s = sign_req(&client, &plain, BODY, NOW);
    let req_fields = with_sig(&base, &s);
    let req_list = FieldList(&req_fields);
    let request = Message::request("POST", URI, &req_list);

    let resp_body = br#"{"status":"ok"}"#;
    let resp_digest = digest(resp_body);
    let resp_fields = [("Content-Digest", resp_digest.as_str())];
    let resp_list = FieldList(&resp_fields);
    let response = Message::response(201, &resp_list);
    let (mut a, mut b, mut c) = ([0u8; 1024], [0u8; 1024], [0u8; 4096]);
    let out = http_sig::sign_response(
        &server,
        "sig1",
        &response,
        resp_body,
        &request,
        &FixedClock(NOW + 1),
        SignatureBuffers {
            signature_input: &mut a,
            signature: &mut b,
            scratch: &mut c,
        },
    )
    .unwrap();
    let input = core::str::from_utf8(&a[..out.signature_input_len]).unwrap();
    let sig = core::str::from_utf8(&b[..out.signature_len]).unwrap();
    assert!(input.starts_with(r#"sig1=("@status" "content-digest" "@method";req "@target-uri";req "content-digest";req "signature";req;key="sig1" "signature-input";req;key="sig1");created="#), "{input}");

    let signed = [
        ("Content-Digest", resp_digest.as_str()),
        ("Signature-Input", input),
        ("Signature", sig),
    ];
    let signed_list = FieldList(&signed);
    let response = Message::response(201, &signed_list);
    let jwks_text = jwks_json(&[&server]);
    let jwks = Jwks::from_json(jwks_text.as_bytes()).unwrap();
    let verify = |request: &Message<'_>, body: &[u8], policy: Policy<'_>| {
        let mut scratch = [0u8; 4096];
        http_sig::verify_response(
            &policy,
            &response,
            body,
            request,
            &jwks,
            &Backend,
            &FixedClock(NOW + 2),
            &mut scratch,
        )
        .map(|v| v.keyid)
    };
    assert_eq!(
        verify(&request, resp_body, Policy::response(ALGS)),
        Ok("rs")
    );

    // A response signature made for another request (RFC 9421 §2.4).
    let other_sig = sign_req(&client, &plain, BODY, NOW + 1);
    let other_fields = with_sig(&base, &other_sig);
    let other_list = FieldList(&other_fields);
    let other = Message::request("POST", URI, &other_list);
    assert_eq!(
        verify(&other, resp_body, Policy::response(ALGS)),
        Err(Error::BadSignature)
    );
    // Body changed after signing.
    assert_eq!(
        verify(&request, br#"{"status":"no"}"#, Policy::response(ALGS)),
        Err(Error::DigestMismatch)
    );
    // The request policy cannot verify a response.
    assert_eq!(
        verify(&request, resp_body, Policy::request(ALGS)),
        Err(Error::WrongTag)
    );
    // A response that does not cover the request's signature: signed as
    // if the request had been unsigned.
    let plain_list = FieldList(&plain);
    let unsigned = Message::request("POST", URI, &plain_list);
    let (mut a, mut b, mut c) = ([0u8; 1024], [0u8; 1024], [0u8; 4096]);
    let out = http_sig::sign_response(
        &server,
        "sig1",
        &Message::response(201, &resp_list),
        resp_body,
        &unsigned,
        &FixedClock(NOW + 1),
        SignatureBuffers {
            signature_input: &mut a,
            signature: &mut b,
            scratch: &mut c,
        },
    )
    .unwrap();
    let input = core::str::from_utf8(&a[..out.signature_input_len]).unwrap();
    let sig = core::str::from_utf8(&b[..out.signature_len]).unwrap();
    let unlinked = [
        ("Content-Digest", resp_digest.as_str()),
        ("Signature-Input", input),
        ("Signature", sig),
    ];
    let unlinked_list = FieldList(&unlinked);
    let mut scratch = [0u8; 4096];
    assert_eq!(
        http_sig::verify_response(
            &Policy::response(ALGS),
            &Message::response(201, &unlinked_list),
            resp_body,
            &request,
            &jwks,
            &Backend,
            &FixedClock(NOW + 2),
            &mut scratch,
        ),
        Err(Error::MissingComponent)
    );
}

/// Signs exactly `input` (one member, label `sig1`) over `fields`, for the
/// refusals the signing API cannot produce.
fn sign_custom(signer: &dyn Signer, input: &str, fields: &[(&str, &str)]) -> Signed {
    let list = FieldList(fields);
    let msg = Message::request("POST", URI, &list);
    let base = base_of(input, &msg, None);
    let mut sig = [0u8; 1024];
    let n = signer.sign(base.as_bytes(), &mut sig).unwrap();
    Signed {
        input: input.into(),
        signature: {
            let mut b = [0u8; 2048];
            format!("sig1=:{}:", Base64::encode(&sig[..n], &mut b).unwrap())
        },
    }
}

fn custom_case(
    input: &str,
    fields: &[(&'static str, String)],
    body: &[u8],
    now: u64,
) -> Result<(), Error> {
    let ed = Ed25519Key::new(9, "k");
    let jwks = jwks_json(&[&ed]);
    let plain: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let s = sign_custom(&ed, input, &plain);
    verify_req(&with_sig(fields, &s), body, &jwks, now)
}

const GOOD: &str = r#"sig1=("@method" "@target-uri" "authorization" "dpop" "content-digest");created=1700000000;keyid="k";tag="fapi-2-request""#;

#[test]
fn custom_good_signature_verifies() {
    let f = request_fields(&digest(BODY));
    custom_case(GOOD, &f, BODY, NOW).unwrap();
}

#[test]
fn rfc9421_3_2_missing_component_refused() {
    let f = request_fields(&digest(BODY));
    for input in [
        r#"sig1=("@method" "@target-uri" "dpop" "content-digest");created=1700000000;keyid="k";tag="fapi-2-request""#,
        r#"sig1=("@target-uri" "authorization" "dpop" "content-digest");created=1700000000;keyid="k";tag="fapi-2-request""#,
        r#"sig1=("@method" "authorization" "dpop" "content-digest");created=1700000000;keyid="k";tag="fapi-2-request""#,
        // DPoP present and not covered.
        r#"sig1=("@method" "@target-uri" "authorization" "content-digest");created=1700000000;keyid="k";tag="fapi-2-request""#,
        // A body and no content-digest covered.
        r#"sig1=("@method" "@target-uri" "authorization" "dpop");created=1700000000;keyid="k";tag="fapi-2-request""#,
    ] {
        assert_eq!(
            custom_case(input, &f, BODY, NOW),
            Err(Error::MissingComponent),
            "{input}"
        );
    }
    // Component parameters fapi does not implement (RFC 9421 §2.5).
    for input in [
        r#"sig1=("@target-uri";bs);created=1"#,
        r#"sig1=("authorization";sf);created=1"#,
        r#"sig1=("@method";key="a");created=1"#,
        r#"sig1=("@signature-params");created=1"#,
        r#"sig1=("@unknown");created=1"#,
        r#"sig1=("Authorization");created=1"#,
    ] {
        assert_eq!(
            custom_case_parse(input),
            Err(Error::UnsupportedComponent),
            "{input}"
        );
    }
}

#[test]
fn rfc9421_2_5_covered_component_absent_refused() {
    let f = request_fields(&digest(BODY));
    let ed = Ed25519Key::new(9, "k");
    let jwks = jwks_json(&[&ed]);
    let input = r#"sig1=("@method" "@target-uri" "authorization" "dpop" "content-digest" "x-payment-id");created=1700000000;keyid="k";tag="fapi-2-request""#;
    let mut with_extra: Vec<(&str, &str)> = f.iter().map(|(n, v)| (*n, v.as_str())).collect();
    with_extra.push(("X-Payment-Id", "p-1"));
    let s = sign_custom(&ed, input, &with_extra);
    // Verifies with the header, refused once it is stripped.
    let mut full = with_sig(&f, &s);
    full.push(("X-Payment-Id", "p-1"));
    assert_eq!(verify_req(&full, BODY, &jwks, NOW), Ok(()));
    assert_eq!(
        verify_req(&with_sig(&f, &s), BODY, &jwks, NOW),
        Err(Error::ComponentAbsent)
    );
}

#[test]
fn rfc9421_2_5_altered_component_refused() {
    let f = request_fields(&digest(BODY));
    let ed = Ed25519Key::new(9, "k");
    let jwks = jwks_json(&[&ed]);
    let plain: Vec<(&str, &str)> = f.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let s = sign_req(&ed, &plain, BODY, NOW);
    let mut fields = with_sig(&f, &s);
    fields[0].1 = "DPoP at-456";
    assert_eq!(
        verify_req(&fields, BODY, &jwks, NOW),
        Err(Error::BadSignature)
    );
}

#[test]
fn rfc9530_2_body_changed_after_signing_refused() {
    let f = request_fields(&digest(BODY));
    custom_case(GOOD, &f, BODY, NOW).unwrap();
    assert_eq!(
        custom_case(GOOD, &f, br#"{"amount":"99.00"}"#, NOW),
        Err(Error::DigestMismatch)
    );
}

#[test]
fn fapi_created_stale_or_future_refused() {
    let f = request_fields(&digest(BODY));
    assert_eq!(custom_case(GOOD, &f, BODY, NOW + 60), Ok(()));
    assert_eq!(custom_case(GOOD, &f, BODY, NOW + 61), Err(Error::TooOld));
    assert_eq!(
        custom_case(GOOD, &f, BODY, NOW - 11),
        Err(Error::IssuedInFuture)
    );
    let no_created = r#"sig1=("@method" "@target-uri" "authorization" "dpop" "content-digest");keyid="k";tag="fapi-2-request""#;
    assert_eq!(
        custom_case(no_created, &f, BODY, NOW),
        Err(Error::MissingClaim)
    );
    let expired = r#"sig1=("@method" "@target-uri" "authorization" "dpop" "content-digest");created=1700000000;expires=1700000005;keyid="k";tag="fapi-2-request""#;
    assert_eq!(custom_case(expired, &f, BODY, NOW + 6), Err(Error::Expired));
}

#[test]
fn fapi_wrong_tag_refused() {
    let f = request_fields(&digest(BODY));
    for input in [
        r#"sig1=("@method" "@target-uri" "authorization" "dpop" "content-digest");created=1700000000;keyid="k";tag="fapi-2-response""#,
        r#"sig1=("@method" "@target-uri" "authorization" "dpop" "content-digest");created=1700000000;keyid="k""#,
    ] {
        assert_eq!(
            custom_case(input, &f, BODY, NOW),
            Err(Error::WrongTag),
            "{input}"
        );
    }
}

#[test]
fn fapi_keyid_and_alg_checked_against_the_jwks() {
    let f = request_fields(&digest(BODY));
    let unknown = GOOD.replace(r#"keyid="k""#, r#"keyid="other""#);
    assert_eq!(
        custom_case(&unknown, &f, BODY, NOW),
        Err(Error::KeyNotFound)
    );
    let no_keyid = GOOD.replace(r#";keyid="k""#, "");
    assert_eq!(
        custom_case(&no_keyid, &f, BODY, NOW),
        Err(Error::MissingClaim)
    );
    // The declared alg is not the key's.
    let wrong_alg = format!("{GOOD};alg=\"ecdsa-p256-sha256\"");
    assert_eq!(
        custom_case(&wrong_alg, &f, BODY, NOW),
        Err(Error::KeyNotFound)
    );
    let right_alg = format!("{GOOD};alg=\"ed25519\"");
    assert_eq!(custom_case(&right_alg, &f, BODY, NOW), Ok(()));
    let hmac = format!("{GOOD};alg=\"hmac-sha256\"");
    assert_eq!(custom_case_parse(&hmac), Err(Error::UnsupportedAlg));
    // rsa-pss-sha512 allowed by no policy here.
    let rsa = format!("{GOOD};alg=\"rsa-pss-sha512\"");
    assert_eq!(custom_case(&rsa, &f, BODY, NOW), Err(Error::AlgNotAllowed));
}

fn custom_case_parse(input: &str) -> Result<(), Error> {
    let dict = Dictionary::parse(input)?;
    let (l, m) = dict.iter().next().unwrap();
    SignatureInput::from_member(l, &m).map(|_| ())
}

#[test]
fn rfc9421_4_1_duplicate_label_refused() {
    let f = request_fields(&digest(BODY));
    let ed = Ed25519Key::new(9, "k");
    let jwks = jwks_json(&[&ed]);
    let plain: Vec<(&str, &str)> = f.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let s = sign_req(&ed, &plain, BODY, NOW);
    // The same label on a second Signature-Input line.
    let mut fields = with_sig(&f, &s);
    let second = s.input.clone();
    fields.push(("Signature-Input", &second));
    assert_eq!(
        verify_req(&fields, BODY, &jwks, NOW),
        Err(Error::DuplicateLabel)
    );
    // And twice in one Signature line.
    let doubled = format!("{}, {}", s.signature, s.signature);
    let mut fields = with_sig(&f, &s);
    fields.last_mut().unwrap().1 = &doubled;
    assert_eq!(
        verify_req(&fields, BODY, &jwks, NOW),
        Err(Error::DuplicateLabel)
    );
    // A component twice in one signature (§2.5).
    assert_eq!(
        custom_case_parse(r#"sig1=("@method" "@method");created=1"#),
        Err(Error::DuplicateLabel)
    );
}

#[test]
fn rfc9421_4_signature_fields_missing_or_unpaired_refused() {
    let f = request_fields(&digest(BODY));
    let ed = Ed25519Key::new(9, "k");
    let jwks = jwks_json(&[&ed]);
    let plain: Vec<(&str, &str)> = f.iter().map(|(n, v)| (*n, v.as_str())).collect();
    assert_eq!(
        verify_req(&plain, BODY, &jwks, NOW),
        Err(Error::SignatureMissing)
    );
    let s = sign_req(&ed, &plain, BODY, NOW);
    let mut fields = with_sig(&f, &s);
    let renamed = s.signature.replacen("sig1", "sig2", 1);
    fields.last_mut().unwrap().1 = &renamed;
    assert_eq!(
        verify_req(&fields, BODY, &jwks, NOW),
        Err(Error::SignatureMissing)
    );
}

#[test]
fn rfc8941_malformed_signature_fields_refused() {
    let f = request_fields(&digest(BODY));
    let ed = Ed25519Key::new(9, "k");
    let jwks = jwks_json(&[&ed]);
    let plain: Vec<(&str, &str)> = f.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let s = sign_req(&ed, &plain, BODY, NOW);
    for (input, sig) in [
        (s.input.replacen('(', "", 1), s.signature.clone()),
        (s.input.clone(), s.signature.replacen("=:", "=", 1)),
        (format!("{},", s.input), s.signature.clone()),
        (s.input.replacen("sig1", "Sig1", 1), s.signature.clone()),
    ] {
        let mut fields: Vec<(&str, &str)> = plain.clone();
        fields.push(("Signature-Input", &input));
        fields.push(("Signature", &sig));
        let r = verify_req(&fields, BODY, &jwks, NOW);
        assert!(
            matches!(r, Err(Error::StructuredField | Error::SignatureMissing)),
            "{input} / {sig}: {r:?}"
        );
    }
    // A signature whose Signature member is not a byte sequence.
    let mut fields: Vec<(&str, &str)> = plain.clone();
    fields.push(("Signature-Input", &s.input));
    fields.push(("Signature", "sig1=\"abc\""));
    assert_eq!(
        verify_req(&fields, BODY, &jwks, NOW),
        Err(Error::StructuredField)
    );
}

#[test]
fn rfc9421_3_3_1_rsa_signer_without_sha512_pss_refused() {
    // An RSA (PS256) key signs rsa-pss-sha512 through
    // `Signer::sign_rsa_pss_sha512`; one that does not implement it is
    // refused (UnsupportedAlg), never signed with SHA-256 and mislabelled.
    struct Ps256Only;
    impl Signer for Ps256Only {
        fn alg(&self) -> Alg {
            Alg::Ps256
        }
        fn key_id(&self) -> &str {
            "rsa"
        }
        fn sign(&self, _: &[u8], _: &mut [u8]) -> Result<usize, Error> {
            Err(Error::SigningFailed)
        }
        fn public_key(&self) -> Result<PublicKey, Error> {
            Err(Error::InvalidKey)
        }
    }
    let fields = [("Authorization", "Bearer x")];
    let list = FieldList(&fields);
    let msg = Message::request("GET", URI, &list);
    let (mut a, mut b, mut c) = ([0u8; 512], [0u8; 512], [0u8; 512]);
    assert_eq!(
        http_sig::sign_request(
            &Ps256Only,
            "sig1",
            &msg,
            b"",
            &FixedClock(NOW),
            SignatureBuffers {
                signature_input: &mut a,
                signature: &mut b,
                scratch: &mut c
            }
        ),
        Err(Error::UnsupportedAlg)
    );
}

// --- RFC 9421 §2.2.8 `@query-param` -----------------------------------------

fn query_param_base(uri: &str, name: &str) -> Result<String, Error> {
    let fields = FieldList(&[]);
    let msg = Message::request("GET", uri, &fields);
    let input = format!(r#"s=("@query-param";name="{name}")"#);
    let dict = Dictionary::parse(&input).unwrap();
    let (label, member) = dict.iter().next().unwrap();
    let input = SignatureInput::from_member(label, &member).unwrap();
    let mut out = [0u8; 4096];
    let n = http_sig::signature_base(&input, &msg, None, &mut out)?;
    let base = String::from_utf8(out[..n].to_vec()).unwrap();
    Ok(base.lines().next().unwrap().to_owned())
}

#[test]
fn rfc9421_2_2_8_query_param_plain_example() {
    // §2.2.8, the first example: `GET /path?param=value&foo=bar&baz=batman&qux=`.
    let uri = "https://www.example.com/path?param=value&foo=bar&baz=batman&qux=";
    assert_eq!(
        query_param_base(uri, "baz").unwrap(),
        r#""@query-param";name="baz": batman"#
    );
    // An empty valueString is an empty component value.
    assert_eq!(
        query_param_base(uri, "qux").unwrap(),
        r#""@query-param";name="qux": "#
    );
    assert_eq!(
        query_param_base(uri, "param").unwrap(),
        r#""@query-param";name="param": value"#
    );
}

#[test]
fn rfc9421_2_2_8_query_param_decoded_and_re_encoded() {
    // §2.2.8, the second example: values and names are parsed as
    // application/x-www-form-urlencoded and re-encoded (`+` and `%20` both
    // become `%20`, `%C3%A7` stays, `"` and `:` are encoded).
    let uri = "https://www.example.com/parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something";
    assert_eq!(
        query_param_base(uri, "var").unwrap(),
        r#""@query-param";name="var": this%20is%20a%20big%0Amultiline%20value"#
    );
    assert_eq!(
        query_param_base(uri, "bar").unwrap(),
        r#""@query-param";name="bar": with%20plus%20whitespace"#
    );
    assert_eq!(
        query_param_base(uri, "fa%C3%A7ade%22%3A%20").unwrap(),
        r#""@query-param";name="fa%C3%A7ade%22%3A%20": something"#
    );
    // The same parameters written another way give the same base.
    let other = "https://www.example.com/parameters?fa%c3%a7ade%22:+=something&bar=with%20plus%20whitespace";
    assert_eq!(
        query_param_base(other, "fa%C3%A7ade%22%3A%20").unwrap(),
        r#""@query-param";name="fa%C3%A7ade%22%3A%20": something"#
    );
    assert_eq!(
        query_param_base(other, "bar").unwrap(),
        r#""@query-param";name="bar": with%20plus%20whitespace"#
    );
}

#[test]
fn rfc9421_2_2_8_query_param_encoding_rules() {
    let base = |q: &str, name: &str| query_param_base(&format!("https://e.example/p?{q}"), name);
    // Only ASCII letters, digits and `*-._` stay; `~!'()` are encoded
    // (the form-urlencoded percent-encode set); hex is upper case.
    assert_eq!(
        base("a=*-._~!'()%2b%2B+", "a").unwrap(),
        r#""@query-param";name="a": *-._%7E%21%27%28%29%2B%2B%20"#
    );
    // A `%` without two hex digits stays a `%` (and is then encoded).
    assert_eq!(
        base("a=100%&b=%zz%4", "a").unwrap(),
        r#""@query-param";name="a": 100%25"#
    );
    assert_eq!(
        base("a=100%&b=%zz%4", "b").unwrap(),
        r#""@query-param";name="b": %25zz%254"#
    );
    // A name without `=` has an empty value; empty sequences are skipped;
    // the value is everything after the first `=`.
    assert_eq!(
        base("&&a&b=1=2", "a").unwrap(),
        r#""@query-param";name="a": "#
    );
    assert_eq!(
        base("&&a&b=1=2", "b").unwrap(),
        r#""@query-param";name="b": 1%3D2"#
    );
    // Invalid UTF-8 after decoding is U+FFFD (WHATWG "UTF-8 decode without
    // BOM"), re-encoded as %EF%BF%BD.
    assert_eq!(
        base("a=%FFx%C3", "a").unwrap(),
        r#""@query-param";name="a": %EF%BF%BDx%EF%BF%BD"#
    );
}

#[test]
fn rfc9421_2_2_8_query_param_refusals() {
    let base = |q: &str, name: &str| query_param_base(&format!("https://e.example/p?{q}"), name);
    // Absent, or no query at all.
    assert_eq!(base("a=1", "b"), Err(Error::ComponentAbsent));
    assert_eq!(
        query_param_base("https://e.example/p", "a"),
        Err(Error::ComponentAbsent)
    );
    // A name given in a form other than its canonical encoding matches
    // nothing (the `name` parameter holds the encoded nameString).
    assert_eq!(base("a%20b=1", "a b"), Err(Error::ComponentAbsent));
    assert_eq!(base("a%20b=1", "a+b"), Err(Error::ComponentAbsent));
    assert_eq!(
        base("a%20b=1", "a%20b").unwrap(),
        r#""@query-param";name="a%20b": 1"#
    );
    // A name that occurs twice, however it is encoded, is not covered.
    assert_eq!(
        base("param=value&param=value", "param"),
        Err(Error::UnsupportedComponent)
    );
    assert_eq!(
        base("param=value&%70aram=other", "param"),
        Err(Error::UnsupportedComponent)
    );
    // Longer than MAX_QUERY_PARAM_LEN once decoded: a typed error.
    let long = format!("a={}", "x".repeat(http_sig::MAX_QUERY_PARAM_LEN + 1));
    assert_eq!(base(&long, "a"), Err(Error::TooLarge));
    let fits = format!("a={}", "%41".repeat(http_sig::MAX_QUERY_PARAM_LEN));
    assert!(base(&fits, "a").is_ok());
}
