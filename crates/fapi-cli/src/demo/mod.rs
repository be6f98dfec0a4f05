//! `fapi demo`: the reference bank started in process (127.0.0.1, any free
//! port, software keys on aws-lc, in-memory stores, a development CA) under
//! each profile, and the paper's two flows run against it over real HTTPS
//! (mutual TLS where the profile binds tokens to certificates) by the
//! fintech built on `fapi::Client`, the demo playing the user in the
//! bank's login and consent pages. Then the attacks of the FAPI 2.0
//! attacker model, each of which the bank (or, for a mixed-up
//! authorization response, the client) must refuse with the expected
//! OAuth error. Exit 1 if a step fails or an attack is not refused.

mod flows;
mod http;
mod party;
mod report;

use std::time::Instant;

use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;
use fapi_server::{ServerConfig, Stores};

use self::party::{Prepared, alg_for, auth_for, uses_dpop};
use self::report::{ATTACKERS, Report};
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
    r.text(ATTACKERS);
    r.event(&serde_json::json!({"event": "attackers", "key": ATTACKERS}));
    for profile in &profiles {
        r.profile = profile.name;
        if let Err(f) = run_profile(&mut r, profile).await {
            let why = f.line().unwrap_or_default();
            r.fail("setup", "the bank and its clients", &why);
        }
    }
    let summary = format!(
        "{} profile(s) x 2 flows over HTTPS: {} steps OK, {} attacks, {} failures, {:.1} s",
        profiles.len(),
        r.steps,
        r.attacks,
        r.failures,
        started.elapsed().as_secs_f64()
    );
    r.text("");
    r.text(&summary);
    r.event(&serde_json::json!({
        "event": "summary", "profiles": profiles.len(), "steps": r.steps,
        "attacks": r.attacks, "failures": r.failures,
    }));
    if let Some(e) = r.write_error() {
        return Err(Failure::environment("the report", e));
    }
    if r.failures == 0 {
        Ok(())
    } else {
        Err(Failure::failed("demo", format!("{} failures", r.failures)))
    }
}

async fn run_profile(r: &mut Report, profile: &Profile) -> Result<(), Failure> {
    let ca = DevCa::generate().map_err(|e| Failure::environment("the development CA", e))?;
    let fintech = Prepared::new(profile, "fintech-1", "Fintech One Ltd", &ca)?;
    let attacker = Prepared::new(profile, "attacker-1", "Mallory Apps", &ca)?;
    let config = ServerConfig::new(*profile)
        .listen(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .client(fintech.registration.clone())
        .client(attacker.registration.clone())
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
    r.text(&format!(
        "== {} at {issuer}: keys: software (aws-lc), {}; {binding}; client auth {}; stores: memory",
        profile.name,
        alg_for(profile).name(),
        auth_for(profile).name(),
    ));
    r.event(&serde_json::json!({
        "event": "profile", "profile": profile.name, "issuer": issuer,
        "keys": "software (aws-lc)", "alg": alg_for(profile).name(),
        "sender_constraint": if uses_dpop(profile) { "dpop" } else { "mtls" },
        "client_auth": auth_for(profile).name(),
    }));
    let result = async {
        let fintech = fintech.connect(&issuer, ca.ca_pem())?;
        let attacker = attacker.connect(&issuer, ca.ca_pem())?;
        flows::account_information(r, profile, &fintech, &attacker).await;
        flows::payment(r, profile, &fintech, &attacker).await;
        Ok::<(), Failure>(())
    }
    .await;
    server.shutdown().await;
    result
}
