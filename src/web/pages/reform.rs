//! `/public/reform` (without sign-in) and `/stats` (the bureau's dashboards): the reform and
//! market figures as charts with their tables and CSV, for a period size and a range of dates.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::figures::{self, Figure, Params, Which};
use super::public::render_public;
use crate::app::App;
use crate::web::forms::Errors;
use crate::web::i18n::Lang;
use crate::web::layout::Chrome;
use crate::web::session::{Ctx, Signed};
use crate::web::{render_as, WebError};

#[derive(Template)]
#[template(path = "figures.html")]
pub struct FiguresPage {
    pub c: Chrome,
    /// `/public/reform` or `/stats`: where the form and the CSV links go.
    pub base: &'static str,
    /// The public pages' tabs show above a public page.
    pub public: bool,
    pub lead: String,
    pub period: String,
    pub from: String,
    pub to: String,
    pub errors: Errors,
    pub figures: Vec<Figure>,
}

async fn page(
    app: &App,
    ctx: &Ctx,
    params: &Params,
    base: &'static str,
    which: &[Which],
) -> Result<(FiguresPage, StatusCode), WebError> {
    let lang: Lang = ctx.lang;
    let mut errors = Errors::default();
    let range = params.range(lang, &mut errors);
    let query = params.query();
    let mut out = Vec::new();
    for w in which {
        let csv = format!("{base}/{}.csv?{query}", w.key());
        out.push(figures::build(app, lang, *w, &range, csv).await?);
    }
    let public = base == "/public/reform";
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FiguresPage {
        c: Chrome::new(
            ctx,
            if public {
                "reform-title"
            } else {
                "stats-title"
            },
        ),
        base,
        public,
        lead: crate::web::i18n::t(lang, if public { "reform-lead" } else { "stats-lead" }),
        period: params.period().to_string(),
        from: params.from.clone().unwrap_or_default(),
        to: params.to.clone().unwrap_or_default(),
        errors,
        figures: out,
    };
    Ok((page, status))
}

/// `GET /public/reform`: the figures a citizen asks about.
pub async fn public(
    ctx: Ctx,
    app: web::Data<App>,
    params: web::Query<Params>,
) -> Result<HttpResponse, WebError> {
    let (page, status) = page(&app, &ctx, &params, "/public/reform", &Which::PUBLIC).await?;
    render_public(&page, status)
}

/// `GET /stats`: every figure, for the people of the bureau (and anyone signed in).
pub async fn dashboards(
    who: Signed,
    app: web::Data<App>,
    params: web::Query<Params>,
) -> Result<HttpResponse, WebError> {
    let (page, status) = page(&app, &who.ctx, &params, "/stats", &Which::ALL).await?;
    render_as(status, &page)
}

fn which(name: &str, allowed: &[Which]) -> Result<Which, WebError> {
    name.strip_suffix(".csv")
        .and_then(Which::parse)
        .filter(|w| allowed.contains(w))
        .ok_or(WebError::NotFound)
}

/// `GET /public/reform/{figure}.csv`.
pub async fn public_csv(
    ctx: Ctx,
    app: web::Data<App>,
    path: web::Path<String>,
    params: web::Query<Params>,
) -> Result<HttpResponse, WebError> {
    let w = which(&path, &Which::PUBLIC)?;
    let mut errors = Errors::default();
    let range = params.range(ctx.lang, &mut errors);
    if !errors.is_empty() {
        return Err(WebError::BadRequest);
    }
    figures::csv(&app, w, &range).await
}

/// `GET /stats/{figure}.csv`.
pub async fn stats_csv(
    who: Signed,
    app: web::Data<App>,
    path: web::Path<String>,
    params: web::Query<Params>,
) -> Result<HttpResponse, WebError> {
    let w = which(&path, &Which::ALL)?;
    let mut errors = Errors::default();
    let range = params.range(who.ctx.lang, &mut errors);
    if !errors.is_empty() {
        return Err(WebError::BadRequest);
    }
    figures::csv(&app, w, &range).await
}
