//! `fapi dpop create` and `fapi dpop verify` (RFC 9449).

use fapi_core::dpop::{self, DpopConfig, DpopRequest, ProofParams};
use fapi_core::store::FixedReplayCache;
use fapi_core::{Clock as _, Random as _, SystemClock};

use crate::cli::{DpopCreateArgs, DpopVerifyArgs};
use crate::failure::{Context as _, Failure};
use crate::input::{self, Source};
use crate::{jose_view, output};

/// Runs `fapi dpop create`: a proof with a fresh 128-bit `jti`, `iat` now,
/// `ath` of the access token when given, and the server's nonce.
pub fn create(args: &DpopCreateArgs) -> Result<(), Failure> {
    check_htm(&args.htm)?;
    // RFC 9449 §4.2: htu without query and fragment.
    let htu = args.htu.split(['?', '#']).next().unwrap_or(&args.htu);
    check_htu(htu)?;
    let key = input::signing_key(&args.key)?;
    let mut raw = [0u8; 16];
    fapi_awslc::SystemRandom::new()
        .fill(&mut raw)
        .refused("a jti")?;
    let mut jti = [0u8; 22];
    let jti = fapi_core::b64::encode(&raw, &mut jti).refused("a jti")?;
    let params = ProofParams {
        htm: &args.htm,
        htu,
        iat: SystemClock.now(),
        jti,
        access_token: args.ath.as_deref(),
        nonce: args.nonce.as_deref(),
    };
    let mut out = vec![0u8; dpop::MAX_PROOF_LEN];
    let n = dpop::sign_proof(&key, &params, &mut out).refused("dpop create")?;
    out.truncate(n);
    let proof = String::from_utf8(out)
        .map_err(|_| Failure::refused("dpop create", fapi_core::Error::Malformed))?;
    if args.output.json {
        output::json(&serde_json::json!({ "proof": proof }))
    } else {
        output::line(&proof)
    }
}

/// RFC 9110 §9.1: a method is a case-sensitive token, and the registered
/// methods are upper case. `post` is not `POST`: a proof for it matches
/// no request a server sees, so it is refused with the value shown.
pub fn check_htm(htm: &str) -> Result<(), Failure> {
    let token = !htm.is_empty()
        && htm
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !token {
        return Err(Failure::usage(
            "--htm",
            format!(
                "{} is not an HTTP method token (RFC 9110 §9.1)",
                input::shown(htm)
            ),
        ));
    }
    if htm.bytes().any(|b| b.is_ascii_lowercase()) {
        return Err(Failure::usage(
            "--htm",
            format!(
                "{} is not {:?}: methods are case-sensitive and upper case (RFC 9110 §9.1)",
                input::shown(htm),
                htm.to_ascii_uppercase()
            ),
        ));
    }
    Ok(())
}

/// RFC 9449 §4.2: `htu` is the request's URI: absolute, with a scheme and
/// a host. `as.bank.example/token` is refused with the value shown.
pub fn check_htu(htu: &str) -> Result<(), Failure> {
    let uri: Result<::http::Uri, _> = htu.parse();
    match uri {
        Ok(u) if u.scheme().is_some() && u.host().is_some_and(|h| !h.is_empty()) => {
            match u.scheme_str() {
                Some("https" | "http") => Ok(()),
                Some(other) => Err(Failure::usage(
                    "--htu",
                    format!(
                        "{} has scheme {other:?}: an htu is an http(s) URL",
                        input::shown(htu)
                    ),
                )),
                None => Ok(()),
            }
        }
        _ => Err(Failure::usage(
            "--htu",
            format!(
                "{} is not an absolute URL (no scheme and host): give https://host/path",
                input::shown(htu)
            ),
        )),
    }
}

/// Runs `fapi dpop verify`: every check of RFC 9449 §4.3 that one proof
/// alone allows (`typ`, the profile's algorithms, the embedded public key,
/// the signature, `htm`, `htu`, `iat` within the window, `ath` when an
/// access token is given). A server nonce and `jti` replay need the
/// server's state and are the server's to check.
pub fn verify(args: &DpopVerifyArgs) -> Result<(), Failure> {
    let proof = input::compact_jws(Source::value(args.proof.as_deref()), "PROOF")?;
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
    let verified = (match &args.access_token {
        Some(token) => dpop::verify_resource_proof(
            proof.as_bytes(),
            &request,
            token,
            &config,
            backend,
            &SystemClock,
            &replay,
        )
        .map(|v| v.proof().clone()),
        None => dpop::verify_proof(
            proof.as_bytes(),
            &request,
            &config,
            backend,
            &SystemClock,
            &replay,
        ),
    })
    .map_err(|e| Failure::refused(what, e).with_detail(proof_values(e, &proof, args)))?;
    output::json(&serde_json::json!({
        "verified": true,
        "jkt": verified.jkt.to_b64().as_str(),
        "alg": verified.key.alg().name(),
        "htm": verified.htm(),
        "iat": verified.iat,
        "profile": profile.name,
    }))
}

/// The values behind a refused proof: `htm`/`htu` expected against got,
/// `iat` against now.
fn proof_values(e: fapi_core::Error, proof: &str, args: &DpopVerifyArgs) -> Option<String> {
    let claims = jose_view::decode(proof).ok()?.payload?;
    let got = |n: &str| {
        claims
            .get(n)
            .map_or_else(|| "none".to_owned(), ToString::to_string)
    };
    Some(match e {
        fapi_core::Error::DpopMethod => format!("htm expected {:?}, got {}", args.htm, got("htm")),
        fapi_core::Error::DpopUri => format!(
            "htu expected {:?} (without query and fragment), got {}",
            args.htu,
            got("htu")
        ),
        fapi_core::Error::IssuedInFuture | fapi_core::Error::TooOld => {
            format!("iat {} against now {}", got("iat"), SystemClock.now())
        }
        _ => return None,
    })
}
