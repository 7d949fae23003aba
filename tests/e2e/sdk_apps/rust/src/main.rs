// The sample service the Rust SDK e2e test builds against the generated `tracing_setup` crate
// (tests/e2e/test_sdk_rust.py writes its Cargo.toml with the crate's path). One JSON line per span it
// starts: --parent=<traceparent> handles one incoming request (a child of that context, whose outgoing
// headers it prints); --roots=N starts N root spans.
use std::collections::HashMap;

use opentelemetry::trace::{Span, TraceContextExt, Tracer};

fn line(msg: &str, cx: &opentelemetry::Context, traceparent: &str) {
    let span = cx.span();
    let sc = span.span_context();
    println!(
        "{{\"msg\":\"{}\",\"trace_id\":\"{}\",\"span_id\":\"{}\",\"sampled\":{},\"traceparent\":\"{}\"}}",
        msg, sc.trace_id(), sc.span_id(), sc.is_sampled(), traceparent
    );
}

fn main() {
    let mut parent: Option<String> = None;
    let mut roots = 0usize;
    for arg in std::env::args().skip(1) {
        if let Some(value) = arg.strip_prefix("--parent=") {
            parent = Some(value.to_string());
        } else if let Some(value) = arg.strip_prefix("--roots=") {
            roots = value.parse().expect("--roots=N");
        }
    }
    let tracing = tracing_setup::init().expect("tracing_setup::init");
    let tracer = tracing_setup::tracer();
    if let Some(traceparent) = parent {
        let mut headers = HashMap::new();
        headers.insert("traceparent".to_string(), traceparent);
        let parent_cx = tracing_setup::extract(&headers);
        let mut span = tracer.start_with_context("handle", &parent_cx);
        span.set_attribute(opentelemetry::KeyValue::new("app.sample", "rust"));
        let cx = parent_cx.with_span(span);
        let outgoing = tracing_setup::inject(&cx);
        line("handle", &cx, outgoing.get("traceparent").map(String::as_str).unwrap_or(""));
        cx.span().end();
    }
    for _ in 0..roots {
        let span = tracer.start("root");
        let cx = opentelemetry::Context::current_with_span(span);
        line("root", &cx, "");
        cx.span().end();
    }
    tracing.shutdown().expect("shutdown");
}
