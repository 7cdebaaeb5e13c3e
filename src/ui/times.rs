//! Times as pages show them: one text on the server and in the browser.

/// "21 Nov 2026, 14:03 UTC" for an RFC 3339 time: the same text on the
/// server and in the browser, so hydration finds what was rendered. Written
/// out here rather than with the `time` crate, whose parser and formatter
/// would add to every page's WebAssembly for this one line; a property test
/// holds it to `time`'s answer.
pub fn format_time(rfc3339: &str) -> String {
    utc_minutes(rfc3339)
        .map(|minutes| {
            let (days, minute_of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
            let (year, month, day) = civil_from_days(days);
            format!(
                "{day} {} {year:04}, {:02}:{:02} UTC",
                MONTHS[(month - 1) as usize],
                minute_of_day / 60,
                minute_of_day % 60
            )
        })
        .unwrap_or_else(|| rfc3339.to_owned())
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Minutes since the Unix epoch of `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`,
/// seconds dropped.
fn utc_minutes(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0i64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (num(s.len() - 5, 2)?, num(s.len() - 2, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    Some(days_from_civil(year, month, day) * 1440 + hour * 60 + minute - offset)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of `days_from_civil`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_utc() {
        assert_eq!(
            format_time("2026-11-21T09:05:00Z"),
            "21 Nov 2026, 09:05 UTC"
        );
        assert_eq!(
            format_time("2026-11-21T23:30:00-02:00"),
            "22 Nov 2026, 01:30 UTC"
        );
        assert_eq!(format_time("soon"), "soon");
        assert_eq!(
            format_time("2024-02-29T00:00:00.5+00:30"),
            "28 Feb 2024, 23:30 UTC"
        );
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-21T24:00:00Z",
            "2026-11-21T09:05:00",
            "2026-11-21T09:05:00.Z",
            "2026-11-21T09:05:00+0200",
            "2026-11-21",
            "２026-11-21T09:05:00Z",
        ] {
            assert_eq!(format_time(bad), bad, "left as it is");
        }
    }

    /// The hand-written formatter agrees with the `time` crate (which the
    /// server uses, and the browser build leaves out) on every instant and
    /// offset, fractions of a second included.
    #[cfg(feature = "ssr")]
    mod against_time {
        use proptest::prelude::*;
        use time::{format_description::well_known::Rfc3339, OffsetDateTime, UtcOffset};

        proptest! {
            #[test]
            fn same_text_as_time(
                secs in -62_135_596_800i64..253_402_300_799,
                nanos in 0u32..1_000_000_000,
                offset_minutes in -1439i32..=1439,
            ) {
                let offset = UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
                let t = OffsetDateTime::from_unix_timestamp(secs).unwrap()
                    .replace_nanosecond(nanos).unwrap()
                    .to_offset(offset);
                let Ok(text) = t.format(&Rfc3339) else { return Ok(()) };
                let expected = t
                    .to_offset(UtcOffset::UTC)
                    .format(time::macros::format_description!(
                        "[day padding:none] [month repr:short] [year], [hour]:[minute] UTC"
                    ))
                    .unwrap();
                prop_assert_eq!(super::super::format_time(&text), expected, "{}", text);
            }
        }
    }
}
