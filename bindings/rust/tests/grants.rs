//! Grants through the crate: a code presented again revokes the tokens of
//! its first redemption (RFC 6749 §4.1.2, RFC 9700 §4.5), at the token
//! endpoint, at introspection and at a resource server reading the
//! issuer's revocation store; [`Issuer::revoke_grant`] does the same for any
//! grant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;

use fapi::issuer::{
    AuthenticatedClient, ClientRegistration, PushRequest, TokenResponse, VerifiedDpop,
};
use fapi::memory::MemoryStore;
use fapi::store::HandleStore;
use fapi::{Client, Issuer, IssuerKeys, KeySet, ResourceServer, SigningKey};
use fapi_core::authorize::UserAction;
use fapi_core::grant::RevokedGrant;
use fapi_core::{Alg, Error, profile::Profile};

const AS: &str = "https://as.bank.example";
const API: &str = "https://api.bank.example";
const REDIRECT: &str = "https://fintech.example/cb";

fn form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            let v = percent_encoding::percent_decode_str(v)
                .decode_utf8()
                .unwrap();
            (k.to_owned(), v.into_owned())
        })
        .collect()
}

struct Setup {
    issuer: Issuer,
    rs: ResourceServer,
    client: Client,
}

/// An issuer and a resource server sharing one revocation store.
fn setup() -> Setup {
    let client = Client::builder(Profile::FAPI2, "fintech-1", AS)
        .redirect_uri(REDIRECT)
        .signing_key(SigningKey::generate(Alg::Es256).unwrap())
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .build()
        .unwrap();
    let reg = ClientRegistration::private_key_jwt(
        "fintech-1",
        "Example Money",
        &client.jwks_json().unwrap(),
    );
    let revoked: Arc<dyn HandleStore<RevokedGrant>> = Arc::new(MemoryStore::new());
    let issuer = Issuer::builder(
        Profile::FAPI2,
        AS,
        KeySet::new(SigningKey::generate(Alg::Es256).unwrap()),
    )
    .audience(API)
    .client(reg)
    .revocation_store(Arc::clone(&revoked))
    .build()
    .unwrap();
    let keys = IssuerKeys::from_jwks_json(&issuer.jwks_json().unwrap()).unwrap();
    let rs = ResourceServer::builder(Profile::FAPI2, AS, API, keys)
        .revocation_store(revoked)
        .build()
        .unwrap();
    Setup { issuer, rs, client }
}

impl Setup {
    /// PAR, approval and the code: the token request's form.
    async fn code_request(&self) -> HashMap<String, String> {
        self.code_request_with("", None).await
    }

    /// [`Self::code_request`] with `extra` appended to the PAR form and
    /// the user signed in at `auth_time`.
    async fn code_request_with(
        &self,
        extra: &str,
        auth_time: Option<u64>,
    ) -> HashMap<String, String> {
        let action = UserAction::new("On to your bank").unwrap();
        let (par, session) = self.client.par_request(action, "accounts", None).unwrap();
        let body = format!("{}{extra}", par.body());
        let f = form(par.body());
        let authed = self
            .issuer
            .verify_client_assertion(
                "fintech-1",
                &f["client_assertion"],
                self.issuer.par_endpoint(),
            )
            .await
            .unwrap();
        let pushed = self
            .issuer
            .push(&authed, None, &PushRequest::from_form(&body).unwrap())
            .await
            .unwrap();
        let prompt = self
            .issuer
            .authorize("fintech-1", Some(&pushed.request_uri))
            .await
            .unwrap();
        let record = match auth_time {
            Some(t) => prompt.approve_at("alice", t),
            None => prompt.approve("alice"),
        };
        let response = self.issuer.new_code(&record.unwrap()).await.unwrap();
        let code = self.client.code_from(&session, &response.redirect).unwrap();
        let token_request = self.client.code_token_request(&session, &code).unwrap();
        let mut f = form(token_request.body());
        let _ = f.insert(
            "dpop".into(),
            token_request.headers()["dpop"].to_str().unwrap().into(),
        );
        f
    }

    /// Presents the code of `f` (with a fresh assertion and proof).
    async fn redeem(&self, f: &HashMap<String, String>) -> Result<TokenResponse, fapi::Error> {
        let (authed, dpop) = self.token_request_credentials().await;
        self.issuer
            .redeem_code(
                &authed,
                dpop.binding(),
                Some(&dpop),
                &f["code"],
                REDIRECT,
                Some(&f["code_verifier"]),
            )
            .await
    }

    async fn refresh(&self, rt: &str) -> Result<TokenResponse, fapi::Error> {
        let (authed, dpop) = self.token_request_credentials().await;
        self.issuer.refresh(&authed, dpop.binding(), rt).await
    }

    /// A fresh client assertion (the issuer as `aud`: FAPI 2.0 final
    /// §5.3.2.1) and DPoP proof for the token endpoint, verified.
    async fn token_request_credentials(&self) -> (AuthenticatedClient, VerifiedDpop) {
        let token_endpoint = self.issuer.token_endpoint();
        let assertion = self.client.client_assertion(self.issuer.issuer()).unwrap();
        let authed = self
            .issuer
            .verify_client_assertion("fintech-1", &assertion, token_endpoint)
            .await
            .unwrap();
        let proof = self
            .client
            .dpop_proof("POST", token_endpoint, None)
            .unwrap();
        let dpop = self
            .issuer
            .verify_dpop(&proof, "POST", token_endpoint)
            .await
            .unwrap();
        (authed, dpop)
    }

    /// A resource request with `at`: the RS's answer.
    async fn use_token(&self, at: &str) -> Result<(), fapi::resource::ResourceError> {
        let url = format!("{API}/accounts");
        let req = self.client.resource_request("GET", &url, at).unwrap();
        self.rs
            .verify_request("GET", &url, req.headers(), None)
            .await
            .map(|_| ())
    }
}

/// RFC 6749 §4.1.2, RFC 9700 §4.5: the code presented a second time is
/// refused, and the access token and refresh token of its first
/// redemption, and an access token refreshed from it, stop working: the
/// resource server refuses them (401 invalid_token), the refresh token is
/// invalid_grant, introspection answers inactive.
/// OpenID Connect Core §3.1.3.6 and §2: the `nonce` of the pushed form
/// and the user's sign-in time reach the token endpoint with the code, for
/// the ID token; a request without them gives neither.
#[tokio::test]
async fn oidc_core_3_1_3_6_redeemed_code_carries_nonce_and_auth_time() {
    let s = setup();
    let f = s
        .code_request_with("&nonce=n-0S6_WzA2Mj", Some(1_700_000_000))
        .await;
    let t = s.redeem(&f).await.unwrap();
    let a = t.authentication.clone().unwrap();
    assert_eq!(a.subject, "alice");
    assert_eq!(a.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    assert_eq!(a.auth_time, Some(1_700_000_000));
    assert_eq!(a.scope, "accounts");
    // Not sent to the client.
    assert!(!t.to_json().contains("n-0S6_WzA2Mj"));
    let f = s.code_request().await;
    let a = s.redeem(&f).await.unwrap().authentication.unwrap();
    assert_eq!((a.nonce, a.auth_time), (None, None));
    // OpenID Connect Core §3.1.2.1, FAPI 2.0: a nonce over 64 characters
    // is refused at the PAR endpoint.
    let long = format!("&nonce={}", "n".repeat(65));
    let action = UserAction::new("On to your bank").unwrap();
    let (par, _) = s.client.par_request(action, "accounts", None).unwrap();
    let f = form(par.body());
    let authed = s
        .issuer
        .verify_client_assertion("fintech-1", &f["client_assertion"], s.issuer.par_endpoint())
        .await
        .unwrap();
    let body = format!("{}{long}", par.body());
    let e = s
        .issuer
        .push(&authed, None, &PushRequest::from_form(&body).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.oauth_error().as_str(), "invalid_request");
}

#[tokio::test]
async fn rfc6749_4_1_2_replayed_code_revokes_the_first_redemptions_tokens() {
    let s = setup();
    let f = s.code_request().await;
    let first = s.redeem(&f).await.unwrap();
    let rt = first.refresh_token.clone().unwrap();
    let refreshed = s.refresh(&rt).await.unwrap();
    assert_eq!(refreshed.grant_id, first.grant_id);
    s.use_token(&first.access_token).await.unwrap();
    s.use_token(&refreshed.access_token).await.unwrap();

    let again = s.redeem(&f).await.unwrap_err();
    assert_eq!(again.core(), Error::CodeInvalid);
    assert_eq!(again.oauth_error().as_str(), "invalid_grant");

    for at in [&first.access_token, &refreshed.access_token] {
        let e = s.use_token(at).await.unwrap_err();
        assert_eq!(e.error(), Some(Error::TokenInactive));
        assert_eq!(e.status(), 401);
        assert!(e.www_authenticate().contains("invalid_token"), "{e}");
    }
    let e = s.refresh(&rt).await.unwrap_err();
    assert_eq!(e.core(), Error::TokenInactive);
    assert_eq!(e.oauth_error().as_str(), "invalid_grant");
    // a third presentation: still refused, the grant stays revoked
    assert_eq!(s.redeem(&f).await.unwrap_err().core(), Error::CodeInvalid);

    // another grant of the same client and user is untouched
    let f2 = s.code_request().await;
    let other = s.redeem(&f2).await.unwrap();
    assert_ne!(other.grant_id, first.grant_id);
    s.use_token(&other.access_token).await.unwrap();
    let _ = s
        .refresh(other.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
}

/// RFC 6749 §4.1.2: `revoke_grant` revokes every token of one grant (its
/// access tokens at the resource server, its refresh token), and no other;
/// client credentials tokens have no grant and are not affected.
#[tokio::test]
async fn rfc6749_4_1_2_revoke_grant_revokes_its_tokens_only() {
    let s = setup();
    let a = s.redeem(&s.code_request().await).await.unwrap();
    let b = s.redeem(&s.code_request().await).await.unwrap();
    s.issuer.revoke_grant(&a.grant_id.unwrap()).await.unwrap();
    s.issuer.revoke_grant(&a.grant_id.unwrap()).await.unwrap();
    assert_eq!(
        s.use_token(&a.access_token).await.unwrap_err().error(),
        Some(Error::TokenInactive)
    );
    assert_eq!(
        s.refresh(a.refresh_token.as_deref().unwrap())
            .await
            .unwrap_err()
            .core(),
        Error::TokenInactive
    );
    s.use_token(&b.access_token).await.unwrap();
    assert!(s.issuer.grant_lifetime() > s.issuer.lifetimes().refresh_token);
}

/// A resource server without the revocation store does not read grants
/// (a token of a revoked grant verifies there): the store is what makes
/// revocation reach it.
#[tokio::test]
async fn a_resource_server_without_the_store_does_not_check_grants() {
    let s = setup();
    let t = s.redeem(&s.code_request().await).await.unwrap();
    s.issuer.revoke_grant(&t.grant_id.unwrap()).await.unwrap();
    let keys = IssuerKeys::from_jwks_json(&s.issuer.jwks_json().unwrap()).unwrap();
    let plain = ResourceServer::builder(Profile::FAPI2, AS, API, keys)
        .build()
        .unwrap();
    let url = format!("{API}/accounts");
    let req = s
        .client
        .resource_request("GET", &url, &t.access_token)
        .unwrap();
    let claims = plain
        .verify_request("GET", &url, req.headers(), None)
        .await
        .unwrap();
    assert_eq!(
        claims.grant_id.as_deref(),
        t.grant_id.map(|g| g.to_string()).as_deref()
    );
}
