//! `/public/market`: what the market did, without sign-in: the results of closed auctions and
//! listings (prices, volumes, how many bid and won; never who) and the trading figures.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::figures::{self, basin, pollutant, Figure, Params, Which};
use super::public::render_public;
use crate::app::market::{self, PublicResult};
use crate::app::App;
use crate::web::chart::number;
use crate::web::forms::Errors;
use crate::web::i18n::{self, Lang};
use crate::web::layout::{local_time, yuan, Chrome};
use crate::web::session::Ctx;
use crate::web::WebError;

/// How many closed lots the page lists.
const RESULTS: usize = 100;

/// A closed lot's line, in the reader's language.
pub struct ResultRow {
    pub closed: String,
    pub kind: String,
    pub pollutant: String,
    pub basin: String,
    pub valid_to: String,
    pub offered: String,
    pub sold: String,
    pub price: String,
    pub rule: String,
    pub bidders: i64,
    pub winners: i64,
    pub outcome: String,
    pub failed: bool,
}

fn row(lang: Lang, r: &PublicResult) -> ResultRow {
    let t = |id: &str| i18n::t(lang, id);
    ResultRow {
        closed: local_time(r.closed_at),
        kind: t(&format!("market-kind-{}", r.kind)),
        pollutant: pollutant(lang, &r.pollutant),
        basin: basin(lang, &r.basin),
        valid_to: r.valid_to.to_string(),
        offered: number(r.offered_kg as f64),
        sold: number(r.sold_kg as f64),
        price: r.price_fen.map(yuan).unwrap_or_else(|| "—".into()),
        rule: r
            .clearing
            .as_deref()
            .map(|c| t(&format!("market-rule-{}", c.replace('_', "-"))))
            .unwrap_or_else(|| t("market-rule-fixed")),
        bidders: r.bidders,
        winners: r.winners,
        outcome: t(&format!("market-outcome-{}", r.outcome)),
        failed: r.outcome == "failed",
    }
}

#[derive(Template)]
#[template(path = "public_market.html")]
pub struct MarketPage {
    pub c: Chrome,
    pub period: String,
    pub errors: Errors,
    pub figure: Figure,
    pub results: Vec<ResultRow>,
}

/// `GET /public/market`.
pub async fn page(
    ctx: Ctx,
    app: web::Data<App>,
    params: web::Query<Params>,
) -> Result<HttpResponse, WebError> {
    let lang = ctx.lang;
    let mut errors = Errors::default();
    let range = params.range(lang, &mut errors);
    let csv = format!("/public/market/trading.csv?period={}", params.period());
    let figure = figures::build(&app, lang, Which::Trading, &range, csv).await?;
    let results = market::public_results(&app, RESULTS).await?;
    let page = MarketPage {
        c: Chrome::new(&ctx, "market-public-title"),
        period: params.period().to_string(),
        errors,
        figure,
        results: results.iter().map(|r| row(lang, r)).collect(),
    };
    render_public(&page, StatusCode::OK)
}

/// `GET /public/market/{name}.csv`: `results.csv` (the closed lots) or `trading.csv`.
pub async fn csv(
    ctx: Ctx,
    app: web::Data<App>,
    path: web::Path<String>,
    params: web::Query<Params>,
) -> Result<HttpResponse, WebError> {
    match path.as_str() {
        "trading.csv" => {
            let mut errors = Errors::default();
            let range = params.range(ctx.lang, &mut errors);
            figures::csv(&app, Which::Trading, &range).await
        }
        "results.csv" => {
            let rows = market::public_results(&app, usize::MAX).await?;
            figures::csv_response("results", &rows)
        }
        _ => Err(WebError::NotFound),
    }
}
