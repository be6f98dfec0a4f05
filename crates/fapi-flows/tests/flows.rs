//! Both flows of the paper under every profile, every attack refused with
//! its exact typed error and OAuth error, and concurrent redemption races.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::OnceLock;

use fapi_core::authorize::UserAction;
use fapi_core::profile::Profile;
use fapi_core::{Alg, Error, OAuthError, Signer, Site};
use fapi_flows::flows::{create_consent, obtain_code, redeem, resource_request, token_credentials};
use fapi_flows::keys::RsaKeys;
use fapi_flows::{Flow, FlowReport, Refusal, World, run_flow};

/// The core verifies into stack buffers and the in-memory stores are
/// fixed-capacity arrays: the parties run on threads with room for them.
const STACK: usize = 32 * 1024 * 1024;

fn big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(s, f)
            .unwrap()
            .join()
            .unwrap()
    })
}

fn rsa() -> &'static RsaKeys {
    static RSA: OnceLock<RsaKeys> = OnceLock::new();
    RSA.get_or_init(RsaKeys::default)
}

fn refused(report: &FlowReport, attack: &str, error: Error, site: Site, oauth: OAuthError) {
    let a = report
        .attack(attack)
        .unwrap_or_else(|| panic!("{} {:?}: no attack {attack}", report.profile, report.flow));
    assert_eq!(
        a.observed,
        Some(Refusal { error, site }),
        "{} {:?} {attack}",
        report.profile,
        report.flow
    );
    assert_eq!(error.oauth_error(site), oauth, "{attack}");
    assert!(a.stopped(), "{attack}");
}

/// Runs both flows under `profile` and checks every attack's exact refusal.
fn both_flows(profile: Profile) -> Vec<FlowReport> {
    big_stack(|| both_flows_inner(profile))
}

fn both_flows_inner(profile: Profile) -> Vec<FlowReport> {
    let world = World::new(profile, rsa()).unwrap();
    let dpop = profile
        .sender
        .contains(&fapi_core::profile::SenderConstraint::Dpop);
    let mut reports = Vec::new();
    for flow in Flow::ALL {
        let report = run_flow(&world, flow).unwrap_or_else(|f| panic!("{f}"));
        // Every step of the flow ran: F2-PAR, F2-AS-INFO, F2-ISS, F2-PKCE,
        // F2-SENDER ... (see the step list).
        let names: Vec<&str> = report.steps.iter().map(|s| s.name).collect();
        assert!(names.contains(&"client checks iss and state"));
        assert!(names.contains(&"consent screen shows client and scope"));
        match flow {
            Flow::AccountInformation => assert!(names.contains(&"accounts API answered")),
            Flow::Payment => {
                assert!(names.contains(&"funds confirmation"));
                assert!(names.contains(&"payment order submitted"));
                assert!(names.contains(&"payment status answered"));
            }
        }
        if dpop {
            // F2-SENDER (DPoP): an A5 attacker replays the captured proof.
            refused(
                &report,
                "dpop-proof-replay",
                Error::Replay,
                Site::DpopProof,
                OAuthError::InvalidDpopProof,
            );
            // F2-SENDER: the stolen token with the attacker's own DPoP key.
            refused(
                &report,
                "stolen-token-attacker-dpop-key",
                Error::DpopKeyMismatch,
                Site::ResourceRequest,
                OAuthError::InvalidDpopProof,
            );
        } else {
            // F2-SENDER, OB-SENDER, CDR-HOK: a stolen certificate-bound token
            // without the client's certificate, or with the attacker's.
            refused(
                &report,
                "stolen-token-without-certificate",
                Error::CertificateMismatch,
                Site::ResourceRequest,
                OAuthError::InvalidToken,
            );
            refused(
                &report,
                "stolen-token-attacker-certificate",
                Error::CertificateMismatch,
                Site::ResourceRequest,
                OAuthError::InvalidToken,
            );
        }
        // F2-CODE-ONCE, CDR-CODE-ONCE
        refused(
            &report,
            "code-reuse",
            Error::CodeInvalid,
            Site::TokenRequest,
            OAuthError::InvalidGrant,
        );
        // F2-PAR: request_uri single use.
        refused(
            &report,
            "request-uri-reuse",
            Error::RequestUriInvalid,
            Site::AuthorizationRequest,
            OAuthError::InvalidRequestUri,
        );
        // F2-PKCE: session swapping / code injection.
        refused(
            &report,
            "code-injection",
            Error::PkceMismatch,
            Site::TokenRequest,
            OAuthError::InvalidGrant,
        );
        // F2-PAR: a request_uri pushed by another client.
        refused(
            &report,
            "request-uri-of-another-client",
            Error::ClientMismatch,
            Site::AuthorizationRequest,
            OAuthError::UnauthorizedClient,
        );
        // F2-SENDER / RFC 9068 aud: a token for another resource server.
        refused(
            &report,
            "token-for-another-resource-server",
            Error::WrongAudience,
            Site::ResourceRequest,
            OAuthError::InvalidToken,
        );
        if profile
            .client_auth
            .contains(&fapi_core::profile::ClientAuthMethod::PrivateKeyJwt)
        {
            // F2-CLIENT-AUTH, OFB-CLIENT-AUTH, CDR-CLIENT-AUTH: an assertion
            // for another AS is refused here.
            refused(
                &report,
                "client-assertion-wrong-audience",
                Error::WrongAudience,
                Site::ClientAuthentication,
                OAuthError::InvalidClient,
            );
        } else {
            assert!(report.attack("client-assertion-wrong-audience").is_none());
        }
        // CDR-CODE-FLOW, BG-CODE-FLOW: a client credentials token reads no
        // user data, under every profile.
        match flow {
            Flow::AccountInformation => refused(
                &report,
                "client-credentials-token-reads-accounts",
                Error::InsufficientScope,
                Site::ResourceRequest,
                OAuthError::InsufficientScope,
            ),
            Flow::Payment => {
                for attack in [
                    "client-credentials-token-reads-payment",
                    "client-credentials-token-confirms-funds",
                ] {
                    refused(
                        &report,
                        attack,
                        Error::InsufficientScope,
                        Site::ResourceRequest,
                        OAuthError::InsufficientScope,
                    );
                }
            }
        }
        if profile.signed_request_required {
            // OB-REQOBJ: unsigned authorization parameters are refused.
            refused(
                &report,
                "unsigned-pushed-authorization-request",
                Error::SignedRequestRequired,
                Site::ParRequest,
                OAuthError::InvalidRequest,
            );
            if !profile.par_required {
                refused(
                    &report,
                    "unsigned-authorization-request",
                    Error::SignedRequestRequired,
                    Site::AuthorizationRequest,
                    OAuthError::InvalidRequest,
                );
            }
        } else {
            assert!(
                report
                    .attack("unsigned-pushed-authorization-request")
                    .is_none()
            );
        }
        if profile.par_required {
            // F2-PAR, OFB-PAR, CDR-PAR
            refused(
                &report,
                "authorization-request-without-par",
                Error::ParRequired,
                Site::AuthorizationRequest,
                OAuthError::InvalidRequest,
            );
        }
        assert!(report.attacks.iter().all(|a| a.stopped()));
        reports.push(report);
    }
    // F2-METADATA, OFB-METADATA: the AS's own metadata meets its profile.
    let audit = fapi_flows::metadata::audit_all(&world).unwrap();
    let own = Profile::ALL
        .iter()
        .position(|p| p.id == profile.id)
        .unwrap();
    assert!(
        audit[own].passed(),
        "{:?}",
        audit[own].failures().collect::<Vec<_>>()
    );
    reports
}

/// F2-PAR, F2-ISS, F2-CODE-ONCE, F2-PKCE, F2-SENDER (DPoP), F2-AS-INFO,
/// F2-CLIENT-INFO, F2-CLIENT-AUTH (private_key_jwt), F2-ALG (ES256, EdDSA).
#[test]
fn fapi2_both_flows_f2_par_f2_iss_f2_code_once_f2_sender() {
    let _ = both_flows(Profile::FAPI2);
}

/// fapi2-plus: every F2 rule plus CDR-AT-TTL and CDR-PAR-TTL lifetimes,
/// CDR-CODE-FLOW (client credentials only for consent creation).
#[test]
fn fapi2_plus_both_flows_cdr_at_ttl_cdr_par_ttl() {
    let _ = both_flows(Profile::FAPI2_PLUS);
}

/// OB-ALG (PS256 for real), OB-REQOBJ, OB-SENDER, OB-INTENT.
#[test]
fn obie_both_flows_ob_alg_ps256_ob_reqobj_ob_sender_ob_intent() {
    let _ = both_flows(Profile::OBIE);
    big_stack(|| {
        let world = World::new(Profile::OBIE, rsa()).unwrap();
        // OB-ALG: the AS and the client really sign PS256.
        assert_eq!(world.server.public_key().unwrap().alg(), Alg::Ps256);
        assert_eq!(world.client.key.alg(), Alg::Ps256);
    });
    // OB-INTENT: the token carries openbanking_intent_id (checked against
    // the consent id in the flow's "consent claim" step).
}

/// OFB-ALG (PS256 for real), OFB-PAR, OFB-PAR-TTL, OFB-AT-TTL,
/// OFB-CLIENT-AUTH, OFB-PKCE.
#[test]
fn ofb_both_flows_ofb_alg_ps256_ofb_par_ofb_at_ttl() {
    let _ = both_flows(Profile::OFB);
    big_stack(|| {
        let world = World::new(Profile::OFB, rsa()).unwrap();
        assert_eq!(world.server.public_key().unwrap().alg(), Alg::Ps256);
        assert_eq!(world.client.key.alg(), Alg::Ps256);
    });
}

/// CDR-HOK, CDR-PAR, CDR-PAR-TTL, CDR-AT-TTL, CDR-REQ-TTL, CDR-CODE-ONCE,
/// CDR-CLIENT-AUTH, CDR-ALG (PS256 AS, ES256 client).
#[test]
fn cdr_both_flows_cdr_hok_cdr_par_cdr_code_once() {
    let _ = both_flows(Profile::CDR);
}

/// BG-MTLS (tls_client_auth), BG-SIGNED-REQ (signed request messages),
/// BG-PKCE, BG-CODE-FLOW.
#[test]
fn berlin_both_flows_bg_mtls_bg_signed_req_bg_pkce() {
    let _ = both_flows(Profile::BERLIN);
}

/// CDR-CODE-FLOW, BG-CODE-FLOW: under every profile, a client credentials
/// token (no user, no consent) with the `accounts` or `payments` scope reads
/// neither the accounts, nor a payment's status, nor confirms funds, nor
/// submits a payment; the user's own token still does.
#[test]
fn cdr_code_flow_bg_code_flow_client_credentials_token_reads_no_user_data() {
    big_stack(|| {
        for profile in Profile::ALL {
            client_credentials_reads_no_user_data(*profile);
        }
    });
}

fn client_credentials_reads_no_user_data(profile: Profile) {
    let world = World::new(profile, rsa()).unwrap();
    let (client, rs) = (&world.client, &world.resource);
    let no_user = Refusal {
        error: Error::InsufficientScope,
        site: Site::ResourceRequest,
    };
    let cc = |scope: &str| {
        world
            .server
            .token_client_credentials(&token_credentials(&world, client).unwrap(), scope)
            .unwrap()
    };
    // Accounts: the client credentials token is refused, the user's is not.
    let accounts = cc("accounts");
    let req = resource_request(client, rs, "GET", "/accounts", &accounts, b"").unwrap();
    assert_eq!(rs.accounts(&req), Err(no_user), "{}", profile.name);
    assert_eq!(no_user.oauth_error(), OAuthError::InsufficientScope);
    let (code, pair) = obtain_code(&world, client, Flow::AccountInformation, "alice").unwrap();
    let user = redeem(&world, client, &code, pair.verifier()).unwrap();
    let req = resource_request(client, rs, "GET", "/accounts", &user, b"").unwrap();
    assert!(rs.accounts(&req).is_ok(), "{}", profile.name);

    // Payments: a real payment made with the user's token, then the client
    // credentials token at each payment resource.
    let (code, pair) = obtain_code(&world, client, Flow::Payment, "alice").unwrap();
    let user = redeem(&world, client, &code, pair.verifier()).unwrap();
    let order = br#"{"Data":{"Initiation":{"InstructedAmount":"12.50"}}}"#;
    let req = resource_request(client, rs, "POST", "/domestic-payments", &user, order).unwrap();
    let id = rs.submit_payment(&req).unwrap();
    let payments = cc("payments");
    let path = format!("/domestic-payments/{id}");
    let req = resource_request(client, rs, "GET", &path, &payments, b"").unwrap();
    assert_eq!(
        rs.payment_status(&req, &id),
        Err(no_user),
        "{}",
        profile.name
    );
    let req =
        resource_request(client, rs, "POST", "/funds-confirmations", &payments, b"{}").unwrap();
    assert_eq!(
        rs.funds_confirmation(&req),
        Err(no_user),
        "{}",
        profile.name
    );
    let req = resource_request(client, rs, "POST", "/domestic-payments", &payments, order).unwrap();
    assert_eq!(rs.submit_payment(&req), Err(no_user), "{}", profile.name);
    let req = resource_request(client, rs, "GET", &path, &user, b"").unwrap();
    assert!(rs.payment_status(&req, &id).is_ok(), "{}", profile.name);
}

/// RFC 9449 §10.1: a DPoP proof sent to the PAR endpoint (without
/// `dpop_jkt`) binds the code to its key; the token endpoint refuses the
/// code with a proof of another key, or with none.
#[test]
fn rfc9449_s10_1_par_dpop_proof_binds_the_code() {
    big_stack(|| {
        for profile in [Profile::FAPI2, Profile::FAPI2_PLUS] {
            par_dpop_proof_binds_the_code(profile);
        }
    });
}

fn par_dpop_proof_binds_the_code(profile: Profile) {
    let world = World::new(profile, rsa()).unwrap();
    let (client, server) = (&world.client, &world.server);
    let code_for = || {
        let consent = create_consent(&world, client, Flow::AccountInformation).unwrap();
        let action = UserAction::new("You will now be taken to your bank.").unwrap();
        let (mut form, pair, state) = client.start(action, "accounts", &consent).unwrap();
        form.dpop_jkt = None;
        let cred = client.credentials(&server.par_endpoint(), true).unwrap();
        assert!(cred.dpop.is_some());
        let uri = server.par(&cred, &form).unwrap();
        let prompt = server.authorize(&client.client_id, Some(&uri)).unwrap();
        let redirect = server.approve(prompt, "alice", None).unwrap();
        let code = client.code_from(&redirect, &state).unwrap().to_owned();
        (code, pair)
    };
    // A proof of the attacker's key at the token endpoint.
    let (code, pair) = code_for();
    let mut cred = token_credentials(&world, client).unwrap();
    cred.dpop = world
        .attacker
        .dpop_proof("POST", &server.token_endpoint(), None)
        .unwrap();
    let err = server
        .token_code(&cred, &code, &client.redirect_uri, pair.verifier())
        .unwrap_err();
    assert_eq!(
        err,
        Refusal {
            error: Error::DpopKeyMismatch,
            site: Site::TokenRequest
        },
        "{}",
        profile.name
    );
    assert_eq!(err.oauth_error(), OAuthError::InvalidGrant);
    // No proof at all.
    let (code, pair) = code_for();
    let mut cred = token_credentials(&world, client).unwrap();
    cred.dpop = None;
    let err = server
        .token_code(&cred, &code, &client.redirect_uri, pair.verifier())
        .unwrap_err();
    assert_eq!(err.error, Error::DpopMissing, "{}", profile.name);
    assert_eq!(err.oauth_error(), OAuthError::InvalidDpopProof);
    // The client's own key: a token.
    let (code, pair) = code_for();
    assert!(redeem(&world, client, &code, pair.verifier()).is_ok());
}

/// F2-CODE-ONCE, CDR-CODE-ONCE: two threads redeem the same code through
/// the AS at once; exactly one gets a token, the other `CodeInvalid`.
#[test]
fn f2_code_once_race_two_threads_one_wins() {
    big_stack(code_race);
}

fn code_race() {
    for profile in [Profile::FAPI2, Profile::CDR] {
        let world = World::new(profile, rsa()).unwrap();
        for _ in 0..60 {
            let (code, pair) =
                obtain_code(&world, &world.client, Flow::AccountInformation, "alice").unwrap();
            let results: Vec<_> = std::thread::scope(|s| {
                let h: Vec<_> = (0..2)
                    .map(|_| {
                        std::thread::Builder::new()
                            .stack_size(STACK / 4)
                            .spawn_scoped(s, || {
                                redeem(&world, &world.client, &code, pair.verifier())
                            })
                            .unwrap()
                    })
                    .collect();
                h.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let wins = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(wins, 1, "{}", profile.name);
            let lost = results.into_iter().find_map(Result::err).unwrap();
            assert_eq!(
                lost,
                Refusal {
                    error: Error::CodeInvalid,
                    site: Site::TokenRequest
                }
            );
            assert_eq!(lost.oauth_error(), OAuthError::InvalidGrant);
        }
    }
}

/// F2-SENDER (DPoP): two threads present the same DPoP proof (same `jti`)
/// at the RS at once; exactly one is accepted, the other is `Replay`.
#[test]
fn f2_sender_dpop_jti_race_two_threads_one_wins() {
    big_stack(jti_race);
}

fn jti_race() {
    let world = World::new(Profile::FAPI2, rsa()).unwrap();
    let (code, pair) =
        obtain_code(&world, &world.client, Flow::AccountInformation, "alice").unwrap();
    let token = redeem(&world, &world.client, &code, pair.verifier()).unwrap();
    for _ in 0..200 {
        let req = resource_request(
            &world.client,
            &world.resource,
            "GET",
            "/accounts",
            &token,
            b"",
        )
        .unwrap();
        let results: Vec<_> = std::thread::scope(|s| {
            let h: Vec<_> = (0..2)
                .map(|_| {
                    std::thread::Builder::new()
                        .stack_size(STACK / 4)
                        .spawn_scoped(s, || world.resource.verify(&req, "accounts"))
                        .unwrap()
                })
                .collect();
            h.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        let lost = results.into_iter().find_map(Result::err).unwrap();
        assert_eq!(
            lost,
            Refusal {
                error: Error::Replay,
                site: Site::DpopProof
            }
        );
        assert_eq!(lost.oauth_error(), OAuthError::InvalidDpopProof);
    }
}
