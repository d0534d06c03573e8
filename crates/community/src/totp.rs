//! Time-based one-time passwords (RFC 6238) for two-step sign-in.
//!
//! HMAC-SHA1, 30-second steps and 6 digits: the only combination every authenticator app supports, which is
//! what matters for a second factor readers set up themselves. SHA-1's collision weakness does not affect
//! HMAC. Secrets travel as base32 because that is what authenticator apps expect to be typed or scanned.

use ring::rand::{SecureRandom, SystemRandom};
use ring::{aead, hmac};

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
    verify_step(secret_b32, code, unix).is_some()
}

/// As [`verify`], and which time step (Unix time / 30 s) the code belongs to, so that a code can be accepted once:
/// the latest matching step when several do (they cannot, short of a collision of six digits).
pub fn verify_step(secret_b32: &str, code: &str, unix: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secret = base32_decode(secret_b32)?;
    // Every window is computed and compared, so the time taken does not reveal which step matched.
    [-STEP, 0, STEP].iter().fold(None, |found, &delta| {
        let at = unix.checked_add(delta);
        let matches = at
            .and_then(|t| code_with_digits(&secret, t, DIGITS))
            .is_some_and(|expected| crate::tokens::constant_eq(&expected, &code));
        match at {
            Some(t) if matches => Some(t.div_euclid(STEP)),
            _ => found,
        }
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

/// What marks a stored secret as sealed (and by which scheme); a stored secret without it is the plain base32
/// that accounts made before sealing kept, read as it is.
const SEALED_PREFIX: &str = "sealed:v1:";
/// ChaCha20-Poly1305's nonce and tag lengths.
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// The key that seals second-factor secrets in the database, so that a copy of the database alone (a backup, a
/// dump, a stolen disk image without the key file) does not give away every account's codes. 256 bits, kept as
/// hex in a file (`[accounts] secret_key_file`).
#[derive(Clone)]
pub struct SealingKey {
    bytes: [u8; 32],
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<not shown>)")
    }
}

/// Why a stored second-factor secret could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UnsealError {
    /// It is sealed, and no key was given.
    #[error("the second-factor secret is sealed and no key is configured")]
    NoKey,
    /// It is sealed with another key (or for another account), or it was altered.
    #[error("the second-factor secret was sealed with another key, or altered")]
    WrongKey,
    /// It starts as a sealed secret but is not one.
    #[error("the stored second-factor secret is damaged")]
    Damaged,
}

impl SealingKey {
    /// A new random key; `None` when the random source fails.
    pub fn generate() -> Option<SealingKey> {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).ok()?;
        Some(SealingKey { bytes })
    }

    /// Reads a key written by [`SealingKey::to_hex`] (64 hex digits; surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<SealingKey, String> {
        let decoded = hex::decode(text.trim()).map_err(|e| format!("not hexadecimal: {e}"))?;
        let bytes: [u8; 32] =
            decoded.try_into().map_err(|d: Vec<u8>| format!("{} bytes where a key has 32", d.len()))?;
        Ok(SealingKey { bytes })
    }

    /// The key as 64 hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes)
    }

    fn aead(&self) -> Option<aead::LessSafeKey> {
        aead::UnboundKey::new(&aead::CHACHA20_POLY1305, &self.bytes).ok().map(aead::LessSafeKey::new)
    }
}

/// Seals `secret` for the account `user_id` (the id is authenticated with it, so a sealed secret copied to
/// another account's row does not open); `None` when the random source fails.
pub fn seal(key: &SealingKey, user_id: i64, secret: &str) -> Option<String> {
    let mut nonce = [0u8; NONCE_BYTES];
    SystemRandom::new().fill(&mut nonce).ok()?;
    let mut sealed = secret.as_bytes().to_vec();
    key.aead()?
        .seal_in_place_append_tag(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(user_id.to_be_bytes()),
            &mut sealed,
        )
        .ok()?;
    Some(format!("{SEALED_PREFIX}{}{}", hex::encode(nonce), hex::encode(sealed)))
}

/// Whether a stored secret is sealed (an older account's may be plain).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// The secret stored for `user_id`: opened with `key` when sealed, as it is when plain.
pub fn unseal(key: Option<&SealingKey>, user_id: i64, stored: &str) -> Result<String, UnsealError> {
    let Some(rest) = stored.strip_prefix(SEALED_PREFIX) else { return Ok(stored.to_owned()) };
    let key = key.ok_or(UnsealError::NoKey)?;
    let bytes = hex::decode(rest).map_err(|_| UnsealError::Damaged)?;
    if bytes.len() < NONCE_BYTES + TAG_BYTES {
        return Err(UnsealError::Damaged);
    }
    let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
    let nonce = aead::Nonce::try_assume_unique_for_key(nonce).map_err(|_| UnsealError::Damaged)?;
    let mut sealed = sealed.to_vec();
    let aead = key.aead().ok_or(UnsealError::Damaged)?;
    let opened = aead
        .open_in_place(nonce, aead::Aad::from(user_id.to_be_bytes()), &mut sealed)
        .map_err(|_| UnsealError::WrongKey)?;
    String::from_utf8(opened.to_vec()).map_err(|_| UnsealError::Damaged)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_step_of_a_code_is_the_one_it_was_made_for() {
        let secret = new_secret().unwrap();
        let now = 1_700_000_000 - 1_700_000_000 % STEP + 10;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(verify_step(&secret, &code, now), Some(now / STEP));
        assert_eq!(verify_step(&secret, &code, now + STEP), Some(now / STEP), "a step late, still its own step");
        assert_eq!(verify_step(&secret, &code, now + 3 * STEP), None);
        assert_eq!(verify_step(&secret, "12345", now), None);
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_for_its_account() {
        let key = SealingKey::generate().unwrap();
        let secret = new_secret().unwrap();
        let sealed = seal(&key, 7, &secret).unwrap();
        assert!(is_sealed(&sealed) && !sealed.contains(&secret), "{sealed}");
        assert_ne!(seal(&key, 7, &secret).unwrap(), sealed, "a fresh nonce each time");
        assert_eq!(unseal(Some(&key), 7, &sealed), Ok(secret.clone()));
        assert_eq!(unseal(Some(&key), 8, &sealed), Err(UnsealError::WrongKey), "another account's row");
        let other = SealingKey::generate().unwrap();
        assert_eq!(unseal(Some(&other), 7, &sealed), Err(UnsealError::WrongKey));
        assert_eq!(unseal(None, 7, &sealed), Err(UnsealError::NoKey));
        assert_eq!(unseal(Some(&key), 7, "sealed:v1:00ff"), Err(UnsealError::Damaged));
        assert_eq!(unseal(Some(&key), 7, "sealed:v1:not hex"), Err(UnsealError::Damaged));
        let mut altered = sealed.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == '0' { '1' } else { '0' });
        assert_eq!(unseal(Some(&key), 7, &altered), Err(UnsealError::WrongKey));
        // A secret stored before sealing existed is read as it is.
        assert_eq!(unseal(Some(&key), 7, "JBSWY3DPEHPK3PXP"), Ok("JBSWY3DPEHPK3PXP".to_owned()));
        assert_eq!(unseal(None, 7, "JBSWY3DPEHPK3PXP"), Ok("JBSWY3DPEHPK3PXP".to_owned()));
    }

    #[test]
    fn a_key_survives_its_file_form_and_bad_files_are_named() {
        let key = SealingKey::generate().unwrap();
        let again = SealingKey::from_hex(&format!("  {}\n", key.to_hex())).unwrap();
        assert_eq!(again.to_hex(), key.to_hex());
        assert!(SealingKey::from_hex("abcd").unwrap_err().contains("2 bytes"));
        assert!(SealingKey::from_hex("xyz").unwrap_err().contains("not hexadecimal"));
        assert!(!format!("{key:?}").contains(&key.to_hex()), "Debug does not show the key");
    }
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
