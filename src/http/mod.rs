//! The HTTP API (actix-web). The only layer that knows status codes and JSON shapes.

pub mod auth;
pub mod cases;
pub mod error;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::app::{workflows, App, Clock, SystemClock};
use crate::settings::Settings;
use crate::store;
use crate::token::Verifier;
use error::ApiError;

/// A built server: bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    pub app: App,
}

impl Application {
    /// Connects to the database (migrating it), deploys the workflows, and binds `settings.bind`
    /// (use port 0 for any free port).
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        settings: &Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Application> {
        let db = store::connect(&settings.database_url).await?;
        let registry = workflows::deploy(&db, &settings.workflows_dir, clock.as_ref()).await?;
        let app = App {
            db,
            workflows: Arc::new(registry),
            clock,
        };
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let (jwt, _) = settings.jwt()?;
        let server = serve(listener, app.clone(), Verifier::new(&jwt))?;
        Ok(Application { port, server, app })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn json_error(err: impl std::fmt::Display, code: &'static str) -> actix_web::Error {
    ApiError::bad_request(code, err.to_string()).into()
}

fn serve(listener: TcpListener, app: App, verifier: Verifier) -> anyhow::Result<Server> {
    let app = web::Data::new(app);
    let verifier = web::Data::new(verifier);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .wrap(tracing_actix())
            .app_data(app.clone())
            .app_data(verifier.clone())
            .app_data(
                web::JsonConfig::default().error_handler(|e, _| json_error(e, "invalid_body")),
            )
            .app_data(
                web::QueryConfig::default().error_handler(|e, _| json_error(e, "invalid_query")),
            )
            .app_data(
                web::PathConfig::default().error_handler(|e, _| json_error(e, "invalid_path")),
            )
            .route("/health", web::get().to(health))
            .route("/ready", web::get().to(ready_check))
            .service(
                web::scope("/api/v1")
                    .route("/workflows", web::get().to(cases::workflows))
                    .route("/cases", web::post().to(cases::create))
                    .route("/cases", web::get().to(cases::list))
                    .route("/cases/{id}", web::get().to(cases::get))
                    .route("/cases/{id}/history", web::get().to(cases::history))
                    .route("/cases/{id}/actions/{action}", web::post().to(cases::fire)),
            )
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

fn tracing_actix() -> actix_web::middleware::Logger {
    actix_web::middleware::Logger::new("%r %s %Dms")
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn ready_check(app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    match store::ping(&app.db).await {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({"status": "ready"}))),
        Err(e) => {
            tracing::warn!(error = %e, "database not answering");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "the database does not answer",
            ))
        }
    }
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint",
    ))
}
