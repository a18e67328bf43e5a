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
    error: super::error::ErrorCode,
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

/// What every operation can answer besides its own responses: an unreadable request (400), a
/// refused field or a NUL character (422), and by its kind 401/403 (signed), 404 (with path
/// parameters), 413/415 (with a body), 429 (sign-in and uploads); and the `Idempotency-Key` of
/// every POST, PUT, PATCH and DELETE.
struct Common;

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

impl Modify for Common {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/api/v1/");
            let ops: [(&str, &mut Option<Operation>); 5] = [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("put", &mut item.put),
                ("patch", &mut item.patch),
                ("delete", &mut item.delete),
            ];
            for (method, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                let mut add = |code: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| error_response(description));
                };
                add("400", "The request cannot be read (`invalid_body`, `invalid_query`, `invalid_path`, `invalid_idempotency_key`)");
                add("422", "A field is refused (`validation_failed`, naming each field; also a NUL character anywhere)");
                if api && path != "/api/v1/auth/login" {
                    add("401", "No valid bearer token (`unauthorized`)");
                    add("403", "The caller's role may not do this (`forbidden`)");
                }
                if path.contains('{') {
                    add("404", "Not found for the caller (`not_found`)");
                }
                let body = matches!(method, "post" | "put" | "patch");
                if body {
                    add("413", "The body is larger than the limit (`too_large`)");
                    add(
                        "415",
                        "The body is not of the expected type (`unsupported_media_type`)",
                    );
                }
                if path == "/api/v1/auth/login" || path.ends_with("/documents") {
                    add("429", "Too much at once (`too_many_attempts` or `busy`, with `retry_after_seconds`)");
                }
                let writes = method != "get" && api;
                let named = op.parameters.as_ref().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p.name.eq_ignore_ascii_case("Idempotency-Key"))
                });
                // Sign-in, classification and the siting check change nothing: no key to keep.
                let reads_only = [
                    "/api/v1/auth/login",
                    "/api/v1/classify",
                    "/api/v1/siting/check",
                ]
                .contains(&path.as_str());
                if writes && !named && !reads_only {
                    let key = ParameterBuilder::new()
                        .name("Idempotency-Key")
                        .parameter_in(ParameterIn::Header)
                        .required(Required::False)
                        .description(Some("Acts once per key: a retry gets the first response"))
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(1))
                                .max_length(Some(200))
                                .pattern(Some("^[\\x21-\\x7e]+$")),
                        ))
                        .build();
                    op.parameters.get_or_insert_with(Vec::new).push(key);
                }
            }
        }
    }
}

/// The methods each documented path takes, read from the document (for 405 and `Allow`).
pub fn methods() -> &'static [(Vec<String>, Vec<&'static str>)] {
    static METHODS: std::sync::OnceLock<Vec<(Vec<String>, Vec<&'static str>)>> =
        std::sync::OnceLock::new();
    METHODS.get_or_init(|| {
        let doc = ApiDoc::openapi();
        doc.paths
            .paths
            .iter()
            .map(|(p, item)| {
                let mut m = Vec::new();
                if item.get.is_some() {
                    m.push("GET");
                }
                if item.post.is_some() {
                    m.push("POST");
                }
                if item.put.is_some() {
                    m.push("PUT");
                }
                if item.patch.is_some() {
                    m.push("PATCH");
                }
                if item.delete.is_some() {
                    m.push("DELETE");
                }
                (p.split('/').map(str::to_string).collect(), m)
            })
            .collect()
    })
}

/// The methods a concrete path takes, if it is one of the document's.
pub fn methods_of(path: &str) -> Option<Vec<&'static str>> {
    let parts: Vec<&str> = path.split('/').collect();
    let mut found: Option<Vec<&'static str>> = None;
    for (template, m) in methods() {
        let matches = template.len() == parts.len()
            && template
                .iter()
                .zip(&parts)
                .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()));
        if matches {
            // A literal path (`/cases.csv`) and a template (`/cases/{id}`) may both match: take
            // every method either takes.
            let all = found.get_or_insert_with(Vec::new);
            for x in m {
                if !all.contains(x) {
                    all.push(x);
                }
            }
        }
    }
    found
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Greenlane",
        description = "Workflow engine for environmental permitting (EIA approval) and pollution-rights trading. Every /api/v1 call except /api/v1/public/… and the GETs of /api/v1/classification/… needs `Authorization: Bearer <JWT>`: one of the server's own (HS256, from /api/v1/auth/login) or one from a configured OpenID Connect issuer (RS256 or ES256).",
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
        super::directory::update_user,
        super::directory::sign_out_everywhere,
        super::directory::grants,
        super::directory::grant,
        super::directory::revoke,
        super::cases::inbox,
        super::classification::classify,
        super::classification::editions,
        super::classification::items,
        super::classification::item,
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
        super::log::about,
        super::log::proof,
        super::log::consistency,
        super::public::notices,
        super::public::notice,
        super::public::verify,
        super::public::comment,
        super::public::market_results,
        super::admin::list_calendars,
        super::admin::put_calendar,
        super::admin::get_clock,
        super::admin::move_clock,
        super::admin::outbox,
        super::admin::retry_mail,
        super::admin::timers,
        super::admin::retry_timer,
    ),
    components(schemas(ErrorBody, super::error::ErrorCode, super::admin::MailState, super::admin::TimerState, super::reform::Period, super::market::LotKind, super::public::CommentBody, super::public::NoticeKindName)),
    modifiers(&Bearer, &Common),
    tags(
        (name = "service", description = "Health, readiness, metrics"),
        (name = "cases", description = "Cases moving through workflows"),
        (name = "documents", description = "Documents attached to cases"),
        (name = "directory", description = "Sign-in, organisations, users, agency grants"),
        (name = "registry", description = "Pollution-rights accounts and the double-entry ledger"),
        (name = "reform", description = "The pre-licence catalogue, waterfront siting and the reform figures"),
        (name = "market", description = "Lots, sealed-bid auctions, deposits, results and market statistics"),
        (name = "admin", description = "Calendars, the manual clock, the outbox"),
        (name = "classification", description = "The EIA classification catalogue (2021 edition: 173 items, verbatim), read without sign-in, and the category a project needs"),
        (name = "public", description = "Published notices, public comments and market results, without sign-in"),
    )
)]
pub struct ApiDoc;

/// The document as JSON text.
pub fn json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod timer_states {
    use utoipa::OpenApi;

    #[test]
    fn the_documented_timer_states_are_the_domains() {
        let doc = serde_json::to_value(super::ApiDoc::openapi()).expect("json");
        let listed = &doc["components"]["schemas"]["TimerState"]["enum"];
        let names: Vec<&str> = crate::domain::timer::TimerState::ALL
            .iter()
            .map(|t| t.as_str())
            .collect();
        assert_eq!(listed, &serde_json::json!(names));
    }
}
