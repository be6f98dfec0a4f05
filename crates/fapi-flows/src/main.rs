//! The main job: both flows of the paper under each of the six profiles,
//! attacks included, then the audit of the simulated AS's metadata against
//! every profile. Exits non-zero if a step fails or an attack is not
//! stopped.

use std::process::ExitCode;
use std::time::Instant;

use fapi_core::audit::Outcome;
use fapi_core::profile::Profile;
use fapi_flows::keys::RsaKeys;
use fapi_flows::world::algorithms;
use fapi_flows::{Flow, World, metadata, run_flow};

fn main() -> ExitCode {
    let started = Instant::now();
    let rsa = RsaKeys::default();
    let mut failures = 0usize;
    let mut attacks = 0usize;
    let mut steps = 0usize;
    let mut audit_rows = Vec::new();
    for profile in Profile::ALL {
        let world = match World::new(*profile, &rsa) {
            Ok(w) => w,
            Err(e) => {
                println!("{}: setup failed: {e}", profile.name);
                failures += 1;
                continue;
            }
        };
        let algs = algorithms(profile);
        println!(
            "== {} (AS {}, client {}, {})",
            profile.name,
            algs.server,
            algs.client,
            match fapi_flows::authorization_server::sender_constraint(profile) {
                fapi_core::profile::SenderConstraint::Dpop => format!("DPoP {}", algs.dpop),
                fapi_core::profile::SenderConstraint::Mtls => "MTLS x5t#S256".to_owned(),
            }
        );
        for flow in Flow::ALL {
            match run_flow(&world, flow) {
                Ok(report) => {
                    println!("  -- {}", flow.name());
                    for s in &report.steps {
                        steps += 1;
                        println!("     OK   {}", s.name);
                    }
                    for a in &report.attacks {
                        attacks += 1;
                        let verdict = if a.stopped() { "STOPPED" } else { "MISSED " };
                        if !a.stopped() {
                            failures += 1;
                        }
                        let seen = a
                            .observed
                            .map_or_else(|| "accepted".to_owned(), |r| r.to_string());
                        println!("     {verdict} [{}] {}: {seen}", a.attacker, a.name);
                    }
                }
                Err(f) => {
                    failures += 1;
                    println!("  FAIL {f}");
                }
            }
        }
        match metadata::audit_all(&world) {
            Ok(reports) => audit_rows.push((profile.name, reports)),
            Err(e) => {
                failures += 1;
                println!("  audit failed: {e}");
            }
        }
    }
    println!();
    println!("== audit of each simulated AS's RFC 8414 metadata against every profile");
    print!("{:<12}", "AS \\ audit");
    for p in Profile::ALL {
        print!("{:>12}", p.name);
    }
    println!();
    for (name, reports) in &audit_rows {
        print!("{name:<12}");
        for (p, r) in Profile::ALL.iter().zip(reports.iter()) {
            let fails = r.failures().count();
            let cell = if fails == 0 {
                "pass".to_owned()
            } else {
                format!("{fails} fail")
            };
            print!("{cell:>12}");
            // Each AS must meet its own profile.
            if p.name == *name && fails > 0 {
                failures += 1;
            }
        }
        println!();
    }
    for (name, reports) in &audit_rows {
        for (p, r) in Profile::ALL.iter().zip(reports.iter()) {
            for f in r.failures() {
                if let Outcome::Fail(why) = f.outcome {
                    println!("  {name} AS vs {}: {} fails: {why}", p.name, f.id);
                }
            }
        }
    }
    println!();
    println!(
        "{} profiles x 2 flows: {steps} steps OK, {attacks} attacks, {failures} failures, {:.1} s",
        Profile::ALL.len(),
        started.elapsed().as_secs_f64()
    );
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
