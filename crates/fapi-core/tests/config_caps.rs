//! Every time setting has a documented cap, as the leeways have: the DPoP
//! proof age and nonce bucket (RFC 9449 §11.1, §8), the client assertion
//! lifetime (RFC 7523 §3), and the lifetime and age of any JWT that
//! `jwt::verify` accepts (RFC 8725). A value over the cap cannot be
//! configured (`ProfileViolation`), and a JWT that claims to live longer
//! (an `exp` of `u64::MAX`) is refused (`LifetimeTooLong`).
#![allow(clippy::unwrap_used)]
mod support;

use fapi_core::assertion::{self, AssertionConfig};
use fapi_core::crypto::KeyVerifier;
use fapi_core::dpop::{self, DpopConfig, DpopRequest, NonceIssuer, NonceKey, ProofParams};
use fapi_core::jwt::{self, Expectations, Typ};
use fapi_core::profile::Profile;
use fapi_core::{Error, FixedClock, OAuthError, Signer, Site};
use support::*;

const NOW: u64 = 1_700_000_000;
const ISS: &str = "https://as.example";
const AUD: &str = "client-1";

/// RFC 9449 §11.1: a proof is accepted for a window of seconds to
/// minutes. `DpopConfig::with_max_age` refuses more than
/// `dpop::MAX_AGE_LIMIT` (a proof of `u64::MAX` seconds' age would be
/// accepted, and its `jti` remembered, for ever); the cap itself is
/// accepted and works.
#[test]
fn rfc9449_11_1_dpop_max_age_is_capped() {
    let cfg = DpopConfig::new(&Profile::FAPI2);
    const { assert!(dpop::DEFAULT_MAX_AGE <= dpop::MAX_AGE_LIMIT) };
    for refused in [dpop::MAX_AGE_LIMIT + 1, 86_400, u64::MAX, 0] {
        assert_eq!(
            cfg.with_max_age(refused).err(),
            Some(Error::ProfileViolation),
            "{refused}"
        );
    }
    let widest = cfg.with_max_age(dpop::MAX_AGE_LIMIT).unwrap();
    assert_eq!(widest.max_age(), dpop::MAX_AGE_LIMIT);

    let s = P256Key::new(3, "k");
    let uri = "https://as.example/token";
    let run = |iat: u64, jti: &str| {
        let p = ProofParams {
            htm: "POST",
            htu: uri,
            iat,
            jti,
            access_token: None,
            nonce: None,
        };
        let mut out = [0u8; 4096];
        let n = dpop::sign_proof(&s, &p, &mut out).unwrap();
        dpop::verify_proof(
            &out[..n],
            &DpopRequest {
                method: "POST",
                uri,
                nonce_binding: None,
            },
            &widest,
            &Backend,
            &FixedClock(NOW),
            &MemoryReplay::default(),
        )
        .map(|_| ())
    };
    assert_eq!(run(NOW - dpop::MAX_AGE_LIMIT, "a"), Ok(()));
    assert_eq!(run(NOW - dpop::MAX_AGE_LIMIT - 1, "b"), Err(Error::TooOld));
    assert_eq!(
        Error::ProfileViolation.oauth_error(Site::DpopProof),
        OAuthError::ServerError
    );
}

/// RFC 9449 §8: a server nonce limits how long a proof made with it is
/// good for. A nonce lives one to two buckets, so the bucket is capped at
/// `dpop::MAX_NONCE_BUCKET`: a bucket of `u64::MAX` seconds would make one
/// nonce good for ever.
#[test]
fn rfc9449_8_dpop_nonce_bucket_is_capped() {
    const { assert!(dpop::DEFAULT_NONCE_BUCKET <= dpop::MAX_NONCE_BUCKET) };
    for refused in [0, dpop::MAX_NONCE_BUCKET + 1, u64::MAX] {
        assert_eq!(
            NonceIssuer::new(NonceKey::new([7; 32]), refused).err(),
            Some(Error::ProfileViolation),
            "{refused}"
        );
    }
    let n = NonceIssuer::new(NonceKey::new([7; 32]), dpop::MAX_NONCE_BUCKET).unwrap();
    let nonce = n.issue(NOW, None).unwrap();
    assert_eq!(n.check(Some(nonce.as_str()), NOW, None), Ok(()));
}

/// RFC 7523 §3: an assertion is made for one request; the longest
/// lifetime a server may accept is capped at
/// `assertion::MAX_LIFETIME_LIMIT`, as its future skew is at
/// `assertion::MAX_FUTURE_SKEW_LIMIT`.
#[test]
fn rfc7523_3_assertion_max_lifetime_is_capped() {
    let cfg = AssertionConfig::new(&Profile::FAPI2, ISS);
    const { assert!(assertion::DEFAULT_MAX_LIFETIME <= assertion::MAX_LIFETIME_LIMIT) };
    for refused in [0, assertion::MAX_LIFETIME_LIMIT + 1, u64::MAX] {
        assert_eq!(
            cfg.with_max_lifetime(refused).err(),
            Some(Error::ProfileViolation),
            "{refused}"
        );
    }
    assert!(cfg.with_max_lifetime(assertion::MAX_LIFETIME_LIMIT).is_ok());
}

fn rules() -> Expectations<'static> {
    Expectations::new(Profile::FAPI2.algs, Typ::AbsentOr("JWT"), ISS, AUD).unwrap()
}

fn run(key: &dyn Signer, claims: &str, expect: &Expectations<'_>) -> Result<(), Error> {
    let t = sign_raw(key, r#"{"alg":"ES256"}"#, claims);
    let v = KeyVerifier::new(&Backend, key.public_key().unwrap());
    let mut buf = vec![0u8; jwt::verify_buf_len(t.len())];
    jwt::verify(t.as_bytes(), expect, &v, &FixedClock(NOW), &mut buf).map(|_| ())
}

/// RFC 8725 §2 (a JWT is a bearer of claims for a bounded time) and the
/// module's rule that every accepted JWT has a bounded life: without an
/// age limit, `exp` of `u64::MAX` was accepted. The lifetime (`exp - iat`,
/// or `exp - now` without `iat`) is capped at `jwt::MAX_LIFETIME`, which
/// `with_max_lifetime` may lower and nothing may raise; `with_max_age` is
/// capped at the same value, since with an age limit `exp` may be absent.
#[test]
fn rfc8725_jwt_lifetime_is_capped() {
    let k = P256Key::new(1, "as");
    let base = format!(r#""iss":"{ISS}","aud":"{AUD}""#);
    let with = |iat: Option<u64>, exp: u64| match iat {
        Some(iat) => format!(r#"{{{base},"iat":{iat},"exp":{exp}}}"#),
        None => format!(r#"{{{base},"exp":{exp}}}"#),
    };
    let max = jwt::MAX_LIFETIME;
    for iat in [Some(NOW), None] {
        assert_eq!(
            run(&k, &with(iat, u64::MAX), &rules()),
            Err(Error::LifetimeTooLong),
            "{iat:?}"
        );
        assert_eq!(
            run(&k, &with(iat, NOW + max + 1), &rules()),
            Err(Error::LifetimeTooLong),
            "{iat:?}"
        );
        assert_eq!(run(&k, &with(iat, NOW + max), &rules()), Ok(()), "{iat:?}");
    }
    // Issued long ago, still claiming to be valid: the lifetime counts
    // from `iat`.
    assert_eq!(
        run(&k, &with(Some(NOW - max), NOW + 1), &rules()),
        Err(Error::LifetimeTooLong)
    );
    // An age limit does not lift the cap on an `exp` that is present.
    let fresh = rules().with_max_age(60).unwrap();
    assert_eq!(
        run(&k, &with(Some(NOW), u64::MAX), &fresh),
        Err(Error::LifetimeTooLong)
    );
    // A lower cap (a JARM response: minutes).
    let jarm = rules().with_max_lifetime(600).unwrap();
    assert_eq!(jarm.max_lifetime(), 600);
    assert_eq!(run(&k, &with(Some(NOW), NOW + 600), &jarm), Ok(()));
    assert_eq!(
        run(&k, &with(Some(NOW), NOW + 601), &jarm),
        Err(Error::LifetimeTooLong)
    );
    for refused in [0, max + 1, u64::MAX] {
        assert_eq!(
            rules().with_max_lifetime(refused).err(),
            Some(Error::ProfileViolation),
            "{refused}"
        );
    }
    assert_eq!(
        rules().with_max_age(u64::MAX).err(),
        Some(Error::ProfileViolation)
    );
    assert_eq!(
        rules().with_max_age(max + 1).err(),
        Some(Error::ProfileViolation)
    );
    assert!(rules().with_max_age(max).is_ok());
    assert_eq!(rules().max_lifetime(), max);
    assert_eq!(
        Error::LifetimeTooLong.oauth_error(Site::RequestObject),
        OAuthError::InvalidRequestObject
    );
}
