//! Timestamps as the lab stores them: fixed-width RFC 3339 text in UTC, so
//! that SQLite's text ordering is time ordering ("newest first" is a plain
//! `ORDER BY ... DESC`) and every file stays readable with the sqlite3 shell.

use chrono::{DateTime, SecondsFormat, Utc};

pub(crate) fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn now_text() -> String {
    to_text(Utc::now())
}

/// Parses a stored timestamp; the lab only ever writes `to_text`'s form,
/// so anything else is reported rather than guessed at.
pub(crate) fn parse(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("stored timestamp `{s}` is not RFC 3339 ({e})"))
}

pub(crate) fn parse_opt(s: Option<String>) -> Result<Option<DateTime<Utc>>, String> {
    s.map(|s| parse(&s)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_time_order() {
        let early = to_text("2024-01-02T03:04:05.000001Z".parse().unwrap());
        let late = to_text("2024-01-02T03:04:05.1Z".parse().unwrap());
        assert!(early < late, "{early} should sort before {late}");
        assert_eq!(
            parse(&late).unwrap().to_rfc3339(),
            "2024-01-02T03:04:05.100+00:00"
        );
        assert!(parse("yesterday").unwrap_err().contains("yesterday"));
    }
}
