//! The HTTP API (actix-web). The only layer that knows status codes and JSON shapes.

pub mod admin;
pub mod auth;
pub mod cases;
pub mod classification;
pub mod client;
pub mod csv;
pub mod directory;
pub mod documents;
pub mod edge;
pub mod error;
pub mod log;
pub mod market;
pub mod openapi;
pub mod public;
pub mod reform;
pub mod registry;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;
use utoipa::OpenApi;

use crate::app::{deadlines, App};
use crate::token::Verifier;
use crate::web::pages::login::SignInWays;
use error::{ApiError, ErrorCode};
use openapi::ErrorBody;

fn json_error(err: impl std::fmt::Display, code: ErrorCode) -> actix_web::Error {
    ApiError::bad_request(code, err.to_string()).into()
}

/// The HTTP server of the API and the pages, on `listener`, for `app`.
pub(crate) fn serve(
    listener: TcpListener,
    app: App,
    jwt: crate::settings::JwtSettings,
    verifier: Verifier,
    cors: edge::Cors,
    client: client::ClientAddress,
    ways: SignInWays,
) -> anyhow::Result<Server> {
    let origin = ways.desk.as_ref().map(|d| d.origin());
    let policy = web::Data::new(edge::PagePolicy::new(origin.as_deref())?);
    let ways = web::Data::new(ways);
    let client = web::Data::new(client);
    let app = web::Data::new(app);
    let cors = web::Data::new(cors);
    let pages = web::Data::new(crate::web::cache::PageCache::default());
    let verifier = web::Data::new(verifier);
    let jwt = web::Data::new(jwt);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .wrap(tracing_actix())
            .wrap_fn(|req, srv| {
                use actix_web::dev::Service;
                let started = std::time::Instant::now();
                let method = req.method().to_string();
                let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
                let fut = srv.call(req);
                async move {
                    let res = fut.await?;
                    crate::metrics::http_request(
                        &method,
                        &route,
                        res.status().as_u16(),
                        started.elapsed().as_secs_f64(),
                    );
                    Ok(res)
                }
            })
            .wrap(actix_web::middleware::from_fn(edge::guard))
            .app_data(app.clone())
            .app_data(cors.clone())
            .app_data(pages.clone())
            .app_data(web::PayloadConfig::new(edge::MAX_JSON_BYTES))
            .app_data(verifier.clone())
            .app_data(jwt.clone())
            .app_data(client.clone())
            .app_data(ways.clone())
            .app_data(policy.clone())
            .app_data(
                web::JsonConfig::default()
                    .error_handler(|e, _| json_error(e, ErrorCode::InvalidBody)),
            )
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| json_error(e, ErrorCode::InvalidQuery)),
            )
            .app_data(
                web::PathConfig::default()
                    .error_handler(|e, _| json_error(e, ErrorCode::InvalidPath)),
            )
            .route("/health", web::get().to(health))
            .route("/log/checkpoint", web::get().to(log::checkpoint))
            .route("/log/tile/{path:.*}", web::get().to(log::tile))
            .route("/ready", web::get().to(ready_check))
            .route("/metrics", web::get().to(admin::metrics_text))
            .route("/api/openapi.json", web::get().to(openapi_json))
            .service(
                utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}")
                    .url("/api/docs/openapi.json", openapi::ApiDoc::openapi()),
            )
            .service(
                web::scope("/api/v1")
                    .route("/workflows", web::get().to(cases::workflows))
                    .route("/auth/login", web::post().to(directory::login))
                    .route("/organisations", web::get().to(directory::orgs))
                    .route("/admin/organisations", web::post().to(directory::add_org))
                    .route("/users", web::get().to(directory::users))
                    .route("/admin/users", web::post().to(directory::add_user))
                    .route(
                        "/admin/users/{email}",
                        web::patch().to(directory::update_user),
                    )
                    .route(
                        "/admin/users/{email}/sign-out",
                        web::post().to(directory::sign_out_everywhere),
                    )
                    .route("/grants", web::get().to(directory::grants))
                    .route("/grants", web::post().to(directory::grant))
                    .route("/grants/{id}", web::delete().to(directory::revoke))
                    .route("/inbox", web::get().to(cases::inbox))
                    .route("/classify", web::post().to(classification::classify))
                    .route(
                        "/classification/editions",
                        web::get().to(classification::editions),
                    )
                    .route(
                        "/classification/{edition}/items",
                        web::get().to(classification::items),
                    )
                    .route(
                        "/classification/{edition}/items/{no}",
                        web::get().to(classification::item),
                    )
                    .route("/cases", web::post().to(cases::create))
                    .route("/cases", web::get().to(cases::list))
                    .route("/cases/{id}", web::get().to(cases::get))
                    .route("/cases/{id}/history", web::get().to(cases::history))
                    .route("/cases/{id}/timeline", web::get().to(cases::timeline))
                    .route("/cases/{id}/documents", web::post().to(documents::upload))
                    .route("/cases/{id}/documents", web::get().to(documents::list))
                    .route(
                        "/cases/{id}/documents/{doc}/content",
                        web::get().to(documents::download),
                    )
                    .route("/cases/{id}/actions/{action}", web::post().to(cases::fire))
                    .route("/accounts", web::get().to(registry::accounts))
                    .route("/accounts/{id}/ledger", web::get().to(registry::ledger))
                    .route("/reserve/issuance", web::post().to(registry::issue))
                    .route("/allocations", web::post().to(registry::allocate))
                    .route("/lots/{id}/takes", web::post().to(registry::take))
                    .route("/registry/totals", web::get().to(registry::totals))
                    .route("/lots", web::get().to(market::lots))
                    .route("/lots/{id}/deposits", web::post().to(market::deposit))
                    .route("/lots/{id}/bids", web::post().to(market::place_bid))
                    .route("/lots/{id}/bids", web::get().to(market::bids))
                    .route(
                        "/lots/{id}/bids/{bid_id}",
                        web::put().to(market::change_bid),
                    )
                    .route(
                        "/lots/{id}/bids/{bid_id}",
                        web::delete().to(market::withdraw_bid),
                    )
                    .route("/lots/{id}/result", web::get().to(market::result))
                    .route("/market/stats", web::get().to(market::stats))
                    .route("/public/log", web::get().to(log::about))
                    .route("/public/log/proof", web::get().to(log::proof))
                    .route("/public/log/consistency", web::get().to(log::consistency))
                    .route("/public/notices", web::get().to(public::notices))
                    .route("/public/notices/{id}", web::get().to(public::notice))
                    .route("/public/notices/{id}/verify", web::get().to(public::verify))
                    .route(
                        "/public/notices/{id}/comments",
                        web::post().to(public::comment),
                    )
                    .route(
                        "/public/market/results",
                        web::get().to(public::market_results),
                    )
                    .route("/admin/catalogue/import", web::post().to(reform::import))
                    .route("/catalogue/items", web::get().to(reform::items))
                    .route("/catalogue/reduction", web::get().to(reform::reduction))
                    .route("/siting/check", web::post().to(reform::siting_check))
                    .route("/stats/cases", web::get().to(reform::stats_cases))
                    .route("/stats/durations", web::get().to(reform::stats_durations))
                    .route("/stats/investment", web::get().to(reform::stats_investment))
                    .route("/stats/planning", web::get().to(reform::stats_planning))
                    .route(
                        "/stats/pre_licence",
                        web::get().to(reform::stats_pre_licence),
                    )
                    .route("/stats/trading", web::get().to(reform::stats_trading))
                    .route("/market/participants", web::get().to(market::participants))
                    .route(
                        "/market/participants/{org}",
                        web::put().to(market::set_participant),
                    )
                    .route("/calendars", web::get().to(admin::list_calendars))
                    .route(
                        "/admin/calendars/{year}",
                        web::put().to(admin::put_calendar),
                    )
                    .route("/admin/outbox", web::get().to(admin::outbox))
                    .route("/admin/timers", web::get().to(admin::timers))
                    .route(
                        "/admin/timers/{id}/retry",
                        web::post().to(admin::retry_timer),
                    )
                    .route(
                        "/admin/outbox/{id}/retry",
                        web::post().to(admin::retry_mail),
                    )
                    .route("/admin/clock", web::get().to(admin::get_clock))
                    .route("/admin/clock", web::post().to(admin::move_clock)),
            )
            .configure(crate::web::routes)
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

fn tracing_actix() -> actix_web::middleware::Logger {
    actix_web::middleware::Logger::new("%r %s %Dms")
}

/// The OpenAPI document.
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi::json())
}

#[utoipa::path(get, path = "/health", tag = "service", responses((status = 200, description = "The process is up")))]
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/ready", tag = "service", responses((status = 200, description = "The database answers"), (status = 503, description = "It does not", body = ErrorBody)))]
async fn ready_check(app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    match deadlines::ready(&app).await {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({"status": "ready"}))),
        Err(e) => {
            tracing::warn!(error = %e, "database not answering");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::NotReady,
                "the database does not answer",
            ))
        }
    }
}

/// No such route: the API answers in JSON, anything else with the web interface's 404 page.
async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    if req.path().starts_with("/api/") || req.path() == "/api" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such endpoint",
        ));
    }
    Ok(crate::web::error::not_found_page(req).await)
}
