//! Request objects where the profile signs requests (RFC 9101; OB-REQOBJ,
//! FAPI 2.0 Message Signing §5.3): a pushed request whose request object
//! is unsigned, for another audience, expired, or signed by another key.

use serde_json::Value;

use super::{Module, Outcome, needs_happy, refusal_of, run, step};
use crate::probe::ctx::Ctx;
use crate::probe::jwt::{self, Sig};

const IDS: &[&str] = &["OB-REQOBJ"];
const ERRORS: &[&str] = &[
    "invalid_request_object",
    "invalid_request",
    "invalid_client",
];

macro_rules! ro_module {
    ($const:ident, $name:literal, $clause:literal, $f:ident) => {
        ro_module!($const, $name, $clause, $f, IDS);
    };
    ($const:ident, $name:literal, $clause:literal, $f:ident, $ids:expr) => {
        pub const $const: Module = Module {
            name: $name,
            area: "request object",
            ids: $ids,
            clause: $clause,
            expected: "400 invalid_request_object",
            run: run!($f),
        };
    };
}

ro_module!(
    UNSIGNED,
    "request-object-unsigned",
    "RFC 9101 §6.2; FAPI 2.0 SP §5.4 (alg none refused)",
    unsigned,
    &["OB-REQOBJ", "F2-ALG"]
);
ro_module!(
    WRONG_AUD,
    "request-object-wrong-aud",
    "RFC 9101 §4 (aud the issuer)",
    wrong_aud
);
ro_module!(
    EXPIRED,
    "request-object-expired",
    "RFC 9101 §10.8; RFC 7519 §4.1.4",
    expired,
    &["OB-REQOBJ", "CDR-REQ-TTL"]
);
ro_module!(
    WRONG_KEY,
    "request-object-wrong-key",
    "RFC 9101 §6.2 (signed with the client's registered key)",
    wrong_key
);

/// A pushed request of the client whose request object is `make` of the
/// correct claims.
async fn push_with(c: &Ctx, make: impl Fn(Value) -> Result<String, String>) -> Outcome {
    if let Err(o) = needs_happy(c) {
        return o;
    }
    if !c.signs_requests() {
        return Outcome::Skip(format!(
            "{} does not sign authorization requests",
            c.profile.name
        ));
    }
    let (pairs, _) = step!(c.par_pairs(&c.a).await, "the pushed request");
    let a = c
        .push(
            &c.a,
            || {
                let ro = make(c.request_object_claims(&c.a, &pairs))?;
                c.par_form(&c.a, &pairs, Some(ro), &c.a.auth_pairs(&c.meta.issuer)?)
            },
            || c.a.proof("POST", &c.a.par_endpoint, None),
            false,
        )
        .await;
    refusal_of(a, &[400], ERRORS)
}

const TYP: &str = "oauth-authz-req+jwt";

async fn unsigned(c: &Ctx) -> Outcome {
    push_with(c, |v| jwt::sign(Sig::None, TYP, false, &v)).await
}

async fn wrong_aud(c: &Ctx) -> Outcome {
    push_with(c, |mut v| {
        v["aud"] = "https://as.attacker.example".into();
        jwt::sign(Sig::Key(&c.a.file.key), TYP, false, &v)
    })
    .await
}

async fn expired(c: &Ctx) -> Outcome {
    push_with(c, |mut v| {
        let now = jwt::now();
        v["iat"] = (now - 900).into();
        v["nbf"] = (now - 900).into();
        v["exp"] = (now - 600).into();
        jwt::sign(Sig::Key(&c.a.file.key), TYP, false, &v)
    })
    .await
}

async fn wrong_key(c: &Ctx) -> Outcome {
    let alg = fapi_core::Signer::alg(&c.a.file.key);
    let other = step!(
        fapi::SigningKey::generate(alg)
            .and_then(|k| k.with_key_id(c.a.kid()))
            .map_err(|e| e.to_string()),
        "a key"
    );
    push_with(c, |v| jwt::sign(Sig::Key(&other), TYP, false, &v)).await
}
