//! The client's check of the authorization response
//! (`authorize::check_response`, RFC 6749 §4.1.2, RFC 9207 `iss`).
//!
//! Input: `query` `\n` `expected issuer` `\n` `expected state` (missing
//! parts are the fixed issuer and the state `xyz`).
//!
//! Properties: the result is exactly that of an independent reading of the
//! query (RFC 6749 §4.1.2 names, `application/x-www-form-urlencoded`
//! values decoded with `percent-encoding`, a malformed escape matching
//! nothing): a repeated `code`, `state` or `iss` is `InvalidParameter`
//! before anything else; F2-ISS: an absent or other `iss` is `WrongIssuer`;
//! another `state` or an `error` is `InvalidParameter`; the code returned
//! is the query's own non-empty unreserved `code`. Round trip: the response
//! `authorize::write_response` writes for the expected issuer and state,
//! with a code made of the input, yields that code, and the same response
//! checked against another issuer or state is refused.
#![no_main]

use fapi_core::Error;
use fapi_core::authorize::{check_response, write_response};
use fapi_fuzz::ISSUER;
use libfuzzer_sys::fuzz_target;

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

/// Whether the form-encoded `encoded` decodes to `plain`. A `%` that does
/// not start a `%XX` escape matches nothing.
fn form_eq(encoded: &str, plain: &str) -> bool {
    let b = encoded.as_bytes();
    let escapes_ok = b.iter().enumerate().all(|(i, c)| {
        *c != b'%'
            || (b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    let spaced = encoded.replace('+', " ");
    escapes_ok
        && percent_encoding::percent_decode_str(&spaced).collect::<Vec<u8>>() == plain.as_bytes()
}

/// The independent reading of the response.
fn expected<'q>(query: &'q str, issuer: &str, state: &str) -> Result<&'q str, Error> {
    let (mut code, mut st, mut iss, mut error) = (None, None, None, false);
    for pair in query.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match pair.find('=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, ""),
        };
        let slot = match name {
            "code" => &mut code,
            "state" => &mut st,
            "iss" => &mut iss,
            "error" => {
                error = true;
                continue;
            }
            _ => continue,
        };
        if slot.is_some() {
            return Err(Error::InvalidParameter);
        }
        *slot = Some(value);
    }
    if !iss.is_some_and(|i| form_eq(i, issuer)) {
        return Err(Error::WrongIssuer);
    }
    if error || !form_eq(st.unwrap_or(""), state) {
        return Err(Error::InvalidParameter);
    }
    match code {
        Some(c) if !c.is_empty() && c.bytes().all(unreserved) => Ok(c),
        _ => Err(Error::InvalidParameter),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\n');
    let query = parts.next().unwrap_or_default();
    let issuer = parts.next().unwrap_or(ISSUER);
    let state = parts.next().unwrap_or("xyz");

    let got = check_response(query, issuer, state);
    assert_eq!(
        got,
        expected(query, issuer, state),
        "{query:?} {issuer:?} {state:?}"
    );
    if let Ok(code) = got {
        // The code is the query's own bytes, not a copy.
        let start = code.as_ptr() as usize - query.as_ptr() as usize;
        assert!(start + code.len() <= query.len());
    }

    // Round trip through the server's writer.
    let mut code: String = query
        .bytes()
        .filter(|b| unreserved(*b))
        .map(char::from)
        .collect();
    if code.is_empty() {
        code.push('c');
    }
    for redirect in [
        "https://client.example.org/cb",
        "https://client.example.org/cb?a=b&code",
    ] {
        let mut out =
            vec![0u8; redirect.len() + 3 * (code.len() + state.len() + issuer.len()) + 32];
        let n = write_response(redirect, &code, state, issuer, &mut out).expect("response fits");
        let written = std::str::from_utf8(&out[..n]).expect("ASCII");
        let (_, response) = written.split_once('?').expect("a query");
        if redirect.ends_with("&code") {
            // The redirect URI's own bare `code` makes the code repeated.
            assert_eq!(
                check_response(response, issuer, state),
                Err(Error::InvalidParameter)
            );
            continue;
        }
        assert_eq!(
            check_response(response, issuer, state),
            Ok(code.as_str()),
            "{written}"
        );
        let other_issuer = format!("{issuer}x");
        assert_eq!(
            check_response(response, &other_issuer, state),
            Err(Error::WrongIssuer)
        );
        let other_state = format!("{state}x");
        assert_eq!(
            check_response(response, issuer, &other_state),
            Err(Error::InvalidParameter)
        );
    }
});
