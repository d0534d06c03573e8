//! Reader accounts and comments, as pure functions: the web crate owns the I/O (database, cookies, mail) and
//! calls these for every decision that must be the same everywhere and is worth testing on its own — how a
//! password is stored, what a session or CSRF token looks like, whether a TOTP code is good, what HTML a
//! comment becomes and whether it is published, held or refused.
#![deny(missing_docs)]

pub mod markdown;
pub mod moderation;
pub mod names;
pub mod password;
pub mod tokens;
pub mod totp;
