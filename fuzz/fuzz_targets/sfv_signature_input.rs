//! `Signature-Input` (RFC 9421 §4.1): the field parsed by fapi-core's
//! strict RFC 8941 parser, each member read by
//! `http_sig::SignatureInput::from_member`, its signature base written over
//! RFC 9421 B.2's request and response, and the field verified as a
//! resource request's.
//!
//! Input: the field value (UTF-8).
//!
//! Properties:
//! - differential against the `sfv` crate (`fapi_fuzz::sfv_diff`): what
//!   fapi accepts, `sfv` reads the same; what fapi refuses and `sfv`
//!   accepts is one of the strictnesses documented there;
//! - `from_member` accepts a member exactly when an independent reading of
//!   `sfv`'s value says it is a signature input fapi takes (RFC 9421 §2:
//!   an inner list of component names, each a string without escapes, a
//!   derived component fapi implements or a lower-case field name, with
//!   only `req`, `key` (fields) and `name` (`@query-param`, required)
//!   parameters, no component twice; §2.3: `created` and `expires`
//!   non-negative integers, `alg` a registered name fapi takes, `keyid`,
//!   `tag` and `nonce` strings), and refuses with a typed error otherwise;
//! - a signature base written has one line per component, each starting
//!   with the component identifier as `sfv` serializes it, and ends with
//!   `"@signature-params": ` and `sfv`'s serialization of the member
//!   (RFC 9421 §2.5);
//! - verification as a resource request (with a made-up signature under
//!   each label) never succeeds and never panics.
#![no_main]

use fapi_core::Error;
use fapi_core::FixedClock;
use fapi_core::http_sig::{self, FieldList, Message, Policy, SignatureAlgorithm, SignatureInput};
use fapi_core::jwk::Jwks;
use fapi_fuzz::{CLIENT_JWKS, NOW, RUSTCRYPTO, http_msg, sfv_diff};
use libfuzzer_sys::fuzz_target;
use sfv::{BareItem, FieldType as _, ListEntry};

const DERIVED: &[&str] = &[
    "@method",
    "@target-uri",
    "@authority",
    "@scheme",
    "@request-target",
    "@path",
    "@query",
    "@query-param",
    "@status",
];

/// A plain string: one written without escapes (its unescaped text has no
/// `"` or `\`).
fn plain(item: &BareItem) -> Option<&str> {
    match item {
        BareItem::String(s) if !s.as_str().contains(['"', '\\']) => Some(s.as_str()),
        _ => None,
    }
}

/// The independent reading: whether fapi should take `entry` as a
/// signature input.
fn acceptable(entry: &ListEntry) -> bool {
    let ListEntry::InnerList(list) = entry else {
        return false;
    };
    let mut seen = Vec::new();
    for item in &list.items {
        let Some(name) = plain(&item.bare_item) else {
            return false;
        };
        let derived = name.starts_with('@');
        if derived {
            if !DERIVED.contains(&name) {
                return false;
            }
        } else if name.is_empty()
            || !name.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
            })
        {
            return false;
        }
        let (mut req, mut key, mut query_name) = (false, None, None);
        for (k, v) in &item.params {
            match (k.as_str(), v) {
                ("req", BareItem::Boolean(true)) => req = true,
                ("key", v) if !derived && plain(v).is_some() => key = plain(v),
                ("name", v) if name == "@query-param" && plain(v).is_some() => {
                    query_name = plain(v);
                }
                _ => return false,
            }
        }
        if name == "@query-param" && query_name.is_none() {
            return false;
        }
        let id = (name, req, key, query_name);
        if seen.contains(&id) {
            return false;
        }
        seen.push(id);
    }
    list.params.iter().all(|(k, v)| match k.as_str() {
        "created" | "expires" => v.as_integer().is_some_and(|i| i64::from(i) >= 0),
        "alg" => plain(v).is_some_and(|a| SignatureAlgorithm::from_name(a).is_ok()),
        "keyid" | "tag" | "nonce" => matches!(v, BareItem::String(_)),
        _ => true,
    })
}

fn check_base(base: &str, entry: &ListEntry) {
    let ListEntry::InnerList(list) = entry else {
        panic!("a base for an item")
    };
    let lines: Vec<&str> = base.split('\n').collect();
    assert_eq!(lines.len(), list.items.len() + 1, "{base:?}");
    for (line, item) in lines.iter().zip(&list.items) {
        let id = format!("{}: ", item.serialize());
        assert!(line.starts_with(&id), "{line:?} does not start with {id:?}");
    }
    let params = vec![entry.clone()].serialize().unwrap_or_default();
    assert_eq!(
        lines.last().copied(),
        Some(format!("\"@signature-params\": {params}").as_str())
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let Some(dict) = sfv_diff::check(text) else {
        // Refused: verification refuses it too, with a typed error.
        let fields = [("Authorization", "DPoP at-123"), ("Signature-Input", text)];
        let list = FieldList(&fields);
        verify_as_request(&Message::request("POST", http_msg::TARGET, &list));
        return;
    };
    let theirs = sfv_diff::sfv_dictionary(text).expect("sfv accepted it");
    let request = http_msg::request();
    let response = http_msg::response();
    let mut signature = String::new();
    for ((label, member), entry) in dict.iter().zip(theirs.values()) {
        if !signature.is_empty() {
            signature.push_str(", ");
        }
        signature.push_str(label);
        signature.push_str("=:AAAA:");
        let input = SignatureInput::from_member(label, &member);
        assert_eq!(
            input.is_ok(),
            acceptable(entry),
            "{label} in {text:?}: {input:?}"
        );
        let Ok(input) = input else {
            continue;
        };
        assert_eq!(input.label(), label);
        for (msg, req) in [(&request, None), (&response, Some(&request))] {
            let mut out = vec![0u8; 16384];
            match http_sig::signature_base(&input, msg, req, &mut out) {
                Ok(n) => check_base(core::str::from_utf8(&out[..n]).expect("ASCII"), entry),
                Err(
                    Error::ComponentAbsent
                    | Error::UnsupportedComponent
                    | Error::DuplicateLabel
                    | Error::Malformed
                    | Error::StructuredField
                    | Error::TooLarge,
                ) => {}
                Err(e) => panic!("signature base of {text:?}: {e:?}"),
            }
        }
    }
    // The same input with a made-up signature under each label.
    let fields = [
        ("Authorization", "DPoP at-123"),
        ("Content-Digest", http_msg::REQUEST_DIGEST),
        ("Signature-Input", text),
        ("Signature", signature.as_str()),
    ];
    let list = FieldList(&fields);
    verify_as_request(&Message::request("POST", http_msg::TARGET, &list));
});

fn verify_as_request(msg: &Message<'_>) {
    let jwks = Jwks::from_json(&CLIENT_JWKS).expect("JWKS");
    let mut scratch = vec![0u8; 16384];
    let result = http_sig::verify_request(
        &Policy::request(SignatureAlgorithm::ALL),
        msg,
        http_msg::REQUEST_BODY,
        &jwks,
        &RUSTCRYPTO,
        &FixedClock(NOW),
        &mut scratch,
    );
    assert!(result.is_err(), "a made-up signature verified");
}
