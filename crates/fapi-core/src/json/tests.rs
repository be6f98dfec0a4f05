use super::*;

use std::format;
use std::string::String;

#[test]
fn accepts_well_formed_objects() {
    for ok in [
        &b"{}"[..],
        b" {\"a\":1,\"b\":[1,2,{\"a\":true}],\"c\":{\"a\":null}} ",
        b"{\"n\":-0.5e+10,\"s\":\"x\\u0041\\n\"}",
        // RFC 8259 §7: a member name may be escaped like any string.
        b"{\"a\\u0041\":1,\"\\/\":2}",
        b"{\"s\":\"\\ud83d\\ude00\"}",
    ] {
        assert_eq!(check(ok), Ok(()), "{}", core::str::from_utf8(ok).unwrap());
    }
}

#[test]
fn refuses_duplicate_members_at_any_depth() {
    assert_eq!(
        check(b"{\"alg\":\"ES256\",\"alg\":\"none\"}"),
        Err(Error::DuplicateMember)
    );
    assert_eq!(
        check(b"{\"x\":1,\"j\":{\"k\":1,\"k\":2}}"),
        Err(Error::DuplicateMember)
    );
    assert_eq!(
        check(b"{\"a\":[{\"u\":1,\"u\":1}]}"),
        Err(Error::DuplicateMember)
    );
    // the same name twice in different objects is fine
    assert_eq!(check(b"{\"a\":{\"k\":1},\"b\":{\"k\":1}}"), Ok(()));
    // names of a closed object do not clash with the parent's later ones
    assert_eq!(check(b"{\"a\":{\"k\":1},\"k\":2}"), Ok(()));
}

/// RFC 8259 §7 and RFC 7515 §4: a member name written with escapes is the
/// name it stands for, so an escaped copy of a name is a duplicate.
#[test]
fn rfc8259_7_escaped_duplicate_names_are_duplicates() {
    for doc in [
        r#"{"alg":"ES256","\u0061lg":"none"}"#,
        r#"{"\u0061lg":"ES256","alg":"none"}"#,
        r#"{"\u0061lg":"ES256","\u0061\u006cg":"none"}"#,
        r#"{"a/b":1,"a\/b":2}"#,
        r#"{"café":1,"caf\u00e9":2}"#,
        r#"{"😀":1,"\ud83d\ude00":2}"#,
        r#"{"x":{"k\"":1,"k\u0022":2}}"#,
    ] {
        assert_eq!(check(doc.as_bytes()), Err(Error::DuplicateMember), "{doc}");
    }
    assert_eq!(check(br#"{"alg":1,"\u0061lh":2}"#), Ok(()));
}

#[test]
fn refuses_malformed_json() {
    for bad in [
        &b""[..],
        b"[]",
        b"\"x\"",
        b"{",
        b"{\"a\":}",
        b"{\"a\":1,}",
        b"{\"a\" 1}",
        b"{'a':1}",
        b"{\"a\":01}",
        b"{\"a\":1.}",
        b"{\"a\":tru}",
        b"{\"a\":\"\x01\"}",
        b"{\"a\":\"\\x\"}",
        b"{\"a\\x\":1}",
        b"{\"a\":1}{}",
        b"{\"a\":1} x",
        b"{\"a\":\"\xff\"}",
        b"{\"a\":[1,]}",
        b"{\"a\":[1 2]}",
        b"{\"a\":{\"b\":1]}",
        b"{\"a\":[1}",
        // lone UTF-16 surrogates stand for no character
        b"{\"a\":\"\\ud800\"}",
        b"{\"a\":\"\\udc00\"}",
        b"{\"a\":\"\\ud800\\u0041\"}",
        b"{\"\\ud800\":1}",
        b"{\"a\":\"\\u12\"}",
    ] {
        assert!(check(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
    }
}

fn nested(levels: usize, inner: &str) -> String {
    let mut doc = String::new();
    for _ in 0..levels {
        doc.push_str("{\"a\":");
    }
    doc.push_str(inner);
    for _ in 0..levels {
        doc.push('}');
    }
    doc
}

#[test]
fn refuses_oversized_and_deep_json() {
    let doc = nested(MAX_DEPTH + 1, "1");
    assert_eq!(check(doc.as_bytes()), Err(Error::TooLarge));
    // arrays count as levels too
    let doc = nested(MAX_DEPTH, "[1]");
    assert_eq!(check(doc.as_bytes()), Err(Error::TooLarge));
    let big = [b' '; MAX_DOCUMENT + 1];
    assert_eq!(check(&big), Err(Error::TooLarge));
}

/// RFC 9396 `authorization_details` and real claim sets nest deeper than
/// 12 levels: at least 32 are accepted, by the check and the typed parser,
/// and neither needs more stack for them (both run here on a thread with a
/// 64 KiB stack).
#[test]
fn rfc9396_nesting_to_32_levels_is_accepted() {
    const { assert!(MAX_DEPTH >= 32) };
    let deep = nested(MAX_DEPTH, "1");
    assert_eq!(check(deep.as_bytes()), Ok(()));
    let rar = format!(
        r#"{{"iss":"c","authorization_details":[{}]}}"#,
        nested(MAX_DEPTH - 2, r#""x""#)
    );
    #[derive(serde::Deserialize)]
    struct Req<'a> {
        iss: &'a str,
        authorization_details: Option<serde::de::IgnoredAny>,
    }
    let worker = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            assert_eq!(check(deep.as_bytes()), Ok(()));
            let r: Req<'_> = parse(rar.as_bytes()).unwrap();
            assert_eq!(r.iss, "c");
            assert!(r.authorization_details.is_some());
        })
        .unwrap();
    worker.join().unwrap();
}

#[test]
fn refuses_too_many_members() {
    let mut doc = String::from("{");
    for i in 0..=MAX_MEMBERS {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&format!("\"k{i}\":0"));
    }
    doc.push('}');
    assert_eq!(check(doc.as_bytes()), Err(Error::TooLarge));
    if cfg!(miri) {
        // The document below is a whole MAX_DOCUMENT: under Miri (about
        // 1000 times slower) its scan alone takes a minute; natively only.
        return;
    }
    // MAX_MEMBERS in each of MAX_DEPTH open objects.
    let mut wide = String::new();
    for _ in 0..MAX_DEPTH {
        wide.push('{');
        for i in 0..MAX_MEMBERS - 1 {
            wide.push_str(&format!("\"m{i}\":0,"));
        }
        wide.push_str("\"z\":");
    }
    wide.push('1');
    for _ in 0..MAX_DEPTH {
        wide.push('}');
    }
    assert!(wide.len() <= MAX_DOCUMENT, "{}", wide.len());
    assert_eq!(check(wide.as_bytes()), Ok(()));
}

#[derive(serde::Deserialize, Debug)]
struct H<'a> {
    alg: &'a str,
    kid: Option<&'a str>,
    n: Option<u64>,
}

/// RFC 8259 §7: any character may be escaped, and every valid JSON string
/// is read as the text it stands for: PHP's `\/`, non-ASCII escapes,
/// escaped ASCII, surrogate pairs, quotes, backslashes and controls, in
/// values and in member names.
#[test]
fn rfc8259_7_every_escaped_string_is_readable() {
    let cases: &[(&str, &str)] = &[
        (r#""a\/b""#, "a/b"),
        (r#""caf\u00e9""#, "café"),
        (r#""\u0078""#, "x"),
        (r#""\ud83d\ude00!""#, "😀!"),
        (r#""a\"b\\c""#, "a\"b\\c"),
        (r#""\b\f\n\r\t\u0000""#, "\u{8}\u{c}\n\r\t\u{0}"),
        (r#""\u20AC\u2028""#, "€\u{2028}"),
    ];
    for (json, want) in cases {
        let doc = format!(r#"{{"\u0061lg":"ES256","kid":{json}}}"#);
        let need = scratch_len(doc.as_bytes()).unwrap();
        assert_eq!(need, want.len(), "{doc}");
        let mut scratch = std::vec![0u8; need];
        let h: H<'_> = parse_in(doc.as_bytes(), &mut scratch).unwrap();
        assert_eq!((h.alg, h.kid), ("ES256", Some(*want)), "{doc}");
        // Too little scratch is the caller's mistake, not the input's.
        if need > 0 {
            let mut short = std::vec![0u8; need - 1];
            assert_eq!(
                parse_in::<H<'_>>(doc.as_bytes(), &mut short).err(),
                Some(Error::BufferTooSmall),
                "{doc}"
            );
        }
        // serde_json reads the same value.
        let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(v["kid"], *want);
    }
    // Without escapes, no scratch at all.
    let h: H<'_> = parse(br#"{"alg":"ES256","n":7}"#).unwrap();
    assert_eq!((h.alg, h.kid, h.n), ("ES256", None, Some(7)));
}

#[test]
fn parse_types_and_shapes() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct T<'a> {
        #[serde(borrow)]
        list: Option<heapless::Vec<&'a str, 2>>,
        flag: Option<bool>,
        neg: Option<i64>,
        f: Option<f64>,
        #[serde(borrow)]
        inner: Option<Inner<'a>>,
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Inner<'a> {
        v: &'a str,
    }
    let t: T<'_> = parse(
        br#"{"skip":{"a":[1,{"b":"}"}],"c":"\"]"},"list":["a","b"],"flag":true,"neg":-5,"f":1.5e1,"inner":{"v":"x","w":[null]},"z":null}"#,
    )
    .unwrap();
    assert_eq!(t.list.unwrap().as_slice(), &["a", "b"]);
    assert_eq!((t.flag, t.neg, t.f), (Some(true), Some(-5), Some(15.0)));
    assert_eq!(t.inner, Some(Inner { v: "x" }));
    // A list over its bound is over a limit: TooLarge.
    assert_eq!(
        parse::<T<'_>>(br#"{"list":["a","b","c"]}"#).err(),
        Some(Error::TooLarge)
    );
    // Wrong shapes are Json.
    for bad in [
        &br#"{"list":"a"}"#[..],
        br#"{"flag":1}"#,
        br#"{"neg":1.5}"#,
        br#"{"inner":[]}"#,
        br#"{"inner":{"v":1}}"#,
        br#"{"list":[1]}"#,
    ] {
        assert_eq!(
            parse::<T<'_>>(bad).err(),
            Some(Error::Json),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    assert_eq!(parse::<H<'_>>(b"{\"alg\":5}").err(), Some(Error::Json));
    assert_eq!(
        parse::<H<'_>>(b"{\"alg\":\"x\",\"alg\":\"y\"}").err(),
        Some(Error::DuplicateMember)
    );
}

#[test]
fn normalize_rewrites_every_escape_json_does_not_require() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"htu":"https:\/\/a.example\/t"}"#,
            r#"{"htu":"https://a.example/t"}"#,
        ),
        (r#"{"\u0061lg":"ES\u0032\u00356"}"#, r#"{"alg":"ES256"}"#),
        (r#"{"k":"a\u003db"}"#, r#"{"k":"a=b"}"#),
        (r#"{"k":"caf\u00e9 \u20ac"}"#, r#"{"k":"café €"}"#),
        (r#"{"k":"\ud83d\ude00"}"#, r#"{"k":"😀"}"#),
        // kept: quote, backslash, controls, lone surrogates
        (
            r#"{"k":"\u0022\u005c\u000a\ud800\udc00x"}"#,
            r#"{"k":"\u0022\u005c\u000a𐀀x"}"#,
        ),
        (r#"{"k":"\ud800x"}"#, r#"{"k":"\ud800x"}"#),
        // an escaped backslash followed by a slash is two characters
        (r#"{"k":"\\/"}"#, r#"{"k":"\\/"}"#),
        (r#"{"k":"\\\/"}"#, r#"{"k":"\\/"}"#),
        (r#"{"k":"\"\/"}"#, r#"{"k":"\"/"}"#),
        // outside strings nothing changes; malformed escapes are kept
        (r#"{"k":1}\/"#, r#"{"k":1}\/"#),
        (r#"{"k":"\u00"}"#, r#"{"k":"\u00"}"#),
        (r#"{"k":"\"#, r#"{"k":"\"#),
    ];
    for (input, want) in cases {
        let mut buf = input.as_bytes().to_vec();
        let n = normalize_escapes(&mut buf);
        assert_eq!(core::str::from_utf8(&buf[..n]).unwrap(), *want, "{input}");
        // The same value as a standard parser reads it.
        if let (Ok(a), Ok(b)) = (
            serde_json::from_str::<serde_json::Value>(input),
            serde_json::from_slice::<serde_json::Value>(&buf[..n]),
        ) {
            assert_eq!(a, b, "{input}");
        }
    }
}

#[test]
fn writer_escapes() {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf);
    w.raw(b"{").unwrap();
    w.key("k").unwrap();
    w.string("a\"b\\c\u{1}").unwrap();
    w.raw(b",\"n\":").unwrap();
    w.uint(1234567890).unwrap();
    w.raw(b"}").unwrap();
    let v: serde_json::Value = serde_json::from_slice(w.as_bytes()).unwrap();
    assert_eq!(v["k"], "a\"b\\c\u{1}");
    assert_eq!(v["n"], 1234567890);
    let mut small = [0u8; 2];
    assert_eq!(
        Writer::new(&mut small).string("abc").err(),
        Some(Error::BufferTooSmall)
    );
    // What the writer escapes, the parser reads back.
    let doc = w.as_bytes().to_vec();
    let mut scratch = [0u8; 16];
    #[derive(serde::Deserialize)]
    struct K<'a> {
        k: &'a str,
    }
    let k: K<'_> = parse_in(&doc, &mut scratch).unwrap();
    assert_eq!(k.k, "a\"b\\c\u{1}");
}

#[test]
fn non_float_targets_refuse_fractions_and_exponents() {
    #[derive(serde::Deserialize, Debug)]
    struct N<'a> {
        #[allow(dead_code, reason = "only whether it parses is checked")]
        n: Option<u64>,
        #[allow(dead_code, reason = "only whether it parses is checked")]
        s: Option<&'a str>,
    }
    for bad in [
        &br#"{"n":1.0}"#[..],
        br#"{"n":1e2}"#,
        br#"{"n":-1}"#,
        br#"{"n":18446744073709551616}"#,
        br#"{"s":1.5}"#,
        br#"{"s":7}"#,
    ] {
        assert_eq!(
            parse::<N<'_>>(bad).err(),
            Some(Error::Json),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    assert!(parse::<N<'_>>(br#"{"n":18446744073709551615,"s":"x"}"#).is_ok());
    // A float target still reads every number.
    #[derive(serde::Deserialize)]
    struct F {
        f: f64,
    }
    for (doc, want) in [
        (&br#"{"f":1e2}"#[..], 100.0),
        (br#"{"f":-7}"#, -7.0),
        (
            br#"{"f":18446744073709551616}"#,
            18_446_744_073_709_551_616.0,
        ),
    ] {
        assert_eq!(parse::<F>(doc).unwrap().f, want);
    }
}

#[test]
fn writer_uint_writes_every_u64_in_decimal() {
    let mut n = 1u64;
    let mut values = std::vec![0, 9, 10, 99, 100, u64::from(u32::MAX), u64::MAX];
    for _ in 0..40 {
        values.extend([n - 1, n, n + 1]);
        n = n.saturating_mul(3);
    }
    values.extend([10_000_000_000_000_000_000, 4_294_967_296, 42_949_672_960]);
    for v in values {
        let mut buf = [0u8; 20];
        let mut w = Writer::new(&mut buf);
        w.uint(v).unwrap();
        assert_eq!(w.as_bytes(), format!("{v}").as_bytes());
    }
}

/// The eight-bytes-at-a-time run length agrees with a byte loop on every
/// position of every special byte (`"`, `\`, each control character) in
/// runs of every length up to 40, with plain bytes of all kinds around it
/// (ASCII, UTF-8 continuation and lead bytes, 0x20 and 0x7f), and on
/// pseudo-random input.
#[test]
fn plain_run_length_matches_a_byte_loop() {
    fn naive(b: &[u8]) -> usize {
        b.iter()
            .take_while(|c| !matches!(c, b'"' | b'\\' | 0x00..=0x1f))
            .count()
    }
    let fillers = [
        b'a', b' ', 0x7f, 0x80, 0xbf, 0xc3, 0xff, b'!', b'#', b'[', b']', b'}',
    ];
    let mut specials: std::vec::Vec<u8> = (0u8..0x20).collect();
    specials.extend_from_slice(b"\"\\");
    // Under Miri (about 1000 times slower) lengths up to 10 (past one
    // eight-byte step) and two fillers; natively all of them.
    let (max_len, fillers) = if cfg!(miri) {
        (10usize, &fillers[..2])
    } else {
        (40, &fillers[..])
    };
    for len in 0..max_len {
        for &f in fillers {
            let plain = std::vec![f; len];
            assert_eq!(plain_len(&plain), len);
            for at in 0..len {
                for &sp in &specials {
                    let mut t = plain.clone();
                    t[at] = sp;
                    // A second special byte later must not move the first.
                    if at + 3 < len {
                        t[at + 3] = b'"';
                    }
                    assert_eq!(plain_len(&t), naive(&t), "{t:?}");
                    assert_eq!(plain_len(&t), at);
                }
            }
        }
    }
    let mut x = 0x243f_6a88_85a3_08d3u64;
    // Fewer rounds under Miri, which runs this about 1000 times slower.
    let rounds = if cfg!(miri) { 100 } else { 20_000 };
    for _ in 0..rounds {
        let t: std::vec::Vec<u8> = (0..(x % 50))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Mostly plain, with specials now and then.
                match x % 16 {
                    0 => b'"',
                    1 => b'\\',
                    2 => (x >> 8) as u8 & 0x1f,
                    _ => (x >> 16) as u8 | 0x20,
                }
            })
            .collect();
        assert_eq!(plain_len(&t), naive(&t), "{t:?}");
    }
}

/// RFC 7515 §4, RFC 7519 §4: duplicates are found whichever of the two
/// names holds an escape, and names that only share a prefix are not
/// duplicates.
#[test]
fn duplicate_names_plain_and_escaped() {
    for dup in [
        &br#"{"alg":1,"alg":2}"#[..],
        br#"{"\u0061lg":1,"alg":2}"#,
        br#"{"alg":1,"\u0061lg":2}"#,
        br#"{"a\/b":1,"a/b":2}"#,
        br#"{"x":1,"y":{"k":1,"kid":2,"k":3}}"#,
    ] {
        assert_eq!(check(dup), Err(Error::DuplicateMember), "{dup:?}");
    }
    for ok in [
        &br#"{"al":1,"alg":2,"a":3,"algs":4}"#[..],
        br#"{"\u0061l":1,"alg":2}"#,
        br#"{"k":{"k":1},"kid":{"k":2}}"#,
        br#"{"a\"":1,"a":2}"#,
    ] {
        assert_eq!(check(ok), Ok(()), "{ok:?}");
    }
}

/// The old two passes: the check, the scratch it says the document needs
/// (set aside, as a JWS header's was), then the parse.
fn two_pass<'a, T: serde::Deserialize<'a>>(
    doc: &'a [u8],
    scratch: &'a mut [u8],
) -> Result<(T, usize), Error> {
    let need = scratch_len(doc)?;
    let (mine, rest) = scratch
        .split_at_mut_checked(need)
        .ok_or(Error::BufferTooSmall)?;
    let value = parse_checked_in(doc, mine)?;
    Ok((value, rest.len()))
}

/// The parse that checks as it goes (`parse_checking_in`) against the check
/// followed by the parse: the same value, the same scratch left after the
/// document's need, and the same error, for every document and scratch
/// size, on targets of every shape fapi reads (strings, integers, floats,
/// booleans, bounded lists, nested objects, unit enums, ignored members).
macro_rules! same_as_two_passes {
    ($t:ty, $doc:expr) => {{
        let doc: &[u8] = $doc;
        let need = scratch_len(doc).unwrap_or(0);
        for room in [0, need.saturating_sub(1), need, need + 3, doc.len()] {
            let mut a = std::vec![0u8; room];
            let mut b = std::vec![0u8; room];
            let old = two_pass::<$t>(doc, &mut a).map(|(v, rest)| (format!("{v:?}"), rest));
            let new = parse_checking_in::<$t>(doc, &mut b)
                .map(|(v, rest)| (format!("{v:?}"), rest.len()));
            assert_eq!(old, new, "room {room}: {}", String::from_utf8_lossy(doc));
        }
    }};
}

#[derive(serde::Deserialize, Debug)]
#[allow(dead_code, reason = "read through Debug")]
struct OnePassHeader<'a> {
    #[serde(borrow)]
    alg: Option<&'a str>,
    #[serde(borrow)]
    typ: Option<&'a str>,
    #[serde(borrow)]
    crit: Option<heapless::Vec<&'a str, 2>>,
    b64: Option<bool>,
    #[serde(borrow)]
    jwk: Option<OnePassJwk<'a>>,
    x5c: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize, Debug)]
#[allow(dead_code, reason = "read through Debug")]
struct OnePassJwk<'a> {
    #[serde(borrow)]
    kty: Option<&'a str>,
    #[serde(borrow)]
    x: Option<&'a str>,
    #[serde(rename = "use")]
    use_: Option<OnePassUse>,
}

#[derive(serde::Deserialize, Debug)]
enum OnePassUse {
    #[serde(rename = "sig")]
    Sig,
    #[serde(rename = "enc")]
    Enc,
}

#[derive(serde::Deserialize, Debug)]
#[allow(dead_code, reason = "read through Debug")]
struct OnePassClaims<'a> {
    #[serde(borrow)]
    iss: Option<&'a str>,
    exp: Option<u64>,
    neg: Option<i64>,
    f: Option<f64>,
    #[serde(borrow)]
    aud: Option<heapless::Vec<&'a str, 3>>,
    #[serde(borrow)]
    cnf: Option<OnePassCnf<'a>>,
}

#[derive(serde::Deserialize, Debug)]
#[allow(dead_code, reason = "read through Debug")]
struct OnePassCnf<'a> {
    #[serde(borrow)]
    jkt: Option<&'a str>,
}

const ONE_PASS_SEEDS: &[&str] = &[
    r#"{"alg":"ES256","typ":"dpop+jwt","jwk":{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","use":"sig"}}"#,
    r#"{"alg":"EdDSA","crit":["b64"],"b64":false,"x5c":["MIIB",{"a":[1,2]}],"kid":"k\/1"}"#,
    r#"{"iss":"https:\/\/as.example","exp":1700000000,"neg":-3,"f":1.5e3,"aud":["a","b\u00e9"],"cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I","x5t#S256":"x"},"z":[[[{"q":null}]]],"t":true}"#,
    r#" { "iss" : "a\"b" , "cnf" : { "jkt" : "\ud83d\ude00" } , "u" : [ ] , "o" : { } } "#,
    r#"{"jwk":{"kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc","k":{"\u006b":1,"k":2}}}"#,
    r#"{"aud":"single","exp":0,"neg":-9223372036854775808,"f":-0.0e-0}"#,
];

#[test]
fn one_pass_parse_is_the_check_then_the_parse() {
    // Seeds, then random mutations of them (a fixed xorshift stream, so
    // that a failure is reproducible): bytes replaced by JSON's
    // structural characters, escapes, bad UTF-8 and controls; bytes
    // inserted and removed; members repeated; nesting deepened.
    const ALPHABET: &[u8] = b"{}[]\",:\\ \t0123456789-+.eEuaxtrfnl\x01\x7f\xc3\xa9\xff";
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut docs: std::vec::Vec<std::vec::Vec<u8>> = ONE_PASS_SEEDS
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    for seed in ONE_PASS_SEEDS {
        let seed = seed.as_bytes();
        // Fewer under Miri, which interprets every step.
        for _ in 0..if cfg!(miri) { 20 } else { 2500 } {
            let mut d = seed.to_vec();
            for _ in 0..=(next() % 3) {
                let at = usize::try_from(next() % (d.len() as u64 + 1)).unwrap();
                let c = ALPHABET[usize::try_from(next() % ALPHABET.len() as u64).unwrap()];
                match next() % 4 {
                    0 if at < d.len() => d[at] = c,
                    1 => d.insert(at, c),
                    2 if at < d.len() => {
                        let _ = d.remove(at);
                    }
                    _ => {
                        // Repeat a slice of the document (often a member).
                        let len = usize::try_from(next() % 24).unwrap();
                        let from = at.min(d.len());
                        let to = (from + len).min(d.len());
                        let piece = d[from..to].to_vec();
                        let put = usize::try_from(next() % (d.len() as u64 + 1)).unwrap();
                        for (i, b) in piece.into_iter().enumerate() {
                            d.insert(put + i, b);
                        }
                    }
                }
            }
            docs.push(d);
        }
    }
    // The limits, at and over them (natively only: under Miri, about 1000
    // times slower, their long documents take minutes).
    if !cfg!(miri) {
        docs.push(nested(MAX_DEPTH - 1, "1").into_bytes());
        docs.push(nested(MAX_DEPTH, "1").into_bytes());
        docs.push(format!(r#"{{"cnf":{}}}"#, nested(MAX_DEPTH - 2, "{}")).into_bytes());
        docs.push(format!(r#"{{"cnf":{}}}"#, nested(MAX_DEPTH - 1, "{}")).into_bytes());
        for n in [MAX_MEMBERS, MAX_MEMBERS + 1] {
            let members: std::vec::Vec<String> = (0..n).map(|i| format!(r#""m{i}":{i}"#)).collect();
            docs.push(format!("{{{}}}", members.join(",")).into_bytes());
            docs.push(format!(r#"{{"cnf":{{{}}}}}"#, members.join(",")).into_bytes());
            docs.push(format!(r#"{{"x":[{{{}}}]}}"#, members.join(",")).into_bytes());
        }
        docs.push(std::vec![b' '; MAX_DOCUMENT + 1]);
    }
    let mut accepted = 0usize;
    for doc in &docs {
        accepted += usize::from(check(doc).is_ok());
        same_as_two_passes!(OnePassHeader<'_>, doc);
        same_as_two_passes!(OnePassClaims<'_>, doc);
    }
    // The mutations reach both sides of the check.
    if !cfg!(miri) {
        assert!(
            accepted > 500 && accepted < docs.len() - 500,
            "{accepted} of {}",
            docs.len()
        );
    }
}

/// The typed parse that checks as it goes refuses, with the check's error,
/// what the check refuses, wherever in the document it is: duplicate
/// members in read objects, in skipped ones and inside arrays, bad UTF-8,
/// controls and bad escapes in skipped strings, bad numbers, nesting,
/// trailing data.
#[test]
fn one_pass_parse_refuses_what_the_check_refuses() {
    let cases: &[(&[u8], Error)] = &[
        (br#"{"iss":"a","iss":"b"}"#, Error::DuplicateMember),
        (br#"{"iss":"a","\u0069ss":"b"}"#, Error::DuplicateMember),
        (br#"{"cnf":{"jkt":"a","jkt":"b"}}"#, Error::DuplicateMember),
        (
            br#"{"skip":{"a":1,"a":2},"iss":"x"}"#,
            Error::DuplicateMember,
        ),
        (br#"{"skip":[{"a":1,"a":2}]}"#, Error::DuplicateMember),
        (
            br#"{"exp":"x","iss":"a","iss":"b"}"#,
            Error::DuplicateMember,
        ),
        (b"{\"skip\":\"\xff\"}", Error::Json),
        (b"{\"iss\":\"a\x01\"}", Error::Json),
        (b"{\"skip\":\"a\x01\"}", Error::Json),
        (br#"{"skip":"\x"}"#, Error::Json),
        (br#"{"iss":"\ud800"}"#, Error::Json),
        (br#"{"exp":01}"#, Error::Json),
        (br#"{"f":-.5}"#, Error::Json),
        (br#"{"skip":1.}"#, Error::Json),
        (br#"{"iss":"a"} x"#, Error::Json),
        (br#"{"iss":"a"}{}"#, Error::Json),
        (br#"[]"#, Error::Json),
    ];
    for (doc, want) in cases {
        let mut scratch = [0u8; 64];
        assert_eq!(
            parse_checking_in::<OnePassClaims<'_>>(doc, &mut scratch).err(),
            Some(*want),
            "{}",
            String::from_utf8_lossy(doc)
        );
        same_as_two_passes!(OnePassClaims<'_>, doc);
    }
}
