//! JWT access tokens (RFC 9068) issued and verified with real keys.
mod support;

use fapi_core::alg::Alg;
use fapi_core::crypto::KeyVerifier;
use fapi_core::dpop::{self, DpopConfig, DpopRequest, ProofParams};
use fapi_core::jws::{self, HeaderParams};
use fapi_core::mtls::CertThumbprint;
use fapi_core::profile::Profile;
use fapi_core::token::{self, AccessTokenParams, Confirmation, Expectations, Presented};
use fapi_core::{Error, FixedClock, Signer, Site};
use support::*;

const ISS: &str = "https://as.example";
const RS: &str = "https://rs.example";
const NOW: u64 = 1_700_000_000;
const CERT: &[u8] = include_bytes!("../testdata/client-cert.der");
const OBIE_ES256: Profile = Profile {
    algs: &[Alg::Es256],
    ..Profile::OBIE
};

fn params(conf: Option<Confirmation>, lifetime: u64) -> AccessTokenParams<'static> {
    AccessTokenParams {
        issuer: ISS,
        subject: "user-1",
        audience: RS,
        client_id: "client-1",
        scope: Some("openid accounts"),
        issued_at: NOW,
        lifetime,
        confirmation: conf,
        consent_id: None,
    }
}

fn issue(
    profile: &Profile,
    signer: &dyn Signer,
    p: &AccessTokenParams<'_>,
) -> Result<String, Error> {
    let mut out = [0u8; 4096];
    let n = token::issue(profile, p, signer, &CountingRandom, &mut out)?;
    Ok(String::from_utf8(out[..n].to_vec()).unwrap())
}

fn expect() -> Expectations<'static> {
    Expectations::new(ISS, RS)
}

/// The resource request the DPoP proofs of these tests are made for.
const ACCOUNTS: DpopRequest<'static> = DpopRequest {
    method: "GET",
    uri: "https://rs.example/accounts",
    nonce_binding: None,
};

fn verify_at(
    profile: &Profile,
    as_key: &dyn Signer,
    tok: &str,
    now: u64,
    presented: &Presented<'_>,
) -> Result<(), Error> {
    let v = KeyVerifier::new(&Backend, as_key.public_key().unwrap());
    let mut buf = [0u8; 4096];
    token::verify(
        tok.as_bytes(),
        profile,
        &expect(),
        &v,
        &FixedClock(now),
        presented,
        &mut buf,
    )
    .map(|_| ())
}

/// A proof for `GET /accounts` with `at`, verified for that request and
/// that token.
fn dpop_proof(client: &dyn Signer, at: &str) -> dpop::ResourceProof {
    let p = ProofParams {
        htm: "GET",
        htu: "https://rs.example/accounts",
        iat: NOW,
        jti: "p1",
        access_token: Some(at),
        nonce: None,
    };
    let mut out = [0u8; 4096];
    let n = dpop::sign_proof(client, &p, &mut out).unwrap();
    dpop::verify_resource_proof(
        &out[..n],
        &ACCOUNTS,
        at,
        &DpopConfig::new(&Profile::FAPI2),
        &Backend,
        &FixedClock(NOW),
        &MemoryReplay::default(),
    )
    .unwrap()
}

#[test]
fn dpop_bound_token_round_trip() {
    let as_key = P256Key::new(41, "as-1");
    let client = P256Key::new(42, "c");
    let jkt = client.public_key().unwrap().thumbprint();
    let tok = issue(
        &Profile::FAPI2,
        &as_key,
        &params(Some(Confirmation::Jkt(jkt)), 300),
    )
    .unwrap();
    // The payload is what RFC 9068 asks for.
    let payload: serde_json::Value = {
        let mid = tok.split('.').nth(1).unwrap();
        let mut buf = vec![0u8; mid.len()];
        serde_json::from_slice(fapi_core::b64::decode(mid.as_bytes(), &mut buf).unwrap()).unwrap()
    };
    for claim in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "jti",
        "client_id",
        "scope",
    ] {
        assert!(payload.get(claim).is_some(), "{claim}");
    }
    assert_eq!(payload["exp"], NOW + 300);
    assert_eq!(payload["cnf"]["jkt"], jkt.to_b64().as_str());
    let proof = dpop_proof(&client, &tok);
    let v = KeyVerifier::new(&Backend, as_key.public_key().unwrap());
    let mut buf = [0u8; 4096];
    let presented = Presented::dpop(&proof, &ACCOUNTS);
    let c = token::verify(
        tok.as_bytes(),
        &Profile::FAPI2,
        &expect(),
        &v,
        &FixedClock(NOW + 1),
        &presented,
        &mut buf,
    )
    .unwrap();
    assert_eq!(c.subject, "user-1");
    assert_eq!(c.client_id, "client-1");
    assert!(c.has_scope("accounts"));
    assert!(!c.has_scope("payments"));
    assert_eq!(c.jti.len(), token::JTI_LEN);
    // Another key's proof, and no proof.
    let other = dpop_proof(&P256Key::new(43, "o"), &tok);
    let err = verify_at(
        &Profile::FAPI2,
        &as_key,
        &tok,
        NOW,
        &Presented::dpop(&other, &ACCOUNTS),
    )
    .unwrap_err();
    assert_eq!(err, Error::DpopKeyMismatch);
    assert_eq!(
        err.oauth_error(Site::ResourceRequest).as_str(),
        "invalid_dpop_proof"
    );
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, &tok, NOW, &Presented::default()),
        Err(Error::DpopMissing)
    );
}

/// CDR-HOK: a certificate-bound token with the CDR arrangement id; another
/// certificate is refused.
#[test]
fn cdr_hok_certificate_bound_token() {
    let as_key = P256Key::new(41, "as-1");
    let x5t = CertThumbprint::of_der(CERT);
    let mut p = params(Some(Confirmation::X5tS256(x5t)), 300);
    p.consent_id = Some("arr-7");
    let tok = issue(&Profile::CDR, &as_key, &p).unwrap();
    let v = KeyVerifier::new(&Backend, as_key.public_key().unwrap());
    let mut buf = [0u8; 4096];
    let pres = Presented::certificate(CERT);
    let c = token::verify(
        tok.as_bytes(),
        &Profile::CDR,
        &expect(),
        &v,
        &FixedClock(NOW),
        &pres,
        &mut buf,
    )
    .unwrap();
    assert_eq!(c.consent_id, Some("arr-7"));
    assert_eq!(
        c.cnf_x5t_s256,
        Some(core::str::from_utf8(&x5t.to_b64()).unwrap())
    );
    let wrong = Presented::certificate(b"another certificate");
    assert_eq!(
        verify_at(&Profile::CDR, &as_key, &tok, NOW, &wrong),
        Err(Error::CertificateMismatch)
    );
    assert_eq!(
        verify_at(&Profile::CDR, &as_key, &tok, NOW, &Presented::default()),
        Err(Error::CertificateMismatch)
    );
    // CDR-HOK: a DPoP-bound token is not issued under the CDR.
    let jkt = Confirmation::Jkt(P256Key::new(42, "c").public_key().unwrap().thumbprint());
    assert_eq!(
        issue(&Profile::CDR, &as_key, &params(Some(jkt), 300)),
        Err(Error::SenderConstraintMissing)
    );
}

/// OB-INTENT: the consent id travels as openbanking_intent_id.
#[test]
fn ob_intent_claim() {
    let as_key = P256Key::new(41, "as-1");
    let mut p = params(
        Some(Confirmation::X5tS256(CertThumbprint::of_der(CERT))),
        300,
    );
    p.consent_id = Some("urn-alphabank-intent-58923");
    let tok = issue(&OBIE_ES256, &as_key, &p).unwrap();
    assert!(tok.split('.').nth(1).is_some());
    let v = KeyVerifier::new(&Backend, as_key.public_key().unwrap());
    let mut buf = [0u8; 4096];
    let pres = Presented::certificate(CERT);
    let c = token::verify(
        tok.as_bytes(),
        &OBIE_ES256,
        &expect(),
        &v,
        &FixedClock(NOW),
        &pres,
        &mut buf,
    )
    .unwrap();
    assert_eq!(c.consent_id, Some("urn-alphabank-intent-58923"));
    // No consent claim under fapi2: refused rather than dropped.
    let mut p = params(
        Some(Confirmation::X5tS256(CertThumbprint::of_der(CERT))),
        300,
    );
    p.consent_id = Some("x");
    assert_eq!(
        issue(&Profile::FAPI2, &as_key, &p),
        Err(Error::InvalidParameter)
    );
}

/// F2-SENDER: no token is issued without a sender constraint, and a bearer
/// token is refused at the resource server.
#[test]
fn f2_sender_bearer_refused() {
    let as_key = P256Key::new(41, "as-1");
    assert_eq!(
        issue(&Profile::FAPI2, &as_key, &params(None, 300)),
        Err(Error::SenderConstraintMissing)
    );
    let bearer = format!(
        r#"{{"iss":"{ISS}","sub":"u","aud":"{RS}","exp":{},"iat":{NOW},"jti":"j","client_id":"c"}}"#,
        NOW + 300
    );
    let mut out = [0u8; 4096];
    let n = jws::sign(
        &as_key,
        &HeaderParams::typed("at+jwt"),
        bearer.as_bytes(),
        &mut out,
    )
    .unwrap();
    let tok = core::str::from_utf8(&out[..n]).unwrap();
    let err = verify_at(&Profile::FAPI2, &as_key, tok, NOW, &Presented::default()).unwrap_err();
    assert_eq!(err, Error::SenderConstraintMissing);
    assert_eq!(
        err.oauth_error(Site::ResourceRequest).as_str(),
        "invalid_token"
    );
}

/// CDR-AT-TTL and OFB-AT-TTL at issuance.
#[test]
fn at_ttl_cdr_ofb_at_issue() {
    let as_key = P256Key::new(41, "as-1");
    let conf = Some(Confirmation::X5tS256(CertThumbprint::of_der(CERT)));
    assert_eq!(
        issue(&Profile::CDR, &as_key, &params(conf, 601)),
        Err(Error::LifetimeTooLong)
    );
    assert_eq!(
        issue(&Profile::CDR, &as_key, &params(conf, 119)),
        Err(Error::LifetimeTooShort)
    );
    assert!(issue(&Profile::CDR, &as_key, &params(conf, 600)).is_ok());
    let ofb_es = Profile {
        algs: &[Alg::Es256],
        ..Profile::OFB
    };
    assert_eq!(
        issue(&ofb_es, &as_key, &params(conf, 901)),
        Err(Error::LifetimeTooLong)
    );
    assert_eq!(
        issue(&ofb_es, &as_key, &params(conf, 299)),
        Err(Error::LifetimeTooShort)
    );
    assert!(issue(&ofb_es, &as_key, &params(conf, 900)).is_ok());
}

/// OB-ALG, OFB-ALG, CDR-ALG: each profile refuses an algorithm outside its
/// list, at issuance and at the resource server.
#[test]
fn profile_algs_ob_alg_ofb_alg_cdr_alg() {
    let es = P256Key::new(41, "as-1");
    let ed = Ed25519Key::new(44, "as-2");
    let conf = Some(Confirmation::X5tS256(CertThumbprint::of_der(CERT)));
    let pres = Presented::certificate(CERT);
    // OB-ALG and OFB-ALG: PS256 only, so ES256 is refused.
    let es_tok = issue(&Profile::FAPI2, &es, &params(conf, 300)).unwrap();
    for p in [Profile::OBIE, Profile::OFB] {
        assert_eq!(
            verify_at(&p, &es, &es_tok, NOW, &pres),
            Err(Error::AlgNotAllowed),
            "{}",
            p.name
        );
        assert_eq!(
            issue(&p, &es, &params(conf, 300)),
            Err(Error::AlgNotAllowed),
            "{}",
            p.name
        );
    }
    // CDR-ALG: PS256 or ES256, so EdDSA is refused and ES256 accepted.
    let ed_tok = issue(&Profile::FAPI2, &ed, &params(conf, 300)).unwrap();
    assert_eq!(
        verify_at(&Profile::CDR, &ed, &ed_tok, NOW, &pres),
        Err(Error::AlgNotAllowed)
    );
    assert_eq!(
        issue(&Profile::CDR, &ed, &params(conf, 300)),
        Err(Error::AlgNotAllowed)
    );
    assert!(verify_at(&Profile::CDR, &es, &es_tok, NOW, &pres).is_ok());
    assert_eq!(
        Error::AlgNotAllowed
            .oauth_error(Site::ResourceRequest)
            .as_str(),
        "invalid_token"
    );
}

#[test]
fn resource_server_refusals() {
    let as_key = P256Key::new(41, "as-1");
    let conf = Some(Confirmation::X5tS256(CertThumbprint::of_der(CERT)));
    let pres = Presented::certificate(CERT);
    let tok = issue(&Profile::FAPI2, &as_key, &params(conf, 300)).unwrap();
    assert!(verify_at(&Profile::FAPI2, &as_key, &tok, NOW, &pres).is_ok());
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, &tok, NOW + 300, &pres),
        Err(Error::Expired)
    );
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, &tok, NOW - 11, &pres),
        Err(Error::IssuedInFuture)
    );
    // signed by another key
    assert_eq!(
        verify_at(&Profile::FAPI2, &P256Key::new(45, "x"), &tok, NOW, &pres),
        Err(Error::BadSignature)
    );
    // wrong issuer, audience, typ
    let mut p = params(conf, 300);
    p.issuer = "https://evil.example";
    let t = issue(&Profile::FAPI2, &as_key, &p).unwrap();
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, &t, NOW, &pres),
        Err(Error::WrongIssuer)
    );
    let mut p = params(conf, 300);
    p.audience = "https://other-rs.example";
    let t = issue(&Profile::FAPI2, &as_key, &p).unwrap();
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, &t, NOW, &pres),
        Err(Error::WrongAudience)
    );
    let body = format!(
        r#"{{"iss":"{ISS}","sub":"u","aud":"{RS}","exp":{},"iat":{NOW},"jti":"j","client_id":"c"}}"#,
        NOW + 60
    );
    let mut out = [0u8; 4096];
    let n = jws::sign(
        &as_key,
        &HeaderParams::typed("JWT"),
        body.as_bytes(),
        &mut out,
    )
    .unwrap();
    let t = core::str::from_utf8(&out[..n]).unwrap();
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, t, NOW, &pres),
        Err(Error::WrongType)
    );
    // missing client_id
    let body = format!(
        r#"{{"iss":"{ISS}","sub":"u","aud":"{RS}","exp":{},"iat":{NOW},"jti":"j"}}"#,
        NOW + 60
    );
    let n = jws::sign(
        &as_key,
        &HeaderParams::typed("at+jwt"),
        body.as_bytes(),
        &mut out,
    )
    .unwrap();
    let t = core::str::from_utf8(&out[..n]).unwrap();
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, t, NOW, &pres),
        Err(Error::MissingClaim)
    );
    // alg none
    let t = forged(r#"{"alg":"none","typ":"at+jwt"}"#, &body);
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, &t, NOW, &pres),
        Err(Error::UnsupportedAlg)
    );
}

/// F2-SENDER: a token bound both to a DPoP key and to a certificate is
/// accepted only when the request presents both; neither binding is skipped
/// because the other holds.
#[test]
fn f2_sender_every_binding_is_checked() {
    let as_key = P256Key::new(41, "as-1");
    let client = P256Key::new(42, "c");
    let jkt = client.public_key().unwrap().thumbprint().to_b64();
    let x5t_bytes = CertThumbprint::of_der(CERT).to_b64();
    let x5t = core::str::from_utf8(&x5t_bytes).unwrap();
    let claims = format!(
        r#"{{"iss":"{ISS}","sub":"u","aud":"{RS}","exp":{},"iat":{NOW},"jti":"j","client_id":"c","cnf":{{"jkt":"{}","x5t#S256":"{}"}}}}"#,
        NOW + 300,
        jkt.as_str(),
        x5t
    );
    let mut out = [0u8; 4096];
    let n = jws::sign(
        &as_key,
        &HeaderParams::typed("at+jwt"),
        claims.as_bytes(),
        &mut out,
    )
    .unwrap();
    let tok = core::str::from_utf8(&out[..n]).unwrap();
    let proof = dpop_proof(&client, tok);
    let dpop_only = Presented::dpop(&proof, &ACCOUNTS);
    let cert_only = Presented::certificate(CERT);
    let both = Presented::dpop(&proof, &ACCOUNTS).with_certificate(CERT);
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, tok, NOW, &dpop_only),
        Err(Error::CertificateMismatch)
    );
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, tok, NOW, &cert_only),
        Err(Error::DpopMissing)
    );
    assert_eq!(verify_at(&Profile::FAPI2, &as_key, tok, NOW, &both), Ok(()));
}

/// An `at+jwt` over exactly `claims`, signed by `as_key`.
fn signed_token(as_key: &dyn Signer, claims: &str) -> String {
    let mut out = [0u8; 4096];
    let n = jws::sign(
        as_key,
        &HeaderParams::typed("at+jwt"),
        claims.as_bytes(),
        &mut out,
    )
    .unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

/// RFC 9449 §4.3 step 12 and §7.1, F2-SENDER: the resource server accepts
/// a DPoP proof only when it was verified for this very access token and
/// this request. Refused: a proof whose `ath` is another token's (even one
/// bound to the same key), a proof verified for another method or URI
/// (the token endpoint's `POST /token`, another resource), and a token
/// endpoint proof verified as a resource proof. (A proof verified without
/// an access token is a `DpopProof`, which `Presented` does not take: see
/// the `compile_fail` example on `token::Presented`.)
#[test]
fn f2_sender_rfc9449_7_1_proof_bound_to_this_token_and_request() {
    let as_key = P256Key::new(41, "as-1");
    let client = P256Key::new(42, "c");
    let jkt = client.public_key().unwrap().thumbprint();
    let conf = Some(Confirmation::Jkt(jkt));
    let tok_a = issue(&Profile::FAPI2, &as_key, &params(conf, 300)).unwrap();
    let mut other = params(conf, 300);
    other.subject = "user-2";
    let tok_b = issue(&Profile::FAPI2, &as_key, &other).unwrap();
    assert_ne!(tok_a, tok_b);

    // The proof made for token B, by the same key, with token A: the key
    // binding alone (cnf.jkt) would pass; ath does not.
    let for_b = dpop_proof(&client, &tok_b);
    let err = verify_at(
        &Profile::FAPI2,
        &as_key,
        &tok_a,
        NOW,
        &Presented::dpop(&for_b, &ACCOUNTS),
    )
    .unwrap_err();
    assert_eq!(err, Error::DpopAth);
    assert_eq!(
        err.oauth_error(Site::ResourceRequest).as_str(),
        "invalid_dpop_proof"
    );
    // The proof for token A on GET /accounts, presented with another
    // request: another method, another resource, the token endpoint.
    let for_a = dpop_proof(&client, &tok_a);
    assert_eq!(
        verify_at(
            &Profile::FAPI2,
            &as_key,
            &tok_a,
            NOW,
            &Presented::dpop(&for_a, &ACCOUNTS)
        ),
        Ok(())
    );
    for (request, want) in [
        (
            DpopRequest {
                method: "POST",
                ..ACCOUNTS
            },
            Error::DpopMethod,
        ),
        (
            DpopRequest {
                uri: "https://rs.example/payments",
                ..ACCOUNTS
            },
            Error::DpopUri,
        ),
        (
            DpopRequest {
                method: "POST",
                uri: "https://as.example/token",
                nonce_binding: None,
            },
            Error::DpopMethod,
        ),
    ] {
        assert_eq!(
            verify_at(
                &Profile::FAPI2,
                &as_key,
                &tok_a,
                NOW,
                &Presented::dpop(&for_a, &request)
            ),
            Err(want),
            "{request:?}"
        );
    }

    // A token endpoint proof (POST /token), replayed at the resource
    // server: it has no ath, so it never becomes a resource proof ...
    let token_endpoint = DpopRequest {
        method: "POST",
        uri: "https://as.example/token",
        nonce_binding: None,
    };
    let sign = |at: Option<&str>, jti: &str| {
        let p = ProofParams {
            htm: "POST",
            htu: "https://as.example/token",
            iat: NOW,
            jti,
            access_token: at,
            nonce: None,
        };
        let mut out = [0u8; 4096];
        let n = dpop::sign_proof(&client, &p, &mut out).unwrap();
        out[..n].to_vec()
    };
    let verify_rs = |proof: &[u8], request: &DpopRequest<'_>| {
        dpop::verify_resource_proof(
            proof,
            request,
            &tok_a,
            &DpopConfig::new(&Profile::FAPI2),
            &Backend,
            &FixedClock(NOW),
            &MemoryReplay::default(),
        )
    };
    let te = sign(None, "te-1");
    assert_eq!(verify_rs(&te, &ACCOUNTS), Err(Error::DpopMethod));
    assert_eq!(verify_rs(&te, &token_endpoint), Err(Error::DpopAth));
    // ... and one that does carry this token's ath is good for POST /token
    // only, not for the request the resource server is serving.
    let te_ath = verify_rs(&sign(Some(&tok_a), "te-2"), &token_endpoint).unwrap();
    assert_eq!(
        verify_at(
            &Profile::FAPI2,
            &as_key,
            &tok_a,
            NOW,
            &Presented::dpop(&te_ath, &ACCOUNTS)
        ),
        Err(Error::DpopMethod)
    );
}

/// CDR-AT-TTL and OFB-AT-TTL at the resource server: a token whose
/// lifetime `exp - iat` is longer than the profile allows is refused
/// however it was issued; the longest allowed lifetime passes. Profiles
/// without a maximum (fapi2) accept a long one.
#[test]
fn cdr_at_ttl_ofb_at_ttl_enforced_at_resource_server() {
    let as_key = P256Key::new(41, "as-1");
    let x5t = CertThumbprint::of_der(CERT).to_b64();
    let x5t = core::str::from_utf8(&x5t).unwrap();
    let claims = |lifetime: u64| {
        format!(
            r#"{{"iss":"{ISS}","sub":"u","aud":"{RS}","exp":{},"iat":{},"jti":"j","client_id":"c","cnf":{{"x5t#S256":"{x5t}"}}}}"#,
            NOW - 100 + lifetime,
            NOW - 100
        )
    };
    let ofb_es256 = Profile {
        algs: &[Alg::Es256],
        ..Profile::OFB
    };
    let pres = Presented::certificate(CERT);
    for (profile, max) in [(Profile::CDR, 600), (ofb_es256, 900)] {
        let long = signed_token(&as_key, &claims(max + 1));
        let err = verify_at(&profile, &as_key, &long, NOW, &pres).unwrap_err();
        assert_eq!(err, Error::LifetimeTooLong, "{}", profile.name);
        assert_eq!(
            err.oauth_error(Site::ResourceRequest).as_str(),
            "invalid_token"
        );
        let ok = signed_token(&as_key, &claims(max));
        assert_eq!(verify_at(&profile, &as_key, &ok, NOW, &pres), Ok(()));
    }
    let day = signed_token(&as_key, &claims(86_400));
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, &day, NOW, &pres),
        Ok(())
    );
}

/// RFC 9068 §2.2: `jti` is a required claim of a JWT access token, and an
/// empty one identifies nothing (no revocation list or replay record can
/// name it): refused as `EmptyJti`, as `jwt::verify`, DPoP proofs and
/// client assertions refuse it; an absent one is `MissingClaim`. Both are
/// `invalid_token` at the resource server.
#[test]
fn rfc9068_2_2_empty_jti_is_refused() {
    let as_key = P256Key::new(41, "as-1");
    let x5t = CertThumbprint::of_der(CERT).to_b64();
    let x5t = core::str::from_utf8(&x5t).unwrap();
    let claims = |jti: &str| {
        format!(
            r#"{{"iss":"{ISS}","sub":"u","aud":"{RS}","exp":{},"iat":{NOW}{jti},"client_id":"c","cnf":{{"x5t#S256":"{x5t}"}}}}"#,
            NOW + 300
        )
    };
    let pres = Presented::certificate(CERT);
    let ok = signed_token(&as_key, &claims(r#","jti":"j""#));
    assert_eq!(verify_at(&Profile::FAPI2, &as_key, &ok, NOW, &pres), Ok(()));
    let empty = signed_token(&as_key, &claims(r#","jti":"""#));
    let err = verify_at(&Profile::FAPI2, &as_key, &empty, NOW, &pres).unwrap_err();
    assert_eq!(err, Error::EmptyJti);
    assert_eq!(
        err.oauth_error(Site::ResourceRequest).as_str(),
        "invalid_token"
    );
    let absent = signed_token(&as_key, &claims(""));
    assert_eq!(
        verify_at(&Profile::FAPI2, &as_key, &absent, NOW, &pres),
        Err(Error::MissingClaim)
    );
}
