//! The state of a probe run: the server's metadata and keys, the clients,
//! the user agent, and what the happy flow left (a spent `request_uri`, a
//! redeemed code, tokens), with the requests the modules build from them.

use fapi::IssuerKeys;
use fapi::client::AuthSession;
use fapi::issuer::TokenResponse;
use fapi_core::authorize::UserAction;
use fapi_core::profile::{Profile, ResponseMode};
use serde_json::Value;

use super::Target;
use super::agent::{Agent, Landing};
use super::jwt;
use super::metadata::Metadata;
use super::party::{Party, why};
use crate::failure::Failure;
use crate::https::Answer;

/// What the client tells the user before sending them on
/// (F2-CLIENT-INFO).
const NOTICE: &str = "You will now be taken to your bank to approve access.";

/// An authorization that came back with a code.
#[derive(Debug)]
pub struct Authorized {
    /// The client's session (state, PKCE pair, nonce).
    pub session: AuthSession,
    /// The URL the user came back to.
    pub location: String,
    /// The pushed request's `request_uri`.
    pub request_uri: String,
    /// The code.
    pub code: String,
}

/// What the happy flow left.
#[derive(Debug, Default)]
pub struct Happy {
    /// The authorization (its code redeemed).
    pub auth: Option<Authorized>,
    /// The token response of the code.
    pub token: Option<TokenResponse>,
    /// The token response of the refresh, when a refresh token came.
    pub refreshed: Option<Result<TokenResponse, String>>,
    /// The resource call's answer, with `--resource`.
    pub resource: Option<Result<Answer, String>>,
    /// Why the flow stopped, if it did.
    pub failed: Option<String>,
    /// The URL the user came back to, even when the client refused it.
    pub location: Option<String>,
}

/// A probe run.
#[derive(Debug)]
pub struct Ctx {
    /// The profile.
    pub profile: Profile,
    /// The metadata.
    pub meta: Metadata,
    /// Whether tokens are DPoP-bound (else certificate-bound).
    pub dpop: bool,
    /// The client.
    pub a: Party,
    /// The second client, when given.
    pub b: Option<Party>,
    /// The user's agent.
    pub agent: Agent,
    /// `--resource`.
    pub resource: Option<String>,
    /// The server's keys (its `jwks_uri`).
    pub keys: Option<IssuerKeys>,
    /// The happy flow's results.
    pub happy: Happy,
    only: Vec<String>,
}

impl Ctx {
    /// Connects the clients of `target` to the server of `meta`.
    pub fn new(mut target: Target, meta: Metadata) -> Result<Self, Failure> {
        let dpop = super::binds_with_dpop(&target.profile, &meta.doc);
        let ca = target.ca_pem.as_deref();
        let mut clients = target.clients.drain(..);
        let first = clients
            .next()
            .ok_or_else(|| Failure::usage("--client", "a client file is required"))?;
        let a = Party::connect(first, &target.profile, &meta, ca, dpop)?;
        let b = match clients.next() {
            Some(f) => Some(Party::connect(f, &target.profile, &meta, ca, dpop)?),
            None => None,
        };
        let agent = Agent::new(&target.users, target.user_command.clone(), meta.origins())
            .map_err(|e| Failure::usage("--user", e))?;
        Ok(Self {
            profile: target.profile,
            meta,
            dpop,
            a,
            b,
            agent,
            resource: target.resource,
            keys: None,
            happy: Happy::default(),
            only: target.only,
        })
    }

    /// Whether module `name` runs.
    pub fn selected(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }

    /// The happy flow: the server's keys, an authorization, the code
    /// redeemed, a refresh when a refresh token came, a resource call with
    /// `--resource`.
    pub async fn happy_flow(&mut self) {
        match self.fetch_keys().await {
            Ok(k) => self.keys = Some(k),
            Err(e) => {
                self.happy.failed = Some(format!("the server's keys: {e}"));
                return;
            }
        }
        let auth = match self.authorize_seen(&self.a).await {
            (_, Ok(a)) => a,
            (location, Err(e)) => {
                self.happy.location = location;
                self.happy.failed = Some(e);
                return;
            }
        };
        self.happy.location = Some(auth.location.clone());
        let redeemed = self.redeem(&self.a, &auth).await;
        self.happy.auth = Some(auth);
        let token = match redeemed.and_then(|a| self.token_response(&self.a, &a)) {
            Ok(t) => t,
            Err(e) => {
                self.happy.failed = Some(format!("the code at the token endpoint: {e}"));
                return;
            }
        };
        if let Some(rt) = token.refresh_token.clone() {
            let a = self.refresh(&self.a, &rt).await;
            self.happy.refreshed = Some(a.and_then(|a| self.token_response(&self.a, &a)));
        }
        if let Some(url) = self.resource.clone() {
            let access = self
                .happy
                .refreshed
                .as_ref()
                .and_then(|r| r.as_ref().ok())
                .map_or(token.access_token.clone(), |t| t.access_token.clone());
            let a = self
                .a
                .send(|| {
                    self.a
                        .client
                        .resource_request("GET", &url, &access)
                        .map_err(|e| e.to_string())
                })
                .await;
            self.happy.resource = Some(a);
        }
        self.happy.token = Some(token);
    }

    async fn fetch_keys(&self) -> Result<IssuerKeys, String> {
        let uri = self
            .meta
            .str("jwks_uri")
            .ok_or("no jwks_uri in the metadata")?;
        let a = self
            .a
            .send(|| {
                http::Request::get(uri)
                    .body(String::new())
                    .map_err(|e| e.to_string())
            })
            .await?;
        if a.status != 200 {
            return Err(format!("{uri} answered {}", a.summary()));
        }
        IssuerKeys::from_jwks_json(&a.body).map_err(|e| e.to_string())
    }

    /// A token response body read, or the refusal described.
    pub fn token_response(&self, p: &Party, a: &Answer) -> Result<TokenResponse, String> {
        if a.status != 200 {
            return Err(format!(
                "expected 200, got {}: {}",
                a.summary(),
                excerpt(&a.body)
            ));
        }
        p.client.token_response(&a.body).map_err(|e| e.to_string())
    }

    /// F2-PAR, F2-PKCE, F2-ISS: an authorization of `p` as the happy flow
    /// makes it (`Client::par_request`), the user played by the agent, the
    /// response checked (`iss`, `state`; JARM where the profile wants it).
    pub async fn authorize(&self, p: &Party) -> Result<Authorized, String> {
        self.authorize_seen(p).await.1
    }

    /// [`Ctx::authorize`], with the URL the user came back to even when
    /// the client refused the response.
    pub async fn authorize_seen(&self, p: &Party) -> (Option<String>, Result<Authorized, String>) {
        let (session, request_uri) = match self.push_happy(p).await {
            Ok(x) => x,
            Err(e) => return (None, Err(e)),
        };
        let landing = match self.visit(p, &request_uri).await {
            Ok(l) => l,
            Err(e) => return (None, Err(e)),
        };
        let Landing::Redirect(location) = landing else {
            return (
                None,
                Err(format!("the authorization {}", landing.summary())),
            );
        };
        let Some(keys) = self.keys.as_ref() else {
            return (Some(location), Err("the server's keys are unknown".into()));
        };
        let code = match p.client.authorization_response(&session, keys, &location) {
            Ok(c) => c,
            Err(e) => {
                let why = format!("the authorization response {location}: {e}");
                return (Some(location), Err(why));
            }
        };
        (
            Some(location.clone()),
            Ok(Authorized {
                session,
                location,
                request_uri,
                code,
            }),
        )
    }

    /// The happy pushed authorization request of `p`: its session and
    /// `request_uri`.
    pub async fn push_happy(&self, p: &Party) -> Result<(AuthSession, String), String> {
        let consent = p.consent().await?;
        let extra: Vec<(String, String)> = p
            .file
            .par_params
            .iter()
            .filter(|(k, _)| *k != "consent_id" && *k != "sharing_duration")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let (a, session) = p
            .call_with(false, || {
                let action = UserAction::new(NOTICE).map_err(|e| e.to_string())?;
                let (req, session) = p
                    .client
                    .par_request(action, &p.file.scope, consent.as_deref())
                    .map_err(|e| format!("the pushed request: {e}"))?;
                let (mut parts, mut body) = req.into_parts();
                for (k, v) in &extra {
                    let mut f = form_urlencoded::Serializer::new(String::new());
                    let _ = f.append_pair(k, v);
                    body.push('&');
                    body.push_str(&f.finish());
                }
                if let Some(proof) = p.proof("POST", &p.par_endpoint, None)? {
                    let _ = parts.headers.insert(
                        "dpop",
                        http::HeaderValue::from_str(&proof).map_err(|e| e.to_string())?,
                    );
                }
                Ok((http::Request::from_parts(parts, body), session))
            })
            .await?;
        let uri = request_uri(&a)?;
        Ok((session, uri))
    }

    /// The user's visit to the authorization endpoint with `request_uri`.
    pub async fn visit(&self, p: &Party, request_uri: &str) -> Result<Landing, String> {
        self.agent
            .authorize(
                &p.http,
                &p.client.authorization_url(request_uri),
                &p.file.redirect_uri,
            )
            .await
    }

    /// The user's visit to `url` on behalf of `p`.
    pub async fn visit_url(&self, p: &Party, url: &str) -> Result<Landing, String> {
        self.agent
            .authorize(&p.http, url, &p.file.redirect_uri)
            .await
    }

    /// The response mode of the happy flow (JARM where the profile wants
    /// it).
    pub fn response_mode(&self) -> Option<&'static str> {
        match self.happy.auth.as_ref().map(|a| a.session.response_mode()) {
            Some(ResponseMode::Jwt) => Some("jwt"),
            _ => None,
        }
    }

    /// The parameters of a correct pushed request of `p` (PKCE S256, a
    /// fresh `state`, `nonce` with `openid`, `dpop_jkt` with DPoP, the
    /// client file's extra parameters), and its PKCE verifier.
    pub async fn par_pairs(&self, p: &Party) -> Result<(Vec<(String, String)>, String), String> {
        let pair = p.client.pkce().map_err(|e| e.to_string())?;
        let mut v: Vec<(String, String)> = vec![
            ("response_type".into(), "code".into()),
            ("redirect_uri".into(), p.file.redirect_uri.clone()),
            ("scope".into(), p.file.scope.clone()),
            ("state".into(), jwt::random()),
            ("code_challenge".into(), pair.challenge().into()),
            ("code_challenge_method".into(), "S256".into()),
        ];
        if p.file.scope.split(' ').any(|s| s == "openid") {
            v.push(("nonce".into(), jwt::random()));
        }
        if let Some(m) = self.response_mode() {
            v.push(("response_mode".into(), m.into()));
        }
        if let Some(k) = &p.dpop_key {
            v.push(("dpop_jkt".into(), jwt::jkt(k)?));
        }
        for (k, val) in &p.file.par_params {
            if k != "sharing_duration" && k != "consent_id" {
                v.push((k.clone(), val.clone()));
            }
        }
        if let Some(c) = p.consent().await? {
            // As `Client::par_request`: where requests are signed and the
            // profile has no consent claim, the consent travels in the
            // scope (`consent:<id>`).
            if self.signs_requests() && self.profile.consent_claim.is_none() {
                for (k, val) in &mut v {
                    if k == "scope" {
                        val.push_str(&format!(" consent:{c}"));
                    }
                }
            }
            v.push(("consent_id".into(), c));
        }
        Ok((v, pair.verifier().to_owned()))
    }

    /// Whether the profile has requests signed (a request object at PAR).
    pub fn signs_requests(&self) -> bool {
        self.profile.signed_request_required
    }

    /// The claims of a request object carrying `pairs` (RFC 9101 §4;
    /// `aud` the issuer, five minutes).
    pub fn request_object_claims(&self, p: &Party, pairs: &[(String, String)]) -> Value {
        let now = jwt::now();
        let mut c = serde_json::json!({
            "iss": p.id(), "aud": self.meta.issuer, "client_id": p.id(),
            "jti": jwt::random(), "iat": now, "nbf": now, "exp": now + 300,
        });
        for (k, v) in pairs {
            c[k.as_str()] = v.as_str().into();
        }
        // The consent where the profile carries it in the request object
        // (OB-INTENT: an essential `openbanking_intent_id`; CDR:
        // `claims.cdr_arrangement_id`), as `Client::request_object` does.
        if let Some((_, consent)) = pairs.iter().find(|(k, _)| k == "consent_id") {
            match self.profile.consent_claim {
                Some("openbanking_intent_id") => {
                    c["claims"] = serde_json::json!({"id_token": {"openbanking_intent_id": {"value": consent, "essential": true}}});
                }
                Some("cdr_arrangement_id") => {
                    c["claims"] = serde_json::json!({"cdr_arrangement_id": consent});
                }
                _ => {}
            }
        }
        c
    }

    /// The form of a pushed request of `p` with `pairs`: where the profile
    /// signs requests, `request` is the given request object or a correct
    /// one of `pairs`; then `auth` (the client authentication).
    pub fn par_form(
        &self,
        p: &Party,
        pairs: &[(String, String)],
        request: Option<String>,
        auth: &[(String, String)],
    ) -> Result<Vec<(String, String)>, String> {
        let mut form = pairs.to_vec();
        let ro = match request {
            Some(r) => Some(r),
            None if self.signs_requests() => Some(jwt::sign(
                jwt::Sig::Key(&p.file.key),
                "oauth-authz-req+jwt",
                false,
                &self.request_object_claims(p, pairs),
            )?),
            None => None,
        };
        if let Some(r) = ro {
            form.push(("request".into(), r));
        }
        form.extend_from_slice(auth);
        Ok(form)
    }

    /// POSTs a pushed request of `p` with `form` (its client
    /// authentication included); a DPoP proof of `p`'s key when
    /// `with_proof`; over a connection without a client certificate when
    /// `bare`.
    pub async fn push(
        &self,
        p: &Party,
        form: impl Fn() -> Result<Vec<(String, String)>, String>,
        dpop: impl Fn() -> Result<Option<String>, String>,
        bare: bool,
    ) -> Result<Answer, String> {
        Ok(p.call_with(bare, || {
            Ok((Party::post(&p.par_endpoint, &form()?, dpop()?)?, ()))
        })
        .await?
        .0)
    }

    /// The code of `auth` redeemed by `p` as the happy flow does.
    pub async fn redeem(&self, p: &Party, auth: &Authorized) -> Result<Answer, String> {
        p.send(|| {
            p.client
                .code_token_request(&auth.session, &auth.code)
                .map_err(|e| format!("the token request: {e}"))
        })
        .await
    }

    /// A token request of `p` with `pairs` (client authentication added),
    /// a DPoP proof from `dpop`, over a connection without a client
    /// certificate when `bare`.
    pub async fn token_request(
        &self,
        p: &Party,
        pairs: &[(String, String)],
        dpop: impl Fn() -> Result<Option<String>, String>,
        bare: bool,
    ) -> Result<Answer, String> {
        Ok(p.call_with(bare, || {
            let mut form = pairs.to_vec();
            form.extend(p.auth_pairs(&self.meta.issuer)?);
            Ok((Party::post(&p.token_endpoint, &form, dpop()?)?, ()))
        })
        .await?
        .0)
    }

    /// The pairs of a code redemption.
    pub fn code_pairs(p: &Party, code: &str, verifier: Option<&str>) -> Vec<(String, String)> {
        let mut v = vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.to_owned()),
            ("redirect_uri".to_owned(), p.file.redirect_uri.clone()),
        ];
        if let Some(ver) = verifier {
            v.push(("code_verifier".into(), ver.into()));
        }
        v
    }

    /// `p`'s refresh with `refresh_token`.
    pub async fn refresh(&self, p: &Party, refresh_token: &str) -> Result<Answer, String> {
        p.send(|| {
            p.client
                .refresh_request(refresh_token)
                .map_err(|e| format!("the refresh request: {e}"))
        })
        .await
    }

    /// Why a module that needs the happy flow cannot run.
    pub fn happy_failed(&self) -> Option<String> {
        self.happy
            .failed
            .as_ref()
            .map(|e| format!("the happy flow failed ({e})"))
    }
}

/// The `request_uri` of a PAR answer (201).
pub fn request_uri(a: &Answer) -> Result<String, String> {
    if a.status != 201 {
        return Err(format!(
            "the pushed request: expected 201, got {}: {}",
            a.summary(),
            excerpt(&a.body)
        ));
    }
    a.json()["request_uri"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "the pushed request: no request_uri in the answer".to_owned())
}

/// The first 200 characters of a body.
pub fn excerpt(body: &str) -> String {
    body.chars().take(200).collect()
}

/// A failure's line (re-export for modules).
pub fn line(f: &Failure) -> String {
    why(f)
}
