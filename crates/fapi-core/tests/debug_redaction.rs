//! No `Debug` output shows a live secret: every public type of the core
//! that holds (or is built from) an access token, a refresh token, a code,
//! a PKCE verifier, a `request_uri`, a nonce key or private key bytes is
//! built here with a known secret, and its `Debug` output, in every
//! format, is searched for the secret and for any 8-character piece of it
//! (and, for byte secrets, their hex, decimal and base64url forms).
//!
//! `refresh::Refreshed` (the refresh token handed back) is checked beside
//! its code, in `src/refresh.rs::tests::debug_never_shows_the_refresh_token`,
//! where a refresh grant can be built without a whole authorization.
mod support;

use core::fmt::Debug;

use fapi_core::authorize::{AuthorizationParams, AuthorizationRequest};
use fapi_core::dpop::{self, DpopConfig, DpopRequest, NonceIssuer, NonceKey, ProofParams};
use fapi_core::json::Writer;
use fapi_core::profile::Profile;
use fapi_core::secret::{Redacted, SecretBytes, SecretSlot};
use fapi_core::store::{FixedHandleStore, Handle};
use fapi_core::token::Presented;
use fapi_core::{FixedClock, jws, par, pkce};
use support::*;

const NOW: u64 = 1_700_000_000;
/// An access token as a resource server receives it (a JWT, say).
const ACCESS_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2VjcmV0LXNpZ25hdHVyZQ";

/// Every way a value is printed with `Debug`.
fn printed(value: &dyn Debug) -> Vec<String> {
    vec![
        format!("{value:?}"),
        format!("{value:#?}"),
        format!("{value:x?}"),
        format!("{value:X?}"),
        format!("{:?}", Some(value)),
    ]
}

/// Asserts that no output of `value` shows `secret` or any 8-character
/// piece of it.
fn assert_hidden(what: &str, value: &dyn Debug, secret: &str) {
    assert!(secret.len() >= 8, "{what}: secret too short to search for");
    for text in printed(value) {
        for start in 0..=secret.len() - 8 {
            let piece = &secret[start..start + 8];
            assert!(
                !text.contains(piece),
                "{what} shows {piece:?} of its secret: {text}"
            );
        }
    }
}

/// Asserts that no output of `value` shows `bytes` as hex, decimal or
/// base64url.
fn assert_bytes_hidden(what: &str, value: &dyn Debug, bytes: &[u8]) {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_hidden(what, value, &hex);
    assert_hidden(what, value, &hex.to_uppercase());
    assert_hidden(what, value, &b64s(bytes));
    let decimal = format!("{:?}", &bytes[..4]).replace(['[', ']'], "");
    for text in printed(value) {
        assert!(!text.contains(&decimal), "{what} shows {decimal}: {text}");
    }
}

/// `dpop::ProofParams` (client side) carries the access token it hashes
/// into `ath`; its `Debug` says a token is there, never which.
#[test]
fn dpop_proof_params_hide_the_access_token() {
    let p = ProofParams {
        htm: "GET",
        htu: "https://rs.example/accounts",
        iat: NOW,
        jti: "jti-1",
        access_token: Some(ACCESS_TOKEN),
        nonce: None,
    };
    assert_hidden("ProofParams", &p, ACCESS_TOKEN);
    assert!(format!("{p:?}").contains("access_token: Some([redacted])"));
    assert!(
        format!("{p:?}").contains("jti-1"),
        "non-secret fields still show"
    );
}

/// A resource request's proof, its request and what the resource server
/// is presented with: built from the access token, none shows it.
#[test]
fn dpop_resource_proof_and_presented_hide_the_access_token() {
    let client = P256Key::new(3, "c");
    let request = DpopRequest {
        method: "GET",
        uri: "https://rs.example/accounts",
        nonce_binding: Some(b"client-1"),
    };
    let params = ProofParams {
        htm: "GET",
        htu: "https://rs.example/accounts",
        iat: NOW,
        jti: "jti-2",
        access_token: Some(ACCESS_TOKEN),
        nonce: None,
    };
    let mut out = [0u8; 4096];
    let n = dpop::sign_proof(&client, &params, &mut out).unwrap();
    let proof = dpop::verify_resource_proof(
        &out[..n],
        &request,
        ACCESS_TOKEN,
        &DpopConfig::new(&Profile::FAPI2),
        &Backend,
        &FixedClock(NOW),
        &MemoryReplay::default(),
    )
    .unwrap();
    assert_hidden("DpopRequest", &request, ACCESS_TOKEN);
    assert_hidden("ResourceProof", &proof, ACCESS_TOKEN);
    assert_hidden("DpopProof", proof.proof(), ACCESS_TOKEN);
    let presented = Presented::dpop(&proof, &request);
    assert_hidden("Presented", &presented, ACCESS_TOKEN);
}

/// The DPoP nonce key, alone and inside its issuer.
#[test]
fn dpop_nonce_key_is_never_printed() {
    let bytes = [0x5a; 32];
    let mut varied = [0u8; 32];
    for (i, b) in varied.iter_mut().enumerate() {
        *b = 0x80 | i as u8;
    }
    for key in [bytes, varied] {
        let k = NonceKey::new(key);
        assert_bytes_hidden("NonceKey", &k, &key);
        let issuer = NonceIssuer::new(k, 60).unwrap();
        assert_bytes_hidden("NonceIssuer", &issuer, &key);
    }
}

/// Authorization codes and refresh tokens are `store::Handle`s.
#[test]
fn handles_codes_and_refresh_tokens_are_never_printed() {
    let h = Handle::generate(&CountingRandom).unwrap();
    let text = h.as_str().to_owned();
    assert_hidden("Handle", &h, &text);
    let code: fapi_core::code::AuthorizationCode = Handle::generate(&CountingRandom).unwrap();
    assert_hidden("AuthorizationCode", &code, code.as_str());
    let refresh: fapi_core::refresh::RefreshToken = Handle::generate(&CountingRandom).unwrap();
    assert_hidden("RefreshToken", &refresh, refresh.as_str());
}

/// The PAR `request_uri` is a one-time capability.
#[test]
fn par_request_uri_is_never_printed() {
    let req = AuthorizationRequest {
        client_id: "client-1",
        response_type: "code",
        redirect_uri: Some("https://client.example/cb"),
        scope: "accounts",
        state: Some("s-1"),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        code_challenge_method: Some("S256"),
        dpop_jkt: None,
        consent_id: None,
        ..AuthorizationRequest::default()
    };
    let params = AuthorizationParams::from_request(&Profile::FAPI2, &req).unwrap();
    let store = FixedHandleStore::<AuthorizationParams, 2>::new();
    let uri = par::push(
        &Profile::FAPI2,
        &store,
        &CountingRandom,
        params,
        None,
        60,
        NOW,
    )
    .unwrap();
    let random_part = &uri.as_str()[par::REQUEST_URI_PREFIX.len()..];
    assert_hidden("RequestUri", &uri, random_part);
    assert_hidden("FixedHandleStore", &store, random_part);
}

/// The PKCE verifier is secret until the token request sends it; the
/// challenge is public and may show.
#[test]
fn pkce_pair_hides_the_verifier() {
    let pair = pkce::Pair::generate(&CountingRandom).unwrap();
    assert_hidden("pkce::Pair", &pair, pair.verifier());
    assert!(format!("{pair:?}").contains(pair.challenge()));
}

/// Private key bytes, owned and in a caller's buffer.
#[test]
fn secret_bytes_are_never_printed() {
    let d: [u8; 32] = core::array::from_fn(|i| 0xc0 ^ i as u8);
    let owned = SecretBytes::<32>::from_slice(&d).unwrap();
    assert_bytes_hidden("SecretBytes", &owned, &d);
    let mut buf = d;
    let slot = SecretSlot::new(&mut buf);
    assert_bytes_hidden("SecretSlot", &slot, &d);
}

/// A compact JWS is often a credential: its split parts print their
/// lengths, not the token, its signature or its claims.
#[test]
fn jws_parts_hide_the_token() {
    let parts = jws::split(ACCESS_TOKEN.as_bytes()).unwrap();
    assert_hidden("jws::Parts", &parts, ACCESS_TOKEN);
    let signature = ACCESS_TOKEN.rsplit('.').next().unwrap();
    assert_hidden("jws::Parts", &parts, signature);
    let text = format!("{parts:?}");
    assert!(
        text.contains(&format!("signature_len: {}", signature.len())),
        "{text}"
    );
}

/// `json::Writer` writes token responses and claims: its `Debug` shows
/// how much it wrote, not what.
#[test]
fn json_writer_hides_what_it_wrote() {
    let mut buf = [0u8; 256];
    let mut w = Writer::new(&mut buf);
    w.raw(b"{").unwrap();
    w.key("access_token").unwrap();
    w.string(ACCESS_TOKEN).unwrap();
    w.raw(b"}").unwrap();
    assert_hidden("json::Writer", &w, ACCESS_TOKEN);
    assert!(format!("{w:?}").contains(&format!("len: {}", w.len())));
}

/// The marker itself prints the same thing whatever it stands for.
#[test]
fn redacted_marker() {
    assert_eq!(format!("{Redacted:?}"), "[redacted]");
    assert_eq!(
        format!("{:?}", Redacted::option(Some(ACCESS_TOKEN))),
        "Some([redacted])"
    );
    assert_eq!(format!("{:?}", Redacted::option(None::<&str>)), "None");
}
