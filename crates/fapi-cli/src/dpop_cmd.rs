//! `fapi dpop create` and `fapi dpop verify` (RFC 9449).

use fapi_core::dpop::{self, DpopConfig, DpopRequest, ProofParams};
use fapi_core::store::FixedReplayCache;
use fapi_core::{Clock as _, Random as _, Signer as _, Site, SystemClock};

use crate::cli::{DpopCreateArgs, DpopVerifyArgs};
use crate::failure::{Context as _, Failure};
use crate::{input, output};

/// Runs `fapi dpop create`: a proof with a fresh 128-bit `jti`, `iat` now,
/// `ath` of the access token when given, and the server's nonce.
pub fn create(args: &DpopCreateArgs) -> Result<(), Failure> {
    let site = Site::DpopProof;
    let key = input::signing_key(&args.key)?;
    let mut raw = [0u8; 16];
    fapi_awslc::SystemRandom::new()
        .fill(&mut raw)
        .refused("a jti", site)?;
    let mut jti = [0u8; 22];
    let jti = fapi_core::b64::encode(&raw, &mut jti).refused("a jti", site)?;
    // RFC 9449 §4.2: htu without query and fragment.
    let htu = args.htu.split(['?', '#']).next().unwrap_or(&args.htu);
    let params = ProofParams {
        htm: &args.htm,
        htu,
        iat: SystemClock.now(),
        jti,
        access_token: args.ath.as_deref(),
        nonce: args.nonce.as_deref(),
    };
    let _ = key.alg();
    let mut out = vec![0u8; dpop::MAX_PROOF_LEN];
    let n = dpop::sign_proof(&key, &params, &mut out).refused("dpop create", site)?;
    out.truncate(n);
    let proof = String::from_utf8(out)
        .map_err(|_| Failure::refused("dpop create", fapi_core::Error::Malformed, site))?;
    output::line(&proof)
}

/// Runs `fapi dpop verify`: every check of RFC 9449 §4.3 that one proof
/// alone allows (`typ`, the profile's algorithms, the embedded public key,
/// the signature, `htm`, `htu`, `iat` within the window, `ath` when an
/// access token is given). A server nonce and `jti` replay need the
/// server's state and are the server's to check.
pub fn verify(args: &DpopVerifyArgs) -> Result<(), Failure> {
    let site = Site::DpopProof;
    let proof = input::text(&args.proof, "PROOF", input::is_compact_jws)?;
    let profile = args.profile.profile();
    let config = DpopConfig::new(&profile);
    let request = DpopRequest {
        method: &args.htm,
        uri: &args.htu,
        nonce_binding: None,
    };
    let replay = FixedReplayCache::<1>::default();
    let backend = &fapi_awslc::AWSLC;
    let what = "dpop verify";
    let verified = match &args.access_token {
        Some(token) => dpop::verify_resource_proof(
            proof.as_bytes(),
            &request,
            token,
            &config,
            backend,
            &SystemClock,
            &replay,
        )
        .refused(what, site)?
        .proof()
        .clone(),
        None => dpop::verify_proof(
            proof.as_bytes(),
            &request,
            &config,
            backend,
            &SystemClock,
            &replay,
        )
        .refused(what, site)?,
    };
    output::json(&serde_json::json!({
        "jkt": verified.jkt.to_b64().as_str(),
        "alg": verified.key.alg().name(),
        "htm": verified.htm(),
        "iat": verified.iat,
        "profile": profile.name,
    }))
}
