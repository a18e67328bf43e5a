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

/// A payment waiting for its confirmation: an auction's award, or a negotiated transfer.
pub struct ToConfirm {
    pub lot: Uuid,
    pub version: i64,
    /// The award's id, or the transfer's: names the form.
    pub key: String,
    pub award: Option<Uuid>,
    /// Who pays.
    pub org: String,
    /// A transfer's rights (empty for an award, whose lot is linked).
    pub summary: String,
    pub amount: String,
    /// What is to be paid.
    pub value: String,
    pub due: String,
    /// The reference the payer was asked to quote (awards).
    pub expected: String,
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
    pub defaults: Vec<(Uuid, String, String)>,
    pub totals: Vec<(Total, String)>,
    pub balanced: bool,
    pub participants: Vec<ParticipantRow>,
    pub enterprises: Vec<(String, String)>,
    pub errors: Errors,
    pub form: FormData,
    /// The form whose errors are shown (`participant`, `deposit-{lot}`, `issue`, `allocate`).
    pub failed: String,
    /// What to confirm in a second step.
    pub confirm: Option<Confirm>,
}

/// A second step: what would happen, and the form that makes it happen.
pub struct Confirm {
    /// Where the confirmed form goes.
    pub action: String,
    pub summary: String,
    /// The first step's fields, sent again.
    pub hidden: Vec<(String, String)>,
    /// Where "cancel" leads.
    pub back: String,
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
    confirm: Option<Confirm>,
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
            key: w.award.id.to_string(),
            award: Some(w.award.id),
            org: w.award.org.clone(),
            summary: String::new(),
            amount: number(w.award.amount_kg as f64),
            value: yuan(w.award.value_fen),
            due: w.due_at.map(local_time).unwrap_or_default(),
            expected: crate::domain::ledger::payment_reference(w.award.id),
        })
        .chain(d.transfers_to_confirm.iter().map(|l| {
            let amount = l.data["amount_kg"].as_i64().unwrap_or(0);
            let price = l.data["price_fen"].as_i64().unwrap_or(0);
            ToConfirm {
                lot: l.id,
                version: l.version,
                key: l.id.to_string(),
                award: None,
                org: l.data["buyer"].as_str().unwrap_or_default().to_string(),
                summary: lot_summary(lang, &l.data),
                amount: number(amount as f64),
                value: crate::domain::ledger::notional_fen(amount, price)
                    .map(yuan)
                    .unwrap_or_default(),
                due: String::new(),
                expected: String::new(),
            }
        }))
        .collect();
    let defaults = d
        .defaults
        .iter()
        .map(|w| (w.lot, w.award.org.clone(), number(w.award.amount_kg as f64)))
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
                                (Some(n), Some(b), Some(t)) => {
                                    format!("{n} · {} · {t}", basin(lang, b))
                                }
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
        other => errors.push("", crate::web::error::refusal(lang, &other)),
    }
    // The price is typed in yuan: its errors belong to that field.
    errors.rename("price_fen", "price_yuan");
    let labels = [
        ("org", "operator-enterprise"),
        ("reference", "operator-reference"),
        ("permit_no", "operator-permit-no"),
        ("permit_basin", "operator-basin"),
        ("permit_valid_to", "market-valid-to-label"),
        ("group", "operator-group"),
        ("pollutant", "fig-col-pollutant"),
        ("basin", "operator-basin"),
        ("valid_to", "market-valid-to-label"),
        ("amount_kg", "market-bid-amount"),
        ("price_yuan", "operator-price-yuan"),
    ];
    errors.label_with(|f| {
        labels
            .iter()
            .find(|(name, _)| *name == f)
            .map(|(_, id)| i18n::t(lang, id))
    });
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
        let hidden = [
            "pollutant",
            "basin",
            "valid_to",
            "amount_kg",
            "org",
            "price_yuan",
        ]
        .iter()
        .map(|f| (f.to_string(), posted.form.raw(f).to_string()))
        .collect();
        let confirm = Confirm {
            action: format!("/operator/{kind}"),
            summary,
            hidden,
            back: "/operator#registry".into(),
        };
        let form = posted.form.clone();
        let page = desk(
            &app,
            &posted.who,
            Errors::default(),
            form,
            &kind,
            Some(confirm),
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

/// `POST /operator/payments/{lot}`: a payment that arrived, named by the payer's reference.
/// Without `confirmed`, the desk shows who paid what and asks to confirm; with it, the award (or
/// the transfer) settles through the same use case as the API's `confirm_payment`.
pub async fn payment(
    posted: Posted,
    app: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let lot: Uuid = path.parse().map_err(|_| WebError::NotFound)?;
    let lang = posted.who.ctx.lang;
    let award = posted.form.get("award").filter(|a| !a.is_empty());
    let key = award.map_or_else(|| lot.to_string(), str::to_string);
    let failed = format!("payment-{key}");
    let reference = posted
        .form
        .get("payment_reference")
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let expected_version: i64 = posted
        .form
        .get("expected_version")
        .and_then(|v| v.parse().ok())
        .ok_or(WebError::BadRequest)?;
    if posted.form.get("confirmed") != Some("1") {
        // The desk is read once; the step either names the missing reference or asks to confirm.
        let mut page = desk(
            &app,
            &posted.who,
            Errors::default(),
            posted.form.clone(),
            "",
            None,
        )
        .await?;
        let Some(due) = page.to_confirm.iter().find(|p| p.key == key) else {
            return Ok(see_other("/operator#payments"));
        };
        if reference.is_empty() || reference.chars().count() > 100 {
            page.errors.add(
                &format!("ref-{key}"),
                lang,
                "operator-payment-reference-missing",
            );
            page.errors
                .label_with(|_| Some(i18n::t(lang, "operator-payment-reference")));
            page.failed = failed;
            return render_as(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        let summary = i18n::t_args(
            lang,
            "operator-confirm-payment-summary",
            &[
                ("org", due.org.clone().into()),
                ("value", due.value.clone().into()),
                ("amount", due.amount.clone().into()),
                ("reference", reference.clone().into()),
            ],
        );
        let mut hidden = vec![
            ("expected_version".to_string(), expected_version.to_string()),
            ("payment_reference".to_string(), reference),
        ];
        if let Some(a) = award {
            hidden.push(("award".into(), a.to_string()));
        }
        page.confirm = Some(Confirm {
            action: format!("/operator/payments/{lot}"),
            summary,
            hidden,
            back: "/operator#payments".into(),
        });
        return render_as(StatusCode::OK, &page);
    }
    let mut payload = json!({"payment_reference": reference});
    if let Some(a) = award {
        payload["award"] = json!(a);
    }
    let request = crate::app::cases::FireRequest {
        expected_version,
        comment: None,
        payload,
    };
    match crate::app::cases::fire(
        &app,
        &posted.who.actor,
        lot,
        "confirm_payment",
        request,
        None,
    )
    .await
    {
        Ok(_) => Ok(see_other("/operator?done=payment#payments")),
        Err(e) => again(&app, posted, &failed, e).await,
    }
}
