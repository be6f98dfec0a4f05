//! `Signature` (RFC 9421 §4.2): the field parsed by fapi-core's strict
//! RFC 8941 parser, and put in place of the genuine `Signature` of a
//! request signed for FAPI 2.0 HTTP Signatures (`fapi_fuzz::http_msg`).
//!
//! Input: the field value (UTF-8).
//!
//! Properties:
//! - differential against the `sfv` crate (`fapi_fuzz::sfv_diff`);
//! - the request verifies exactly when fapi's parser accepts the field and
//!   `sfv` reads it as one member, `sig1`, a byte sequence equal to the
//!   genuine signature (its parameters are not read): a signature under
//!   another label, a second member, another type or other bytes is
//!   refused with a typed error, never a panic.
#![no_main]

use fapi_core::FixedClock;
use fapi_core::http_sig::{self, FieldList, Message, Policy, SignatureAlgorithm};
use fapi_core::jwk::Jwks;
use fapi_fuzz::{CLIENT_JWKS, NOW, RUSTCRYPTO, http_msg, sfv_diff};
use libfuzzer_sys::fuzz_target;
use sfv::{BareItem, ListEntry};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let accepted = sfv_diff::check(text).is_some();
    let (input, genuine) = &*http_msg::SIGNED;
    let genuine = sfv_diff::sfv_dictionary(genuine).expect("the genuine signature parses");
    let Some(ListEntry::Item(genuine)) = genuine.get("sig1") else {
        panic!("the genuine signature is an item")
    };
    let expected = accepted
        && sfv_diff::sfv_dictionary(text).is_some_and(|d| {
            d.len() == 1
                && matches!(d.get("sig1"), Some(ListEntry::Item(i))
                    if matches!((&i.bare_item, &genuine.bare_item),
                        (BareItem::ByteSequence(a), BareItem::ByteSequence(b)) if a == b))
        });

    let mut fields: Vec<(&str, &str)> = http_msg::SIGNED_FIELDS.to_vec();
    fields.push(("Signature-Input", input));
    fields.push(("Signature", text));
    let list = FieldList(&fields);
    let msg = Message::request("POST", http_msg::TARGET, &list);
    let jwks = Jwks::from_json(&CLIENT_JWKS).expect("JWKS");
    let mut scratch = vec![0u8; 8192];
    let result = http_sig::verify_request(
        &Policy::request(SignatureAlgorithm::ALL),
        &msg,
        http_msg::REQUEST_BODY,
        &jwks,
        &RUSTCRYPTO,
        &FixedClock(NOW + 1),
        &mut scratch,
    );
    assert_eq!(result.is_ok(), expected, "{text:?}: {result:?}");
});
