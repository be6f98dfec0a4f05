//! The code at the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.6):
//! PKCE verifier, single use, bound to its client and redirect URI; and
//! the refresh token bound to its client (RFC 6749 §6).

use super::{Module, Outcome, needs_happy, refusal_of, run, step};
use crate::probe::ctx::{Authorized, Ctx};
use crate::probe::party::Party;

/// A fresh code of the client redeemed with `pairs` changed by `change`.
async fn redeem_changed(
    c: &Ctx,
    change: impl Fn(&mut Vec<(String, String)>),
    errors: &[&str],
) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    let auth = step!(c.authorize(&c.a).await, "an authorization");
    let mut pairs = Ctx::code_pairs(&c.a, &auth.code, Some(auth.session.pkce().verifier()));
    change(&mut pairs);
    let a = c
        .token_request(
            &c.a,
            &pairs,
            || c.a.proof("POST", &c.a.token_endpoint, None),
            false,
        )
        .await;
    refusal_of(a, &[400], errors)
}

/// A code redeemed with another verifier.
pub const PKCE_WRONG_VERIFIER: Module = Module {
    name: "token-pkce-wrong-verifier",
    area: "PKCE",
    ids: &["F2-PKCE", "OFB-PKCE", "CDR-PKCE", "BG-PKCE"],
    clause: "RFC 7636 §4.6",
    expected: "400 invalid_grant",
    run: run!(wrong_verifier),
};

async fn wrong_verifier(c: &Ctx) -> Outcome {
    let other = crate::probe::jwt::random() + &crate::probe::jwt::random();
    redeem_changed(
        c,
        |pairs| {
            for (k, v) in pairs.iter_mut() {
                if k == "code_verifier" {
                    v.clone_from(&other);
                }
            }
        },
        &["invalid_grant"],
    )
    .await
}

/// A code redeemed without its verifier.
pub const PKCE_MISSING_VERIFIER: Module = Module {
    name: "token-pkce-missing-verifier",
    area: "PKCE",
    ids: &["F2-PKCE", "OFB-PKCE", "CDR-PKCE", "BG-PKCE"],
    clause: "RFC 7636 §4.5, §4.6",
    expected: "400 invalid_grant",
    run: run!(missing_verifier),
};

async fn missing_verifier(c: &Ctx) -> Outcome {
    redeem_changed(
        c,
        |pairs| pairs.retain(|(k, _)| k != "code_verifier"),
        &["invalid_grant", "invalid_request"],
    )
    .await
}

/// A redirect URI at the token endpoint other than the authorization's.
pub const REDIRECT_MISMATCH: Module = Module {
    name: "token-redirect-uri-mismatch",
    area: "redirect URI",
    ids: &["F2-CODE-ONCE"],
    clause: "RFC 6749 §4.1.3 (redirect_uri identical to the authorization request's)",
    expected: "400 invalid_grant",
    run: run!(redirect_mismatch),
};

async fn redirect_mismatch(c: &Ctx) -> Outcome {
    redeem_changed(
        c,
        |pairs| {
            for (k, v) in pairs.iter_mut() {
                if k == "redirect_uri" {
                    v.push_str("/other");
                }
            }
        },
        &["invalid_grant"],
    )
    .await
}

/// The happy flow's code, already redeemed, again.
pub const CODE_REUSE: Module = Module {
    name: "token-code-reuse",
    area: "code",
    ids: &["F2-CODE-ONCE", "CDR-CODE-ONCE"],
    clause: "RFC 6749 §4.1.2 (the code used at most once), §10.5",
    expected: "400 invalid_grant",
    run: run!(code_reuse),
};

async fn code_reuse(c: &Ctx) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    let Some(auth) = &c.happy.auth else {
        return Outcome::Skip("no authorization".into());
    };
    refusal_of(c.redeem(&c.a, auth).await, &[400], &["invalid_grant"])
}

/// The client's code redeemed by another client (with the right
/// verifier).
pub const CODE_OTHER_CLIENT: Module = Module {
    name: "token-code-other-client",
    area: "code",
    ids: &["F2-CODE-ONCE"],
    clause: "RFC 6749 §4.1.3 (the code was issued to the authenticated client)",
    expected: "400 invalid_grant",
    run: run!(code_other_client),
};

fn second(c: &Ctx) -> Result<&Party, Outcome> {
    needs_happy(c)?;
    c.b.as_ref()
        .ok_or_else(|| Outcome::Skip("a second client (--client FILE2) is not given".into()))
}

async fn code_other_client(c: &Ctx) -> Outcome {
    let b = match second(c) {
        Ok(b) => b,
        Err(o) => return o,
    };
    let auth: Authorized = step!(c.authorize(&c.a).await, "an authorization");
    let mut pairs = Ctx::code_pairs(&c.a, &auth.code, Some(auth.session.pkce().verifier()));
    // The redirect URI of the code, not the other client's.
    for (k, v) in &mut pairs {
        if k == "redirect_uri" {
            v.clone_from(&c.a.file.redirect_uri);
        }
    }
    let a = c
        .token_request(
            b,
            &pairs,
            || b.proof("POST", &b.token_endpoint, None),
            false,
        )
        .await;
    refusal_of(a, &[400], &["invalid_grant"])
}

/// The client's refresh token used by another client.
pub const REFRESH_OTHER_CLIENT: Module = Module {
    name: "refresh-token-other-client",
    area: "refresh",
    ids: &["F2-SENDER"],
    clause: "RFC 6749 §6 (bound to the client it was issued to), §10.4",
    expected: "400 invalid_grant",
    run: run!(refresh_other_client),
};

async fn refresh_other_client(c: &Ctx) -> Outcome {
    let b = match second(c) {
        Ok(b) => b,
        Err(o) => return o,
    };
    let Some(rt) = c.happy.token.as_ref().and_then(|t| t.refresh_token.clone()) else {
        return Outcome::Skip("no refresh token was issued".into());
    };
    let pairs = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), rt),
    ];
    let a = c
        .token_request(
            b,
            &pairs,
            || b.proof("POST", &b.token_endpoint, None),
            false,
        )
        .await;
    refusal_of(a, &[400], &["invalid_grant"])
}
