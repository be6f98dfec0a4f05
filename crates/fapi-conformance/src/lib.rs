//! Test support for the conformance tests in `tests/`: the backends under
//! test, hex, a strict DER-to-raw ECDSA signature converter and the
//! Wycheproof folder.

use std::path::PathBuf;

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExample;

use fapi_core::PublicKeyVerifier;

/// Every verification backend, by name.
pub fn backends() -> [(&'static str, &'static dyn PublicKeyVerifier); 2] {
    [
        ("rustcrypto", &fapi_rustcrypto::RUSTCRYPTO),
        ("awslc", &fapi_awslc::AWSLC),
    ]
}

/// Decodes lower- or upper-case hex. Panics on bad input: test data only.
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Converts a strict DER `ECDSA-Sig-Value` (`SEQUENCE { r INTEGER, s INTEGER }`)
/// to the 64-byte `r || s` that JWS uses. Refuses (`None`) anything that is
/// not minimal DER: long-form lengths where short form fits, negative or
/// zero-padded integers, integers over 32 bytes, trailing bytes.
pub fn der_to_raw(der: &[u8]) -> Option<[u8; 64]> {
    let (body, rest) = der_tlv(der, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (r, body) = der_tlv(body, 0x02)?;
    let (s, body) = der_tlv(body, 0x02)?;
    if !body.is_empty() {
        return None;
    }
    let mut out = [0u8; 64];
    put_int(r, &mut out[..32])?;
    put_int(s, &mut out[32..])?;
    Some(out)
}

fn der_tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&l, rest) = rest.split_first()?;
    let (len, rest) = match l {
        0..=0x7f => (usize::from(l), rest),
        0x81 => {
            let (&l2, rest) = rest.split_first()?;
            if l2 < 0x80 {
                return None; // short form would have done
            }
            (usize::from(l2), rest)
        }
        _ => return None, // nothing here is 256 bytes or longer
    };
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

fn put_int(int: &[u8], out: &mut [u8]) -> Option<()> {
    let (&first, _) = int.split_first()?;
    if first & 0x80 != 0 {
        return None; // negative
    }
    let int = if first == 0 {
        // A leading zero is only allowed before a byte with the top bit set.
        match int.get(1) {
            Some(b) if b & 0x80 != 0 => &int[1..],
            _ if int.len() == 1 => int,
            _ => return None,
        }
    } else {
        int
    };
    if int.len() > out.len() {
        return None;
    }
    let start = out.len() - int.len();
    out[start..].copy_from_slice(int);
    Some(())
}

/// The Wycheproof folder: `$FAPI_WYCHEPROOF_DIR`, else
/// `<workspace>/../shared/vectors/wycheproof`. When it is missing the tests
/// skip and say so loudly; under `CI=true` a missing folder fails.
pub fn wycheproof_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FAPI_WYCHEPROOF_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/wycheproof")
        });
    if dir.is_dir() {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !ci,
        "Wycheproof vectors missing at {} and CI=true",
        dir.display()
    );
    eprintln!(
        "\n*** SKIPPED: Wycheproof vectors not found at {} (set FAPI_WYCHEPROOF_DIR) ***\n",
        dir.display()
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_conversion_is_strict() {
        // r = 1, s = 0x80 (needs a leading zero)
        let ok = [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80];
        let raw = der_to_raw(&ok).unwrap();
        assert_eq!(raw[31], 1);
        assert_eq!(raw[63], 0x80);
        // unneeded leading zero, negative integer, trailing byte
        assert!(der_to_raw(&[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]).is_none());
        assert!(der_to_raw(&[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01]).is_none());
        assert!(der_to_raw(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]).is_none());
    }
}
