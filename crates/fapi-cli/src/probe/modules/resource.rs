//! The happy flow's access token at the resource (`--resource`), without
//! its sender constraint: RFC 9449 §7 (DPoP), RFC 8705 §3 (certificate).

use http::{Request, header};

use super::{Module, Outcome, needs_happy, refusal_of, run, step};
use crate::probe::ctx::Ctx;
use crate::probe::jwt;
use crate::probe::party::Party;

const IDS: &[&str] = &["F2-SENDER", "OB-SENDER", "CDR-HOK"];

/// The resource URL and the access token, or SKIP.
fn target(c: &Ctx, dpop: bool) -> Result<(String, String), Outcome> {
    needs_happy(c)?;
    let url = c
        .resource
        .clone()
        .ok_or_else(|| Outcome::Skip("no --resource".into()))?;
    if dpop && c.a.dpop_key.is_none() {
        return Err(Outcome::Skip("tokens are not DPoP-bound".into()));
    }
    if !dpop && (c.a.dpop_key.is_some() || c.a.file.identity_pem.is_none()) {
        return Err(Outcome::Skip("tokens are not certificate-bound".into()));
    }
    let t = c
        .happy
        .token
        .as_ref()
        .ok_or_else(|| Outcome::Skip("no token".into()))?;
    Ok((url, t.access_token.clone()))
}

/// A GET of `url` by `p`: where the profile signs resource messages
/// (BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures) signed by `p`, so that only
/// the sender constraint is wrong.
fn get_by(
    p: &Party,
    url: &str,
    authorization: &str,
    dpop: Option<String>,
) -> Result<Request<String>, String> {
    let mut b = Request::get(url).header(header::AUTHORIZATION, authorization);
    if let Some(proof) = dpop {
        b = b.header("dpop", proof);
    }
    let mut req = b.body(String::new()).map_err(|e| e.to_string())?;
    if p.client.profile().signed_messages_required {
        p.client
            .sign_resource_request(&mut req)
            .map_err(|e| e.to_string())?;
    }
    Ok(req)
}

macro_rules! rs_module {
    ($const:ident, $name:literal, $clause:literal, $expected:literal, $f:ident) => {
        pub const $const: Module = Module {
            name: $name,
            area: "resource server",
            ids: IDS,
            clause: $clause,
            expected: $expected,
            run: run!($f),
        };
    };
}

rs_module!(
    DPOP_NO_PROOF,
    "resource-dpop-token-without-proof",
    "RFC 9449 §7 (a DPoP proof with the token), §7.1",
    "401 invalid_dpop_proof or invalid_token",
    dpop_no_proof
);
rs_module!(
    DPOP_AS_BEARER,
    "resource-dpop-token-as-bearer",
    "RFC 9449 §7.2 (no downgrade to Bearer)",
    "401 invalid_token (or invalid_request)",
    dpop_as_bearer
);
rs_module!(
    DPOP_OTHER_KEY,
    "resource-dpop-proof-of-another-key",
    "RFC 9449 §4.3 (12) (the proof's key is the token's cnf.jkt), §7",
    "401 invalid_token or invalid_dpop_proof",
    dpop_other_key
);
rs_module!(
    DPOP_WRONG_ATH,
    "resource-dpop-proof-wrong-ath",
    "RFC 9449 §4.3 (12) (ath the hash of the access token), §7",
    "401 invalid_dpop_proof or invalid_token",
    dpop_wrong_ath
);
rs_module!(
    MTLS_NO_CERT,
    "resource-mtls-token-without-certificate",
    "RFC 8705 §3 (the certificate of cnf.x5t#S256)",
    "401 invalid_token (or the TLS handshake refused)",
    mtls_no_cert
);
rs_module!(
    MTLS_OTHER_CERT,
    "resource-mtls-token-with-another-certificate",
    "RFC 8705 §3",
    "401 invalid_token",
    mtls_other_cert
);

async fn dpop_no_proof(c: &Ctx) -> Outcome {
    let (url, token) = match target(c, true) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let a =
        c.a.send(|| get_by(&c.a, &url, &format!("DPoP {token}"), None))
            .await;
    refusal_of(
        a,
        &[400, 401],
        &["invalid_dpop_proof", "invalid_token", "invalid_request"],
    )
}

async fn dpop_as_bearer(c: &Ctx) -> Outcome {
    let (url, token) = match target(c, true) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let a =
        c.a.send(|| get_by(&c.a, &url, &format!("Bearer {token}"), None))
            .await;
    refusal_of(
        a,
        &[400, 401],
        &["invalid_token", "invalid_request", "invalid_dpop_proof"],
    )
}

async fn dpop_other_key(c: &Ctx) -> Outcome {
    let (url, token) = match target(c, true) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let alg =
        c.a.dpop_key
            .as_ref()
            .map_or(fapi_core::Alg::Es256, fapi_core::Signer::alg);
    let other = step!(
        fapi::SigningKey::generate(alg).map_err(|e| e.to_string()),
        "a key"
    );
    let a =
        c.a.send(|| {
            let proof = jwt::dpop_proof(
                &other,
                &jwt::dpop_claims("GET", &url, c.a.nonce().as_deref(), Some(&token)),
            )?;
            get_by(&c.a, &url, &format!("DPoP {token}"), Some(proof))
        })
        .await;
    refusal_of(a, &[401], &["invalid_token", "invalid_dpop_proof"])
}

async fn dpop_wrong_ath(c: &Ctx) -> Outcome {
    let (url, token) = match target(c, true) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let Some(k) = c.a.dpop_key.clone() else {
        return Outcome::Skip("tokens are not DPoP-bound".into());
    };
    let a =
        c.a.send(|| {
            let proof = jwt::dpop_proof(
                &k,
                &jwt::dpop_claims("GET", &url, c.a.nonce().as_deref(), Some("another-token")),
            )?;
            get_by(&c.a, &url, &format!("DPoP {token}"), Some(proof))
        })
        .await;
    refusal_of(a, &[400, 401], &["invalid_dpop_proof", "invalid_token"])
}

async fn mtls_no_cert(c: &Ctx) -> Outcome {
    let (url, token) = match target(c, false) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let req = step!(
        get_by(&c.a, &url, &format!("Bearer {token}"), None),
        "the request"
    );
    match c.a.bare.send(req).await {
        Ok(a) => refusal_of(Ok(a), &[401], &["invalid_token"]),
        Err(e) => Outcome::Pass(format!(
            "refused at the TLS handshake: {}",
            crate::probe::party::why(&e)
        )),
    }
}

async fn mtls_other_cert(c: &Ctx) -> Outcome {
    let (url, token) = match target(c, false) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let Some(b) = c.b.as_ref().filter(|b| b.file.identity_pem.is_some()) else {
        return Outcome::Skip(
            "a second client with a certificate (--client FILE2) is not given".into(),
        );
    };
    let req = step!(
        get_by(&c.a, &url, &format!("Bearer {token}"), None),
        "the request"
    );
    refusal_of(
        b.http
            .send(req)
            .await
            .map_err(|e| crate::probe::party::why(&e)),
        &[401],
        &["invalid_token"],
    )
}
