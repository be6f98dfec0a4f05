//! DPoP proofs (RFC 9449) with real keys.
mod support;

use fapi_core::dpop::{self, DpopConfig, DpopRequest, NonceIssuer, NonceKey, ProofParams};
use fapi_core::profile::Profile;
use fapi_core::{Error, FixedClock, Signer, Site};
use support::*;

const RFC_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
const RFC_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
/// RFC 9449 §7.1 Figure 12: a resource request proof with `ath`.
const RFC_RS_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";
const RFC_AT: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

const NOW: u64 = 1_700_000_000;
const URI: &str = "https://as.example/token";

fn req<'a>(method: &'a str, uri: &'a str) -> DpopRequest<'a> {
    DpopRequest {
        method,
        uri,
        nonce_binding: None,
    }
}

fn proof(signer: &dyn Signer, htm: &str, htu: &str, iat: u64, jti: &str) -> String {
    let p = ProofParams {
        htm,
        htu,
        iat,
        jti,
        access_token: None,
        nonce: None,
    };
    let mut out = [0u8; 4096];
    let n = dpop::sign_proof(signer, &p, &mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

fn check(
    proof: &str,
    r: &DpopRequest<'_>,
    cfg: &DpopConfig<'_>,
    now: u64,
) -> Result<dpop::DpopProof, Error> {
    dpop::verify_proof(
        proof.as_bytes(),
        r,
        cfg,
        &Backend,
        &FixedClock(now),
        &MemoryReplay::default(),
    )
}

/// A resource request's proof, verified with the access token it came with.
fn check_rs(
    proof: &str,
    r: &DpopRequest<'_>,
    access_token: &str,
    cfg: &DpopConfig<'_>,
    now: u64,
) -> Result<dpop::ResourceProof, Error> {
    dpop::verify_resource_proof(
        proof.as_bytes(),
        r,
        access_token,
        cfg,
        &Backend,
        &FixedClock(now),
        &MemoryReplay::default(),
    )
}

/// RFC 9449 §4.1: the example proof verifies (at its own iat) and its jkt
/// is the one the RFC gives.
#[test]
fn rfc9449_figure2_proof_verifies() {
    let cfg = DpopConfig::new(&Profile::FAPI2);
    let p = check(
        RFC_PROOF,
        &req("POST", "https://server.example.com/token"),
        &cfg,
        1_562_262_616,
    )
    .unwrap();
    assert_eq!(p.jkt.to_b64().as_str(), RFC_JKT);
    assert_eq!(p.iat, 1_562_262_616);
    assert_eq!(p.htm(), "POST");
    assert_eq!(
        p.check_request(&req("POST", "https://server.example.com/token")),
        Ok(())
    );
    // Its iat is old today.
    assert_eq!(
        check(
            RFC_PROOF,
            &req("POST", "https://server.example.com/token"),
            &cfg,
            NOW
        ),
        Err(Error::TooOld)
    );
}

/// RFC 9449 §7.1: the resource request proof verifies with its access
/// token's ath; another token is refused.
#[test]
fn rfc9449_resource_proof_with_ath() {
    let cfg = DpopConfig::new(&Profile::FAPI2);
    let r = req("GET", "https://resource.example.org/protectedresource");
    let p = check_rs(RFC_RS_PROOF, &r, RFC_AT, &cfg, 1_562_262_618).unwrap();
    assert_eq!(p.jkt().to_b64().as_str(), RFC_JKT);
    // RFC 9449 §7.1: the ath of the example access token is recorded.
    assert_eq!(p.ath(), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    assert_eq!(
        dpop::check_token_binding(&p, RFC_AT.as_bytes(), &r, RFC_JKT),
        Ok(())
    );
    assert_eq!(
        check_rs(RFC_RS_PROOF, &r, "another-token", &cfg, 1_562_262_618),
        Err(Error::DpopAth)
    );
}

#[test]
fn round_trip_es256_and_eddsa() {
    let cfg = DpopConfig::new(&Profile::FAPI2);
    let es = P256Key::new(3, "k1");
    let ed = Ed25519Key::new(4, "k2");
    for s in [&es as &dyn Signer, &ed] {
        let pr = proof(s, "POST", URI, NOW, "jti-1");
        let p = check(&pr, &req("POST", URI), &cfg, NOW).unwrap();
        assert_eq!(p.jkt, s.public_key().unwrap().thumbprint());
    }
}

/// The iat window: 10 s into the future accepted, 11 s refused; older than
/// the max age refused; a configured skew never above 60 s.
#[test]
fn iat_future_and_expired() {
    let s = P256Key::new(3, "k");
    let cfg = DpopConfig::new(&Profile::FAPI2);
    let r = req("POST", URI);
    assert!(check(&proof(&s, "POST", URI, NOW + 10, "a"), &r, &cfg, NOW).is_ok());
    assert_eq!(
        check(&proof(&s, "POST", URI, NOW + 11, "a"), &r, &cfg, NOW),
        Err(Error::IssuedInFuture)
    );
    assert!(check(&proof(&s, "POST", URI, NOW - 60, "a"), &r, &cfg, NOW).is_ok());
    assert_eq!(
        check(&proof(&s, "POST", URI, NOW - 61, "a"), &r, &cfg, NOW),
        Err(Error::TooOld)
    );
    let wide = cfg.with_max_future_skew(60).unwrap();
    assert!(check(&proof(&s, "POST", URI, NOW + 60, "a"), &r, &wide, NOW).is_ok());
    assert_eq!(
        check(&proof(&s, "POST", URI, NOW + 61, "a"), &r, &wide, NOW),
        Err(Error::IssuedInFuture)
    );
    let short = cfg.with_max_age(5).unwrap();
    assert_eq!(
        check(&proof(&s, "POST", URI, NOW - 6, "a"), &r, &short, NOW),
        Err(Error::TooOld)
    );
}

#[test]
fn replayed_jti_refused() {
    let s = P256Key::new(3, "k");
    let cfg = DpopConfig::new(&Profile::FAPI2);
    let replay = MemoryReplay::default();
    let pr = proof(&s, "POST", URI, NOW, "once");
    let clock = FixedClock(NOW);
    assert!(
        dpop::verify_proof(
            pr.as_bytes(),
            &req("POST", URI),
            &cfg,
            &Backend,
            &clock,
            &replay
        )
        .is_ok()
    );
    assert_eq!(
        dpop::verify_proof(
            pr.as_bytes(),
            &req("POST", URI),
            &cfg,
            &Backend,
            &clock,
            &replay
        ),
        Err(Error::Replay)
    );
    // recorded until the first second the proof is too old: iat + max age + 1
    assert_eq!(replay.entries()[0].1, NOW + 60 + 1);
    // A fresh proof with the same jti is a replay too.
    let again = proof(&s, "POST", URI, NOW + 1, "once");
    assert_eq!(
        dpop::verify_proof(
            again.as_bytes(),
            &req("POST", URI),
            &cfg,
            &Backend,
            &FixedClock(NOW + 1),
            &replay
        ),
        Err(Error::Replay)
    );
    // An oversized jti is refused before it reaches the cache.
    let long = "j".repeat(65);
    assert_eq!(
        check(
            &proof(&s, "POST", URI, NOW, &long),
            &req("POST", URI),
            &cfg,
            NOW
        ),
        Err(Error::TooLarge)
    );
}

#[test]
fn wrong_htm_and_htu() {
    let s = P256Key::new(3, "k");
    let cfg = DpopConfig::new(&Profile::FAPI2);
    let pr = proof(&s, "POST", URI, NOW, "a");
    assert_eq!(
        check(&pr, &req("GET", URI), &cfg, NOW),
        Err(Error::DpopMethod)
    );
    assert_eq!(
        check(&pr, &req("post", URI), &cfg, NOW),
        Err(Error::DpopMethod)
    );
    assert_eq!(
        check(&pr, &req("POST", "https://as.example/par"), &cfg, NOW),
        Err(Error::DpopUri)
    );
    assert_eq!(
        check(&pr, &req("POST", "https://evil.example/token"), &cfg, NOW),
        Err(Error::DpopUri)
    );
    // normalised: query, case, default port
    assert!(
        check(
            &pr,
            &req("POST", "https://AS.example:443/token?x=1"),
            &cfg,
            NOW
        )
        .is_ok()
    );
    assert_eq!(
        Error::DpopUri.oauth_error(Site::DpopProof).as_str(),
        "invalid_dpop_proof"
    );
}

#[test]
fn ath_mismatch_and_missing() {
    let s = P256Key::new(3, "k");
    let cfg = DpopConfig::new(&Profile::FAPI2);
    let r = req("GET", "https://rs.example/accounts");
    let with = |at: Option<&str>| {
        let p = ProofParams {
            htm: "GET",
            htu: "https://rs.example/accounts",
            iat: NOW,
            jti: "x",
            access_token: at,
            nonce: None,
        };
        let mut out = [0u8; 4096];
        let n = dpop::sign_proof(&s, &p, &mut out).unwrap();
        String::from_utf8(out[..n].to_vec()).unwrap()
    };
    assert!(check_rs(&with(Some("token-A")), &r, "token-A", &cfg, NOW).is_ok());
    assert_eq!(
        check_rs(&with(Some("token-B")), &r, "token-A", &cfg, NOW),
        Err(Error::DpopAth)
    );
    assert_eq!(
        check_rs(&with(None), &r, "token-A", &cfg, NOW),
        Err(Error::DpopAth)
    );
}

#[test]
fn nonce_missing_invalid_and_valid() {
    let s = P256Key::new(3, "k");
    let issuer = NonceIssuer::new(NonceKey::new([9; 32]), 60).unwrap();
    let cfg = DpopConfig::new(&Profile::FAPI2).with_nonces(&issuer);
    let mut r = req("POST", URI);
    r.nonce_binding = Some(b"client-1");
    let with = |nonce: Option<&str>| {
        let p = ProofParams {
            htm: "POST",
            htu: URI,
            iat: NOW,
            jti: "n",
            access_token: None,
            nonce,
        };
        let mut out = [0u8; 4096];
        let n = dpop::sign_proof(&s, &p, &mut out).unwrap();
        String::from_utf8(out[..n].to_vec()).unwrap()
    };
    let err = check(&with(None), &r, &cfg, NOW).unwrap_err();
    assert_eq!(err, Error::DpopNonceRequired);
    assert_eq!(
        err.oauth_error(Site::ResourceRequest).as_str(),
        "use_dpop_nonce"
    );
    assert_eq!(
        check(&with(Some("not-a-nonce")), &r, &cfg, NOW),
        Err(Error::DpopNonceInvalid)
    );
    let good = issuer.issue(NOW, Some(b"client-1")).unwrap();
    assert!(check(&with(Some(good.as_str())), &r, &cfg, NOW).is_ok());
    // stale: two buckets later
    let old = issuer.issue(NOW - 120, Some(b"client-1")).unwrap();
    assert_eq!(
        check(&with(Some(old.as_str())), &r, &cfg, NOW),
        Err(Error::DpopNonceInvalid)
    );
    // bound to another client
    let other = issuer.issue(NOW, Some(b"client-2")).unwrap();
    assert_eq!(
        check(&with(Some(other.as_str())), &r, &cfg, NOW),
        Err(Error::DpopNonceInvalid)
    );
}

/// RFC 9449 §7.1 and §10: the token's cnf.jkt and the code's dpop_jkt must
/// name the proof's key.
#[test]
fn jkt_mismatch_token_and_code() {
    let cfg = DpopConfig::new(&Profile::FAPI2);
    let a = P256Key::new(3, "a");
    let b = P256Key::new(5, "b");
    let p = check(
        &proof(&a, "POST", URI, NOW, "x"),
        &req("POST", URI),
        &cfg,
        NOW,
    )
    .unwrap();
    let jkt_a = a.public_key().unwrap().thumbprint().to_b64();
    let jkt_b = b.public_key().unwrap().thumbprint().to_b64();
    let rs = req("GET", "https://rs.example/accounts");
    let signed = ProofParams {
        htm: "GET",
        htu: "https://rs.example/accounts",
        iat: NOW,
        jti: "rs",
        access_token: Some("token-A"),
        nonce: None,
    };
    let mut out = [0u8; 4096];
    let n = dpop::sign_proof(&a, &signed, &mut out).unwrap();
    let rp = check_rs(
        core::str::from_utf8(&out[..n]).unwrap(),
        &rs,
        "token-A",
        &cfg,
        NOW,
    )
    .unwrap();
    assert_eq!(
        dpop::check_token_binding(&rp, b"token-A", &rs, jkt_a.as_str()),
        Ok(())
    );
    assert_eq!(
        dpop::check_token_binding(&rp, b"token-A", &rs, jkt_b.as_str()),
        Err(Error::DpopKeyMismatch)
    );
    assert_eq!(
        dpop::check_code_binding(Some(&p), Some(jkt_a.as_str())),
        Ok(())
    );
    assert_eq!(
        dpop::check_code_binding(Some(&p), Some(jkt_b.as_str())),
        Err(Error::DpopKeyMismatch)
    );
    assert_eq!(
        dpop::check_code_binding(None, Some(jkt_a.as_str())),
        Err(Error::DpopMissing)
    );
    assert_eq!(dpop::check_code_binding(None, None), Ok(()));
    assert_eq!(
        Error::DpopKeyMismatch
            .oauth_error(Site::ResourceRequest)
            .as_str(),
        "invalid_dpop_proof"
    );
}

fn claims(jti: &str) -> String {
    format!(r#"{{"jti":"{jti}","htm":"POST","htu":"{URI}","iat":{NOW}}}"#)
}

#[test]
fn private_key_members_in_jwk_refused() {
    let s = P256Key::new(3, "k");
    let jwk = header_jwk(&s);
    let with_d = format!(r#"{},"d":"{}"}}"#, &jwk[..jwk.len() - 1], b64s(&[3; 32]));
    let header = format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{with_d}}}"#);
    let pr = sign_raw(&s, &header, &claims("p"));
    let cfg = DpopConfig::new(&Profile::FAPI2);
    assert_eq!(
        check(&pr, &req("POST", URI), &cfg, NOW),
        Err(Error::PrivateKeyMember)
    );
    // and the same header without d verifies
    let header = format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{jwk}}}"#);
    assert!(
        check(
            &sign_raw(&s, &header, &claims("p")),
            &req("POST", URI),
            &cfg,
            NOW
        )
        .is_ok()
    );
}

#[test]
fn alg_none_hs256_and_not_allowed_refused() {
    let s = P256Key::new(3, "k");
    let jwk = header_jwk(&s);
    let cfg = DpopConfig::new(&Profile::FAPI2);
    for alg in ["none", "HS256", "RS256", "ES384"] {
        let header = format!(r#"{{"typ":"dpop+jwt","alg":"{alg}","jwk":{jwk}}}"#);
        let pr = forged(&header, &claims("z"));
        assert_eq!(
            check(&pr, &req("POST", URI), &cfg, NOW),
            Err(Error::UnsupportedAlg),
            "{alg}"
        );
    }
    let none = format!(
        "{}.{}.",
        b64s(br#"{"typ":"dpop+jwt","alg":"none"}"#),
        b64s(claims("z").as_bytes())
    );
    assert_eq!(
        check(&none, &req("POST", URI), &cfg, NOW),
        Err(Error::UnsupportedAlg)
    );
    // CDR-ALG: EdDSA is outside the CDR's list.
    let ed = Ed25519Key::new(4, "e");
    let cdr = DpopConfig::new(&Profile::CDR);
    assert_eq!(
        check(
            &proof(&ed, "POST", URI, NOW, "c"),
            &req("POST", URI),
            &cdr,
            NOW
        ),
        Err(Error::AlgNotAllowed)
    );
}

#[test]
fn header_shape_refused() {
    let s = P256Key::new(3, "k");
    let ed = Ed25519Key::new(4, "e");
    let cfg = DpopConfig::new(&Profile::FAPI2);
    let r = req("POST", URI);
    // wrong typ
    let h = format!(r#"{{"typ":"JWT","alg":"ES256","jwk":{}}}"#, header_jwk(&s));
    assert_eq!(
        check(&sign_raw(&s, &h, &claims("t")), &r, &cfg, NOW),
        Err(Error::WrongType)
    );
    // no jwk
    let h = r#"{"typ":"dpop+jwt","alg":"ES256"}"#;
    assert_eq!(
        check(&sign_raw(&s, h, &claims("t")), &r, &cfg, NOW),
        Err(Error::MissingEmbeddedKey)
    );
    // jwk of another algorithm than the header's
    let h = format!(
        r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{}}}"#,
        header_jwk(&ed)
    );
    assert_eq!(
        check(&sign_raw(&s, &h, &claims("t")), &r, &cfg, NOW),
        Err(Error::KeyAlgMismatch)
    );
    // signed by another key than the embedded one
    let h = format!(
        r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{}}}"#,
        header_jwk(&P256Key::new(7, "o"))
    );
    assert_eq!(
        check(&sign_raw(&s, &h, &claims("t")), &r, &cfg, NOW),
        Err(Error::BadSignature)
    );
    // missing claims
    let h = format!(
        r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{}}}"#,
        header_jwk(&s)
    );
    for body in [
        format!(r#"{{"htm":"POST","htu":"{URI}","iat":{NOW}}}"#),
        format!(r#"{{"jti":"a","htu":"{URI}","iat":{NOW}}}"#),
        format!(r#"{{"jti":"a","htm":"POST","iat":{NOW}}}"#),
        format!(r#"{{"jti":"a","htm":"POST","htu":"{URI}"}}"#),
    ] {
        assert_eq!(
            check(&sign_raw(&s, &h, &body), &r, &cfg, NOW),
            Err(Error::MissingClaim),
            "{body}"
        );
    }
}

/// F2-ALG, RFC 9864 §2.2: a proof whose header names its algorithm
/// `Ed25519` (the fully-specified name oauth4webapi writes for an Ed25519
/// key) is EdDSA on Ed25519 and verifies like `EdDSA`; the profile's
/// allow-list still applies (CDR-ALG), and an `Ed25519` header over a
/// P-256 key is refused as another algorithm than the key's.
#[test]
fn f2_alg_rfc9864_ed25519_name_is_eddsa() {
    let ed = Ed25519Key::new(4, "e");
    let r = req("POST", URI);
    let h = format!(
        r#"{{"typ":"dpop+jwt","alg":"Ed25519","jwk":{}}}"#,
        header_jwk(&ed)
    );
    let pr = sign_raw(&ed, &h, &claims("rfc9864"));
    let fapi2 = DpopConfig::new(&Profile::FAPI2);
    let ok = check(&pr, &r, &fapi2, NOW).unwrap();
    let eddsa = check(&proof(&ed, "POST", URI, NOW, "ref"), &r, &fapi2, NOW).unwrap();
    assert_eq!(ok.jkt, eddsa.jkt);
    assert_eq!(ok.key, eddsa.key);
    assert_eq!(
        check(&pr, &r, &DpopConfig::new(&Profile::CDR), NOW),
        Err(Error::AlgNotAllowed)
    );
    let s = P256Key::new(3, "k");
    let h = format!(
        r#"{{"typ":"dpop+jwt","alg":"Ed25519","jwk":{}}}"#,
        header_jwk(&s)
    );
    assert_eq!(
        check(&sign_raw(&s, &h, &claims("p")), &r, &fapi2, NOW),
        Err(Error::KeyAlgMismatch)
    );
}

/// Encoders escape differently: PHP's `json_encode` writes `https:\/\/...`
/// and Gson writes `\u003d` for `=`. A proof so written is the same JSON
/// value, so it verifies, and its `htu` is compared as the URL it stands for.
#[test]
fn rfc8259_7_escaped_claims_are_read_as_written_values() {
    let s = P256Key::new(9, "k");
    let cfg = DpopConfig::new(&Profile::FAPI2);
    let header = format!(
        r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{}}}"#,
        jwk_json(&s)
    );
    let payload = format!(
        r#"{{"jti":"php\u003d1","htm":"POST","htu":"https:\/\/as.example\/token","iat":{NOW}}}"#
    );
    let pr = sign_raw(&s, &header, &payload);
    assert!(check(&pr, &req("POST", URI), &cfg, NOW).is_ok());
    assert_eq!(
        check(&pr, &req("POST", "https://as.example/par"), &cfg, NOW),
        Err(Error::DpopUri)
    );
    // RFC 8259 §7: every escape is read as the character it stands for,
    // also those that cannot be borrowed unchanged (a quote, a backslash,
    // non-ASCII, a surrogate pair): a `jti` so written is accepted, and an
    // `htu` so written is compared as the URL it stands for.
    let payload = format!(
        r#"{{"jti":"caf\u00e9 \"q\" \\ \ud83d\ude00","htm":"POST","htu":"https:\/\/as.example\/token","iat":{NOW}}}"#
    );
    assert!(
        check(
            &sign_raw(&s, &header, &payload),
            &req("POST", URI),
            &cfg,
            NOW
        )
        .is_ok()
    );
    let payload =
        format!(r#"{{"jti":"x","htm":"POST","htu":"https://as.example/t\u00e9","iat":{NOW}}}"#);
    assert_eq!(
        check(
            &sign_raw(&s, &header, &payload),
            &req("POST", URI),
            &cfg,
            NOW
        ),
        Err(Error::DpopUri)
    );
}

/// RFC 9449 §11.1 (replay), with the window of §4.3 step 11: the `iat`
/// check and the replay cache agree at the edges. With no future skew at
/// all, a proof exactly `max_age` old is accepted (the replay cache used to
/// refuse it as already expired), and at every second a proof passes the
/// `iat` check, a second presentation of it is `Error::Replay`, never
/// accepted, until it is too old.
#[test]
fn rfc9449_replay_window_edges_agree_with_iat_window() {
    use fapi_core::store::FixedReplayCache;
    let s = P256Key::new(3, "k");
    let r = req("POST", URI);
    for skew in [0, 10, 60] {
        let cfg = DpopConfig::new(&Profile::FAPI2)
            .with_max_future_skew(skew)
            .unwrap()
            .with_max_age(30)
            .unwrap();
        let max_age = cfg.max_age();
        // iat exactly `max_age` in the past, one second younger, now, and
        // `skew` in the future: the edges of the window.
        for iat in [NOW - max_age, NOW - max_age + 1, NOW, NOW + skew] {
            let replay = FixedReplayCache::<4>::new();
            let pr = proof(&s, "POST", URI, iat, "edge");
            let at = |t: u64| {
                dpop::verify_proof(pr.as_bytes(), &r, &cfg, &Backend, &FixedClock(t), &replay)
            };
            assert!(at(NOW).is_ok(), "skew {skew}, iat {iat}: refused at {NOW}");
            for later in NOW..=iat + max_age {
                assert_eq!(
                    at(later),
                    Err(Error::Replay),
                    "skew {skew}, iat {iat}, at {later}"
                );
            }
            assert_eq!(at(iat + max_age + 1), Err(Error::TooOld));
        }
    }
}

/// RFC 9449 §4.3 step 12, §7.1 (F2-SENDER): a resource request's proof is
/// recorded with the method, the URI and the `ath` it was verified
/// against, and is good for that token and that request only.
#[test]
fn rfc9449_resource_proof_records_htm_htu_and_ath() {
    let s = P256Key::new(3, "k");
    let cfg = DpopConfig::new(&Profile::FAPI2);
    let rs = req("GET", "https://rs.example/accounts");
    let signed = ProofParams {
        htm: "GET",
        htu: "https://rs.example/accounts",
        iat: NOW,
        jti: "rs-1",
        access_token: Some("token-A"),
        nonce: None,
    };
    let mut out = [0u8; 4096];
    let n = dpop::sign_proof(&s, &signed, &mut out).unwrap();
    let text = core::str::from_utf8(&out[..n]).unwrap();
    let p = check_rs(text, &rs, "token-A", &cfg, NOW).unwrap();
    assert_eq!(p.proof().htm(), "GET");
    assert_eq!(p.ath().as_bytes(), dpop::ath("token-A").as_slice());
    assert_eq!(p.check_presented(b"token-A", &rs), Ok(()));
    // The same URI as the server may see it: normalised alike.
    assert_eq!(
        p.check_presented(
            b"token-A",
            &req("GET", "https://RS.example:443/accounts?x=1")
        ),
        Ok(())
    );
    // Another token, another method, another URI.
    assert_eq!(p.check_presented(b"token-B", &rs), Err(Error::DpopAth));
    assert_eq!(
        p.check_presented(b"token-A", &req("POST", "https://rs.example/accounts")),
        Err(Error::DpopMethod)
    );
    assert_eq!(
        p.check_presented(b"token-A", &req("GET", "https://rs.example/payments")),
        Err(Error::DpopUri)
    );
    // A token endpoint proof (no ath) is no resource proof.
    let te = proof(&s, "POST", URI, NOW, "te-1");
    assert_eq!(
        check_rs(&te, &req("POST", URI), "token-A", &cfg, NOW),
        Err(Error::DpopAth)
    );
    // A method longer than any in use cannot be recorded.
    let long = "M".repeat(dpop::MAX_HTM_LEN + 1);
    assert_eq!(
        check(
            &proof(&s, &long, URI, NOW, "m"),
            &req(&long, URI),
            &cfg,
            NOW
        ),
        Err(Error::DpopMethod)
    );
}
