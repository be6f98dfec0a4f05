//! The tokens of a replayed code (A1a: an attacker who obtained the code
//! redeems it too): once the code is presented again, the bank revokes
//! every token of its first redemption (RFC 6749 §4.1.2, RFC 9700 §4.5):
//! the access token is refused at the resource server and the refresh
//! token at the token endpoint.

use super::flows::{outcome, why};
use super::party::Party;
use super::report::Report;
use crate::failure::Failure;

/// Runs after the code was presented a second time: the first
/// redemption's access token `at` (on `path`) and refresh token `rt`,
/// which must now be refused.
pub async fn tokens_of_a_replayed_code(
    r: &mut Report,
    flow: &str,
    p: &Party,
    path: &str,
    at: &str,
    rt: Option<&str>,
) {
    let ids = ["F2-CODE-ONCE", "CDR-CODE-ONCE", "RFC 6749 §4.1.2"];
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
