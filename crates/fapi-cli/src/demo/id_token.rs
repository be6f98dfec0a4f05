//! Attacks on the ID token the client receives from the token endpoint
//! (OpenID Connect Core §3.1.3.7), under every profile (every flow asks
//! for `openid`). Each is a real ID token of the bank, or one re-signed by
//! a fresh key of the attacker, handed to the client in place of the one
//! it is due; the client (`fapi::Client::verify_id_token`) must refuse it:
//!
//! - the ID token the bank issued to the attacker's own client (`aud`
//!   another client): §3.1.3.7 items 3–5, `wrong_audience`;
//! - the ID token of another session of the client (its `nonce` not the
//!   one this session sent): item 11, `nonce_mismatch`;
//! - the ID token beside the access token of another grant (token
//!   substitution): its `at_hash` is not that token's, §3.1.3.8,
//!   `hash_mismatch`;
//! - the ID token with its `sub` changed, re-signed by the attacker under
//!   the bank's `kid`: item 6, `bad_signature`.
//!
//! (A `c_hash` needs an ID token from the authorization endpoint, §3.3.2.11:
//! the bank issues ID tokens only at the token endpoint, code flow, where
//! there is none.)

use fapi::client::AuthSession;
use serde_json::Value;

use super::client_auth::fresh_code;
use super::flows::{expect, why};
use super::forge::{alg_and_kid, client_verdict, json_part, sign_as_attacker};
use super::party::Party;
use super::report::{Refusal, Report};
use crate::failure::Failure;

/// A grant with `openid`: its access token and signed ID token.
struct Grant {
    access_token: String,
    id_token: String,
}

/// A fresh `openid` grant of `p` for a new consent (`consent`: the path
/// and body that create it) of `scope`.
async fn grant(p: &Party, consent: (&str, &Value), scope: &str) -> Result<Grant, String> {
    let (session, code) = fresh_code(p, consent, scope, true).await?;
    let a = p
        .send(|| {
            p.client
                .code_token_request(&session, &code)
                .map_err(|e| Failure::fapi("the token request", &e))
        })
        .await
        .map_err(|e| why(&e))?;
    expect(&a, 200)?;
    let t = p
        .client
        .token_response(&a.body)
        .map_err(|e| e.to_string())?;
    let sent = a.json()["id_token"]
        .as_str()
        .ok_or("no id_token in the token response")?
        .to_owned();
    let id_token = p.signed_id_token(&sent).map_err(|e| e.to_string())?;
    Ok(Grant {
        access_token: t.access_token,
        id_token,
    })
}

/// The grant the flow made: its session, access token and signed ID token.
pub struct First<'a> {
    /// The session.
    pub session: &'a AuthSession,
    /// The access token.
    pub access_token: &'a str,
    /// The signed ID token.
    pub id_token: &'a str,
}

/// The attacks, on the client `p` whose grant `first` came through the
/// flow; `attacker` is the attacker's own registered client; `consent`
/// creates a consent of `scope` for the further grants.
pub async fn attacks(
    r: &mut Report,
    flow: &str,
    p: &Party,
    attacker: &Party,
    first: &First<'_>,
    consent: (&str, &Value),
    scope: &str,
) {
    let keys = match p.issuer_keys().await {
        Ok(k) => k,
        Err(e) => return r.fail(flow, "the bank's keys for the ID token attacks", &e),
    };
    let verify = |id_token: &str, session: &AuthSession, at: Option<&str>| {
        client_verdict(
            p.client.verify_id_token(&keys, id_token, Some(session), at),
            |v| format!("ID token of {} taken", v.subject),
        )
    };
    let setup = |e: String| -> Result<String, Refusal> { Ok(format!("setup failed: {e}")) };

    // §3.1.3.7 items 3–5: `aud` must name the client (and `azp`, when
    // present, be it). The attacker logs in at the bank with its own
    // client and hands its ID token to the victim client.
    let seen = match grant(attacker, consent, scope).await {
        Ok(theirs) => verify(&theirs.id_token, first.session, None),
        Err(e) => setup(e),
    };
    r.attack(
        flow,
        "id-token-issued-to-another-client",
        "A1a",
        &["OIDC Core §3.1.3.7 (3-5)", "RFC 8725 §3.9"],
        "wrong_audience",
        seen,
    );

    // A second grant of the same client: another session, another access
    // token.
    let second = grant(p, consent, scope).await;

    // §3.1.3.7 item 11: the nonce is the session's. The ID token of the
    // other session, presented in this one (login CSRF, replay).
    let seen = match &second {
        Ok(other) => verify(&other.id_token, first.session, None),
        Err(e) => setup(e.clone()),
    };
    r.attack(
        flow,
        "id-token-of-another-session",
        "A1a",
        &["OIDC Core §3.1.3.7 (11)", "OIDC Core §15.5.2"],
        "nonce_mismatch",
        seen,
    );

    // §3.1.3.8 (§3.2.2.9): at_hash binds the ID token to the access token
    // of its token response; the access token of the other grant swapped
    // in (token substitution).
    let seen = match &second {
        Ok(other) => verify(
            first.id_token,
            first.session,
            Some(other.access_token.as_str()),
        ),
        Err(e) => setup(e.clone()),
    };
    r.attack(
        flow,
        "id-token-with-the-at-hash-of-another-access-token",
        "A1a",
        &["OIDC Core §3.1.3.8", "OIDC Core §16.11"],
        "hash_mismatch",
        seen,
    );

    // §3.1.3.7 item 6: the signature is the issuer's. The attacker takes
    // the real ID token, makes itself the subject, and signs it with its
    // own key under the bank's `kid` and algorithm.
    let forged = alg_and_kid(first.id_token).and_then(|(alg, kid)| {
        let mut claims = json_part(first.id_token, 1)?;
        claims["sub"] = Value::from("mallory");
        sign_as_attacker(alg, kid.as_deref(), None, &claims)
    });
    let seen = match forged {
        Ok(jwt) => verify(&jwt, first.session, Some(first.access_token)),
        Err(e) => setup(e),
    };
    r.attack(
        flow,
        "id-token-re-signed-by-an-attacker-key",
        "A1",
        &["OIDC Core §3.1.3.7 (6)", "F2-ALG", "RFC 7515 §5.2"],
        "bad_signature",
        seen,
    );
}
