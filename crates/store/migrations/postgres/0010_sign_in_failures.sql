-- Failed sign-ins in a row, by key (an account name, an address), shared by every web process of a deployment so
-- that several processes do not each allow their own share of guesses. Additive only. The SQLite flavour in
-- ../sqlite/0010_sign_in_failures.sql differs only in types.
CREATE TABLE sign_in_failures (
    key              TEXT    PRIMARY KEY,
    failures         BIGINT  NOT NULL,
    last_failure_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_last ON sign_in_failures (last_failure_at);
