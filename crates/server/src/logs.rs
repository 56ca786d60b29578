//! The log's set-up: where lines go and how their time is written. Both are on the hot path —
//! the access log writes a line for every request — so both are kept cheap, and measured (see
//! docs/benchmarks.md, `entitlement`).

use std::cell::Cell;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

/// Where log lines go: stderr, written without Rust's process-wide stderr lock. Each line is
/// formatted whole and then written by one `write` call, which the kernel keeps whole: on a file
/// (one offset, moved under the kernel's lock), and on a pipe for lines up to 4 KiB (longer ones,
/// and a panic message printed meanwhile, may interleave there). The lock only made the workers
/// queue behind each other's writes — measured, the access log's largest cost under load.
pub fn writer() -> BoxMakeWriter {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => BoxMakeWriter::new(std::sync::Arc::new(std::fs::File::from(fd))),
        Err(_) => BoxMakeWriter::new(std::io::stderr),
    }
}

/// A line's time: RFC 3339 in UTC with microseconds (`2026-11-30T09:06:31.953920Z`), as
/// tracing's default writes it, but the date and time of day are formatted once per second per
/// thread rather than once per line (they were a tenth of the access log's cost).
pub struct Clock;

/// `YYYY-MM-DDTHH:MM:SS` of a second since the epoch.
type Second = [u8; 19];

thread_local! {
    static LAST: Cell<(u64, Second)> = const { Cell::new((u64::MAX, [b'0'; 19])) };
}

impl FormatTime for Clock {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let (secs, micros) = (now.as_secs(), now.subsec_micros());
        let second = LAST.with(|last| {
            let (at, text) = last.get();
            if at == secs {
                return text;
            }
            let text = format_second(secs);
            last.set((secs, text));
            text
        });
        w.write_str(std::str::from_utf8(&second).map_err(|_| std::fmt::Error)?)?;
        let mut tail = *b".000000Z";
        let mut n = micros;
        for d in tail[1..7].iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        w.write_str(std::str::from_utf8(&tail).map_err(|_| std::fmt::Error)?)
    }
}

fn format_second(secs: u64) -> Second {
    let t = i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let mut text = String::with_capacity(19);
    let _ = write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let mut out = [b'0'; 19];
    let n = text.len().min(19);
    out[..n].copy_from_slice(&text.as_bytes()[..n]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_is_written_as_rfc3339() {
        assert_eq!(&format_second(0), b"1970-01-01T00:00:00");
        assert_eq!(&format_second(1_796_029_591), b"2026-11-30T09:06:31");
    }

    #[test]
    fn the_clock_writes_the_date_time_and_microseconds() {
        let mut line = String::new();
        Clock.format_time(&mut Writer::new(&mut line)).unwrap();
        Clock.format_time(&mut Writer::new(&mut line)).unwrap();
        // Two stamps, each `YYYY-MM-DDTHH:MM:SS.ffffffZ` (27 characters).
        assert_eq!(line.len(), 54, "{line}");
        for stamp in [&line[..27], &line[27..]] {
            assert!(
                time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
                    .is_ok(),
                "{stamp}"
            );
        }
    }
}
