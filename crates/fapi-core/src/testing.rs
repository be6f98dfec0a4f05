//! Test doubles shared by the unit tests.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::authorize::{AuthorizationParams, AuthorizationRequest, ConsentPrompt, ConsentRecord};
use crate::crypto::Random;
use crate::error::Error;
use crate::profile::Profile;

/// A deterministic source: every fill is distinct (a counter in the first
/// bytes). Never used outside tests.
pub(crate) struct CounterRandom(pub AtomicU64);

impl CounterRandom {
    pub(crate) const fn new() -> Self {
        Self(AtomicU64::new(1))
    }
}

impl Random for CounterRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        let n = self.0.fetch_add(1, Ordering::SeqCst).to_be_bytes();
        for (i, b) in dest.iter_mut().enumerate() {
            *b = n[i % 8] ^ (i as u8);
        }
        Ok(())
    }
}

/// A source that always fails, as a broken TRNG does.
pub(crate) struct FailingRandom;

impl Random for FailingRandom {
    fn fill(&self, _: &mut [u8]) -> Result<(), Error> {
        Err(Error::RandomFailed)
    }
}

/// RFC 7636 appendix B challenge.
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A well-formed FAPI 2.0 authorization request.
pub(crate) fn request() -> AuthorizationRequest<'static> {
    AuthorizationRequest {
        client_id: "client-1",
        response_type: "code",
        redirect_uri: Some("https://client.example/cb"),
        scope: "accounts",
        state: Some("af0ifjsldkj"),
        code_challenge: Some(CHALLENGE),
        code_challenge_method: Some("S256"),
        dpop_jkt: None,
        consent_id: Some("urn:bank:aac:1"),
        nonce: None,
        response_mode: None,
    }
}

/// A pushed request of its own for each call (another `request_uri`), so
/// that each consent made from one can be decided on once.
pub(crate) fn pushed_request() -> crate::par::PushedRequest {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    crate::par::PushedRequest::new(crate::store::handle_key(&n.to_be_bytes()), 1_000_000)
}

/// [`request`]'s parameters as `par::take` returns them (pushed).
pub(crate) fn params() -> AuthorizationParams {
    let mut p = AuthorizationParams::from_request(&Profile::FAPI2, &request()).unwrap();
    p.set_pushed_request(pushed_request());
    p.mark_pushed();
    p
}

pub(crate) fn consent() -> ConsentRecord {
    ConsentPrompt::new("Example Money", params())
        .unwrap()
        .approve("user-42")
        .unwrap()
}

/// A verified request object carrying [`request`]'s parameters, with the
/// consent in every form a profile reads it (intent claim, CDR arrangement,
/// `consent:` scope) and a 90-day CDR sharing duration.
pub(crate) fn request_object(client_id: &str) -> crate::request_object::AuthorizationParams<'_> {
    let mut ro = crate::request_object::AuthorizationParams::verified_for_tests(client_id);
    ro.response_type = Some("code");
    ro.redirect_uri = Some("https://client.example/cb");
    ro.scope = Some("accounts consent:urn:bank:aac:1");
    ro.state = Some("af0ifjsldkj");
    ro.code_challenge = Some(CHALLENGE);
    ro.code_challenge_method = Some("S256");
    ro.openbanking_intent_id = Some("urn:bank:aac:1");
    ro.intent_essential = true;
    ro.cdr_arrangement_id = Some("urn:bank:aac:1");
    ro.sharing_duration = Some(SHARING_DURATION);
    ro
}

/// The CDR sharing duration of [`request_object`]: 90 days.
pub(crate) const SHARING_DURATION: u64 = 90 * 24 * 3600;

/// [`request_object`]'s parameters, checked under `profile`.
pub(crate) fn signed_params(profile: &Profile) -> AuthorizationParams {
    let mut ro = request_object("client-1");
    if profile.jarm_required {
        // FAPI 2.0 Message Signing §5.4: what verification lets through.
        ro.response_mode = crate::profile::ResponseMode::Jwt;
    }
    let mut p = AuthorizationParams::from_request_object(profile, &ro).unwrap();
    p.set_pushed_request(pushed_request());
    p.mark_pushed();
    p
}

/// The user's approval of [`signed_params`] under `profile`.
pub(crate) fn signed_consent(profile: &Profile) -> ConsentRecord {
    ConsentPrompt::new("Example Money", signed_params(profile))
        .unwrap()
        .approve("user-42")
        .unwrap()
}
