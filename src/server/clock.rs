//! Time at the storage edge: the database keeps milliseconds since the Unix
//! epoch (UTC); the API shows RFC 3339.

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

pub fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// How long a background sender sleeps: until `due` (ms), when something
/// comes due before the next poll, else the poll interval.
pub fn pause_until(due: Option<i64>, poll: std::time::Duration) -> std::time::Duration {
    due.map_or(poll, |at| {
        std::time::Duration::from_millis(u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0))
            .min(poll)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            super::rfc3339(1_763_724_424_816),
            "2025-11-21T11:27:04.816Z"
        );
    }
}
