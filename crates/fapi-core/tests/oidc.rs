//! ID tokens (OpenID Connect Core), JARM responses, signed introspection
//! responses (RFC 9701) and request objects under FAPI 2.0 Message
//! Signing §5.3, with real keys.
mod support;

use fapi_core::alg::Alg;
use fapi_core::id_token::{self, Expectations, IdToken, IdTokenParams, half_hash};
use fapi_core::introspection;
use fapi_core::jarm::{self, Response};
use fapi_core::jwk::Jwks;
use fapi_core::jws::{self, HeaderParams};
use fapi_core::profile::{Profile, ResponseMode};
use fapi_core::request_object::{self, RequestObjectConfig};
use fapi_core::{Error, FixedClock, Signer, Site};
use support::*;

const ISS: &str = "https://as.bank.example";
const CID: &str = "fintech-1";
const NOW: u64 = 1_900_000_000;

const OBIE_ES256: Profile = Profile {
    algs: &[Alg::Es256],
    ..Profile::OBIE
};

fn issue(profile: &Profile, key: &dyn Signer, params: &IdTokenParams<'_>) -> String {
    let mut out = [0u8; 4096];
    let n = id_token::issue(profile, params, key, &mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

fn check(
    token: &str,
    key: &dyn Signer,
    expect: &Expectations<'_>,
    now: u64,
) -> Result<IdToken<'static>, Error> {
    let set = jwks_json(&[key]);
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let buf = Box::leak(vec![0u8; id_token::verify_buf_len(token.len())].into_boxed_slice());
    id_token::verify_with_jwks(
        token.as_bytes(),
        expect,
        &Backend,
        &jwks,
        &FixedClock(now),
        buf,
    )
}

fn base() -> IdTokenParams<'static> {
    IdTokenParams::new(ISS, "alice", CID, NOW)
}

fn expect(p: &'static Profile) -> Expectations<'static> {
    Expectations::new(p, ISS, CID).unwrap()
}

/// A payload signed by `key` under a header of our choosing (bad input).
fn raw(key: &dyn Signer, payload: &str) -> String {
    let alg = match key.alg() {
        Alg::Es256 => "ES256",
        Alg::EdDsa => "EdDSA",
        Alg::Ps256 => "PS256",
    };
    sign_raw(
        key,
        &format!(r#"{{"alg":"{alg}","kid":"{}"}}"#, key.key_id()),
        payload,
    )
}

/// OpenID Connect Core §3.1.3.6 / §3.3.2.11: the hash is the left half of
/// SHA-256 for PS256 and ES256 (Appendix A.4's c_hash) and of SHA-512 for
/// EdDSA (Ed25519).
#[test]
fn oidc_core_3_3_2_11_half_hash_known_answers() {
    let code = b"Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
    for alg in [Alg::Ps256, Alg::Es256] {
        assert_eq!(
            half_hash(alg, code).unwrap().as_str(),
            "LDktKdoQak3Pk0cnXxCltA"
        );
    }
    // Python: base64url(sha512(b"at-123")[:32]).
    assert_eq!(
        half_hash(Alg::EdDsa, b"at-123").unwrap().as_str(),
        "ozArTcIYgJopfupt5RAzFAXVIv37PxwGHWkcYBUjcr0"
    );
    assert!(
        !half_hash(Alg::EdDsa, b"at-124")
            .unwrap()
            .matches("ozArTcIYgJopfupt5RAzFAXVIv37PxwGHWkcYBUjcr0")
    );
}

/// OpenID Connect Core §2, §3.1.3.7: a token issued with every claim
/// verifies, with the nonce, access token, code and state the client holds,
/// for ES256 and EdDSA.
#[test]
fn oidc_core_3_1_3_7_issued_id_token_verifies() {
    let es = P256Key::new(3, "as-es");
    let ed = Ed25519Key::new(4, "as-ed");
    for key in [&es as &dyn Signer, &ed] {
        let params = base()
            .nonce("n-0S6")
            .auth_time(NOW - 30)
            .acr("urn:mace:incommon:iap:silver")
            .access_token(b"at-1")
            .code(b"code-1")
            .state(b"st-1");
        let t = issue(&Profile::FAPI2, key, &params);
        let e = expect(&Profile::FAPI2)
            .with_nonce("n-0S6")
            .with_access_token(b"at-1")
            .with_code(b"code-1")
            .with_state(b"st-1");
        let v = check(&t, key, &e, NOW + 5).unwrap();
        assert_eq!(v.subject, "alice");
        assert_eq!(v.auth_time, Some(NOW - 30));
        assert_eq!(v.acr, Some("urn:mace:incommon:iap:silver"));
        assert_eq!(v.expires_at, NOW + id_token::DEFAULT_LIFETIME);
        // typ JWT in the header, kid the key's.
        let mut hb = [0u8; 256];
        let head =
            fapi_core::b64::decode(t.split('.').next().unwrap().as_bytes(), &mut hb).unwrap();
        assert!(
            core::str::from_utf8(head)
                .unwrap()
                .contains(r#""typ":"JWT""#)
        );
    }
}

/// OpenID Connect Core §3.1.3.7 step 2: `iss` exactly the issuer; step 3:
/// `aud` names the client.
#[test]
fn oidc_core_3_1_3_7_iss_exact_and_aud_contains_client() {
    let k = P256Key::new(3, "as");
    let t = issue(&Profile::FAPI2, &k, &base());
    let other_iss = Expectations::new(&Profile::FAPI2, "https://as.bank.example/", CID).unwrap();
    assert_eq!(
        check(&t, &k, &other_iss, NOW).unwrap_err(),
        Error::WrongIssuer
    );
    let other_client = Expectations::new(&Profile::FAPI2, ISS, "fintech-2").unwrap();
    assert_eq!(
        check(&t, &k, &other_client, NOW).unwrap_err(),
        Error::WrongAudience
    );
    let no_sub = raw(
        &k,
        &format!(
            r#"{{"iss":"{ISS}","aud":"{CID}","iat":{NOW},"exp":{}}}"#,
            NOW + 60
        ),
    );
    assert_eq!(
        check(&no_sub, &k, &expect(&Profile::FAPI2), NOW).unwrap_err(),
        Error::MissingClaim
    );
    assert_eq!(
        Expectations::new(&Profile::FAPI2, "", CID).err(),
        Some(Error::ProfileViolation)
    );
}

/// OpenID Connect Core §3.1.3.7 steps 4 and 5: with several audiences
/// `azp` is required and must be the client; a present `azp` must be the
/// client.
#[test]
fn oidc_core_3_1_3_7_azp_required_with_several_audiences() {
    let k = P256Key::new(3, "as");
    let e = expect(&Profile::FAPI2);
    let claims = |aud: &str, azp: &str| {
        raw(
            &k,
            &format!(
                r#"{{"iss":"{ISS}","sub":"alice","aud":{aud},"iat":{NOW},"exp":{}{azp}}}"#,
                NOW + 60
            ),
        )
    };
    let many = format!(r#"["{CID}","https://rs.example"]"#);
    assert_eq!(
        check(&claims(&many, ""), &k, &e, NOW).unwrap_err(),
        Error::WrongAuthorizedParty
    );
    assert_eq!(
        check(&claims(&many, r#","azp":"fintech-2""#), &k, &e, NOW).unwrap_err(),
        Error::WrongAuthorizedParty
    );
    let ok = check(&claims(&many, &format!(r#","azp":"{CID}""#)), &k, &e, NOW).unwrap();
    assert_eq!(ok.azp, Some(CID));
    // One audience: azp optional, but the client when present.
    assert!(check(&claims(&format!(r#""{CID}""#), ""), &k, &e, NOW).is_ok());
    assert!(check(&claims(&format!(r#"["{CID}"]"#), ""), &k, &e, NOW).is_ok());
    assert_eq!(
        check(
            &claims(&format!(r#""{CID}""#), r#","azp":"other""#),
            &k,
            &e,
            NOW
        )
        .unwrap_err(),
        Error::WrongAuthorizedParty
    );
}

/// OpenID Connect Core §3.1.3.7 steps 9 and 10: `exp` required and not
/// passed, `iat` required and not older than the client's limit (itself
/// bounded).
#[test]
fn oidc_core_3_1_3_7_exp_and_iat_age() {
    let k = P256Key::new(3, "as");
    let t = issue(&Profile::FAPI2, &k, &base().lifetime(3600));
    let e = expect(&Profile::FAPI2);
    assert!(check(&t, &k, &e, NOW + 600).is_ok());
    assert_eq!(check(&t, &k, &e, NOW + 601).unwrap_err(), Error::TooOld);
    let e60 = e.with_max_age(60).unwrap();
    assert_eq!(check(&t, &k, &e60, NOW + 61).unwrap_err(), Error::TooOld);
    assert_eq!(e.with_max_age(0).err(), Some(Error::ProfileViolation));
    assert_eq!(e.with_max_age(86_401).err(), Some(Error::ProfileViolation));
    assert_eq!(e.with_leeway(61).err(), Some(Error::ProfileViolation));
    let short = issue(&Profile::FAPI2, &k, &base().lifetime(30));
    assert_eq!(check(&short, &k, &e, NOW + 40).unwrap_err(), Error::Expired);
    assert_eq!(
        check(&t, &k, &e, NOW - 11).unwrap_err(),
        Error::IssuedInFuture
    );
    let no_exp = raw(
        &k,
        &format!(r#"{{"iss":"{ISS}","sub":"a","aud":"{CID}","iat":{NOW}}}"#),
    );
    assert_eq!(
        check(&no_exp, &k, &e, NOW).unwrap_err(),
        Error::MissingClaim
    );
    let no_iat = raw(
        &k,
        &format!(
            r#"{{"iss":"{ISS}","sub":"a","aud":"{CID}","exp":{}}}"#,
            NOW + 60
        ),
    );
    assert_eq!(
        check(&no_iat, &k, &e, NOW).unwrap_err(),
        Error::MissingClaim
    );
    // The issuer refuses lifetimes of 0 and over a day.
    let mut out = [0u8; 2048];
    assert_eq!(
        id_token::issue(&Profile::FAPI2, &base().lifetime(0), &k, &mut out),
        Err(Error::LifetimeTooShort)
    );
    assert_eq!(
        id_token::issue(&Profile::FAPI2, &base().lifetime(86_401), &k, &mut out),
        Err(Error::LifetimeTooLong)
    );
}

/// OpenID Connect Core §3.1.2.1, §3.1.3.7 item 13: when the request
/// carried `max_age`, `auth_time` is required, not in the future and at
/// most `max_age` old (with the leeway); the issuer refuses to write an ID
/// token without it or with an older authentication.
#[test]
fn oidc_core_3_1_2_1_max_age_requires_auth_time() {
    let k = P256Key::new(3, "as");
    let t = issue(&Profile::FAPI2, &k, &base().auth_time(NOW - 100));
    let e = expect(&Profile::FAPI2).with_auth_max_age(300);
    assert_eq!(check(&t, &k, &e, NOW).unwrap().auth_time, Some(NOW - 100));
    // 300 s, and the 10 s leeway.
    assert!(check(&t, &k, &e, NOW + 210).is_ok());
    assert_eq!(check(&t, &k, &e, NOW + 211).unwrap_err(), Error::TooOld);
    // max_age=0: an authentication just now.
    let now0 = issue(&Profile::FAPI2, &k, &base().auth_time(NOW));
    let e0 = expect(&Profile::FAPI2).with_auth_max_age(0);
    assert!(check(&now0, &k, &e0, NOW + 10).is_ok());
    assert_eq!(check(&now0, &k, &e0, NOW + 11).unwrap_err(), Error::TooOld);
    assert_eq!(check(&t, &k, &e0, NOW).unwrap_err(), Error::TooOld);
    // Without auth_time: refused only where max_age was sent.
    let none = issue(&Profile::FAPI2, &k, &base());
    assert!(check(&none, &k, &expect(&Profile::FAPI2), NOW).is_ok());
    assert_eq!(check(&none, &k, &e, NOW).unwrap_err(), Error::MissingClaim);
    // An authentication in the future; an auth_time that is not a number.
    for (auth_time, want) in [
        (format!("{}", NOW + 11), Error::IssuedInFuture),
        ("\"1900000000\"".to_owned(), Error::Json),
    ] {
        let bad = raw(
            &k,
            &format!(
                r#"{{"iss":"{ISS}","sub":"a","aud":"{CID}","iat":{NOW},"exp":{},"auth_time":{auth_time}}}"#,
                NOW + 60
            ),
        );
        assert_eq!(check(&bad, &k, &e, NOW).unwrap_err(), want, "{auth_time}");
    }
    // The issuer: auth_time required with max_age, and recent enough.
    let mut out = [0u8; 2048];
    assert_eq!(
        id_token::issue(&Profile::FAPI2, &base().max_age(300), &k, &mut out),
        Err(Error::MissingClaim)
    );
    assert_eq!(
        id_token::issue(
            &Profile::FAPI2,
            &base().max_age(300).auth_time(NOW - 301),
            &k,
            &mut out
        ),
        Err(Error::TooOld)
    );
    let ok = issue(
        &Profile::FAPI2,
        &k,
        &base().max_age(300).auth_time(NOW - 300),
    );
    assert_eq!(check(&ok, &k, &e, NOW).unwrap().auth_time, Some(NOW - 300));
}

/// OpenID Connect Core §3.1.3.7 step 11: the nonce sent, required when
/// sent, equal (constant-time comparison).
#[test]
fn oidc_core_3_1_3_7_nonce_required_and_equal() {
    let k = P256Key::new(3, "as");
    let with = issue(&Profile::FAPI2, &k, &base().nonce("n-1"));
    let without = issue(&Profile::FAPI2, &k, &base());
    let e = expect(&Profile::FAPI2).with_nonce("n-1");
    assert!(check(&with, &k, &e, NOW).is_ok());
    assert_eq!(
        check(&without, &k, &e, NOW).unwrap_err(),
        Error::MissingClaim
    );
    let other = expect(&Profile::FAPI2).with_nonce("n-2");
    assert_eq!(
        check(&with, &k, &other, NOW).unwrap_err(),
        Error::NonceMismatch
    );
    let prefix = expect(&Profile::FAPI2).with_nonce("n-");
    assert_eq!(
        check(&with, &k, &prefix, NOW).unwrap_err(),
        Error::NonceMismatch
    );
    assert_eq!(Error::NonceMismatch.code(), 412);
}

/// OpenID Connect Core §3.1.3.8 (`at_hash`, checked when present),
/// §3.3.2.11 (`c_hash`, required with a code), FAPI 1.0 Advanced §5.2.2.1
/// (`s_hash`, required with a state).
#[test]
fn oidc_core_3_1_3_8_at_hash_c_hash_s_hash() {
    let k = Ed25519Key::new(4, "as");
    let p = &Profile::FAPI2;
    let all = issue(
        p,
        &k,
        &base().access_token(b"at-1").code(b"c-1").state(b"s-1"),
    );
    let none = issue(p, &k, &base());
    let e = expect(p);
    assert_eq!(
        check(&all, &k, &e.with_access_token(b"at-2"), NOW).unwrap_err(),
        Error::HashMismatch
    );
    assert_eq!(
        check(&all, &k, &e.with_code(b"c-2"), NOW).unwrap_err(),
        Error::HashMismatch
    );
    assert_eq!(
        check(&all, &k, &e.with_state(b"s-2"), NOW).unwrap_err(),
        Error::HashMismatch
    );
    // at_hash is optional at the token endpoint; c_hash and s_hash are
    // required when the client checks a code or state.
    assert!(check(&none, &k, &e.with_access_token(b"at-1"), NOW).is_ok());
    assert_eq!(
        check(&none, &k, &e.with_code(b"c-1"), NOW).unwrap_err(),
        Error::MissingClaim
    );
    assert_eq!(
        check(&none, &k, &e.with_state(b"s-1"), NOW).unwrap_err(),
        Error::MissingClaim
    );
    // A SHA-256 hash in an EdDSA token is not the EdDSA hash.
    let sha256 = half_hash(Alg::Es256, b"at-1").unwrap();
    let forged_hash = raw(
        &k,
        &format!(
            r#"{{"iss":"{ISS}","sub":"a","aud":"{CID}","iat":{NOW},"exp":{},"at_hash":"{}"}}"#,
            NOW + 60,
            sha256.as_str()
        ),
    );
    assert_eq!(
        check(&forged_hash, &k, &e.with_access_token(b"at-1"), NOW).unwrap_err(),
        Error::HashMismatch
    );
}

/// F2-ALG, OB-ALG, OFB-ALG, CDR-ALG: the profile's algorithms on both
/// sides; `typ` absent or `JWT`.
#[test]
fn f2_alg_ob_alg_id_token_algorithms_and_typ() {
    let ed = Ed25519Key::new(4, "as");
    let es = P256Key::new(3, "as");
    let mut out = [0u8; 2048];
    // CDR-ALG: PS256 or ES256; OB-ALG and OFB-ALG: PS256.
    assert_eq!(
        id_token::issue(
            &Profile::CDR,
            &base().acr("urn:cds.au:cdr:2"),
            &ed,
            &mut out
        ),
        Err(Error::AlgNotAllowed)
    );
    assert_eq!(
        id_token::issue(&Profile::OFB, &base(), &es, &mut out),
        Err(Error::AlgNotAllowed)
    );
    let t = issue(&Profile::FAPI2, &ed, &base());
    let cdr = Expectations::new(&Profile::CDR, ISS, CID).unwrap();
    assert_eq!(check(&t, &ed, &cdr, NOW).unwrap_err(), Error::AlgNotAllowed);
    // The registration narrows the profile's list, never widens it.
    let e = expect(&Profile::FAPI2).with_algs(&[Alg::Es256]).unwrap();
    assert_eq!(check(&t, &ed, &e, NOW).unwrap_err(), Error::AlgNotAllowed);
    assert_eq!(
        expect(&Profile::OFB).with_algs(&[Alg::Es256]).err(),
        Some(Error::AlgNotAllowed)
    );
    // typ: absent or JWT.
    let claims = format!(
        r#"{{"iss":"{ISS}","sub":"a","aud":"{CID}","iat":{NOW},"exp":{}}}"#,
        NOW + 60
    );
    let typed = |typ: &str| {
        sign_raw(
            &es,
            &format!(r#"{{"alg":"ES256","kid":"as","typ":"{typ}"}}"#),
            &claims,
        )
    };
    let e = expect(&Profile::FAPI2);
    assert!(check(&typed("JWT"), &es, &e, NOW).is_ok());
    assert!(check(&raw(&es, &claims), &es, &e, NOW).is_ok());
    for bad in [
        "at+jwt",
        "token-introspection+jwt",
        "dpop+jwt",
        "logout+jwt",
    ] {
        assert_eq!(
            check(&typed(bad), &es, &e, NOW).unwrap_err(),
            Error::WrongType,
            "{bad}"
        );
    }
    let none = forged(r#"{"alg":"none"}"#, &claims);
    assert_eq!(
        check(&none, &es, &e, NOW).unwrap_err(),
        Error::UnsupportedAlg
    );
}

/// OB-INTENT: under obie the issuer writes `openbanking_intent_id` and
/// refuses to issue without it; the client requires it.
#[test]
fn ob_intent_claim_in_id_token() {
    let k = P256Key::new(3, "as");
    let mut out = [0u8; 2048];
    assert_eq!(
        id_token::issue(&OBIE_ES256, &base(), &k, &mut out),
        Err(Error::MissingClaim)
    );
    assert_eq!(
        id_token::issue(&OBIE_ES256, &base().intent_id(""), &k, &mut out),
        Err(Error::MissingClaim)
    );
    let t = issue(
        &OBIE_ES256,
        &k,
        &base().intent_id("urn-alphabank-intent-58923"),
    );
    let v = check(
        &t,
        &k,
        &Expectations::new(&OBIE_ES256, ISS, CID).unwrap(),
        NOW,
    )
    .unwrap();
    assert_eq!(v.intent_id, Some("urn-alphabank-intent-58923"));
    // A token without it, even if validly signed, is refused under obie.
    let plain = issue(&Profile::FAPI2, &k, &base());
    assert_eq!(
        check(
            &plain,
            &k,
            &Expectations::new(&OBIE_ES256, ISS, CID).unwrap(),
            NOW
        )
        .unwrap_err(),
        Error::MissingClaim
    );
}

/// CDR (Consumer Data Standards, ID token): `acr` is `urn:cds.au:cdr:2` or
/// `urn:cds.au:cdr:3`, on both sides; the expiry claims travel when given.
#[test]
fn cdr_id_token_acr_values() {
    let k = P256Key::new(3, "as");
    let mut out = [0u8; 2048];
    assert_eq!(
        id_token::issue(&Profile::CDR, &base(), &k, &mut out),
        Err(Error::AcrNotAllowed)
    );
    assert_eq!(
        id_token::issue(&Profile::CDR, &base().acr("urn:cds.au:cdr:1"), &k, &mut out),
        Err(Error::AcrNotAllowed)
    );
    let e = Expectations::new(&Profile::CDR, ISS, CID).unwrap();
    for acr in ["urn:cds.au:cdr:2", "urn:cds.au:cdr:3"] {
        let t = issue(
            &Profile::CDR,
            &k,
            &base().acr(acr).cdr_expiry(NOW + 1000, NOW + 900),
        );
        let v = check(&t, &k, &e, NOW).unwrap();
        assert_eq!(v.acr, Some(acr));
        assert_eq!(v.sharing_expires_at, Some(NOW + 1000));
        assert_eq!(v.refresh_token_expires_at, Some(NOW + 900));
    }
    let wrong = issue(&Profile::FAPI2, &k, &base().acr("urn:cds.au:cdr:4"));
    assert_eq!(
        check(&wrong, &k, &e, NOW).unwrap_err(),
        Error::AcrNotAllowed
    );
    let missing = issue(&Profile::FAPI2, &k, &base());
    assert_eq!(
        check(&missing, &k, &e, NOW).unwrap_err(),
        Error::AcrNotAllowed
    );
}

fn jarm_issue(
    p: &Profile,
    key: &dyn Signer,
    r: &Response<'_>,
    iat: u64,
    life: u64,
) -> Result<String, Error> {
    let mut out = [0u8; 2048];
    let n = jarm::issue(p, ISS, CID, r, iat, life, key, &mut out)?;
    Ok(String::from_utf8(out[..n].to_vec()).unwrap())
}

fn jarm_check(
    t: &str,
    key: &dyn Signer,
    issuer: &str,
    now: u64,
) -> Result<Response<'static>, Error> {
    let set = jwks_json(&[key]);
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let e = jarm::Expectations::new(&Profile::FAPI2_MS, issuer, CID)?;
    let buf = Box::leak(vec![0u8; jarm::verify_buf_len(t.len())].into_boxed_slice());
    jarm::verify_with_jwks(t.as_bytes(), &e, &Backend, &jwks, &FixedClock(now), buf)
}

/// JARM §2.1, §2.2, §4.4: code and state, or error, description and state;
/// `iss` exactly the issuer the client asked (RFC 9207), `aud` the client.
#[test]
fn jarm_2_1_code_or_error_with_iss_aud() {
    let k = P256Key::new(3, "as");
    let ok = Response::Code {
        code: "c-1",
        state: Some("s-1"),
    };
    let t = jarm_issue(&Profile::FAPI2_MS, &k, &ok, NOW, 300).unwrap();
    assert_eq!(jarm_check(&t, &k, ISS, NOW).unwrap(), ok);
    let err = Response::Error {
        error: "access_denied",
        description: Some("user said no"),
        state: Some("s-1"),
    };
    let t = jarm_issue(&Profile::FAPI2_MS, &k, &err, NOW, 300).unwrap();
    assert_eq!(jarm_check(&t, &k, ISS, NOW).unwrap(), err);
    // RFC 9207 mix-up: a response of another issuer.
    assert_eq!(
        jarm_check(&t, &k, "https://other.example", NOW).unwrap_err(),
        Error::WrongIssuer
    );
    let other_aud = raw(
        &k,
        &format!(
            r#"{{"iss":"{ISS}","aud":"fintech-2","iat":{NOW},"exp":{},"code":"c"}}"#,
            NOW + 60
        ),
    );
    assert_eq!(
        jarm_check(&other_aud, &k, ISS, NOW).unwrap_err(),
        Error::WrongAudience
    );
    let neither = raw(
        &k,
        &format!(
            r#"{{"iss":"{ISS}","aud":"{CID}","iat":{NOW},"exp":{},"state":"s"}}"#,
            NOW + 60
        ),
    );
    assert_eq!(
        jarm_check(&neither, &k, ISS, NOW).unwrap_err(),
        Error::MissingClaim
    );
    let both = raw(
        &k,
        &format!(
            r#"{{"iss":"{ISS}","aud":"{CID}","iat":{NOW},"exp":{},"code":"c","error":"e"}}"#,
            NOW + 60
        ),
    );
    assert_eq!(jarm_check(&both, &k, ISS, NOW).unwrap_err(), Error::Json);
    let no_exp = raw(
        &k,
        &format!(r#"{{"iss":"{ISS}","aud":"{CID}","iat":{NOW},"code":"c"}}"#),
    );
    assert_eq!(
        jarm_check(&no_exp, &k, ISS, NOW).unwrap_err(),
        Error::MissingClaim
    );
    // The profile's algorithms.
    let mut out = [0u8; 2048];
    assert_eq!(
        jarm::issue(&Profile::OFB, ISS, CID, &ok, NOW, 300, &k, &mut out),
        Err(Error::AlgNotAllowed)
    );
    // The code is not printed.
    assert!(!format!("{ok:?}").contains("c-1"));
}

/// FAPI 2.0 Message Signing §5.4: `exp` at most 10 minutes after issue,
/// enforced by the issuer and the client.
#[test]
fn fapi2_ms_5_4_jarm_exp_at_most_ten_minutes() {
    let k = P256Key::new(3, "as");
    let ok = Response::Code {
        code: "c-1",
        state: None,
    };
    assert!(jarm_issue(&Profile::FAPI2_MS, &k, &ok, NOW, 600).is_ok());
    assert_eq!(
        jarm_issue(&Profile::FAPI2_MS, &k, &ok, NOW, 601).unwrap_err(),
        Error::LifetimeTooLong
    );
    assert_eq!(
        jarm_issue(&Profile::FAPI2_MS, &k, &ok, NOW, 0).unwrap_err(),
        Error::LifetimeTooShort
    );
    let long = raw(
        &k,
        &format!(
            r#"{{"iss":"{ISS}","aud":"{CID}","iat":{NOW},"exp":{},"code":"c"}}"#,
            NOW + 601
        ),
    );
    assert_eq!(
        jarm_check(&long, &k, ISS, NOW).unwrap_err(),
        Error::LifetimeTooLong
    );
    let long_no_iat = raw(
        &k,
        &format!(
            r#"{{"iss":"{ISS}","aud":"{CID}","exp":{},"code":"c"}}"#,
            NOW + 3600
        ),
    );
    assert_eq!(
        jarm_check(&long_no_iat, &k, ISS, NOW).unwrap_err(),
        Error::LifetimeTooLong
    );
    let t = jarm_issue(&Profile::FAPI2_MS, &k, &ok, NOW, 60).unwrap();
    assert_eq!(
        jarm_check(&t, &k, ISS, NOW + 70).unwrap_err(),
        Error::Expired
    );
}

/// JARM §2.3, FAPI 2.0 Message Signing §5.4: a client that asked for
/// `response_mode=jwt` reads only the `response` parameter; a plain
/// response, or one injected beside the JWT, is refused.
#[test]
fn jarm_2_3_plain_response_refused_in_jwt_mode() {
    let jwt = "eyJhbGciOiJFUzI1NiJ9.eyJjb2RlIjoiYyJ9.c2ln";
    let q = format!("response={jwt}");
    assert_eq!(
        jarm::response_param(ResponseMode::Jwt, q.as_bytes()).unwrap(),
        Some(jwt.as_bytes())
    );
    let q = format!("foo=bar&response={jwt}");
    assert!(jarm::response_param(ResponseMode::Jwt, q.as_bytes()).is_ok());
    for plain in [
        "code=c-1&state=s-1",
        "error=access_denied&state=s-1",
        "",
        "iss=https%3A%2F%2Fas",
    ] {
        assert_eq!(
            jarm::response_param(ResponseMode::Jwt, plain.as_bytes()).unwrap_err(),
            Error::PlainResponseRefused,
            "{plain}"
        );
    }
    for injected in [
        format!("response={jwt}&code=c-2"),
        format!("state=x&response={jwt}"),
    ] {
        assert_eq!(
            jarm::response_param(ResponseMode::Jwt, injected.as_bytes()).unwrap_err(),
            Error::PlainResponseRefused
        );
    }
    for bad in [
        format!("response={jwt}&response={jwt}"),
        "response=".into(),
        "response=a%2Eb".into(),
    ] {
        assert_eq!(
            jarm::response_param(ResponseMode::Jwt, bad.as_bytes()).unwrap_err(),
            Error::Malformed
        );
    }
    assert_eq!(
        jarm::response_param(ResponseMode::Query, b"code=c").unwrap(),
        None
    );
    assert_eq!(
        Error::PlainResponseRefused
            .oauth_error(Site::AuthorizationRequest)
            .as_str(),
        "invalid_request"
    );
}

fn introspect(key: &dyn Signer, aud: &str, iat: u64, response: &[u8]) -> Result<String, Error> {
    let mut out = [0u8; 8192];
    let n = introspection::write_signed_response(
        &Profile::FAPI2_MS,
        ISS,
        aud,
        iat,
        response,
        key,
        &mut out,
    )?;
    Ok(String::from_utf8(out[..n].to_vec()).unwrap())
}

fn rs_check(t: &str, key: &dyn Signer, now: u64) -> Result<bool, Error> {
    let mut buf = vec![0u8; fapi_core::jwt::verify_buf_len(t.len())];
    let v = fapi_core::crypto::KeyVerifier::new(&Backend, key.public_key().unwrap());
    let r = introspection::verify_signed_response(
        t.as_bytes(),
        Profile::FAPI2_MS.algs,
        ISS,
        "https://rs.example",
        60,
        &v,
        &FixedClock(now),
        &mut buf,
    )?;
    Ok(r.active)
}

/// RFC 9701 §5: `typ` token-introspection+jwt, `iss`, `aud` the resource
/// server, `iat`, and the RFC 7662 response as `token_introspection`.
#[test]
fn rfc9701_5_signed_introspection_response() {
    let k = P256Key::new(3, "as");
    let mut plain = [0u8; 1024];
    let info = introspection::TokenInfo {
        kind: introspection::TokenKind::Access,
        active: true,
        scope: Some("accounts"),
        client_id: Some(CID),
        subject: Some("alice"),
        username: None,
        exp: Some(NOW + 300),
        iat: Some(NOW),
        confirmation: None,
        consent_id: None,
    };
    let n = introspection::write_response(&Profile::FAPI2_MS, &info, &mut plain).unwrap();
    let t = introspect(&k, "https://rs.example", NOW, &plain[..n]).unwrap();
    assert_eq!(rs_check(&t, &k, NOW + 1), Ok(true));
    let mut hb = [0u8; 256];
    let head = fapi_core::b64::decode(t.split('.').next().unwrap().as_bytes(), &mut hb).unwrap();
    assert!(
        core::str::from_utf8(head)
            .unwrap()
            .contains(r#""typ":"token-introspection+jwt""#)
    );
    let mut pb = [0u8; 2048];
    let body = fapi_core::b64::decode(t.split('.').nth(1).unwrap().as_bytes(), &mut pb).unwrap();
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["iss"], ISS);
    assert_eq!(v["aud"], "https://rs.example");
    assert_eq!(v["iat"], NOW);
    assert_eq!(v["token_introspection"]["scope"], "accounts");
    // Not an object, not JSON.
    assert_eq!(
        introspect(&k, "https://rs.example", NOW, b"[1]").unwrap_err(),
        Error::Json
    );
    assert_eq!(
        introspect(&k, "https://rs.example", NOW, b"{").unwrap_err(),
        Error::Json
    );
}

/// RFC 9701 §5, §7 (the resource server): `typ` required exactly, `iss`,
/// `aud`, `iat` age, the claim present.
#[test]
fn rfc9701_7_resource_server_checks() {
    let k = P256Key::new(3, "as");
    let t = introspect(&k, "https://rs.example", NOW, br#"{"active":false}"#).unwrap();
    assert_eq!(rs_check(&t, &k, NOW), Ok(false));
    assert_eq!(rs_check(&t, &k, NOW + 61), Err(Error::TooOld));
    assert_eq!(rs_check(&t, &k, NOW - 11), Err(Error::IssuedInFuture));
    let other_rs = introspect(&k, "https://rs2.example", NOW, br#"{"active":true}"#).unwrap();
    assert_eq!(rs_check(&other_rs, &k, NOW), Err(Error::WrongAudience));
    let claims = format!(
        r#"{{"iss":"{ISS}","aud":"https://rs.example","iat":{NOW},"token_introspection":{{"active":true}}}}"#
    );
    let typed = |typ: Option<&str>| {
        let h = match typ {
            Some(t) => format!(r#"{{"alg":"ES256","typ":"{t}"}}"#),
            None => r#"{"alg":"ES256"}"#.into(),
        };
        sign_raw(&k, &h, &claims)
    };
    assert_eq!(
        rs_check(&typed(Some("token-introspection+jwt")), &k, NOW),
        Ok(true)
    );
    for bad in [None, Some("JWT"), Some("at+jwt")] {
        assert_eq!(
            rs_check(&typed(bad), &k, NOW),
            Err(Error::WrongType),
            "{bad:?}"
        );
    }
    let no_claim = sign_raw(
        &k,
        r#"{"alg":"ES256","typ":"token-introspection+jwt"}"#,
        &format!(r#"{{"iss":"{ISS}","aud":"https://rs.example","iat":{NOW}}}"#),
    );
    assert_eq!(rs_check(&no_claim, &k, NOW), Err(Error::MissingClaim));
    let no_iat = sign_raw(
        &k,
        r#"{"alg":"ES256","typ":"token-introspection+jwt"}"#,
        &format!(
            r#"{{"iss":"{ISS}","aud":"https://rs.example","token_introspection":{{"active":true}}}}"#
        ),
    );
    assert_eq!(rs_check(&no_iat, &k, NOW), Err(Error::MissingClaim));
    let wrong_iss = sign_raw(
        &k,
        r#"{"alg":"ES256","typ":"token-introspection+jwt"}"#,
        &claims.replace(ISS, "https://evil.example"),
    );
    assert_eq!(rs_check(&wrong_iss, &k, NOW), Err(Error::WrongIssuer));
}

fn ro(extra: &str, nbf: u64, exp: u64) -> String {
    format!(
        r#"{{"iss":"{CID}","aud":"{ISS}","client_id":"{CID}","response_type":"code","redirect_uri":"https://client.example/cb","scope":"openid","state":"s1","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","code_challenge_method":"S256","nbf":{nbf},"exp":{exp}{extra}}}"#
    )
}

fn ro_signed(k: &dyn Signer, typ: Option<&str>, claims: &str) -> String {
    let mut out = [0u8; 4096];
    let h = match typ {
        Some(t) => HeaderParams::typed(t),
        None => HeaderParams::default(),
    };
    let n = jws::sign(k, &h.with_kid(k.key_id()), claims.as_bytes(), &mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

fn verify_ro(p: &Profile, k: &dyn Signer, t: &str) -> Result<ResponseMode, Error> {
    let set = jwks_json(&[k]);
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let mut buf = vec![0u8; 16 * 1024];
    request_object::verify_request_object(
        t.as_bytes(),
        CID,
        &jwks,
        &RequestObjectConfig::new(p, ISS),
        &Backend,
        &FixedClock(NOW),
        &mut buf,
    )
    .map(|p| p.response_mode)
}

/// FAPI 2.0 Message Signing §5.3.2.1: `typ` oauth-authz-req+jwt accepted
/// (and `JWT` or none), a token of any other type refused; under every
/// profile that requires signed requests.
#[test]
fn fapi2_ms_5_3_2_1_request_object_typ() {
    let k = P256Key::new(21, "r1");
    let claims = ro(r#","response_mode":"jwt""#, NOW - 10, NOW + 600);
    for p in [Profile::FAPI2_MS, OBIE_ES256, Profile::CDR] {
        for typ in [
            Some("oauth-authz-req+jwt"),
            Some("application/oauth-authz-req+jwt"),
            Some("JWT"),
            None,
        ] {
            assert!(
                verify_ro(&p, &k, &ro_signed(&k, typ, &claims)).is_ok(),
                "{} {typ:?}",
                p.name
            );
        }
        for bad in [
            "at+jwt",
            "dpop+jwt",
            "token-introspection+jwt",
            "secevent+jwt",
            "client-authentication+jwt",
        ] {
            assert_eq!(
                verify_ro(&p, &k, &ro_signed(&k, Some(bad), &claims)),
                Err(Error::WrongType),
                "{} {bad}",
                p.name
            );
        }
    }
}

/// FAPI 2.0 Message Signing §5.3.2.1: `aud` the issuer, `exp` and `nbf`
/// required, `nbf` at most 60 minutes in the past, `exp - nbf` at most 60
/// minutes: one rule set for fapi2-ms, obie (OB-REQOBJ) and cdr
/// (CDR-REQ-TTL).
#[test]
fn fapi2_ms_5_3_2_1_request_object_aud_nbf_exp() {
    let k = P256Key::new(21, "r1");
    let jwt_mode = r#","response_mode":"jwt""#;
    for p in [Profile::FAPI2_MS, OBIE_ES256, Profile::CDR] {
        let t = |claims: &str| ro_signed(&k, Some("oauth-authz-req+jwt"), claims);
        assert!(
            verify_ro(&p, &k, &t(&ro(jwt_mode, NOW - 3599, NOW + 1))).is_ok(),
            "{}",
            p.name
        );
        assert_eq!(
            verify_ro(&p, &k, &t(&ro(jwt_mode, NOW - 3601, NOW + 1))),
            Err(Error::LifetimeTooLong)
        );
        assert_eq!(
            verify_ro(&p, &k, &t(&ro(jwt_mode, NOW - 3601, NOW - 1))),
            Err(Error::TooOld)
        );
        assert_eq!(
            verify_ro(&p, &k, &t(&ro(jwt_mode, NOW, NOW + 3601))),
            Err(Error::LifetimeTooLong)
        );
        let other_aud = ro(jwt_mode, NOW, NOW + 60).replace(ISS, "https://as.other.example");
        assert_eq!(verify_ro(&p, &k, &t(&other_aud)), Err(Error::WrongAudience));
        let array_aud = ro(jwt_mode, NOW, NOW + 60).replace(
            &format!(r#""aud":"{ISS}""#),
            &format!(r#""aud":["x","{ISS}"]"#),
        );
        assert!(verify_ro(&p, &k, &t(&array_aud)).is_ok());
        let no_nbf = format!(
            r#"{{"iss":"{CID}","aud":"{ISS}","exp":{},"response_mode":"jwt"}}"#,
            NOW + 60
        );
        assert_eq!(verify_ro(&p, &k, &t(&no_nbf)), Err(Error::MissingClaim));
        let no_exp =
            format!(r#"{{"iss":"{CID}","aud":"{ISS}","nbf":{NOW},"response_mode":"jwt"}}"#);
        assert_eq!(verify_ro(&p, &k, &t(&no_exp)), Err(Error::MissingClaim));
    }
}

/// FAPI 2.0 Message Signing §5.4: under fapi2-ms a request object without
/// `response_mode=jwt` is refused where it enters; elsewhere it is read.
#[test]
fn fapi2_ms_5_4_request_object_response_mode_jwt() {
    let k = P256Key::new(21, "r1");
    let t = |extra: &str| ro_signed(&k, Some("oauth-authz-req+jwt"), &ro(extra, NOW, NOW + 60));
    assert_eq!(
        verify_ro(&Profile::FAPI2_MS, &k, &t("")),
        Err(Error::ResponseModeRequired)
    );
    assert_eq!(
        verify_ro(&Profile::FAPI2_MS, &k, &t(r#","response_mode":"query""#)),
        Err(Error::ResponseModeRequired)
    );
    assert_eq!(
        verify_ro(
            &Profile::FAPI2_MS,
            &k,
            &t(r#","response_mode":"query.jwt""#)
        ),
        Ok(ResponseMode::Jwt)
    );
    assert_eq!(
        verify_ro(&Profile::CDR, &k, &t("")),
        Ok(ResponseMode::Query)
    );
    assert_eq!(
        verify_ro(&Profile::CDR, &k, &t(r#","response_mode":"jwt""#)),
        Ok(ResponseMode::Jwt)
    );
    assert_eq!(
        verify_ro(&Profile::CDR, &k, &t(r#","response_mode":"fragment""#)),
        Err(Error::InvalidParameter)
    );
    assert_eq!(
        Error::ResponseModeRequired
            .oauth_error(Site::RequestObject)
            .as_str(),
        "invalid_request_object"
    );
}
