//! The fixed HTTP messages of the `sfv_signature_input` and
//! `sfv_signature` targets: RFC 9421 Appendix B.2's test request and
//! response (plus a dictionary field for `;key` and a query for
//! `@query-param`), and the request signed for FAPI 2.0 HTTP Signatures
//! with the RFC 8037 key at [`NOW`](crate::NOW).

use std::sync::LazyLock;

use fapi_core::FixedClock;
use fapi_core::http_sig::{self, FieldList, Message, SignatureBuffers};

use crate::{ED25519_SIGNER, NOW};

/// RFC 9421 B.2's request digest (of `{"hello": "world"}`).
pub const REQUEST_DIGEST: &str = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";
/// RFC 9421 B.2's request body.
pub const REQUEST_BODY: &[u8] = b"{\"hello\": \"world\"}";
/// The target URI: B.2's, with the §2.2.8 encoded parameters added.
pub const TARGET: &str = "https://example.com/foo?param=Value&Pet=dog&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something";

/// The request's fields (B.2, a DPoP `Authorization`, and RFC 9421
/// §2.1.2's `Example-Dict`).
pub const REQUEST_FIELDS: &[(&str, &str)] = &[
    ("Host", "example.com"),
    ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
    ("Content-Type", "application/json"),
    ("Content-Digest", REQUEST_DIGEST),
    ("Content-Length", "18"),
    ("Authorization", "DPoP at-123"),
    ("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
    (
        "Signature-Input",
        "sig1=(\"@method\" \"@target-uri\");created=1618884473",
    ),
    ("Signature", "sig1=:AAAA:"),
];

/// The response's fields (B.2).
pub const RESPONSE_FIELDS: &[(&str, &str)] = &[
    ("Date", "Tue, 20 Apr 2021 02:07:56 GMT"),
    ("Content-Type", "application/json"),
    (
        "Content-Digest",
        "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:",
    ),
    ("Content-Length", "23"),
];

/// The request, as a [`Message`].
#[must_use]
pub fn request() -> Message<'static> {
    static FIELDS: FieldList<'static> = FieldList(REQUEST_FIELDS);
    Message::request("POST", TARGET, &FIELDS)
}

/// The response (200), as a [`Message`].
#[must_use]
pub fn response() -> Message<'static> {
    static FIELDS: FieldList<'static> = FieldList(RESPONSE_FIELDS);
    Message::response(200, &FIELDS)
}

/// The profile's request to sign: `Authorization`, `Content-Digest`.
pub const SIGNED_FIELDS: &[(&str, &str)] = &[
    ("Authorization", "DPoP at-123"),
    ("Content-Digest", REQUEST_DIGEST),
];

/// `sign_request`'s `Signature-Input` and `Signature` for
/// [`SIGNED_FIELDS`] on `POST` [`TARGET`], label `sig1`, signed with the
/// RFC 8037 key (deterministic) at [`NOW`].
pub static SIGNED: LazyLock<(String, String)> = LazyLock::new(|| {
    let fields = FieldList(SIGNED_FIELDS);
    let msg = Message::request("POST", TARGET, &fields);
    let (mut a, mut b, mut c) = ([0u8; 1024], [0u8; 1024], [0u8; 4096]);
    let out = http_sig::sign_request(
        &*ED25519_SIGNER,
        "sig1",
        &msg,
        REQUEST_BODY,
        &FixedClock(NOW),
        SignatureBuffers {
            signature_input: &mut a,
            signature: &mut b,
            scratch: &mut c,
        },
    )
    .expect("the fixed request signs");
    (
        String::from_utf8(a[..out.signature_input_len].to_vec()).expect("ASCII"),
        String::from_utf8(b[..out.signature_len].to_vec()).expect("ASCII"),
    )
});
