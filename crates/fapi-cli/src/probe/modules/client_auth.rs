//! `private_key_jwt` negatives (RFC 7523 §3, FAPI 2.0 SP §5.3.2.1): each
//! a pushed authorization request whose client assertion has one thing
//! wrong, which the server must refuse with `invalid_client` (RFC 6749
//! §5.2) before it makes a `request_uri`; and a code redeemed without
//! an assertion.

use serde_json::Value;

use super::{Module, Outcome, needs_happy, refusal_of, run, step};
use crate::probe::ctx::Ctx;
use crate::probe::jwt::{self, Sig};

const IDS: &[&str] = &["F2-CLIENT-AUTH", "OFB-CLIENT-AUTH", "CDR-CLIENT-AUTH"];
const ALG_IDS: &[&str] = &[
    "F2-CLIENT-AUTH",
    "OFB-CLIENT-AUTH",
    "CDR-CLIENT-AUTH",
    "F2-ALG",
];
/// As the conformance suite's `fapi2-security-profile-final-ensure-client-
/// assertion-*` modules: `invalid_client` or `invalid_request`.
const EXPECTED: &str = "400/401 invalid_client or invalid_request";

macro_rules! assertion_module {
    ($const:ident, $name:literal, $clause:literal, $f:ident) => {
        assertion_module!($const, $name, $clause, $f, IDS);
    };
    ($const:ident, $name:literal, $clause:literal, $f:ident, $ids:expr) => {
        pub const $const: Module = Module {
            name: $name,
            area: "private_key_jwt",
            ids: $ids,
            clause: $clause,
            expected: EXPECTED,
            run: run!($f),
        };
    };
}

assertion_module!(
    WRONG_AUD,
    "client-assertion-wrong-aud",
    "RFC 7523 §3 (3); FAPI 2.0 SP §5.3.2.1 (aud the issuer)",
    wrong_aud
);
assertion_module!(
    EXPIRED,
    "client-assertion-expired",
    "RFC 7523 §3 (4)",
    expired
);
assertion_module!(
    REUSED_JTI,
    "client-assertion-reused-jti",
    "RFC 7523 §3 (7)",
    reused_jti
);
assertion_module!(
    WRONG_KEY,
    "client-assertion-wrong-key",
    "RFC 7523 §3 (9)",
    wrong_key
);
assertion_module!(
    ALG_NONE,
    "client-assertion-alg-none",
    "RFC 7518 §3.6; FAPI 2.0 SP §5.4",
    alg_none,
    ALG_IDS
);
assertion_module!(
    HS256,
    "client-assertion-hs256",
    "FAPI 2.0 SP §5.4 (PS256, ES256, EdDSA only)",
    hs256,
    ALG_IDS
);

/// SKIP unless the client authenticates with `private_key_jwt`.
fn jwt_client(c: &Ctx) -> Result<(), Outcome> {
    needs_happy(c)?;
    if c.a.jwt_auth() {
        Ok(())
    } else {
        Err(Outcome::Skip(format!(
            "the client authenticates by {}",
            c.a.file.auth.name()
        )))
    }
}

/// A pushed request of the client with the assertion `make` builds.
async fn push_with(c: &Ctx, make: impl Fn() -> Result<String, String>) -> Outcome {
    if let Err(o) = jwt_client(c) {
        return o;
    }
    let (pairs, _) = step!(c.par_pairs(&c.a).await, "the pushed request");
    let a = c
        .push(
            &c.a,
            || {
                let auth = vec![
                    ("client_id".to_owned(), c.a.id().to_owned()),
                    (
                        "client_assertion_type".into(),
                        fapi_core::assertion::ASSERTION_TYPE.into(),
                    ),
                    ("client_assertion".into(), make()?),
                ];
                c.par_form(&c.a, &pairs, None, &auth)
            },
            || c.a.proof("POST", &c.a.par_endpoint, None),
            false,
        )
        .await;
    refusal_of(a, &[400, 401], &["invalid_client", "invalid_request"])
}

fn claims(c: &Ctx) -> Value {
    jwt::assertion_claims(c.a.id(), &c.meta.issuer)
}

async fn wrong_aud(c: &Ctx) -> Outcome {
    push_with(c, || {
        let mut v = claims(c);
        v["aud"] = "https://as.attacker.example".into();
        c.a.assertion(&v, Sig::Key(&c.a.file.key))
    })
    .await
}

async fn expired(c: &Ctx) -> Outcome {
    push_with(c, || {
        let mut v = claims(c);
        let now = jwt::now();
        v["iat"] = (now - 600).into();
        v["exp"] = (now - 540).into();
        c.a.assertion(&v, Sig::Key(&c.a.file.key))
    })
    .await
}

async fn reused_jti(c: &Ctx) -> Outcome {
    if let Err(o) = jwt_client(c) {
        return o;
    }
    // The first use must pass; the second, the same assertion, must not.
    let fixed = step!(
        c.a.assertion(&claims(c), Sig::Key(&c.a.file.key)),
        "an assertion"
    );
    let (pairs, _) = step!(c.par_pairs(&c.a).await, "the pushed request");
    let auth = vec![
        ("client_id".to_owned(), c.a.id().to_owned()),
        (
            "client_assertion_type".into(),
            fapi_core::assertion::ASSERTION_TYPE.into(),
        ),
        ("client_assertion".into(), fixed.clone()),
    ];
    let first = c
        .push(
            &c.a,
            || c.par_form(&c.a, &pairs, None, &auth),
            || c.a.proof("POST", &c.a.par_endpoint, None),
            false,
        )
        .await;
    match first {
        Ok(a) if a.status == 201 => {}
        Ok(a) => {
            return Outcome::Fail(format!(
                "the first use of the assertion was refused: {}",
                a.summary()
            ));
        }
        Err(e) => return Outcome::Fail(e),
    }
    push_with(c, || Ok(fixed.clone())).await
}

async fn wrong_key(c: &Ctx) -> Outcome {
    let alg = fapi_core::Signer::alg(&c.a.file.key);
    // Another key of the same algorithm, named by the client's `kid`.
    let other = step!(
        fapi::SigningKey::generate(alg)
            .and_then(|k| k.with_key_id(c.a.kid()))
            .map_err(|e| e.to_string()),
        "a key"
    );
    push_with(c, || c.a.assertion(&claims(c), Sig::Key(&other))).await
}

async fn alg_none(c: &Ctx) -> Outcome {
    push_with(c, || c.a.assertion(&claims(c), Sig::None)).await
}

async fn hs256(c: &Ctx) -> Outcome {
    // The algorithm-confusion attack: HMAC keyed with the client id, the
    // one "secret" an attacker knows.
    push_with(c, || {
        c.a.assertion(&claims(c), Sig::Hs256(c.a.id().as_bytes()))
    })
    .await
}

/// A code redeemed without a client assertion.
pub const MISSING: Module = Module {
    name: "client-assertion-missing",
    area: "private_key_jwt",
    ids: &["F2-CLIENT-AUTH", "OFB-CLIENT-AUTH", "CDR-CLIENT-AUTH"],
    clause: "RFC 6749 §3.2.1, §5.2; FAPI 2.0 SP §5.3.2.1",
    expected: EXPECTED,
    run: run!(missing),
};

async fn missing(c: &Ctx) -> Outcome {
    if let Err(o) = jwt_client(c) {
        return o;
    }
    let auth = step!(c.authorize(&c.a).await, "an authorization");
    let pairs =
        crate::probe::ctx::Ctx::code_pairs(&c.a, &auth.code, Some(auth.session.pkce().verifier()));
    let a =
        c.a.send(|| {
            let mut form = pairs.clone();
            form.push(("client_id".into(), c.a.id().into()));
            crate::probe::party::Party::post(
                &c.a.token_endpoint,
                &form,
                c.a.proof("POST", &c.a.token_endpoint, None)?,
            )
        })
        .await;
    refusal_of(a, &[400, 401], &["invalid_client", "invalid_request"])
}
