//! F2-TLS-RESP, RFC 6749 §3.1.2 and RFC 3986 §2: the redirect URIs
//! `authorize::check_redirect_uri` refuses, found by the `redirect_uri`
//! fuzz target.

use fapi_core::Error;
use fapi_core::authorize::check_redirect_uri;
use fapi_core::profile::Profile;

/// F2-TLS-RESP / RFC 3986 §2: a character outside the URI character set
/// (which parsers read differently: a browser takes `\` for `/`) or a
/// malformed `%` escape is `InvalidParameter` under every profile; the
/// RFC 3986 reserved and unreserved characters and `%XX` escapes pass.
#[test]
fn f2_tls_resp_rfc3986_characters_only() {
    for uri in [
        "https://client.example.com/{x}",
        "https://client.example.com\\.evil.example/cb",
        "https://client.example.com/cb?x=a|b",
        "https://client.example.com/cb?x=\"",
        "https://client.example.com/<cb>",
        "https://client.example.com/cb^",
        "https://client.example.com/cb`",
        "https://client.example.com/%zz",
        "https://client.example.com/%4",
        "https://client.example.com/%",
        "https://client.example.com/a b",
        "https://client.example.com/\u{e9}",
    ] {
        for profile in Profile::ALL {
            assert_eq!(
                check_redirect_uri(profile, uri),
                Err(Error::InvalidParameter),
                "{uri} under {}",
                profile.name
            );
        }
    }
    for uri in [
        "https://client.example.com/cb",
        "https://client.example.com:8443/cb?x=%20&y=%7e",
        "HTTPS://[2001:db8::1]:443/cb",
        "https://client.example.com/a-._~!$&'()*+,;=:@/?q",
    ] {
        for profile in Profile::ALL {
            assert_eq!(check_redirect_uri(profile, uri), Ok(()), "{uri}");
        }
    }
}
