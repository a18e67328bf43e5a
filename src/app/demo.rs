//! Demo data: organisations, users who can sign in, a grant, and cases in several states, so
//! that a new user can click through at once. Idempotent: it does nothing if it ran before.

use serde_json::{json, Value};

use super::cases::{self, FireRequest};
use super::directory::{self, NewOrg, NewUser};
use super::{App, AppError};
use crate::domain::{Role, RoleSet};
use crate::engine::Actor;
use crate::store;

/// Every demo user's password.
pub const PASSWORD: &str = "greenlane-demo";

fn person(email: &str, org: &str, roles: &[Role]) -> Actor {
    Actor::person(email, org, roles.iter().copied().collect::<RoleSet>())
}

fn project(name: &str, code: &str, category: &str, industry: &str) -> Value {
    json!({
        "project_name": name,
        "credit_code": code,
        "industry_code": industry,
        "place": "涪陵区白涛街道 Baitao Street, Fuling District",
        "location": {"type": "Point", "coordinates": [107.39, 29.70]},
        "investment_fen": 1_250_000_000i64,
        "category": category,
    })
}

async fn act(
    app: &App,
    who: &Actor,
    id: uuid::Uuid,
    action: &str,
    data: Value,
) -> Result<(), AppError> {
    let version = cases::get_case(app, who, id).await?.version;
    cases::fire(
        app,
        who,
        id,
        action,
        FireRequest {
            expected_version: version,
            comment: None,
            payload: data,
        },
        None,
    )
    .await?;
    Ok(())
}

/// The demo's organisations: code, name, kind, unified social credit code.
const ORGS: [(&str, &str, &str, Option<&str>); 7] = [
    (
        "CQEEB",
        "Chongqing Ecology and Environment Bureau (demo)",
        "bureau",
        None,
    ),
    (
        "ACME",
        "Acme Paper Co. (demo)",
        "enterprise",
        Some("91350100M000100Y43"),
    ),
    (
        "YANGTZE",
        "Yangtze Chemicals Ltd. (demo)",
        "enterprise",
        Some("91110000802100433B"),
    ),
    ("GREENAG", "Green EIA Agency (demo)", "agency", None),
    (
        "CQEX",
        "Chongqing Resources and Environment Exchange (demo)",
        "bureau",
        None,
    ),
    (
        "HUAXIN",
        "Huaxin Cement Co. (demo)",
        "enterprise",
        Some("91500102MA5U7XQ1KT"),
    ),
    (
        "JIANGBEI",
        "Jiangbei Dyeing Co. (demo)",
        "enterprise",
        Some("91500105MA60B2RC8H"),
    ),
];

/// The demo's people: e-mail, name, organisation, role, language.
const PEOPLE: [(&str, &str, &str, &str, &str); 12] = [
    ("admin@bureau.example", "Ada Admin", "CQEEB", "admin", "en"),
    ("rui@bureau.example", "芮审查", "CQEEB", "reviewer", "zh"),
    (
        "ben@bureau.example",
        "Ben Reviewer",
        "CQEEB",
        "reviewer",
        "en",
    ),
    (
        "amy@bureau.example",
        "Amy Approver",
        "CQEEB",
        "approver",
        "en",
    ),
    (
        "audrey@bureau.example",
        "Audrey Auditor",
        "CQEEB",
        "auditor",
        "en",
    ),
    (
        "ann@acme.example",
        "Ann Applicant",
        "ACME",
        "applicant",
        "en",
    ),
    ("li@yangtze.example", "李申请", "YANGTZE", "applicant", "zh"),
    ("gus@green.example", "Gus Agency", "GREENAG", "agency", "zh"),
    ("al@acme.example", "Al Applicant", "ACME", "applicant", "en"),
    (
        "mo@exchange.example",
        "Mo Operator",
        "CQEX",
        "market_operator",
        "en",
    ),
    ("hua@huaxin.example", "华新", "HUAXIN", "applicant", "zh"),
    (
        "jia@jiangbei.example",
        "Jia Trader",
        "JIANGBEI",
        "applicant",
        "en",
    ),
];

/// Seeds the demo; answers the users created (empty if the demo was already there).
pub async fn seed(app: &App, admin: &Actor) -> Result<Vec<(String, String)>, AppError> {
    if store::directory::find_org(&app.db, "CQEEB")
        .await?
        .is_some()
    {
        return Ok(Vec::new());
    }
    for (code, name, kind, credit) in ORGS {
        let org = NewOrg {
            code: code.into(),
            name: name.into(),
            kind: kind.into(),
            credit_code: credit.map(str::to_string),
        };
        directory::add_org(app, admin, org, None).await?;
    }
    let mut created = Vec::new();
    for (email, name, org, role, lang) in PEOPLE {
        let user = NewUser {
            email: email.into(),
            name: name.into(),
            org: org.into(),
            roles: vec![role.to_string()],
            lang: Some(lang.into()),
            password: Some(PASSWORD.into()),
        };
        directory::add_user(app, admin, user, None).await?;
        created.push((email.to_string(), role.to_string()));
    }
    cases_seed(app).await?;
    market(app).await?;
    Ok(created)
}

/// The demo's EIA cases: a draft, a submission awaiting its acceptance check, an accepted case
/// in publicity, a filed registration and a pre-consultation question.
async fn cases_seed(app: &App) -> Result<(), AppError> {
    let ann = person("ann@acme.example", "ACME", &[Role::Applicant]);
    let li = person("li@yangtze.example", "YANGTZE", &[Role::Applicant]);
    let rui = person("rui@bureau.example", "CQEEB", &[Role::Reviewer]);
    directory::grant(app, &ann, "GREENAG", None, None).await?;

    // A draft, a submission awaiting its acceptance check, an accepted case in publicity.
    // Every EIA case carries its classification under the catalogue, which decides its
    // workflow: coated paper (加工纸 with a coating process) is a report form under item 37.
    let mut paper = project(
        "Fuling coated paper line expansion",
        "91350100M000100Y43",
        "report_form",
        "C2221",
    );
    paper["classification"] = json!({"edition": "2021", "action": "expansion", "items": [
        {"no": 37, "answers": {"37.report.1": false, "37.report_form.2": true}}]});
    cases::create_case(app, &ann, "eia_report_form", paper.clone(), None, None).await?;
    let submitted =
        cases::create_case(app, &ann, "eia_report_form", paper.clone(), None, None).await?;
    act(app, &ann, submitted.id, "submit", json!({})).await?;
    let accepted = cases::create_case(
        app,
        &li,
        "eia_report_form",
        {
            // A 10 t/h gas boiler: a report form under item 91 (天然气锅炉 1吨/小时以上).
            let mut boiler = project(
                "Changshou boiler replacement",
                "91110000802100433B",
                "report_form",
                "C2614",
            );
            boiler["classification"] = json!({"edition": "2021", "action": "rebuild", "items": [
                {"no": 91, "answers": {"91.report_form.2": 10}}]});
            boiler
        },
        None,
        None,
    )
    .await?;
    act(app, &li, accepted.id, "submit", json!({})).await?;
    act(app, &rui, accepted.id, "accept", json!({})).await?;
    // A filed registration (a desulphurisation works: item 100, registration for all), and a
    // pre-consultation question.
    let mut scrubber = project(
        "Wanzhou flue-gas desulphurisation retrofit",
        "91350100M000100Y43",
        "registration",
        "N7722",
    );
    scrubber["classification"] =
        json!({"edition": "2021", "action": "rebuild", "items": [{"no": 100}]});
    let reg = cases::create_case(app, &ann, "eia_registration", scrubber, None, None).await?;
    act(app, &ann, reg.id, "file", json!({})).await?;
    let question = json!({
        "project_name": "Fuling paper mill phase 3",
        "credit_code": "91350100M000100Y43",
        "industry_code": "C2221",
        "location": {"type": "Point", "coordinates": [107.41, 29.71]},
        "question": "Which category applies, and may we build 3 km from the Yangtze?"
    });
    let q = cases::create_case(app, &ann, "pre_consultation", question, None, None).await?;
    act(app, &ann, q.id, "ask", json!({})).await?;
    Ok(())
}

/// The market: permits for Acme and Yangtze, rights issued and allocated, an open listing of
/// Acme's with a part taken by Yangtze, and an open auction with Yangtze's deposit and bid.
async fn market(app: &App) -> Result<(), AppError> {
    let mo = person("mo@exchange.example", "CQEX", &[Role::MarketOperator]);
    let ann = person("ann@acme.example", "ACME", &[Role::Applicant]);
    let al = person("al@acme.example", "ACME", &[Role::Applicant]);
    let li = person("li@yangtze.example", "YANGTZE", &[Role::Applicant]);
    for org in ["ACME", "YANGTZE"] {
        let permit = json!({"permit_no": format!("500102-{org}-2024"), "permit_basin": "yangtze_upper", "permit_valid_to": "2029-12-31"});
        super::market::set_participant(app, &mo, org, permit, None).await?;
    }
    let asset = json!({"pollutant": "COD", "basin": "yangtze_upper", "valid_to": "2030-12-31"});
    let with = |extra: Value| {
        let mut v = asset.clone();
        for (k, x) in extra.as_object().into_iter().flatten() {
            v[k] = x.clone();
        }
        v
    };
    super::registry::issue(app, &mo, with(json!({"amount_kg": 20_000})), None).await?;
    for (org, kg) in [("ACME", 8_000), ("YANGTZE", 3_000), ("HUAXIN", 3_000)] {
        let alloc = with(json!({"amount_kg": kg, "org": org, "price_fen": 25}));
        super::registry::allocate(app, &mo, alloc, None).await?;
    }
    let listing = with(
        json!({"amount_kg": 1_000, "price_fen": 32, "window_hours": 720, "project_name": "Fuling mill surplus COD"}),
    );
    let lot = cases::create_case(app, &ann, "listing", listing, None, None).await?;
    act(app, &ann, lot.id, "submit", json!({})).await?;
    act(app, &al, lot.id, "approve_transfer_out", json!({})).await?;
    act(app, &mo, lot.id, "approve_listing", json!({})).await?;
    super::market::take(app, &li, lot.id, json!({"amount_kg": 200}), None).await?;
    let terms = with(
        json!({"amount_kg": 2_000, "reserve_price_fen": 30, "increment_fen": 1, "clearing": "uniform", "max_share_pct": 60, "window_hours": 720, "deposit_fen": 50_000, "project_name": "Acme COD auction, spring"}),
    );
    let auction = cases::create_case(app, &ann, "auction", terms, None, None).await?;
    act(app, &ann, auction.id, "submit", json!({})).await?;
    act(app, &al, auction.id, "approve_transfer_out", json!({})).await?;
    act(app, &mo, auction.id, "approve_listing", json!({})).await?;
    let deposit = json!({"org": "YANGTZE", "reference": "CQEX-DEP-0001"});
    super::market::record_deposit(app, &mo, auction.id, deposit, None).await?;
    super::market::place_bid(
        app,
        &li,
        auction.id,
        json!({"amount_kg": 800, "price_fen": 34}),
        None,
    )
    .await?;
    Ok(())
}
