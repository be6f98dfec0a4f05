//! `x-fapi-interaction-id` at the bank's resource server (FAPI 1.0 Part 1
//! §6.2.1-11; mandatory in Open Finance Brasil), under every profile: the
//! fintech's UUID echoed on a success and on a refusal, a fresh UUID when
//! it sent none, and a value that is not a UUID refused.

use fapi_core::interaction::{HEADER, InteractionId};
use http::Request;

use super::flows::{client_token, outcome, why};
use super::party::Party;
use super::report::Report;
use crate::https::Answer;

const FLOW: &str = "x-fapi-interaction-id";
const ACCOUNTS: &str = "/open-banking/v3.1/aisp/accounts";
const ID: &str = "8f1c0d4e-2b7a-4c3e-9d5f-6a7b8c9d0e1f";
const IDS: &[&str] = &["FAPI1-6.2.1-11"];

fn echoed(a: &Answer, status: u16, sent: Option<&str>) -> Result<(), String> {
    let got = a.header(HEADER);
    let ok = a.status == status
        && match (sent, got) {
            (Some(s), Some(g)) => s == g,
            (None, Some(g)) => InteractionId::parse(g.as_bytes()).is_ok(),
            _ => false,
        };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected {status} with {HEADER} {}, got {} with {got:?}",
            sent.unwrap_or("a fresh UUID"),
            a.status
        ))
    }
}

/// The interaction id steps and the non-UUID attack.
pub async fn interaction_id(r: &mut Report, p: &Party) {
    r.text(&format!("  -- {FLOW}"));
    let Some(cc) = r.step(
        FLOW,
        "client credentials token",
        &["F2-FLOWS"],
        client_token(p, "accounts").await,
    ) else {
        return;
    };
    // A refusal by the resource server (a client token reads no account
    // data) still carries the fintech's id.
    let a = p
        .send(|| p.resource("GET", ACCOUNTS, &cc.access_token, None, &[(HEADER, ID)]))
        .await;
    let _ = r.step(
        FLOW,
        "a 403 from the resource server echoes the fintech's interaction id",
        IDS,
        a.map_err(|e| why(&e))
            .and_then(|a| echoed(&a, 403, Some(ID))),
    );
    let bare = Request::get(p.url(ACCOUNTS)).body(String::new());
    let a = match bare {
        Ok(req) => p.http.send(req).await.map_err(|e| why(&e)),
        Err(e) => Err(e.to_string()),
    };
    let _ = r.step(
        FLOW,
        "a 401 without an interaction id carries a fresh UUID",
        IDS,
        a.and_then(|a| echoed(&a, 401, None)),
    );
    let seen = match p
        .send(|| {
            p.resource(
                "GET",
                ACCOUNTS,
                &cc.access_token,
                None,
                &[(HEADER, "<script>")],
            )
        })
        .await
    {
        Ok(a) if a.header(HEADER) == Some("<script>") => {
            Ok(format!("HTTP {}, the value echoed", a.status))
        }
        Ok(a) => outcome(&a, "invalid_request"),
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        FLOW,
        "interaction-id-that-is-not-a-uuid",
        "A1",
        IDS,
        "invalid_request",
        seen,
    );
}
