//! [`Transaction`]: a login and consent in progress, as the stores hold it
//! ([`crate::Stores::transactions`]), so that the login and consent forms
//! may be posted to any node of the issuer.
//!
//! The consent prompt itself is not stored: the client's name and the
//! pushed request's parameters are (`AuthorizationParams` checks its
//! invariants again when read back), and the prompt is rebuilt from them
//! on every read (`Transaction::prompt`), so a stored entry never
//! becomes a prompt the core would not have made.

use fapi_core::Site;
use fapi_core::authorize::{AuthorizationParams, ConsentPrompt};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::HttpError;

/// How long a login and consent transaction lives (seconds).
pub const TRANSACTION_TTL: u64 = 600;

// F2-PAR: a decision is taken until the request URI's expiry plus the
// core's decision window; a transaction, made at a visit before the expiry,
// must not outlive it (else its decision would be refused).
const _: () = assert!(TRANSACTION_TTL <= fapi_core::par::DECISION_WINDOW);

/// The CSRF token of one transaction: zeroized on drop, never printed.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(transparent)]
struct CsrfToken(String);

/// A login and consent in progress: the client's name and the request it
/// pushed (F2-PAR: read at `GET /authorize`, with the request URI it is to
/// spend at the decision), the
/// CSRF token of its forms, the signed-in user once there is one, and
/// when it expires. `Debug` leaves out the CSRF token.
///
/// ```
/// use fapi::store::handle_key;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let stores = fapi_server::Stores::memory();
/// // No transaction is live under an unknown id.
/// let none = stores.transactions.take(&handle_key(b"unknown"), 0).await;
/// assert_eq!(none.err(), Some(fapi_core::Error::TokenInactive));
/// # }
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct Transaction {
    client_name: String,
    params: AuthorizationParams,
    csrf: CsrfToken,
    user: Option<String>,
    /// When the user signed in (OpenID Connect Core §2, `auth_time`).
    #[serde(default)]
    auth_time: Option<u64>,
    expires_at: u64,
}

impl core::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Transaction")
            .field("client_id", &self.params.client_id())
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Transaction {
    /// The transaction of `prompt`, with its CSRF token, live until
    /// `expires_at`.
    pub(crate) fn new(
        prompt: &ConsentPrompt,
        csrf: &str,
        expires_at: u64,
    ) -> Result<Self, HttpError> {
        Ok(Self {
            client_name: prompt.client_name().to_owned(),
            params: prompt.params().clone(),
            csrf: CsrfToken(csrf.to_owned()),
            user: None,
            auth_time: None,
            expires_at,
        })
    }

    /// The consent prompt, rebuilt (F2-AS-INFO: the client's name and id
    /// and the scope must be there); a stored entry that does not make one
    /// is refused as [`fapi_core::Error::InvalidParameter`].
    pub(crate) fn prompt(&self) -> Result<ConsentPrompt, HttpError> {
        ConsentPrompt::new(&self.client_name, self.params.clone())
            .map_err(|e| HttpError::at(e, Site::AuthorizationRequest))
    }

    /// Refuses a CSRF token other than this transaction's (compared in
    /// constant time).
    pub(crate) fn check_csrf(&self, presented: &str) -> Result<(), HttpError> {
        let ours = self.csrf.0.as_bytes();
        let same = ours.len() == presented.len() && bool::from(ours.ct_eq(presented.as_bytes()));
        if same {
            Ok(())
        } else {
            Err(HttpError::bad_request("the CSRF token does not match"))
        }
    }

    /// The CSRF token, for the next form.
    pub(crate) fn csrf(&self) -> &str {
        &self.csrf.0
    }

    /// The signed-in user.
    pub(crate) fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The same transaction with `user` signed in at `now` (the ID
    /// token's `auth_time`, OpenID Connect Core §2).
    pub(crate) fn signed_in(mut self, user: &str, now: u64) -> Self {
        self.user = Some(user.to_owned());
        self.auth_time = Some(now);
        self
    }

    /// When the user signed in (seconds since the epoch).
    pub(crate) fn auth_time(&self) -> Option<u64> {
        self.auth_time
    }

    /// When it expires (seconds since the epoch).
    pub(crate) fn expires_at(&self) -> u64 {
        self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fapi_core::Error as CoreError;

    fn params() -> AuthorizationParams {
        let json = serde_json::json!({
            "client_id": "c1", "redirect_uri": "https://c.example/cb",
            "scope": "openid accounts", "state": "s",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "dpop_jkt": null, "consent_id": "", "sharing_duration": null,
            "source": "Parameters", "pushed": true,
        });
        serde_json::from_value(json).unwrap()
    }

    fn txn() -> Transaction {
        let prompt = ConsentPrompt::new("Fintech", params()).unwrap();
        Transaction::new(&prompt, "the-csrf-token", 1_000).unwrap()
    }

    /// F2-AS-INFO: the stored form rebuilds the same prompt, user included;
    /// OpenID Connect Core §2: the sign-in time (`auth_time`) too.
    #[test]
    fn stored_transaction_round_trips() {
        let t = txn().signed_in("alice", 900);
        let back: Transaction = serde_json::from_slice(&serde_json::to_vec(&t).unwrap()).unwrap();
        assert_eq!(back.prompt().unwrap(), t.prompt().unwrap());
        assert_eq!(back.prompt().unwrap().client_name(), "Fintech");
        assert_eq!(back.user(), Some("alice"));
        assert_eq!(back.auth_time(), Some(900));
        assert_eq!(back.expires_at(), 1_000);
        assert!(back.check_csrf("the-csrf-token").is_ok());
    }

    /// F2-AS-INFO: a stored entry without a client name is a typed refusal,
    /// not a prompt and not a panic.
    #[test]
    fn stored_transaction_without_a_client_name_is_refused() {
        let mut v = serde_json::to_value(txn()).unwrap();
        v["client_name"] = " ".into();
        let t: Transaction = serde_json::from_value(v).unwrap();
        let e = t.prompt().unwrap_err();
        assert_eq!(e.core(), Some(CoreError::InvalidParameter));
        // Parameters that break a core rule do not even deserialize.
        let mut v = serde_json::to_value(txn()).unwrap();
        v["params"]["redirect_uri"] = "http://c.example/cb".into();
        assert!(serde_json::from_value::<Transaction>(v).is_err());
    }

    #[test]
    fn another_csrf_token_is_refused_and_never_printed() {
        let t = txn();
        for bad in ["", "the-csrf-toke", "the-csrf-tokem", "the-csrf-token2"] {
            let e = t.check_csrf(bad).unwrap_err();
            assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST);
        }
        let debug = format!("{t:?}");
        assert!(!debug.contains("the-csrf-token"), "{debug}");
        assert!(debug.contains("c1"));
    }
}
