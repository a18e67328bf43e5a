//! The reform and market figures as the pages show them: each a chart (SVG, drawn on the
//! server), the same figures as a table, and a link to them as CSV. `/public/reform` shows the
//! ones a citizen asks about without sign-in; `/stats` shows all of them to the bureau's people.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use crate::app::{licence, market, stats, App, AppError};
use crate::web::chart::{number, Chart, Kind, Limit, Series};
use crate::web::forms::Errors;
use crate::web::i18n::{self, Lang};
use crate::web::layout::yuan;
use crate::web::WebError;

/// One figure of the reform or the market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    PreLicence,
    Durations,
    Investment,
    Cases,
    Planning,
    Trading,
}

impl Which {
    pub const ALL: [Which; 6] = [
        Which::PreLicence,
        Which::Durations,
        Which::Investment,
        Which::Cases,
        Which::Planning,
        Which::Trading,
    ];
    /// The three a citizen asks about.
    pub const PUBLIC: [Which; 3] = [Which::PreLicence, Which::Durations, Which::Investment];

    pub fn key(self) -> &'static str {
        match self {
            Which::PreLicence => "pre_licence",
            Which::Durations => "durations",
            Which::Investment => "investment",
            Which::Cases => "cases",
            Which::Planning => "planning",
            Which::Trading => "trading",
        }
    }

    pub fn parse(s: &str) -> Option<Which> {
        Which::ALL.into_iter().find(|w| w.key() == s)
    }

    fn msg(self) -> String {
        format!("fig-{}", self.key().replace('_', "-"))
    }
}

/// A figure's table: headed columns, rows of text; columns from `numeric_from` on are figures
/// (aligned right).
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub numeric_from: usize,
}

pub struct Figure {
    pub key: &'static str,
    pub title: String,
    /// What is counted and how, in a sentence.
    pub note: String,
    /// One chart or several (durations: one per workflow), as SVG with its legend.
    pub charts: Vec<String>,
    pub table: Table,
    /// Where the figure is as CSV (the same query).
    pub csv: String,
}

/// The period and dates a figure page asks for, as the form sent them.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Params {
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

impl Params {
    pub fn period(&self) -> &str {
        match self.period.as_deref() {
            Some(p @ ("month" | "quarter" | "year")) => p,
            _ => "month",
        }
    }

    /// The range of cases; a value that cannot be read is named in `errors` and left out.
    pub fn range(&self, lang: Lang, errors: &mut Errors) -> stats::Range {
        stats::Range {
            period: Some(self.period().to_string()),
            from: crate::web::forms::optional_date(lang, errors, "from", &self.from),
            to: crate::web::forms::optional_date(lang, errors, "to", &self.to),
        }
    }

    /// The query string that gives the same figures (for CSV links).
    pub fn query(&self) -> String {
        let mut pairs = vec![("period", self.period())];
        for (k, v) in [("from", &self.from), ("to", &self.to)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                pairs.push((k, v));
            }
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

fn t(lang: Lang, id: &str) -> String {
    i18n::t(lang, id)
}

/// A table's headings, from their message ids.
fn columns(lang: Lang, ids: &[&str]) -> Vec<String> {
    ids.iter().map(|c| t(lang, c)).collect()
}

fn workflow_title(app: &App, lang: Lang, key: &str) -> String {
    app.workflows
        .newest(key)
        .map_or_else(|| key.to_string(), |d| d.title.get(lang).to_string())
}

fn pct(v: f64) -> String {
    format!("{v:.0}%")
}

/// Distinct values in first-seen order.
fn distinct<'a>(items: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(i) {
            out.push(i.clone());
        }
    }
    out
}

/// One series per `names`, one value per `labels`, summed from `(label, name, value)` rows.
fn grid(
    labels: &[String],
    names: &[(String, String)],
    rows: impl Iterator<Item = (String, String, f64)> + Clone,
) -> Vec<Series> {
    names
        .iter()
        .map(|(key, name)| Series {
            name: name.clone(),
            values: labels
                .iter()
                .map(|l| {
                    let mut hit = rows.clone().filter(|(rl, rk, _)| rl == l && rk == key);
                    let first = hit.next()?;
                    Some(hit.fold(first.2, |a, r| a + r.2))
                })
                .collect(),
        })
        .collect()
}

/// Grouped bars from `(period, key, value)` rows: a group per period, a bar per key (named by
/// `name`), values of the same period and key summed.
fn bars_by(
    id: &str,
    title: &str,
    unit: String,
    rows: Vec<(String, String, f64)>,
    name: impl Fn(&str) -> String,
) -> Chart {
    let labels = distinct(rows.iter().map(|r| &r.0));
    let names: Vec<(String, String)> = distinct(rows.iter().map(|r| &r.1))
        .into_iter()
        .map(|k| {
            let n = name(&k);
            (k, n)
        })
        .collect();
    let series = grid(&labels, &names, rows.iter().cloned());
    Chart {
        id: id.into(),
        title: title.to_string(),
        unit,
        kind: Kind::Bars,
        labels,
        series,
        limits: vec![],
    }
}

/// Builds one figure for `params`, with its CSV at `csv_base/{key}.csv`.
pub async fn build(
    app: &App,
    lang: Lang,
    which: Which,
    range: &stats::Range,
    csv_href: String,
) -> Result<Figure, AppError> {
    let title = t(lang, &which.msg());
    let note = t(lang, &format!("{}-note", which.msg()));
    let (charts, table) = match which {
        Which::PreLicence => pre_licence(app, lang, &title).await?,
        Which::Durations => durations(app, lang, range).await?,
        Which::Investment => investment(app, lang, range, &title).await?,
        Which::Cases => cases(app, lang, range, &title).await?,
        Which::Planning => planning(app, lang, range, &title).await?,
        Which::Trading => trading(app, lang, range, &title).await?,
    };
    Ok(Figure {
        key: which.key(),
        title,
        note,
        charts,
        table,
        csv: csv_href,
    })
}

async fn pre_licence(app: &App, lang: Lang, title: &str) -> Result<(Vec<String>, Table), AppError> {
    let counts = licence::counts(app, None, None).await?;
    // Years under the axis; every month is a step.
    let labels: Vec<String> = counts
        .iter()
        .map(|c| {
            use chrono::Datelike;
            if c.date.month() == 1 {
                c.date.year().to_string()
            } else {
                String::new()
            }
        })
        .collect();
    let chart = Chart {
        id: "fig-pre-licence".into(),
        title: title.to_string(),
        unit: t(lang, "fig-unit-items"),
        kind: Kind::Steps,
        labels,
        series: vec![Series {
            name: t(lang, "fig-series-items"),
            values: counts.iter().map(|c| Some(c.pre_licence as f64)).collect(),
        }],
        limits: vec![],
    };
    // The table: the first month, every month the count changed, and the last.
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut last: Option<usize> = None;
    for (i, c) in counts.iter().enumerate() {
        if last != Some(c.pre_licence) || i + 1 == counts.len() {
            rows.push(vec![c.date.to_string(), c.pre_licence.to_string()]);
        }
        last = Some(c.pre_licence);
    }
    let table = Table {
        columns: vec![t(lang, "fig-col-date"), t(lang, "fig-col-items")],
        rows,
        numeric_from: 1,
    };
    Ok((vec![chart.html()], table))
}

async fn durations(
    app: &App,
    lang: Lang,
    range: &stats::Range,
) -> Result<(Vec<String>, Table), AppError> {
    let rows = stats::durations(app, range).await?;
    let workflows = distinct(rows.iter().map(|r| &r.workflow));
    let mut charts = Vec::new();
    for w in &workflows {
        let mine: Vec<&stats::Durations> = rows.iter().filter(|r| &r.workflow == w).collect();
        let Some(first) = mine.first() else { continue };
        let mut limits = vec![Limit {
            name: t(lang, "fig-limit-statutory"),
            value: f64::from(first.statutory_limit_days),
        }];
        if let Some(p) = first.promised_limit_days {
            limits.push(Limit {
                name: t(lang, "fig-limit-promised"),
                value: f64::from(p),
            });
        }
        limits.push(Limit {
            name: t(lang, "fig-limit-one-third"),
            value: first.one_third_target_days,
        });
        charts.push(
            Chart {
                id: format!("fig-durations-{w}"),
                title: workflow_title(app, lang, w),
                unit: t(lang, "fig-unit-working-days"),
                kind: Kind::Bars,
                labels: mine.iter().map(|r| r.period.clone()).collect(),
                series: vec![
                    Series {
                        name: t(lang, "fig-series-median"),
                        values: mine.iter().map(|r| Some(r.median_days)).collect(),
                    },
                    Series {
                        name: t(lang, "fig-series-p90"),
                        values: mine.iter().map(|r| Some(r.p90_days)).collect(),
                    },
                ],
                limits,
            }
            .html(),
        );
    }
    let table = Table {
        columns: columns(
            lang,
            &[
                "fig-col-period",
                "fig-col-workflow",
                "fig-col-decided",
                "fig-series-median",
                "fig-series-p90",
                "fig-col-on-time",
                "fig-col-on-promise",
                "fig-col-one-third",
            ],
        ),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.period.clone(),
                    workflow_title(app, lang, &r.workflow),
                    r.cases.to_string(),
                    number(r.median_days),
                    number(r.p90_days),
                    pct(r.on_time_statutory_pct),
                    r.on_time_promised_pct.map(pct).unwrap_or_default(),
                    pct(r.within_one_third_pct),
                ]
            })
            .collect(),
        numeric_from: 2,
    };
    Ok((charts, table))
}

async fn investment(
    app: &App,
    lang: Lang,
    range: &stats::Range,
    title: &str,
) -> Result<(Vec<String>, Table), AppError> {
    let rows = stats::investment(app, range).await?;
    // Ten thousand yuan (万元) is how investment is counted in Chinese statistics.
    let chart = bars_by(
        "fig-investment",
        title,
        t(lang, "fig-unit-10k-yuan"),
        rows.iter()
            .map(|r| {
                (
                    r.period.clone(),
                    r.workflow.clone(),
                    r.investment_fen as f64 / 1_000_000.0,
                )
            })
            .collect(),
        |w| workflow_title(app, lang, w),
    );
    let table = Table {
        columns: columns(
            lang,
            &[
                "fig-col-period",
                "fig-col-workflow",
                "fig-col-projects",
                "fig-col-investment",
            ],
        ),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.period.clone(),
                    workflow_title(app, lang, &r.workflow),
                    r.projects.to_string(),
                    yuan(r.investment_fen),
                ]
            })
            .collect(),
        numeric_from: 2,
    };
    Ok((vec![chart.html()], table))
}

async fn cases(
    app: &App,
    lang: Lang,
    range: &stats::Range,
    title: &str,
) -> Result<(Vec<String>, Table), AppError> {
    let rows = stats::cases(app, range).await?;
    let chart = bars_by(
        "fig-cases",
        title,
        t(lang, "fig-unit-cases"),
        rows.iter()
            .map(|r| (r.period.clone(), r.workflow.clone(), r.cases as f64))
            .collect(),
        |w| workflow_title(app, lang, w),
    );
    let outcome = |w: &str, s: &str| {
        if s == "open" {
            return t(lang, "fig-open");
        }
        app.workflows
            .newest(w)
            .map_or_else(|| s.to_string(), |d| d.state_title(s, lang))
    };
    let table = Table {
        columns: columns(
            lang,
            &[
                "fig-col-period",
                "fig-col-workflow",
                "fig-col-outcome",
                "fig-unit-cases",
            ],
        ),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.period.clone(),
                    workflow_title(app, lang, &r.workflow),
                    outcome(&r.workflow, &r.outcome),
                    r.cases.to_string(),
                ]
            })
            .collect(),
        numeric_from: 3,
    };
    Ok((vec![chart.html()], table))
}

async fn planning(
    app: &App,
    lang: Lang,
    range: &stats::Range,
    title: &str,
) -> Result<(Vec<String>, Table), AppError> {
    let rows = stats::planning(app, range).await?;
    let chart = Chart {
        id: "fig-planning".into(),
        title: title.to_string(),
        unit: t(lang, "fig-unit-cases"),
        kind: Kind::Bars,
        labels: rows.iter().map(|r| r.period.clone()).collect(),
        series: vec![
            Series {
                name: t(lang, "fig-series-planning"),
                values: rows.iter().map(|r| Some(r.planning_eias as f64)).collect(),
            },
            Series {
                name: t(lang, "fig-series-project"),
                values: rows.iter().map(|r| Some(r.project_eias as f64)).collect(),
            },
        ],
        limits: vec![],
    };
    let table = Table {
        columns: columns(
            lang,
            &[
                "fig-col-period",
                "fig-series-planning",
                "fig-series-project",
            ],
        ),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.period.clone(),
                    r.planning_eias.to_string(),
                    r.project_eias.to_string(),
                ]
            })
            .collect(),
        numeric_from: 1,
    };
    Ok((vec![chart.html()], table))
}

/// A pollutant's name in the reader's language.
pub fn pollutant(lang: Lang, code: &str) -> String {
    i18n::lookup(lang, &format!("pollutant-{}", code.replace('_', "-")), None)
        .unwrap_or_else(|| code.to_string())
}

/// A basin's name in the reader's language (its code when it has none).
pub fn basin(lang: Lang, code: &str) -> String {
    crate::web::layout::basin_name(lang, code)
}

fn market_name(lang: Lang, market: &str) -> String {
    t(lang, &format!("fig-market-{market}"))
}

async fn trading(
    app: &App,
    lang: Lang,
    range: &stats::Range,
    title: &str,
) -> Result<(Vec<String>, Table), AppError> {
    let s = market::stats(app, range.period.clone()).await?;
    // Tonnes: allowances are counted in kilograms, volumes read in tonnes.
    let chart = bars_by(
        "fig-trading",
        title,
        t(lang, "fig-unit-tonnes"),
        s.rows
            .iter()
            .map(|r| {
                (
                    r.period.clone(),
                    r.pollutant.clone(),
                    r.volume_kg as f64 / 1000.0,
                )
            })
            .collect(),
        |p| pollutant(lang, p),
    );
    let table = Table {
        columns: columns(
            lang,
            &[
                "fig-col-period",
                "fig-col-pollutant",
                "fig-col-market",
                "fig-col-volume",
                "fig-col-value",
                "fig-col-trades",
                "fig-col-enterprises",
            ],
        ),
        rows: s
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.period.clone(),
                    r.pollutant.clone(),
                    market_name(lang, &r.market),
                    number(r.volume_kg as f64 / 1000.0),
                    yuan(r.value_fen),
                    r.trades.to_string(),
                    r.enterprises.to_string(),
                ]
            })
            .collect(),
        numeric_from: 3,
    };
    Ok((vec![chart.html()], table))
}

fn serialize<T: Serialize + Default>(rows: &[T]) -> Result<Vec<u8>, AppError> {
    crate::sheet::of(rows).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))
}

/// A figure's rows as CSV, the same columns as the API's (`Accept: text/csv`).
pub async fn csv(app: &App, which: Which, range: &stats::Range) -> Result<HttpResponse, WebError> {
    let bytes = match which {
        Which::PreLicence => serialize(&licence::counts(app, None, None).await?)?,
        Which::Durations => serialize(&stats::durations(app, range).await?)?,
        Which::Investment => serialize(&stats::investment(app, range).await?)?,
        Which::Cases => serialize(&stats::cases(app, range).await?)?,
        Which::Planning => serialize(&stats::planning(app, range).await?)?,
        Which::Trading => serialize(&market::stats(app, range.period.clone()).await?.rows)?,
    };
    Ok(attachment(which.key(), bytes))
}

fn attachment(name: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(bytes)
}

/// Flat records as a CSV download named `name.csv`.
pub fn csv_response<T: Serialize + Default>(
    name: &str,
    rows: &[T],
) -> Result<HttpResponse, WebError> {
    Ok(attachment(name, serialize(rows)?))
}
