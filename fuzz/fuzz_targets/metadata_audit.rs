//! Authorization server metadata (RFC 8414) and the profile audit
//! (`audit::Metadata::parse`, `audit::audit_all`).
//!
//! The input is the metadata document; it is audited under two fixed server
//! configurations (one that meets every profile's settings, one that meets
//! none).
//!
//! Properties: neither call panics; `audit_all` succeeds exactly when
//! `Metadata::parse` does, and then refuses nothing else: it gives one
//! report per profile, in `Profile::ALL` order, each with one finding per
//! requirement ID of that profile, in the profile's order; a failed parse
//! is refused by `audit_all` with the same error.
#![no_main]

use fapi_core::audit::{self, Metadata, ServerConfig, TlsVersion};
use fapi_core::profile::Profile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The audit reads escaped values into METADATA_SCRATCH bytes: parse
    // the same way, so both see the same document.
    let mut scratch = vec![0u8; audit::METADATA_SCRATCH];
    let parsed = Metadata::parse_in(data, &mut scratch);
    let configs = [
        ServerConfig {
            metadata: data,
            access_token_ttl: 600,
            code_ttl: 60,
            par_ttl: 60,
            request_object_ttl: Some(600),
            refresh_rotation: false,
            codes_single_use: true,
            https_redirects_only: true,
            tls_suites: &[
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            ],
            tls_min_version: TlsVersion::Tls12,
            certified_conformance: &["fapi1-advanced-final", "fapi2-security-profile"],
            signed_messages: true,
        },
        ServerConfig {
            metadata: data,
            access_token_ttl: u64::MAX,
            code_ttl: 0,
            par_ttl: u64::MAX,
            request_object_ttl: None,
            refresh_rotation: true,
            codes_single_use: false,
            https_redirects_only: false,
            tls_suites: &[],
            tls_min_version: TlsVersion::Older,
            certified_conformance: &[],
            signed_messages: false,
        },
    ];
    for config in &configs {
        match (&parsed, audit::audit_all(config)) {
            (Ok(_), Ok(reports)) => {
                for (report, profile) in reports.iter().zip(Profile::ALL) {
                    assert_eq!(report.profile, profile.id);
                    let ids: Vec<&str> = report.findings().iter().map(|f| f.id).collect();
                    assert_eq!(ids, profile.requirements, "{}", profile.name);
                    let _ = report.passed();
                    let _ = report.failures().count();
                }
            }
            (Err(e), Err(f)) => assert_eq!(*e, f, "audit_all refused with another error"),
            (Ok(_), Err(e)) => panic!("metadata parses but audit_all refuses: {e:?}"),
            (Err(e), Ok(_)) => panic!("metadata refused ({e:?}) but audited"),
        }
    }
});
