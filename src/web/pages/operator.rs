//! `/operator`: the market operator's desk: lots to check, deposits to record, payments to
//! confirm per award, defaults, the registry's totals; participants (discharge permits, groups of
//! related accounts) with their history; issuance into the reserve and allocations, each with a
//! confirmation step.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::figures::{basin, pollutant};
use crate::app::market::{self, Participant};
use crate::app::registry::{self, Total};
use crate::app::{App, AppError};
use crate::domain::Role;
use crate::web::chart::number;
use crate::web::forms::Errors;
use crate::web::i18n::{self, Lang};
use crate::web::layout::{local_time, yuan, Chrome};
use crate::web::session::{FormData, Posted, Signed};
use crate::web::{render, render_as, see_other, WebError};

/// A lot waiting for the operator's check.
pub struct ToCheck {
    pub id: Uuid,
    pub kind: String,
    pub seller: String,
    pub summary: String,
}

/// An open auction, with the deposits recorded so far.
pub struct OpenAuction {
    pub id: Uuid,
    pub summary: String,
    pub deposit: String,
    pub closes: String,
    pub deposits: Vec<(String, String, String)>,
}

/// An award waiting for its payment.
pub struct ToConfirm {
    pub lot: Uuid,
    pub version: i64,
    pub award: Uuid,
    pub org: String,
    pub amount: String,
    pub value: String,
    pub due: String,
}

pub struct ParticipantRow {
    pub p: Participant,
    pub updated: String,
    pub history: Vec<String>,
}

#[derive(Template)]
#[template(path = "operator.html")]
pub struct OperatorPage {
    pub c: Chrome,
    pub operator: bool,
    pub to_check: Vec<ToCheck>,
    pub auctions: Vec<OpenAuction>,
    pub to_confirm: Vec<ToConfirm>,
    /// Negotiated transfers waiting for the buyer's payment: (id, version, seller, buyer, summary).
    pub transfers: Vec<(Uuid, i64, String, String, String)>,
    pub defaults: Vec<(Uuid, String, String)>,
    pub totals: Vec<(Total, String)>,
    pub balanced: bool,
    pub participants: Vec<ParticipantRow>,
    pub enterprises: Vec<(String, String)>,
    pub errors: Errors,
    pub form: FormData,
    /// The form whose errors are shown (`participant`, `deposit-{lot}`, `issue`, `allocate`).
    pub failed: String,
    /// A movement to confirm: its form's name and its summary.
    pub confirm: Option<(String, String)>,
}

fn lot_summary(lang: Lang, data: &Value) -> String {
    let p = data.get("pollutant").and_then(Value::as_str).unwrap_or("");
    let b = data.get("basin").and_then(Value::as_str).unwrap_or("");
    let a = data.get("amount_kg").and_then(Value::as_i64).unwrap_or(0);
    format!(
        "{} · {} · {} kg",
        pollutant(lang, p),
        basin(lang, b),
        number(a as f64)
    )
}

async fn desk(
    app: &App,
    who: &Signed,
    errors: Errors,
    form: FormData,
    failed: &str,
    confirm: Option<(String, String)>,
) -> Result<OperatorPage, WebError> {
    let lang = who.ctx.lang;
    let d = market::desk(app, &who.actor).await?;
    let to_check = d
        .to_check
        .iter()
        .map(|l| ToCheck {
            id: l.id,
            kind: i18n::t(lang, &format!("market-kind-{}", l.workflow)),
            seller: l.seller.clone(),
            summary: lot_summary(lang, &l.data),
        })
        .collect();
    let auctions = d
        .open_auctions
        .iter()
        .map(|a| OpenAuction {
            id: a.id,
            summary: lot_summary(lang, &a.data),
            deposit: yuan(a.terms.deposit_fen),
            closes: a.closes_at.map(local_time).unwrap_or_default(),
            deposits: a
                .deposits
                .iter()
                .map(|x| (x.org.clone(), yuan(x.amount_fen), x.reference.clone()))
                .collect(),
        })
        .collect();
    let to_confirm = d
        .to_confirm
        .iter()
        .map(|w| ToConfirm {
            lot: w.lot,
            version: w.lot_version,
            award: w.award.id,
            org: w.award.org.clone(),
            amount: number(w.award.amount_kg as f64),
            value: yuan(w.award.value_fen),
            due: w.due_at.map(local_time).unwrap_or_default(),
        })
        .collect();
    let defaults = d
        .defaults
        .iter()
        .map(|w| (w.lot, w.award.org.clone(), number(w.award.amount_kg as f64)))
        .collect();
    let transfers = d
        .transfers_to_confirm
        .iter()
        .map(|l| {
            (
                l.id,
                l.version,
                l.seller.clone(),
                l.data["buyer"].as_str().unwrap_or_default().to_string(),
                lot_summary(lang, &l.data),
            )
        })
        .collect();
    let totals = registry::totals(app, &who.actor).await?;
    let balanced = totals.iter().all(|t| t.balanced);
    let totals = totals
        .into_iter()
        .map(|t| {
            let name = pollutant(lang, &t.pollutant);
            (t, name)
        })
        .collect();
    let history = market::participant_history(app, &who.actor).await?;
    let participants = market::participants(app, &who.actor)
        .await?
        .into_iter()
        .map(|p| {
            let history = history
                .get(&p.org)
                .map(|changes| {
                    changes
                        .iter()
                        .map(|(at, actor, v)| {
                            let permit = match (
                                v["permit_no"].as_str(),
                                v["permit_basin"].as_str(),
                                v["permit_valid_to"].as_str(),
                            ) {
                                (Some(n), Some(b), Some(t)) => format!("{n} · {b} · {t}"),
                                _ => i18n::t(lang, "operator-no-permit"),
                            };
                            let group = v["group"].as_str().unwrap_or("—");
                            format!("{} · {permit} · {group} · {actor}", local_time(*at))
                        })
                        .collect()
                })
                .unwrap_or_default();
            ParticipantRow {
                updated: local_time(p.updated_at),
                p,
                history,
            }
        })
        .collect();
    let enterprises = crate::app::directory::orgs(app)
        .await?
        .into_iter()
        .filter(|o| o.kind == "enterprise")
        .map(|o| (o.code, o.name))
        .collect();
    Ok(OperatorPage {
        c: Chrome::new(&who.ctx, "operator-title"),
        operator: who.actor.roles.contains(Role::MarketOperator),
        to_check,
        auctions,
        to_confirm,
        transfers,
        defaults,
        totals,
        balanced,
        participants,
        enterprises,
        errors,
        form,
        failed: failed.to_string(),
        confirm,
    })
}

/// `GET /operator`.
pub async fn page(who: Signed, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    render(&desk(&app, &who, Errors::default(), FormData::default(), "", None).await?)
}

/// The desk again, with the refusal of one of its forms next to it.
async fn again(
    app: &App,
    posted: Posted,
    failed: &str,
    e: AppError,
) -> Result<HttpResponse, WebError> {
    let lang = posted.who.ctx.lang;
    let status = crate::web::error::status_of(&e);
    let mut errors = Errors::default();
    match e {
        AppError::Validation(fe) => errors.extend_from(lang, &fe),
        other => errors.push("", i18n::message(lang, &other.to_string())),
    }
    let page = desk(app, &posted.who, errors, posted.form, failed, None).await?;
    render_as(status, &page)
}

fn text(form: &FormData, field: &str) -> Value {
    match form.get(field).map(str::trim) {
        None | Some("") => Value::Null,
        Some(v) => json!(v),
    }
}

fn whole(form: &FormData, field: &str) -> Value {
    match form.get(field).map(str::trim) {
        None | Some("") => Value::Null,
        Some(v) => v
            .replace([',', ' '], "")
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| json!(v)),
    }
}

/// `POST /operator/participants`: records an enterprise's permit and group.
pub async fn set_participant(
    posted: Posted,
    app: web::Data<App>,
) -> Result<HttpResponse, WebError> {
    let org = posted.form.get("org").unwrap_or_default().to_string();
    let input = json!({
        "permit_no": text(&posted.form, "permit_no"),
        "permit_basin": text(&posted.form, "permit_basin"),
        "permit_valid_to": text(&posted.form, "permit_valid_to"),
        "group": text(&posted.form, "group"),
    });
    match market::set_participant(&app, &posted.who.actor, &org, input, None).await {
        Ok(_) => Ok(see_other("/operator?done=participant#participants")),
        Err(e) => again(&app, posted, "participant", e).await,
    }
}

/// `POST /operator/lots/{id}/deposits`: records a bidder's deposit.
pub async fn deposit(
    posted: Posted,
    app: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id: Uuid = path.parse().map_err(|_| WebError::NotFound)?;
    let input = json!({
        "org": text(&posted.form, "org"),
        "reference": text(&posted.form, "reference"),
    });
    match market::record_deposit(&app, &posted.who.actor, id, input, None).await {
        Ok(_) => Ok(see_other("/operator?done=deposit#deposits")),
        Err(e) => again(&app, posted, &format!("deposit-{id}"), e).await,
    }
}

/// A movement as the use case takes it; the price is typed in yuan (`Err`: it cannot be read).
fn movement(form: &FormData, with_org: bool) -> Result<Value, &'static str> {
    let mut m = Map::new();
    for f in ["pollutant", "basin", "valid_to"] {
        m.insert(f.into(), text(form, f));
    }
    m.insert("amount_kg".into(), whole(form, "amount_kg"));
    if with_org {
        m.insert("org".into(), text(form, "org"));
        m.insert(
            "price_fen".into(),
            crate::web::forms::yuan_field(form, "price_yuan")?,
        );
    }
    Ok(Value::Object(m))
}

/// `POST /operator/issue` and `/operator/allocate`: a movement of the registry. Without
/// `confirmed`, the desk shows what would happen and asks to confirm; with it, it happens.
pub async fn movement_post(
    posted: Posted,
    app: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let kind = path.into_inner();
    let allocate = match kind.as_str() {
        "issue" => false,
        "allocate" => true,
        _ => return Err(WebError::NotFound),
    };
    let lang = posted.who.ctx.lang;
    let input = match movement(&posted.form, allocate) {
        Ok(input) => input,
        Err(id) => {
            let mut errors = Errors::default();
            errors.add("price_yuan", lang, id);
            errors.label_with(|_| Some(i18n::t(lang, "operator-price-yuan")));
            let page = desk(&app, &posted.who, errors, posted.form, &kind, None).await?;
            return render_as(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if posted.form.get("confirmed") != Some("1") {
        let amount = input["amount_kg"]
            .as_i64()
            .map(|a| number(a as f64))
            .unwrap_or_default();
        let text = |f: &str| input[f].as_str().unwrap_or_default().to_string();
        let asset = format!(
            "{} · {} · {}",
            pollutant(lang, &text("pollutant")),
            basin(lang, &text("basin")),
            text("valid_to")
        );
        let price = input["price_fen"].as_i64().map(yuan).unwrap_or_default();
        let summary = i18n::t_args(
            lang,
            if allocate {
                "operator-confirm-allocate"
            } else {
                "operator-confirm-issue"
            },
            &[
                ("amount", amount.into()),
                ("asset", asset.into()),
                ("org", text("org").into()),
                ("price", price.into()),
            ],
        );
        let form = posted.form.clone();
        let page = desk(
            &app,
            &posted.who,
            Errors::default(),
            form,
            &kind,
            Some((kind.clone(), summary)),
        )
        .await?;
        return render_as(StatusCode::OK, &page);
    }
    let result = if allocate {
        registry::allocate(&app, &posted.who.actor, input, None).await
    } else {
        registry::issue(&app, &posted.who.actor, input, None).await
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/operator?done={kind}#registry"))),
        Err(e) => again(&app, posted, &kind, e).await,
    }
}
