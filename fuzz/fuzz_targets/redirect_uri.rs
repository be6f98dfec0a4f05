//! The redirect URI check (`authorize::check_redirect_uri`, F2-TLS-RESP,
//! RFC 6749 §3.1.2, RFC 3986), under every profile.
//!
//! Input: the URI.
//!
//! Properties: the only refusals are `TooLarge` (exactly over
//! `MAX_REDIRECT_URI` bytes), `InsecureRedirect` and `InvalidParameter`;
//! an accepted URI has the scheme `https` (any case) where the profile
//! requires it (F2-TLS-RESP), holds only RFC 3986 §2 characters with
//! well-formed `%XX` escapes, has no fragment (RFC 6749 §3.1.2), and a
//! non-empty authority without user information; where the `http` crate's
//! URI parser reads it too, that parser sees the same scheme and the same
//! host. Metamorphic: an accepted URI stays accepted with its scheme in
//! upper case, and is refused as `http` (`InsecureRedirect`) and with a
//! fragment or a space added (`InvalidParameter`).
#![no_main]

use fapi_core::Error;
use fapi_core::authorize::{MAX_REDIRECT_URI, check_redirect_uri};
use fapi_core::profile::Profile;
use libfuzzer_sys::fuzz_target;

/// RFC 3986 §2.2 and §2.3: reserved and unreserved characters, and `%`.
fn rfc3986_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

fn escapes_ok(uri: &[u8]) -> bool {
    uri.iter().enumerate().all(|(i, c)| {
        *c != b'%'
            || (uri.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && uri.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

/// The host of an authority (RFC 3986 §3.2): without user information
/// (there is none here) and port; an IP literal keeps its brackets.
fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        authority
            .find(']')
            .map_or(authority, |end| &authority[..=end])
    } else {
        authority.split(':').next().unwrap_or_default()
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let uri: &str = &text;
    for profile in Profile::ALL {
        let result = check_redirect_uri(profile, uri);
        match result {
            Ok(()) => {}
            Err(Error::TooLarge) => assert!(uri.len() > MAX_REDIRECT_URI),
            Err(Error::InsecureRedirect | Error::InvalidParameter) => {
                assert!(uri.len() <= MAX_REDIRECT_URI);
            }
            Err(e) => panic!("unexpected refusal {e:?} for {uri:?}"),
        }
        if result.is_err() {
            continue;
        }
        let (scheme, rest) = uri.split_once("://").expect("accepted without ://");
        if profile.https_redirect_required {
            assert!(scheme.eq_ignore_ascii_case("https"), "{uri:?}");
        }
        assert!(
            uri.bytes().all(rfc3986_char),
            "a character outside RFC 3986: {uri:?}"
        );
        assert!(escapes_ok(uri.as_bytes()), "a malformed escape: {uri:?}");
        assert!(!uri.contains('#'), "a fragment: {uri:?}");
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        assert!(!authority.is_empty() && !authority.contains('@'), "{uri:?}");
        assert!(!host_of(authority).is_empty(), "no host: {uri:?}");
        if let Ok(parsed) = uri.parse::<http::Uri>() {
            assert!(
                parsed
                    .scheme_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(scheme)),
                "{uri:?}"
            );
            assert_eq!(parsed.host(), Some(host_of(authority)), "{uri:?}");
        }

        // Metamorphic relations.
        let upper = format!("{}://{rest}", scheme.to_ascii_uppercase());
        assert_eq!(check_redirect_uri(profile, &upper), Ok(()), "{upper:?}");
        if profile.https_redirect_required {
            let http = format!("http://{rest}");
            assert_eq!(
                check_redirect_uri(profile, &http),
                Err(Error::InsecureRedirect),
                "{http:?}"
            );
        }
        if uri.len() + 2 <= MAX_REDIRECT_URI {
            for suffix in ["#f", " x"] {
                let changed = format!("{uri}{suffix}");
                assert_eq!(
                    check_redirect_uri(profile, &changed),
                    Err(Error::InvalidParameter),
                    "{changed:?}"
                );
            }
        }
    }
});
