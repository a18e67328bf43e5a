//! The OpenAPI document, generated from the handlers' annotations (utoipa), served at
//! `/api/openapi.json`, with a docs page at `/api/docs` that needs no internet access.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Every error: a code, a message, and details (per-field messages for `validation_failed`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// A stable snake_case code: `validation_failed`, `version_conflict`, `forbidden`,
    /// `same_actor`, `action_not_allowed`, `not_found`, `unauthorized`, ...
    error: String,
    message: String,
    #[schema(value_type = Object)]
    details: serde_json::Value,
}

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Greenlane",
        description = "Workflow engine for environmental permitting (EIA approval) and pollution-rights trading. Every /api/v1 call needs `Authorization: Bearer <JWT>`.",
    ),
    paths(
        super::health,
        super::ready_check,
        super::admin::metrics_text,
        super::cases::workflows,
        super::directory::login,
        super::directory::orgs,
        super::directory::add_org,
        super::directory::users,
        super::directory::add_user,
        super::directory::grants,
        super::directory::grant,
        super::directory::revoke,
        super::cases::inbox,
        super::cases::classify,
        super::cases::create,
        super::cases::list,
        super::cases::get,
        super::cases::fire,
        super::cases::history,
        super::cases::timeline,
        super::documents::upload,
        super::documents::list,
        super::documents::download,
        super::registry::accounts,
        super::registry::ledger,
        super::registry::issue,
        super::registry::allocate,
        super::registry::totals,
        super::registry::take,
        super::market::lots,
        super::market::deposit,
        super::market::place_bid,
        super::market::bids,
        super::market::change_bid,
        super::market::withdraw_bid,
        super::market::result,
        super::market::stats,
        super::market::participants,
        super::market::set_participant,
        super::reform::import,
        super::reform::items,
        super::reform::reduction,
        super::reform::siting_check,
        super::reform::stats_cases,
        super::reform::stats_durations,
        super::reform::stats_investment,
        super::reform::stats_planning,
        super::reform::stats_pre_licence,
        super::reform::stats_trading,
        super::admin::list_calendars,
        super::admin::put_calendar,
        super::admin::get_clock,
        super::admin::move_clock,
        super::admin::outbox,
        super::admin::retry_mail,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Bearer),
    tags(
        (name = "service", description = "Health, readiness, metrics"),
        (name = "cases", description = "Cases moving through workflows"),
        (name = "documents", description = "Documents attached to cases"),
        (name = "directory", description = "Sign-in, organisations, users, agency grants"),
        (name = "registry", description = "Pollution-rights accounts and the double-entry ledger"),
        (name = "reform", description = "The pre-licence catalogue, waterfront siting and the reform figures"),
        (name = "market", description = "Lots, sealed-bid auctions, deposits, results and market statistics"),
        (name = "admin", description = "Calendars, the manual clock, the outbox"),
    )
)]
pub struct ApiDoc;

/// The document as JSON text.
pub fn json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".into())
}
