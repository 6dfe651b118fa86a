//! `--verbose`: one line on standard error per call the clients make: method, path, status, request
//! id, attempts and time. The call span's fields hold no secret (the path is sent without its query),
//! so neither does the line.

use std::fmt::Write as _;
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// The fields of one call, as they are filled in.
#[derive(Default)]
struct Call {
    started: Option<Instant>,
    fields: Vec<(&'static str, String)>,
}

impl Visit for Call {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        self.set(field.name(), text.trim_matches('"').to_string());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field.name(), value.to_string());
    }
}

impl Call {
    fn set(&mut self, name: &'static str, value: String) {
        match self.fields.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((name, value)),
        }
    }

    fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("-", |(_, v)| v.as_str())
    }
}

struct Verbose;

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Verbose {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "dbops.call" {
            return;
        }
        let mut call = Call {
            started: Some(Instant::now()),
            ..Call::default()
        };
        attrs.record(&mut call);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(call);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(call) = span.extensions_mut().get_mut::<Call>()
        {
            values.record(call);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let ext = span.extensions();
        let Some(call) = ext.get::<Call>() else { return };
        let mut line = String::new();
        let _ = write!(
            line,
            "{} {} {} -> {} request_id={} attempts={} {} ms ({} {})",
            call.get("method"),
            call.get("host"),
            call.get("path"),
            call.get("status"),
            call.get("request_id"),
            call.get("attempt"),
            call.started.map_or(0, |t| t.elapsed().as_millis()),
            call.get("service"),
            call.get("operation"),
        );
        eprintln!("{}", dbops_core::text::escaped(&line));
    }
}

/// Prints every call from here on.
pub fn install() {
    let _ = tracing_subscriber::registry().with(Verbose).try_init();
}
