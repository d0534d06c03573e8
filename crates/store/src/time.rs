//! How timestamps cross into the database.
//!
//! PostgreSQL stores them as `TIMESTAMPTZ`. SQLite has no time type, and sqlx's default for `DateTime<Utc>` there
//! is RFC 3339 text whose fractional part varies in width, which would make text comparison (and so ordering and
//! range queries) subtly wrong. SQLite columns therefore hold INTEGER microseconds since the Unix epoch, UTC:
//! they compare as numbers, index compactly and cover every year chrono can represent. [`DbTime`] is the one type
//! that queries bind and read for every timestamp column, so the same query text serves both backends.

use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

/// A UTC timestamp as stored: `TIMESTAMPTZ` on PostgreSQL, INTEGER microseconds on SQLite.
///
/// Precision is the microsecond on both backends (PostgreSQL's own), so a value reads back the same from either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DbTime(pub(crate) DateTime<Utc>);

impl From<DateTime<Utc>> for DbTime {
    fn from(t: DateTime<Utc>) -> Self {
        DbTime(t)
    }
}

impl Type<Sqlite> for DbTime {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for DbTime {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode_by_ref(&self.0.timestamp_micros(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for DbTime {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let micros = <i64 as Decode<Sqlite>>::decode(value)?;
        DateTime::from_timestamp_micros(micros)
            .map(DbTime)
            .ok_or_else(|| format!("timestamp {micros} µs is out of range").into())
    }
}

impl Type<Postgres> for DbTime {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for DbTime {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for DbTime {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        <DateTime<Utc> as Decode<Postgres>>::decode(value).map(DbTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_integer_order_matches_time_order() {
        let early = DateTime::from_timestamp_micros(-1).unwrap();
        let late = DateTime::from_timestamp_micros(1_700_000_000_000_001).unwrap();
        assert!(early.timestamp_micros() < late.timestamp_micros());
        // The whole chrono range fits an i64 of microseconds, so encoding never overflows.
        assert!(DateTime::<Utc>::MAX_UTC.timestamp_micros() > late.timestamp_micros());
        assert!(DateTime::<Utc>::MIN_UTC.timestamp_micros() < early.timestamp_micros());
    }
}
