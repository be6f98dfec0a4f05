//! Generic JWT verification (RFC 7519, RFC 8725): ID tokens, JARM
//! responses, signed introspection responses, signed messages.
#![allow(clippy::unwrap_used)]
mod support;

use fapi_core::alg::Alg;
use fapi_core::crypto::KeyVerifier;
use fapi_core::jwk::Jwks;
use fapi_core::jwt::{self, Expectations, MAX_LEEWAY, Typ};
use fapi_core::profile::Profile;
use fapi_core::{Error, FixedClock, Signer};
use support::*;

const NOW: u64 = 1_700_000_000;
const ISS: &str = "https://as.example";
const AUD: &str = "client-1";

fn claims(extra: &str) -> String {
    format!(
        r#"{{"iss":"{ISS}","sub":"alice","aud":"{AUD}","iat":{NOW},"exp":{}{extra}}}"#,
        NOW + 300
    )
}

fn id_token_rules() -> Expectations<'static> {
    Expectations::new(Profile::FAPI2.algs, Typ::AbsentOr("JWT"), ISS, AUD).unwrap()
}

fn run(
    key: &dyn Signer,
    token: &str,
    expect: &Expectations<'_>,
    now: u64,
) -> Result<jwt::JwtClaims<'static>, Error> {
    let v = KeyVerifier::new(&Backend, key.public_key().unwrap());
    let buf: &'static mut [u8] = vec![0u8; jwt::verify_buf_len(token.len())].leak();
    jwt::verify(token.as_bytes(), expect, &v, &FixedClock(now), buf).map(|v| v.claims)
}

/// RFC 7519 §4.1 and RFC 8725 §3: an ID token (no `typ`, or `typ` JWT)
/// verifies with its registered claims returned, and claims of its own kind
/// read from the same payload.
#[test]
fn rfc7519_4_1_generic_jwt_verifies_and_returns_claims() {
    let k = P256Key::new(1, "as");
    for header in [
        r#"{"alg":"ES256","kid":"as"}"#,
        r#"{"alg":"ES256","typ":"JWT"}"#,
        r#"{"alg":"ES256","typ":"application/jwt"}"#,
    ] {
        let t = sign_raw(&k, header, &claims(r#","jti":"j1","nbf":1699999990"#));
        let c = run(&k, &t, &id_token_rules(), NOW).unwrap();
        assert_eq!(c.iss, ISS);
        assert_eq!(c.sub, Some("alice"));
        assert!(c.aud.contains(AUD));
        assert_eq!(
            (c.exp, c.iat, c.nbf, c.jti),
            (Some(NOW + 300), Some(NOW), Some(NOW - 10), Some("j1"))
        );
    }
    // Extra claims, escaped ones too.
    let t = sign_raw(&k, r#"{"alg":"ES256"}"#, &claims(r#","nonce":"n\/\u00e9""#));
    let v = KeyVerifier::new(&Backend, k.public_key().unwrap());
    let mut buf = vec![0u8; jwt::verify_buf_len(t.len())];
    let mut verified = jwt::verify(
        t.as_bytes(),
        &id_token_rules(),
        &v,
        &FixedClock(NOW),
        &mut buf,
    )
    .unwrap();
    #[derive(serde::Deserialize)]
    struct IdToken<'a> {
        nonce: &'a str,
    }
    let id: IdToken<'_> = verified.extra().unwrap();
    assert_eq!(id.nonce, "n/é");
}

/// F2-ALG and RFC 8725 §3.1: only the caller's algorithms; `none`, HMAC
/// and RS256 never; the key's algorithm must be the header's.
#[test]
fn f2_alg_generic_jwt_algorithm_allow_list() {
    let k = P256Key::new(1, "as");
    let t = sign_raw(&k, r#"{"alg":"ES256"}"#, &claims(""));
    let ps256_only = Expectations::new(&[Alg::Ps256], Typ::AbsentOr("JWT"), ISS, AUD).unwrap();
    assert_eq!(
        run(&k, &t, &ps256_only, NOW).err(),
        Some(Error::AlgNotAllowed)
    );
    for alg in ["none", "HS256", "RS256"] {
        let t = forged(&format!(r#"{{"alg":"{alg}"}}"#), &claims(""));
        assert_eq!(
            run(&k, &t, &id_token_rules(), NOW).err(),
            Some(Error::UnsupportedAlg),
            "{alg}"
        );
    }
    let ed = Ed25519Key::new(2, "ed");
    let t = sign_raw(&ed, r#"{"alg":"EdDSA"}"#, &claims(""));
    assert_eq!(
        run(&k, &t, &id_token_rules(), NOW).err(),
        Some(Error::KeyAlgMismatch)
    );
    assert!(run(&ed, &t, &id_token_rules(), NOW).is_ok());
    // An altered token fails its signature.
    let mut bad = sign_raw(&k, r#"{"alg":"ES256"}"#, &claims(""));
    bad.replace_range(bad.len() - 3.., "AAA");
    assert_eq!(
        run(&k, &bad, &id_token_rules(), NOW).err(),
        Some(Error::BadSignature)
    );
    // No empty allow-list.
    assert_eq!(
        Expectations::new(&[], Typ::AbsentOr("JWT"), ISS, AUD).err(),
        Some(Error::ProfileViolation)
    );
}

/// RFC 8725 §3.11: explicit typing. `Typ::Required` needs the type;
/// `Typ::AbsentOr` allows none; a JWT of another type (an access token, a
/// DPoP proof) is refused by both.
#[test]
fn rfc8725_3_11_generic_jwt_typ() {
    let k = P256Key::new(1, "as");
    let introspection = Expectations::new(
        Profile::FAPI2.algs,
        Typ::Required("token-introspection+jwt"),
        ISS,
        AUD,
    )
    .unwrap();
    let typed = sign_raw(
        &k,
        r#"{"alg":"ES256","typ":"token-introspection+jwt"}"#,
        &claims(""),
    );
    let untyped = sign_raw(&k, r#"{"alg":"ES256"}"#, &claims(""));
    assert!(run(&k, &typed, &introspection, NOW).is_ok());
    assert_eq!(
        run(&k, &untyped, &introspection, NOW).err(),
        Some(Error::WrongType)
    );
    assert_eq!(
        run(&k, &typed, &id_token_rules(), NOW).err(),
        Some(Error::WrongType)
    );
    for foreign in ["at+jwt", "dpop+jwt", "application/at+jwt"] {
        let t = sign_raw(
            &k,
            &format!(r#"{{"alg":"ES256","typ":"{foreign}"}}"#),
            &claims(""),
        );
        assert_eq!(
            run(&k, &t, &id_token_rules(), NOW).err(),
            Some(Error::WrongType),
            "{foreign}"
        );
        assert_eq!(
            run(&k, &t, &introspection, NOW).err(),
            Some(Error::WrongType),
            "{foreign}"
        );
    }
}

/// RFC 7519 §4.1.1, §4.1.3 and §7.2: `iss` and `aud` required and checked;
/// the claims one JSON object without duplicates; an empty `jti` refused.
#[test]
fn rfc7519_4_1_generic_jwt_iss_aud_and_claims() {
    let k = P256Key::new(1, "as");
    let rules = id_token_rules();
    let cases: &[(String, Error)] = &[
        (
            format!(r#"{{"sub":"a","aud":"{AUD}","exp":{}}}"#, NOW + 60),
            Error::MissingClaim,
        ),
        (
            format!(
                r#"{{"iss":"https://evil","aud":"{AUD}","exp":{}}}"#,
                NOW + 60
            ),
            Error::WrongIssuer,
        ),
        (
            format!(r#"{{"iss":"{ISS}","exp":{}}}"#, NOW + 60),
            Error::MissingClaim,
        ),
        (
            format!(r#"{{"iss":"{ISS}","aud":["other"],"exp":{}}}"#, NOW + 60),
            Error::WrongAudience,
        ),
        (
            format!(r#"{{"iss":"{ISS}","aud":5,"exp":{}}}"#, NOW + 60),
            Error::Json,
        ),
        (
            format!(
                r#"{{"iss":"{ISS}","aud":"{AUD}","exp":{},"iss":"x"}}"#,
                NOW + 60
            ),
            Error::DuplicateMember,
        ),
        (
            format!(
                r#"{{"iss":"{ISS}","aud":"{AUD}","exp":{},"jti":""}}"#,
                NOW + 60
            ),
            Error::EmptyJti,
        ),
    ];
    for (body, err) in cases {
        let t = sign_raw(&k, r#"{"alg":"ES256"}"#, body);
        assert_eq!(run(&k, &t, &rules, NOW).err(), Some(*err), "{body}");
    }
    let arr = format!(
        r#"{{"iss":"{ISS}","aud":["x","{AUD}"],"exp":{}}}"#,
        NOW + 60
    );
    assert!(run(&k, &sign_raw(&k, r#"{"alg":"ES256"}"#, &arr), &rules, NOW).is_ok());
}

/// RFC 7519 §4.1.4–§4.1.6 with the FAPI 2.0 clock rules: `exp` required
/// (unless an age limit is set) and not passed, `nbf` and `iat` not in the
/// future, each with a leeway capped at 60 s; `iat` within the age limit.
#[test]
fn rfc7519_4_1_4_generic_jwt_time_claims_and_capped_leeway() {
    let k = P256Key::new(1, "as");
    let rules = id_token_rules().with_leeway(30).unwrap();
    let t = sign_raw(&k, r#"{"alg":"ES256"}"#, &claims(""));
    assert!(run(&k, &t, &rules, NOW + 300 + 29).is_ok());
    assert_eq!(
        run(&k, &t, &rules, NOW + 300 + 30).err(),
        Some(Error::Expired)
    );
    assert_eq!(
        run(&k, &t, &rules, NOW - 31).err(),
        Some(Error::IssuedInFuture)
    );
    assert!(run(&k, &t, &rules, NOW - 30).is_ok());
    let nbf = sign_raw(
        &k,
        r#"{"alg":"ES256"}"#,
        &claims(&format!(r#","nbf":{}"#, NOW + 100)),
    );
    assert_eq!(run(&k, &nbf, &rules, NOW).err(), Some(Error::NotYetValid));
    assert!(run(&k, &nbf, &rules, NOW + 70).is_ok());
    let no_exp = sign_raw(
        &k,
        r#"{"alg":"ES256"}"#,
        &format!(r#"{{"iss":"{ISS}","aud":"{AUD}","iat":{NOW}}}"#),
    );
    assert_eq!(
        run(&k, &no_exp, &rules, NOW).err(),
        Some(Error::MissingClaim)
    );

    // The leeway is capped: FAPI 2.0 refuses anything more than 60 s ahead.
    assert_eq!(MAX_LEEWAY, 60);
    assert!(id_token_rules().with_leeway(60).is_ok());
    assert_eq!(
        id_token_rules().with_leeway(61).err(),
        Some(Error::ProfileViolation)
    );
    assert_eq!(
        id_token_rules().with_leeway(3600).err(),
        Some(Error::ProfileViolation)
    );

    // An age limit (a signed introspection response, an API message):
    // `iat` required and recent; `exp` may then be absent.
    let fresh = id_token_rules().with_max_age(60).unwrap();
    assert!(run(&k, &no_exp, &fresh, NOW + 60).is_ok());
    assert_eq!(
        run(&k, &no_exp, &fresh, NOW + 61).err(),
        Some(Error::TooOld)
    );
    let no_iat = sign_raw(
        &k,
        r#"{"alg":"ES256"}"#,
        &format!(r#"{{"iss":"{ISS}","aud":"{AUD}"}}"#),
    );
    assert_eq!(
        run(&k, &no_iat, &fresh, NOW).err(),
        Some(Error::MissingClaim)
    );
    assert_eq!(
        id_token_rules().with_max_age(0).err(),
        Some(Error::ProfileViolation)
    );
}

/// RFC 7517 §5: the key chosen from a JWK Set by `kid` and `alg`.
#[test]
fn rfc7517_5_generic_jwt_with_jwks() {
    let a = P256Key::new(1, "a");
    let b = Ed25519Key::new(2, "b");
    let set = jwks_json(&[&a, &b]);
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let t = sign_raw(&b, r#"{"alg":"EdDSA","kid":"b"}"#, &claims(""));
    let mut buf = vec![0u8; jwt::verify_buf_len(t.len())];
    let v = jwt::verify_with_jwks(
        t.as_bytes(),
        &id_token_rules(),
        &Backend,
        &jwks,
        &FixedClock(NOW),
        &mut buf,
    )
    .unwrap();
    assert_eq!(v.header.kid, Some("b"));
    let t = sign_raw(&b, r#"{"alg":"EdDSA","kid":"a"}"#, &claims(""));
    let mut buf = vec![0u8; jwt::verify_buf_len(t.len())];
    assert_eq!(
        jwt::verify_with_jwks(
            t.as_bytes(),
            &id_token_rules(),
            &Backend,
            &jwks,
            &FixedClock(NOW),
            &mut buf
        )
        .err(),
        Some(Error::KeyNotFound)
    );
}
