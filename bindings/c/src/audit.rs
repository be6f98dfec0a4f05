//! The profile audit of a server's metadata document and declared
//! configuration (F2-METADATA, OFB-METADATA and every ID of the profile).

use core::ffi::c_char;

use fapi_core::Error;
use fapi_core::audit::{self, Outcome, ServerConfig, TlsVersion};

use crate::ffi::{self, Context, Failure, Out, Where, boundary, fapi_error_detail, fapi_str};
use crate::profile::{fapi_profile, profile_arg};

/// `fapi_tls_version`: the oldest TLS version a server accepts.
pub type fapi_tls_version = u32;
/// TLS 1.1 or older is still accepted.
pub const FAPI_TLS_OLDER: fapi_tls_version = 0;
/// TLS 1.2 and newer.
pub const FAPI_TLS_1_2: fapi_tls_version = 12;
/// TLS 1.3 only.
pub const FAPI_TLS_1_3: fapi_tls_version = 13;

/// What a server declares: its RFC 8414 metadata document, the lifetimes
/// it uses and the facts the metadata cannot show.
#[repr(C)]
#[derive(Debug)]
pub struct fapi_server_config {
    /// The metadata document (JSON), as served.
    pub metadata: *const c_char,
    /// Its length.
    pub metadata_len: usize,
    /// Access token lifetime (s).
    pub access_token_ttl: u64,
    /// Authorization code lifetime (s).
    pub code_ttl: u64,
    /// PAR `request_uri` lifetime (s).
    pub par_ttl: u64,
    /// The longest request object `exp - nbf` accepted (s); 0: unbounded.
    pub request_object_ttl: u64,
    /// Whether refresh tokens are rotated.
    pub refresh_rotation: bool,
    /// Whether codes are redeemed by an atomic take.
    pub codes_single_use: bool,
    /// Whether only `https` redirect URIs are registered.
    pub https_redirects_only: bool,
    /// Whether resource request messages are signed by the client.
    pub signed_messages: bool,
    /// The TLS cipher suites (IANA names) the server supports.
    pub tls_suites: *const fapi_str,
    /// How many.
    pub tls_suites_len: usize,
    /// The oldest TLS version accepted (`FAPI_TLS_*`).
    pub tls_min_version: fapi_tls_version,
    /// The conformance certifications the server holds
    /// (`fapi1-advanced-final`, ...).
    pub certified_conformance: *const fapi_str,
    /// How many.
    pub certified_conformance_len: usize,
}

/// Audits `config` against `profile`: one finding per requirement ID of
/// the profile, written to `report` as JSON:
/// `{"profile":"fapi2","passed":false,"findings":[{"id":"F2-PAR","outcome":"fail","reason":"..."},...]}`
/// (`outcome` is `pass`, `fail` or `not_applicable`).
///
/// Returns `FAPI_OK` when nothing fails, `FAPI_PROFILE_VIOLATION` when a
/// requirement fails (the report is written all the same), and the JSON
/// errors (`FAPI_DUPLICATE_MEMBER`, `FAPI_JSON`, `FAPI_TOO_LARGE`) for a
/// metadata document that does not parse (F2-METADATA, OFB-METADATA).
///
/// ```c
/// fapi_server_config cfg = {.metadata = md, .metadata_len = strlen(md),
///     .access_token_ttl = 300, .code_ttl = 60, .par_ttl = 90, .codes_single_use = true,
///     .https_redirects_only = true, .tls_min_version = FAPI_TLS_1_2};
/// char report[16384]; size_t n;
/// fapi_result r = fapi_audit(profile, &cfg, report, sizeof report, &n, &err);
/// /* FAPI_OK, or FAPI_PROFILE_VIOLATION with the failures in the report */
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; `config` is valid with valid
/// pairs and arrays; `report` is writable for `cap` bytes; `report_len` is
/// writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_audit(
    profile: *const fapi_profile,
    config: *const fapi_server_config,
    report: *mut c_char,
    cap: usize,
    report_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (profile, c, out) = unsafe {
            (
                profile_arg(profile)?,
                ffi::arg(config, "config")?,
                Out::text(report, cap, report_len, "report_len")?,
            )
        };
        // SAFETY: contract: the config's pairs and arrays are valid.
        let (metadata, suites, certified) = unsafe {
            (
                ffi::bytes(c.metadata.cast::<u8>(), c.metadata_len, "config.metadata")?,
                ffi::texts(c.tls_suites, c.tls_suites_len, "config.tls_suites")?,
                ffi::texts(
                    c.certified_conformance,
                    c.certified_conformance_len,
                    "config.certified_conformance",
                )?,
            )
        };
        let tls_min_version = match c.tls_min_version {
            FAPI_TLS_OLDER => TlsVersion::Older,
            FAPI_TLS_1_2 => TlsVersion::Tls12,
            FAPI_TLS_1_3 => TlsVersion::Tls13,
            other => {
                return Err(Failure::invalid(format!(
                    "{other} is not a fapi_tls_version"
                )));
            }
        };
        let config = ServerConfig {
            metadata,
            access_token_ttl: c.access_token_ttl,
            code_ttl: c.code_ttl,
            par_ttl: c.par_ttl,
            request_object_ttl: (c.request_object_ttl != 0).then_some(c.request_object_ttl),
            refresh_rotation: c.refresh_rotation,
            codes_single_use: c.codes_single_use,
            https_redirects_only: c.https_redirects_only,
            tls_suites: &suites,
            tls_min_version,
            certified_conformance: &certified,
            signed_messages: c.signed_messages,
        };
        // F2-METADATA / OFB-METADATA: a document that does not parse is
        // refused with its typed error.
        let result = audit::audit(profile, &config).context("metadata")?;
        let findings: Vec<serde_json::Value> = result
            .findings()
            .iter()
            .map(|f| match f.outcome {
                Outcome::Pass => serde_json::json!({"id": f.id, "outcome": "pass"}),
                Outcome::NotApplicable => {
                    serde_json::json!({"id": f.id, "outcome": "not_applicable"})
                }
                Outcome::Fail(reason) => {
                    serde_json::json!({"id": f.id, "outcome": "fail", "reason": reason})
                }
            })
            .collect();
        let doc = serde_json::json!({
            "profile": profile.name,
            "passed": result.passed(),
            "findings": findings,
        });
        out.put(doc.to_string().as_bytes())?;
        if result.passed() {
            Ok(())
        } else {
            let failed: Vec<&str> = result.failures().map(|f| f.id).collect();
            Err(Failure::core(
                Error::ProfileViolation,
                &format!(
                    "metadata audit under {}: {} fail",
                    profile.name,
                    failed.join(", ")
                ),
            ))
        }
    })
}
