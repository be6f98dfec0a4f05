//! `fapi pkce` (RFC 7636, F2-PKCE: S256 only) and `fapi thumbprint`
//! (RFC 7638).

use fapi_core::pkce::{self, Challenge, Pair};
use fapi_core::{PublicJwk, Signer as _};

use crate::cli::{PkceArgs, ThumbprintArgs};
use crate::failure::{Context as _, Failure};
use crate::{input, output};

/// Runs `fapi pkce`: a fresh 256-bit verifier (or the one given, checked
/// for RFC 7636 §4.1's 43–128 unreserved characters) and its S256
/// challenge.
pub fn pkce(args: &PkceArgs) -> Result<(), Failure> {
    let (verifier, challenge) = match &args.verifier {
        Some(v) => {
            pkce::check_verifier_format(v).refused("--verifier")?;
            let c = Challenge::s256(v).refused("--verifier")?;
            (zeroize::Zeroizing::new(v.clone()), c.as_str().to_owned())
        }
        None => {
            let pair = Pair::generate(&fapi_awslc::SystemRandom::new()).refused("pkce")?;
            (
                zeroize::Zeroizing::new(pair.verifier().to_owned()),
                pair.challenge().to_owned(),
            )
        }
    };
    output::json(&serde_json::json!({
        "code_verifier": verifier.as_str(),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }))
}

/// Runs `fapi thumbprint`: the RFC 7638 SHA-256 thumbprint of a public JWK
/// (checked by the core: F2-ALG key types and sizes), or of a private
/// JWK's public key.
pub fn thumbprint(args: &ThumbprintArgs) -> Result<(), Failure> {
    let what = if args.jwk_json.is_some() {
        "--jwk-json"
    } else {
        "JWK"
    };
    let source = input::Source::document(args.jwk.as_deref(), args.jwk_json.as_deref());
    let jwk = input::read(source, what, Some("--jwk-json"))?;
    let key = match PublicJwk::from_json(jwk.as_bytes()) {
        Ok(public) => public.key,
        Err(fapi_core::Error::PrivateKeyMember) => fapi::SigningKey::from_jwk(&jwk)
            .map_err(|e| Failure::key("JWK", &e))?
            .public_key()
            .refused("JWK")?,
        Err(e) => return Err(Failure::refused("JWK", e)),
    };
    let jkt = key.thumbprint();
    if args.output.json {
        output::json(&serde_json::json!({ "jkt": jkt.to_b64().as_str() }))
    } else {
        output::line(jkt.to_b64().as_str())
    }
}
