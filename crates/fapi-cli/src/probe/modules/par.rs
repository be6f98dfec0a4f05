//! Pushed authorization requests (RFC 9126; FAPI 2.0 SP §5.3.2.2):
//! `request_uri` single use and bound to its client, no authorization
//! request outside PAR, client authentication at PAR, PKCE S256 only,
//! registered redirect URIs.

use super::{Module, Outcome, needs_happy, no_code, refusal_of, run, step};
use crate::probe::ctx::Ctx;

/// A spent `request_uri` again at the authorization endpoint.
pub const REQUEST_URI_REUSE: Module = Module {
    name: "par-request-uri-reuse",
    area: "PAR",
    ids: &["F2-PAR", "OFB-PAR", "CDR-PAR"],
    // RFC 9126 §4: "SHOULD treat request_uri values as one-time use but
    // MAY allow for duplicate requests due to a user reloading"; here the
    // request_uri already gave a code that was redeemed.
    clause: "RFC 9126 §4 (SHOULD be one-time use; this one already gave a redeemed code)",
    expected: "no code: an error page (4xx) or a redirect with an error",
    run: run!(request_uri_reuse),
};

async fn request_uri_reuse(c: &Ctx) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    let Some(auth) = &c.happy.auth else {
        return Outcome::Skip("no authorization".into());
    };
    no_code(c.visit(&c.a, &auth.request_uri).await)
}

/// The client's `request_uri` presented by another client.
pub const REQUEST_URI_OTHER_CLIENT: Module = Module {
    name: "par-request-uri-other-client",
    area: "PAR",
    ids: &["F2-PAR"],
    clause: "RFC 9126 §4 (the request validated as any other: its request_uri pushed by this client_id)",
    expected: "no code: an error page (4xx) or a redirect with an error",
    run: run!(request_uri_other_client),
};

async fn request_uri_other_client(c: &Ctx) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    let Some(b) = &c.b else {
        return Outcome::Skip("a second client (--client FILE2) is not given".into());
    };
    let (_, uri) = step!(c.push_happy(&c.a).await, "the client's pushed request");
    let url = b.client.authorization_url(&uri);
    no_code(
        c.agent
            .authorize(&b.http, &url, &c.a.file.redirect_uri)
            .await,
    )
}

/// A plain authorization request, not pushed.
pub const OUTSIDE_PAR: Module = Module {
    name: "authorization-request-outside-par",
    area: "PAR",
    ids: &["F2-PAR", "OFB-PAR", "CDR-PAR"],
    clause: "FAPI 2.0 SP §5.3.2.2 (PAR only); RFC 9126 §5 (require_pushed_authorization_requests)",
    expected: "no code: an error page (4xx) or a redirect with an error",
    run: run!(outside_par),
};

async fn outside_par(c: &Ctx) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    let required = c
        .meta
        .doc
        .get("require_pushed_authorization_requests")
        .and_then(serde_json::Value::as_bool)
        == Some(true);
    if !c.profile.par_required && !required {
        return Outcome::Skip(format!(
            "{} does not require PAR, nor does the metadata (require_pushed_authorization_requests)",
            c.profile.name
        ));
    }
    let (pairs, _) = step!(c.par_pairs(&c.a).await, "the request");
    let mut u = step!(
        url::Url::parse(&c.a.authorization_endpoint),
        "the authorization endpoint"
    );
    {
        let mut q = u.query_pairs_mut();
        let _ = q.append_pair("client_id", c.a.id());
        for (k, v) in &pairs {
            let _ = q.append_pair(k, v);
        }
    }
    no_code(c.visit_url(&c.a, u.as_str()).await)
}

/// A pushed request without any client authentication.
pub const NO_CLIENT_AUTH: Module = Module {
    name: "par-without-client-authentication",
    area: "PAR",
    ids: &["F2-PAR", "F2-CLIENT-AUTH"],
    clause: "RFC 9126 §2.1 (the client authenticates at PAR); RFC 6749 §5.2",
    expected: "400/401 invalid_client (or the TLS handshake refused)",
    run: run!(no_client_auth),
};

async fn no_client_auth(c: &Ctx) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    let (pairs, _) = step!(c.par_pairs(&c.a).await, "the pushed request");
    let auth = vec![("client_id".to_owned(), c.a.id().to_owned())];
    let a = c
        .push(
            &c.a,
            || c.par_form(&c.a, &pairs, None, &auth),
            || c.a.proof("POST", &c.a.par_endpoint, None),
            true,
        )
        .await;
    match a {
        // A server that requires a certificate at the handshake refuses
        // there.
        Err(e) if !c.a.jwt_auth() => Outcome::Pass(format!("refused at the TLS handshake: {e}")),
        other => refusal_of(other, &[400, 401], &["invalid_client"]),
    }
}

/// PKCE with the `plain` method.
pub const PKCE_PLAIN: Module = Module {
    name: "par-pkce-plain",
    area: "PKCE",
    ids: &["F2-PKCE", "OFB-PKCE", "CDR-PKCE", "BG-PKCE"],
    clause: "FAPI 2.0 SP §5.3.2.2 (S256 only); RFC 7636 §4.4.1 (a method the server does not support: invalid_request)",
    expected: "400 invalid_request",
    run: run!(pkce_plain),
};

async fn pkce_plain(c: &Ctx) -> Outcome {
    push_changed(
        c,
        |pairs, verifier| {
            for (k, v) in pairs.iter_mut() {
                if k == "code_challenge_method" {
                    *v = "plain".into();
                }
                if k == "code_challenge" {
                    v.clone_from(&verifier.to_owned());
                }
            }
        },
        &["invalid_request"],
    )
    .await
}

/// PKCE without a code challenge.
pub const PKCE_MISSING_CHALLENGE: Module = Module {
    name: "par-pkce-missing-challenge",
    area: "PKCE",
    ids: &["F2-PKCE", "OFB-PKCE", "CDR-PKCE", "BG-PKCE"],
    clause: "FAPI 2.0 SP §5.3.2.2 (PKCE required); RFC 7636 §4.4.1",
    expected: "400 invalid_request",
    run: run!(pkce_missing),
};

async fn pkce_missing(c: &Ctx) -> Outcome {
    push_changed(
        c,
        |pairs, _| pairs.retain(|(k, _)| k != "code_challenge" && k != "code_challenge_method"),
        &["invalid_request"],
    )
    .await
}

/// An unregistered redirect URI.
pub const REDIRECT_UNREGISTERED: Module = Module {
    name: "par-redirect-uri-unregistered",
    area: "redirect URI",
    ids: &["F2-PAR", "F2-TLS-RESP"],
    clause: "RFC 6749 §3.1.2.4, §4.1.2.1; RFC 9126 §2.1",
    expected: "400 invalid_request or invalid_request_object",
    run: run!(redirect_unregistered),
};

async fn redirect_unregistered(c: &Ctx) -> Outcome {
    push_changed(
        c,
        |pairs, _| {
            for (k, v) in pairs.iter_mut() {
                if k == "redirect_uri" {
                    *v = "https://attacker.example/cb".into();
                }
            }
        },
        &["invalid_request", "invalid_request_object"],
    )
    .await
}

/// A pushed request of the client with its parameters changed by
/// `change` (in the request object too, where the profile signs
/// requests), which must be refused with 400 and one of `errors`.
async fn push_changed(
    c: &Ctx,
    change: impl Fn(&mut Vec<(String, String)>, &str),
    errors: &[&str],
) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    let (mut pairs, verifier) = step!(c.par_pairs(&c.a).await, "the pushed request");
    change(&mut pairs, &verifier);
    let a = c
        .push(
            &c.a,
            || c.par_form(&c.a, &pairs, None, &c.a.auth_pairs(&c.meta.issuer)?),
            || c.a.proof("POST", &c.a.par_endpoint, None),
            false,
        )
        .await;
    refusal_of(a, &[400], errors)
}
