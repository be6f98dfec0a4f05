//! The simulated authorization server's RFC 8414 metadata, and its audit
//! against every profile (F2-METADATA, OFB-METADATA).

use fapi_core::Error;
use fapi_core::audit::{self, Report, ServerConfig, TlsVersion};
use fapi_core::profile::{FAPI1_ADVANCED, Profile, SenderConstraint};

use crate::authorization_server::sender_constraint;
use crate::world::{World, algorithms, client_auth};

fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", quoted.join(","))
}

/// The metadata document the AS of `world` serves.
pub fn document(world: &World) -> Result<String, Error> {
    let p: &Profile = &world.profile;
    let s = &world.server;
    let algs = algorithms(p);
    let alg_names: Vec<&str> = p.algs.iter().map(|a| a.name()).collect();
    let dpop = sender_constraint(p) == SenderConstraint::Dpop;
    let mut members = vec![
        format!("\"issuer\":\"{}\"", s.issuer()),
        format!(
            "\"authorization_endpoint\":\"{}\"",
            s.authorization_endpoint()
        ),
        format!("\"token_endpoint\":\"{}\"", s.token_endpoint()),
        format!("\"jwks_uri\":\"{}/jwks\"", s.issuer()),
        format!(
            "\"pushed_authorization_request_endpoint\":\"{}\"",
            s.par_endpoint()
        ),
        format!(
            "\"require_pushed_authorization_requests\":{}",
            p.par_required
        ),
        format!(
            "\"token_endpoint_auth_methods_supported\":{}",
            list(&[client_auth(p).name()])
        ),
        format!(
            "\"token_endpoint_auth_signing_alg_values_supported\":{}",
            list(&alg_names)
        ),
        format!(
            "\"request_object_signing_alg_values_supported\":{}",
            list(&alg_names)
        ),
        // OpenID Connect Discovery §3: required of an OpenID Provider.
        "\"subject_types_supported\":[\"public\"]".into(),
        format!(
            "\"id_token_signing_alg_values_supported\":{}",
            list(&[algs.server.name()])
        ),
        format!(
            "\"require_signed_request_object\":{}",
            p.signed_request_required
        ),
        "\"code_challenge_methods_supported\":[\"S256\"]".into(),
        "\"response_types_supported\":[\"code\"]".into(),
        format!("\"grant_types_supported\":{}", list(p.grant_types)),
        format!("\"tls_client_certificate_bound_access_tokens\":{}", !dpop),
        "\"authorization_response_iss_parameter_supported\":true".into(),
        format!("\"introspection_endpoint\":\"{}/introspect\"", s.issuer()),
        "\"claims_parameter_supported\":true".into(),
    ];
    if dpop {
        members.push(format!(
            "\"dpop_signing_alg_values_supported\":{}",
            list(&alg_names)
        ));
    }
    if let Some(claim) = p.consent_claim {
        members.push(format!("\"claims_supported\":{}", list(&["sub", claim])));
    }
    // FAPI 2.0 Message Signing §5.4, §5.6: JARM and signed introspection.
    if p.jarm_required {
        members.push("\"response_modes_supported\":[\"jwt\"]".into());
        members.push(format!(
            "\"authorization_signing_alg_values_supported\":{}",
            list(&[algs.server.name()])
        ));
    }
    if p.signed_introspection_required {
        members.push(format!(
            "\"introspection_signing_alg_values_supported\":{}",
            list(&[algs.server.name()])
        ));
    }
    Ok(format!("{{{}}}", members.join(",")))
}

/// Audits the AS of `world` against all seven profiles.
pub fn audit_all(world: &World) -> Result<[Report; 7], Error> {
    let doc = document(world)?;
    let p = &world.profile;
    let l = world.server.lifetimes();
    let config = ServerConfig {
        metadata: doc.as_bytes(),
        access_token_ttl: l.access_token,
        code_ttl: l.code,
        par_ttl: l.par,
        request_object_ttl: p
            .request_object_max_ttl
            .or(Some(fapi_core::request_object::DEFAULT_MAX_TTL)),
        refresh_rotation: false,
        codes_single_use: true,
        https_redirects_only: p.https_redirect_required,
        tls_suites: &[
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        ],
        tls_min_version: TlsVersion::Tls12,
        certified_conformance: if p.required_conformance.is_some() {
            &[FAPI1_ADVANCED]
        } else {
            &[]
        },
        signed_messages: p.signed_messages_required,
    };
    audit::audit_all(&config)
}
