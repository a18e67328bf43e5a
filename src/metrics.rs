//! Prometheus metrics: counters and histograms updated as things happen; gauges read from the
//! database at scrape time.

use std::sync::OnceLock;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

pub struct Metrics {
    pub registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_seconds: HistogramVec,
    pub timers_fired: IntCounterVec,
    pub timer_lag_seconds: HistogramVec,
    pub timers_failed: IntCounterVec,
}

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new();
    let http_requests = IntCounterVec::new(
        Opts::new(
            "greenlane_http_requests_total",
            "HTTP requests by method, route and status",
        ),
        &["method", "route", "status"],
    )?;
    let http_seconds = HistogramVec::new(
        HistogramOpts::new(
            "greenlane_http_request_duration_seconds",
            "HTTP request latency",
        )
        .buckets(vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        ]),
        &["method", "route"],
    )?;
    let timers_fired = IntCounterVec::new(
        Opts::new(
            "greenlane_timers_fired_total",
            "Timers fired (or skipped) by kind",
        ),
        &["kind"],
    )?;
    let timer_lag_seconds = HistogramVec::new(
        HistogramOpts::new(
            "greenlane_timer_firing_lag_seconds",
            "Time from a timer's due moment to its firing",
        )
        .buckets(vec![
            0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0, 300.0, 3600.0, 86400.0,
        ]),
        &["kind"],
    )?;
    let timers_failed = IntCounterVec::new(
        Opts::new(
            "greenlane_timers_failed_total",
            "Timers whose firing failed (kept as `failed` for an admin), by kind",
        ),
        &["kind"],
    )?;
    registry.register(Box::new(timers_failed.clone()))?;
    registry.register(Box::new(http_requests.clone()))?;
    registry.register(Box::new(http_seconds.clone()))?;
    registry.register(Box::new(timers_fired.clone()))?;
    registry.register(Box::new(timer_lag_seconds.clone()))?;
    Ok(Metrics {
        registry,
        http_requests,
        http_seconds,
        timers_fired,
        timer_lag_seconds,
        timers_failed,
    })
}

/// The process's metrics, or `None` if they could not be set up (never expected; logged).
pub fn get() -> Option<&'static Metrics> {
    static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
    METRICS
        .get_or_init(|| match build() {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::error!(error = %e, "metrics unavailable");
                None
            }
        })
        .as_ref()
}

pub fn timer_fired(kind: &str, lag_seconds: f64) {
    if let Some(m) = get() {
        m.timers_fired.with_label_values(&[kind]).inc();
        m.timer_lag_seconds
            .with_label_values(&[kind])
            .observe(lag_seconds.max(0.0));
    }
}

pub fn timer_failed(kind: &str) {
    if let Some(m) = get() {
        m.timers_failed.with_label_values(&[kind]).inc();
    }
}

pub fn http_request(method: &str, route: &str, status: u16, seconds: f64) {
    if let Some(m) = get() {
        m.http_requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        m.http_seconds
            .with_label_values(&[method, route])
            .observe(seconds);
    }
}
