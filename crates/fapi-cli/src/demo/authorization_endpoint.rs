//! What the bank's authorization endpoint serves, against what its
//! metadata says (RFC 9126 §5): pushed requests only, under every profile,
//! stricter than `obie` (request objects by value) and `berlin` (plain
//! parameters) would be. The metadata says so, and where the set would
//! allow another way in, that way is refused `par_required`.

use fapi_core::authorize::AuthorizationRequest;
use fapi_core::profile::Profile;
use http::Request;

use super::flows::{expect, outcome, why};
use super::party::{Party, REDIRECT};
use super::report::Report;

const FLOW: &str = "authorization endpoint";
const IDS: &[&str] = &["RFC9126-5", "F2-PAR"];

fn query(pairs: &[(&str, &str)]) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        let _ = f.append_pair(k, v);
    }
    f.finish()
}

/// The metadata step, and, where the profile would not require PAR, the
/// attack that tries the way in the set allows.
pub async fn pushed_requests_only(r: &mut Report, profile: &Profile, p: &Party) {
    r.text(&format!("  -- {FLOW}"));
    let md = match Request::get(p.url("/.well-known/openid-configuration")).body(String::new()) {
        Ok(req) => p.http.send(req).await.map_err(|e| why(&e)),
        Err(e) => Err(e.to_string()),
    };
    let _ = r.step(
        FLOW,
        "metadata: require_pushed_authorization_requests true, request_parameter_supported false",
        IDS,
        md.and_then(|a| {
            expect(&a, 200)?;
            let v = a.json();
            if v["require_pushed_authorization_requests"] == true
                && v["request_parameter_supported"] == false
            {
                Ok(())
            } else {
                Err(format!(
                    "require_pushed_authorization_requests {}, request_parameter_supported {}",
                    v["require_pushed_authorization_requests"], v["request_parameter_supported"]
                ))
            }
        }),
    );
    if profile.par_required {
        // The flows' own attack covers the sets that require PAR.
        return;
    }
    let Ok(pkce) = p.client.pkce() else {
        return r.fail(FLOW, "a PKCE pair", "the client made none");
    };
    let mut pairs = vec![
        ("client_id", p.client_id.to_owned()),
        ("response_type", "code".to_owned()),
        ("scope", "accounts".to_owned()),
    ];
    let name = if profile.signed_request_required {
        // OB-REQOBJ: what FAPI 1.0 Advanced allows, a signed request
        // object by value.
        let ro = p.client.request_object(&AuthorizationRequest {
            client_id: p.client_id,
            response_type: "code",
            redirect_uri: Some(REDIRECT),
            scope: "accounts",
            state: Some("st4te"),
            code_challenge: Some(pkce.challenge()),
            code_challenge_method: Some("S256"),
            dpop_jkt: None,
            consent_id: None,
            nonce: None,
            response_mode: None,
        });
        match ro {
            Ok(ro) => pairs.push(("request", ro)),
            Err(e) => return r.fail(FLOW, "a request object", &e.to_string()),
        }
        "request-object-by-value-at-the-authorization-endpoint"
    } else {
        pairs.extend([
            ("redirect_uri", REDIRECT.to_owned()),
            ("state", "st4te".to_owned()),
            ("code_challenge", pkce.challenge().to_owned()),
            ("code_challenge_method", "S256".to_owned()),
        ]);
        "plain-parameters-at-the-authorization-endpoint"
    };
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let url = format!("{}?{}", p.url("/authorize"), query(&borrowed));
    let seen = match Request::get(url).body(String::new()) {
        // The refusal page names the core error: invalid_request
        // (par_required), not another refusal of what was read.
        Ok(req) => match p.http.send(req).await {
            Ok(a) => outcome(&a, "par_required"),
            Err(e) => Ok(why(&e)),
        },
        Err(e) => Ok(e.to_string()),
    };
    r.attack(FLOW, name, "A1", IDS, "par_required", seen);
}
