//! The main job's messages print without their credentials: a token
//! response, a client's credentials, a PAR body with a signed request
//! object and a resource request are built with known secrets, and their
//! `Debug` output (every format) shows none of them.

use fapi_flows::authorization_server::{Credentials, ParForm, TokenResponse};
use fapi_flows::resource_server::ResourceRequest;

const ACCESS_TOKEN: &str = "eyJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiJhbGljZSJ9.YWNjZXNzLXNpZ25hdHVyZQ";
const ASSERTION: &str = "eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJmaW50ZWNoIn0.YXNzZXJ0aW9uLXNpZ25hdHVyZQ";
const PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJodG0iOiJHRVQifQ.ZHBvcC1zaWduYXR1cmUtYnl0ZXM";
const REQUEST_OBJECT: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzY29wZSI6ImFjY291bnRzIn0.cmVxdWVzdC1vYmplY3Q";
const SIGNATURE: &str = "eyJhbGciOiJQUzI1NiJ9..bWVzc2FnZS1zaWduYXR1cmUtYnl0ZXM";

fn assert_hidden(what: &str, value: &dyn core::fmt::Debug, secrets: &[&str]) {
    for text in [
        format!("{value:?}"),
        format!("{value:#?}"),
        format!("{:?}", Some(value)),
    ] {
        for secret in secrets {
            // No 8-character piece of the secret (its header and payload
            // pieces included) shows.
            for start in 0..=secret.len() - 8 {
                let piece = &secret[start..start + 8];
                assert!(!text.contains(piece), "{what} shows {piece:?}: {text}");
            }
        }
    }
}

#[test]
fn token_response_hides_the_access_token() {
    let r = TokenResponse {
        access_token: ACCESS_TOKEN.into(),
        token_type: "DPoP",
        expires_in: 300,
    };
    assert_hidden("TokenResponse", &r, &[ACCESS_TOKEN]);
    assert!(format!("{r:?}").contains("expires_in: 300"));
}

#[test]
fn credentials_hide_the_assertion_and_the_proof() {
    let c = Credentials {
        client_id: "fintech-1".into(),
        client_assertion: Some(ASSERTION.into()),
        dpop: Some(PROOF.into()),
        client_cert: None,
    };
    assert_hidden("Credentials", &c, &[ASSERTION, PROOF]);
    assert!(format!("{c:?}").contains("fintech-1"));
}

#[test]
fn par_form_hides_the_request_object() {
    let f = ParForm {
        request: Some(REQUEST_OBJECT.into()),
        scope: "accounts".into(),
        ..ParForm::default()
    };
    assert_hidden("ParForm", &f, &[REQUEST_OBJECT]);
}

#[test]
fn resource_request_hides_token_proof_and_signature() {
    let r = ResourceRequest {
        method: "GET".into(),
        path: "/accounts".into(),
        access_token: ACCESS_TOKEN.into(),
        dpop: Some(PROOF.into()),
        client_cert: None,
        body: Vec::new(),
        signature: Some(SIGNATURE.into()),
    };
    assert_hidden("ResourceRequest", &r, &[ACCESS_TOKEN, PROOF, SIGNATURE]);
    assert!(format!("{r:?}").contains("/accounts"));
}
