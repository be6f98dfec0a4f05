//! Certificate binding at the token endpoint (RFC 8705 §3): where tokens
//! are bound to the client's certificate, a code redemption and a refresh
//! sent over a connection without it. RFC 8705 §3.4 leaves that case to
//! the server ("return an error or issue an unbound token"); the FAPI 2.0
//! Security Profile (§5.3.2.1: only sender-constrained access tokens)
//! removes the second choice. The error is not named anywhere, so any 4xx
//! with an OAuth error (or a TLS handshake refused) passes; a token
//! without `cnf.x5t#S256` of the client's certificate fails.

use serde_json::Value;

use super::{Module, Outcome, needs_happy, run, step};
use crate::https::Answer;
use crate::probe::ctx::Ctx;
use crate::probe::party::{Party, why};

const IDS: &[&str] = &["F2-SENDER", "OB-SENDER", "CDR-HOK"];

const EXPECTED: &str = "a refusal: 4xx with an OAuth error (RFC 8705 leaves the code to the server), or the TLS handshake refused; never an access token without cnf.x5t#S256 of the client's certificate";

/// A code of the client redeemed without its certificate.
pub const TOKEN_CODE_NO_CERT: Module = Module {
    name: "mtls-token-code-without-certificate",
    area: "MTLS binding",
    ids: IDS,
    clause: "RFC 8705 §3, §3.4 (no certificate at the token endpoint: an error or an unbound token, the server's choice); FAPI 2.0 SP §5.3.2.1 (only sender-constrained access tokens)",
    expected: EXPECTED,
    run: run!(code_no_cert),
};

/// The client's refresh token sent without its certificate.
pub const TOKEN_REFRESH_NO_CERT: Module = Module {
    name: "mtls-token-refresh-without-certificate",
    area: "MTLS binding",
    ids: IDS,
    clause: "RFC 8705 §3, §3.4, §7.1 (certificate-bound refresh); FAPI 2.0 SP §5.3.2.1 (only sender-constrained access tokens)",
    expected: EXPECTED,
    run: run!(refresh_no_cert),
};

/// The client's certificate thumbprint (`x5t#S256`), or SKIP unless
/// tokens are certificate-bound.
fn bound(c: &Ctx) -> Result<String, Outcome> {
    needs_happy(c)?;
    if c.a.dpop_key.is_some() {
        return Err(Outcome::Skip(
            "tokens are DPoP-bound, not certificate-bound".into(),
        ));
    }
    let Some(pem) = &c.a.file.identity_pem else {
        return Err(Outcome::Skip(
            "the client file has no certificate (tls_cert)".into(),
        ));
    };
    super::flow::x5t(pem).map_err(|e| Outcome::Fail(format!("the client certificate: {e}")))
}

/// POSTs `pairs` (the client's authentication added) to its token
/// endpoint over a connection without its certificate, and judges the
/// answer.
async fn without_cert(c: &Ctx, x5t: &str, pairs: Vec<(String, String)>) -> Outcome {
    let p = &c.a;
    let mut form = pairs;
    form.extend(step!(
        p.auth_pairs(&c.meta.issuer),
        "the client authentication"
    ));
    let req = step!(Party::post(&p.token_endpoint, &form, None), "the request");
    match p.bare.send(req).await {
        Ok(a) => judge(c, x5t, &a).await,
        Err(e) => Outcome::Pass(format!("refused at the TLS handshake: {}", why(&e))),
    }
}

async fn judge(c: &Ctx, x5t: &str, a: &Answer) -> Outcome {
    if a.status >= 500 {
        return Outcome::Fail(format!("server error: HTTP {}", a.status));
    }
    if (400..500).contains(&a.status) {
        return match a.oauth_error() {
            Some(e) => Outcome::Pass(format!("refused: {} {e}", a.status)),
            None => Outcome::Fail(format!(
                "refused without an OAuth error: HTTP {} (RFC 6749 §5.2)",
                a.status
            )),
        };
    }
    if !(200..300).contains(&a.status) {
        return Outcome::Fail(format!("unexpected answer: HTTP {}", a.status));
    }
    // A token came: bound to the client's certificate all the same (the
    // one of the grant) is a sender-constrained token; anything else is a
    // token any holder can use.
    let Some(access) = a.json()["access_token"].as_str().map(str::to_owned) else {
        return Outcome::Fail(format!(
            "accepted: HTTP {} without a client certificate (and no access_token)",
            a.status
        ));
    };
    match super::flow::cnf(c, &access).await {
        Ok(Some(v)) if v.get("x5t#S256").and_then(Value::as_str) == Some(x5t) => Outcome::Pass(
            format!("issued without a certificate presented, but bound to the client's (cnf.x5t#S256 {x5t})"),
        ),
        Ok(Some(v)) => Outcome::Fail(format!(
            "accepted without a client certificate: an access token with cnf {v}, not x5t#S256 {x5t}"
        )),
        Ok(None) => Outcome::Fail(
            "accepted without a client certificate: an opaque access token whose binding cannot be read (no introspection_endpoint)".into(),
        ),
        Err(e) => Outcome::Fail(format!(
            "accepted without a client certificate: HTTP {}; its cnf: {e}",
            a.status
        )),
    }
}

async fn code_no_cert(c: &Ctx) -> Outcome {
    let x5t = match bound(c) {
        Ok(x) => x,
        Err(o) => return o,
    };
    let auth = step!(c.authorize(&c.a).await, "an authorization");
    let pairs = Ctx::code_pairs(&c.a, &auth.code, Some(auth.session.pkce().verifier()));
    without_cert(c, &x5t, pairs).await
}

async fn refresh_no_cert(c: &Ctx) -> Outcome {
    let x5t = match bound(c) {
        Ok(x) => x,
        Err(o) => return o,
    };
    // The latest refresh token of the happy flow (the refreshed one where
    // the server rotates them), so that a refusal is for the certificate.
    let rt = c
        .happy
        .refreshed
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .and_then(|t| t.refresh_token.clone())
        .or_else(|| c.happy.token.as_ref().and_then(|t| t.refresh_token.clone()));
    let Some(rt) = rt else {
        return Outcome::Skip("no refresh token was issued".into());
    };
    let pairs = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), rt),
    ];
    without_cert(c, &x5t, pairs).await
}
