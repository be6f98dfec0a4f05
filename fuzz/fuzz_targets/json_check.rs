//! `fapi_core::json::check` against `serde_json`.
//!
//! `check` is stricter than JSON on purpose: it refuses duplicate member
//! names, escapes in member names, nesting deeper than `MAX_DEPTH`, objects
//! with more than `MAX_MEMBERS` members, documents over `MAX_DOCUMENT`
//! bytes, and anything but an object at the top. The exact relation held:
//!
//! 1. `serde_json` reads the document as an object within all of those
//!    limits => `check` accepts it;
//! 2. `serde_json` reads it but it breaks exactly one limit => `check`
//!    refuses it with that limit's error (`DuplicateMember`, `Json` for an
//!    escaped name or a non-object, `TooLarge` for size, depth, members);
//! 3. `check` accepts it => `serde_json` reads it, unless `serde_json`
//!    refuses what `check` leaves to the typed parser (a lone UTF-16
//!    surrogate in a `\u` escape, a number out of `f64` range).
#![no_main]

use fapi_core::Error;
use fapi_core::json::{MAX_DEPTH, MAX_DOCUMENT, MAX_MEMBERS, check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ours = check(data);
    match fapi_fuzz::shape::of(data) {
        Ok(shape) => {
            let violations = [
                (!shape.top_object, Error::Json),
                (shape.escaped_name, Error::Json),
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
                let excused = ["surrogate", "hex escape", "number out of range"]
                    .iter()
                    .any(|m| msg.contains(m));
                assert!(excused, "check accepted what serde_json refuses: {msg}");
            }
        }
    }
});
