//! Usernames: the rules a new name must meet.
//!
//! Names appear in URLs, mentions and moderation logs, so they are kept to a small ASCII alphabet that needs no
//! escaping and cannot imitate another name with look-alike characters.

/// Names a reader may not take because readers would take them for the site or its staff.
const RESERVED: &[&str] =
    &["admin", "administrator", "moderator", "root", "system", "tidings", "deleted", "anonymous", "me"];

const MIN_CHARS: usize = 3;
const MAX_CHARS: usize = 32;

/// Checks a proposed username, returning it trimmed, or a sentence for the reader naming what is wrong.
pub fn check_username(name: &str) -> Result<String, String> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars < MIN_CHARS {
        return Err(format!("The username is too short: use at least {MIN_CHARS} characters."));
    }
    if chars > MAX_CHARS {
        return Err(format!("The username is too long: use at most {MAX_CHARS} characters."));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        let shown = if bad.is_whitespace() { "a space".to_string() } else { format!("“{bad}”") };
        return Err(format!(
            "The username contains {shown}: use only letters a–z, digits, underscores, hyphens and dots."
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("The username must start with a letter or a digit.".to_string());
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(format!("The username “{name}” is reserved; choose another."));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn accepts_and_trims() {
        assert_eq!(check_username("  alice  ").unwrap(), "alice");
        assert_eq!(check_username("Bob_the-2nd.x").unwrap(), "Bob_the-2nd.x");
        assert_eq!(check_username("007").unwrap(), "007");
        assert_eq!(check_username(&"a".repeat(32)).unwrap().len(), 32);
    }

    #[test]
    fn refuses_with_reasons() {
        assert!(check_username("ab").unwrap_err().contains("too short"));
        assert!(check_username("   ").unwrap_err().contains("too short"));
        assert!(check_username(&"a".repeat(33)).unwrap_err().contains("too long"));
        assert!(check_username("al ice").unwrap_err().contains("a space"));
        assert!(check_username("alïce").unwrap_err().contains("ï"));
        assert!(check_username("a<b>c").unwrap_err().contains("<"));
        assert!(check_username("_alice").unwrap_err().contains("start with"));
        assert!(check_username(".alice").unwrap_err().contains("start with"));
        assert!(check_username("Admin").unwrap_err().contains("reserved"));
        assert!(check_username(" TIDINGS ").unwrap_err().contains("reserved"));
        assert!(check_username("me").is_err());
        assert!(check_username("admins").is_ok());
    }
}
