//! The traders' desk: `/market` (the board of open lots), `/market/lots/{id}` (take a part of a
//! listing; bid on an auction, change or withdraw the bid, see the result), `/accounts` (holdings,
//! available and in escrow) and `/accounts/{id}` (the ledger with running balances, and CSV).

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::figures::{basin, pollutant};
use crate::app::market::{self, AuctionResult, BidView, LotView};
use crate::app::registry::{self, AccountView, Escrowed, LedgerLine};
use crate::app::{App, AppError};
use crate::domain::auction::{AwardStatus, BidStatus};
use crate::domain::ledger::{AuctionTerms, LotData};
use crate::domain::Role;
use crate::web::chart::number;
use crate::web::forms;
use crate::web::i18n::{self, Lang};
use crate::web::layout::{local_time, yuan, Chrome};
use crate::web::session::{Posted, Signed};
use crate::web::{render, render_as, see_other, WebError};

/// Time left until `due`, in words: "2 d 4 h", "3 h 12 min", "closing".
fn countdown(lang: Lang, now: DateTime<Utc>, due: DateTime<Utc>) -> String {
    let secs = (due - now).num_seconds();
    if secs <= 0 {
        return i18n::t(lang, "market-closing");
    }
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let args =
        |id: &str, a: i64, b: i64| i18n::t_args(lang, id, &[("a", a.into()), ("b", b.into())]);
    if d > 0 {
        args("market-left-dh", d, h)
    } else if h > 0 {
        args("market-left-hm", h, m)
    } else {
        args("market-left-m", m.max(1), 0)
    }
}

/// A lot's line on the board.
pub struct BoardRow {
    pub id: Uuid,
    pub kind: String,
    pub auction: bool,
    pub title: String,
    pub asset: String,
    pub valid_to: String,
    pub amount: String,
    pub price: String,
    pub terms: Vec<String>,
    pub closes: String,
    pub left: String,
    pub mine: bool,
}

fn kind_title(lang: Lang, workflow: &str) -> String {
    i18n::t(lang, &format!("market-kind-{workflow}"))
}

fn rule_title(lang: Lang, terms: &AuctionTerms) -> String {
    let rule = serde_json::to_value(terms.clearing)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    i18n::t(lang, &format!("market-rule-{}", rule.replace('_', "-")))
}

fn per_kg(lang: Lang, fen: i64) -> String {
    i18n::t_args(lang, "market-per-kg", &[("price", yuan(fen).into())])
}

/// The terms of an auction in words, for the board and the lot page.
fn auction_terms(lang: Lang, t: &AuctionTerms) -> Vec<String> {
    let mut out = vec![
        i18n::t_args(
            lang,
            "market-term-reserve",
            &[("price", per_kg(lang, t.reserve_price_fen).into())],
        ),
        i18n::t_args(
            lang,
            "market-term-increment",
            &[("price", yuan(t.increment_fen).into())],
        ),
        rule_title(lang, t),
        i18n::t_args(
            lang,
            "market-term-deposit",
            &[("amount", yuan(t.deposit_fen).into())],
        ),
    ];
    if let Some(p) = t.max_share_pct {
        out.push(i18n::t_args(
            lang,
            "market-term-share",
            &[("pct", i64::from(p).into())],
        ));
    }
    if t.basin_rule {
        out.push(i18n::t(lang, "market-term-basin"));
    }
    out
}

fn lot_title(lot: &LotView) -> String {
    lot.data
        .get("project_name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_default()
}

async fn board_row(app: &App, lang: Lang, me: &str, lot: &LotView) -> Result<BoardRow, AppError> {
    let now = app.clock.now();
    let auction = lot.workflow == "auction";
    let (asset, valid_to, amount, price, terms) = if auction {
        let t = AuctionTerms::parse(&lot.data).map_err(AppError::Validation)?;
        (
            format!(
                "{} · {}",
                pollutant(lang, t.asset.pollutant.as_str()),
                basin(lang, &t.asset.basin)
            ),
            t.asset.valid_to.to_string(),
            t.amount_kg,
            per_kg(lang, t.reserve_price_fen),
            auction_terms(lang, &t),
        )
    } else {
        let l = LotData::parse(&lot.data).map_err(AppError::Validation)?;
        (
            format!(
                "{} · {}",
                pollutant(lang, l.asset.pollutant.as_str()),
                basin(lang, &l.asset.basin)
            ),
            l.asset.valid_to.to_string(),
            l.amount_kg,
            per_kg(lang, l.price_fen),
            vec![i18n::t(lang, "market-rule-fixed")],
        )
    };
    let left = if auction {
        String::new()
    } else {
        number(registry::left_in_escrow(app, lot.id).await? as f64)
    };
    Ok(BoardRow {
        id: lot.id,
        kind: kind_title(lang, &lot.workflow),
        auction,
        title: lot_title(lot),
        asset,
        valid_to,
        amount: number(amount as f64),
        price,
        terms,
        closes: lot
            .window_closes_at
            .map(|d| format!("{} · {}", local_time(d), countdown(lang, now, d)))
            .unwrap_or_default(),
        left,
        mine: lot.seller == me,
    })
}

#[derive(Template)]
#[template(path = "market.html")]
pub struct BoardPage {
    pub c: Chrome,
    pub now: String,
    pub rows: Vec<BoardRow>,
}

/// `GET /market`: the open lots.
pub async fn board(who: Signed, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let lang = who.ctx.lang;
    let lots = market::lots(&app, None, None).await?;
    let mut rows = Vec::new();
    for lot in &lots {
        rows.push(board_row(&app, lang, &who.actor.org, lot).await?);
    }
    rows.sort_by(|a, b| a.closes.cmp(&b.closes));
    render(&BoardPage {
        c: Chrome::new(&who.ctx, "market-title"),
        now: local_time(app.clock.now()),
        rows,
    })
}

/// One's own bid, as the lot page lists it.
pub struct BidRow {
    pub id: Uuid,
    pub amount_kg: i64,
    /// The price as it is typed again in yuan (`0.35`).
    pub price_input: String,
    pub amount: String,
    pub price: String,
    pub total: String,
    pub open: bool,
    pub placed: String,
    pub receipt: String,
}

fn bid_row(lang: Lang, b: &BidView) -> BidRow {
    BidRow {
        id: b.id,
        amount_kg: b.amount_kg,
        price_input: forms::yuan_input(b.price_fen),
        amount: number(b.amount_kg as f64),
        price: per_kg(lang, b.price_fen),
        total: yuan(b.amount_kg.saturating_mul(b.price_fen)),
        open: BidStatus::Open.is(&b.status),
        placed: local_time(b.placed_at),
        receipt: if BidStatus::Open.is(&b.status) {
            market::receipt(b)
        } else {
            String::new()
        },
    }
}

/// One's own award after the close.
pub struct AwardRow {
    pub amount: String,
    pub price: String,
    pub value: String,
    pub status: String,
    pub settled: bool,
    /// The reference to quote when paying (empty once settled).
    pub reference: String,
}

#[derive(Template)]
#[template(path = "market_lot.html")]
pub struct LotPage {
    pub c: Chrome,
    pub row: BoardRow,
    pub state: String,
    pub open: bool,
    /// Listings: what one kilogram costs, in fen (for the total shown beside the form).
    pub price_fen: i64,
    pub left_kg: i64,
    /// Auctions: what a bid must be (reserve, steps, the most one bidder may bid for).
    pub bid_hint: String,
    /// Auctions: `None` when this enterprise may bid, else why not.
    pub not_eligible: Option<String>,
    pub may_trade: bool,
    pub bids: Vec<BidRow>,
    pub result: Option<ResultView>,
    /// The amount and price typed last (a refused form shows them again).
    pub amount: String,
    pub price: String,
    /// A refusal of the last form, in words.
    pub refused: Option<String>,
    pub done: Option<String>,
    /// For the market operator, auditors and admins after the close: every bid (organisation
    /// and bid), and whether the replay from the seed matches the awards.
    pub all_bids: Vec<(String, BidRow)>,
    pub replay: Option<bool>,
}

pub struct ResultView {
    pub outcome: String,
    /// Why an auction failed.
    pub reason: String,
    pub cleared: bool,
    pub clearing_price: String,
    pub allocated: String,
    /// How many bid and how many won.
    pub counts: String,
    pub closed: String,
    pub mine: Vec<AwardRow>,
    /// What the enterprise still has to pay (empty when nothing is due).
    pub to_pay: String,
    /// Where to pay it.
    pub account: String,
    pub pay_by: String,
    pub seed: String,
}

fn result_view(
    lang: Lang,
    r: &AuctionResult,
    org: &str,
    pay_by: Option<DateTime<Utc>>,
    account: &str,
) -> ResultView {
    let due: i64 = r
        .awards
        .iter()
        .filter(|a| a.org == org && AwardStatus::Awarded.is(&a.status))
        .map(|a| a.value_fen)
        .sum();
    ResultView {
        outcome: i18n::t(lang, &format!("market-outcome-{}", r.outcome)),
        reason: r
            .reason_msg
            .as_ref()
            .map(|m| i18n::msg(lang, m))
            .unwrap_or_default(),
        cleared: r.outcome == "cleared",
        clearing_price: r
            .clearing_price_fen
            .map(|p| per_kg(lang, p))
            .unwrap_or_default(),
        allocated: number(r.allocated_kg as f64),
        counts: i18n::t_args(
            lang,
            "market-result-counts",
            &[
                ("bidders", (r.bidders as i64).into()),
                ("winners", (r.winners as i64).into()),
            ],
        ),
        closed: r.closed_at.map(local_time).unwrap_or_default(),
        mine: r
            .awards
            .iter()
            .filter(|a| a.org == org)
            .map(|a| AwardRow {
                amount: number(a.amount_kg as f64),
                price: per_kg(lang, a.price_fen),
                value: yuan(a.value_fen),
                status: i18n::t(lang, &format!("market-award-{}", a.status)),
                settled: AwardStatus::Settled.is(&a.status),
                reference: if AwardStatus::Awarded.is(&a.status) {
                    crate::domain::ledger::payment_reference(a.id)
                } else {
                    String::new()
                },
            })
            .collect(),
        to_pay: if due > 0 { yuan(due) } else { String::new() },
        account: account.to_string(),
        pay_by: pay_by
            .filter(|_| due > 0)
            .map(local_time)
            .unwrap_or_default(),
        seed: r.seed.clone(),
    }
}

async fn lot_page(
    app: &App,
    who: &Signed,
    id: Uuid,
    form: Option<(&str, &str)>,
    refused: Option<String>,
) -> Result<LotPage, WebError> {
    let lang = who.ctx.lang;
    let detail = market::lot_detail(app, &who.actor, id).await?;
    let row = detail.row;
    let window = detail.window_closes_at;
    let view = LotView {
        id,
        workflow: row.workflow_key.clone(),
        state: row.state.clone(),
        seller: row.org.clone(),
        data: row.data.clone(),
        window_closes_at: window,
    };
    let board = board_row(app, lang, &who.actor.org, &view).await?;
    let auction = row.workflow_key == "auction";
    let open = row.state == "open" && window.is_some_and(|w| w > app.clock.now());
    let applicant = who.actor.roles.contains(Role::Applicant);
    let (mut not_eligible, mut bids, mut result) = (None, Vec::new(), None);
    let mut price_fen = 0;
    let mut bid_hint = String::new();
    let (mut all_bids, mut replay) = (Vec::new(), None);
    let r = &who.actor.roles;
    let overseer =
        r.contains(Role::MarketOperator) || r.contains(Role::Auditor) || r.contains(Role::Admin);
    if auction {
        if applicant && row.org != who.actor.org {
            let deposit = AuctionTerms::parse(&row.data).map_or(0, |t| t.deposit_fen);
            // Whether the enterprise may bid matters only while it can.
            if open {
                not_eligible = market::eligibility(app, &who.actor, id).await?.map(
                    |(why, reason)| match why {
                        crate::app::Refusal::DepositMissing => i18n::t_args(
                            lang,
                            "market-why-deposit-missing",
                            &[("amount", yuan(deposit).into())],
                        ),
                        _ => i18n::msg(lang, &reason),
                    },
                );
            }
            bids = market::bids(app, &who.actor, id)
                .await?
                .iter()
                .filter(|b| b.org == who.actor.org)
                .map(|b| bid_row(lang, b))
                .collect();
        }
        // What the enterprise may still bid for: its share less its open bids.
        if let Ok(t) = AuctionTerms::parse(&row.data) {
            let bidding: i64 = bids.iter().filter(|b| b.open).map(|b| b.amount_kg).sum();
            bid_hint = i18n::t_args(
                lang,
                "market-bid-price-hint",
                &[
                    ("reserve", yuan(t.reserve_price_fen).into()),
                    ("step", yuan(t.increment_fen).into()),
                    ("cap", number((t.cap_kg() - bidding).max(0) as f64).into()),
                ],
            );
        }
        if let Ok(r) = market::result(app, &who.actor, id).await {
            let account = app
                .bureau
                .settlement_account
                .as_ref()
                .map(|t| t.get(lang).to_string())
                .unwrap_or_default();
            result = Some(result_view(
                lang,
                &r,
                &who.actor.org,
                detail.payment_due_at,
                &account,
            ));
            if overseer {
                all_bids = market::bids(app, &who.actor, id)
                    .await?
                    .iter()
                    .map(|b| (b.org.clone(), bid_row(lang, b)))
                    .collect();
                replay = Some(market::replay(app, &who.actor, id).await?.matches);
            }
        }
    } else if let Ok(l) = LotData::parse(&row.data) {
        price_fen = l.price_fen;
    }
    let left_kg = if auction {
        0
    } else {
        registry::left_in_escrow(app, id).await?
    };
    let (amount, price) = form.unwrap_or(("", ""));
    Ok(LotPage {
        c: Chrome::new(&who.ctx, "market-title")
            .titled(format!("{} · {}", board.kind, board.asset)),
        state: app
            .workflows
            .get(
                &row.workflow_key,
                u32::try_from(row.workflow_version).unwrap_or_default(),
            )
            .map_or_else(|| row.state.clone(), |d| d.state_title(&row.state, lang)),
        row: board,
        open,
        price_fen,
        left_kg,
        bid_hint,
        not_eligible,
        may_trade: applicant && row.org != who.actor.org,
        bids,
        result,
        amount: amount.to_string(),
        price: price.to_string(),
        refused,
        done: who
            .ctx
            .here
            .split_once("done=")
            .map(|(_, d)| d.split('&').next().unwrap_or_default().to_string())
            .filter(|d| !d.is_empty())
            .and_then(|d| i18n::lookup(lang, &format!("market-done-{d}"), None)),
        all_bids,
        replay,
    })
}

fn lot_id(path: &str) -> Result<Uuid, WebError> {
    path.parse().map_err(|_| WebError::NotFound)
}

/// `GET /market/lots/{id}`.
pub async fn lot(
    who: Signed,
    app: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = lot_id(&path)?;
    render(&lot_page(&app, &who, id, None, None).await?)
}

/// The lot page again with a price that is not yuan: the form as typed and the field's message.
async fn not_yuan(app: &App, posted: &Posted, id: Uuid) -> Result<HttpResponse, WebError> {
    let lang = posted.who.ctx.lang;
    let message = format!(
        "{}: {}",
        i18n::t(lang, "market-bid-price"),
        i18n::t(lang, "form-money")
    );
    let form = (
        posted.form.get("amount_kg").unwrap_or_default(),
        posted.form.get("price_yuan").unwrap_or_default(),
    );
    let page = lot_page(app, &posted.who, id, Some(form), Some(message)).await?;
    render_as(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// The lot page again with the refusal of a form, and the refusal's status.
async fn refused(
    app: &App,
    posted: &Posted,
    id: Uuid,
    e: AppError,
) -> Result<HttpResponse, WebError> {
    let lang = posted.who.ctx.lang;
    let status = crate::web::error::status_of(&e);
    let message = match &e {
        AppError::Validation(fe) => {
            fe.0.iter()
                .flat_map(|(f, ms)| {
                    let label = match f.as_str() {
                        "amount_kg" => i18n::t(lang, "market-bid-amount"),
                        "price_fen" | "price_yuan" => i18n::t(lang, "market-bid-price"),
                        other => other.to_string(),
                    };
                    ms.iter()
                        .map(move |m| format!("{label}: {}", i18n::msg(lang, m)))
                })
                .collect::<Vec<_>>()
                .join(" ")
        }
        AppError::Insufficient(_) | AppError::Conflict { .. } => {
            let left = registry::left_in_escrow(app, id).await.unwrap_or_default();
            i18n::t_args(
                lang,
                "market-taken-first",
                &[("left", number(left as f64).into())],
            )
        }
        other => crate::web::error::refusal(lang, other),
    };
    let form = (
        posted.form.get("amount_kg").unwrap_or_default(),
        posted.form.get("price_yuan").unwrap_or_default(),
    );
    let page = lot_page(app, &posted.who, id, Some(form), Some(message)).await?;
    render_as(status, &page)
}

/// A whole number from a form, or the field's error.
fn whole(form: &crate::web::session::FormData, field: &str) -> Value {
    match form.get(field).map(str::trim).unwrap_or_default() {
        "" => Value::Null,
        s => s
            .replace([',', ' '], "")
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| json!(s)),
    }
}

/// `POST /market/lots/{id}/take`: takes a part of a listing at its price.
pub async fn take(
    posted: Posted,
    app: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = lot_id(&path)?;
    let input = json!({"amount_kg": whole(&posted.form, "amount_kg")});
    match market::take(&app, &posted.who.actor, id, input, None).await {
        Ok(_) => Ok(see_other(&format!("/market/lots/{id}?done=taken"))),
        Err(e) => refused(&app, &posted, id, e).await,
    }
}

/// `POST /market/lots/{id}/bids`: a new sealed bid.
pub async fn bid(
    posted: Posted,
    app: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = lot_id(&path)?;
    let Ok(price) = forms::yuan_field(&posted.form, "price_yuan") else {
        return not_yuan(&app, &posted, id).await;
    };
    let input = json!({
        "amount_kg": whole(&posted.form, "amount_kg"),
        "price_fen": price,
    });
    match market::place_bid(&app, &posted.who.actor, id, input, None).await {
        Ok(_) => Ok(see_other(&format!(
            "/market/lots/{id}?done=bid-placed#bids"
        ))),
        Err(e) => refused(&app, &posted, id, e).await,
    }
}

/// `POST /market/lots/{id}/bids/{bid}`: changes (`intent=change`) or withdraws one's own bid.
pub async fn change_bid(
    posted: Posted,
    app: web::Data<App>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (lot, bid) = path.into_inner();
    let (id, bid) = (lot_id(&lot)?, lot_id(&bid)?);
    let withdraw = posted.form.get("intent") == Some("withdraw");
    let price = match forms::yuan_field(&posted.form, "price_yuan") {
        Ok(p) => p,
        Err(_) if withdraw => Value::Null,
        Err(_) => return not_yuan(&app, &posted, id).await,
    };
    let input = (!withdraw).then(|| {
        json!({
            "amount_kg": whole(&posted.form, "amount_kg"),
            "price_fen": price,
        })
    });
    match market::change_bid(&app, &posted.who.actor, id, bid, input, None).await {
        Ok(_) => Ok(see_other(&format!(
            "/market/lots/{id}?done={}#bids",
            if withdraw {
                "bid-withdrawn"
            } else {
                "bid-changed"
            }
        ))),
        Err(e) => refused(&app, &posted, id, e).await,
    }
}

// ------------------------------------------------------------------ holdings and ledgers

pub struct HoldingRow {
    pub asset: String,
    pub valid_to: String,
    pub available: String,
    pub escrow: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    pub c: Chrome,
    pub rows: Vec<HoldingRow>,
    pub accounts: Vec<(AccountView, String)>,
    pub escrowed: Vec<(Escrowed, String)>,
    pub may_transfer: bool,
}

/// An account's name in the reader's language.
fn account_label(lang: Lang, a: &AccountView) -> String {
    match a.kind.as_str() {
        "enterprise" => i18n::t_args(
            lang,
            "accounts-holdings-of",
            &[("org", a.org.clone().unwrap_or_default().into())],
        ),
        other => i18n::t(lang, &format!("accounts-kind-{other}")),
    }
}

/// `GET /accounts`: holdings per pollutant, basin and validity: available, and in escrow.
pub async fn accounts(who: Signed, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    let lang = who.ctx.lang;
    let accounts = registry::accounts(&app, &who.actor).await?;
    let escrowed = registry::escrowed(&app, &who.actor).await?;
    type Key = (String, String, String);
    let mut by_asset: BTreeMap<Key, (i64, i64)> = BTreeMap::new();
    for a in accounts
        .iter()
        .filter(|a| a.org.as_deref() == Some(who.actor.org.as_str()))
    {
        for h in &a.holdings {
            by_asset
                .entry((h.pollutant.clone(), h.basin.clone(), h.valid_to.clone()))
                .or_default()
                .0 += h.amount_kg;
        }
    }
    for e in &escrowed {
        for h in &e.holdings {
            by_asset
                .entry((h.pollutant.clone(), h.basin.clone(), h.valid_to.clone()))
                .or_default()
                .1 += h.amount_kg;
        }
    }
    let rows = by_asset
        .into_iter()
        .map(|((p, b, v), (avail, esc))| HoldingRow {
            asset: format!("{} · {}", pollutant(lang, &p), basin(lang, &b)),
            valid_to: v,
            available: number(avail as f64),
            escrow: number(esc as f64),
        })
        .collect();
    let label = |a: &AccountView| account_label(lang, a);
    render(&AccountsPage {
        c: Chrome::new(&who.ctx, "accounts-title"),
        rows,
        accounts: accounts.iter().map(|a| (a.clone(), label(a))).collect(),
        escrowed: escrowed
            .into_iter()
            .map(|e| {
                let k = kind_title(lang, &e.workflow);
                (e, k)
            })
            .collect(),
        may_transfer: who.actor.roles.contains(Role::Applicant),
    })
}

pub struct LedgerRow {
    pub at: String,
    pub kind: String,
    pub asset: String,
    pub change: String,
    pub credit: bool,
    pub balance: String,
    pub entry: Uuid,
}

#[derive(Template)]
#[template(path = "ledger.html")]
pub struct LedgerPage {
    pub c: Chrome,
    pub id: Uuid,
    pub label: String,
    pub rows: Vec<LedgerRow>,
}

/// `GET /accounts/{id}` and `/accounts/{id}.csv`: the ledger with a running balance per asset.
pub async fn ledger(
    who: Signed,
    app: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let lang = who.ctx.lang;
    let (id, csv) = match path.strip_suffix(".csv") {
        Some(id) => (lot_id(id)?, true),
        None => (lot_id(&path)?, false),
    };
    let lines = registry::ledger(&app, &who.actor, id).await?;
    let balances = running(&lines);
    if csv {
        #[derive(serde::Serialize, Default)]
        struct Row<'a> {
            at: String,
            entry_id: Uuid,
            kind: &'a str,
            pollutant: &'a str,
            basin: &'a str,
            valid_to: &'a str,
            amount_kg: i64,
            balance_kg: i64,
            actor: &'a str,
        }
        let rows: Vec<Row> = lines
            .iter()
            .zip(&balances)
            .map(|(l, b)| Row {
                at: l.at.to_rfc3339(),
                entry_id: l.entry_id,
                kind: &l.kind,
                pollutant: &l.pollutant,
                basin: &l.basin,
                valid_to: &l.valid_to,
                amount_kg: l.amount_kg,
                balance_kg: *b,
                actor: &l.actor,
            })
            .collect();
        return super::figures::csv_response(&format!("ledger-{id}"), &rows);
    }
    let accounts = registry::accounts(&app, &who.actor).await?;
    let label = accounts
        .iter()
        .find(|a| a.id == id)
        .map(|a| account_label(lang, a))
        .unwrap_or_default();
    let rows = lines
        .iter()
        .zip(&balances)
        .map(|(l, b)| LedgerRow {
            at: local_time(l.at),
            kind: i18n::lookup(
                lang,
                &format!("ledger-kind-{}", l.kind.replace('_', "-")),
                None,
            )
            .unwrap_or_else(|| l.kind.clone()),
            asset: format!(
                "{} · {} · {}",
                pollutant(lang, &l.pollutant),
                basin(lang, &l.basin),
                l.valid_to
            ),
            change: format!(
                "{}{}",
                if l.amount_kg > 0 { "+" } else { "" },
                number(l.amount_kg as f64)
            ),
            credit: l.amount_kg > 0,
            balance: number(*b as f64),
            entry: l.entry_id,
        })
        .collect();
    let mut r = render(&LedgerPage {
        c: Chrome::new(&who.ctx, "ledger-title"),
        id,
        label,
        rows,
    })?;
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

/// The balance of each line's asset after it.
fn running(lines: &[LedgerLine]) -> Vec<i64> {
    let mut acc: BTreeMap<(&str, &str, &str), i64> = BTreeMap::new();
    lines
        .iter()
        .map(|l| {
            let b = acc
                .entry((&l.pollutant, &l.basin, &l.valid_to))
                .or_default();
            *b += l.amount_kg;
            *b
        })
        .collect()
}
