//! Session tokens and the CSRF tokens derived from them.
//!
//! A session token is 32 random bytes shown to the browser once (in the cookie); the database keeps only its
//! SHA-256, so a leaked table does not let anyone sign in. The CSRF token is derived from the session token
//! rather than stored: a page can embed it, and a cross-site attacker, who cannot read the cookie, cannot
//! compute it.

use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// Separates CSRF derivations from every other use of SHA-256 over a session token (such as [`hash`], which
/// is stored in the database): without it the CSRF token would be the stored hash.
const CSRF_DOMAIN: &[u8] = b"tidings-community/csrf/v1\0";
/// As [`CSRF_DOMAIN`], for the CSRF token of `/admin`'s forms worked by an admin account: a token the site's
/// pages embed (for readers' forms) is never one that `/admin` takes.
const ADMIN_CSRF_DOMAIN: &[u8] = b"tidings-community/admin-csrf/v1\0";

/// A new random token, 64 lowercase hex characters (safe in URLs and cookies); `None` when the operating
/// system's random source fails, which callers should treat as a server error rather than fall back.
pub fn new_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(hex::encode(bytes))
}

/// The form a token is stored in: SHA-256, lowercase hex. Tokens carry 256 random bits, so an unsalted fast
/// hash is enough.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token that belongs to a session token.
pub fn csrf_for(session_token: &str) -> String {
    derive(CSRF_DOMAIN, session_token)
}

/// The CSRF token of `/admin`'s forms for an admin account's session token.
pub fn admin_csrf_for(session_token: &str) -> String {
    derive(ADMIN_CSRF_DOMAIN, session_token)
}

fn derive(domain: &[u8], session_token: &str) -> String {
    let mut h = Sha256::new();
    h.update(domain);
    h.update(session_token.as_bytes());
    hex::encode(h.finalize())
}

/// Compares two secrets in time that depends only on their lengths, so a comparison does not reveal how many
/// leading characters an attacker guessed right.
pub fn constant_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_are_random_hex() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_ne!(a, b);
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn csrf_is_derived_and_distinct_from_the_stored_hash() {
        let t = new_token().unwrap();
        assert_eq!(csrf_for(&t), csrf_for(&t));
        assert_ne!(csrf_for(&t), hash(&t));
        assert_ne!(csrf_for(&t), csrf_for(&new_token().unwrap()));
        assert_eq!(csrf_for(&t).len(), 64);
    }

    #[test]
    fn constant_time_equality() {
        assert!(constant_eq("", ""));
        assert!(constant_eq("abcdef", "abcdef"));
        assert!(!constant_eq("abcdef", "abcdeg"));
        assert!(!constant_eq("abcdef", "abcde"));
        assert!(!constant_eq("abc", ""));
    }
}
