//! The tokens of a replayed code (A1a: an attacker who obtained the code
//! redeems it too): once the code is presented again, the bank revokes
//! every token of its first redemption (RFC 6749 §4.1.2, RFC 9700 §4.5):
//! the access token is refused at the resource server and the refresh
//! token at the token endpoint.

use super::flows::{outcome, why};
use super::party::Party;
use super::report::Report;
use crate::failure::Failure;

/// Presents the code of `auth` a second time (its refusal is the probe's
/// `token-code-reuse`), then the first redemption's access token `at` (on
/// `path`) and refresh token `rt`, which the bank revokes (RFC 6749
/// §4.1.2's SHOULD, which this bank does) and must now refuse.
pub async fn tokens_of_a_replayed_code(
    r: &mut Report,
    flow: &str,
    p: &Party,
    auth: &super::flows::Authorized,
    (path, at, rt): (&str, &str, Option<&str>),
) {
    let ids = ["F2-CODE-ONCE", "CDR-CODE-ONCE", "RFC 6749 §4.1.2"];
    let again = p
        .send(|| {
            p.client
                .code_token_request(&auth.session, &auth.code)
                .map_err(|e| Failure::fapi("the token request", &e))
        })
        .await;
    let _ = r.step(
        flow,
        "the code presented a second time is refused (fapi probe: token-code-reuse)",
        &ids,
        match again {
            Ok(a) if a.status == 400 => Ok(()),
            Ok(a) => Err(format!("expected 400 invalid_grant, got {}", a.summary())),
            Err(e) => Err(why(&e)),
        },
    );
    let seen = match p.send(|| p.resource("GET", path, at, None, &[])).await {
        Ok(a) => outcome(&a, "invalid_token"),
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        flow,
        "access-token-of-a-replayed-code",
        "A1a",
        &ids,
        "invalid_token",
        seen,
    );
    let Some(rt) = rt else {
        return;
    };
    let seen = match p
        .send(|| {
            p.client
                .refresh_request(rt)
                .map_err(|e| Failure::fapi("a refresh request", &e))
        })
        .await
    {
        Ok(a) => outcome(&a, "invalid_grant"),
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        flow,
        "refresh-token-of-a-replayed-code",
        "A1a",
        &ids,
        "invalid_grant",
        seen,
    );
}
