//! DPoP negatives at the token and PAR endpoints (RFC 9449 §4.3, §10):
//! each a request whose proof is missing or has one thing wrong.

use serde_json::Value;

use super::{Module, Outcome, needs_happy, refusal_of, run, step};
use crate::probe::ctx::Ctx;
use crate::probe::jwt;

const IDS: &[&str] = &["F2-SENDER"];
const ALG_IDS: &[&str] = &["F2-SENDER", "F2-ALG"];

/// SKIP unless tokens are DPoP-bound.
fn dpop(c: &Ctx) -> Result<&fapi::SigningKey, Outcome> {
    needs_happy(c)?;
    c.a.dpop_key.as_ref().ok_or_else(|| {
        Outcome::Skip("tokens are not DPoP-bound (no dpop_signing_alg_values_supported, or the profile binds by certificate)".into())
    })
}

/// A fresh code of the client redeemed with the proof `proof` makes from
/// the correct claims (`None`: no proof).
async fn token_with(
    c: &Ctx,
    proof: impl Fn(Value) -> Result<Option<String>, String>,
    errors: &[&str],
) -> Outcome {
    if let Err(o) = dpop(c) {
        return o;
    }
    let auth = step!(c.authorize(&c.a).await, "an authorization");
    let pairs = Ctx::code_pairs(&c.a, &auth.code, Some(auth.session.pkce().verifier()));
    let a = c
        .token_request(
            &c.a,
            &pairs,
            || {
                proof(jwt::dpop_claims(
                    "POST",
                    &c.a.token_endpoint,
                    c.a.nonce().as_deref(),
                    None,
                ))
            },
            false,
        )
        .await;
    refusal_of(a, &[400, 401], errors)
}

fn own(c: &Ctx, claims: &Value) -> Result<Option<String>, String> {
    let k = c.a.dpop_key.as_ref().ok_or("no DPoP key")?;
    jwt::dpop_proof(k, claims).map(Some)
}

macro_rules! dpop_module {
    ($const:ident, $name:literal, $clause:literal, $expected:literal, $f:ident) => {
        dpop_module!($const, $name, $clause, $expected, $f, IDS);
    };
    ($const:ident, $name:literal, $clause:literal, $expected:literal, $f:ident, $ids:expr) => {
        pub const $const: Module = Module {
            name: $name,
            area: "DPoP",
            ids: $ids,
            clause: $clause,
            expected: $expected,
            run: run!($f),
        };
    };
}

dpop_module!(
    TOKEN_NO_PROOF,
    "dpop-token-no-proof",
    "RFC 9449 §10 (a code bound by dpop_jkt needs a proof of that key)",
    "400 invalid_grant, invalid_dpop_proof or invalid_request",
    token_no_proof
);
dpop_module!(
    TOKEN_WRONG_HTM,
    "dpop-token-wrong-htm",
    "RFC 9449 §4.3 (8)",
    "400 invalid_dpop_proof",
    token_wrong_htm
);
dpop_module!(
    TOKEN_WRONG_HTU,
    "dpop-token-wrong-htu",
    "RFC 9449 §4.3 (9)",
    "400 invalid_dpop_proof",
    token_wrong_htu
);
dpop_module!(
    TOKEN_STALE_IAT,
    "dpop-token-stale-iat",
    "RFC 9449 §4.3 (11), §11.1 (iat outside the window; a server that provides nonces may time the proof by its nonce instead)",
    "400 invalid_dpop_proof (SKIP where the server provides DPoP nonces)",
    token_stale_iat
);
dpop_module!(
    TOKEN_ALG_NONE,
    "dpop-token-alg-none",
    "RFC 9449 §4.3 (5); FAPI 2.0 SP §5.4",
    "400 invalid_dpop_proof",
    token_alg_none,
    ALG_IDS
);
dpop_module!(
    TOKEN_KEY_MISMATCH,
    "dpop-token-key-mismatch",
    "RFC 9449 §10 (the proof's key is the dpop_jkt of the request)",
    "400 invalid_grant, invalid_dpop_proof or invalid_request",
    token_key_mismatch
);
dpop_module!(
    PAR_WRONG_HTU,
    "dpop-par-wrong-htu",
    "RFC 9449 §4.3 (9), §10.1 (DPoP at PAR)",
    "400 invalid_dpop_proof",
    par_wrong_htu
);
dpop_module!(
    PAR_ALG_NONE,
    "dpop-par-alg-none",
    "RFC 9449 §4.3 (5), §10.1 (DPoP at PAR)",
    "400 invalid_dpop_proof",
    par_alg_none,
    ALG_IDS
);
dpop_module!(
    PAR_REUSED_JTI,
    "dpop-par-reused-jti",
    "RFC 9449 §11.1 (a proof's jti seen before at the same URI); RFC 9126 §2.3 (RFC 6749's error codes at PAR)",
    "400 invalid_dpop_proof or invalid_request",
    par_reused_jti
);
dpop_module!(
    PAR_JKT_MISMATCH,
    "dpop-par-jkt-mismatch",
    "RFC 9449 §10.1 (dpop_jkt and the proof's key agree)",
    "400 invalid_dpop_proof or invalid_request",
    par_jkt_mismatch
);

async fn token_no_proof(c: &Ctx) -> Outcome {
    token_with(
        c,
        |_| Ok(None),
        &["invalid_grant", "invalid_dpop_proof", "invalid_request"],
    )
    .await
}

async fn token_wrong_htm(c: &Ctx) -> Outcome {
    token_with(
        c,
        |mut v| {
            v["htm"] = "GET".into();
            own(c, &v)
        },
        &["invalid_dpop_proof"],
    )
    .await
}

async fn token_wrong_htu(c: &Ctx) -> Outcome {
    token_with(
        c,
        |mut v| {
            v["htu"] = format!("{}/elsewhere", c.meta.issuer.trim_end_matches('/')).into();
            own(c, &v)
        },
        &["invalid_dpop_proof"],
    )
    .await
}

async fn token_stale_iat(c: &Ctx) -> Outcome {
    if let Err(o) = dpop(c) {
        return o;
    }
    // RFC 9449 §4.3 (11): the creation time is "determined by either the
    // iat claim or a server managed timestamp via the nonce claim"; §11.1:
    // a server MAY use nonces "rather than comparing the client-supplied
    // iat". A server that has provided a nonce may accept a stale `iat`
    // with its fresh nonce, and a nonce is opaque: the probe cannot make
    // a stale one. Only a server without nonces must judge by `iat`.
    if let Some(n) = c.a.nonce() {
        return Outcome::Skip(format!(
            "the server provides DPoP nonces (DPoP-Nonce {n:?}): RFC 9449 §4.3 (11) lets it take the proof's creation time from its nonce instead of iat"
        ));
    }
    token_with(
        c,
        |mut v| {
            v["iat"] = (jwt::now() - 3600).into();
            own(c, &v)
        },
        &["invalid_dpop_proof"],
    )
    .await
}

/// The proof the client's DPoP key makes from `claims`, its header's
/// `alg` turned to `none` and its signature dropped; the header still
/// carries the public JWK, as a proof would.
fn alg_none_proof(c: &Ctx, claims: &Value) -> Result<Option<String>, String> {
    let k = c.a.dpop_key.as_ref().ok_or("no DPoP key")?;
    let real = jwt::dpop_proof(k, claims)?;
    let header = real.split('.').next().unwrap_or("");
    let mut h: Value = jwt::payload(&format!("x.{header}.")).ok_or("the header")?;
    h["alg"] = "none".into();
    let payload = real.split('.').nth(1).unwrap_or("");
    Ok(Some(format!(
        "{}.{payload}.",
        jwt::b64(h.to_string().as_bytes())
    )))
}

async fn token_alg_none(c: &Ctx) -> Outcome {
    token_with(c, |v| alg_none_proof(c, &v), &["invalid_dpop_proof"]).await
}

async fn token_key_mismatch(c: &Ctx) -> Outcome {
    let Some(alg) = c.a.dpop_key.as_ref().map(fapi_core::Signer::alg) else {
        return token_with(c, |_| Ok(None), &[]).await;
    };
    let other = step!(
        fapi::SigningKey::generate(alg).map_err(|e| e.to_string()),
        "a key"
    );
    token_with(
        c,
        |v| jwt::dpop_proof(&other, &v).map(Some),
        &["invalid_grant", "invalid_dpop_proof", "invalid_request"],
    )
    .await
}

/// A pushed request of the client with the proof `proof` makes from the
/// correct claims.
async fn par_with(
    c: &Ctx,
    proof: impl Fn(Value) -> Result<Option<String>, String>,
    errors: &[&str],
) -> Outcome {
    if let Err(o) = dpop(c) {
        return o;
    }
    let (pairs, _) = step!(c.par_pairs(&c.a).await, "the pushed request");
    let a = c
        .push(
            &c.a,
            || c.par_form(&c.a, &pairs, None, &c.a.auth_pairs(&c.meta.issuer)?),
            || {
                proof(jwt::dpop_claims(
                    "POST",
                    &c.a.par_endpoint,
                    c.a.nonce().as_deref(),
                    None,
                ))
            },
            false,
        )
        .await;
    refusal_of(a, &[400, 401], errors)
}

async fn par_wrong_htu(c: &Ctx) -> Outcome {
    par_with(
        c,
        |mut v| {
            v["htu"] = c.a.token_endpoint.clone().into();
            own(c, &v)
        },
        &["invalid_dpop_proof"],
    )
    .await
}

async fn par_alg_none(c: &Ctx) -> Outcome {
    par_with(c, |v| alg_none_proof(c, &v), &["invalid_dpop_proof"]).await
}

async fn par_reused_jti(c: &Ctx) -> Outcome {
    let k = match dpop(c) {
        Ok(k) => k.clone(),
        Err(o) => return o,
    };
    // A first pushed request with a proof (retried with the server's
    // nonce), whose proof is then sent again with a second request.
    let (pairs, _) = step!(c.par_pairs(&c.a).await, "the pushed request");
    let used = std::sync::Mutex::new(String::new());
    let first = c
        .push(
            &c.a,
            || c.par_form(&c.a, &pairs, None, &c.a.auth_pairs(&c.meta.issuer)?),
            || {
                let p = jwt::dpop_proof(
                    &k,
                    &jwt::dpop_claims("POST", &c.a.par_endpoint, c.a.nonce().as_deref(), None),
                )?;
                *used
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = p.clone();
                Ok(Some(p))
            },
            false,
        )
        .await;
    match first {
        Ok(a) if a.status == 201 => {}
        Ok(a) => {
            return Outcome::Fail(format!(
                "the first use of the proof was refused: {}",
                a.summary()
            ));
        }
        Err(e) => return Outcome::Fail(e),
    }
    let proof = used
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    // RFC 9126 §2.3: a PAR error is one of RFC 6749's codes
    // (`invalid_request`) or an extension's (`invalid_dpop_proof`).
    par_with(
        c,
        |_| Ok(Some(proof.clone())),
        &["invalid_dpop_proof", "invalid_request"],
    )
    .await
}

async fn par_jkt_mismatch(c: &Ctx) -> Outcome {
    let Some(alg) = c.a.dpop_key.as_ref().map(fapi_core::Signer::alg) else {
        return par_with(c, |_| Ok(None), &[]).await;
    };
    let other = step!(
        fapi::SigningKey::generate(alg).map_err(|e| e.to_string()),
        "a key"
    );
    par_with(
        c,
        |v| jwt::dpop_proof(&other, &v).map(Some),
        &["invalid_dpop_proof", "invalid_request"],
    )
    .await
}
