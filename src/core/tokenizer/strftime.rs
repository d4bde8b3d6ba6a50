//! `strftime_now(format)` for chat templates (Llama-3.1 and others print
//! today's date in the system prompt).
//!
//! The core cannot read the clock (`SystemTime::now` panics in wasm32), so
//! the caller passes the local time in; this file only formats it, with the
//! C-locale names Python's `datetime.strftime` uses.

/// A moment as the caller's local wall clock shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// Milliseconds since 1970-01-01T00:00:00 of local time (UTC plus the offset).
    pub local_ms: i64,
}

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    weekday: usize,
    yearday: i64,
}

/// Days since the epoch to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn split(t: LocalTime) -> Civil {
    let secs = t.local_ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (year, month, day) = civil(days);
    const BEFORE: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yearday = BEFORE[month as usize - 1] + i64::from(day) + i64::from(month > 2 && is_leap(year));
    Civil {
        year,
        month,
        day,
        hour: rest / 3600,
        minute: rest % 3600 / 60,
        second: rest % 60,
        // 1970-01-01 was a Thursday (index 3 from Monday).
        weekday: (days + 3).rem_euclid(7) as usize,
        yearday,
    }
}

pub fn strftime(format: &str, t: LocalTime) -> String {
    let c = split(t);
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        let Some(spec) = chars.next() else {
            out.push('%');
            break;
        };
        let month = MONTHS[c.month as usize - 1];
        let day = DAYS[c.weekday];
        let hour12 = if c.hour % 12 == 0 { 12 } else { c.hour % 12 };
        match spec {
            'Y' => out.push_str(&c.year.to_string()),
            'y' => out.push_str(&format!("{:02}", c.year.rem_euclid(100))),
            'm' => out.push_str(&format!("{:02}", c.month)),
            'd' => out.push_str(&format!("{:02}", c.day)),
            'e' => out.push_str(&format!("{:>2}", c.day)),
            'B' => out.push_str(month),
            'b' | 'h' => out.push_str(&month[..3]),
            'A' => out.push_str(day),
            'a' => out.push_str(&day[..3]),
            'H' => out.push_str(&format!("{:02}", c.hour)),
            'I' => out.push_str(&format!("{hour12:02}")),
            'M' => out.push_str(&format!("{:02}", c.minute)),
            'S' => out.push_str(&format!("{:02}", c.second)),
            'p' => out.push_str(if c.hour < 12 { "AM" } else { "PM" }),
            'j' => out.push_str(&format!("{:03}", c.yearday)),
            'w' => out.push_str(&((c.weekday + 1) % 7).to_string()),
            'u' => out.push_str(&(c.weekday + 1).to_string()),
            'F' => out.push_str(&format!("{}-{:02}-{:02}", c.year, c.month, c.day)),
            'T' => out.push_str(&format!("{:02}:{:02}:{:02}", c.hour, c.minute, c.second)),
            'D' => out.push_str(&format!("{:02}/{:02}/{:02}", c.month, c.day, c.year.rem_euclid(100))),
            '%' => out.push('%'),
            // Unknown directives pass through, as glibc's strftime does.
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        // 2024-07-23T14:05:09 (a Tuesday), the Llama-3.1 template's format.
        let t = LocalTime {
            local_ms: 1_721_743_509_000,
        };
        assert_eq!(strftime("%d %b %Y", t), "23 Jul 2024");
        assert_eq!(
            strftime("%A %B %e %H:%M:%S %p %I %j %y %%", t),
            "Tuesday July 23 14:05:09 PM 02 205 24 %"
        );
        assert_eq!(strftime("%F %a", LocalTime { local_ms: 0 }), "1970-01-01 Thu");
        assert_eq!(
            strftime(
                "%F %j",
                LocalTime {
                    local_ms: 951_782_400_000
                }
            ),
            "2000-02-29 060"
        );
        assert_eq!(strftime("%F", LocalTime { local_ms: -86_400_000 }), "1969-12-31");
    }
}
