//! Codes redeemed with DPoP proofs verified with real keys (RFC 9449 §10):
//! `code::redeem` takes the verified proof of the token request, never a
//! bare thumbprint.
mod support;

use core::cell::Cell;

use fapi_core::authorize::{AuthorizationParams, AuthorizationRequest, ConsentPrompt};
use fapi_core::code::{self, CodeRecord, Presented, Retention};
use fapi_core::dpop::{self, DpopConfig, DpopProof, DpopRequest, ProofParams};
use fapi_core::grant::{self, RevokedGrant};
use fapi_core::par;
use fapi_core::profile::Profile;
use fapi_core::store::{FixedHandleStore, FixedReplayCache};
use fapi_core::{Error, FixedClock, Random, Signer};
use support::{Backend, MemoryReplay, P256Key};

const NOW: u64 = 1_700_000_000;
const TOKEN: &str = "https://as.example/token";
const PAR: &str = "https://as.example/par";
const REDIRECT: &str = "https://client.example/cb";
const RETAIN: Retention = Retention {
    tombstone: 360,
    revocation: 3600,
};

/// A source whose every fill differs.
struct Counter(Cell<u8>);

impl Random for Counter {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        let n = self.0.get().wrapping_add(1);
        self.0.set(n);
        for (i, b) in dest.iter_mut().enumerate() {
            *b = n ^ (i as u8);
        }
        Ok(())
    }
}

/// A DPoP proof of `key` for `POST uri`, verified.
fn verified(key: &dyn Signer, uri: &str, jti: &str) -> DpopProof {
    let params = ProofParams {
        htm: "POST",
        htu: uri,
        iat: NOW,
        jti,
        access_token: None,
        nonce: None,
    };
    let mut out = [0u8; 4096];
    let n = dpop::sign_proof(key, &params, &mut out).unwrap();
    let request = DpopRequest {
        method: "POST",
        uri,
        nonce_binding: None,
    };
    dpop::verify_proof(
        &out[..n],
        &request,
        &DpopConfig::new(&Profile::FAPI2),
        &Backend,
        &FixedClock(NOW),
        &MemoryReplay::default(),
    )
    .unwrap()
}

/// RFC 9449 §10 and §10.1: a code bound at the PAR endpoint to the key of
/// the PAR request's verified proof is redeemed with a verified proof of
/// that key, and refused with another key's or without one.
#[test]
fn rfc9449_s10_code_redeemed_with_the_verified_proof_of_its_key() {
    let (key, other) = (P256Key::new(1, "dpop"), P256Key::new(2, "other"));
    let rng = Counter(Cell::new(0));
    let (requests, codes) = (
        FixedHandleStore::<AuthorizationParams, 4>::new(),
        FixedHandleStore::<CodeRecord, 4>::new(),
    );
    let (revoked, spent) = (
        FixedHandleStore::<RevokedGrant, 2>::new(),
        FixedReplayCache::<4>::new(),
    );
    let issue_code = || {
        let req = AuthorizationRequest {
            client_id: "client-1",
            response_type: "code",
            redirect_uri: Some(REDIRECT),
            scope: "accounts",
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            code_challenge_method: Some("S256"),
            ..AuthorizationRequest::default()
        };
        let params = AuthorizationParams::from_request(&Profile::FAPI2, &req).unwrap();
        let at_par = verified(&key, PAR, "par");
        let uri = par::push(
            &Profile::FAPI2,
            &requests,
            &rng,
            params,
            Some(&at_par.jkt),
            60,
            NOW,
        )
        .unwrap();
        let pushed = par::take(&requests, "client-1", uri.as_str(), NOW).unwrap();
        let record = ConsentPrompt::new("Example Money", pushed)
            .unwrap()
            .approve("alice")
            .unwrap();
        code::issue(&Profile::FAPI2, &codes, &spent, &rng, &record, 60, NOW).unwrap()
    };
    let redeem = |code: &str, dpop: Option<&DpopProof>| {
        let req = Presented {
            code,
            client_id: "client-1",
            redirect_uri: REDIRECT,
            dpop,
        };
        code::redeem(&codes, &revoked, &req, RETAIN, NOW + 1, |_| Ok(()))
    };

    let c = issue_code();
    let theirs = verified(&other, TOKEN, "t1");
    assert_eq!(
        redeem(c.as_str(), Some(&theirs)).map(|_| ()),
        Err(Error::DpopKeyMismatch)
    );
    let c = issue_code();
    assert_eq!(
        redeem(c.as_str(), None).map(|_| ()),
        Err(Error::DpopMissing)
    );
    let c = issue_code();
    let ours = verified(&key, TOKEN, "t2");
    let g = redeem(c.as_str(), Some(&ours)).unwrap();
    assert_eq!(g.dpop_jkt(), Some(ours.jkt));
    // RFC 6749 §4.1.2: presented again, refused, and its grant revoked
    assert_eq!(
        redeem(c.as_str(), Some(&ours)).map(|_| ()),
        Err(Error::CodeInvalid)
    );
    assert_eq!(
        grant::check_active(&revoked, &g.grant_id().unwrap(), NOW + 2),
        Err(Error::TokenInactive)
    );
}
