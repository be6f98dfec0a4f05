//! `fapi jwks`, `fapi sign`, `fapi verify` and `fapi inspect`: JWK Sets out
//! of key configurations, compact JWS signing (refusing what `verify`
//! would refuse), verification against a JWK Set (a file, inline, or an
//! issuer's `jwks_uri`), and an unverified look inside a token.

use fapi::IssuerKeys;
use fapi_core::jws::{self, HeaderParams, Policy};
use fapi_core::jwt::{self, Expectations, Typ};
use fapi_core::profile::Profile;
use fapi_core::{Clock as _, Signer as _, SystemClock};
use serde_json::Value;

use crate::cli::{InspectArgs, JwksArgs, SignArgs, VerifyArgs};
use crate::failure::{Context as _, Failure};
use crate::input::{self, Source};
use crate::jose_view::{self, Expected};
use crate::{fetch, keys, output};

/// Runs `fapi jwks`.
pub fn jwks(args: &JwksArgs) -> Result<(), Failure> {
    let loaded = args
        .keys
        .iter()
        .map(|k| input::signing_key(k))
        .collect::<Result<Vec<_>, _>>()?;
    let set = keys::jwks_json(&loaded)?;
    // The JWK Set is JSON already: --json changes nothing.
    output::line(&set)
}

/// A time of a claim flag: seconds since 1970, `now`, or `+N`/`-N` with a
/// unit `s`, `m`, `h` or `d` from `now`.
pub fn parse_time(spec: &str, now: u64) -> Result<u64, String> {
    let spec = spec.trim();
    if spec == "now" {
        return Ok(now);
    }
    if let Ok(abs) = spec.parse::<u64>() {
        return Ok(abs);
    }
    let bad =
        || format!("{spec:?} is not a time: give seconds since 1970, now, or +5m, -30s, +1h, +2d");
    let (sign, rest) = match spec.as_bytes().first() {
        Some(b'+') => (1i8, &spec[1..]),
        Some(b'-') => (-1i8, &spec[1..]),
        _ => return Err(bad()),
    };
    let (digits, unit) = rest.split_at(
        rest.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len()),
    );
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    let delta = n.checked_mul(scale).ok_or_else(bad)?;
    if sign > 0 {
        now.checked_add(delta).ok_or_else(bad)
    } else {
        now.checked_sub(delta).ok_or_else(bad)
    }
}

/// The claims of `fapi sign`: the document, then the claim flags over it.
fn claims(args: &SignArgs, now: u64) -> Result<serde_json::Map<String, Value>, Failure> {
    let flags = args.iss.is_some()
        || args.sub.is_some()
        || !args.aud.is_empty()
        || args.exp.is_some()
        || args.nbf.is_some()
        || args.iat.is_some()
        || !args.claim.is_empty();
    let what = if args.claims_json.is_some() {
        "--claims-json"
    } else {
        "--claims"
    };
    let mut map = if args.claims.is_none() && args.claims_json.is_none() && flags {
        serde_json::Map::new()
    } else {
        let source = Source::document(args.claims.as_deref(), args.claims_json.as_deref());
        let text = input::read(source, what, Some("--claims-json"))?;
        // RFC 8725 §3.4: no duplicate members (the core's JSON rules).
        fapi_core::json::check(text.as_bytes()).map_err(|e| {
            let dup = (e == fapi_core::Error::DuplicateMember)
                .then(|| duplicate_member(&text))
                .flatten()
                .map(|name| format!("the member {name:?} appears twice"));
            Failure::refused(what, e).with_detail(dup)
        })?;
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(Failure::usage(what, "the claims are not a JSON object")),
            Err(e) => return Err(Failure::usage(what, format!("not JSON: {e}"))),
        }
    };
    for (name, v) in [("iss", &args.iss), ("sub", &args.sub)] {
        if let Some(v) = v {
            let _ = map.insert(name.to_owned(), Value::from(v.as_str()));
        }
    }
    match args.aud.as_slice() {
        [] => {}
        [one] => {
            let _ = map.insert("aud".to_owned(), Value::from(one.as_str()));
        }
        many => {
            let _ = map.insert("aud".to_owned(), Value::from(many.to_vec()));
        }
    }
    for (name, v) in [("exp", &args.exp), ("nbf", &args.nbf), ("iat", &args.iat)] {
        if let Some(spec) = v {
            let t =
                parse_time(spec, now).map_err(|why| Failure::usage(format!("--{name}"), why))?;
            let _ = map.insert(name.to_owned(), Value::from(t));
        }
    }
    for c in &args.claim {
        let (name, value) = c
            .split_once('=')
            .filter(|(n, _)| !n.is_empty())
            .ok_or_else(|| {
                Failure::usage("--claim", format!("{} is not NAME=VALUE", input::shown(c)))
            })?;
        let v = serde_json::from_str::<Value>(value).unwrap_or_else(|_| Value::from(value));
        let _ = map.insert(name.to_owned(), v);
    }
    Ok(map)
}

/// The first member name that appears twice at the top level of the JSON
/// object `text`, to name it in the refusal (the core says only that one
/// does). Hand-written with serde's map visitor: serde_json keeps the last
/// value of a duplicate and does not report it.
pub fn duplicate_member(text: &str) -> Option<String> {
    struct Dup(Option<String>);
    impl<'de> serde::Deserialize<'de> for Dup {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Dup;
                fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Dup, A::Error> {
                    let mut seen = std::collections::BTreeSet::new();
                    let mut dup = None;
                    while let Some(k) = map.next_key::<String>()? {
                        let _ = map.next_value::<serde::de::IgnoredAny>()?;
                        if !seen.insert(k.clone()) && dup.is_none() {
                            dup = Some(k);
                        }
                    }
                    Ok(Dup(dup))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_str::<Dup>(text).ok()?.0
}

/// Runs `fapi sign`: the claims must be one JSON object (RFC 7519 §7.2),
/// checked by the core's JSON rules (no duplicate members, RFC 8725 §3.4).
/// The token is then verified the way `fapi verify` would (with the
/// claims' own `iss` and `aud` when both are strings), and its lifetime
/// bounded by `jwt::MAX_LIFETIME`: what would be refused is not printed,
/// unless `--unchecked`.
pub fn sign(args: &SignArgs) -> Result<(), Failure> {
    let now = SystemClock.now();
    let map = claims(args, now)?;
    let key = input::signing_key(&args.key)?;
    let header = HeaderParams {
        typ: args.typ.as_deref(),
        kid: Some(key.key_id()),
        jwk: None,
    };
    let payload = Value::Object(map.clone()).to_string();
    let payload = payload.as_bytes();
    let len = jws::max_signed_len(key.alg(), &header, payload.len()).refused("signing")?;
    let mut out = vec![0u8; len];
    let n = jws::sign(&key, &header, payload, &mut out).refused("signing")?;
    out.truncate(n);
    let token = String::from_utf8(out)
        .map_err(|_| Failure::refused("signing", fapi_core::Error::Malformed))?;
    if !args.unchecked {
        let jwks = keys::jwks_json(core::slice::from_ref(&key))?;
        let issuer_keys =
            IssuerKeys::from_jwks_json(&jwks).map_err(|e| Failure::key("the key's JWK Set", &e))?;
        let iss = map.get("iss").and_then(Value::as_str);
        let aud = map.get("aud").and_then(Value::as_str);
        let what = "sign (fapi verify would refuse this token; --unchecked signs it anyway)";
        let check = Check {
            token: &token,
            keys: &issuer_keys,
            kids: &[],
            iss: iss.zip(aud).map(|(i, _)| i),
            aud: iss.zip(aud).map(|(_, a)| a),
            typ: args.typ.as_deref(),
            now,
        };
        let _ = check.run(what)?;
        // RFC 8725: a bounded life, checked here even without iss and aud.
        let exp = map.get("exp").and_then(Value::as_u64).unwrap_or(now);
        let from = map
            .get("iat")
            .and_then(Value::as_u64)
            .unwrap_or(now)
            .max(map.get("nbf").and_then(Value::as_u64).unwrap_or(0));
        if exp.saturating_sub(from) > jwt::MAX_LIFETIME {
            return Err(Failure::refused_with(
                what,
                fapi_core::Error::LifetimeTooLong,
                format!(
                    "exp {exp} is {} s after {from} (iat, nbf or now), more than {} s",
                    exp - from,
                    jwt::MAX_LIFETIME
                ),
            ));
        }
    }
    if args.output.json {
        output::json(&serde_json::json!({ "token": token }))
    } else {
        output::line(&token)
    }
}

/// One verification, as `fapi verify` does it.
struct Check<'a> {
    token: &'a str,
    keys: &'a IssuerKeys,
    kids: &'a [String],
    iss: Option<&'a str>,
    aud: Option<&'a str>,
    typ: Option<&'a str>,
    now: u64,
}

impl Check<'_> {
    /// F2-ALG: PS256, ES256 and EdDSA only, the key's algorithm the
    /// header's (the core's `jws::verify`). With an issuer and audience
    /// the JWT rules of RFC 8725 too; without them the signature, `exp`
    /// and `nbf`. A refusal names the values involved.
    fn run(&self, what: &str) -> Result<(Value, bool), Failure> {
        let expected = Expected {
            iss: self.iss,
            aud: self.aud,
            typ: self.typ,
            kids: self.kids,
            now: self.now,
        };
        self.verify(what).map_err(|f| {
            let values = match &f {
                Failure::Refused { error, .. } => jose_view::values(*error, self.token, &expected),
                _ => None,
            };
            f.with_detail(values)
        })
    }

    fn verify(&self, what: &str) -> Result<(Value, bool), Failure> {
        let token = self.token;
        let key = self.keys.for_token(token).refused(what)?;
        let algs = Profile::FAPI2.algs;
        let mut buf = vec![0u8; jwt::verify_buf_len(token.len())];
        let json = |r: Result<Value, serde_json::Error>| {
            r.map_err(|_| Failure::refused(what, fapi_core::Error::Json))
        };
        let clock = fapi_core::FixedClock(self.now);
        match (self.iss, self.aud) {
            (Some(iss), Some(aud)) => {
                let typ = self.typ.map_or(Typ::AbsentOr("JWT"), Typ::Required);
                let expect = Expectations::new(algs, typ, iss, aud).refused(what)?;
                let v =
                    jwt::verify(token.as_bytes(), &expect, key, &clock, &mut buf).refused(what)?;
                Ok((json(serde_json::from_slice(v.payload))?, true))
            }
            _ => {
                let mut policy = Policy::new(algs).json_payload();
                if let Some(t) = self.typ {
                    policy = policy.with_typ(t);
                }
                let v = jws::verify(token.as_bytes(), &policy, key, &mut buf).refused(what)?;
                let claims: Value = json(serde_json::from_slice(v.payload))?;
                let leeway = jwt::DEFAULT_LEEWAY;
                let _ = fapi_core::claims::check_exp(claims["exp"].as_u64(), self.now, leeway)
                    .refused(what)?;
                fapi_core::claims::check_nbf(claims["nbf"].as_u64(), self.now, leeway)
                    .refused(what)?;
                Ok((claims, false))
            }
        }
    }
}

/// Runs `fapi verify`: prints the claims (`--json`: with what was
/// checked). Without `--iss` and `--aud`, says on stderr that the issuer
/// and audience were not checked.
pub async fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let token = input::compact_jws(Source::value(args.token.as_deref()), "TOKEN")?;
    let jwks_text = match (&args.jwks, &args.jwks_json) {
        (Some(url), None) if fetch::is_url(url) => fetch::get_text(url, args.ca.as_deref()).await?,
        (path, inline) => {
            let what = if inline.is_some() {
                "--jwks-json"
            } else {
                "--jwks"
            };
            let source = Source::document(path.as_deref(), inline.as_deref());
            if source == Source::Stdin && args.token.as_deref().is_none_or(|t| t == "-") {
                return Err(Failure::usage(
                    "--jwks -",
                    "stdin already holds the token: give the JWK Set as a file",
                ));
            }
            input::read(source, what, Some("--jwks-json"))?.to_string()
        }
    };
    let keys = IssuerKeys::from_jwks_json(&jwks_text).map_err(|e| Failure::key("--jwks", &e))?;
    let kids = jose_view::kids(&jwks_text);
    let check = Check {
        token: &token,
        keys: &keys,
        kids: &kids,
        iss: args.iss.as_deref(),
        aud: args.aud.as_deref(),
        typ: args.typ.as_deref(),
        now: SystemClock.now(),
    };
    let (claims, full) = check.run("verify")?;
    if args.output.json {
        return output::json(&serde_json::json!({
            "verified": true,
            "checked": if full {
                "signature, typ, iss, aud, exp, nbf, iat, lifetime"
            } else {
                "signature, exp, nbf (iss and aud not checked: give --iss and --aud)"
            },
            "claims": claims,
        }));
    }
    if !full {
        eprintln!(
            "note: verify: signature, exp and nbf checked; iss and aud not checked (give --iss and --aud)"
        );
    }
    output::json(&claims)
}

/// Runs `fapi inspect`: the header (and a JWS payload), decoded and NOT
/// verified, labelled so on every output.
pub fn inspect(args: &InspectArgs) -> Result<(), Failure> {
    let source = Source::value(args.token.as_deref());
    let text = input::read(source, "TOKEN", None)?;
    let t = jose_view::decode(&text).map_err(|why| {
        Failure::refused_with(
            "TOKEN",
            fapi_core::Error::Malformed,
            format!("{why}: saw {}", input::shown(&text)),
        )
    })?;
    const LABEL: &str =
        "UNVERIFIED: decoded only; no signature, issuer, audience or time was checked";
    if args.output.json {
        let mut v = serde_json::json!({
            "verified": false,
            "note": LABEL,
            "form": t.form.name(),
            "header": t.header,
        });
        if let Some(p) = &t.payload {
            v["payload"] = p.clone();
        } else if let Some(p) = &t.payload_text {
            v["payload_text"] = p.as_str().into();
        }
        return output::json(&v);
    }
    output::line(LABEL)?;
    output::line(&format!("{} header: {}", t.form.name(), t.header))?;
    match (t.form, &t.payload, &t.payload_text) {
        (jose_view::Form::Jwe, ..) => {
            output::line("payload: encrypted (a JWE: only its header is readable without the key)")
        }
        (_, Some(p), _) => output::line(&format!("payload (unverified): {p}")),
        (_, None, Some(p)) => output::line(&format!("payload (unverified, not JSON): {p}")),
        (_, None, None) => output::line("payload (unverified): not UTF-8"),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn claim_times() {
        assert_eq!(parse_time("+5m", 1000), Ok(1300));
        assert_eq!(parse_time("-30s", 1000), Ok(970));
        assert_eq!(parse_time("+2d", 0), Ok(172_800));
        assert_eq!(parse_time("now", 7), Ok(7));
        assert_eq!(parse_time("1700000000", 7), Ok(1_700_000_000));
        assert!(parse_time("5m", 0).is_err());
        assert!(parse_time("+5y", 0).is_err());
        assert!(parse_time("-5s", 1).is_err());
    }
}
