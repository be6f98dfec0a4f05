//! CDR sharing arrangements ([`Profile::sharing_arrangements`]): under the
//! CDR the consent a request names (`cdr_arrangement_id`) is the
//! arrangement between the user and the client.
//!
//! A new authorisation naming an arrangement the same client holds, and
//! the user has authorised, amends it ([`authorisation`]): the PAR request
//! and the consent page accept it, the same user approves it, and the new
//! tokens carry the same `cdr_arrangement_id`. The arrangement's older
//! tokens are revoked only once the amendment succeeds, when its code is
//! redeemed ([`redeemed`]); a denied or abandoned amendment leaves them
//! as they are. An unknown id, or another client's, is refused
//! (`400 invalid_request`, "unknown consent").
//!
//! The arrangement's record keeps the store keys of the refresh tokens of
//! its latest authorisation, so revoking them is one store removal each,
//! never a scan of the refresh tokens.

use fapi::issuer::TokenResponse;
use fapi::store::{HandleKey, handle_key};
use fapi_core::Site;
use fapi_core::grant::GrantId;
use fapi_core::profile::Profile;

use crate::app::App;
use crate::error::HttpError;
use crate::resource::consent::{self, Consent, ConsentKind, ConsentStatus};

/// What authorising a consent again means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Authorisation {
    /// The consent awaits its first authorisation.
    First,
    /// An authorised CDR arrangement of the same client, amended.
    Amendment,
}

/// Whether `client_id` may have the consent `c` authorised under
/// `profile`: awaiting authorisation, or (CDR) an authorised sharing
/// arrangement of that client, amended. Another client's consent is
/// "unknown consent"; anything else is not awaiting authorisation (both
/// `400 invalid_request`).
pub(crate) fn authorisation(
    profile: &Profile,
    c: &Consent,
    client_id: &str,
) -> Result<Authorisation, HttpError> {
    if c.client_id != client_id {
        return Err(HttpError::bad_request("unknown consent"));
    }
    match c.status {
        ConsentStatus::AwaitingAuthorisation => Ok(Authorisation::First),
        // CDR: a new authorisation naming an existing arrangement amends it.
        ConsentStatus::Authorised
            if profile.sharing_arrangements() && c.kind == ConsentKind::AccountAccess =>
        {
            Ok(Authorisation::Amendment)
        }
        other => Err(HttpError::bad_request(&format!(
            "the consent is not awaiting authorisation: it is {}",
            other.as_str()
        ))),
    }
}

/// The user `user` approved the consent `c` for `client_id`: a first
/// authorisation makes it `Authorised` by that user; an amendment must be
/// approved by the user who authorised the arrangement.
pub(crate) fn approve(
    profile: &Profile,
    c: &mut Consent,
    client_id: &str,
    user: &str,
) -> Result<Authorisation, HttpError> {
    let a = authorisation(profile, c, client_id)?;
    match a {
        Authorisation::First => {
            c.status = ConsentStatus::Authorised;
            c.subject = Some(user.to_owned());
        }
        Authorisation::Amendment if c.subject.as_deref() != Some(user) => {
            return Err(HttpError::bad_request(
                "the arrangement was authorised by another user",
            ));
        }
        Authorisation::Amendment => {}
    }
    Ok(a)
}

/// A code was redeemed into `response`: under the CDR its arrangement now
/// holds the new grant and refresh token, and the tokens of its earlier
/// authorisation are revoked (an amendment succeeded): their grants
/// ([`fapi::Issuer::revoke_grant`]: the access tokens at the resource
/// server, the refresh tokens at the token endpoint and introspection)
/// and their refresh tokens' records. Where the arrangement cannot be
/// updated, the new grant is revoked too, so that none escapes a later
/// amendment.
pub(crate) async fn redeemed(app: &App, response: &TokenResponse) -> Result<(), HttpError> {
    let Some(id) = response.cdr_arrangement_id.as_deref() else {
        return Ok(());
    };
    let new = response
        .refresh_token
        .as_deref()
        .map(|t| handle_key(t.as_bytes()));
    let new_grant = response.grant_id.map(|g| g.as_str().to_owned());
    let older = consent::update(app, id, |c| {
        let older: Vec<HandleKey> = core::mem::take(&mut c.refresh_tokens)
            .into_iter()
            .filter(|k| Some(*k) != new)
            .collect();
        c.refresh_tokens.extend(new);
        let older_grants: Vec<String> = core::mem::take(&mut c.grants)
            .into_iter()
            .filter(|g| Some(g) != new_grant.as_ref())
            .collect();
        c.grants.extend(new_grant.clone());
        Ok((older, older_grants))
    })
    .await;
    match older {
        Ok((older, older_grants)) => revoke_tokens(app, &older, &older_grants).await,
        Err(e) => {
            if let Some(g) = response.grant_id {
                let _ = app.issuer.revoke_grant(&g).await;
            }
            if let Some(k) = new {
                let _ = app.stores.refresh.remove(&k).await;
            }
            Err(e)
        }
    }
}

/// Revokes the tokens of an arrangement's earlier authorisation: each
/// grant (its access and refresh tokens), then each refresh token's
/// record.
async fn revoke_tokens(
    app: &App,
    refresh_tokens: &[HandleKey],
    grants: &[String],
) -> Result<(), HttpError> {
    for g in grants {
        // Written by this server from a `GrantId`; one that no longer
        // reads names no grant to revoke.
        if let Ok(g) = GrantId::parse(g) {
            app.issuer.revoke_grant(&g).await?;
        }
    }
    for k in refresh_tokens {
        app.stores
            .refresh
            .remove(k)
            .await
            .map_err(|e| HttpError::at(e, Site::TokenRequest))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent(status: ConsentStatus, kind: ConsentKind) -> Consent {
        let mut c = Consent::new_account_access("arr-1", "fintech-1", vec![], "now");
        c.status = status;
        c.kind = kind;
        c.subject = (status != ConsentStatus::AwaitingAuthorisation).then(|| "alice".into());
        c
    }

    /// The CDR rule: an authorised arrangement of the same client may be
    /// amended (by its user); another client's is unknown; elsewhere, and
    /// for anything but an authorised account-access arrangement, only a
    /// consent awaiting authorisation is.
    #[test]
    fn cdr_arrangement_amended_by_its_client_and_user_only() {
        let cdr = Profile::CDR;
        let authorised = consent(ConsentStatus::Authorised, ConsentKind::AccountAccess);
        assert_eq!(
            authorisation(&cdr, &authorised, "fintech-1").unwrap(),
            Authorisation::Amendment
        );
        let e = authorisation(&cdr, &authorised, "fintech-2").unwrap_err();
        assert_eq!(
            (e.status().as_u16(), e.oauth_error()),
            (400, "invalid_request")
        );
        for p in [Profile::OBIE, Profile::FAPI2, Profile::OFB] {
            assert!(
                authorisation(&p, &authorised, "fintech-1").is_err(),
                "{}",
                p.name
            );
        }
        for (status, kind) in [
            (ConsentStatus::Rejected, ConsentKind::AccountAccess),
            (ConsentStatus::Consumed, ConsentKind::DomesticPayment),
            (ConsentStatus::Authorised, ConsentKind::DomesticPayment),
        ] {
            let e = authorisation(&cdr, &consent(status, kind), "fintech-1").unwrap_err();
            assert_eq!(e.oauth_error(), "invalid_request");
        }
        let mut first = consent(
            ConsentStatus::AwaitingAuthorisation,
            ConsentKind::AccountAccess,
        );
        assert_eq!(
            approve(&cdr, &mut first, "fintech-1", "bob").unwrap(),
            Authorisation::First
        );
        assert_eq!(first.status, ConsentStatus::Authorised);
        assert_eq!(first.subject.as_deref(), Some("bob"));
        let mut amended = authorised.clone();
        assert_eq!(
            approve(&cdr, &mut amended, "fintech-1", "alice").unwrap(),
            Authorisation::Amendment
        );
        assert_eq!(amended, authorised);
        assert!(approve(&cdr, &mut amended, "fintech-1", "bob").is_err());
    }
}
