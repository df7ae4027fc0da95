//! The log line formats: `tracing-subscriber`'s own text and JSON lines, byte for byte, with the
//! request's id taken from the task answering it ([`web::with_request_id`]) rather than from a
//! `tracing` span.
//!
//! Why our own [`FormatEvent`]s: the id used to ride in a span opened for every request, and
//! the span cost ~5,500 instructions a request on top of the line's ~9,600 (a slab entry, its
//! fields formatted, shared-lock lookups in the filter each time the handler was polled).
//! `tracing-subscriber`'s formatters print only spans, so these two print the request's scope
//! as the span did — `request{id=…}:` before the fields, `"span":{"id":…,"name":"request"}`
//! after them — and any real span as the stock formatters do.
//!
//! Every request writes a line, so the text line's common parts skip `core::fmt` too: the
//! time ([`Clock`]) and plain fields ([`TextFields`]: text that needs no escaping, integers,
//! booleans, a float in the plain range) are written as bytes; anything else goes through the
//! stock visitor, field by field. The request's line went from ~9,600 instructions (stock
//! formatting, no span) to ~4,300 (callgrind: 4,261 on `/healthz`, BENCHMARKS.md).

use std::fmt;

use serde::ser::{SerializeMap as _, Serializer as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_serde::AsSerde as _;
use tracing_subscriber::field::{RecordFields, VisitOutput as _};
use tracing_subscriber::fmt::format::{DefaultFields, DefaultVisitor, JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The name the request's scope is printed under (the span's name before).
const REQUEST_SCOPE: &str = "request";

/// `2026-12-07T23:25:20.007550Z  INFO request{id=…}: request method="GET" …`: the stock
/// `Full` format without ANSI colours on the level and scope, target off.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Text;

impl<S, N> FormatEvent<S, N> for Text
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        Clock.format_time(&mut writer)?;
        writer.write_str(match *event.metadata().level() {
            tracing::Level::ERROR => " ERROR ",
            tracing::Level::WARN => "  WARN ",
            tracing::Level::INFO => "  INFO ",
            tracing::Level::DEBUG => " DEBUG ",
            tracing::Level::TRACE => " TRACE ",
        })?;
        let mut scoped = Ok(false);
        web::with_request_id(|id| {
            scoped = write!(writer, "{REQUEST_SCOPE}{{id={id}}}:").map(|()| true);
        });
        let mut scoped = scoped?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                writer.write_str(span.metadata().name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, "{{{fields}}}")?;
                }
                writer.write_char(':')?;
                scoped = true;
            }
        }
        if scoped {
            writer.write_char(' ')?;
        }
        ctx.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// `{"timestamp":…,"level":"INFO","message":"request",…,"span":{"id":…,"name":"request"}}`:
/// the stock JSON format with the event's fields flattened, the current span, target off.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Json;

impl<S> FormatEvent<S, JsonFields> for Json
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut timestamp = String::with_capacity(32);
        Clock.format_time(&mut Writer::new(&mut timestamp))?;
        let mut line = Vec::with_capacity(256);
        let mut serializer = serde_json::Serializer::new(&mut line);
        let written = (|| {
            let mut map = serializer.serialize_map(None)?;
            map.serialize_entry("timestamp", &timestamp)?;
            map.serialize_entry("level", &event.metadata().level().as_serde())?;
            let mut visitor = tracing_serde::SerdeMapVisitor::new(map);
            event.record(&mut visitor);
            let mut map = visitor.take_serializer()?;
            let mut scoped = None;
            web::with_request_id(|id| {
                let scope = RequestScope {
                    id,
                    name: REQUEST_SCOPE,
                };
                scoped = Some(map.serialize_entry("span", &scope));
            });
            if let Some(scoped) = scoped {
                scoped?;
            } else if let Some(span) = event
                .parent()
                .and_then(|id| ctx.span(id))
                .or_else(|| ctx.lookup_current())
            {
                let extensions = span.extensions();
                let fields = extensions
                    .get::<FormattedFields<JsonFields>>()
                    .and_then(|fields| {
                        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(fields)
                            .ok()
                    })
                    .unwrap_or_default();
                map.serialize_entry(
                    "span",
                    &SpanFields {
                        fields,
                        name: span.metadata().name(),
                    },
                )?;
            }
            serde::ser::SerializeMap::end(map)
        })();
        written.map_err(|_| fmt::Error)?;
        // serde_json writes UTF-8.
        writer.write_str(std::str::from_utf8(&line).map_err(|_| fmt::Error)?)?;
        writeln!(writer)
    }
}

/// The time as `tracing-subscriber`'s `SystemTime` writes it, `2026-12-07T23:25:20.007550Z`,
/// without `core::fmt`.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Clock;

impl FormatTime for Clock {
    fn format_time(&self, writer: &mut Writer<'_>) -> fmt::Result {
        let now = std::time::SystemTime::now();
        match now.duration_since(std::time::UNIX_EPOCH) {
            Ok(since) => match utc_text(since.as_secs(), since.subsec_micros()) {
                Some(text) => writer.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?),
                None => SystemTime.format_time(writer),
            },
            Err(_) => SystemTime.format_time(writer),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for a time in years 0 to 9999 (`None` outside them), by the
/// civil-from-days algorithm (Howard Hinnant's, as `tracing-subscriber` and `time` use).
fn utc_text(unix_seconds: u64, micros: u32) -> Option<[u8; 27]> {
    let days = i64::try_from(unix_seconds / 86_400).ok()?;
    let of_day = unix_seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut value: u64| {
        for slot in text[at..at + width].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, 4, year.unsigned_abs());
    put(5, 2, month.unsigned_abs());
    put(8, 2, day.unsigned_abs());
    put(11, 2, of_day / 3_600);
    put(14, 2, of_day % 3_600 / 60);
    put(17, 2, of_day % 60);
    put(20, 6, u64::from(micros));
    Some(text)
}

/// The stock text fields (`DefaultFields`), with what needs no `core::fmt` written directly:
/// a field of plain text (printable ASCII without `"` or `\\`, quoted as `{:?}` quotes it),
/// an integer, a boolean, a float in the plain range ([`shortest_decimal`]). The message,
/// other values, and everything when the line is coloured go to the stock visitor.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct TextFields;

impl<'writer> FormatFields<'writer> for TextFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        if writer.has_ansi_escapes() {
            return DefaultFields::new().format_fields(writer, fields);
        }
        let mut visitor = TextVisitor {
            writer,
            is_empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

/// Writes fields as the stock visitor does, a field at a time.
struct TextVisitor<'writer> {
    writer: Writer<'writer>,
    /// No field written yet (the next one needs no space before it).
    is_empty: bool,
    result: fmt::Result,
}

impl TextVisitor<'_> {
    /// Whether `field` is one the stock visitor writes as `name=value` (not the message,
    /// not a raw identifier, not log metadata).
    fn is_plain(field: &Field) -> bool {
        let name = field.name();
        name != "message" && !name.starts_with("r#") && !name.starts_with("log.")
    }

    /// `name=value`, after a space unless it is the first field.
    fn write(&mut self, field: &Field, value: &str) {
        self.write_quoted(field, "", value);
    }

    /// `name=` and `value` between two `quote`s, after a space unless it is the first field.
    fn write_quoted(&mut self, field: &Field, quote: &str, value: &str) {
        if self.result.is_err() {
            return;
        }
        let space = if self.is_empty { "" } else { " " };
        self.is_empty = false;
        self.result = [space, field.name(), "=", quote, value, quote]
            .into_iter()
            .try_for_each(|part| self.writer.write_str(part));
    }

    /// The field as the stock visitor writes it.
    fn stock(&mut self, field: &Field, record: impl FnOnce(&mut DefaultVisitor<'_>)) {
        // Log metadata (events from the `log` crate) is not written, as the stock visitor
        // skips it.
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        let mut stock = DefaultVisitor::new(self.writer.by_ref(), self.is_empty);
        record(&mut stock);
        self.result = stock.finish();
        self.is_empty = false;
    }
}

impl Visit for TextVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let plain_text = value
            .bytes()
            .all(|byte| (b' '..=b'~').contains(&byte) && byte != b'"' && byte != b'\\');
        if Self::is_plain(field) && plain_text {
            self.write_quoted(field, "\"", value);
        } else {
            self.stock(field, |stock| stock.record_str(field, value));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if Self::is_plain(field) {
            self.write(field, itoa::Buffer::new().format(value));
        } else {
            self.stock(field, |stock| stock.record_u64(field, value));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if Self::is_plain(field) {
            self.write(field, itoa::Buffer::new().format(value));
        } else {
            self.stock(field, |stock| stock.record_i64(field, value));
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if Self::is_plain(field) {
            self.write(field, if value { "true" } else { "false" });
        } else {
            self.stock(field, |stock| stock.record_bool(field, value));
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        match shortest_decimal(value) {
            Some(mut text) if Self::is_plain(field) => self.write(field, text.format_finite(value)),
            _ => self.stock(field, |stock| stock.record_f64(field, value)),
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.stock(field, |stock| stock.record_error(field, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.stock(field, |stock| stock.record_debug(field, value));
    }
}

/// `ryu`'s writer for `value` when its text is `{:?}`'s: both write the shortest digits that
/// read back as the same float, and in this range both write them as a plain decimal
/// (`0.040157`, `12.5`, `3.0`); outside it `{:?}` switches to exponents where `ryu` does not
/// always. A request's latency in milliseconds is always inside.
fn shortest_decimal(value: f64) -> Option<ryu::Buffer> {
    (1e-4..1e9).contains(&value.abs()).then(ryu::Buffer::new)
}

/// The request's scope as the span printed it: its `id`, then its `name`.
#[derive(serde::Serialize)]
struct RequestScope<'a> {
    id: &'a str,
    name: &'static str,
}

/// A real span, as the stock formatter prints it: its fields, then its `name`.
#[derive(serde::Serialize)]
struct SpanFields<'a> {
    #[serde(flatten)]
    fields: serde_json::Map<String, serde_json::Value>,
    name: &'a str,
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    /// Where a test subscriber writes its lines.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl MakeWriter<'_> for Buffer {
        type Writer = Buffer;

        fn make_writer(&self) -> Buffer {
            self.clone()
        }
    }

    /// The lines `subscriber` writes for a few events outside any request, one in a real span,
    /// each without its first `timestamp_bytes` (the time).
    fn lines(
        subscriber: impl Subscriber + Send + Sync + 'static,
        buffer: &Buffer,
        timestamp_bytes: usize,
    ) -> Vec<String> {
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                path = "/tmp/x",
                applied = 14,
                ratio = 0.5,
                "schema migrated"
            );
            let span = tracing::info_span!("export", kind = "donations", rows = 3);
            span.in_scope(|| tracing::warn!(error = %"disk \"full\"", ok = false, "failed"));
            tracing::error!("plain");
            let io = std::io::Error::other("gone");
            tracing::info!(quoted = "say \"hi\"", backslash = "a\\b", "quoting");
            tracing::info!(unicode = "naïve", control = "line\nbreak", "escapes");
            tracing::info!(negative = -7_i64, big = u64::MAX, yes = true, "numbers");
            tracing::info!(r#type = "raw", "raw");
            tracing::info!(error = &io as &dyn std::error::Error, "error");
            tracing::info!(debug = ?Some(1), "many {}", "kinds");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|line| line[timestamp_bytes..].to_owned())
            .collect()
    }

    #[test]
    fn text_lines_outside_a_request_are_the_stock_formats_bytes() {
        let (ours, stock) = (Buffer::default(), Buffer::default());
        let ours = lines(
            tracing_subscriber::fmt()
                .with_writer(ours.clone())
                .with_ansi(false)
                .fmt_fields(TextFields)
                .event_format(Text)
                .finish(),
            &ours,
            27,
        );
        let stock = lines(
            tracing_subscriber::fmt()
                .with_writer(stock.clone())
                .with_ansi(false)
                .with_target(false)
                .finish(),
            &stock,
            27,
        );
        assert_eq!(ours.len(), 9, "{ours:#?}");
        assert_eq!(ours, stock);
    }

    #[test]
    fn json_lines_outside_a_request_are_the_stock_formats_bytes() {
        let (ours, stock) = (Buffer::default(), Buffer::default());
        let timestamp_bytes = r#"{"timestamp":"2026-12-07T23:35:52.435322Z","#.len();
        let ours = lines(
            tracing_subscriber::fmt()
                .with_writer(ours.clone())
                .json()
                .event_format(Json)
                .finish(),
            &ours,
            timestamp_bytes,
        );
        let stock = lines(
            tracing_subscriber::fmt()
                .with_writer(stock.clone())
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .with_target(false)
                .finish(),
            &stock,
            timestamp_bytes,
        );
        assert_eq!(ours.len(), 9, "{ours:#?}");
        assert_eq!(ours, stock);
    }

    proptest::proptest! {
        #[test]
        fn the_clock_writes_the_stock_time_format(
            seconds in 0_u64..253_402_300_800,
            micros in 0_u32..1_000_000,
        ) {
            let at = time::OffsetDateTime::from_unix_timestamp(seconds.cast_signed()).unwrap()
                + time::Duration::microseconds(i64::from(micros));
            let expected = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second(),
                at.microsecond()
            );
            let text = utc_text(seconds, micros).unwrap();
            proptest::prop_assert_eq!(std::str::from_utf8(&text).unwrap(), expected);
        }
    }

    proptest::proptest! {
        #[test]
        fn a_float_in_the_plain_range_reads_as_its_debug_text(
            value in proptest::prop_oneof![
                1e-4_f64..1e9,
                -1e9_f64..-1e-4,
                proptest::strategy::Strategy::prop_map(0_u32..100_000_000, |n| f64::from(n) / 1000.0),
            ],
        ) {
            if let Some(mut text) = shortest_decimal(value) {
                proptest::prop_assert_eq!(text.format_finite(value), format!("{value:?}"));
            }
        }
    }

    #[test]
    fn floats_at_the_edges_read_as_their_debug_text() {
        for value in [
            1e-4,
            0.000_100_000_000_000_01,
            0.040_157_000_000_000_005,
            0.5,
            1.0,
            3.0,
            12.5,
            999_999_999.999_999_9,
            123_456_789.0,
            -0.001,
        ] {
            let mut text = shortest_decimal(value).expect("in the plain range");
            assert_eq!(text.format_finite(value), format!("{value:?}"));
        }
        for value in [0.0, 9.999e-5, 1e9, 1e16, f64::NAN, f64::INFINITY] {
            assert!(shortest_decimal(value).is_none(), "{value:?}");
        }
    }

    #[test]
    fn the_clock_agrees_with_the_stock_one_now() {
        let now = |clock: &dyn FormatTime| {
            let mut text = String::new();
            clock.format_time(&mut Writer::new(&mut text)).unwrap();
            text
        };
        let (before, ours, after) = (now(&SystemTime), now(&Clock), now(&SystemTime));
        // Texts of one length order as the times they write.
        assert_eq!(ours.len(), before.len());
        assert!(before <= ours && ours <= after, "{before} {ours} {after}");
        assert!(utc_text(253_402_300_800, 0).is_none(), "year 10000");
    }
}
