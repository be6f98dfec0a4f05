//! CDR sharing arrangements against the bank (profile `cdr`): the token
//! response names the arrangement (`cdr_arrangement_id`); introspection of
//! its refresh token answers `active`, `exp`, `scope` and the arrangement,
//! never `username` (CDR-INTROSPECT); a new authorisation naming the
//! arrangement amends it, and once the amendment's code is redeemed the
//! old refresh token is revoked. Another client's arrangement and an
//! unknown one are refused.

use fapi_core::authorize::UserAction;
use fapi_core::profile::Profile;

use super::flows::{authorize, client_token, expect, outcome, redeem, why};
use super::party::Party;
use super::report::Report;
use crate::failure::Failure;
use crate::https::Answer;

const FLOW: &str = "CDR sharing arrangement";
const CONSENTS: &str = "/open-banking/v3.1/aisp/account-access-consents";
const NOTICE: &str = "You will now be taken to your bank to change what you share.";

/// The introspection of `token` by `p` (RFC 7662).
async fn introspect(p: &Party, token: &str) -> Result<serde_json::Value, String> {
    let a = p
        .send(|| {
            p.client
                .introspection_request(&p.url("/introspect"), token)
                .map_err(|e| Failure::fapi("an introspection request", &e))
        })
        .await
        .map_err(|e| why(&e))?;
    expect(&a, 200)?;
    Ok(a.json())
}

/// A pushed request by `p` naming the arrangement `id`.
async fn push_naming(p: &Party, id: &str) -> Result<Answer, String> {
    p.call(|| {
        let action = UserAction::new(NOTICE).map_err(|e| Failure::refused("a user action", e))?;
        p.client
            .par_request(action, "accounts", Some(id))
            .map_err(|e| Failure::fapi("the pushed request", &e))
    })
    .await
    .map(|(a, _)| a)
    .map_err(|e| why(&e))
}

/// The arrangement's refresh token answers as CDR-INTROSPECT says.
fn check_introspection(v: &serde_json::Value, id: &str) -> Result<(), String> {
    if v["active"] != true {
        return Err(format!("expected active, got {v}"));
    }
    if v["cdr_arrangement_id"] != id {
        return Err(format!("expected cdr_arrangement_id {id}, got {v}"));
    }
    if !v["exp"].is_u64() || !v["scope"].is_string() {
        return Err(format!("expected exp and scope, got {v}"));
    }
    if v.get("username").is_some() {
        return Err(format!("username given: {v}"));
    }
    Ok(())
}

/// The arrangement steps and attacks, under profiles whose consents are
/// sharing arrangements (`cdr`).
pub async fn sharing_arrangement(r: &mut Report, profile: &Profile, p: &Party, attacker: &Party) {
    if !profile.sharing_arrangements() {
        return;
    }
    r.text(&format!("  -- {FLOW}"));
    let Some(cc) = r.step(
        FLOW,
        "client credentials token",
        &["CDR-CLIENT-AUTH"],
        client_token(p, "accounts").await,
    ) else {
        return;
    };
    let body = serde_json::json!({"Data": {"Permissions": ["ReadAccountsDetail", "ReadBalances"]}, "Risk": {}});
    let created = p
        .send(|| p.resource("POST", CONSENTS, &cc.access_token, Some(&body), &[]))
        .await;
    let Some(id) = r.step(
        FLOW,
        "arrangement (account-access consent) created",
        &["CDR-HOK"],
        created.map_err(|e| why(&e)).and_then(|a| {
            expect(&a, 201)?;
            a.json()["Data"]["ConsentId"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| "no Data.ConsentId".to_owned())
        }),
    ) else {
        return;
    };
    let Some(auth) = authorize(r, FLOW, p, "accounts", &id, "ReadBalances").await else {
        return;
    };
    let Some(first) = redeem(r, FLOW, p, &auth).await else {
        return;
    };
    let names = |t: &fapi::issuer::TokenResponse| match t.cdr_arrangement_id.as_deref() {
        Some(got) if got == id => Ok(()),
        other => Err(format!("expected cdr_arrangement_id {id}, got {other:?}")),
    };
    let _ = r.step(
        FLOW,
        "the token response names the arrangement (cdr_arrangement_id)",
        &["CDR-CODE-FLOW"],
        names(&first),
    );
    let Some(old_rt) = r.step(
        FLOW,
        "a refresh token for the 90-day sharing duration",
        &["CDR-RT-NO-ROTATE"],
        first
            .refresh_token
            .clone()
            .ok_or_else(|| "no refresh token".to_owned()),
    ) else {
        return;
    };
    let v = introspect(p, &old_rt).await;
    let _ = r.step(
        FLOW,
        "refresh token introspected: active, exp, scope, cdr_arrangement_id, no username",
        &["CDR-INTROSPECT"],
        v.and_then(|v| check_introspection(&v, &id)),
    );

    // Refused: an unknown arrangement, and the fintech's arrangement named
    // by the attacker's own client.
    for (name, who, named) in [
        (
            "pushed-request-naming-an-unknown-arrangement",
            p,
            "aac-unknown",
        ),
        (
            "pushed-request-naming-another-clients-arrangement",
            attacker,
            id.as_str(),
        ),
    ] {
        let seen = match push_naming(who, named).await {
            Ok(a) => outcome(&a, "invalid_request"),
            Err(e) => Ok(e),
        };
        r.attack(FLOW, name, "A1", &["CDR-PAR"], "invalid_request", seen);
    }

    // The amendment: a new authorisation naming the arrangement.
    let Some(auth) = authorize(r, FLOW, p, "accounts", &id, "Amends").await else {
        return;
    };
    let still = introspect(p, &old_rt).await;
    let _ = r.step(
        FLOW,
        "amendment approved, code not yet redeemed: the old refresh token still active",
        &["CDR-INTROSPECT"],
        still.and_then(|v| check_introspection(&v, &id)),
    );
    let Some(amended) = redeem(r, FLOW, p, &auth).await else {
        return;
    };
    let _ = r.step(
        FLOW,
        "amendment redeemed: the same cdr_arrangement_id",
        &["CDR-CODE-FLOW"],
        names(&amended),
    );
    let gone = introspect(p, &old_rt).await;
    let _ = r.step(
        FLOW,
        "amendment succeeded: the old refresh token introspects inactive",
        &["CDR-INTROSPECT"],
        gone.and_then(|v| {
            if v == serde_json::json!({"active": false}) {
                Ok(())
            } else {
                Err(format!("expected inactive, got {v}"))
            }
        }),
    );
    let seen = match p
        .send(|| {
            p.client
                .refresh_request(&old_rt)
                .map_err(|e| Failure::fapi("a refresh request", &e))
        })
        .await
    {
        Ok(a) => outcome(&a, "invalid_grant"),
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        FLOW,
        "refresh-token-of-the-arrangement-before-its-amendment",
        "A1a",
        &["CDR-RT-NO-ROTATE"],
        "invalid_grant",
        seen,
    );
}
