//! `fapi audit`: the core's `fapi_core::audit` of an authorization
//! server's RFC 8414 metadata (F2-METADATA, OFB-METADATA), as a table of
//! requirement ID, result and finding, for one profile or a column per
//! profile.
//!
//! Some requirements depend on facts the metadata cannot show (lifetimes,
//! single-use codes, TLS suites, certifications): the server declares
//! them with flags. A requirement that depends on a fact not declared is
//! reported as `undeclared`, never as met: the audit runs twice, once with
//! every undeclared fact at its best and once at its worst, and a finding
//! that differs between the two hangs on an undeclared fact.

use fapi_core::audit::{self, Outcome, Report, ServerConfig, TlsVersion};
use fapi_core::profile::{FAPI1_ADVANCED, Profile};

use crate::cli::{AuditArgs, FactArgs, TlsMin};
use crate::failure::{Context as _, Failure};
use crate::{fetch, input, output};

/// One requirement's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Met.
    Pass,
    /// Not met, and why.
    Fail(&'static str),
    /// Not visible in metadata or configuration (enforced by types).
    NotApplicable,
    /// Depends on a fact the server did not declare.
    Undeclared,
}

impl Verdict {
    /// The outcome, as the C API's `fapi_audit` report writes it: `pass`,
    /// `fail`, `not_applicable`, and `undeclared` (the CLI's alone: the C
    /// caller declares every fact).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail(_) => "fail",
            Self::NotApplicable => "not_applicable",
            Self::Undeclared => "undeclared",
        }
    }

    /// Why, for the text table.
    fn finding(self) -> &'static str {
        match self {
            Self::Pass => "",
            Self::Fail(why) => why,
            Self::NotApplicable => "enforced by fapi's types, not visible to an audit",
            Self::Undeclared => "not shown by the metadata: declare the fact (fapi audit --help)",
        }
    }

    /// One finding as JSON, with the C report's keys: `id`, `outcome`,
    /// and `reason` for a failure (and for an undeclared fact).
    pub fn json(self, id: &str) -> serde_json::Value {
        let mut v = serde_json::json!({ "id": id, "outcome": self.name() });
        if matches!(self, Self::Fail(_) | Self::Undeclared) {
            v["reason"] = self.finding().into();
        }
        v
    }
}

/// The findings for one profile.
#[derive(Clone, Debug)]
pub struct ProfileAudit {
    /// The profile's name.
    pub profile: &'static str,
    /// Each requirement ID and its verdict, in the profile's order.
    pub rows: Vec<(&'static str, Verdict)>,
}

impl ProfileAudit {
    /// Whether a requirement failed.
    pub fn failed(&self) -> bool {
        self.rows.iter().any(|(_, v)| matches!(v, Verdict::Fail(_)))
    }
}

fn tls(v: TlsMin) -> TlsVersion {
    match v {
        TlsMin::Older => TlsVersion::Older,
        TlsMin::Tls12 => TlsVersion::Tls12,
        TlsMin::Tls13 => TlsVersion::Tls13,
    }
}

/// Audits `metadata` against `profile` with the declared `facts`.
pub fn audit_profile(
    profile: &Profile,
    metadata: &[u8],
    facts: &FactArgs,
) -> Result<ProfileAudit, Failure> {
    let suites: Vec<&str> = facts.tls_suites.iter().map(String::as_str).collect();
    let certified: Vec<&str> = facts.certified.iter().map(String::as_str).collect();
    let best_suites = if suites.is_empty() {
        profile.tls_suites.to_vec()
    } else {
        suites.clone()
    };
    let best_cert = if certified.is_empty() {
        vec![FAPI1_ADVANCED]
    } else {
        certified.clone()
    };
    // Every undeclared fact at its best for this profile ...
    let best = ServerConfig {
        metadata,
        access_token_ttl: facts
            .access_token_ttl
            .unwrap_or(profile.access_token_ttl.min.max(1)),
        code_ttl: facts
            .code_ttl
            .unwrap_or(profile.code_ttl.max.min(60).max(profile.code_ttl.min)),
        par_ttl: facts.par_ttl.unwrap_or(profile.par_ttl.min.max(10)),
        request_object_ttl: facts.request_object_ttl.or(Some(60)),
        refresh_rotation: facts.refresh_rotation.unwrap_or(false),
        codes_single_use: facts.codes_single_use.unwrap_or(true),
        https_redirects_only: facts.https_redirects_only.unwrap_or(true),
        tls_suites: &best_suites,
        tls_min_version: facts.tls_min.map_or(TlsVersion::Tls13, tls),
        certified_conformance: &best_cert,
        signed_messages: facts.signed_messages.unwrap_or(true),
    };
    // ... and at its worst.
    let worst = ServerConfig {
        metadata,
        access_token_ttl: facts.access_token_ttl.unwrap_or(u64::MAX),
        code_ttl: facts.code_ttl.unwrap_or(u64::MAX),
        par_ttl: facts.par_ttl.unwrap_or(u64::MAX),
        request_object_ttl: facts.request_object_ttl,
        refresh_rotation: facts.refresh_rotation.unwrap_or(true),
        codes_single_use: facts.codes_single_use.unwrap_or(false),
        https_redirects_only: facts.https_redirects_only.unwrap_or(false),
        tls_suites: &suites,
        tls_min_version: facts.tls_min.map_or(TlsVersion::Older, tls),
        certified_conformance: &certified,
        signed_messages: facts.signed_messages.unwrap_or(false),
    };
    // F2-METADATA, OFB-METADATA: a document that does not parse (malformed,
    // a duplicate member) is refused with the core's typed error.
    let what = "the metadata";
    let b: Report = audit::audit(profile, &best).map_err(|e| {
        let dup = core::str::from_utf8(metadata)
            .ok()
            .filter(|_| e == fapi_core::Error::DuplicateMember)
            .and_then(crate::jws_cmd::duplicate_member)
            .map(|name| format!("the member {name:?} appears twice"));
        Failure::refused(what, e).with_detail(dup)
    })?;
    let w: Report = audit::audit(profile, &worst).refused(what)?;
    let rows = b
        .findings()
        .iter()
        .zip(w.findings())
        .map(|(fb, fw)| {
            let v = match (fb.outcome, fw.outcome) {
                (Outcome::Pass, Outcome::Pass) => Verdict::Pass,
                (Outcome::NotApplicable, _) => Verdict::NotApplicable,
                (Outcome::Fail(why), _) => Verdict::Fail(why),
                (Outcome::Pass, _) => Verdict::Undeclared,
            };
            (fb.id, v)
        })
        .collect();
    Ok(ProfileAudit {
        profile: profile.name,
        rows,
    })
}

/// The metadata URL of an issuer URL (RFC 8414 §3), or the URL itself when
/// it names a `/.well-known/` document.
fn metadata_url(url: &str) -> String {
    if url.contains("/.well-known/") {
        url.to_owned()
    } else {
        format!(
            "{}/.well-known/oauth-authorization-server",
            url.trim_end_matches('/')
        )
    }
}

/// Runs `fapi audit`: exit 1 when a requirement fails.
pub async fn run(args: &AuditArgs) -> Result<(), Failure> {
    let doc = match (&args.source, &args.metadata_json) {
        (Some(url), None) if fetch::is_url(url) => {
            fetch::get_text(&metadata_url(url), args.ca.as_deref()).await?
        }
        (path, inline) => {
            let what = if inline.is_some() {
                "--metadata-json"
            } else {
                "METADATA"
            };
            let source = input::Source::document(path.as_deref(), inline.as_deref());
            input::read(source, what, Some("--metadata-json"))?.to_string()
        }
    };
    let profiles: Vec<Profile> = match args.profile {
        Some(p) => vec![p.profile()],
        None => Profile::ALL.to_vec(),
    };
    let audits = profiles
        .iter()
        .map(|p| audit_profile(p, doc.as_bytes(), &args.facts))
        .collect::<Result<Vec<_>, _>>()?;
    if args.output.json {
        let v: Vec<_> = audits
            .iter()
            .map(|a| {
                serde_json::json!({
                    "profile": a.profile,
                    "passed": !a.failed(),
                    "findings": a.rows.iter().map(|(id, v)| v.json(id)).collect::<Vec<_>>(),
                })
            })
            .collect();
        output::json(&serde_json::json!({ "audit": v }))?;
    } else if let [one] = audits.as_slice() {
        output::line(&format!(
            "{:<18} {:<14} finding",
            "requirement", one.profile
        ))?;
        for (id, v) in &one.rows {
            output::line(&format!("{id:<18} {:<14} {}", v.name(), v.finding()))?;
        }
    } else {
        table(&audits)?;
    }
    let failed: Vec<&str> = audits
        .iter()
        .filter(|a| a.failed())
        .map(|a| a.profile)
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::failed(
            "audit",
            format!("requirements fail under {}", failed.join(", ")),
        ))
    }
}

/// A row per requirement ID, a column per profile, then the reasons.
fn table(audits: &[ProfileAudit]) -> Result<(), Failure> {
    let mut ids: Vec<&str> = Vec::new();
    for a in audits {
        for (id, _) in &a.rows {
            if !ids.contains(id) {
                ids.push(id);
            }
        }
    }
    let mut head = format!("{:<18}", "requirement");
    for a in audits {
        head.push_str(&format!(" {:>14}", a.profile));
    }
    output::line(&head)?;
    for id in &ids {
        let mut row = format!("{id:<18}");
        for a in audits {
            let cell = a
                .rows
                .iter()
                .find(|(i, _)| i == id)
                .map_or("-", |(_, v)| v.name());
            row.push_str(&format!(" {cell:>14}"));
        }
        output::line(&row)?;
    }
    for a in audits {
        for (id, v) in &a.rows {
            if let Verdict::Fail(why) = v {
                output::line(&format!("{} {id}: {why}", a.profile))?;
            }
        }
    }
    Ok(())
}
