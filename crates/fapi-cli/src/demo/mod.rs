//! `fapi demo`: the reference bank started in process (127.0.0.1, any free
//! port, software keys on aws-lc, in-memory stores, a development CA) under
//! each profile, and the paper's two flows run against it over real HTTPS
//! (mutual TLS where the profile binds tokens to certificates) by the
//! fintech built on `fapi::Client`, the demo playing the user in the
//! bank's login and consent pages. Then the attacks of the FAPI 2.0
//! attacker model, each of which the bank must refuse with the expected
//! OAuth error, or the client (a mixed-up authorization response, a forged
//! or substituted ID token, JARM response or JWE, a response signature
//! made for another request) with the expected core error. Under `berlin`
//! and `fapi2-ms` the fintech signs its resource requests and verifies the
//! bank's response signatures (RFC 9421, RFC 9530; BG-SIGNED-REQ), and the
//! signed messages are attacked ([`http_sig`]). Exit 1 if a step fails or
//! an attack is not refused.

mod arrangement;
mod authorization_endpoint;
mod client_auth;
mod escaped_json;
mod flows;
mod forge;
mod http_sig;
mod id_token;
mod interaction_id;
mod jarm;
mod jwe;
mod login_reload;
mod party;
mod replayed_code;
mod report;

use std::time::Instant;

use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;
use fapi_server::{ServerConfig, Stores};

use self::party::{Prepared, alg_for, auth_for, uses_dpop};
use self::report::Report;
use crate::cli::DemoArgs;
use crate::failure::Failure;

/// Runs `fapi demo`.
pub async fn run(args: &DemoArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let profiles: Vec<Profile> = match args.profile {
        Some(p) => vec![p.profile()],
        None => Profile::ALL.to_vec(),
    };
    let mut r = Report::new(args.output.json);
    r.text("Each step is tagged with the requirement IDs it exercises that hold under the profile run (fapi explain ID; docs/requirements.md).");
    for profile in &profiles {
        r.profile = profile.name;
        r.holds = profile.requirements;
        if let Err(f) = run_profile(&mut r, profile).await {
            let why = f.line().unwrap_or_default();
            r.fail("setup", "the bank and its clients", &why);
        }
    }
    let legend = r.legend();
    r.text("");
    r.text(&format!(
        "attackers (FAPI 2.0 attacker model): {}",
        legend
            .iter()
            .map(|(c, what)| format!("{c} {what}"))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    r.event(&serde_json::json!({
        "event": "attackers",
        "classes": legend.iter().map(|(c, what)| serde_json::json!({"class": c, "can": what})).collect::<Vec<_>>(),
    }));
    let missed = r.attacks - r.refused;
    let summary = format!(
        "{} profile(s) x 2 flows over HTTPS: {} steps passed, {} attacks refused; {} step(s) failed, {} attack(s) not refused; {:.1} s",
        profiles.len(),
        r.steps,
        r.refused,
        r.steps_failed,
        missed,
        started.elapsed().as_secs_f64()
    );
    r.text(&summary);
    r.event(&serde_json::json!({
        "event": "summary", "profiles": profiles.len(), "steps": r.steps,
        "steps_failed": r.steps_failed, "attacks": r.attacks, "refused": r.refused,
        "missed": missed, "failures": r.failures,
        "outcome": if r.failures == 0 { "pass" } else { "fail" },
    }));
    if let Some(e) = r.write_error() {
        return Err(Failure::environment("the report", e));
    }
    if r.failures == 0 {
        Ok(())
    } else {
        Err(Failure::failed(
            "demo",
            format!(
                "{} step(s) failed, {missed} attack(s) not refused",
                r.steps_failed
            ),
        ))
    }
}

async fn run_profile(r: &mut Report, profile: &Profile) -> Result<(), Failure> {
    let ca = DevCa::generate().map_err(|e| Failure::environment("the development CA", e))?;
    let fintech = Prepared::new(profile, "fintech-1", "Fintech One Ltd", &ca)?;
    let attacker = Prepared::new(profile, "attacker-1", "Mallory Apps", &ca)?;
    let escaped = escaped_json::EscapedClient::new(profile, &ca)?;
    let config = ServerConfig::new(*profile)
        .listen(core::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .client(fintech.registration.clone())
        .client(attacker.registration.clone())
        .client(escaped.registration())
        .dev_ca(ca.clone())
        .stores(Stores::memory());
    let server = fapi_server::start(config)
        .await
        .map_err(|e| Failure::environment("starting the bank", e))?;
    let issuer = server.issuer().to_owned();
    let binding = if uses_dpop(profile) {
        "DPoP-bound tokens".to_owned()
    } else {
        "certificate-bound tokens (mutual TLS, x5t#S256)".to_owned()
    };
    r.text("");
    let signed = if profile.signed_messages_required {
        "; resource messages signed (RFC 9421)"
    } else {
        ""
    };
    r.text(&format!(
        "== {} at {issuer}: keys: software (aws-lc), {}; {binding}; client auth {}; stores: memory{signed}",
        profile.name,
        alg_for(profile).name(),
        auth_for(profile).name(),
    ));
    r.event(&serde_json::json!({
        "event": "profile", "profile": profile.name, "issuer": issuer,
        "keys": "software (aws-lc)", "alg": alg_for(profile).name(),
        "sender_constraint": if uses_dpop(profile) { "dpop" } else { "mtls" },
        "client_auth": auth_for(profile).name(),
        "signed_messages": profile.signed_messages_required,
    }));
    let queues: [crate::probe::ConsentQueue; 2] = Default::default();
    let probe_clients = vec![
        fintech.probe_client(std::sync::Arc::clone(&queues[0])),
        attacker.probe_client(std::sync::Arc::clone(&queues[1])),
    ];
    let result = async {
        let fintech = fintech.connect(&issuer, ca.ca_pem())?;
        let attacker = attacker.connect(&issuer, ca.ca_pem())?;
        probe(
            r,
            profile,
            &issuer,
            ca.ca_pem(),
            [&fintech, &attacker],
            &queues,
            probe_clients,
        )
        .await;
        let escaped = escaped.connect(&issuer, ca.ca_pem())?;
        flows::account_information(r, profile, &fintech, &attacker).await;
        flows::payment(r, &fintech).await;
        arrangement::sharing_arrangement(r, profile, &fintech, &attacker).await;
        interaction_id::interaction_id(r, &fintech).await;
        http_sig::signed_messages(r, &fintech).await;
        authorization_endpoint::pushed_requests_only(r, profile, &fintech).await;
        audit(r, profile, &fintech).await;
        escaped_json::steps(r, &escaped).await;
        Ok::<(), Failure>(())
    }
    .await;
    server.shutdown().await;
    result
}

/// The modules of `fapi probe` run against the bank, in process: the
/// fintech and the attacker's client as the probe's two clients, each
/// authorization naming a fresh account-access consent made beforehand.
async fn probe(
    r: &mut Report,
    profile: &Profile,
    issuer: &str,
    ca_pem: &str,
    parties: [&party::Party; 2],
    queues: &[crate::probe::ConsentQueue; 2],
    clients: Vec<crate::probe::ClientFile>,
) {
    r.text("  -- fapi probe: the modules of the FAPI 2.0 conformance areas against the bank");
    let body = serde_json::json!({"Data": {
        "Permissions": ["ReadAccountsDetail"],
        "ExpirationDateTime": "2099-01-01T00:00:00Z"}, "Risk": {}});
    let path = "/open-banking/v3.1/aisp/account-access-consents";
    for (p, q) in parties.iter().zip(queues) {
        for _ in 0..48 {
            match client_auth::new_consent(p, (path, &body), "accounts").await {
                Ok(c) => q
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push_back(c),
                Err(e) => return r.fail("probe", "account-access consents for the probe", &e),
            }
        }
    }
    let target = crate::probe::Target {
        issuer: issuer.to_owned(),
        profile: *profile,
        clients,
        ca_pem: Some(ca_pem.to_owned()),
        users: vec!["username=alice".into(), "password=alice-password".into()],
        user_command: None,
        resource: Some(format!("{issuer}/open-banking/v3.1/aisp/accounts")),
        only: Vec::new(),
    };
    match crate::probe::probe(target).await {
        Ok(rows) => {
            for row in &rows {
                r.module(row);
            }
        }
        Err(f) => r.fail(
            "probe",
            "fapi probe against the bank",
            &f.line().unwrap_or_default(),
        ),
    }
}

/// F2-METADATA, OFB-METADATA: the bank's RFC 8414 metadata, fetched over
/// HTTPS, audited against every profile (`fapi audit`); it must pass its
/// own profile's.
async fn audit(r: &mut Report, profile: &Profile, p: &party::Party) {
    let name = "the bank's RFC 8414 metadata passes the audit of its own profile";
    let ids = ["F2-METADATA", "OFB-METADATA"];
    let fetched = match ::http::Request::get(p.url("/.well-known/oauth-authorization-server"))
        .body(String::new())
    {
        Ok(req) => p
            .http
            .send(req)
            .await
            .map_err(|e| e.line().unwrap_or_default()),
        Err(e) => Err(e.to_string()),
    };
    let doc = match fetched {
        Ok(a) if a.status == 200 => a.body,
        Ok(a) => return r.fail("audit", name, &a.summary()),
        Err(e) => return r.fail("audit", name, &e),
    };
    let facts = crate::cli::FactArgs::default();
    let mut cells = Vec::new();
    let mut own = Err("not audited".to_owned());
    for q in Profile::ALL {
        match crate::audit_cmd::audit_profile(q, doc.as_bytes(), &facts) {
            Ok(a) => {
                let fails: Vec<&str> = a
                    .rows
                    .iter()
                    .filter(|(_, v)| matches!(v, crate::audit_cmd::Verdict::Fail(_)))
                    .map(|(id, _)| *id)
                    .collect();
                cells.push(if fails.is_empty() {
                    format!("{} pass", q.name)
                } else {
                    format!("{} fail ({})", q.name, fails.join(" "))
                });
                if q.name == profile.name {
                    own = if fails.is_empty() {
                        Ok(())
                    } else {
                        Err(format!("fails {}", fails.join(", ")))
                    };
                }
            }
            Err(e) => cells.push(format!("{} {}", q.name, e.line().unwrap_or_default())),
        }
    }
    r.text(&format!(
        "  -- the bank's metadata audited against every set: only {}, the profile it runs, must pass; the others fail by design where their rules differ: {}",
        profile.name,
        cells.join(" | ")
    ));
    let _ = r.step("audit", name, &ids, own);
}
