//! JSON in JOSE: JWT payloads that must be one strict JSON object, escaped
//! strings read wherever fapi reads JSON, deep nesting, caller buffers that
//! are too small, and what `decode_unverified` returns.
#![allow(clippy::unwrap_used)]
mod support;

use fapi_core::alg::Alg;
use fapi_core::assertion::{self, AssertionConfig};
use fapi_core::crypto::{KeyVerifier, Verifier};
use fapi_core::dpop::{self, DpopConfig, DpopRequest};
use fapi_core::jwk::Jwks;
use fapi_core::jws::{self, HeaderParams, Policy};
use fapi_core::profile::Profile;
use fapi_core::request_object::{self, RequestObjectConfig};
use fapi_core::token::{self, Expectations, Presented};
use fapi_core::{Error, FixedClock, OAuthError, Signer, Site};
use support::*;

const NOW: u64 = 1_700_000_000;
const ISS: &str = "https://as.example";
const CID: &str = "client-1";

/// A verifier for one algorithm that accepts any signature: refusals are
/// the core's own checks.
struct AcceptAll(Alg);

impl Verifier for AcceptAll {
    fn alg(&self) -> Alg {
        self.0
    }
    fn verify(&self, _: &[u8], _: &[u8]) -> Result<(), Error> {
        Ok(())
    }
}

fn forged_bytes(header: &str, payload: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64s(header.as_bytes()),
        b64s(payload),
        b64s(&[7; 64])
    )
}

fn verify_payload(payload: &[u8], policy: &Policy<'_>) -> Result<Vec<u8>, Error> {
    let t = forged_bytes(r#"{"alg":"ES256"}"#, payload);
    let mut buf = vec![0u8; jws::verify_buf_len(t.len())];
    jws::verify(t.as_bytes(), policy, &AcceptAll(Alg::Es256), &mut buf).map(|v| v.payload.to_vec())
}

/// RFC 7519 §7.2 (the claims are a JSON object) and RFC 8725 §3.4 / RFC
/// 7519 §4 (no claim twice), enforced by `Policy::json_payload`: a payload
/// with duplicate members, invalid UTF-8, an array or anything but one
/// object is refused; without the flag any bytes are a payload.
#[test]
fn rfc7519_7_2_jwt_payload_is_exactly_one_json_object() {
    let jwt = Policy::new(&[Alg::Es256]).json_payload();
    let raw = Policy::new(&[Alg::Es256]);
    let cases: &[(&[u8], Error)] = &[
        (br#"{"sub":"a","sub":"b"}"#, Error::DuplicateMember),
        (br#"{"sub":"a","\u0073ub":"b"}"#, Error::DuplicateMember),
        (br#"{"x":{"k":1,"k":2}}"#, Error::DuplicateMember),
        (b"{\"sub\":\"\xff\"}", Error::Json),
        (b"[1,2]", Error::Json),
        (b"\"claims\"", Error::Json),
        (b"{\"a\":1} {}", Error::Json),
        (b"{\"a\":1", Error::Json),
        (b"Example of Ed25519 signing", Error::Json),
        (b"", Error::Json),
    ];
    for (payload, err) in cases {
        assert_eq!(
            verify_payload(payload, &jwt),
            Err(*err),
            "{}",
            String::from_utf8_lossy(payload)
        );
        assert_eq!(verify_payload(payload, &raw).as_deref(), Ok(*payload));
    }
    assert_eq!(
        verify_payload(br#"{"sub":"a\/b"}"#, &jwt).unwrap(),
        br#"{"sub":"a/b"}"#
    );
    // decode_unverified holds JWT payloads to the same rule.
    let t = forged_bytes(r#"{"alg":"ES256"}"#, br#"{"iss":"a","iss":"b"}"#);
    let mut buf = vec![0u8; jws::verify_buf_len(t.len())];
    assert_eq!(
        jws::decode_unverified(t.as_bytes(), &mut buf).err(),
        Some(Error::DuplicateMember)
    );
}

/// RFC 7515 §4.1.4 and §4.1.9: `decode_unverified` returns the header's
/// `kid` and `typ`, so a server picks the key from its own store by `kid`
/// without parsing the header itself.
#[test]
fn rfc7515_4_1_4_decode_unverified_returns_kid_and_typ() {
    let k = P256Key::new(3, "bank-key-7");
    let mut out = [0u8; 1024];
    let n = jws::sign(
        &k,
        &HeaderParams::typed("JWT").with_kid(k.key_id()),
        br#"{"iss":"client-1"}"#,
        &mut out,
    )
    .unwrap();
    let mut buf = [0u8; jws::verify_buf_len(1024)];
    let u = jws::decode_unverified(&out[..n], &mut buf).unwrap();
    assert_eq!(u.alg, Alg::Es256);
    assert_eq!(u.kid, Some("bank-key-7"));
    assert_eq!(u.typ, Some("JWT"));
    assert_eq!(u.payload, br#"{"iss":"client-1"}"#);
    // Escaped kid and claims are decoded too.
    let t = forged_bytes(
        r#"{"alg":"EdDSA","kid":"k\/1 \"x\""}"#,
        br#"{"iss":"caf\u00e9"}"#,
    );
    let mut buf = vec![0u8; jws::verify_buf_len(t.len())];
    let mut u = jws::decode_unverified(t.as_bytes(), &mut buf).unwrap();
    assert_eq!((u.alg, u.kid, u.typ), (Alg::EdDsa, Some("k/1 \"x\""), None));
    #[derive(serde::Deserialize)]
    struct Iss<'a> {
        iss: &'a str,
    }
    let iss: Iss<'_> = u.claims().unwrap();
    assert_eq!(iss.iss, "café");
}

/// RFC 6749 §4.1.2.1 (`server_error`): a caller buffer that is too small is
/// `BufferTooSmall`, the server's own mistake, never `TooLarge`, which is
/// the client's oversized input; the sizes that suffice are exported.
#[test]
fn rfc6749_4_1_2_1_small_caller_buffer_is_buffer_too_small() {
    let k = P256Key::new(5, "k5");
    let header = HeaderParams::typed("at+jwt").with_kid("k5");
    let payload = br#"{"iss":"https://as.example","sub":"alice"}"#;
    let need = jws::max_signed_len(Alg::Es256, &header, payload.len()).unwrap();
    let mut out = vec![0u8; need];
    let n = jws::sign(&k, &header, payload, &mut out).unwrap();
    assert_eq!(n, need, "exact for ES256");
    for short in [0, 10, need / 2, need - 1] {
        assert_eq!(
            jws::sign(&k, &header, payload, &mut vec![0u8; short]),
            Err(Error::BufferTooSmall),
            "{short}"
        );
    }
    let token = out[..n].to_vec();
    let v = KeyVerifier::new(&Backend, k.public_key().unwrap());
    let policy = Policy::new(&[Alg::Es256]).json_payload();
    let mut buf = vec![0u8; jws::verify_buf_len(token.len())];
    assert!(jws::verify(&token, &policy, &v, &mut buf).is_ok());
    for short in [0, 10, 50, 60] {
        let mut small = vec![0u8; short];
        assert_eq!(
            jws::verify(&token, &policy, &v, &mut small).err(),
            Some(Error::BufferTooSmall),
            "{short}"
        );
    }
    // A header over the limit is the input's fault.
    let big = forged_bytes(
        &format!(r#"{{"alg":"ES256","kid":"{}"}}"#, "k".repeat(3000)),
        b"{}",
    );
    let mut buf = vec![0u8; jws::verify_buf_len(big.len())];
    assert_eq!(
        jws::verify(big.as_bytes(), &policy, &AcceptAll(Alg::Es256), &mut buf).err(),
        Some(Error::TooLarge)
    );
    // A payload whose escaped strings need room beyond the buffer.
    let t = forged_bytes(
        r#"{"alg":"ES256"}"#,
        br#"{"sub":"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\""}"#,
    );
    // header 15 bytes, payload 46, and 18 bytes to decode the value into.
    let exact = 15 + 46 + 18;
    let mut small = vec![0u8; exact - 1];
    assert_eq!(
        jws::verify(t.as_bytes(), &policy, &AcceptAll(Alg::Es256), &mut small).err(),
        Some(Error::BufferTooSmall)
    );
    let mut enough = vec![0u8; exact];
    assert!(jws::verify(t.as_bytes(), &policy, &AcceptAll(Alg::Es256), &mut enough).is_ok());
    assert!(jws::verify_buf_len(t.len()) >= exact);
    // A server error at every site.
    assert_eq!(
        Error::BufferTooSmall.oauth_error(Site::ResourceRequest),
        OAuthError::ServerError
    );
    assert_eq!(
        Error::TooLarge.oauth_error(Site::TokenRequest),
        OAuthError::InvalidRequest
    );
}

fn dpop_check(s: &dyn Signer, payload: &str) -> Result<dpop::DpopProof, Error> {
    let header = format!(
        r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{}}}"#,
        header_jwk(s)
    );
    let r = DpopRequest {
        method: "POST",
        uri: "https://as.example/token",
        nonce_binding: None,
    };
    dpop::verify_proof(
        sign_raw(s, &header, payload).as_bytes(),
        &r,
        &DpopConfig::new(&Profile::FAPI2),
        &Backend,
        &FixedClock(NOW),
        &MemoryReplay::default(),
    )
}

/// RFC 9449 §4.3 (a `jti` used once) and RFC 7523 §3 (a `jti` of the
/// assertion): an empty `jti` has its own error, not `TooLarge`.
#[test]
fn rfc9449_4_3_and_rfc7523_3_empty_jti_has_its_own_error() {
    let s = P256Key::new(9, "k");
    let proof = |jti: &str| {
        format!(r#"{{"jti":"{jti}","htm":"POST","htu":"https://as.example/token","iat":{NOW}}}"#)
    };
    assert_eq!(dpop_check(&s, &proof("")).err(), Some(Error::EmptyJti));
    assert!(dpop_check(&s, &proof("j")).is_ok());
    assert_eq!(
        dpop_check(&s, &proof(&"j".repeat(dpop::MAX_JTI_LEN + 1))).err(),
        Some(Error::TooLarge)
    );
    assert_eq!(
        Error::EmptyJti.oauth_error(Site::DpopProof),
        OAuthError::InvalidDpopProof
    );

    let c = P256Key::new(11, "c1");
    let set = jwks_json(&[&c]);
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let assertion = |jti: &str| {
        let claims = format!(
            r#"{{"iss":"{CID}","sub":"{CID}","aud":"{ISS}","jti":"{jti}","iat":{NOW},"exp":{}}}"#,
            NOW + 60
        );
        sign_raw(&c, r#"{"alg":"ES256","kid":"c1"}"#, &claims)
    };
    let run = |t: &str| {
        assertion::verify_assertion(
            t.as_bytes(),
            CID,
            &jwks,
            &AssertionConfig::new(&Profile::FAPI2, ISS),
            &Backend,
            &FixedClock(NOW),
            &MemoryReplay::default(),
        )
    };
    assert_eq!(run(&assertion("")).err(), Some(Error::EmptyJti));
    assert!(run(&assertion("j-1")).is_ok());
    assert_eq!(
        Error::EmptyJti.oauth_error(Site::ClientAuthentication),
        OAuthError::InvalidClient
    );
}

/// RFC 8259 §7: claims read as borrowed strings are read whatever their
/// escapes: an access token whose `sub`, `scope` and `aud` are written with
/// non-ASCII escapes, surrogate pairs, quotes and `\/`; a request object
/// with escaped member names; an assertion with an escaped `aud`.
#[test]
fn rfc8259_7_escaped_claims_are_read_in_every_token() {
    let as_key = P256Key::new(1, "as");
    let client = P256Key::new(2, "c");
    let jkt = client.public_key().unwrap().thumbprint().to_b64();
    let claims = format!(
        r#"{{"iss":"https:\/\/as.example","sub":"caf\u00e9 \ud83d\ude00 \"q\"","aud":["x","https:\/\/rs.example"],"exp":{},"iat":{NOW},"jti":"j\\1","client_id":"c\u006cient","scope":"accounts","cnf":{{"jkt":"{jkt}"}}}}"#,
        NOW + 60
    );
    let tok = sign_raw(
        &as_key,
        r#"{"typ":"at+jwt","alg":"ES256","kid":"as"}"#,
        &claims,
    );
    let proof_params = dpop::ProofParams {
        htm: "GET",
        htu: "https://rs.example/accounts",
        iat: NOW,
        jti: "p1",
        access_token: Some(&tok),
        nonce: None,
    };
    let mut out = [0u8; 4096];
    let n = dpop::sign_proof(&client, &proof_params, &mut out).unwrap();
    let request = DpopRequest {
        method: "GET",
        uri: "https://rs.example/accounts",
        nonce_binding: None,
    };
    let proof = dpop::verify_resource_proof(
        &out[..n],
        &request,
        &tok,
        &DpopConfig::new(&Profile::FAPI2),
        &Backend,
        &FixedClock(NOW),
        &MemoryReplay::default(),
    )
    .unwrap();
    let v = KeyVerifier::new(&Backend, as_key.public_key().unwrap());
    let mut buf = vec![0u8; jws::verify_buf_len(tok.len())];
    let c = token::verify(
        tok.as_bytes(),
        &Profile::FAPI2,
        &Expectations::new(ISS, "https://rs.example"),
        &v,
        &FixedClock(NOW),
        &Presented::dpop(&proof, &request),
        &mut buf,
    )
    .unwrap();
    assert_eq!(c.subject, "café 😀 \"q\"");
    assert_eq!((c.client_id, c.jti), ("client", "j\\1"));

    // A request object with escaped member names and values.
    let ro = format!(
        r#"{{"\u0069ss":"{CID}","aud":"https:\/\/as.example","exp":{},"nbf":{NOW},"redirect_uri":"https:\/\/c.example\/cb","response_type":"code","scope":"caf\u00e9"}}"#,
        NOW + 60
    );
    let set = jwks_json(&[&client]);
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let t = sign_raw(&client, r#"{"alg":"ES256","kid":"c"}"#, &ro);
    let mut buf = vec![0u8; jws::verify_buf_len(t.len())];
    let p = request_object::verify_request_object(
        t.as_bytes(),
        CID,
        &jwks,
        &RequestObjectConfig::new(&Profile::FAPI2, ISS),
        &Backend,
        &FixedClock(NOW),
        &mut buf,
    )
    .unwrap();
    assert_eq!(p.redirect_uri, Some("https://c.example/cb"));
    assert_eq!(p.scope, Some("café"));
}

fn nested(levels: usize, inner: &str) -> String {
    let mut s = String::new();
    for _ in 0..levels {
        s.push_str(r#"{"l":["#);
    }
    s.push_str(inner);
    for _ in 0..levels {
        s.push_str("]}");
    }
    s
}

/// RFC 9396: `authorization_details` nest deeper than 12 levels; a request
/// object carrying them verifies, up to `json::MAX_DEPTH` (32) levels.
#[test]
fn rfc9396_deep_authorization_details_verify() {
    let client = P256Key::new(2, "c");
    let set = jwks_json(&[&client]);
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let run = |levels: usize| {
        let ro = format!(
            r#"{{"iss":"{CID}","aud":"{ISS}","exp":{},"nbf":{NOW},"authorization_details":[{}]}}"#,
            NOW + 60,
            nested(levels, r#"{"type":"payment_initiation"}"#)
        );
        let t = sign_raw(&client, r#"{"alg":"ES256","kid":"c"}"#, &ro);
        let mut buf = vec![0u8; jws::verify_buf_len(t.len())];
        request_object::verify_request_object(
            t.as_bytes(),
            CID,
            &jwks,
            &RequestObjectConfig::new(&Profile::FAPI2, ISS),
            &Backend,
            &FixedClock(NOW),
            &mut buf,
        )
        .map(|_| ())
    };
    // top object, the array, then two levels per nesting step, then the
    // innermost object: 2 + 2n + 1 levels.
    assert_eq!(run(6), Ok(()));
    assert_eq!(run(14), Ok(()));
    assert_eq!(run(15), Err(Error::TooLarge));
}
