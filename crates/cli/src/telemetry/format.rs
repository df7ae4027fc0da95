//! The log line formats: `tracing-subscriber`'s own text and JSON lines, byte for byte, with the
//! request's id taken from the task answering it ([`web::with_request_id`]) rather than from a
//! `tracing` span.
//!
//! Why our own [`FormatEvent`]s: the id used to ride in a span opened for every request, and
//! the span cost more than the line (a slab entry, its fields formatted, shared-lock lookups in
//! the filter each time the handler was polled). `tracing-subscriber`'s formatters print only
//! spans, so these two print the request's scope as the span did — `request{id=…}:` before
//! the fields, `"span":{"id":…,"name":"request"}` after them — and any real span as the stock
//! formatters do.

use std::fmt;

use serde::ser::{SerializeMap as _, Serializer as _};
use tracing::{Event, Subscriber};
use tracing_serde::AsSerde as _;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime as _, SystemTime};
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
        SystemTime.format_time(&mut writer)?;
        write!(writer, " {:>5} ", event.metadata().level().as_str())?;
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
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
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
        assert_eq!(ours.len(), 3);
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
        assert_eq!(ours.len(), 3);
        assert_eq!(ours, stock);
    }
}
