//! Auctions of pollution rights (TRADING.md): market participants (discharge permits, related
//! groups), deposits, sealed bids, clearing at the window's deadline, awards, payment per award
//! and default to the next bidders; the market board and market statistics.
//!
//! The registry movements of an auction run as ledger effects of the `auction` workflow's
//! actions, inside the transaction of the transition (see `ledger_effect`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit::append_installation;
use super::idempotency::{finish, Idempotency};
use super::registry::sees_all;
use super::{App, AppError, Refusal};
use crate::domain::audit::to_micros;
use crate::domain::clearing::{self, Outcome};
use crate::domain::directory::OrgKind;
use crate::domain::ledger::{self, AuctionTerms};
use crate::domain::{FieldErrors, Msg, Role};
use crate::engine::ClockStatus;
use crate::engine::{Actor, LedgerOp, TransitionError};
use crate::msg;
use crate::store;
use crate::store::cases::CaseRow;
use crate::store::market::{AuctionRow, AwardRow, BidRow, DepositRow, ParticipantRow};

pub const AUCTION: &str = "auction";

// ------------------------------------------------------------------ participants

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Participant {
    pub org: String,
    pub permit_no: Option<String>,
    pub permit_basin: Option<String>,
    pub permit_valid_to: Option<String>,
    /// Related accounts share a group and bid as one.
    pub group: Option<String>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl From<ParticipantRow> for Participant {
    fn from(r: ParticipantRow) -> Self {
        Participant {
            org: r.org,
            permit_no: r.permit_no,
            permit_basin: r.permit_basin,
            permit_valid_to: r.permit_valid_to,
            group: r.group_code,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }
    }
}

fn optional_text(input: &Value, field: &str, errors: &mut FieldErrors) -> Option<String> {
    match input.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 100 => {
            Some(s.trim().to_string())
        }
        Some(_) => {
            errors.add(field, msg!("err-optional-text", max = 100));
            None
        }
    }
}

/// Records what the market knows of an enterprise (market operator): its discharge permit
/// (number, basin, last day of validity) and its group of related accounts.
pub async fn set_participant(
    app: &App,
    actor: &Actor,
    org: &str,
    input: Value,
    idem: Option<&Idempotency>,
) -> Result<Participant, AppError> {
    super::require(actor, Role::MarketOperator)?;
    let mut errors = FieldErrors::default();
    if !input.is_object() {
        errors.add("body", msg!("err-not-an-object"));
    }
    for k in input.as_object().map(|m| m.keys()).into_iter().flatten() {
        if !["permit_no", "permit_basin", "permit_valid_to", "group"].contains(&k.as_str()) {
            errors.add(k.clone(), msg!("err-unknown-field"));
        }
    }
    let permit_no = optional_text(&input, "permit_no", &mut errors);
    let basin = optional_text(&input, "permit_basin", &mut errors);
    if let Some(b) = &basin {
        let mut probe = serde_json::Map::new();
        probe.insert("basin".into(), Value::String(b.clone()));
        let mut e = FieldErrors::default();
        ledger::asset(&probe, &mut e);
        if e.0.contains_key("basin") {
            errors.add("permit_basin", msg!("err-basin"));
        }
    }
    let valid_to = optional_text(&input, "permit_valid_to", &mut errors);
    if let Some(v) = &valid_to {
        if chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
            errors.add("permit_valid_to", msg!("err-date"));
        }
    }
    if permit_no.is_some() != valid_to.is_some() || permit_no.is_some() != basin.is_some() {
        errors.add("permit_no", msg!("err-permit-incomplete"));
    }
    let group = optional_text(&input, "group", &mut errors);
    match store::directory::find_org(&app.db, org).await? {
        Some(o) if OrgKind::Enterprise.is(&o.kind) => {}
        Some(_) => errors.add("org", msg!("err-not-an-enterprise", code = org)),
        None => return Err(AppError::NotFound(format!("organisation {org}"))),
    }
    errors.into_result().map_err(AppError::Validation)?;
    let now = to_micros(app.clock.now());
    let row = ParticipantRow {
        org: org.to_string(),
        permit_no,
        permit_basin: basin,
        permit_valid_to: valid_to,
        group_code: group,
        updated_by: actor.subject.clone(),
        updated_at: now,
    };
    let tx = app.db.begin().await?;
    store::market::upsert_participant(&tx, row.clone()).await?;
    append_installation(
        &tx,
        actor,
        "market.participant",
        json!({"org": row.org, "permit_no": row.permit_no, "permit_basin": row.permit_basin, "permit_valid_to": row.permit_valid_to, "group": row.group_code}),
        now,
    )
    .await?;
    finish(app, tx, actor, idem, Participant::from(row), now).await
}

/// Market participants: an enterprise sees its own record; the market operator, auditors and
/// admins see all.
pub async fn participants(app: &App, actor: &Actor) -> Result<Vec<Participant>, AppError> {
    let all = store::market::participants(&app.db).await?;
    Ok(all
        .into_iter()
        .filter(|p| sees_all(actor) || p.org == actor.org)
        .map(Participant::from)
        .collect())
}

// ------------------------------------------------------------------ lots

/// An auction lot, checked: its case row and terms.
struct AuctionLot {
    row: CaseRow,
    terms: AuctionTerms,
}

async fn auction_lot(app: &App, lot_id: Uuid) -> Result<AuctionLot, AppError> {
    let row = store::cases::find(&app.db, lot_id)
        .await?
        .filter(|r| r.workflow_key == AUCTION)
        .ok_or_else(|| AppError::NotFound(format!("auction lot {lot_id}")))?;
    let terms = AuctionTerms::parse(&row.data).map_err(AppError::Validation)?;
    Ok(AuctionLot { row, terms })
}

/// The lot must be open, and its window not past (a deadline not fired yet still closes it).
pub(crate) async fn check_window(app: &App, row: &CaseRow, action: &str) -> Result<(), AppError> {
    if row.state != "open" {
        return Err(AppError::Transition(TransitionError::NotAllowed {
            state: row.state.clone(),
            action: action.into(),
        }));
    }
    let clocks = super::clocks::CaseClocks::load(&app.db, row.id).await?;
    let due = clocks.row("window").and_then(|c| c.due_at);
    if due.is_some_and(|d| app.clock.now() >= d) {
        return Err(AppError::Transition(TransitionError::NotYet {
            action: action.into(),
            reason: msg!("err-window-closed"),
        }));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Take {
    pub entry_id: Uuid,
    pub lot: Uuid,
    pub buyer: String,
    pub amount_kg: i64,
    pub price_fen: i64,
    pub paid_fen: i64,
    pub left_kg: i64,
    pub at: DateTime<Utc>,
}

/// An eligible buyer takes part of an open listing at its price: escrow to buyer and the payment
/// recorded, with an audit entry on the lot, in one transaction. The lot's row is locked first,
/// so concurrent buyers queue; the escrow debit takes the amount only if it is still there, so a
/// listing never over-fills.
pub async fn take(
    app: &App,
    actor: &Actor,
    lot_id: Uuid,
    input: Value,
    idem: Option<&Idempotency>,
) -> Result<Take, AppError> {
    super::require(actor, Role::Applicant)?;
    let mut errors = FieldErrors::default();
    errors.known_fields(&input, &["amount_kg"]);
    let amount = ledger::whole_positive(input.get("amount_kg"), "amount_kg", &mut errors);
    errors.into_result().map_err(AppError::Validation)?;
    let Some(amount) = amount else {
        return Err(AppError::Unexpected(anyhow::anyhow!(
            "validated amount missing"
        )));
    };
    let row = store::cases::find(&app.db, lot_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("lot {lot_id}")))?;
    if row.workflow_key != "listing" {
        return Err(AppError::NotFound(format!("lot {lot_id}")));
    }
    if row.org == actor.org {
        return Err(AppError::Forbidden("a buyer other than the seller".into()));
    }
    match store::directory::find_org(&app.db, &actor.org).await? {
        Some(o) if OrgKind::Enterprise.is(&o.kind) => {}
        _ => return Err(AppError::Forbidden("an enterprise in the directory".into())),
    }
    check_window(app, &row, "take").await?;
    let lot = ledger::LotData::parse(&row.data).map_err(AppError::Validation)?;
    // A listing's buyer meets the rules an auction's bidder meets (the basin rule always holds).
    check_buyer(app, actor, &row.org, &lot.asset.basin, true).await?;
    let paid = ledger::notional_fen(amount, lot.price_fen)
        .ok_or_else(|| AppError::invalid("amount_kg", msg!("err-amount-too-large")))?;
    let now = to_micros(app.clock.now());
    let entry_id = Uuid::now_v7();
    let tx = app.db.begin().await?;
    // Lock the lot (and check it is open) before anything else.
    let Some(locked) = store::cases::bump_in_state(&tx, lot_id, "open", now).await? else {
        return Err(crate::engine::TransitionError::NotAllowed {
            state: row.state,
            action: "take".into(),
        }
        .into());
    };
    let escrow = super::registry::escrow_account(&tx, lot_id, now).await?;
    let sale = super::registry::Sale {
        seller: &row.org,
        buyer: &actor.org,
        asset: &lot.asset,
        amount_kg: amount,
        paid_fen: paid,
    };
    super::registry::transfer_from_escrow(&tx, &escrow, sale, entry_id, actor, now).await?;
    let left: i64 = store::registry::balances(&tx, escrow.id)
        .await?
        .iter()
        .map(|b| b.amount_kg)
        .sum();
    super::audit::append_event(
        &tx,
        &locked,
        actor,
        "take",
        json!({"entry": entry_id, "buyer": actor.org, "amount_kg": amount, "price_fen": lot.price_fen, "paid_fen": paid}),
        now,
    )
    .await?;
    let take = Take {
        entry_id,
        lot: lot_id,
        buyer: actor.org.clone(),
        amount_kg: amount,
        price_fen: lot.price_fen,
        paid_fen: paid,
        left_kg: left,
        at: now,
    };
    finish(app, tx, actor, idem, take, now).await
}

// ------------------------------------------------------------------ deposits

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Deposit {
    pub lot: Uuid,
    pub org: String,
    pub amount_fen: i64,
    pub reference: String,
    /// held, refunded or forfeited.
    pub status: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

impl From<DepositRow> for Deposit {
    fn from(d: DepositRow) -> Self {
        Deposit {
            lot: d.lot_id,
            org: d.org,
            amount_fen: d.amount_fen,
            reference: d.reference,
            status: d.status,
            recorded_by: d.recorded_by,
            recorded_at: d.recorded_at,
        }
    }
}

/// Records that a bidder paid the lot's deposit (market operator), while the window is open.
pub async fn record_deposit(
    app: &App,
    actor: &Actor,
    lot_id: Uuid,
    input: Value,
    idem: Option<&Idempotency>,
) -> Result<Deposit, AppError> {
    super::require(actor, Role::MarketOperator)?;
    let lot = auction_lot(app, lot_id).await?;
    let mut errors = FieldErrors::default();
    errors.known_fields(&input, &["org", "reference"]);
    let org = input.get("org").and_then(Value::as_str).map(str::to_string);
    let reference = input
        .get("reference")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty() && r.len() <= 100)
        .map(str::to_string);
    if reference.is_none() {
        errors.add(
            "reference",
            msg!("err-payment-reference-required", max = 100),
        );
    }
    match &org {
        None => errors.add("org", msg!("err-bidder-code-required")),
        Some(o) => match store::directory::find_org(&app.db, o).await? {
            Some(row) if OrgKind::Enterprise.is(&row.kind) => {}
            _ => errors.add("org", msg!("err-not-an-enterprise", code = o)),
        },
    }
    errors.into_result().map_err(AppError::Validation)?;
    let (Some(org), Some(reference)) = (org, reference) else {
        return Err(AppError::Unexpected(anyhow::anyhow!(
            "validated deposit missing"
        )));
    };
    check_window(app, &lot.row, "deposit").await?;
    let now = to_micros(app.clock.now());
    let row = DepositRow {
        lot_id,
        org: org.clone(),
        amount_fen: lot.terms.deposit_fen,
        reference,
        status: "held".into(),
        recorded_by: actor.subject.clone(),
        recorded_at: now,
    };
    let tx = app.db.begin().await?;
    let Some(locked) = store::cases::bump_in_state(&tx, lot_id, "open", now).await? else {
        return Err(AppError::Transition(TransitionError::NotAllowed {
            state: lot.row.state,
            action: "deposit".into(),
        }));
    };
    if !store::market::insert_deposit(&tx, row.clone()).await? {
        return Err(AppError::AlreadyExists(msg!(
            "err-deposit-exists",
            org = org
        )));
    }
    super::audit::append_event(
        &tx,
        &locked,
        actor,
        "deposit",
        json!({"org": org, "amount_fen": row.amount_fen, "reference": row.reference}),
        now,
    )
    .await?;
    finish(app, tx, actor, idem, Deposit::from(row), now).await
}

// ------------------------------------------------------------------ bids

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct BidView {
    pub id: Uuid,
    pub lot: Uuid,
    pub org: String,
    pub amount_kg: i64,
    pub price_fen: i64,
    /// open or withdrawn.
    pub status: String,
    pub placed_by: String,
    /// When the bid was placed or last changed (its place among equal prices).
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BidRow> for BidView {
    fn from(b: BidRow) -> Self {
        BidView {
            id: b.id,
            lot: b.lot_id,
            org: b.org,
            amount_kg: b.amount_kg,
            price_fen: b.price_fen,
            status: b.status,
            placed_by: b.placed_by,
            placed_at: b.placed_at,
            updated_at: b.updated_at,
        }
    }
}

/// The bid's content, hashed into the audit log while the bids are sealed.
fn sealed(id: Uuid, amount_kg: i64, price_fen: i64, at: DateTime<Utc>) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "{id}|{amount_kg}|{price_fen}|{}",
        at.timestamp_micros()
    ));
    hex::encode(h.finalize())
}

/// Who may bid: an enterprise with a discharge permit valid today (in the lot's basin when the
/// lot keeps the basin rule), not the seller nor related to it, with its deposit held. Answers
/// the bidder as clearing counts it: the group of related accounts, or the organisation.
async fn check_bidder(app: &App, actor: &Actor, lot: &AuctionLot) -> Result<String, AppError> {
    super::require(actor, Role::Applicant)?;
    match store::directory::find_org(&app.db, &actor.org).await? {
        Some(o) if OrgKind::Enterprise.is(&o.kind) => {}
        _ => {
            return Err(AppError::Refused(
                Refusal::NotEligible,
                msg!("err-bid-not-enterprise"),
            ))
        }
    }
    if actor.org == lot.row.org {
        return Err(AppError::Refused(
            Refusal::SelfDealing,
            msg!("err-bid-own-lot"),
        ));
    }
    let group = check_buyer(
        app,
        actor,
        &lot.row.org,
        &lot.terms.asset.basin,
        lot.terms.basin_rule,
    )
    .await?;
    let held = store::market::deposits(&app.db, lot.row.id)
        .await?
        .into_iter()
        .any(|d| d.org == actor.org && d.status == "held");
    if !held {
        return Err(AppError::Refused(
            Refusal::DepositMissing,
            msg!(
                "err-bid-no-deposit",
                amount = crate::domain::money::yuan(lot.terms.deposit_fen)
            ),
        ));
    }
    Ok(group)
}

/// The rules every buyer meets, on an auction as on a listing (TRADING.md, "Eligibility"): a
/// valid discharge permit, in the lot's basin where the basin rule holds, and no relation to
/// the seller (related accounts count as one). Answers the buyer's group, or its organisation.
async fn check_buyer(
    app: &App,
    actor: &Actor,
    seller: &str,
    lot_basin: &str,
    basin_rule: bool,
) -> Result<String, AppError> {
    let today = crate::domain::calendar::local_date(app.clock.now()).to_string();
    let me = store::market::participant(&app.db, &actor.org).await?;
    let permit = me.as_ref().and_then(|p| {
        Some((
            p.permit_no.clone()?,
            p.permit_basin.clone()?,
            p.permit_valid_to.clone()?,
        ))
    });
    let Some((number, basin, valid_to)) = permit else {
        return Err(AppError::Refused(
            Refusal::NotEligible,
            msg!("err-buyer-no-permit"),
        ));
    };
    if valid_to < today {
        return Err(AppError::Refused(
            Refusal::NotEligible,
            msg!(
                "err-buyer-permit-expired",
                number = number,
                valid_to = valid_to
            ),
        ));
    }
    if basin_rule && basin != lot_basin {
        return Err(AppError::Refused(
            Refusal::NotEligible,
            msg!(
                "err-buyer-other-basin",
                number = number,
                basin = basin,
                lot_basin = lot_basin
            ),
        ));
    }
    let group = me.and_then(|p| p.group_code);
    if let Some(g) = &group {
        let seller = store::market::participant(&app.db, seller).await?;
        if seller.and_then(|s| s.group_code).as_ref() == Some(g) {
            return Err(AppError::Refused(
                Refusal::SelfDealing,
                msg!("err-buyer-related", group = g),
            ));
        }
    }
    Ok(group.unwrap_or_else(|| actor.org.clone()))
}

fn parse_bid(lot: &AuctionLot, input: &Value) -> Result<(i64, i64), AppError> {
    let mut errors = FieldErrors::default();
    if let Some(map) = input.as_object() {
        for k in map.keys() {
            if !["amount_kg", "price_fen"].contains(&k.as_str()) {
                errors.add(k.clone(), msg!("err-unknown-field"));
            }
        }
    }
    let amount = ledger::whole_positive(input.get("amount_kg"), "amount_kg", &mut errors);
    let price = ledger::whole_positive(input.get("price_fen"), "price_fen", &mut errors);
    if let Some(p) = price {
        if let Err(m) = lot.terms.check_price(p) {
            errors.add("price_fen", m);
        }
    }
    if let Some(a) = amount {
        if a > lot.terms.cap_kg() {
            errors.add(
                "amount_kg",
                msg!("err-more-than-share", cap = lot.terms.cap_kg()),
            );
        }
    }
    if let (Some(a), Some(p)) = (amount, price) {
        if ledger::notional_fen(a, p).is_none() {
            errors.add("price_fen", msg!("err-amount-too-large"));
        }
    }
    errors.into_result().map_err(AppError::Validation)?;
    match (amount, price) {
        (Some(a), Some(p)) => Ok((a, p)),
        _ => Err(AppError::Unexpected(anyhow::anyhow!(
            "validated bid missing"
        ))),
    }
}

/// Checks, with the lot locked, that the bidder's open bids (related accounts together) stay
/// within one bidder's share.
async fn check_share(
    tx: &impl ConnectionTrait,
    lot: &AuctionLot,
    bidder: &str,
    amount: i64,
    replacing: Option<Uuid>,
) -> Result<(), AppError> {
    let others: i64 = store::market::bids(tx, lot.row.id, None)
        .await?
        .iter()
        .filter(|b| b.status == "open" && b.bidder == bidder && Some(b.id) != replacing)
        .map(|b| b.amount_kg)
        .sum();
    if others + amount > lot.terms.cap_kg() {
        return Err(AppError::invalid(
            "amount_kg",
            msg!(
                "err-share-with-related",
                others = others,
                cap = lot.terms.cap_kg()
            ),
        ));
    }
    Ok(())
}

/// Places a sealed bid on an open auction lot.
pub async fn place_bid(
    app: &App,
    actor: &Actor,
    lot_id: Uuid,
    input: Value,
    idem: Option<&Idempotency>,
) -> Result<BidView, AppError> {
    let lot = auction_lot(app, lot_id).await?;
    let bidder = check_bidder(app, actor, &lot).await?;
    let (amount, price) = parse_bid(&lot, &input)?;
    check_window(app, &lot.row, "bid").await?;
    let now = to_micros(app.clock.now());
    let tx = app.db.begin().await?;
    let Some(locked) = store::cases::bump_in_state(&tx, lot_id, "open", now).await? else {
        return Err(AppError::Transition(TransitionError::NotAllowed {
            state: lot.row.state.clone(),
            action: "bid".into(),
        }));
    };
    check_share(&tx, &lot, &bidder, amount, None).await?;
    let row = BidRow {
        id: Uuid::now_v7(),
        lot_id,
        org: actor.org.clone(),
        bidder,
        amount_kg: amount,
        price_fen: price,
        status: "open".into(),
        placed_by: actor.subject.clone(),
        placed_at: now,
        updated_at: now,
    };
    store::market::insert_bid(&tx, row.clone()).await?;
    super::audit::append_event(
        &tx,
        &locked,
        actor,
        "bid",
        json!({"bid": row.id, "org": row.org, "sealed": sealed(row.id, amount, price, now)}),
        now,
    )
    .await?;
    finish(app, tx, actor, idem, BidView::from(row), now).await
}

async fn own_open_bid(
    app: &App,
    actor: &Actor,
    lot_id: Uuid,
    bid_id: Uuid,
) -> Result<BidRow, AppError> {
    let bid = store::market::bid(&app.db, bid_id)
        .await?
        .filter(|b| b.lot_id == lot_id && b.org == actor.org)
        .ok_or_else(|| AppError::NotFound(format!("bid {bid_id}")))?;
    if bid.status != "open" {
        return Err(AppError::Transition(TransitionError::NotAllowed {
            state: bid.status,
            action: "change".into(),
        }));
    }
    Ok(bid)
}

/// Changes one's own bid while the window is open (it takes a new place in time) or, with
/// `None`, withdraws it.
pub async fn change_bid(
    app: &App,
    actor: &Actor,
    lot_id: Uuid,
    bid_id: Uuid,
    input: Option<Value>,
    idem: Option<&Idempotency>,
) -> Result<BidView, AppError> {
    let lot = auction_lot(app, lot_id).await?;
    let bidder = check_bidder(app, actor, &lot).await?;
    let bid = own_open_bid(app, actor, lot_id, bid_id).await?;
    let change = match &input {
        Some(i) => Some(parse_bid(&lot, i)?),
        None => None,
    };
    let action = if change.is_some() {
        "bid_changed"
    } else {
        "bid_withdrawn"
    };
    check_window(app, &lot.row, action).await?;
    let now = to_micros(app.clock.now());
    let tx = app.db.begin().await?;
    let Some(locked) = store::cases::bump_in_state(&tx, lot_id, "open", now).await? else {
        return Err(AppError::Transition(TransitionError::NotAllowed {
            state: lot.row.state.clone(),
            action: action.into(),
        }));
    };
    if let Some((amount, _)) = change {
        check_share(&tx, &lot, &bidder, amount, Some(bid_id)).await?;
    }
    let status = if change.is_some() {
        "open"
    } else {
        "withdrawn"
    };
    if !store::market::update_open_bid(&tx, bid_id, change, status, now).await? {
        return Err(AppError::Transition(TransitionError::NotAllowed {
            state: "withdrawn".into(),
            action: action.into(),
        }));
    }
    let payload = match change {
        Some((a, p)) => {
            json!({"bid": bid_id, "org": actor.org, "sealed": sealed(bid_id, a, p, now)})
        }
        None => json!({"bid": bid_id, "org": actor.org}),
    };
    super::audit::append_event(&tx, &locked, actor, action, payload, now).await?;
    let mut view = BidView::from(bid);
    view.status = status.into();
    view.updated_at = now;
    if let Some((a, p)) = change {
        view.amount_kg = a;
        view.price_fen = p;
        view.placed_at = now;
    }
    finish(app, tx, actor, idem, view, now).await
}

/// The caller's own bids on a lot. Bids are sealed: until the window closes nobody sees
/// another's; after it, the market operator, auditors and admins see all.
pub async fn bids(app: &App, actor: &Actor, lot_id: Uuid) -> Result<Vec<BidView>, AppError> {
    let lot = auction_lot(app, lot_id).await?;
    let closed = store::market::auction(&app.db, lot_id)
        .await?
        .is_some_and(|a| a.closed_at.is_some());
    let org = (!(closed && sees_all(actor))).then_some(actor.org.as_str());
    Ok(store::market::bids(&app.db, lot.row.id, org)
        .await?
        .into_iter()
        .map(BidView::from)
        .collect())
}

// ------------------------------------------------------------------ result

#[derive(Debug, Clone, Serialize)]
pub struct AwardView {
    pub id: Uuid,
    pub bid: Uuid,
    pub org: String,
    pub amount_kg: i64,
    pub price_fen: i64,
    pub value_fen: i64,
    /// 1 at clearing; higher when the volume of a defaulting winner passed on.
    pub round: i32,
    /// awarded (waiting for payment), settled or defaulted.
    pub status: String,
    /// The ledger entry that settled it.
    pub entry_id: Option<Uuid>,
}

impl From<AwardRow> for AwardView {
    fn from(a: AwardRow) -> Self {
        AwardView {
            id: a.id,
            bid: a.bid_id,
            org: a.org,
            amount_kg: a.amount_kg,
            price_fen: a.price_fen,
            value_fen: a.amount_kg.saturating_mul(a.price_fen),
            round: a.round,
            status: a.status,
            entry_id: a.entry_id,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuctionResult {
    pub lot: Uuid,
    pub state: String,
    pub clearing: clearing::Rule,
    /// The tie-break seed, fixed when the window opened (its SHA-256 is in that audit entry).
    pub seed: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// cleared or failed.
    pub outcome: String,
    pub reason: Option<String>,
    /// The reason as a message, for a page in the reader's language.
    #[serde(skip)]
    pub reason_msg: Option<Msg>,
    pub clearing_price_fen: Option<i64>,
    pub allocated_kg: i64,
    pub round: i32,
    /// Every award for the market operator, auditors and admins; a bidder's own otherwise (who
    /// won what at which price is confidential to the winner).
    pub awards: Vec<AwardView>,
    /// The aggregate anyone who may read the result sees: how many enterprises had a bid at the
    /// close (withdrawn bids aside), and how many won.
    pub bidders: usize,
    pub winners: usize,
    /// Deposits and their fate (market operator, auditors, admins).
    pub deposits: Option<Vec<Deposit>>,
}

/// The result of an auction once its window closed: the aggregate (outcome, clearing price,
/// volume, bidder and winner counts) to every signed-in user; the awards to those they belong
/// to, and all of them to the market operator, auditors and admins.
pub async fn result(app: &App, actor: &Actor, lot_id: Uuid) -> Result<AuctionResult, AppError> {
    let lot = auction_lot(app, lot_id).await?;
    let auction = store::market::auction(&app.db, lot_id)
        .await?
        .filter(|a| a.closed_at.is_some())
        .ok_or_else(|| {
            AppError::Transition(TransitionError::NotYet {
                action: "result".into(),
                reason: msg!("err-not-cleared"),
            })
        })?;
    let outcome: Value = auction
        .outcome
        .as_deref()
        .and_then(|o| serde_json::from_str(o).ok())
        .unwrap_or(Value::Null);
    let awards = store::market::awards(&app.db, lot_id).await?;
    let bidders: BTreeSet<String> = store::market::bids(&app.db, lot_id, None)
        .await?
        .into_iter()
        .filter(|b| b.status != "withdrawn")
        .map(|b| b.org)
        .collect();
    let winners: BTreeSet<&str> = awards.iter().map(|a| a.org.as_str()).collect();
    let winners = winners.len();
    let all = sees_all(actor);
    let awards: Vec<AwardView> = awards
        .into_iter()
        .filter(|a| all || a.org == actor.org)
        .map(AwardView::from)
        .collect();
    let deposits = if all {
        Some(
            store::market::deposits(&app.db, lot_id)
                .await?
                .into_iter()
                .map(Deposit::from)
                .collect(),
        )
    } else {
        None
    };
    Ok(AuctionResult {
        lot: lot_id,
        state: lot.row.state,
        clearing: lot.terms.clearing,
        seed: auction.seed,
        opened_at: auction.opened_at,
        closed_at: auction.closed_at,
        outcome: outcome
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or("failed")
            .to_string(),
        reason: outcome
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_string),
        reason_msg: outcome
            .get("reason_msg")
            .and_then(|m| Msg::from_json(m, &["allocated", "offered", "price", "reserve"])),
        clearing_price_fen: auction.clearing_price_fen,
        allocated_kg: outcome
            .get("allocated_kg")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        round: auction.round,
        awards,
        bidders: bidders.len(),
        winners,
        deposits,
    })
}

// ------------------------------------------------------------------ ledger effects

/// A message to the applicants of another organisation, with its own details.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub kind: &'static str,
    pub org: String,
    pub details: Value,
}

/// What a ledger effect did, for the transition that caused it: facts for its audit entry,
/// notices to bidders, and an automatic action to fire next.
#[derive(Debug, Default)]
pub(crate) struct LedgerOutcome {
    pub facts: Option<Value>,
    pub notices: Vec<Notice>,
    pub follow_up: Option<&'static str>,
}

/// Carries out a ledger effect inside the transition's transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn ledger_effect(
    tx: &impl ConnectionTrait,
    case: &CaseRow,
    data: &Value,
    op: LedgerOp,
    payload: &Value,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<LedgerOutcome, AppError> {
    match op {
        LedgerOp::Escrow | LedgerOp::Release | LedgerOp::Settle => {
            super::registry::lot_movement(tx, case.id, &case.org, data, op, actor, now).await?;
            if case.workflow_key == AUCTION {
                match op {
                    LedgerOp::Escrow => return open_auction(tx, case, data, now).await,
                    LedgerOp::Release => {
                        // The lot is done: every deposit still held goes back.
                        for d in store::market::deposits(tx, case.id).await? {
                            store::market::settle_deposit(tx, case.id, &d.org, "refunded").await?;
                        }
                    }
                    _ => {}
                }
            }
            Ok(LedgerOutcome::default())
        }
        LedgerOp::Clear => clear(tx, case, data, now).await,
        LedgerOp::SettleAward => settle_award(tx, case, data, payload, actor, now).await,
        LedgerOp::Default => default_awards(tx, case, data, now).await,
    }
}

/// The window opens: the tie-break seed is drawn and stored; its SHA-256 goes into the audit
/// entry, so that the seed published at clearing can be checked against it.
async fn open_auction(
    tx: &impl ConnectionTrait,
    case: &CaseRow,
    data: &Value,
    now: DateTime<Utc>,
) -> Result<LedgerOutcome, AppError> {
    AuctionTerms::parse(data).map_err(AppError::Validation)?;
    let seed = Uuid::new_v4().as_u64_pair().0;
    let seed_text = seed.to_string();
    store::market::insert_auction(
        tx,
        AuctionRow {
            lot_id: case.id,
            seed: seed_text.clone(),
            opened_at: now,
            closed_at: None,
            outcome: None,
            clearing_price_fen: None,
            round: 0,
        },
    )
    .await?;
    Ok(LedgerOutcome {
        facts: Some(json!({"seed_sha256": hex::encode(Sha256::digest(seed_text.as_bytes()))})),
        ..LedgerOutcome::default()
    })
}

struct Book {
    auction: AuctionRow,
    bids: Vec<BidRow>,
    lot: clearing::Lot,
    /// The open bids as clearing sees them; `id` is the index into `bids` plus one.
    ranked_input: Vec<clearing::Bid>,
}

async fn book(tx: &impl ConnectionTrait, case: &CaseRow, data: &Value) -> Result<Book, AppError> {
    let terms = AuctionTerms::parse(data).map_err(AppError::Validation)?;
    let auction = store::market::auction(tx, case.id)
        .await?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("lot {} has no auction", case.id)))?;
    let seed: u64 = auction
        .seed
        .parse()
        .map_err(|_| AppError::Unexpected(anyhow::anyhow!("bad seed on lot {}", case.id)))?;
    let bids: Vec<BidRow> = store::market::bids(tx, case.id, None)
        .await?
        .into_iter()
        .filter(|b| b.status == "open")
        .collect();
    let ranked_input = bids
        .iter()
        .enumerate()
        .map(|(i, b)| clearing::Bid {
            id: i as u64 + 1,
            bidder: b.bidder.clone(),
            amount_kg: b.amount_kg.max(0) as u64,
            price_fen: b.price_fen.max(0) as u64,
            at: b.placed_at.timestamp_micros(),
        })
        .collect();
    let lot = clearing::Lot {
        volume_kg: terms.amount_kg as u64,
        reserve_price_fen: terms.reserve_price_fen as u64,
        max_share_pct: terms.max_share_pct,
        rule: terms.clearing,
        seed,
    };
    Ok(Book {
        auction,
        bids,
        lot,
        ranked_input,
    })
}

fn award_rows(
    book: &Book,
    awards: &[clearing::Award],
    round: i32,
    now: DateTime<Utc>,
    lot: Uuid,
) -> Vec<AwardRow> {
    awards
        .iter()
        .filter_map(|a| {
            let bid = book
                .bids
                .get(usize::try_from(a.bid_id).ok()?.checked_sub(1)?)?;
            Some(AwardRow {
                id: Uuid::now_v7(),
                lot_id: lot,
                bid_id: bid.id,
                org: bid.org.clone(),
                amount_kg: a.amount_kg as i64,
                price_fen: a.price_fen as i64,
                round,
                status: "awarded".into(),
                entry_id: None,
                created_at: now,
                closed_at: None,
            })
        })
        .collect()
}

fn award_notice(a: &AwardRow) -> Notice {
    Notice {
        kind: "award",
        org: a.org.clone(),
        details: json!({"award": a.id, "amount_kg": a.amount_kg, "price_fen": a.price_fen, "value_fen": a.amount_kg.saturating_mul(a.price_fen)}),
    }
}

/// The window closed: clear the open bids by the lot's rule with the recorded seed; award, or
/// fail (everything returns to the seller).
async fn clear(
    tx: &impl ConnectionTrait,
    case: &CaseRow,
    data: &Value,
    now: DateTime<Utc>,
) -> Result<LedgerOutcome, AppError> {
    let book = book(tx, case, data).await?;
    let outcome = clearing::clear(&book.lot, &book.ranked_input);
    let mut auction = book.auction.clone();
    auction.closed_at = Some(now);
    auction.round = 1;
    let mut out = LedgerOutcome::default();
    let bidders: BTreeSet<String> = book.bids.iter().map(|b| b.org.clone()).collect();
    let (rows, summary) = match &outcome {
        Outcome::Cleared {
            clearing_price_fen,
            allocated_kg,
            awards,
        } => {
            auction.clearing_price_fen = clearing_price_fen.map(|p| p as i64);
            let rows = award_rows(&book, awards, 1, now, case.id);
            (
                rows,
                json!({"outcome": "cleared", "clearing_price_fen": clearing_price_fen, "allocated_kg": allocated_kg}),
            )
        }
        Outcome::Failed { reason } => {
            out.follow_up = Some("fail");
            (
                Vec::new(),
                json!({"outcome": "failed", "reason": reason.to_string(), "reason_msg": reason.to_json(), "allocated_kg": 0}),
            )
        }
    };
    auction.outcome = Some(summary.to_string());
    store::market::update_auction(tx, auction).await?;
    // Deposits stay held until the lot is done: a loser may yet be offered a defaulter's volume.
    let winners: BTreeSet<String> = rows.iter().map(|a| a.org.clone()).collect();
    for org in bidders.difference(&winners) {
        out.notices.push(Notice {
            kind: "outbid",
            org: org.clone(),
            details: json!({"outcome": summary["outcome"], "clearing_price_fen": summary.get("clearing_price_fen")}),
        });
    }
    out.notices.extend(rows.iter().map(award_notice));
    let mut facts = summary;
    facts["seed"] = json!(book.auction.seed);
    facts["bids"] = json!(book.bids.len());
    facts["awards"] = json!(rows
        .iter()
        .map(|a| json!({"award": a.id, "bid": a.bid_id, "org": a.org, "amount_kg": a.amount_kg, "price_fen": a.price_fen}))
        .collect::<Vec<_>>());
    store::market::insert_awards(tx, rows).await?;
    out.facts = Some(facts);
    Ok(out)
}

/// One award is paid (market operator): the rights move from escrow to the winner and the
/// payment is recorded, once. A retried settlement of a settled award moves nothing.
async fn settle_award(
    tx: &impl ConnectionTrait,
    case: &CaseRow,
    data: &Value,
    payload: &Value,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<LedgerOutcome, AppError> {
    let award_id = payload
        .get("award")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| AppError::invalid("award", msg!("err-award-required")))?;
    let awards = store::market::awards(tx, case.id).await?;
    let award = awards
        .iter()
        .find(|a| a.id == award_id)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("award {award_id} on lot {}", case.id)))?;
    if award.status != "awarded" {
        return Err(AppError::AlreadySettled(msg!(
            "err-award-closed",
            status = &award.status
        )));
    }
    let (asset, _) = ledger::holding(data).map_err(AppError::Validation)?;
    let entry_id = Uuid::now_v7();
    if !store::market::close_award(tx, award_id, "awarded", "settled", Some(entry_id), now).await? {
        return Err(AppError::AlreadySettled(msg!(
            "err-award-settled-meanwhile"
        )));
    }
    let paid = ledger::notional_fen(award.amount_kg, award.price_fen)
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("price overflow")))?;
    let escrow = super::registry::escrow_account(tx, case.id, now).await?;
    let sale = super::registry::Sale {
        seller: &case.org,
        buyer: &award.org,
        asset: &asset,
        amount_kg: award.amount_kg,
        paid_fen: paid,
    };
    super::registry::transfer_from_escrow(tx, &escrow, sale, entry_id, actor, now).await?;
    let still_awarded: Vec<&AwardRow> = awards
        .iter()
        .filter(|a| a.status == "awarded" && a.id != award_id)
        .collect();
    if !still_awarded.iter().any(|a| a.org == award.org) {
        store::market::settle_deposit(tx, case.id, &award.org, "refunded").await?;
    }
    Ok(LedgerOutcome {
        facts: Some(
            json!({"award": award_id, "org": award.org, "entry": entry_id, "amount_kg": award.amount_kg, "paid_fen": paid}),
        ),
        notices: vec![Notice {
            kind: "settled",
            org: award.org.clone(),
            details: json!({"award": award_id, "amount_kg": award.amount_kg, "paid_fen": paid}),
        }],
        follow_up: still_awarded.is_empty().then_some("complete"),
    })
}

/// The payment deadline passed: unpaid awards default (their deposits are forfeited) and their
/// volume goes to the next bidders in the ranking, each at its own price, with a new payment
/// period; with nobody left, the lot completes (or fails) and the rest returns to the seller.
async fn default_awards(
    tx: &impl ConnectionTrait,
    case: &CaseRow,
    data: &Value,
    now: DateTime<Utc>,
) -> Result<LedgerOutcome, AppError> {
    let book = book(tx, case, data).await?;
    let awards = store::market::awards(tx, case.id).await?;
    let mut out = LedgerOutcome::default();
    let mut volume = 0i64;
    let mut defaulted = Vec::new();
    for a in awards.iter().filter(|a| a.status == "awarded") {
        if store::market::close_award(tx, a.id, "awarded", "defaulted", None, now).await? {
            volume += a.amount_kg;
            store::market::settle_deposit(tx, case.id, &a.org, "forfeited").await?;
            defaulted.push(json!({"award": a.id, "org": a.org, "amount_kg": a.amount_kg}));
            out.notices.push(Notice {
                kind: "decision",
                org: a.org.clone(),
                details: json!({"award": a.id, "status": "defaulted", "deposit": "forfeited"}),
            });
        }
    }
    let bidder_of: BTreeMap<Uuid, &str> = book
        .bids
        .iter()
        .map(|b| (b.id, b.bidder.as_str()))
        .collect();
    let excluded: Vec<String> = awards
        .iter()
        .filter_map(|a| bidder_of.get(&a.bid_id).map(|b| b.to_string()))
        .collect();
    let round = book.auction.round + 1;
    let next = clearing::next_bidders(
        &book.lot,
        &book.ranked_input,
        &excluded,
        volume.max(0) as u64,
    );
    let rows = award_rows(&book, &next, round, now, case.id);
    let mut auction = book.auction.clone();
    if !rows.is_empty() {
        auction.round = round;
        store::market::update_auction(tx, auction).await?;
    }
    let any_settled = awards.iter().any(|a| a.status == "settled");
    if rows.is_empty() {
        out.follow_up = Some(if any_settled { "complete" } else { "fail" });
    }
    out.notices.extend(rows.iter().map(award_notice));
    out.facts = Some(json!({
        "defaulted": defaulted,
        "reawarded": rows.iter().map(|a| json!({"award": a.id, "bid": a.bid_id, "org": a.org, "amount_kg": a.amount_kg, "price_fen": a.price_fen})).collect::<Vec<_>>(),
        "round": round,
        "volume_kg": volume,
    }));
    store::market::insert_awards(tx, rows).await?;
    Ok(out)
}

/// The holders of unpaid awards on an auction lot (told when the payment deadline nears).
pub(crate) async fn unpaid_awardees(
    db: &impl ConnectionTrait,
    lot: Uuid,
) -> Result<Vec<String>, AppError> {
    let orgs: BTreeSet<String> = store::market::awards(db, lot)
        .await?
        .into_iter()
        .filter(|a| a.status == "awarded")
        .map(|a| a.org)
        .collect();
    Ok(orgs.into_iter().collect())
}

// ------------------------------------------------------------------ the market board

#[derive(Debug, Clone, Serialize)]
pub struct LotView {
    pub id: Uuid,
    pub workflow: String,
    pub state: String,
    pub seller: String,
    pub data: Value,
    /// When the window closes (listings and auctions that are open).
    pub window_closes_at: Option<DateTime<Utc>>,
}

/// Lots on the market, public to every signed-in user: fixed-price listings and auctions, in
/// `state` (default `open`), oldest first.
pub async fn lots(
    app: &App,
    workflow: Option<String>,
    state: Option<String>,
) -> Result<Vec<LotView>, AppError> {
    let kinds: Vec<String> = match workflow {
        Some(w) if w == "listing" || w == AUCTION => vec![w],
        Some(w) => {
            return Err(AppError::invalid(
                "workflow",
                msg!("err-lot-workflow", workflow = w),
            ))
        }
        None => vec!["listing".into(), AUCTION.into()],
    };
    let mut out = Vec::new();
    for w in kinds {
        let filter = store::cases::Filter {
            workflow: Some(w),
            state: Some(state.clone().unwrap_or_else(|| "open".into())),
            orgs: None,
            org: None,
            text: None,
            submitted_from: None,
            submitted_to: None,
        };
        let (rows, _) = store::cases::list(&app.db, &filter, 1, 500).await?;
        for row in rows {
            let clocks = super::clocks::CaseClocks::load(&app.db, row.id).await?;
            let window = clocks
                .row("window")
                .filter(|c| ClockStatus::Running.is(&c.status))
                .and_then(|c| c.due_at);
            out.push(LotView {
                id: row.id,
                workflow: row.workflow_key,
                state: row.state,
                seller: row.org,
                data: row.data,
                window_closes_at: window,
            });
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ statistics

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct StatsRow {
    pub period: String,
    pub pollutant: String,
    /// primary (allocation from the reserve) or secondary (trades between enterprises).
    pub market: String,
    pub volume_kg: i64,
    pub value_fen: i64,
    pub trades: i64,
    /// Enterprises that bought or sold in this period, pollutant and market.
    pub enterprises: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MarketStats {
    pub period: String,
    pub rows: Vec<StatsRow>,
    /// Enterprises that took part at all (bought or sold).
    pub enterprises: i64,
    pub volume_kg: i64,
    pub value_fen: i64,
}

/// The label of the period `at` falls in (Beijing time): `2026-11`, `2026-Q4` or `2026`.
pub fn period_of(at: DateTime<Utc>, period: &str) -> String {
    use chrono::Datelike;
    let d = crate::domain::calendar::local_date(at);
    match period {
        "year" => format!("{}", d.year()),
        "quarter" => format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1),
        _ => format!("{}-{:02}", d.year(), d.month()),
    }
}

/// Volume and value per pollutant per period, and the enterprises taking part, from the
/// ledger: allocations from the reserve (primary) and trades settled between enterprises
/// (listings, negotiated transfers, auctions: secondary). Public to every signed-in user.
pub async fn stats(app: &App, period: Option<String>) -> Result<MarketStats, AppError> {
    let period = period.unwrap_or_else(|| "month".into());
    if !["month", "quarter", "year"].contains(&period.as_str()) {
        return Err(AppError::invalid("period", msg!("err-period")));
    }
    let credits = store::registry::credits_of_kinds(&app.db, &["allocate", "transfer"]).await?;
    let mut paid: BTreeMap<Uuid, (i64, String, String)> = BTreeMap::new();
    for p in store::registry::all_payments(&app.db).await? {
        let e = paid
            .entry(p.entry_id)
            .or_insert((0, p.payer_org.clone(), p.payee.clone()));
        e.0 += p.amount_fen;
    }
    type Key = (String, String, String);
    let mut acc: BTreeMap<Key, (i64, i64, i64, BTreeSet<String>)> = BTreeMap::new();
    let mut everyone: BTreeSet<String> = BTreeSet::new();
    for c in credits {
        let market = if c.kind == "allocate" {
            "primary"
        } else {
            "secondary"
        };
        let key = (
            period_of(c.at, &period),
            c.pollutant.clone(),
            market.to_string(),
        );
        let e = acc.entry(key).or_default();
        e.0 += c.amount_kg;
        e.2 += 1;
        if let Some((fen, payer, payee)) = paid.get(&c.entry_id) {
            e.1 += fen;
            for org in [payer, payee] {
                if org != super::registry::RESERVE {
                    e.3.insert(org.clone());
                    everyone.insert(org.clone());
                }
            }
        }
    }
    let rows: Vec<StatsRow> = acc
        .into_iter()
        .map(
            |((period, pollutant, market), (volume, value, trades, orgs))| StatsRow {
                period,
                pollutant,
                market,
                volume_kg: volume,
                value_fen: value,
                trades,
                enterprises: orgs.len() as i64,
            },
        )
        .collect();
    Ok(MarketStats {
        volume_kg: rows.iter().map(|r| r.volume_kg).sum(),
        value_fen: rows.iter().map(|r| r.value_fen).sum(),
        enterprises: everyone.len() as i64,
        period,
        rows,
    })
}

// ------------------------------------------------------------------ public results

/// A closed lot as the public sees it: the terms and the outcome, never who bid or won.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PublicResult {
    pub lot: Uuid,
    /// `auction` or `listing`.
    pub kind: String,
    pub pollutant: String,
    pub basin: String,
    pub valid_to: chrono::NaiveDate,
    pub offered_kg: i64,
    /// The clearing price of an auction, the fixed price of a listing.
    pub price_fen: Option<i64>,
    /// Auctions: `uniform` or `pay_as_bid`.
    pub clearing: Option<String>,
    pub sold_kg: i64,
    /// Auctions: organisations (or groups of related accounts) with a bid standing at the close.
    /// Listings: organisations that took a part.
    pub bidders: i64,
    pub winners: i64,
    /// `cleared`, `failed` (an auction nobody or not enough bid on) or `closed` (a listing).
    pub outcome: String,
    pub closed_at: DateTime<Utc>,
}

/// The newest `limit` closed auctions and listings, newest first, without sign-in.
pub async fn public_results(app: &App, limit: usize) -> Result<Vec<PublicResult>, AppError> {
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let mut out = Vec::new();
    let auctions = store::cases::in_states(
        &app.db,
        &set(&[AUCTION]),
        &set(&["awarded", "registered", "unsold"]),
        None,
    )
    .await?;
    for row in auctions {
        let Some(a) = store::market::auction(&app.db, row.id).await? else {
            continue;
        };
        let (Some(closed_at), Ok(lot)) = (a.closed_at, AuctionTerms::parse(&row.data)) else {
            continue;
        };
        let outcome: Value = a
            .outcome
            .as_deref()
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or(Value::Null);
        let bids = store::market::bids(&app.db, row.id, None).await?;
        let awards = store::market::awards(&app.db, row.id).await?;
        let bidders: BTreeSet<&str> = bids
            .iter()
            .filter(|b| b.status != "withdrawn")
            .map(|b| b.bidder.as_str())
            .collect();
        // Winners who did not pay are not counted: their volume passed on or went back.
        let winners: BTreeSet<&str> = awards
            .iter()
            .filter(|w| w.status != "defaulted")
            .map(|w| w.org.as_str())
            .collect();
        out.push(PublicResult {
            lot: row.id,
            kind: AUCTION.into(),
            pollutant: lot.asset.pollutant.as_str().to_string(),
            basin: lot.asset.basin.clone(),
            valid_to: lot.asset.valid_to,
            offered_kg: lot.amount_kg,
            price_fen: a.clearing_price_fen,
            clearing: serde_json::to_value(lot.clearing)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string)),
            sold_kg: awards
                .iter()
                .filter(|w| w.status != "defaulted")
                .map(|w| w.amount_kg)
                .sum(),
            bidders: bidders.len() as i64,
            winners: winners.len() as i64,
            outcome: outcome
                .get("outcome")
                .and_then(Value::as_str)
                .unwrap_or("failed")
                .to_string(),
            closed_at,
        });
    }
    let listings =
        store::cases::in_states(&app.db, &set(&["listing"]), &set(&["closed"]), None).await?;
    for row in listings {
        let Ok(lot) = ledger::LotData::parse(&row.data) else {
            continue;
        };
        let entries = store::audit::of_case(&app.db, row.id).await?;
        let mut buyers: BTreeSet<String> = BTreeSet::new();
        let mut sold = 0i64;
        for e in entries.iter().filter(|e| e.action == "take") {
            let p: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
            sold += p.get("amount_kg").and_then(Value::as_i64).unwrap_or(0);
            buyers.insert(e.actor_org.clone());
        }
        out.push(PublicResult {
            lot: row.id,
            kind: "listing".into(),
            pollutant: lot.asset.pollutant.as_str().to_string(),
            basin: lot.asset.basin.clone(),
            valid_to: lot.asset.valid_to,
            offered_kg: lot.amount_kg,
            price_fen: Some(lot.price_fen),
            clearing: None,
            sold_kg: sold,
            bidders: buyers.len() as i64,
            winners: buyers.len() as i64,
            outcome: "closed".into(),
            closed_at: entries.last().map_or(row.updated_at, |e| e.at),
        });
    }
    out.sort_by(|a, b| b.closed_at.cmp(&a.closed_at).then(a.lot.cmp(&b.lot)));
    out.truncate(limit);
    Ok(out)
}

// ------------------------------------------------------------------ for the trader's pages

/// The hash of a bid's content as its audit entry records it while bids are sealed: the
/// bidder's receipt.
pub fn receipt(b: &BidView) -> String {
    sealed(b.id, b.amount_kg, b.price_fen, b.placed_at)
}

/// Whether the caller may bid on an auction lot: `None`, or why not and the reason's words
/// (no valid permit, another basin, not a trader's role, related to the seller, no deposit
/// recorded).
pub async fn eligibility(
    app: &App,
    actor: &Actor,
    lot_id: Uuid,
) -> Result<Option<(Refusal, Msg)>, AppError> {
    let lot = auction_lot(app, lot_id).await?;
    match check_bidder(app, actor, &lot).await {
        Ok(_) => Ok(None),
        Err(AppError::Refused(why, reason)) => Ok(Some((why, reason))),
        Err(AppError::Forbidden(what)) => Ok(Some((
            Refusal::NotEligible,
            msg!("err-bid-role", role = what),
        ))),
        Err(e) => Err(e),
    }
}

/// The terms of an auction lot, as bidders read them.
pub async fn auction_terms(app: &App, lot_id: Uuid) -> Result<AuctionTerms, AppError> {
    Ok(auction_lot(app, lot_id).await?.terms)
}

/// A lot as its page shows it: the case's row, and when its window and its payment period end.
#[derive(Debug, Clone)]
pub struct LotDetail {
    pub row: CaseRow,
    pub window_closes_at: Option<DateTime<Utc>>,
    pub payment_due_at: Option<DateTime<Utc>>,
}

/// A listing or an auction lot. Before it opens it is shown only to the seller's people and the
/// market's (others get 404); once open, to everyone signed in.
pub async fn lot_detail(app: &App, actor: &Actor, lot_id: Uuid) -> Result<LotDetail, AppError> {
    let row = store::cases::find(&app.db, lot_id)
        .await?
        .filter(|r| r.workflow_key == "listing" || r.workflow_key == AUCTION)
        .ok_or_else(|| AppError::NotFound(format!("lot {lot_id}")))?;
    let unopened = matches!(
        row.state.as_str(),
        "draft" | "second_approval" | "review" | "rejected" | "withdrawn"
    );
    if unopened && row.org != actor.org && !sees_all(actor) {
        return Err(AppError::NotFound(format!("lot {lot_id}")));
    }
    let clocks = super::clocks::CaseClocks::load(&app.db, lot_id).await?;
    let due = |name: &str| {
        clocks
            .row(name)
            .filter(|c| ClockStatus::Running.is(&c.status))
            .and_then(|c| c.due_at)
    };
    Ok(LotDetail {
        window_closes_at: due("window"),
        payment_due_at: due("payment"),
        row,
    })
}

/// The replay of a cleared auction: the allocation recomputed from the recorded seed and the
/// bids standing at the close, against the awards recorded at clearing.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    pub matches: bool,
    /// (bid, organisation, kg, fen per kg) as recomputed.
    pub recomputed: Vec<(Uuid, String, i64, i64)>,
}

/// Recomputes a closed auction's first-round allocation (market operator, auditors, admins).
pub async fn replay(app: &App, actor: &Actor, lot_id: Uuid) -> Result<Replay, AppError> {
    if !sees_all(actor) {
        return Err(AppError::Forbidden(
            "the market operator, an auditor or an admin".into(),
        ));
    }
    let lot = auction_lot(app, lot_id).await?;
    if store::market::auction(&app.db, lot_id)
        .await?
        .is_none_or(|a| a.closed_at.is_none())
    {
        return Err(AppError::Transition(TransitionError::NotYet {
            action: "replay".into(),
            reason: msg!("err-not-cleared"),
        }));
    }
    let b = book(&app.db, &lot.row, &lot.row.data).await?;
    let awards = match clearing::clear(&b.lot, &b.ranked_input) {
        Outcome::Cleared { awards, .. } => awards,
        Outcome::Failed { .. } => Vec::new(),
    };
    let recomputed: Vec<(Uuid, String, i64, i64)> = awards
        .iter()
        .filter_map(|a| {
            let bid = b
                .bids
                .get(usize::try_from(a.bid_id).ok()?.checked_sub(1)?)?;
            Some((
                bid.id,
                bid.org.clone(),
                a.amount_kg as i64,
                a.price_fen as i64,
            ))
        })
        .collect();
    let mut recorded: Vec<(Uuid, String, i64, i64)> = store::market::awards(&app.db, lot_id)
        .await?
        .into_iter()
        .filter(|a| a.round == 1)
        .map(|a| (a.bid_id, a.org, a.amount_kg, a.price_fen))
        .collect();
    let mut mine = recomputed.clone();
    mine.sort();
    recorded.sort();
    Ok(Replay {
        matches: mine == recorded,
        recomputed,
    })
}

/// A lot or transfer waiting for the operator's check, or a transfer for its payment.
#[derive(Debug, Clone)]
pub struct DeskLot {
    pub id: Uuid,
    pub version: i64,
    pub workflow: String,
    pub seller: String,
    pub data: Value,
}

impl From<&CaseRow> for DeskLot {
    fn from(r: &CaseRow) -> Self {
        DeskLot {
            id: r.id,
            version: r.version,
            workflow: r.workflow_key.clone(),
            seller: r.org.clone(),
            data: r.data.clone(),
        }
    }
}

/// An open auction and the deposits recorded on it.
#[derive(Debug, Clone)]
pub struct DeskAuction {
    pub id: Uuid,
    pub data: Value,
    pub terms: AuctionTerms,
    pub closes_at: Option<DateTime<Utc>>,
    pub deposits: Vec<Deposit>,
}

/// An award, with its lot's version (to act on it) and when its payment is due.
#[derive(Debug, Clone)]
pub struct DeskAward {
    pub lot: Uuid,
    pub lot_version: i64,
    pub award: AwardView,
    pub due_at: Option<DateTime<Utc>>,
}

/// What waits for the market operator.
#[derive(Debug, Clone, Default)]
pub struct Desk {
    pub to_check: Vec<DeskLot>,
    pub open_auctions: Vec<DeskAuction>,
    /// Awards waiting for payment.
    pub to_confirm: Vec<DeskAward>,
    /// Awards whose winner did not pay (the volume passed on).
    pub defaults: Vec<DeskAward>,
    /// Negotiated transfers approved and waiting for the buyer's payment.
    pub transfers_to_confirm: Vec<DeskLot>,
}

/// The operator's desk (market operator, auditors, admins).
pub async fn desk(app: &App, actor: &Actor) -> Result<Desk, AppError> {
    if !sees_all(actor) {
        return Err(AppError::Forbidden(
            "the market operator, an auditor or an admin".into(),
        ));
    }
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let mut desk = Desk::default();
    for r in store::cases::in_states(
        &app.db,
        &set(&["listing", AUCTION, "negotiated_transfer"]),
        &set(&["review"]),
        None,
    )
    .await?
    {
        desk.to_check.push(DeskLot::from(&r));
    }
    for r in store::cases::in_states(
        &app.db,
        &set(&["negotiated_transfer"]),
        &set(&["awaiting_payment"]),
        None,
    )
    .await?
    {
        desk.transfers_to_confirm.push(DeskLot::from(&r));
    }
    for r in
        store::cases::in_states(&app.db, &set(&[AUCTION]), &set(&["open", "awarded"]), None).await?
    {
        let clocks = super::clocks::CaseClocks::load(&app.db, r.id).await?;
        let due = |name: &str| {
            clocks
                .row(name)
                .filter(|c| ClockStatus::Running.is(&c.status))
                .and_then(|c| c.due_at)
        };
        if r.state == "open" {
            let terms = AuctionTerms::parse(&r.data).map_err(AppError::Validation)?;
            let deposits = store::market::deposits(&app.db, r.id)
                .await?
                .into_iter()
                .map(Deposit::from)
                .collect();
            desk.open_auctions.push(DeskAuction {
                id: r.id,
                data: r.data.clone(),
                terms,
                closes_at: due("window"),
                deposits,
            });
            continue;
        }
        for a in store::market::awards(&app.db, r.id).await? {
            let waiting = a.status == "awarded";
            let entry = DeskAward {
                lot: r.id,
                lot_version: r.version,
                due_at: due("payment").filter(|_| waiting),
                award: AwardView::from(a),
            };
            match entry.award.status.as_str() {
                "awarded" => desk.to_confirm.push(entry),
                "defaulted" => desk.defaults.push(entry),
                _ => {}
            }
        }
    }
    Ok(desk)
}

/// The changes to an enterprise's market record, oldest first: (when, who, what was recorded).
pub async fn participant_history(
    app: &App,
    actor: &Actor,
) -> Result<BTreeMap<String, Vec<(DateTime<Utc>, String, Value)>>, AppError> {
    if !sees_all(actor) {
        return Ok(BTreeMap::new());
    }
    let mut out: BTreeMap<String, Vec<(DateTime<Utc>, String, Value)>> = BTreeMap::new();
    for e in store::audit::of_case(&app.db, super::audit::INSTALLATION_STREAM).await? {
        if e.action != "market.participant" {
            continue;
        }
        let v: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
        if let Some(org) = v.get("org").and_then(Value::as_str) {
            out.entry(org.to_string())
                .or_default()
                .push((e.at, e.actor.clone(), v));
        }
    }
    Ok(out)
}
