//! `/catalogue`: the pre-licence items in force on a chosen date (for a kind of business), and
//! the reduction between two dates per authority.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::app::licence::{self, ItemsOn, ReductionReport};
use crate::app::{App, AppError};
use crate::web::forms::Errors;
use crate::web::layout::Chrome;
use crate::web::session::Signed;
use crate::web::{render_as, WebError};

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    on: Option<String>,
    #[serde(default)]
    business: Option<String>,
    #[serde(default)]
    baseline: Option<String>,
}

#[derive(Template)]
#[template(path = "catalogue.html")]
pub struct CataloguePage {
    pub c: Chrome,
    pub on: String,
    pub baseline: String,
    pub business: String,
    pub kinds: Vec<String>,
    pub errors: Errors,
    pub items: Option<ItemsOn>,
    pub reduction: Option<ReductionReport>,
}

/// The baseline the reform counts from: the catalogue before the cut.
const BASELINE: &str = "2014-01-01";

/// `GET /catalogue`.
pub async fn page(
    who: Signed,
    app: web::Data<App>,
    q: web::Query<Params>,
) -> Result<HttpResponse, WebError> {
    let lang = who.ctx.lang;
    let mut errors = Errors::default();
    let on = q.on.clone().filter(|s| !s.is_empty());
    let baseline = q
        .baseline
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| BASELINE.to_string());
    let business = q.business.clone().filter(|s| !s.is_empty());
    let refused = |e: AppError, errors: &mut Errors| match e {
        AppError::Validation(fe) => {
            errors.extend_from(lang, &fe);
            Ok(())
        }
        other => Err(other),
    };
    let items = match licence::items_on(&app, on.as_deref(), business.clone()).await {
        Ok(i) => Some(i),
        Err(e) => {
            refused(e, &mut errors)?;
            None
        }
    };
    let reduction = match licence::reduction(&app, Some(&baseline), on.as_deref()).await {
        Ok(r) => Some(r),
        Err(e) => {
            refused(e, &mut errors)?;
            None
        }
    };
    let kinds: BTreeSet<String> = licence::load(&app.db)
        .await?
        .iter()
        .flat_map(|i| i.business_kinds.iter().cloned())
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = CataloguePage {
        c: Chrome::new(&who.ctx, "catalogue-title"),
        on: items
            .as_ref()
            .map(|i| i.on.to_string())
            .or(on)
            .unwrap_or_default(),
        baseline,
        business: business.unwrap_or_default(),
        kinds: kinds.into_iter().collect(),
        errors,
        items,
        reduction,
    };
    render_as(status, &page)
}
