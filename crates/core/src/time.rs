//! UTC timestamps in the two layouts the signers need. Formatting a Unix time as a civil UTC date is a
//! dozen lines (Hinnant's days-to-civil algorithm); a date-time crate would add more build time than code.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC instant broken into civil fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcDateTime {
    /// Year (proleptic Gregorian).
    pub year: i64,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31.
    pub day: u32,
    /// Hour, 0–23.
    pub hour: u32,
    /// Minute, 0–59.
    pub minute: u32,
    /// Second, 0–59.
    pub second: u32,
}

impl UtcDateTime {
    /// From seconds since the Unix epoch.
    pub fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
        }
    }

    /// From a system time (times before 1970 are clamped to the epoch).
    pub fn from_system(t: SystemTime) -> Self {
        Self::from_unix(t.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0))
    }

    /// `YYYYMMDDTHHMMSSZ`, the Huawei `X-Sdk-Date` layout.
    pub fn basic(&self) -> String {
        self.render(false)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the Alibaba `x-acs-date` layout (ISO 8601 extended).
    pub fn extended(&self) -> String {
        self.render(true)
    }

    /// [`basic`](Self::basic), written on the stack: the signers put it in a header and sign it.
    pub fn basic_stamp(&self) -> Stamp {
        self.render_bytes(false)
    }

    /// [`extended`](Self::extended), written on the stack.
    pub fn extended_stamp(&self) -> Stamp {
        self.render_bytes(true)
    }

    fn render(&self, extended: bool) -> String {
        self.render_bytes(extended).as_str().to_string()
    }

    /// Writes the digits directly: this runs for every signature, and `format!` with padding costs
    /// several times more.
    fn render_bytes(&self, extended: bool) -> Stamp {
        let mut out = [0u8; 20];
        let mut n = 0;
        let mut put = |b: u8| {
            out[n] = b;
            n += 1;
        };
        let two = |put: &mut dyn FnMut(u8), v: u32| {
            put(b'0' + (v / 10 % 10) as u8);
            put(b'0' + (v % 10) as u8);
        };
        let year = self.year.clamp(0, 9999) as u32;
        two(&mut put, year / 100);
        two(&mut put, year % 100);
        for (v, sep) in [(self.month, b'-'), (self.day, b'-')] {
            if extended {
                put(sep);
            }
            two(&mut put, v);
        }
        put(b'T');
        two(&mut put, self.hour);
        for v in [self.minute, self.second] {
            if extended {
                put(b':');
            }
            two(&mut put, v);
        }
        put(b'Z');
        Stamp { buf: out, len: n }
    }
}

/// A timestamp rendered by [`UtcDateTime`], held on the stack.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    buf: [u8; 20],
    len: usize,
}

impl Stamp {
    /// The text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).expect("ASCII digits")
    }

    /// The text as a header value.
    pub fn header_value(&self) -> http::HeaderValue {
        http::HeaderValue::from_bytes(&self.buf[..self.len]).expect("ASCII digits")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        // (unix seconds, basic, extended) — checked against `date -u -d @N`.
        let cases = [
            (0, "19700101T000000Z", "1970-01-01T00:00:00Z"),
            (1_573_788_615, "20191115T033015Z", "2019-11-15T03:30:15Z"),
            (1_698_315_752, "20231026T102232Z", "2023-10-26T10:22:32Z"),
            (951_782_400, "20000229T000000Z", "2000-02-29T00:00:00Z"),
            (4_102_444_799, "20991231T235959Z", "2099-12-31T23:59:59Z"),
        ];
        for (secs, basic, extended) in cases {
            let t = UtcDateTime::from_unix(secs);
            assert_eq!(t.basic(), basic, "{secs}");
            assert_eq!(t.extended(), extended, "{secs}");
            assert_eq!(t.basic_stamp().as_str(), basic, "{secs}");
            assert_eq!(t.basic_stamp().header_value(), basic, "{secs}");
            assert_eq!(t.extended_stamp().header_value(), extended, "{secs}");
        }
    }
}
