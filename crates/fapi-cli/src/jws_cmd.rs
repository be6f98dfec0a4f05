//! `fapi jwks`, `fapi sign` and `fapi verify`: JWK Sets out of key
//! configurations, compact JWS signing, and verification against a JWK Set
//! (a file or an issuer's `jwks_uri`).

use fapi::IssuerKeys;
use fapi_core::jws::{self, HeaderParams, Policy};
use fapi_core::jwt::{self, Expectations, Typ};
use fapi_core::profile::Profile;
use fapi_core::{Clock as _, Signer as _, Site, SystemClock};

use crate::cli::{JwksArgs, SignArgs, VerifyArgs};
use crate::failure::{Context as _, Failure};
use crate::{fetch, input, keys, output};

/// Runs `fapi jwks`.
pub fn jwks(args: &JwksArgs) -> Result<(), Failure> {
    let loaded = args
        .keys
        .iter()
        .map(|k| input::signing_key(k))
        .collect::<Result<Vec<_>, _>>()?;
    output::line(&keys::jwks_json(&loaded)?)
}

/// Runs `fapi sign`: the claims must be one JSON object (RFC 7519 §7.2),
/// checked by the core's JSON rules (no duplicate members, RFC 8725 §3.4).
pub fn sign(args: &SignArgs) -> Result<(), Failure> {
    let claims = input::text(&args.claims, "--claims", |a| {
        a.trim_start().starts_with('{')
    })?;
    let what = "--claims";
    fapi_core::json::check(claims.as_bytes()).refused(what, Site::ClientAuthentication)?;
    let value: serde_json::Value = serde_json::from_str(&claims)
        .map_err(|e| Failure::usage(what, format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(Failure::usage(what, "the claims are not a JSON object"));
    }
    let key = input::signing_key(&args.key)?;
    let header = HeaderParams {
        typ: args.typ.as_deref(),
        kid: Some(key.key_id()),
        jwk: None,
    };
    let payload = claims.as_bytes();
    let site = Site::ClientAuthentication;
    let len = jws::max_signed_len(key.alg(), &header, payload.len()).refused("signing", site)?;
    let mut out = vec![0u8; len];
    let n = jws::sign(&key, &header, payload, &mut out).refused("signing", site)?;
    out.truncate(n);
    let token = String::from_utf8(out)
        .map_err(|_| Failure::refused("signing", fapi_core::Error::Malformed, site))?;
    output::line(&token)
}

/// Runs `fapi verify`.
///
/// F2-ALG: PS256, ES256 and EdDSA only, the key's algorithm the header's
/// (the core's `jws::verify`). With `--iss` and `--aud` the JWT rules of
/// RFC 8725 too (`jwt::verify`: issuer, audience, `exp`, `nbf`, `iat`, a
/// lifetime of at most `jwt::MAX_LIFETIME`, explicit `typ`); without them
/// the signature, `exp` and `nbf`, and a note on stderr that issuer and
/// audience were not checked.
pub async fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let site = Site::ResourceRequest;
    let token = input::text(&args.token, "TOKEN", input::is_compact_jws)?;
    let jwks_text = if fetch::is_url(&args.jwks) {
        fetch::get_text(&args.jwks, args.ca.as_deref()).await?
    } else {
        input::text(&args.jwks, "--jwks", |_| false)?.to_string()
    };
    let keys = IssuerKeys::from_jwks_json(&jwks_text).map_err(|e| Failure::key("--jwks", &e))?;
    let key = keys.for_token(&token).refused("verify", site)?;
    let algs = Profile::FAPI2.algs;
    let mut buf = vec![0u8; jwt::verify_buf_len(token.len())];
    let payload: serde_json::Value = match (&args.iss, &args.aud) {
        (Some(iss), Some(aud)) => {
            let typ = args
                .typ
                .as_deref()
                .map_or(Typ::AbsentOr("JWT"), Typ::Required);
            let expect = Expectations::new(algs, typ, iss, aud).refused("verify", site)?;
            let v = jwt::verify(token.as_bytes(), &expect, key, &SystemClock, &mut buf)
                .refused("verify", site)?;
            serde_json::from_slice(v.payload).refused_json(site)?
        }
        _ => {
            let mut policy = Policy::new(algs).json_payload();
            if let Some(t) = args.typ.as_deref() {
                policy = policy.with_typ(t);
            }
            let v =
                jws::verify(token.as_bytes(), &policy, key, &mut buf).refused("verify", site)?;
            let claims: serde_json::Value = serde_json::from_slice(v.payload).refused_json(site)?;
            let now = SystemClock.now();
            let leeway = jwt::DEFAULT_LEEWAY;
            let _ = fapi_core::claims::check_exp(claims["exp"].as_u64(), now, leeway)
                .refused("verify", site)?;
            fapi_core::claims::check_nbf(claims["nbf"].as_u64(), now, leeway)
                .refused("verify", site)?;
            eprintln!(
                "fapi: verify: signature, exp and nbf checked; iss and aud not checked (give --iss and --aud)"
            );
            claims
        }
    };
    output::json(&payload)
}

trait JsonContext<T> {
    fn refused_json(self, site: Site) -> Result<T, Failure>;
}

impl<T> JsonContext<T> for Result<T, serde_json::Error> {
    fn refused_json(self, site: Site) -> Result<T, Failure> {
        self.map_err(|_| Failure::refused("verify", fapi_core::Error::Json, site))
    }
}
