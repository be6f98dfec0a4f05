//! `fapi_core::json::check` against `serde_json`.
//!
//! `check` is stricter than JSON on purpose: it refuses duplicate member
//! names (compared as the text they stand for, escapes decoded), nesting
//! deeper than `MAX_DEPTH`, objects with more than `MAX_MEMBERS` members,
//! documents over `MAX_DOCUMENT` bytes, and anything but an object at the
//! top. The exact relation held:
//!
//! 1. `serde_json` reads the document as an object within all of those
//!    limits => `check` accepts it;
//! 2. `serde_json` reads it but it breaks exactly one limit => `check`
//!    refuses it with that limit's error (`DuplicateMember`, `Json` for a
//!    non-object, `TooLarge` for size, depth, members);
//! 3. `check` accepts it => `serde_json` reads it, unless `serde_json`
//!    refuses a number out of `f64` range, which `check` leaves to the
//!    typed parser;
//! 4. `check` accepts it => `scratch_len` is at most the document's length,
//!    and `parse_in` with that much scratch reads every string value as
//!    `serde_json` does (checked on the top-level members).
#![no_main]

use fapi_core::Error;
use fapi_core::json::{MAX_DEPTH, MAX_DOCUMENT, MAX_MEMBERS, check, parse_in, scratch_len};
use libfuzzer_sys::fuzz_target;

/// The top-level members of a document as fapi reads them: the string
/// values (borrowed, from the document or the scratch), by name.
struct Strings<'a>(Vec<(String, Option<&'a str>)>);

impl<'de> serde::Deserialize<'de> for Strings<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Strings<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    out.push((name, map.next_value::<Value<'de>>()?.0));
                }
                Ok(Strings(out))
            }
        }
        d.deserialize_map(Members)
    }
}

/// A member value: its text when it is a string.
struct Value<'a>(Option<&'a str>);

impl<'de> serde::Deserialize<'de> for Value<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Any;
        impl<'de> serde::de::Visitor<'de> for Any {
            type Value = Value<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Value(Some(v)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Value(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Value(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Value(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Value(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Value(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Value(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Value(None))
            }
        }
        d.deserialize_any(Any)
    }
}

fuzz_target!(|data: &[u8]| {
    let ours = check(data);
    if ours.is_ok() {
        let need = scratch_len(data).expect("checked");
        assert!(
            need <= data.len(),
            "scratch {need} for {} bytes",
            data.len()
        );
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(data) {
            let mut scratch = vec![0u8; need];
            // Names decoded on the stack, string values into the scratch:
            // every one reads as serde_json reads it.
            let Strings(read) = parse_in::<Strings<'_>>(data, &mut scratch)
                .unwrap_or_else(|e| panic!("checked document not read: {e}"));
            assert_eq!(read.len(), map.len());
            for (name, got) in &read {
                match map.get(name) {
                    Some(want) => assert_eq!(*got, want.as_str(), "member {name:?}"),
                    // A name over 256 decoded bytes is matched in its raw,
                    // escaped form, which names no member fapi reads.
                    None => assert!(name.contains('\\'), "member {name:?} not read"),
                }
            }
        }
    }
    match fapi_fuzz::shape::of(data) {
        Ok(shape) => {
            let violations = [
                (!shape.top_object, Error::Json),
                (shape.duplicate, Error::DuplicateMember),
                (data.len() > MAX_DOCUMENT, Error::TooLarge),
                (shape.depth > MAX_DEPTH, Error::TooLarge),
                (shape.max_members > MAX_MEMBERS, Error::TooLarge),
            ];
            let broken: Vec<Error> = violations
                .iter()
                .filter(|(hit, _)| *hit)
                .map(|(_, e)| *e)
                .collect();
            match broken.as_slice() {
                [] => assert_eq!(ours, Ok(()), "valid JSON object refused: {shape:?}"),
                [only] => assert_eq!(ours, Err(*only), "{shape:?}"),
                _ => assert!(ours.is_err(), "accepted JSON breaking limits: {shape:?}"),
            }
        }
        Err(e) => {
            if ours.is_ok() {
                let msg = e.to_string();
                let excused = ["number out of range"].iter().any(|m| msg.contains(m));
                assert!(excused, "check accepted what serde_json refuses: {msg}");
            }
        }
    }
});
