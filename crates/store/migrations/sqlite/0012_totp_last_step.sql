-- The last 30-second step whose second-factor code signed an account in: a code is accepted once (RFC 6238
-- section 5.2), so one seen over a shoulder or caught by a phishing page cannot be used again while it is still
-- valid. Additive only. The PostgreSQL flavour in ../postgres/0012_totp_last_step.sql is the same.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
