//! `fapi probe`: checks a live authorization server against a profile.
//!
//! The server's metadata is fetched (its `issuer` checked) and audited
//! (`fapi audit`); the happy flow runs on `fapi::Client` (PAR with PKCE
//! S256 and a request object where the profile signs requests, the user's
//! login and consent by the form-post convention or `--user-command`,
//! `iss` checked, the code redeemed with `private_key_jwt` or mutual TLS,
//! DPoP or certificate binding, refresh, a resource call); then the
//! negative modules ([`modules`]), each one attack or rule with its
//! requirement IDs, clause and expected answer, PASS, FAIL or SKIP.
//! Every endpoint comes from the metadata; nothing is sent elsewhere.

mod agent;
mod client_file;
mod ctx;
mod jwt;
mod metadata;
pub mod modules;
mod party;
mod report;

use fapi_core::profile::{Profile, SenderConstraint};

pub use self::client_file::{ClientFile, ConsentQueue};
pub use self::ctx::Ctx;
pub use self::report::Row;
use crate::cli::ProbeArgs;
use crate::failure::Failure;
use crate::https::Http;

/// What a probe run is aimed at, however it was given (the command line,
/// or `fapi demo` in process).
#[derive(Debug)]
pub struct Target {
    /// The issuer.
    pub issuer: String,
    /// The profile.
    pub profile: Profile,
    /// The client files (one or two).
    pub clients: Vec<ClientFile>,
    /// The trust anchors (PEM), else the system's roots.
    pub ca_pem: Option<String>,
    /// `--user NAME=VALUE`.
    pub users: Vec<String>,
    /// `--user-command`.
    pub user_command: Option<String>,
    /// `--resource`.
    pub resource: Option<String>,
    /// `--only`: these modules (all when empty).
    pub only: Vec<String>,
}

/// Whether tokens are DPoP-bound: the profile allows DPoP and the
/// metadata lists `dpop_signing_alg_values_supported` (else the client
/// certificate binds them).
pub fn binds_with_dpop(profile: &Profile, doc: &serde_json::Value) -> bool {
    profile.sender.contains(&SenderConstraint::Dpop)
        && doc.get("dpop_signing_alg_values_supported").is_some()
}

/// Runs the probe on `target`: the rows of the report, in module order.
/// `Err` is a usage error (metadata that cannot be fetched, an issuer
/// mismatch, a client that cannot be built).
pub async fn probe(target: Target) -> Result<Vec<Row>, Failure> {
    for o in &target.only {
        if modules::find(o).is_none() {
            return Err(Failure::usage(
                "--only",
                format!("no module {o:?} (fapi probe --list)"),
            ));
        }
    }
    let http = Http::with_roots(target.ca_pem.as_deref(), None)?;
    let meta = metadata::Metadata::fetch(&http, &target.issuer).await?;
    let mut ctx = Ctx::new(target, meta)?;
    ctx.happy_flow().await;
    let mut rows = Vec::new();
    for m in modules::ALL {
        if !ctx.selected(m.name) {
            continue;
        }
        let outcome = (m.run)(&ctx).await;
        rows.push(Row::new(m, &ctx.profile, outcome));
    }
    Ok(rows)
}

/// Runs `fapi probe`.
pub async fn run(args: &ProbeArgs) -> Result<(), Failure> {
    if args.list {
        let profile = args.profile.map(|p| p.profile());
        return report::list(profile.as_ref(), args.output.json);
    }
    let (Some(issuer), Some(profile)) = (&args.issuer, args.profile) else {
        return Err(Failure::usage(
            "probe",
            "ISSUER_URL and --profile are required",
        ));
    };
    if args.clients.len() > 2 {
        return Err(Failure::usage("--client", "at most two clients"));
    }
    let clients = args
        .clients
        .iter()
        .map(|p| ClientFile::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let ca_pem =
        match &args.ca {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
                Failure::usage(p.display().to_string(), format!("cannot read: {e}"))
            })?),
            None => None,
        };
    let profile = profile.profile();
    let target = Target {
        issuer: issuer.clone(),
        profile,
        clients,
        ca_pem,
        users: args.user.clone(),
        user_command: args.user_command.clone(),
        resource: args.resource.clone(),
        only: args.only.clone(),
    };
    let rows = probe(target).await?;
    report::print(issuer, &profile, &rows, args.output.json)?;
    let failed = rows.iter().filter(|r| r.failed()).count();
    if failed == 0 {
        Ok(())
    } else {
        Err(Failure::failed(
            "probe",
            format!(
                "{failed} module(s) failed against {issuer} under {}",
                profile.name
            ),
        ))
    }
}
