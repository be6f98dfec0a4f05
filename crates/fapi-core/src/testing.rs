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
    }
}

pub(crate) fn params() -> AuthorizationParams {
    AuthorizationParams::from_request(&Profile::FAPI2, &request()).unwrap()
}

pub(crate) fn consent() -> ConsentRecord {
    ConsentPrompt::new("Example Money", params())
        .unwrap()
        .approve("user-42")
        .unwrap()
}
