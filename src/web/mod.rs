//! The web interface: server-rendered pages in Chinese and English for every role.
//!
//! It sits beside [`crate::http`] and calls the same [`crate::app`] use cases; it never touches
//! the store, holds no rules and writes no audit entries of its own. A page handler:
//!
//! 1. takes an extractor: [`session::Ctx`] (anyone), [`session::Signed`] (signed in), or
//!    [`session::Posted`] (a state-changing form: signed in, CSRF token and origin checked);
//! 2. parses the query or form into the use case's input;
//! 3. calls one or more `app` functions with the person as the actor;
//! 4. renders a typed askama template (`templates/`), whose words come from `locales/*.ftl`.
//!
//! Errors become pages in the person's language ([`error::error_pages`]). A form refused by
//! validation is shown again with each message next to its field and a summary at the top.
//! Every form works without JavaScript; `htmx` only makes some of them quicker.

pub mod assets;
pub mod cache;
pub mod chart;
pub mod error;
pub mod forms;
pub mod graph;
pub use crate::i18n;
pub mod layout;
pub mod pages;
pub mod session;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

pub use error::WebError;

/// A rendered page (never cached: pages carry personal data).
pub fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// Renders a template as a 200 page.
pub fn render(t: &impl Template) -> Result<HttpResponse, WebError> {
    Ok(html(actix_web::http::StatusCode::OK, t.render()?))
}

/// Renders a page that is itself the answer to an error (a form shown again with its errors):
/// the error-page middleware leaves it as it is.
pub fn render_as(
    status: actix_web::http::StatusCode,
    t: &impl Template,
) -> Result<HttpResponse, WebError> {
    let mut r = html(status, t.render()?);
    r.headers_mut().insert(
        header::HeaderName::from_static(error::RENDERED),
        header::HeaderValue::from_static("1"),
    );
    Ok(r)
}

/// A redirect after a successful form (POST, then GET).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .finish()
}

/// The pages' routes, registered after the API's.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use pages::*;
    cfg.route("/static/{file}", web::get().to(assets::serve))
        .service(
            web::scope("")
                .wrap(actix_web::middleware::from_fn(error::error_pages))
                .wrap(actix_web::middleware::from_fn(cache::public_pages))
                .route("/", web::get().to(home::home))
                .route("/login", web::get().to(login::form))
                .route("/login", web::post().to(login::submit))
                .route("/login/oidc", web::get().to(login::provider))
                .route("/login/oidc/callback", web::get().to(login::callback))
                .route("/logout", web::post().to(login::logout))
                .route("/lang/{code}", web::get().to(login::switch_language))
                .route("/grants", web::post().to(home::grant))
                .route("/grants/{id}/revoke", web::post().to(home::revoke))
                .route("/public", web::get().to(public::bulletin))
                .route("/public/notices.csv", web::get().to(public::csv))
                .route("/public/feed.atom", web::get().to(public::feed_all))
                .route("/public/feeds/{kind}", web::get().to(public::feed))
                .route("/public/notices/{id}", web::get().to(public::notice))
                .route("/public/market", web::get().to(market_public::page))
                .route("/public/market/{name}", web::get().to(market_public::csv))
                .route("/public/reform", web::get().to(reform::public))
                .route(
                    "/public/classification",
                    web::get().to(classification::public_index),
                )
                .route(
                    "/public/classification/{edition}/{no}",
                    web::get().to(classification::public_item),
                )
                .route("/public/reform/{name}", web::get().to(reform::public_csv))
                .route("/stats", web::get().to(reform::dashboards))
                .route("/stats/{name}", web::get().to(reform::stats_csv))
                .route("/market", web::get().to(market::board))
                .route("/market/lots/{id}", web::get().to(market::lot))
                .route("/market/lots/{id}/take", web::post().to(market::take))
                .route("/market/lots/{id}/bids", web::post().to(market::bid))
                .route(
                    "/market/lots/{id}/bids/{bid}",
                    web::post().to(market::change_bid),
                )
                .route("/operator", web::get().to(operator::page))
                .route(
                    "/operator/participants",
                    web::post().to(operator::set_participant),
                )
                .route(
                    "/operator/lots/{id}/deposits",
                    web::post().to(operator::deposit),
                )
                .route(
                    "/operator/payments/{lot}",
                    web::post().to(operator::payment),
                )
                .route("/operator/{kind}", web::post().to(operator::movement_post))
                .route("/accounts", web::get().to(market::accounts))
                .route("/accounts/{id}", web::get().to(market::ledger))
                .route("/catalogue", web::get().to(catalogue::page))
                .route("/siting", web::get().to(siting::page))
                .route("/workflows", web::get().to(workflows::list))
                .route("/workflows/{name}", web::get().to(workflows::show))
                .route("/public/notices/{id}/verify", web::get().to(public::verify))
                .route(
                    "/public/notices/{id}/comments",
                    web::post().to(public::comment),
                )
                .route(
                    "/public/notices/{id}/documents/{name}",
                    web::get().to(public::document),
                )
                .route("/inbox", web::get().to(inbox::inbox))
                .route("/inbox/views", web::post().to(inbox::save_view))
                .route(
                    "/inbox/views/{id}/delete",
                    web::post().to(inbox::delete_view),
                )
                .route("/cases", web::get().to(cases::search))
                .route("/cases.csv", web::get().to(cases::csv))
                .route("/cases/new", web::get().to(new_case::start))
                .route("/cases/new/{workflow}", web::get().to(new_case::form))
                .route("/cases/new/{workflow}", web::post().to(new_case::submit))
                .route("/cases/{id}", web::get().to(case::show))
                .route("/cases/{id}/edit/{action}", web::get().to(case::edit))
                .route("/cases/{id}/actions/{action}", web::post().to(case::act))
                .route("/cases/{id}/documents", web::post().to(case::upload))
                .route("/cases/{id}/documents/{doc}", web::get().to(case::download))
                .route(
                    "/cases/{id}/comments/{comment}",
                    web::post().to(case::handle_comment),
                )
                .route("/cases/{id}/history.{format}", web::get().to(audit::export))
                .route("/audit", web::get().to(audit::page))
                .route("/audit/verify", web::post().to(audit::verify))
                .route("/admin", web::get().to(admin::overview))
                .route("/admin/organisations", web::post().to(admin::add_org))
                .route("/admin/users", web::post().to(admin::add_user))
                .route("/admin/users/{email}", web::get().to(admin::user))
                .route("/admin/users/{email}", web::post().to(admin::update_user))
                .route(
                    "/admin/users/{email}/sign-out",
                    web::post().to(admin::sign_out_everywhere),
                )
                .route(
                    "/admin/users/{email}/active",
                    web::post().to(admin::set_active),
                )
                .route("/admin/grants", web::post().to(admin::grant))
                .route("/admin/grants/{id}/revoke", web::post().to(admin::revoke))
                .route("/admin/calendars", web::post().to(admin::put_calendar))
                .route(
                    "/admin/outbox/{id}/retry",
                    web::post().to(admin::retry_mail),
                )
                .route(
                    "/admin/timers/{id}/retry",
                    web::post().to(admin::retry_timer),
                )
                .route("/admin/clock", web::post().to(admin::move_clock)),
        );
}
