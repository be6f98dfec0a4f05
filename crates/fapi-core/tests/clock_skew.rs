//! FAPI 2.0 Security Profile clock skew: accept `iat`/`nbf` up to 10 s in
//! the future by default, and never more than 60 s, however a server is
//! configured. DPoP proofs (`dpop::DpopConfig`) and client assertions
//! (`assertion::AssertionConfig`) are tested beside their code; this file
//! holds the access token leeway and the request object skew.
mod support;

use fapi_core::jwk::Jwks;
use fapi_core::jws::{self, HeaderParams};
use fapi_core::mtls::CertThumbprint;
use fapi_core::profile::Profile;
use fapi_core::request_object::{self, RequestObjectConfig};
use fapi_core::token::{self, Expectations, Presented};
use fapi_core::{Error, FixedClock, Signer, crypto::KeyVerifier};
use support::*;

const ISS: &str = "https://as.example";
const RS: &str = "https://rs.example";
const CID: &str = "client-1";
const NOW: u64 = 1_700_000_000;
const CERT: &[u8] = include_bytes!("../testdata/client-cert.der");

fn jws(signer: &dyn Signer, typ: Option<&str>, payload: &str) -> String {
    let header = HeaderParams {
        typ,
        kid: Some(signer.key_id()),
        jwk: None,
    };
    let mut out = [0u8; 4096];
    let n = jws::sign(signer, &header, payload.as_bytes(), &mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

/// A certificate-bound access token issued at `iat`, valid 300 s from then.
fn access_token(as_key: &dyn Signer, iat: u64) -> String {
    let x5t = CertThumbprint::of_der(CERT).to_b64();
    let claims = format!(
        r#"{{"iss":"{ISS}","sub":"u","aud":"{RS}","exp":{},"iat":{iat},"jti":"j","client_id":"{CID}","cnf":{{"x5t#S256":"{}"}}}}"#,
        iat + 300,
        core::str::from_utf8(&x5t).unwrap()
    );
    jws(as_key, Some("at+jwt"), &claims)
}

fn verify_token(as_key: &dyn Signer, tok: &str, expect: &Expectations<'_>) -> Result<(), Error> {
    let v = KeyVerifier::new(&Backend, as_key.public_key().unwrap());
    let mut buf = [0u8; 4096];
    token::verify(
        tok.as_bytes(),
        &Profile::FAPI2,
        expect,
        &v,
        &FixedClock(NOW),
        &Presented::certificate(CERT),
        &mut buf,
    )
    .map(|_| ())
}

/// FAPI 2.0 clock skew at the resource server: the access token leeway
/// for `iat` and `nbf` is 10 s by default and configurable up to 60 s; a
/// larger one (a 3600 s leeway would accept a token issued 50 minutes in
/// the future) is refused when it is configured, with
/// `Error::ProfileViolation`.
#[test]
fn fapi2_access_token_leeway_capped_at_60_seconds() {
    let as_key = P256Key::new(41, "as-1");
    let default = Expectations::new(ISS, RS);
    assert_eq!(default.leeway(), token::DEFAULT_LEEWAY);
    assert_eq!(default.issuer(), ISS);
    assert_eq!(default.audience(), RS);
    for leeway in [61, 3600, u64::MAX] {
        assert_eq!(
            default.with_leeway(leeway).err(),
            Some(Error::ProfileViolation),
            "{leeway}"
        );
    }
    assert_eq!(
        Error::ProfileViolation
            .oauth_error(fapi_core::Site::ResourceRequest)
            .as_str(),
        "server_error"
    );
    // Default: 10 s accepted, 11 s refused.
    assert_eq!(
        verify_token(&as_key, &access_token(&as_key, NOW + 10), &default),
        Ok(())
    );
    assert_eq!(
        verify_token(&as_key, &access_token(&as_key, NOW + 11), &default),
        Err(Error::IssuedInFuture)
    );
    // The widest leeway there is: 60 s accepted, 61 s refused.
    let widest = default.with_leeway(token::MAX_LEEWAY).unwrap();
    assert_eq!(widest.leeway(), 60);
    assert_eq!(
        verify_token(&as_key, &access_token(&as_key, NOW + 60), &widest),
        Ok(())
    );
    assert_eq!(
        verify_token(&as_key, &access_token(&as_key, NOW + 61), &widest),
        Err(Error::IssuedInFuture)
    );
    // 50 minutes in the future: refused whatever can be configured.
    assert_eq!(
        verify_token(&as_key, &access_token(&as_key, NOW + 3000), &widest),
        Err(Error::IssuedInFuture)
    );
}

fn request_object(signer: &dyn Signer, nbf: u64) -> String {
    let claims = format!(
        r#"{{"iss":"{CID}","aud":"{ISS}","client_id":"{CID}","response_type":"code","redirect_uri":"https://client.example/cb","scope":"accounts","nbf":{nbf},"exp":{}}}"#,
        nbf + 300
    );
    jws(signer, None, &claims)
}

fn verify_ro(signer: &dyn Signer, jwt: &str, cfg: &RequestObjectConfig<'_>) -> Result<(), Error> {
    let set = jwks_json(&[signer]);
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let mut buf = [0u8; 8192];
    request_object::verify_request_object(
        jwt.as_bytes(),
        CID,
        &jwks,
        cfg,
        &Backend,
        &FixedClock(NOW),
        &mut buf,
    )
    .map(|_| ())
}

/// FAPI 2.0 clock skew for request objects (FAPI 2.0 Message Signing,
/// OB-REQOBJ): `nbf` up to 10 s in the future by default, configurable up
/// to 60 s; a larger skew is refused with `Error::ProfileViolation`.
#[test]
fn fapi2_request_object_skew_capped_at_60_seconds_ob_reqobj() {
    let k = P256Key::new(21, "r1");
    let cfg = RequestObjectConfig::new(&Profile::FAPI2, ISS);
    assert_eq!(
        cfg.max_future_skew(),
        request_object::DEFAULT_MAX_FUTURE_SKEW
    );
    for skew in [61, 3600, u64::MAX] {
        assert_eq!(
            cfg.with_max_future_skew(skew).err(),
            Some(Error::ProfileViolation),
            "{skew}"
        );
    }
    assert_eq!(verify_ro(&k, &request_object(&k, NOW + 10), &cfg), Ok(()));
    assert_eq!(
        verify_ro(&k, &request_object(&k, NOW + 11), &cfg),
        Err(Error::NotYetValid)
    );
    let widest = cfg
        .with_max_future_skew(request_object::MAX_FUTURE_SKEW_LIMIT)
        .unwrap();
    assert_eq!(widest.max_future_skew(), 60);
    assert_eq!(
        verify_ro(&k, &request_object(&k, NOW + 60), &widest),
        Ok(())
    );
    assert_eq!(
        verify_ro(&k, &request_object(&k, NOW + 61), &widest),
        Err(Error::NotYetValid)
    );
}
