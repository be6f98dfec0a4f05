//! Client assertions (RFC 7523), request objects (RFC 9101) and signed
//! Berlin Group requests, with real keys.
mod support;

use fapi_core::alg::Alg;
use fapi_core::assertion::{self, AssertionConfig};
use fapi_core::jwk::Jwks;
use fapi_core::jws::{self, HeaderParams};
use fapi_core::profile::Profile;
use fapi_core::request_object::{self, RequestObjectConfig};
use fapi_core::{Error, FixedClock, Signer, Site};
use support::*;

const ISS: &str = "https://as.example";
const TOKEN_EP: &str = "https://as.example/token";
const PAR_EP: &str = "https://as.example/par";
const CID: &str = "client-1";
const NOW: u64 = 1_700_000_000;

fn jwt(signer: &dyn Signer, payload: &str) -> String {
    let mut out = [0u8; 4096];
    let n = jws::sign(
        signer,
        &HeaderParams::default().with_kid(signer.key_id()),
        payload.as_bytes(),
        &mut out,
    )
    .unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

fn claims(aud: &str, extra: &str) -> String {
    format!(
        r#"{{"iss":"{CID}","sub":"{CID}","aud":{aud},"jti":"j-1","iat":{NOW},"exp":{}{extra}}}"#,
        NOW + 60
    )
}

fn run(
    profile: &Profile,
    token: &str,
    cfg: &AssertionConfig<'_>,
    jwks: &str,
) -> Result<assertion::VerifiedAssertion, Error> {
    let set = Jwks::from_json(jwks.as_bytes()).unwrap();
    assertion::verify_assertion(
        token.as_bytes(),
        CID,
        &set,
        cfg,
        &Backend,
        &FixedClock(NOW),
        &MemoryReplay::default(),
    )
    .inspect(|_| assert!(!profile.algs.is_empty()))
}

fn fixture() -> (P256Key, String, AssertionConfig<'static>) {
    let k = P256Key::new(11, "c1");
    let set = jwks_json(&[&k]);
    (k, set, AssertionConfig::new(&Profile::FAPI2, ISS))
}

/// The issuer as a plain string is accepted under every profile; an array
/// holding it only where RFC 7523 §3 is the rule (cdr), never under FAPI
/// 2.0 final §5.3.2.1 (F2-CLIENT-AUTH).
#[test]
fn valid_assertion_string_and_array_aud() {
    let (k, set, cfg) = fixture();
    let v = run(
        &Profile::FAPI2,
        &jwt(&k, &claims(&format!("\"{ISS}\""), "")),
        &cfg,
        &set,
    )
    .unwrap();
    assert_eq!(v.exp, NOW + 60);
    let arr = format!(r#"["https://other.example","{ISS}"]"#);
    assert_eq!(
        run(&Profile::FAPI2, &jwt(&k, &claims(&arr, "")), &cfg, &set),
        Err(Error::WrongAudience)
    );
    let cdr = AssertionConfig::new(&Profile::CDR, ISS);
    assert!(run(&Profile::CDR, &jwt(&k, &claims(&arr, "")), &cdr, &set).is_ok());
}

/// FAPI 2.0 final §5.3.2.1 (F2-CLIENT-AUTH): under fapi2 the token and PAR
/// endpoint URLs are refused as `aud` even when the caller names them;
/// RFC 7523 §3, RFC 9126 §2: under cdr they are accepted once named.
#[test]
fn wrong_audience_and_endpoint_audiences() {
    let (k, set, cfg) = fixture();
    let tok = jwt(&k, &claims(&format!("\"{TOKEN_EP}\""), ""));
    let err = run(&Profile::FAPI2, &tok, &cfg, &set).unwrap_err();
    assert_eq!(err, Error::WrongAudience);
    assert_eq!(
        err.oauth_error(Site::ClientAuthentication).as_str(),
        "invalid_client"
    );
    let eps = [TOKEN_EP, PAR_EP];
    let par = jwt(&k, &claims(&format!("\"{PAR_EP}\""), ""));
    let fapi2 = cfg.with_endpoint_audiences(&eps);
    assert_eq!(
        run(&Profile::FAPI2, &tok, &fapi2, &set),
        Err(Error::WrongAudience)
    );
    assert_eq!(
        run(&Profile::FAPI2, &par, &fapi2, &set),
        Err(Error::WrongAudience)
    );
    let cdr = AssertionConfig::new(&Profile::CDR, ISS);
    assert_eq!(
        run(&Profile::CDR, &tok, &cdr, &set),
        Err(Error::WrongAudience)
    );
    let allowing = cdr.with_endpoint_audiences(&eps);
    assert!(run(&Profile::CDR, &tok, &allowing, &set).is_ok());
    assert!(run(&Profile::CDR, &par, &allowing, &set).is_ok());
    let evil = jwt(&k, &claims("\"https://evil.example\"", ""));
    assert_eq!(
        run(&Profile::CDR, &evil, &allowing, &set),
        Err(Error::WrongAudience)
    );
    let missing = jwt(
        &k,
        &format!(
            r#"{{"iss":"{CID}","sub":"{CID}","jti":"j","exp":{}}}"#,
            NOW + 30
        ),
    );
    assert_eq!(
        run(&Profile::FAPI2, &missing, &cfg, &set),
        Err(Error::MissingClaim)
    );
}

#[test]
fn iss_not_sub_and_not_client_refused() {
    let (k, set, cfg) = fixture();
    let p = format!(
        r#"{{"iss":"{CID}","sub":"client-2","aud":"{ISS}","jti":"j","exp":{}}}"#,
        NOW + 30
    );
    assert_eq!(
        run(&Profile::FAPI2, &jwt(&k, &p), &cfg, &set),
        Err(Error::ClientMismatch)
    );
    let p = format!(
        r#"{{"iss":"client-2","sub":"client-2","aud":"{ISS}","jti":"j","exp":{}}}"#,
        NOW + 30
    );
    assert_eq!(
        run(&Profile::FAPI2, &jwt(&k, &p), &cfg, &set),
        Err(Error::ClientMismatch)
    );
    let p = format!(
        r#"{{"sub":"{CID}","aud":"{ISS}","jti":"j","exp":{}}}"#,
        NOW + 30
    );
    assert_eq!(
        run(&Profile::FAPI2, &jwt(&k, &p), &cfg, &set),
        Err(Error::MissingClaim)
    );
}

#[test]
fn exp_missing_expired_and_lifetime_too_long() {
    let (k, set, cfg) = fixture();
    let p = format!(r#"{{"iss":"{CID}","sub":"{CID}","aud":"{ISS}","jti":"j","iat":{NOW}}}"#);
    assert_eq!(
        run(&Profile::FAPI2, &jwt(&k, &p), &cfg, &set),
        Err(Error::MissingClaim)
    );
    let p = format!(r#"{{"iss":"{CID}","sub":"{CID}","aud":"{ISS}","jti":"j","exp":{NOW}}}"#);
    assert_eq!(
        run(&Profile::FAPI2, &jwt(&k, &p), &cfg, &set),
        Err(Error::Expired)
    );
    // exp - iat = 61 > 60
    let p = format!(
        r#"{{"iss":"{CID}","sub":"{CID}","aud":"{ISS}","jti":"j","iat":{NOW},"exp":{}}}"#,
        NOW + 61
    );
    assert_eq!(
        run(&Profile::FAPI2, &jwt(&k, &p), &cfg, &set),
        Err(Error::LifetimeTooLong)
    );
    // without iat: exp - now
    let p = format!(
        r#"{{"iss":"{CID}","sub":"{CID}","aud":"{ISS}","jti":"j","exp":{}}}"#,
        NOW + 3600
    );
    assert_eq!(
        run(&Profile::FAPI2, &jwt(&k, &p), &cfg, &set),
        Err(Error::LifetimeTooLong)
    );
    let longer = cfg.with_max_lifetime(3600).unwrap();
    assert!(run(&Profile::FAPI2, &jwt(&k, &p), &longer, &set).is_ok());
}

#[test]
fn iat_and_nbf_in_future_refused() {
    let (k, set, cfg) = fixture();
    let p = format!(
        r#"{{"iss":"{CID}","sub":"{CID}","aud":"{ISS}","jti":"j","iat":{},"exp":{}}}"#,
        NOW + 11,
        NOW + 30
    );
    assert_eq!(
        run(&Profile::FAPI2, &jwt(&k, &p), &cfg, &set),
        Err(Error::IssuedInFuture)
    );
    let p = format!(
        r#"{{"iss":"{CID}","sub":"{CID}","aud":"{ISS}","jti":"j","iat":{},"exp":{}}}"#,
        NOW + 10,
        NOW + 30
    );
    assert!(run(&Profile::FAPI2, &jwt(&k, &p), &cfg, &set).is_ok());
    let p = format!(
        r#"{{"iss":"{CID}","sub":"{CID}","aud":"{ISS}","jti":"j","nbf":{},"exp":{}}}"#,
        NOW + 11,
        NOW + 30
    );
    assert_eq!(
        run(&Profile::FAPI2, &jwt(&k, &p), &cfg, &set),
        Err(Error::NotYetValid)
    );
}

#[test]
fn replayed_and_missing_jti() {
    let (k, set, cfg) = fixture();
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let replay = MemoryReplay::default();
    let tok = jwt(&k, &claims(&format!("\"{ISS}\""), ""));
    let go = || {
        assertion::verify_assertion(
            tok.as_bytes(),
            CID,
            &jwks,
            &cfg,
            &Backend,
            &FixedClock(NOW),
            &replay,
        )
    };
    assert!(go().is_ok());
    assert_eq!(go(), Err(Error::Replay));
    assert_eq!(replay.entries()[0].1, NOW + 60);
    let p = format!(
        r#"{{"iss":"{CID}","sub":"{CID}","aud":"{ISS}","exp":{}}}"#,
        NOW + 30
    );
    assert_eq!(
        run(&Profile::FAPI2, &jwt(&k, &p), &cfg, &set),
        Err(Error::MissingClaim)
    );
}

#[test]
fn alg_none_hs256_refused_in_assertions() {
    let (_, set, cfg) = fixture();
    for alg in ["none", "HS256"] {
        let tok = forged(
            &format!(r#"{{"alg":"{alg}","kid":"c1"}}"#),
            &claims(&format!("\"{ISS}\""), ""),
        );
        assert_eq!(
            run(&Profile::FAPI2, &tok, &cfg, &set),
            Err(Error::UnsupportedAlg),
            "{alg}"
        );
    }
}

/// OFB-ALG: ES256 is outside Open Finance Brasil's list; CDR-ALG: EdDSA is
/// outside the CDR's.
#[test]
fn profile_alg_lists_ofb_alg_cdr_alg() {
    let es = P256Key::new(11, "c1");
    let ed = Ed25519Key::new(12, "c2");
    let set = jwks_json(&[&es, &ed]);
    let ofb = AssertionConfig::new(&Profile::OFB, ISS);
    assert_eq!(
        run(
            &Profile::OFB,
            &jwt(&es, &claims(&format!("\"{ISS}\""), "")),
            &ofb,
            &set
        ),
        Err(Error::AlgNotAllowed)
    );
    let cdr = AssertionConfig::new(&Profile::CDR, ISS);
    assert_eq!(
        run(
            &Profile::CDR,
            &jwt(&ed, &claims(&format!("\"{ISS}\""), "")),
            &cdr,
            &set
        ),
        Err(Error::AlgNotAllowed)
    );
    assert!(
        run(
            &Profile::CDR,
            &jwt(&es, &claims(&format!("\"{ISS}\""), "")),
            &cdr,
            &set
        )
        .is_ok()
    );
    // a key not in the client's set
    let stranger = P256Key::new(13, "c1");
    let cfg = AssertionConfig::new(&Profile::FAPI2, ISS);
    assert_eq!(
        run(
            &Profile::FAPI2,
            &jwt(&stranger, &claims(&format!("\"{ISS}\""), "")),
            &cfg,
            &set
        ),
        Err(Error::BadSignature)
    );
    let unknown = P256Key::new(13, "nope");
    assert_eq!(
        run(
            &Profile::FAPI2,
            &jwt(&unknown, &claims(&format!("\"{ISS}\""), "")),
            &cfg,
            &set
        ),
        Err(Error::KeyNotFound)
    );
}

// --- request objects -------------------------------------------------------

/// The OBIE rules with ES256 in place of PS256, whose keys these tests do
/// not generate; the OB-ALG refusal of ES256 is tested on the real profile.
const OBIE_ES256: Profile = Profile {
    algs: &[Alg::Es256],
    ..Profile::OBIE
};

fn ro(extra: &str, nbf: u64, exp: u64) -> String {
    format!(
        r#"{{"iss":"{CID}","aud":"{ISS}","client_id":"{CID}","response_type":"code","redirect_uri":"https://client.example/cb","scope":"openid accounts","state":"s1","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","code_challenge_method":"S256","nonce":"n-1","nbf":{nbf},"exp":{exp}{extra}}}"#
    )
}

fn verify_ro<'b>(
    profile: &Profile,
    token: &str,
    set: &str,
    buf: &'b mut [u8],
) -> Result<request_object::AuthorizationParams<'b>, Error> {
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let cfg = RequestObjectConfig::new(profile, ISS);
    request_object::verify_request_object(
        token.as_bytes(),
        CID,
        &jwks,
        &cfg,
        &Backend,
        &FixedClock(NOW),
        buf,
    )
}

#[test]
fn request_object_parameters_and_intent() {
    let k = P256Key::new(21, "r1");
    let set = jwks_json(&[&k]);
    let intent = r#","claims":{"id_token":{"openbanking_intent_id":{"value":"urn-alphabank-intent-58923","essential":true}}}"#;
    let tok = jwt(&k, &ro(intent, NOW - 10, NOW + 600));
    let mut buf = [0u8; 8192];
    let p = verify_ro(&OBIE_ES256, &tok, &set, &mut buf).unwrap();
    assert_eq!(p.client_id, CID);
    assert_eq!(p.redirect_uri, Some("https://client.example/cb"));
    assert_eq!(p.response_type, Some("code"));
    assert_eq!(p.code_challenge_method, Some("S256"));
    assert_eq!(p.state, Some("s1"));
    assert_eq!(p.nonce, Some("n-1"));
    assert_eq!(p.openbanking_intent_id, Some("urn-alphabank-intent-58923"));
    assert!(p.intent_essential);
    let cdr =
        r#","claims":{"sharing_duration":7776000,"cdr_arrangement_id":"arr-1"},"dpop_jkt":"abc"}"#;
    let tok = jwt(&k, &ro(&cdr[..cdr.len() - 1], NOW - 10, NOW + 600));
    let mut buf = [0u8; 8192];
    let p = verify_ro(&Profile::CDR, &tok, &set, &mut buf).unwrap();
    assert_eq!(p.cdr_arrangement_id, Some("arr-1"));
    assert_eq!(p.sharing_duration, Some(7_776_000));
    assert_eq!(p.dpop_jkt, Some("abc"));
}

/// RFC 9101 §4, RFC 9126 §2.1: a request object carrying `request_uri` or
/// `request` is refused (`invalid_request_object`), under every profile.
#[test]
fn rfc9101_s4_request_object_without_request_or_request_uri() {
    let k = P256Key::new(21, "r1");
    let set = jwks_json(&[&k]);
    let es256 = |p: Profile| Profile {
        algs: &[Alg::Es256],
        ..p
    };
    for profile in Profile::ALL.iter().copied().map(es256) {
        for member in ["request_uri", "request"] {
            let extra = format!(r#","{member}":"urn:example:bwc4JK-ESC0w8acc191e-Y1LTC2""#);
            let tok = jwt(&k, &ro(&extra, NOW - 10, NOW + 600));
            let mut buf = [0u8; 8192];
            let err = verify_ro(&profile, &tok, &set, &mut buf).unwrap_err();
            assert_eq!(err, Error::InvalidParameter, "{} {member}", profile.name);
            assert_eq!(
                err.oauth_error(Site::RequestObject).as_str(),
                "invalid_request_object"
            );
        }
    }
}

/// Open Finance Brasil refuses requests with `id_token_hint`: in a request
/// object under ofb it is `invalid_request_object`; the other profiles
/// take the hint (OpenID Connect).
#[test]
fn ofb_request_object_with_id_token_hint_refused() {
    let k = P256Key::new(21, "r1");
    let set = jwks_json(&[&k]);
    let tok = jwt(
        &k,
        &ro(
            r#","id_token_hint":"eyJ.eyJ.sig","response_mode":"jwt""#,
            NOW - 10,
            NOW + 600,
        ),
    );
    for p in Profile::ALL {
        let profile = Profile {
            algs: &[Alg::Es256],
            ..*p
        };
        let mut buf = [0u8; 8192];
        let got = verify_ro(&profile, &tok, &set, &mut buf).map(|_| ());
        let want = if p.id_token_hint_refused {
            Err(Error::InvalidParameter)
        } else {
            Ok(())
        };
        assert_eq!(got, want, "{}", p.name);
    }
    const { assert!(Profile::OFB.id_token_hint_refused) };
}

/// OB-REQOBJ and CDR-REQ-TTL: exp and nbf required, exp - nbf at most 60
/// minutes, nbf no older than 60 minutes.
#[test]
fn request_object_ttl_ob_reqobj_cdr_req_ttl() {
    let k = P256Key::new(21, "r1");
    let set = jwks_json(&[&k]);
    for profile in [OBIE_ES256, Profile::CDR] {
        let mut buf = [0u8; 8192];
        let long = jwt(&k, &ro("", NOW - 10, NOW - 10 + 3601));
        let err = verify_ro(&profile, &long, &set, &mut buf).unwrap_err();
        assert_eq!(err, Error::LifetimeTooLong, "{}", profile.name);
        assert_eq!(
            err.oauth_error(Site::RequestObject).as_str(),
            "invalid_request_object"
        );
        let mut buf = [0u8; 8192];
        let ok = jwt(&k, &ro("", NOW - 10, NOW - 10 + 3600));
        assert!(verify_ro(&profile, &ok, &set, &mut buf).is_ok());
        let mut buf = [0u8; 8192];
        let old = jwt(&k, &ro("", NOW - 3601, NOW - 1));
        assert_eq!(
            verify_ro(&profile, &old, &set, &mut buf).unwrap_err(),
            Error::TooOld
        );
        let no_exp = format!(r#"{{"iss":"{CID}","aud":"{ISS}","nbf":{NOW}}}"#);
        let mut buf = [0u8; 8192];
        assert_eq!(
            verify_ro(&profile, &jwt(&k, &no_exp), &set, &mut buf).unwrap_err(),
            Error::MissingClaim
        );
        let no_nbf = format!(r#"{{"iss":"{CID}","aud":"{ISS}","exp":{}}}"#, NOW + 60);
        let mut buf = [0u8; 8192];
        assert_eq!(
            verify_ro(&profile, &jwt(&k, &no_nbf), &set, &mut buf).unwrap_err(),
            Error::MissingClaim
        );
    }
}

#[test]
fn request_object_refusals() {
    let k = P256Key::new(21, "r1");
    let set = jwks_json(&[&k]);
    let p = Profile::CDR;
    let mut buf = [0u8; 8192];
    let expired = jwt(&k, &ro("", NOW - 100, NOW - 1));
    assert_eq!(
        verify_ro(&p, &expired, &set, &mut buf).unwrap_err(),
        Error::Expired
    );
    let mut buf = [0u8; 8192];
    let future = jwt(&k, &ro("", NOW + 11, NOW + 100));
    assert_eq!(
        verify_ro(&p, &future, &set, &mut buf).unwrap_err(),
        Error::NotYetValid
    );
    let mut buf = [0u8; 8192];
    let wrong_aud = jwt(
        &k,
        &ro("", NOW, NOW + 60).replace(ISS, "https://evil.example"),
    );
    assert_eq!(
        verify_ro(&p, &wrong_aud, &set, &mut buf).unwrap_err(),
        Error::WrongAudience
    );
    let mut buf = [0u8; 8192];
    let wrong_iss = jwt(&k, &ro("", NOW, NOW + 60).replacen(CID, "client-2", 1));
    assert_eq!(
        verify_ro(&p, &wrong_iss, &set, &mut buf).unwrap_err(),
        Error::WrongIssuer
    );
    let mut buf = [0u8; 8192];
    let other_client = jwt(
        &k,
        &ro("", NOW, NOW + 60).replace(r#""client_id":"client-1""#, r#""client_id":"client-2""#),
    );
    assert_eq!(
        verify_ro(&p, &other_client, &set, &mut buf).unwrap_err(),
        Error::ClientMismatch
    );
    let mut buf = [0u8; 8192];
    let long_nonce = jwt(&k, &ro("", NOW, NOW + 60).replace("n-1", &"n".repeat(65)));
    assert_eq!(
        verify_ro(&p, &long_nonce, &set, &mut buf).unwrap_err(),
        Error::InvalidParameter
    );
    let mut buf = [0u8; 8192];
    let nonce64 = jwt(&k, &ro("", NOW, NOW + 60).replace("n-1", &"n".repeat(64)));
    assert!(verify_ro(&p, &nonce64, &set, &mut buf).is_ok());
    // OB-ALG: the real OBIE profile takes PS256 only.
    let mut buf = [0u8; 8192];
    let es = jwt(&k, &ro("", NOW, NOW + 60));
    assert_eq!(
        verify_ro(&Profile::OBIE, &es, &set, &mut buf).unwrap_err(),
        Error::AlgNotAllowed
    );
    let mut buf = [0u8; 8192];
    let none = forged(r#"{"alg":"none","kid":"r1"}"#, &ro("", NOW, NOW + 60));
    assert_eq!(
        verify_ro(&p, &none, &set, &mut buf).unwrap_err(),
        Error::UnsupportedAlg
    );
}

/// BG-SIGNED-REQ: the TPP's detached JWS over the request body verifies;
/// a changed body or another key is refused.
#[test]
fn bg_signed_req_detached_signature() {
    let tpp = Ed25519Key::new(31, "qseal");
    let set = jwks_json(&[&tpp]);
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let body =
        br#"{"instructedAmount":{"currency":"EUR","amount":"123.50"},"creditorName":"Merchant"}"#;
    let attached = jwt(&tpp, core::str::from_utf8(body).unwrap());
    let mut parts = attached.split('.');
    let (h, _, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let detached = format!("{h}..{s}");
    let p = Profile::BERLIN;
    let mut scratch = [0u8; 8192];
    assert_eq!(
        request_object::verify_signed_request(
            detached.as_bytes(),
            body,
            &p,
            &jwks,
            &Backend,
            &mut scratch
        ),
        Ok(())
    );
    assert_eq!(
        request_object::verify_signed_request(
            attached.as_bytes(),
            body,
            &p,
            &jwks,
            &Backend,
            &mut scratch
        ),
        Ok(())
    );
    let changed =
        br#"{"instructedAmount":{"currency":"EUR","amount":"923.50"},"creditorName":"Merchant"}"#;
    assert_eq!(
        request_object::verify_signed_request(
            detached.as_bytes(),
            changed,
            &p,
            &jwks,
            &Backend,
            &mut scratch
        ),
        Err(Error::BadSignature)
    );
    assert_eq!(
        request_object::verify_signed_request(
            attached.as_bytes(),
            changed,
            &p,
            &jwks,
            &Backend,
            &mut scratch
        ),
        Err(Error::BadSignature)
    );
    let other = Ed25519Key::new(32, "qseal");
    let forged_sig = jwt(&other, core::str::from_utf8(body).unwrap());
    assert_eq!(
        request_object::verify_signed_request(
            forged_sig.as_bytes(),
            body,
            &p,
            &jwks,
            &Backend,
            &mut scratch
        ),
        Err(Error::BadSignature)
    );
    let mut small = [0u8; 16];
    assert_eq!(
        request_object::verify_signed_request(
            detached.as_bytes(),
            body,
            &p,
            &jwks,
            &Backend,
            &mut small
        ),
        Err(Error::BufferTooSmall)
    );
    let none = format!("{}..", b64s(br#"{"alg":"none"}"#));
    assert_eq!(
        request_object::verify_signed_request(
            none.as_bytes(),
            body,
            &p,
            &jwks,
            &Backend,
            &mut scratch
        ),
        Err(Error::UnsupportedAlg)
    );
}

/// RFC 8725 §3.11: a JWT typed as another kind of token (a DPoP proof, an
/// access token) is refused as a client assertion even when its claims
/// would pass, so one kind of token is never accepted as another.
#[test]
fn foreign_typ_refused_in_assertions() {
    let (k, set, cfg) = fixture();
    for typ in ["dpop+jwt", "at+jwt", "application/AT+JWT"] {
        let mut out = [0u8; 4096];
        let n = jws::sign(
            &k,
            &HeaderParams::typed(typ).with_kid(k.key_id()),
            claims(&format!("\"{ISS}\""), "").as_bytes(),
            &mut out,
        )
        .unwrap();
        let tok = String::from_utf8(out[..n].to_vec()).unwrap();
        assert_eq!(
            run(&Profile::FAPI2, &tok, &cfg, &set).err(),
            Some(Error::WrongType),
            "{typ}"
        );
    }
    // `JWT` and no `typ` at all are what clients send.
    let mut out = [0u8; 4096];
    let n = jws::sign(
        &k,
        &HeaderParams::typed("JWT").with_kid(k.key_id()),
        claims(&format!("\"{ISS}\""), "").as_bytes(),
        &mut out,
    )
    .unwrap();
    let tok = String::from_utf8(out[..n].to_vec()).unwrap();
    assert!(run(&Profile::FAPI2, &tok, &cfg, &set).is_ok());
}
