//! JSON a client sends (JWKs and JWK Sets, DPoP proofs, client
//! assertions, request objects, tokens, metadata) written the way real
//! encoders write it: every character escaped (RFC 8259 §7), every slash
//! escaped (PHP's `json_encode`), values up to fapi's limits. Valid input
//! is read, or refused with an error that is the client's: never one whose
//! OAuth error is `server_error` (RFC 6749 §5.2), which would tell the
//! client that the server failed.
#![allow(clippy::unwrap_used)]
mod support;

use core::fmt::Write as _;

use fapi_core::assertion::{self, AssertionConfig};
use fapi_core::audit::{self, Metadata, ServerConfig, TlsVersion};
use fapi_core::crypto::KeyVerifier;
use fapi_core::dpop::{self, DpopConfig, DpopRequest};
use fapi_core::jwk::{self, Jwks};
use fapi_core::jwt::{self, Typ};
use fapi_core::mtls::CertThumbprint;
use fapi_core::profile::Profile;
use fapi_core::request_object::{self, RequestObjectConfig};
use fapi_core::token::{self, Presented};
use fapi_core::{
    Alg, Error, FixedClock, OAuthError, PublicJwk, PublicKey, Signer, Site, Thumbprint, b64,
    claims, json, jws,
};
use serde_json::{Value, json as j};
use support::*;

const NOW: u64 = 1_700_000_000;
const ISS: &str = "https://as.example";
const RS: &str = "https://rs.example";
const CID: &str = "client-1";
const CERT: &[u8] = include_bytes!("../testdata/client-cert.der");

const SITES: [Site; 8] = [
    Site::DpopProof,
    Site::ClientAuthentication,
    Site::TokenRequest,
    Site::ParRequest,
    Site::AuthorizationRequest,
    Site::RequestObject,
    Site::ResourceRequest,
    Site::Introspection,
];

/// Fails when `r` is an error that a server would answer with
/// `server_error` at any site.
#[track_caller]
fn not_a_server_error<T>(what: &str, r: &Result<T, Error>) {
    if let Err(e) = r {
        for site in SITES {
            assert_ne!(
                e.oauth_error(site),
                OAuthError::ServerError,
                "{what}: {e:?} at {site:?} is a server error"
            );
        }
    }
}

/// How a document's strings (member names too) are written.
#[derive(Clone, Copy, Debug)]
enum Style {
    /// As `serde_json` writes them: escapes only where JSON requires.
    Plain,
    /// Every character as a `\u` escape (a surrogate pair outside the BMP).
    AllEscaped,
    /// PHP's `json_encode`: every `/` as `\/`.
    Php,
}

const STYLES: [Style; 3] = [Style::Plain, Style::AllEscaped, Style::Php];

fn string(s: &str, style: Style, out: &mut String) {
    match style {
        Style::Plain => out.push_str(&serde_json::to_string(s).unwrap()),
        Style::Php => out.push_str(&serde_json::to_string(s).unwrap().replace('/', "\\/")),
        Style::AllEscaped => {
            out.push('"');
            for c in s.chars() {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(out, "\\u{u:04x}").unwrap();
                }
            }
            out.push('"');
        }
    }
}

/// `v` as JSON text in `style`.
fn write(v: &Value, style: Style) -> String {
    fn go(v: &Value, style: Style, out: &mut String) {
        match v {
            Value::String(s) => string(s, style, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    go(item, style, out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (name, item)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    string(name, style, out);
                    out.push(':');
                    go(item, style, out);
                }
                out.push('}');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    go(v, style, &mut out);
    out
}

/// A kid that needs every kind of escape: a slash, a quote, a backslash,
/// non-ASCII, a character outside the BMP, a control character.
const ODD_KID: &str = "keys/2024/caf\u{e9} \u{1f600} \"q\\\t";

/// RFC 7515 A.3's P-256 key.
const EC_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const EC_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
/// RFC 8037 A.1's Ed25519 key.
const OKP_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
/// RFC 7638 §3.1's RSA-2048 modulus.
const RSA_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

/// The public JWKs fapi verifies with, each with every optional member it
/// reads: P-256, Ed25519, RSA-2048 and the largest RSA fapi accepts.
fn jwks_values(kid: &str) -> Vec<Value> {
    let rsa_8192 = b64s(&[0xc5; jwk::MAX_RSA_BITS / 8]);
    vec![
        j!({"kty":"EC","crv":"P-256","x":EC_X,"y":EC_Y,"alg":"ES256","use":"sig","key_ops":["verify"],"kid":kid}),
        j!({"kty":"OKP","crv":"Ed25519","x":OKP_X,"alg":"EdDSA","use":"sig","kid":kid}),
        j!({"kty":"RSA","n":RSA_N,"e":"AQAB","alg":"PS256","key_ops":["verify","sign"],"kid":kid}),
        j!({"kty":"RSA","n":rsa_8192,"e":"AQAB","use":"sig","kid":kid}),
    ]
}

/// A scratch buffer of the size `json::scratch_len` gives.
fn scratch_for(doc: &str) -> Vec<u8> {
    vec![0u8; json::scratch_len(doc.as_bytes()).unwrap()]
}

/// RFC 8259 §7 and RFC 6749 §5.2: a JWK written with any escapes is read
/// by `PublicJwk::from_json_in`, `Jwks::from_json_in` and
/// `Thumbprint::of_jwk` as the same key; the calls that take no scratch
/// space, `PublicJwk::from_json` and `Jwks::from_json`, read escaped key
/// members, and refuse only a `kid` they cannot hand back as the text it
/// stands for, with `EscapedValue`: a client's error, never
/// `BufferTooSmall` (`server_error`). An escaped `kid` longer than any
/// stack room fapi has is refused the same way.
#[test]
fn rfc8259_7_escaped_jwk_is_read_or_refused_as_the_clients_error() {
    for kid in [ODD_KID.to_string(), "k/".repeat(1500)] {
        for (i, v) in jwks_values(&kid).into_iter().enumerate() {
            let plain = write(&v, Style::Plain);
            let mut s = scratch_for(&plain);
            let want = PublicJwk::from_json_in(plain.as_bytes(), &mut s).unwrap();
            assert_eq!(want.kid, Some(kid.as_str()));
            let thumbprint = Thumbprint::of_jwk(plain.as_bytes()).unwrap();
            for style in STYLES {
                let doc = write(&v, style);
                let what = format!("key {i} {style:?} kid of {} bytes", kid.len());
                let set = format!(r#"{{"keys":[{doc}]}}"#);
                if set.len() > json::MAX_DOCUMENT {
                    // Over fapi's limit: the client's error, for every call.
                    for r in [
                        PublicJwk::from_json(doc.as_bytes()).map(|_| ()),
                        Thumbprint::of_jwk(doc.as_bytes()).map(|_| ()),
                        Jwks::from_json(set.as_bytes()).map(|_| ()),
                        Jwks::from_json_in(set.as_bytes(), &mut vec![0u8; set.len()]).map(|_| ()),
                    ] {
                        not_a_server_error(&what, &r);
                    }
                    continue;
                }
                let mut s = scratch_for(&doc);
                let got = PublicJwk::from_json_in(doc.as_bytes(), &mut s);
                assert_eq!(got.as_ref(), Ok(&want), "{what}");
                assert_eq!(Thumbprint::of_jwk(doc.as_bytes()), Ok(thumbprint), "{what}");
                let r = PublicJwk::from_json(doc.as_bytes());
                not_a_server_error(&what, &r);
                if doc.contains('\\') {
                    assert_eq!(r, Err(Error::EscapedValue), "{what}");
                } else {
                    assert_eq!(r.as_ref(), Ok(&want), "{what}");
                }
                let r = Jwks::from_json(set.as_bytes());
                not_a_server_error(&what, &r);
                let mut s = scratch_for(&set);
                let jwks = Jwks::from_json_in(set.as_bytes(), &mut s).unwrap();
                let found = jwks.find(Some(&kid), want.key.alg()).unwrap();
                assert_eq!(found, want, "{what}");
            }
        }
    }
    // Escaped key members with a plain kid: read without scratch, however
    // long the kid.
    for kid in ["k1".to_string(), "k".repeat(3000)] {
        for v in jwks_values(&kid) {
            let mut v = v;
            let plain_kid = serde_json::to_string(&kid).unwrap();
            let _ = v.as_object_mut().unwrap().remove("kid");
            let doc = write(&v, Style::AllEscaped);
            let doc = format!("{},\"kid\":{plain_kid}}}", &doc[..doc.len() - 1]);
            let jwk = PublicJwk::from_json(doc.as_bytes()).unwrap();
            assert_eq!(jwk.kid, Some(kid.as_str()));
        }
    }
    // A refused key says why, whatever its kid.
    let private = format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}","y":"{EC_Y}","d":"{EC_X}","kid":"a\/b"}}"#
    );
    assert_eq!(
        PublicJwk::from_json(private.as_bytes()).err(),
        Some(Error::PrivateKeyMember)
    );
}

/// A JWK Set of `MAX_JWKS_KEYS` keys, each written in `style`.
fn full_set(style: Style) -> (String, Vec<P256Key>) {
    let signers: Vec<P256Key> = (1..=jwk::MAX_JWKS_KEYS as u8)
        .map(|i| P256Key::new(i, &format!("c/{i}")))
        .collect();
    let keys: Vec<String> = signers
        .iter()
        .map(|s| {
            let v: Value = serde_json::from_str(&jwk_json(s)).unwrap();
            write(&v, style)
        })
        .collect();
    (format!(r#"{{"keys":[{}]}}"#, keys.join(",")), signers)
}

/// An `at+jwt`, an ID token, a request object, a client assertion and a
/// DPoP proof whose header and claims are written in `style`, with values
/// that need every kind of escape, verified as each is at its endpoint.
fn every_client_facing_jws(style: Style) {
    let what = |kind: &str| format!("{kind} {style:?}");
    let as_key = P256Key::new(41, "as/1");
    let (set, clients) = full_set(style);
    let client = &clients[jwk::MAX_JWKS_KEYS - 1];
    let mut scratch = scratch_for(&set);
    let jwks = Jwks::from_json_in(set.as_bytes(), &mut scratch).unwrap();
    assert_eq!(jwks.len(), jwk::MAX_JWKS_KEYS);
    let header = |typ: Option<&str>, kid: &str| {
        let mut h = j!({"alg":"ES256","kid":kid});
        if let Some(t) = typ {
            h["typ"] = j!(t);
        }
        write(&h, style)
    };
    let odd = ODD_KID;

    // A client assertion (RFC 7523 §3), at the token endpoint.
    let claims = j!({"iss":CID,"sub":CID,"aud":ISS,"jti":odd,"iat":NOW,"exp":NOW + 60});
    let t = sign_raw(
        client,
        &header(None, client.key_id()),
        &write(&claims, style),
    );
    let r = assertion::verify_assertion(
        t.as_bytes(),
        CID,
        &jwks,
        &AssertionConfig::new(&Profile::FAPI2, ISS),
        &Backend,
        &FixedClock(NOW),
        &MemoryReplay::default(),
    );
    not_a_server_error(&what("assertion"), &r);
    assert!(r.is_ok(), "{}: {r:?}", what("assertion"));

    // A request object (RFC 9101), at the PAR endpoint: the longest nonce.
    let claims = j!({
        "iss":CID,"aud":ISS,"exp":NOW + 60,"nbf":NOW,"client_id":CID,
        "redirect_uri":"https://client.example/cb?x=1/2","response_type":"code",
        "scope":"openid accounts","state":odd,"code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method":"S256","nonce":"n/".repeat(request_object::MAX_NONCE_LEN / 2),
        "claims":{"id_token":{"openbanking_intent_id":{"value":"urn:intent/1","essential":true}}}
    });
    let t = sign_raw(
        client,
        &header(None, client.key_id()),
        &write(&claims, style),
    );
    let mut buf = vec![0u8; jws::verify_buf_len(t.len())];
    let r = request_object::verify_request_object(
        t.as_bytes(),
        CID,
        &jwks,
        &RequestObjectConfig::new(&Profile::FAPI2, ISS),
        &Backend,
        &FixedClock(NOW),
        &mut buf,
    );
    not_a_server_error(&what("request object"), &r);
    let p = r.unwrap();
    assert_eq!(p.state, Some(odd));
    assert_eq!(p.openbanking_intent_id, Some("urn:intent/1"));

    // A DPoP proof (RFC 9449 §4.2), its jwk header escaped too, with the
    // longest jti and an extra claim full of escapes.
    let key = client.public_key().unwrap();
    let jwk: Value = serde_json::from_str(&header_jwk(client)).unwrap();
    let h = write(&j!({"typ":"dpop+jwt","alg":"ES256","jwk":jwk}), style);
    let claims = j!({
        "jti":"\"/\\".repeat(dpop::MAX_JTI_LEN / 3),"htm":"POST",
        "htu":"https://as.example/token","iat":NOW,"x":"\"".repeat(500)
    });
    let proof = sign_raw(client, &h, &write(&claims, style));
    assert!(proof.len() <= dpop::MAX_PROOF_LEN);
    let r = dpop::verify_proof(
        proof.as_bytes(),
        &DpopRequest {
            method: "POST",
            uri: "https://as.example/token",
            nonce_binding: None,
        },
        &DpopConfig::new(&Profile::FAPI2),
        &Backend,
        &FixedClock(NOW),
        &MemoryReplay::default(),
    );
    not_a_server_error(&what("DPoP proof"), &r);
    assert_eq!(r.unwrap().key, key);

    // An access token (RFC 9068), at the resource server.
    let x5t = CertThumbprint::of_der(CERT).to_b64();
    let claims = j!({
        "iss":ISS,"sub":odd,"aud":["x",RS],"exp":NOW + 60,"iat":NOW,"jti":odd,
        "client_id":CID,"scope":"accounts/read","cnf":{"x5t#S256":core::str::from_utf8(&x5t).unwrap()}
    });
    let t = sign_raw(
        &as_key,
        &header(Some("at+jwt"), "as/1"),
        &write(&claims, style),
    );
    let v = KeyVerifier::new(&Backend, as_key.public_key().unwrap());
    let mut buf = vec![0u8; jws::verify_buf_len(t.len())];
    let r = token::verify(
        t.as_bytes(),
        &Profile::FAPI2,
        &token::Expectations::new(ISS, RS),
        &v,
        &FixedClock(NOW),
        &Presented::certificate(CERT),
        &mut buf,
    );
    not_a_server_error(&what("access token"), &r);
    assert_eq!(r.unwrap().subject, odd);

    // An ID token (jwt::verify), and what decode_unverified reads of it.
    let claims = j!({"iss":ISS,"sub":odd,"aud":CID,"exp":NOW + 60,"iat":NOW,"nonce":odd});
    let t = sign_raw(
        &as_key,
        &header(Some("JWT"), "as/1"),
        &write(&claims, style),
    );
    let expect = jwt::Expectations::new(&[Alg::Es256], Typ::AbsentOr("JWT"), ISS, CID).unwrap();
    let mut buf = vec![0u8; jwt::verify_buf_len(t.len())];
    let r = jwt::verify(t.as_bytes(), &expect, &v, &FixedClock(NOW), &mut buf);
    not_a_server_error(&what("ID token"), &r.as_ref().map(|_| ()).map_err(|e| *e));
    assert_eq!(r.unwrap().claims.sub, Some(odd));
    let mut buf = vec![0u8; jws::verify_buf_len(t.len())];
    let u = jws::decode_unverified(t.as_bytes(), &mut buf);
    not_a_server_error(
        &what("decode_unverified"),
        &u.as_ref().map(|_| ()).map_err(|e| *e),
    );
    assert_eq!(u.unwrap().kid, Some("as/1"));

    // `aud` read on its own, without scratch.
    let doc = write(&claims, style);
    let r = claims::audience(doc.as_bytes());
    not_a_server_error(&what("claims::audience"), &r);
}

/// A FAPI 2.0 server's metadata, each URL written in `style`, with the
/// longest lists the audit reads: as long as `json::MAX_DOCUMENT` allows.
fn metadata(style: Style) -> String {
    (0..=400)
        .rev()
        .step_by(10)
        .map(|n| metadata_of(style, n))
        .find(|doc| doc.len() <= json::MAX_DOCUMENT)
        .unwrap()
}

fn metadata_of(style: Style, claim_len: usize) -> String {
    let claims: Vec<String> = (0..audit::MAX_LIST)
        .map(|i| format!("https://claims.example/{i}/{}", "c".repeat(claim_len)))
        .collect();
    let md = j!({
        "issuer":ISS,"authorization_endpoint":"https://as.example/authorize",
        "token_endpoint":"https://as.example/token","jwks_uri":"https://as.example/jwks",
        "pushed_authorization_request_endpoint":"https://as.example/par",
        "require_pushed_authorization_requests":true,
        "token_endpoint_auth_methods_supported":["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported":["PS256","ES256","EdDSA"],
        "dpop_signing_alg_values_supported":["ES256"],
        "code_challenge_methods_supported":["S256"],"response_types_supported":["code"],
        "grant_types_supported":["authorization_code"],
        "authorization_response_iss_parameter_supported":true,
        "introspection_endpoint":"https://as.example/introspect",
        "claims_supported":claims
    });
    write(&md, style)
}

/// RFC 8259 §7 and RFC 6749 §5.2: walks every call of fapi-core that reads
/// JSON a client (or a remote server) wrote, with every string escaped and
/// every slash escaped, at the sizes fapi's limits allow: each reads the
/// input, or refuses it with an error that is not `server_error`.
#[test]
fn rfc8259_7_valid_client_json_is_never_a_server_error() {
    for style in STYLES {
        every_client_facing_jws(style);

        // JWK Sets of the most keys fapi reads.
        let (set, _) = full_set(style);
        not_a_server_error("Jwks::from_json", &Jwks::from_json(set.as_bytes()));

        // Metadata (RFC 8414), as `fapi audit` reads a remote server's: the
        // longest lists, every slash escaped, a document near MAX_DOCUMENT.
        let doc = metadata(style);
        let what = format!("metadata {style:?} of {} bytes", doc.len());
        not_a_server_error(&what, &Metadata::parse(doc.as_bytes()));
        let mut s = scratch_for(&doc);
        assert!(Metadata::parse_in(doc.as_bytes(), &mut s).is_ok(), "{what}");
        let config = ServerConfig {
            metadata: doc.as_bytes(),
            access_token_ttl: 300,
            code_ttl: 60,
            par_ttl: 60,
            request_object_ttl: Some(3600),
            refresh_rotation: false,
            codes_single_use: true,
            https_redirects_only: true,
            tls_suites: &["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
            tls_min_version: TlsVersion::Tls12,
            certified_conformance: &[],
            signed_messages: false,
        };
        let r = audit::audit(&Profile::FAPI2, &config);
        not_a_server_error(&what, &r.as_ref().map(|_| ()).map_err(|e| *e));
        assert!(r.is_ok(), "{what}: {r:?}");

        // Any struct, read without scratch.
        #[derive(serde::Deserialize)]
        struct Kid<'a> {
            #[allow(dead_code)]
            kid: &'a str,
        }
        let doc = write(&j!({"kid":ODD_KID}), style);
        not_a_server_error("json::parse", &json::parse::<Kid<'_>>(doc.as_bytes()));
    }
    // The error a call without scratch gives for an escaped value is the
    // client's at every site, and the request's where that is its name.
    assert_eq!(
        Error::EscapedValue.oauth_error(Site::TokenRequest),
        OAuthError::InvalidRequest
    );
    assert_eq!(
        Error::EscapedValue.oauth_error(Site::ClientAuthentication),
        OAuthError::InvalidClient
    );
}

/// RFC 7517 §5 and fapi's bound on a JWK Set: `MAX_JWKS_KEYS` keys parse;
/// one more is over a limit, `TooLarge` (as the doc of `Error::TooLarge`
/// says of every bound), not `Json`, which is for malformed JSON. The same
/// for every bounded list fapi reads: `aud` values (`MAX_AUDIENCES`),
/// `key_ops` (`MAX_KEY_OPS`), `crit` (`jws::MAX_CRIT`).
#[test]
fn rfc7517_5_jwks_over_max_keys_is_too_large() {
    let (set, _) = full_set(Style::Plain);
    assert_eq!(
        Jwks::from_json(set.as_bytes()).unwrap().len(),
        jwk::MAX_JWKS_KEYS
    );
    let extra = jwk_json(&P256Key::new(99, "extra"));
    let over = set.replacen("[", &format!("[{extra},"), 1);
    assert_eq!(
        Jwks::from_json(over.as_bytes()).err(),
        Some(Error::TooLarge)
    );
    let mut s = scratch_for(&over);
    assert_eq!(
        Jwks::from_json_in(over.as_bytes(), &mut s).err(),
        Some(Error::TooLarge)
    );

    let list = |n: usize| {
        let items: Vec<String> = (0..n).map(|i| format!("\"v{i}\"")).collect();
        items.join(",")
    };
    let aud = |n: usize| format!(r#"{{"aud":[{}]}}"#, list(n));
    assert!(claims::audience(aud(claims::MAX_AUDIENCES).as_bytes()).is_ok());
    assert_eq!(
        claims::audience(aud(claims::MAX_AUDIENCES + 1).as_bytes()).err(),
        Some(Error::TooLarge)
    );

    let ops = |n: usize| {
        format!(
            r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}","y":"{EC_Y}","key_ops":["verify",{}]}}"#,
            list(n - 1)
        )
    };
    assert!(PublicJwk::from_json(ops(jwk::MAX_KEY_OPS).as_bytes()).is_ok());
    assert_eq!(
        PublicJwk::from_json(ops(jwk::MAX_KEY_OPS + 1).as_bytes()).err(),
        Some(Error::TooLarge)
    );

    let crit = |n: usize| format!(r#"{{"alg":"ES256","crit":[{}]}}"#, list(n));
    let t = forged(&crit(jws::MAX_CRIT + 1), "{}");
    let mut buf = vec![0u8; jws::verify_buf_len(t.len())];
    assert_eq!(
        jws::decode_unverified(t.as_bytes(), &mut buf).err(),
        Some(Error::TooLarge)
    );
    // Malformed JSON stays `Json`.
    assert_eq!(
        Jwks::from_json(br#"{"keys":[{"kty":"EC"},]}"#).err(),
        Some(Error::Json)
    );
    assert_eq!(
        Error::TooLarge.oauth_error(Site::ClientAuthentication),
        OAuthError::InvalidClient
    );
}

/// RFC 7638 §3 and RFC 7515 §2 (base64url without padding): an `x` with
/// padding, whitespace or a character outside the alphabet is not strict
/// base64url, `Base64` as `Thumbprint::of_jwk` documents, whatever length
/// it decodes to; a strict value of the wrong size is `InvalidKey`. The
/// strict parser for verification keys says the same.
#[test]
fn rfc7638_3_padded_coordinate_is_base64() {
    let ec = |x: &str| format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{EC_Y}"}}"#);
    let okp = |x: &str| format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}"#);
    for (x, err) in [
        (format!("{EC_X}="), Error::Base64),
        (format!("{EC_X}=="), Error::Base64),
        (format!("{}=", &EC_X[..42]), Error::Base64),
        (format!("{} ", &EC_X[..42]), Error::Base64),
        (format!("{}+", &EC_X[..42]), Error::Base64),
        (format!("{EC_X}AA"), Error::Base64),
        (format!("{EC_X}A"), Error::InvalidKey),
        (EC_X[..40].to_string(), Error::InvalidKey),
        ("AAAA".to_string(), Error::InvalidKey),
    ] {
        for doc in [ec(&x), okp(&x)] {
            assert_eq!(Thumbprint::of_jwk(doc.as_bytes()).err(), Some(err), "{doc}");
            assert_eq!(
                PublicJwk::from_json(doc.as_bytes()).err(),
                Some(err),
                "{doc}"
            );
        }
    }
    // The same rule for any fixed-size value.
    assert_eq!(
        b64::decode_array::<32>(format!("{OKP_X}=").as_bytes()).err(),
        Some(Error::Base64)
    );
    assert_eq!(
        b64::decode_array_vartime::<32>(format!("{OKP_X}=").as_bytes()).err(),
        Some(Error::Base64)
    );
    assert_eq!(
        b64::decode_array::<32>(b"AAAA").err(),
        Some(Error::InvalidKey)
    );
    assert_eq!(
        Thumbprint::of_jwk(okp(OKP_X).as_bytes()).map(|t| t.to_b64().to_string()),
        Ok("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k".to_string())
    );
    let _: PublicKey = PublicJwk::from_json(okp(OKP_X).as_bytes()).unwrap().key;
}

/// BG-SIGNED-REQ and RFC 7515 Appendix F (a detached payload): the
/// signature a TPP sends with a request message is verified in a buffer of
/// `signed_request_buf_len` of the body, whatever the TPP sent: a header
/// over `jws::MAX_HEADER` is `TooLarge`, a signature part longer than any
/// signature `BadSignature`, never `BufferTooSmall`; a header written with
/// escapes verifies.
#[test]
fn bg_signed_req_rfc7515_f_signature_parts_are_bounded_before_the_buffer() {
    let tpp = Ed25519Key::new(31, "qseal/1");
    let set = jwks_json(&[&tpp]);
    let jwks = Jwks::from_json(set.as_bytes()).unwrap();
    let body = br#"{"instructedAmount":{"currency":"EUR","amount":"1.00"}}"#;
    let run = |sig: &str| {
        let mut scratch = vec![0u8; request_object::signed_request_buf_len(body.len())];
        request_object::verify_signed_request(
            sig.as_bytes(),
            body,
            &Profile::BERLIN,
            &jwks,
            &Backend,
            &mut scratch,
        )
    };
    let detach = |jws: &str| {
        let p: Vec<&str> = jws.split('.').collect();
        format!("{}..{}", p[0], p[2])
    };
    let body_text = core::str::from_utf8(body).unwrap();
    for style in STYLES {
        let h = write(&j!({"alg":"EdDSA","kid":"qseal/1"}), style);
        assert_eq!(
            run(&detach(&sign_raw(&tpp, &h, body_text))),
            Ok(()),
            "{style:?}"
        );
    }
    let big = j!({"alg":"EdDSA","kid":"qseal/1","x":"y".repeat(8 * jws::MAX_HEADER)});
    let sig = detach(&sign_raw(&tpp, &write(&big, Style::Plain), body_text));
    let r = run(&sig);
    not_a_server_error("oversized header", &r);
    assert_eq!(r, Err(Error::TooLarge));
    let h = b64s(br#"{"alg":"EdDSA","kid":"qseal/1"}"#);
    let r = run(&format!("{h}..{}", "A".repeat(8 * jws::MAX_HEADER)));
    not_a_server_error("oversized signature", &r);
    assert_eq!(r, Err(Error::BadSignature));
}
