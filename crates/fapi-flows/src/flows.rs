//! The paper's two flows end to end, and the attacks of the FAPI 2.0
//! attacker model that each of them meets.

use fapi_core::authorize::UserAction;
use fapi_core::pkce;
use fapi_core::profile::ClientAuthMethod;
use fapi_core::{Error, OAuthError, Site};

use crate::authorization_server::{
    Credentials, SenderConstraint, TokenResponse, sender_constraint,
};
use crate::client::Client;
use crate::directory::ConsentKind;
use crate::refusal::{At, Refusal};
use crate::resource_server::{ResourceRequest, ResourceServer};
use crate::world::World;

/// The two flows of the paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Account information (AISP).
    AccountInformation,
    /// Payment initiation (PISP).
    Payment,
}

impl Flow {
    /// Both flows.
    pub const ALL: [Flow; 2] = [Flow::AccountInformation, Flow::Payment];

    /// A short name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::AccountInformation => "account information (AISP)",
            Self::Payment => "payment (PISP)",
        }
    }

    const fn kind(self) -> ConsentKind {
        match self {
            Self::AccountInformation => ConsentKind::AccountAccess,
            Self::Payment => ConsentKind::PaymentOrder,
        }
    }

    const fn scope(self) -> &'static str {
        match self {
            Self::AccountInformation => "accounts",
            Self::Payment => "payments",
        }
    }
}

/// A step that succeeded, and the requirement IDs it exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// What happened.
    pub name: &'static str,
    /// The requirement IDs it exercises.
    pub ids: &'static [&'static str],
}

/// An attack and what stopped it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttackOutcome {
    /// The attack's name.
    pub name: &'static str,
    /// The attacker of the FAPI 2.0 attacker model.
    pub attacker: &'static str,
    /// The error that must stop it.
    pub expected: Error,
    /// The OAuth error the server must answer.
    pub expected_oauth: OAuthError,
    /// What the server did: `None` when the attack went through.
    pub observed: Option<Refusal>,
}

impl AttackOutcome {
    /// Whether the attack was stopped by exactly the expected error.
    #[must_use]
    pub fn stopped(&self) -> bool {
        self.observed
            .is_some_and(|r| r.error == self.expected && r.oauth_error() == self.expected_oauth)
    }
}

/// One flow under one profile: its steps and attacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowReport {
    /// The profile's name.
    pub profile: &'static str,
    /// The flow.
    pub flow: Flow,
    /// The steps, all succeeded.
    pub steps: Vec<Step>,
    /// The attacks.
    pub attacks: Vec<AttackOutcome>,
}

impl FlowReport {
    /// The attack named `name`.
    #[must_use]
    pub fn attack(&self, name: &str) -> Option<&AttackOutcome> {
        self.attacks.iter().find(|a| a.name == name)
    }
}

/// A step that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowFailure {
    /// The profile's name.
    pub profile: &'static str,
    /// The flow.
    pub flow: Flow,
    /// The step.
    pub step: &'static str,
    /// Why.
    pub refusal: Refusal,
}

impl core::fmt::Display for FlowFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} / {}: step \"{}\" failed: {}",
            self.profile,
            self.flow.name(),
            self.step,
            self.refusal
        )
    }
}

/// A client-side failure, reported at `site`.
fn local<T>(r: Result<T, Error>, site: Site) -> Result<T, Refusal> {
    r.at(site)
}

/// What the client sends to the resource server's `path`: the token, a
/// fresh DPoP proof with `ath` or its certificate, and a signed body
/// (BG-SIGNED-REQ).
pub fn resource_request(
    client: &Client,
    rs: &ResourceServer,
    method: &str,
    path: &str,
    token: &TokenResponse,
    body: &[u8],
) -> Result<ResourceRequest, Refusal> {
    let site = Site::ResourceRequest;
    let dpop = local(
        client.dpop_proof(method, &rs.url(path), Some(&token.access_token)),
        site,
    )?;
    let signature = if client.profile.signed_messages_required && method != "GET" {
        Some(local(client.sign_message(body), site)?)
    } else {
        None
    };
    Ok(ResourceRequest {
        method: method.into(),
        path: path.into(),
        access_token: token.access_token.clone(),
        dpop,
        client_cert: Some(client.cert.der.clone()),
        body: body.to_vec(),
        signature,
    })
}

fn uses_dpop(client: &Client) -> bool {
    sender_constraint(&client.profile) == SenderConstraint::Dpop
}

/// The client's credentials for the AS's token endpoint.
pub fn token_credentials(world: &World, client: &Client) -> Result<Credentials, Refusal> {
    local(
        client.credentials(&world.server.token_endpoint(), uses_dpop(client)),
        Site::ClientAuthentication,
    )
}

/// Steps 1–2: a client credentials token, and a consent of `flow`'s kind
/// created with it. Returns the consent id.
pub fn create_consent(world: &World, client: &Client, flow: Flow) -> Result<String, Refusal> {
    let cc = world
        .server
        .token_client_credentials(&token_credentials(world, client)?, flow.scope())?;
    let path = match flow {
        Flow::AccountInformation => "/account-access-consents",
        Flow::Payment => "/domestic-payment-consents",
    };
    let body = br#"{"Data":{"Permissions":["ReadAccountsDetail"]}}"#;
    let req = resource_request(client, &world.resource, "POST", path, &cc, body)?;
    world.resource.create_consent(&req, flow.kind(), 1250)
}

/// Step 3: the pushed authorization request for `consent_id`; returns the
/// `request_uri`, the PKCE pair and the `state`.
pub fn push(
    world: &World,
    client: &Client,
    flow: Flow,
    consent_id: &str,
) -> Result<(String, pkce::Pair, String), Refusal> {
    let action = local(
        UserAction::new("You will now be taken to your bank to approve access."),
        Site::ParRequest,
    )?;
    let (form, pair, state) = local(
        client.start(action, flow.scope(), consent_id),
        Site::ParRequest,
    )?;
    // RFC 9449 §10.1: under DPoP the PAR request carries a proof as well as
    // `dpop_jkt`; both bind the code to the client's DPoP key.
    let cred = local(
        client.credentials(&world.server.par_endpoint(), uses_dpop(client)),
        Site::ClientAuthentication,
    )?;
    let uri = world.server.par(&cred, &form)?;
    Ok((uri, pair, state))
}

/// Steps 3–4 up to the code: consent, PAR, the user `subject` approves,
/// the client checks `iss` and takes the code. Returns the code and the
/// PKCE pair.
pub fn obtain_code(
    world: &World,
    client: &Client,
    flow: Flow,
    subject: &str,
) -> Result<(String, pkce::Pair), Refusal> {
    let consent = create_consent(world, client, flow)?;
    let (uri, pair, state) = push(world, client, flow, &consent)?;
    let prompt = world.server.authorize(&client.client_id, Some(&uri))?;
    let redirect = world
        .server
        .approve(prompt, subject, Some("GB29NWBK60161331926819"))?;
    let code = local(
        client.code_from(&redirect, &state),
        Site::AuthorizationRequest,
    )?;
    Ok((code.into(), pair))
}

/// Redeems `code` with `verifier` at the token endpoint.
pub fn redeem(
    world: &World,
    client: &Client,
    code: &str,
    verifier: &str,
) -> Result<TokenResponse, Refusal> {
    world.server.token_code(
        &token_credentials(world, client)?,
        code,
        &client.redirect_uri,
        verifier,
    )
}

struct Run<'w> {
    world: &'w World,
    report: FlowReport,
}

impl Run<'_> {
    fn step<T>(
        &mut self,
        name: &'static str,
        ids: &'static [&'static str],
        r: Result<T, Refusal>,
    ) -> Result<T, FlowFailure> {
        match r {
            Ok(v) => {
                self.report.steps.push(Step { name, ids });
                Ok(v)
            }
            Err(refusal) => Err(FlowFailure {
                profile: self.world.profile.name,
                flow: self.report.flow,
                step: name,
                refusal,
            }),
        }
    }

    fn check(&self, name: &'static str, ok: bool, error: Error) -> Result<(), FlowFailure> {
        if ok {
            Ok(())
        } else {
            Err(FlowFailure {
                profile: self.world.profile.name,
                flow: self.report.flow,
                step: name,
                refusal: Refusal {
                    error,
                    site: Site::ResourceRequest,
                },
            })
        }
    }

    fn attack<T>(
        &mut self,
        name: &'static str,
        attacker: &'static str,
        expected: (Error, OAuthError),
        r: Result<T, Refusal>,
    ) {
        self.report.attacks.push(AttackOutcome {
            name,
            attacker,
            expected: expected.0,
            expected_oauth: expected.1,
            observed: r.err(),
        });
    }
}

/// Runs `flow` in `world`: every step, then every attack.
pub fn run_flow(world: &World, flow: Flow) -> Result<FlowReport, FlowFailure> {
    let mut run = Run {
        world,
        report: FlowReport {
            profile: world.profile.name,
            flow,
            steps: Vec::new(),
            attacks: Vec::new(),
        },
    };
    let server = &world.server;
    let rs = &world.resource;
    let client = &world.client;
    let p = &world.profile;

    // 1. Client credentials; 2. the consent.
    let cc = run.step(
        "client credentials token (client authentication, sender-constrained)",
        &[
            "F2-CLIENT-AUTH",
            "OFB-CLIENT-AUTH",
            "CDR-CLIENT-AUTH",
            "BG-MTLS",
            "F2-SENDER",
        ],
        token_credentials(world, client)
            .and_then(|c| server.token_client_credentials(&c, flow.scope())),
    )?;
    let (consent_path, consent_name) = match flow {
        Flow::AccountInformation => ("/account-access-consents", "account-access consent created"),
        Flow::Payment => (
            "/domestic-payment-consents",
            "payment-order consent created",
        ),
    };
    let body = br#"{"Data":{"Initiation":{"InstructedAmount":"12.50"}}}"#;
    let consent = run.step(
        consent_name,
        &["F2-SENDER", "BG-SIGNED-REQ"],
        resource_request(client, rs, "POST", consent_path, &cc, body)
            .and_then(|r| rs.create_consent(&r, flow.kind(), 1250)),
    )?;

    // 3. PAR (signed request object where required), the consent screen.
    let (uri, pair, state) = run.step(
        "pushed authorization request (PKCE S256, request object where required)",
        &[
            "F2-PAR",
            "F2-PAR-TTL",
            "F2-PKCE",
            "F2-CLIENT-INFO",
            "OB-REQOBJ",
            "CDR-REQ-TTL",
            "OFB-PAR",
            "CDR-PAR",
        ],
        push(world, client, flow, &consent),
    )?;
    let prompt = run.step(
        "consent screen shows client and scope",
        &["F2-AS-INFO", "F2-PAR"],
        server.authorize(&client.client_id, Some(&uri)),
    )?;
    run.check(
        "consent screen shows client and scope",
        prompt.client_name() == client.name
            && prompt.client_id() == client.client_id
            && prompt.scope().contains(flow.scope())
            && prompt.consent_id() == consent,
        Error::InvalidParameter,
    )?;
    let debtor = match flow {
        Flow::AccountInformation => None,
        Flow::Payment => Some("GB29NWBK60161331926819"),
    };
    let redirect = run.step(
        "user approves; code returned with iss",
        &["F2-AS-INFO", "F2-CODE-TTL", "F2-ISS", "F2-TLS-RESP"],
        server.approve(prompt, "alice", debtor),
    )?;
    let code = run
        .step(
            "client checks iss and state",
            &["F2-ISS"],
            local(
                client.code_from(&redirect, &state),
                Site::AuthorizationRequest,
            ),
        )?
        .to_owned();

    // 4. The code at the token endpoint.
    let token = run.step(
        "code redeemed (client authentication, PKCE, DPoP or certificate)",
        &[
            "F2-CODE-ONCE",
            "CDR-CODE-ONCE",
            "F2-PKCE",
            "F2-SENDER",
            "OB-SENDER",
            "CDR-HOK",
            "CDR-AT-TTL",
            "OFB-AT-TTL",
        ],
        redeem(world, client, &code, pair.verifier()),
    )?;
    let who = run.step(
        "access token verified at the RS with its consent claim",
        &[
            "F2-SENDER",
            "OB-INTENT",
            "OB-ALG",
            "OFB-ALG",
            "CDR-ALG",
            "F2-ALG",
        ],
        resource_request(client, rs, "GET", "/token-check", &token, b"")
            .and_then(|r| rs.verify(&r, flow.scope())),
    )?;
    run.check(
        "access token verified at the RS with its consent claim",
        who.consent_id.as_deref() == Some(consent.as_str()),
        Error::MissingClaim,
    )?;

    // 5. The APIs.
    let (captured, payment_id) = match flow {
        Flow::AccountInformation => {
            let req = run.step(
                "accounts API called",
                &["F2-SENDER", "OB-SENDER", "CDR-HOK"],
                resource_request(client, rs, "GET", "/accounts", &token, b""),
            )?;
            let _ = run.step("accounts API answered", &["F2-SENDER"], rs.accounts(&req))?;
            (req, None)
        }
        Flow::Payment => {
            let req = resource_request(client, rs, "POST", "/funds-confirmations", &token, b"{}");
            let funds = run.step(
                "funds confirmation",
                &["F2-SENDER", "BG-SIGNED-REQ"],
                req.and_then(|r| rs.funds_confirmation(&r)),
            )?;
            run.check("funds confirmation", funds, Error::InsufficientScope)?;
            let order = br#"{"Data":{"ConsentId":"x","Initiation":{"InstructedAmount":"12.50"}}}"#;
            let id = run.step(
                "payment order submitted",
                &["F2-SENDER", "BG-SIGNED-REQ"],
                resource_request(client, rs, "POST", "/domestic-payments", &token, order)
                    .and_then(|r| rs.submit_payment(&r)),
            )?;
            let path = format!("/domestic-payments/{id}");
            let req = run.step(
                "payment status polled",
                &["F2-SENDER"],
                resource_request(client, rs, "GET", &path, &token, b""),
            )?;
            let _ = run.step(
                "payment status answered",
                &["F2-SENDER"],
                rs.payment_status(&req, &id),
            )?;
            (req, Some(id))
        }
    };
    let api_path = captured.path.clone();

    // Attacks.
    // A5 reads resource requests: the same request again.
    if uses_dpop(client) {
        run.attack(
            "dpop-proof-replay",
            "A5",
            (Error::Replay, OAuthError::InvalidDpopProof),
            rs.verify(&captured, flow.scope()),
        );
        let mut stolen = captured.clone();
        let attacker_proof = world.attacker.dpop_proof(
            &captured.method,
            &rs.url(&api_path),
            Some(&token.access_token),
        );
        stolen.dpop = attacker_proof.unwrap_or(None);
        run.attack(
            "stolen-token-attacker-dpop-key",
            "A5",
            (Error::DpopKeyMismatch, OAuthError::InvalidDpopProof),
            rs.verify(&stolen, flow.scope()),
        );
    } else {
        let mut stolen = captured.clone();
        stolen.client_cert = None;
        run.attack(
            "stolen-token-without-certificate",
            "A5",
            (Error::CertificateMismatch, OAuthError::InvalidToken),
            rs.verify(&stolen, flow.scope()),
        );
        stolen.client_cert = Some(world.attacker.cert.der.clone());
        run.attack(
            "stolen-token-attacker-certificate",
            "A5",
            (Error::CertificateMismatch, OAuthError::InvalidToken),
            rs.verify(&stolen, flow.scope()),
        );
    }
    // F2-CODE-ONCE: the code again (A1a, or a leaked authorization response).
    run.attack(
        "code-reuse",
        "A1a",
        (Error::CodeInvalid, OAuthError::InvalidGrant),
        redeem(world, client, &code, pair.verifier()),
    );
    // The PAR request_uri again (single use).
    run.attack(
        "request-uri-reuse",
        "A1a",
        (Error::RequestUriInvalid, OAuthError::InvalidRequestUri),
        server.authorize(&client.client_id, Some(&uri)),
    );
    // Session swapping / code injection: the attacker's code, from the
    // same client app in the attacker's own session, injected into the
    // victim's session: the victim's PKCE verifier does not match.
    let injected = obtain_code(world, client, flow, "mallory")
        .and_then(|(att_code, _)| redeem(world, client, &att_code, pair.verifier()));
    run.attack(
        "code-injection",
        "A1",
        (Error::PkceMismatch, OAuthError::InvalidGrant),
        injected,
    );
    // The attacker's pushed request used with the victim client's id.
    let other = create_consent(world, &world.attacker, flow)
        .and_then(|c| push(world, &world.attacker, flow, &c))
        .and_then(|(att_uri, _, _)| server.authorize(&client.client_id, Some(&att_uri)));
    run.attack(
        "request-uri-of-another-client",
        "A1",
        (Error::ClientMismatch, OAuthError::UnauthorizedClient),
        other,
    );
    // A token for this RS presented at another RS (a malicious or
    // compromised RS replays it).
    run.attack(
        "token-for-another-resource-server",
        "A5",
        (Error::WrongAudience, OAuthError::InvalidToken),
        resource_request(
            client,
            &world.other_resource,
            "GET",
            "/accounts",
            &token,
            b"",
        )
        .and_then(|r| world.other_resource.accounts(&r)),
    );
    // A client assertion the client made for another AS, replayed here.
    if client.auth_method == ClientAuthMethod::PrivateKeyJwt {
        let replayed = token_credentials(world, client).and_then(|mut c| {
            c.client_assertion = Some(local(
                client.assertion("https://as.attacker.example"),
                Site::ClientAuthentication,
            )?);
            server.token_client_credentials(&c, flow.scope())
        });
        run.attack(
            "client-assertion-wrong-audience",
            "A1",
            (Error::WrongAudience, OAuthError::InvalidClient),
            replayed,
        );
    }
    // CDR-CODE-FLOW, BG-CODE-FLOW: the client's own client credentials
    // token (no user, no consent, but the resource's scope) at the user's
    // resources.
    let cc = run.step(
        "client credentials token for the user-data attacks",
        &["CDR-CODE-FLOW", "BG-CODE-FLOW"],
        token_credentials(world, client)
            .and_then(|c| server.token_client_credentials(&c, flow.scope())),
    )?;
    match payment_id.as_deref() {
        None => run.attack(
            "client-credentials-token-reads-accounts",
            "A1",
            (Error::InsufficientScope, OAuthError::InsufficientScope),
            resource_request(client, rs, "GET", "/accounts", &cc, b"")
                .and_then(|r| rs.accounts(&r)),
        ),
        Some(id) => {
            let path = format!("/domestic-payments/{id}");
            run.attack(
                "client-credentials-token-reads-payment",
                "A1",
                (Error::InsufficientScope, OAuthError::InsufficientScope),
                resource_request(client, rs, "GET", &path, &cc, b"")
                    .and_then(|r| rs.payment_status(&r, id)),
            );
            run.attack(
                "client-credentials-token-confirms-funds",
                "A1",
                (Error::InsufficientScope, OAuthError::InsufficientScope),
                resource_request(client, rs, "POST", "/funds-confirmations", &cc, b"{}")
                    .and_then(|r| rs.funds_confirmation(&r)),
            );
        }
    }
    // OB-REQOBJ: where the profile requires signed requests, the same
    // request as plain form parameters at the PAR endpoint, and (where PAR
    // is optional) as a plain query at the authorization endpoint.
    if p.signed_request_required {
        let unsigned = local(
            UserAction::new("You will now be taken to your bank to approve access."),
            Site::ParRequest,
        )
        .and_then(|action| {
            local(
                client.start(action, flow.scope(), &consent),
                Site::ParRequest,
            )
        })
        .and_then(|(mut form, _, _)| {
            form.request = None;
            let cred = local(
                client.credentials(&server.par_endpoint(), false),
                Site::ClientAuthentication,
            )?;
            server.par(&cred, &form)
        });
        run.attack(
            "unsigned-pushed-authorization-request",
            "A1",
            (Error::SignedRequestRequired, OAuthError::InvalidRequest),
            unsigned,
        );
        if !p.par_required {
            run.attack(
                "unsigned-authorization-request",
                "A1",
                (Error::SignedRequestRequired, OAuthError::InvalidRequest),
                server.authorize(&client.client_id, None),
            );
        }
    }
    // F2-PAR: an authorization request that did not come through PAR.
    if p.par_required {
        run.attack(
            "authorization-request-without-par",
            "A1",
            (Error::ParRequired, OAuthError::InvalidRequest),
            server.authorize(&client.client_id, None),
        );
    }
    Ok(run.report)
}
