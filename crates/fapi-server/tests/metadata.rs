//! F2-METADATA, OFB-METADATA: the metadata each profile's server serves,
//! fetched over HTTPS trusting the development CA, passes
//! `fapi_core::audit` for that profile; the JWKS verifies its tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use fapi::issuer::Lifetimes;
use fapi_core::audit;
use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;
use fapi_server::metadata::audit_config;

async fn audit_of(profile: Profile) {
    let ca = DevCa::generate().unwrap();
    let bank = common::bank(profile, ca.clone(), vec![]).await;
    let http = common::http(&ca, None);
    let issuer = bank.server.issuer().to_owned();
    assert!(issuer.starts_with("https://127.0.0.1:"));
    for path in ["oauth-authorization-server", "openid-configuration"] {
        let r = http
            .get(format!("{issuer}/.well-known/{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let doc = r.bytes().await.unwrap();
        let config = audit_config(&profile, &doc, Lifetimes::for_profile(&profile));
        let report = audit::audit(&profile, &config).unwrap();
        let failures: Vec<_> = report.failures().collect();
        assert!(report.passed(), "{}: {failures:?}", profile.name);
        let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
        assert_eq!(v["issuer"], issuer.as_str());
        assert_eq!(v["authorization_response_iss_parameter_supported"], true);
        assert_eq!(v["code_challenge_methods_supported"][0], "S256");
        // OpenID Connect Discovery 1.0 §3: the REQUIRED members of an
        // OpenID Provider, the ID token algorithm one of the profile's.
        for member in [
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported",
        ] {
            assert!(!v[member].is_null(), "{}: {member} missing", profile.name);
        }
        assert_eq!(v["subject_types_supported"], serde_json::json!(["public"]));
        for alg in v["id_token_signing_alg_values_supported"]
            .as_array()
            .unwrap()
        {
            let alg = fapi_core::Alg::from_name(alg.as_str().unwrap()).unwrap();
            assert!(profile.algs.contains(&alg), "{}: {alg:?}", profile.name);
        }
        // JARM §3, RFC 9701 §7: served under every profile.
        assert_eq!(
            v["response_modes_supported"],
            serde_json::json!(["query", "jwt", "query.jwt"])
        );
        assert_eq!(
            v["authorization_signing_alg_values_supported"],
            v["id_token_signing_alg_values_supported"]
        );
        assert_eq!(
            v["introspection_signing_alg_values_supported"],
            v["id_token_signing_alg_values_supported"]
        );
        // OFB-ALG, CDR-ALG: the profile's JWE lists, else both algs and
        // all four encs.
        let algs = profile
            .jwe_algs
            .unwrap_or(&["RSA-OAEP", "RSA-OAEP-256"])
            .to_vec();
        let encs = profile
            .jwe_encs
            .unwrap_or(&["A128GCM", "A256GCM", "A128CBC-HS256", "A256CBC-HS512"])
            .to_vec();
        for what in ["authorization", "introspection"] {
            assert_eq!(
                v[format!("{what}_encryption_alg_values_supported")],
                serde_json::json!(algs)
            );
            assert_eq!(
                v[format!("{what}_encryption_enc_values_supported")],
                serde_json::json!(encs)
            );
        }
        // OFB Security Profile §5.2.2.1: no ID-token encryption under ofb.
        if profile.name == "ofb" {
            assert!(v["id_token_encryption_alg_values_supported"].is_null());
        } else {
            assert_eq!(
                v["id_token_encryption_alg_values_supported"],
                serde_json::json!(algs)
            );
            assert_eq!(
                v["id_token_encryption_enc_values_supported"],
                serde_json::json!(encs)
            );
        }
        let claims = v["claims_supported"].as_array().unwrap();
        for c in ["sub", "nonce", "at_hash", "auth_time"] {
            assert!(claims.iter().any(|x| x == c), "{}: {c}", profile.name);
        }
        // OB-INTENT
        if profile.intent_in_id_token {
            assert!(claims.iter().any(|x| x == "openbanking_intent_id"));
        }
        // CDR: acr
        match profile.id_token_acr_values {
            Some(acr) => assert_eq!(v["acr_values_supported"], serde_json::json!(acr)),
            None => assert!(v["acr_values_supported"].is_null()),
        }
    }
    let jwks: serde_json::Value = http
        .get(format!("{issuer}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(jwks["keys"][0]["kid"].is_string());
    assert!(jwks["keys"][0].get("d").is_none(), "no private member");
    bank.server.shutdown().await;
}

#[tokio::test]
async fn fapi2_metadata_passes_the_audit_f2_metadata() {
    audit_of(Profile::FAPI2).await;
}

#[tokio::test]
async fn fapi2_plus_metadata_passes_the_audit() {
    audit_of(Profile::FAPI2_PLUS).await;
}

#[tokio::test]
async fn obie_metadata_passes_the_audit() {
    audit_of(Profile::OBIE).await;
}

#[tokio::test]
async fn ofb_metadata_passes_the_audit_ofb_metadata() {
    audit_of(Profile::OFB).await;
}

#[tokio::test]
async fn cdr_metadata_passes_the_audit() {
    audit_of(Profile::CDR).await;
}

#[tokio::test]
async fn berlin_metadata_passes_the_audit() {
    audit_of(Profile::BERLIN).await;
}

#[tokio::test]
async fn fapi2_ms_metadata_passes_the_audit() {
    audit_of(Profile::FAPI2_MS).await;
}

/// The ready line of `fapi serve --json`.
#[test]
fn ready_line_json_has_the_contract_fields() {
    let line = fapi_server::ready_line(
        true,
        "https://127.0.0.1:8443",
        Some(std::path::Path::new("/tmp/fapi-dev/ca.pem")),
        "fapi2",
        "127.0.0.1:8443".parse().unwrap(),
    );
    assert_eq!(
        line,
        r#"{"event":"ready","issuer":"https://127.0.0.1:8443","ca":"/tmp/fapi-dev/ca.pem","profile":"fapi2","listen":"127.0.0.1:8443"}"#
    );
    let at = "127.0.0.1:1".parse().unwrap();
    let none = fapi_server::ready_line(true, "https://bank.example", None, "obie", at);
    assert!(none.contains(r#""ca":null"#));
    assert!(none.ends_with(r#""listen":"127.0.0.1:1"}"#), "{none}");
    let sentence = fapi_server::ready_line(false, "https://bank.example", None, "obie", at);
    assert!(sentence.contains("listening on 127.0.0.1:1"), "{sentence}");
}

/// `--plain-http` is refused off loopback.
#[tokio::test]
async fn plain_http_off_loopback_is_refused() {
    let config = fapi_server::ServerConfig::new(Profile::FAPI2)
        .listen("0.0.0.0:0".parse().unwrap())
        .plain_http(true);
    let err = fapi_server::start(config).await.unwrap_err();
    assert_eq!(err.code(), 6);
}

/// OFB-ALG, CDR-ALG: a client registering ID-token encryption outside the
/// profile's set stops the server at start, with one line naming the
/// client, the field, the value and what is allowed.
#[tokio::test]
async fn ofb_alg_cdr_alg_encryption_registration_outside_the_set_stops_the_server() {
    for (profile, alg, enc, line) in [
        (
            Profile::OFB,
            "RSA-OAEP",
            "A128GCM",
            "client fintech-1: under ofb, expected id_token_encrypted_response_enc one of A256GCM, got A128GCM",
        ),
        (
            Profile::CDR,
            "RSA1_5",
            "A256GCM",
            "client fintech-1: under cdr, expected id_token_encrypted_response_alg one of RSA-OAEP, RSA-OAEP-256, got RSA1_5",
        ),
    ] {
        let (_, mut reg) = common::pkj_client(profile, "fintech-1", false);
        reg.id_token_encrypted_response_alg = Some(alg.into());
        reg.id_token_encrypted_response_enc = Some(enc.into());
        let config = fapi_server::ServerConfig::new(profile)
            .listen("127.0.0.1:0".parse().unwrap())
            .client(reg);
        match fapi_server::start(config).await {
            Err(fapi_server::ServeError::Config(l)) => assert_eq!(l, line),
            other => panic!("{}: expected a refusal, got {other:?}", profile.name),
        }
    }
}
