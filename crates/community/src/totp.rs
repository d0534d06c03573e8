//! Time-based one-time passwords (RFC 6238) for two-step sign-in.
//!
//! HMAC-SHA1, 30-second steps and 6 digits: the only combination every authenticator app supports, which is
//! what matters for a second factor readers set up themselves. SHA-1's collision weakness does not affect
//! HMAC. Secrets travel as base32 because that is what authenticator apps expect to be typed or scanned.

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// Seconds per step.
const STEP: i64 = 30;
/// Digits in the codes readers type.
const DIGITS: u32 = 6;
/// Secret length: 160 bits, RFC 4226's recommendation and the HMAC-SHA1 block's natural key size.
const SECRET_BYTES: usize = 20;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 (RFC 4648 alphabet) without padding, as authenticator apps display and accept it.
fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes base32, forgiving what people do when copying a secret by hand: lower case, spaces, hyphens and
/// trailing padding. Any other character makes the secret invalid.
fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in text.trim_end_matches(|c: char| c == '=' || c.is_whitespace()).chars() {
        if c.is_whitespace() || c == '-' {
            continue;
        }
        let value = match c.to_ascii_uppercase() {
            u @ 'A'..='Z' => u as u32 - 'A' as u32,
            d @ '2'..='7' => d as u32 - '2' as u32 + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A new random secret, base32 without padding (32 characters); `None` when the random source fails.
pub fn new_secret() -> Option<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(base32_encode(&bytes))
}

/// The code for the step containing `unix`, with a given number of digits (RFC 4226 dynamic truncation).
fn code_with_digits(secret: &[u8], unix: i64, digits: u32) -> Option<String> {
    if secret.is_empty() || unix < 0 {
        return None;
    }
    let counter = unix.div_euclid(STEP) as u64;
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(*mac.last()? & 0x0f);
    let window: [u8; 4] = mac.get(offset..offset + 4)?.try_into().ok()?;
    let value = u32::from_be_bytes(window) & 0x7fff_ffff;
    let code = value % 10u32.checked_pow(digits)?;
    Some(format!("{code:0width$}", width = digits as usize))
}

/// The 6-digit code for the moment `unix` (seconds since the epoch); `None` for an invalid or empty secret or a
/// time before the epoch.
pub fn code_at(secret_b32: &str, unix: i64) -> Option<String> {
    code_with_digits(&base32_decode(secret_b32)?, unix, DIGITS)
}

/// Whether `code` is right for the moment `unix`, allowing one step either way for clock drift and slow
/// typing. Spaces in the code are ignored ("123 456" is how many apps show it).
pub fn verify(secret_b32: &str, code: &str, unix: i64) -> bool {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Some(secret) = base32_decode(secret_b32) else {
        return false;
    };
    // Every window is computed and compared, so the time taken does not reveal which step matched.
    [-STEP, 0, STEP].iter().fold(false, |found, &delta| {
        let matches = unix
            .checked_add(delta)
            .and_then(|t| code_with_digits(&secret, t, DIGITS))
            .is_some_and(|expected| crate::tokens::constant_eq(&expected, &code));
        found | matches
    })
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `otpauth://` URI an authenticator app reads from a QR code: the label shows the issuer and the account,
/// and the issuer parameter lets apps group and name the entry.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        account = percent_encode(account),
        secret = percent_encode(secret_b32),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_sha1_vectors() {
        for (t, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_with_digits(RFC_SECRET, t, 8).unwrap(), code, "t={t}");
        }
    }

    #[test]
    fn base32_known_values() {
        // RFC 4648 section 10, without padding.
        for (raw, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(raw.as_bytes()), enc);
            assert_eq!(base32_decode(enc).unwrap(), raw.as_bytes());
        }
        assert_eq!(base32_encode(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(base32_decode("mzxw 6ytb-oi======").unwrap(), b"foobar");
        assert!(base32_decode("MZXW1").is_none());
        assert!(base32_decode("MZ=XW").is_none());
    }

    #[test]
    fn six_digit_codes_from_base32() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        // The last six digits of the RFC's eight-digit codes.
        assert_eq!(code_at(secret, 59).unwrap(), "287082");
        assert_eq!(code_at(secret, 1_111_111_109).unwrap(), "081804");
        assert!(code_at("", 59).is_none());
        assert!(code_at("not base32!", 59).is_none());
        assert!(code_at(secret, -1).is_none());
    }

    #[test]
    fn verify_accepts_adjacent_steps_only() {
        let secret = new_secret().unwrap();
        assert_eq!(secret.len(), 32);
        let now = 1_700_000_000;
        let code = code_at(&secret, now).unwrap();
        assert!(verify(&secret, &code, now));
        assert!(verify(&secret, &code, now + 30));
        assert!(verify(&secret, &code, now - 30));
        assert!(!verify(&secret, &code, now + 90));
        assert!(!verify(&secret, &code, now - 90));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(verify(&secret, &spaced, now));
        assert!(!verify(&secret, "", now));
        assert!(!verify(&secret, "12345", now));
        assert!(!verify(&secret, "abcdef", now));
        assert!(!verify("!!", &code, now));
        assert!(!verify(&secret, &code, i64::MAX));
        assert!(!verify(&secret, &code, i64::MIN));
    }

    #[test]
    fn uri_encodes_label_and_issuer() {
        let uri = otpauth_uri("Tidings News", "ann@example.org", "GEZDGNBV");
        assert_eq!(
            uri,
            "otpauth://totp/Tidings%20News:ann%40example.org?secret=GEZDGNBV&issuer=Tidings%20News\
             &algorithm=SHA1&digits=6&period=30"
        );
        assert!(otpauth_uri("a&b=c", "x:y/é", "S").starts_with("otpauth://totp/a%26b%3Dc:x%3Ay%2F%C3%A9?"));
    }

    proptest! {
        #[test]
        fn base32_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let encoded = base32_encode(&bytes);
            prop_assert!(encoded.bytes().all(|b| ALPHABET.contains(&b)));
            prop_assert_eq!(base32_decode(&encoded).unwrap(), bytes.clone());
            prop_assert_eq!(base32_decode(&encoded.to_lowercase()).unwrap(), bytes);
        }

        #[test]
        fn base32_decode_never_panics(text in "\\PC*") {
            let _ = base32_decode(&text);
        }
    }
}
