//! RFC 8414 metadata (`/.well-known/oauth-authorization-server`, also at
//! `/.well-known/openid-configuration`) and the JWKS.
//!
//! F2-METADATA, OFB-METADATA: the document carries what RFC 8414 and the
//! profile require, and passes `fapi_core::audit` for the server's own
//! profile ([`audit_config`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use fapi_core::audit::{ServerConfig, TlsVersion};
use fapi_core::profile::{FAPI1_ADVANCED, Profile, ProfileId};
use fapi_core::{Alg, Site};
use serde_json::{Value, json};

use crate::app::App;
use crate::error::HttpError;

/// The metadata document of a server at `base` under `profile` whose
/// issuer key signs with `signing_alg` (its ID tokens too).
///
/// ```
/// use fapi_core::{Alg, profile::Profile};
/// let doc = fapi_server::metadata::document(&Profile::FAPI2, "https://127.0.0.1:8443", Alg::Es256);
/// assert_eq!(doc["issuer"], "https://127.0.0.1:8443");
/// assert_eq!(doc["require_pushed_authorization_requests"], true);
/// // OpenID Connect Discovery 1.0 §3
/// assert_eq!(doc["subject_types_supported"][0], "public");
/// assert_eq!(doc["id_token_signing_alg_values_supported"][0], "ES256");
/// // obie would allow a request object by value: this server takes only
/// // pushed requests, and says so.
/// let obie = fapi_server::metadata::document(&Profile::OBIE, "https://127.0.0.1:8443", Alg::Ps256);
/// assert_eq!(obie["require_pushed_authorization_requests"], true);
/// assert_eq!(obie["request_parameter_supported"], false);
/// // BG-SIGNED-REQ: signed resource messages, and their algorithms.
/// let berlin = fapi_server::metadata::document(&Profile::BERLIN, "https://127.0.0.1:8443", Alg::Es256);
/// assert_eq!(berlin["http_message_signatures_required"], true);
/// assert_eq!(berlin["http_message_signature_alg_values_supported"][1], "ecdsa-p256-sha256");
/// assert!(doc.get("http_message_signatures_required").is_none());
/// ```
#[must_use]
pub fn document(profile: &Profile, base: &str, signing_alg: Alg) -> Value {
    let algs: Vec<&str> = profile.algs.iter().map(|a| a.name()).collect();
    let auth: Vec<&str> = profile.client_auth.iter().map(|m| m.name()).collect();
    let dpop = crate::app::binds_with_dpop(profile);
    let mut scopes = vec!["openid", "accounts", "payments"];
    scopes.dedup();
    let mut doc = json!({
        "issuer": base,
        "jwks_uri": format!("{base}/jwks"),
        // F2-PAR, and under every profile: the authorization endpoint
        // (`fapi::Issuer::authorize`) serves only pushed requests, stricter
        // than obie (request objects by value) and berlin (plain
        // parameters) would be (RFC 9126 §5).
        "pushed_authorization_request_endpoint": format!("{base}/par"),
        "require_pushed_authorization_requests": true,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "introspection_endpoint": format!("{base}/introspect"),
        "revocation_endpoint": format!("{base}/revoke"),
        // F2-CLIENT-AUTH
        "token_endpoint_auth_methods_supported": auth,
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "introspection_endpoint_auth_methods_supported": auth,
        "revocation_endpoint_auth_methods_supported": auth,
        // F2-ISS
        "authorization_response_iss_parameter_supported": true,
        // F2-PKCE
        "code_challenge_methods_supported": ["S256"],
        // F2-SENDER
        "tls_client_certificate_bound_access_tokens": !dpop,
        "mtls_endpoint_aliases": {
            "token_endpoint": format!("{base}/token"),
            "pushed_authorization_request_endpoint": format!("{base}/par"),
            "introspection_endpoint": format!("{base}/introspect"),
            "revocation_endpoint": format!("{base}/revoke"),
        },
        // F2-FLOWS
        "grant_types_supported": profile.grant_types,
        "response_types_supported": ["code"],
        // JARM §3: the plain query, and the signed response (offered under
        // every profile, required under fapi2-ms: FAPI 2.0 Message
        // Signing §5.4).
        "response_modes_supported": ["query", "jwt", "query.jwt"],
        "authorization_signing_alg_values_supported": [signing_alg.name()],
        // RFC 9701 §7: signed introspection responses.
        "introspection_signing_alg_values_supported": [signing_alg.name()],
        "scopes_supported": scopes,
        "request_object_signing_alg_values_supported": algs,
        "require_signed_request_object": profile.signed_request_required,
        // A request object is taken only pushed (RFC 9126 §3), never by
        // value or by reference at the authorization endpoint.
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        // OpenID Connect Discovery 1.0 §3 (REQUIRED members): the `sub` of
        // a user is the same for every client; ID tokens are signed with
        // the issuer's key, whose algorithm is one of the profile's
        // (F2-ALG, OB-ALG, OFB-ALG, CDR-ALG).
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [signing_alg.name()],
    });
    if let Some(o) = doc.as_object_mut() {
        if dpop {
            let _ = o.insert("dpop_signing_alg_values_supported".into(), json!(algs));
        }
        // BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures: resource requests must
        // be signed (RFC 9421, tag `fapi-2-request`) and responses come
        // signed (`fapi-2-response`, with the key at `jwks_uri`). Neither
        // RFC 8414's registry nor the FAPI 2.0 HTTP Signatures draft
        // registers a metadata member for this, so these names are this
        // server's own: `http_message_signatures_required` (true) and
        // `http_message_signature_alg_values_supported` (RFC 9421 §6.2.2
        // algorithm names).
        if profile.signed_messages_required {
            let sig_algs: Vec<&str> = profile.http_sig_algs().iter().map(|a| a.name()).collect();
            let _ = o.insert("http_message_signatures_required".into(), json!(true));
            let _ = o.insert(
                "http_message_signature_alg_values_supported".into(),
                json!(sig_algs),
            );
        }
        // OFB-ALG, CDR-ALG: the profile's JWE lists; elsewhere what the
        // server encrypts with (RSA-OAEP, RSA-OAEP-256; four encs).
        let jwe = fapi::jwe::Policy::from_profile(profile);
        let jwe_algs = json!(jwe.algs);
        let jwe_encs = json!(jwe.encs);
        // OFB Security Profile §5.2.2.1: the token endpoint's ID token is
        // unencrypted, and it is the only one this server returns.
        let mut encrypted = vec!["authorization", "introspection"];
        if profile.id != ProfileId::Ofb {
            encrypted.push("id_token");
        }
        for what in encrypted {
            let _ = o.insert(
                format!("{what}_encryption_alg_values_supported"),
                jwe_algs.clone(),
            );
            let _ = o.insert(
                format!("{what}_encryption_enc_values_supported"),
                jwe_encs.clone(),
            );
        }
        // OpenID Connect Discovery §3: the ID token's claims (OpenID
        // Connect Core §2), with the profile's consent claim (OB-INTENT:
        // `openbanking_intent_id`; CDR: `cdr_arrangement_id`) and `acr`.
        let mut claims = vec![
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
        ];
        if profile.id_token_acr_values.is_some() {
            claims.push("acr");
        }
        if let Some(claim) = profile.consent_claim {
            claims.push(claim);
            let _ = o.insert("claims_parameter_supported".into(), json!(true));
        }
        let _ = o.insert("claims_supported".into(), json!(claims));
        // CDR: the `acr` values its ID tokens carry.
        if let Some(acr) = profile.id_token_acr_values {
            let _ = o.insert("acr_values_supported".into(), json!(acr));
        }
    }
    doc
}

/// The audit input for this server: the metadata as served and the facts
/// it cannot show (lifetimes from the issuer, single-use codes, `https`
/// redirects only, TLS 1.2 and newer).
#[must_use]
pub fn audit_config<'a>(
    profile: &Profile,
    metadata: &'a [u8],
    lifetimes: fapi::issuer::Lifetimes,
) -> ServerConfig<'a> {
    ServerConfig {
        metadata,
        access_token_ttl: lifetimes.access_token,
        code_ttl: lifetimes.code,
        par_ttl: lifetimes.request_uri,
        request_object_ttl: profile
            .request_object_max_ttl
            .or(Some(fapi_core::request_object::DEFAULT_MAX_TTL)),
        refresh_rotation: false,
        codes_single_use: true,
        https_redirects_only: true,
        // OFB-TLS: rustls on aws-lc-rs offers the two ECDHE AES-GCM suites.
        tls_suites: &[
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        ],
        tls_min_version: TlsVersion::Tls12,
        certified_conformance: if profile.required_conformance.is_some() {
            &[FAPI1_ADVANCED]
        } else {
            &[]
        },
        signed_messages: profile.signed_messages_required,
    }
}

fn json_response(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// `GET /.well-known/oauth-authorization-server`.
pub(crate) async fn well_known(State(app): State<Arc<App>>) -> Response {
    json_response(document(&app.profile, &app.base, app.signing_alg).to_string())
}

/// `GET /jwks`.
pub(crate) async fn jwks(State(app): State<Arc<App>>) -> Result<Response, HttpError> {
    let jwks = app
        .issuer
        .jwks_json()
        .map_err(|e| HttpError::at(e.core(), Site::ResourceRequest))?;
    Ok(json_response(jwks))
}
