//! Password storage with argon2id.
//!
//! The parameters are OWASP's minimum recommendation for argon2id (19 MiB, two passes, one lane): strong enough
//! that a leaked table is expensive to attack, cheap enough that a login costs tens of milliseconds on the
//! small machines Tidings runs on. They are written into each PHC string, so raising them later still verifies
//! old hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use ring::rand::{SecureRandom, SystemRandom};

/// Memory cost in KiB (OWASP: 19 MiB).
const MEMORY_KIB: u32 = 19_456;
/// Number of passes over the memory.
const ITERATIONS: u32 = 2;
/// Degree of parallelism; one lane keeps a login to one core.
const LANES: u32 = 1;

/// Highest costs [`verify`] will run: well above today's, so hashes made with raised parameters still verify.
const MAX_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ITERATIONS: u32 = 16;
const MAX_LANES: u32 = 8;

/// Shortest password accepted: length is what makes guessing expensive.
const MIN_CHARS: usize = 10;
/// Longest password accepted, so one login cannot make the server hash megabytes.
const MAX_CHARS: usize = 256;

/// Passwords that are long enough to pass the length rule but are among the first any attacker tries.
const COMMON: &[&str] = &[
    "password123",
    "password1234",
    "passw0rd123",
    "1234567890",
    "12345678910",
    "123456789012",
    "0123456789",
    "0987654321",
    "1111111111",
    "0000000000",
    "1234512345",
    "qwertyuiop",
    "qwerty12345",
    "qwerty123456",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "asdfghjkl1",
    "zaq12wsxcde3",
    "iloveyou123",
    "letmein123",
    "welcome123",
    "football123",
    "baseball123",
    "princess123",
    "sunshine123",
    "dragon12345",
    "monkey12345",
    "abc1234567",
    "abcdefghij",
    "changeme123",
    "trustno1234",
    "administrator",
    "passwordpassword",
];

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The operating system's random source failed, so no salt could be drawn.
    #[error("no random salt available from the operating system")]
    Random,
    /// The argon2 implementation refused the parameters or the input.
    #[error("argon2 hashing failed: {0}")]
    Hash(String),
}

fn hasher() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) with a fresh random salt.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    SystemRandom::new().fill(&mut salt).map_err(|_| PasswordError::Random)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let phc = hasher()?.hash_password(password.as_bytes(), &salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(phc.to_string())
}

/// Whether `password` matches a stored PHC string. Malformed or unsupported hashes simply do not match: a
/// damaged row must lock its account out, not crash the login page.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    // The cost comes from the stored string; a corrupted or planted one must not make a login allocate gigabytes.
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_MEMORY_KIB || params.t_cost() > MAX_ITERATIONS || params.p_cost() > MAX_LANES {
        return false;
    }
    // The parameters come from the PHC string itself; the default instance only supplies the algorithm code.
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// Checks a new password against the account rules, returning a sentence for the reader when it is refused.
pub fn check_new(password: &str, username: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(format!("The password is too short: use at least {MIN_CHARS} characters."));
    }
    if chars > MAX_CHARS {
        return Err(format!("The password is too long: use at most {MAX_CHARS} characters."));
    }
    let lower = password.to_lowercase();
    let user = username.trim().to_lowercase();
    if user.chars().count() >= 3 && lower.contains(&user) {
        return Err("The password must not contain your username.".to_string());
    }
    if COMMON.contains(&lower.as_str()) {
        return Err(
            "This password is one of the most common ones and would be guessed quickly; choose another.".to_string()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hash_then_verify() {
        let phc = hash("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery staple", &phc));
        assert!(!verify("correct horse battery stapler", &phc));
        assert!(!verify("", &phc));
    }

    #[test]
    fn salts_differ() {
        assert_ne!(hash("same password here").unwrap(), hash("same password here").unwrap());
    }

    #[test]
    fn malformed_hashes_do_not_match() {
        for phc in ["", "$", "$argon2id$", "plaintext", "$argon2id$v=19$m=19456,t=2,p=1$$", "$bcrypt$x$y$z", "\0"] {
            assert!(!verify("anything", phc), "{phc:?}");
        }
    }

    #[test]
    fn extravagant_parameters_are_refused() {
        let phc = hash("correct horse battery staple").unwrap();
        let greedy = phc.replace("m=19456", "m=4000000");
        assert!(!verify("correct horse battery staple", &greedy));
        let slow = phc.replace("t=2", "t=1000");
        assert!(!verify("correct horse battery staple", &slow));
    }

    #[test]
    fn new_password_rules() {
        assert!(check_new("a fine long password", "alice").is_ok());
        assert!(check_new("short", "alice").unwrap_err().contains("at least 10"));
        assert!(check_new(&"x".repeat(257), "alice").unwrap_err().contains("at most 256"));
        assert!(check_new(&"x".repeat(256), "alice").is_ok());
        assert!(check_new("my name is ALICE!", "alice").unwrap_err().contains("username"));
        // Too short a name to judge: "al" appears in many ordinary passwords.
        assert!(check_new("totally normal words", "al").is_ok());
        assert!(check_new("Password123", "bob").unwrap_err().contains("common"));
        assert!(check_new("1234567890", "bob").is_err());
        // Length is counted in characters, not bytes.
        assert!(check_new("ééééé", "bob").is_err());
    }
}
