//! The probe's modules: each one rule or attack, with a stable
//! kebab-case name, the requirement IDs it exercises, the clause of the
//! RFC or profile, the answer expected, and a run that returns PASS, FAIL
//! (accepted what must be refused, refused what must be accepted, the
//! wrong error, a 5xx) or SKIP (with the reason).
//!
//! The names follow the areas of the OpenID Foundation's FAPI 2.0
//! Security Profile conformance plan (`fapi2-security-profile-final-*`
//! test modules of `openid-certification/conformance-suite`).

mod client_auth;
mod code;
mod dpop;
mod flow;
mod mtls;
mod par;
mod request_object;
mod resource;

use core::future::Future;
use core::pin::Pin;

use fapi_core::profile::Profile;

use super::agent::Landing;
use super::ctx::Ctx;
use crate::https::Answer;

/// A module's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server did what the rule says; what was seen.
    Pass(String),
    /// It did not: what it accepted, refused, or answered.
    Fail(String),
    /// Not run, and why.
    Skip(String),
}

/// A module's run.
pub type Run = for<'a> fn(&'a Ctx) -> Pin<Box<dyn Future<Output = Outcome> + 'a>>;

/// A module.
pub struct Module {
    /// Its name (kebab-case, stable).
    pub name: &'static str,
    /// Its area of the conformance plan.
    pub area: &'static str,
    /// The requirement IDs it exercises (those that hold under the
    /// profile run are reported: [`Module::holding`]).
    pub ids: &'static [&'static str],
    /// The clause of the RFC or profile.
    pub clause: &'static str,
    /// The answer expected (HTTP status and OAuth error).
    pub expected: &'static str,
    /// The run.
    pub run: Run,
}

impl core::fmt::Debug for Module {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Module {
    /// Its requirement IDs that hold under `profile` (references that are
    /// no requirement ID, `RFC 9449 §11.1`, are kept).
    pub fn holding(&self, profile: &Profile) -> Vec<&'static str> {
        self.ids
            .iter()
            .copied()
            .filter(|id| {
                crate::requirements::find(id).is_none() || profile.requirements.contains(id)
            })
            .collect()
    }
}

/// Makes a [`Run`] of an `async fn(&Ctx) -> Outcome`.
macro_rules! run {
    ($f:path) => {{
        fn go(
            c: &$crate::probe::ctx::Ctx,
        ) -> ::core::pin::Pin<
            Box<dyn ::core::future::Future<Output = $crate::probe::modules::Outcome> + '_>,
        > {
            Box::pin($f(c))
        }
        go
    }};
}
pub(crate) use run;

/// Unwraps a setup step of a module, or ends it with FAIL.
macro_rules! step {
    ($e:expr, $what:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return $crate::probe::modules::Outcome::Fail(format!("{}: {e}", $what)),
        }
    };
}
pub(crate) use step;

/// Every module, in the order they run.
pub const ALL: &[Module] = &[
    flow::METADATA,
    flow::CODE_FLOW,
    flow::ISS,
    flow::TOKEN_BINDING,
    flow::REFRESH,
    flow::RESOURCE,
    flow::IMPLICIT,
    flow::PASSWORD,
    client_auth::WRONG_AUD,
    client_auth::EXPIRED,
    client_auth::REUSED_JTI,
    client_auth::WRONG_KEY,
    client_auth::ALG_NONE,
    client_auth::HS256,
    client_auth::MISSING,
    par::REQUEST_URI_REUSE,
    par::REQUEST_URI_OTHER_CLIENT,
    par::OUTSIDE_PAR,
    par::NO_CLIENT_AUTH,
    par::PKCE_PLAIN,
    par::PKCE_MISSING_CHALLENGE,
    par::REDIRECT_UNREGISTERED,
    code::PKCE_WRONG_VERIFIER,
    code::PKCE_MISSING_VERIFIER,
    code::CODE_REUSE,
    code::CODE_OTHER_CLIENT,
    code::REDIRECT_MISMATCH,
    code::REFRESH_OTHER_CLIENT,
    dpop::TOKEN_NO_PROOF,
    dpop::TOKEN_WRONG_HTM,
    dpop::TOKEN_WRONG_HTU,
    dpop::TOKEN_STALE_IAT,
    dpop::TOKEN_ALG_NONE,
    dpop::TOKEN_KEY_MISMATCH,
    dpop::PAR_WRONG_HTU,
    dpop::PAR_ALG_NONE,
    dpop::PAR_REUSED_JTI,
    dpop::PAR_JKT_MISMATCH,
    resource::DPOP_NO_PROOF,
    resource::DPOP_AS_BEARER,
    resource::DPOP_OTHER_KEY,
    resource::DPOP_WRONG_ATH,
    resource::MTLS_NO_CERT,
    resource::MTLS_OTHER_CERT,
    mtls::TOKEN_CODE_NO_CERT,
    mtls::TOKEN_REFRESH_NO_CERT,
    request_object::UNSIGNED,
    request_object::WRONG_AUD,
    request_object::EXPIRED,
    request_object::WRONG_KEY,
];

/// The module named `name`.
pub fn find(name: &str) -> Option<&'static Module> {
    ALL.iter().find(|m| m.name == name)
}

/// The verdict on an answer that must be a refusal with one of
/// `statuses` and one of `errors`: 2xx is "accepted", 5xx a server error,
/// anything else "the wrong error".
pub fn refusal(a: &Answer, statuses: &[u16], errors: &[&str]) -> Outcome {
    let seen = format!(
        "{} {}",
        a.status,
        a.oauth_error().unwrap_or_else(|| "(no OAuth error)".into())
    );
    if (200..300).contains(&a.status) {
        return Outcome::Fail(format!(
            "accepted: HTTP {} where a refusal was due",
            a.status
        ));
    }
    if a.status >= 500 {
        return Outcome::Fail(format!("server error: HTTP {}", a.status));
    }
    let status_ok = statuses.contains(&a.status);
    let error_ok = a
        .oauth_error()
        .is_some_and(|e| errors.contains(&e.as_str()));
    if status_ok && error_ok {
        Outcome::Pass(format!("refused: {seen}"))
    } else {
        Outcome::Fail(format!(
            "wrong refusal: expected {} {}, got {seen}",
            statuses
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join("/"),
            errors.join("/")
        ))
    }
}

/// [`refusal`] of a request that may not have been made at all.
pub fn refusal_of(r: Result<Answer, String>, statuses: &[u16], errors: &[&str]) -> Outcome {
    match r {
        Ok(a) => refusal(&a, statuses, errors),
        Err(e) => Outcome::Fail(format!("the request failed: {e}")),
    }
}

/// The verdict on a visit to the authorization endpoint that must not
/// end with a code: a redirect back with an `error`, or the server's own
/// error page (4xx), passes; a code fails, as does a 5xx.
pub fn no_code(landing: Result<Landing, String>) -> Outcome {
    match landing {
        Ok(l) if l.has_code() => Outcome::Fail(format!("accepted: {}", l.summary())),
        Ok(l) if l.status().is_some_and(|s| s >= 500) => {
            Outcome::Fail(format!("server error: {}", l.summary()))
        }
        Ok(l) if l.status() == Some(200) => Outcome::Fail(format!(
            "no refusal: {} (a 200 page without a form the convention can submit)",
            l.summary()
        )),
        Ok(l) => Outcome::Pass(format!("refused: {}", l.summary())),
        Err(e) => Outcome::Fail(format!("the visit failed: {e}")),
    }
}

/// SKIP unless the happy flow came through.
pub fn needs_happy(c: &Ctx) -> Result<(), Outcome> {
    match c.happy_failed() {
        Some(why) => Err(Outcome::Skip(why)),
        None => Ok(()),
    }
}
