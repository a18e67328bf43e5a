//! The pollution-rights registry: accounts per organisation, the government reserve, and a
//! double-entry ledger. Rights enter the reserve by issuance from the issuing authority (whose
//! balance is the negative of all rights ever issued), and reach enterprises by allocation at a
//! fixed price. No other balance goes below zero; every entry's postings sum to zero.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::audit::append_installation;
use super::idempotency::{finish, Idempotency};
use super::{App, AppError};
use crate::domain::audit::to_micros;
use crate::domain::directory::OrgKind;
use crate::domain::ledger::{self, Asset};
use crate::domain::{FieldErrors, Role};
use crate::engine::Actor;
use crate::msg;
use crate::store;
use crate::store::registry::{AccountRow, BalanceRow, PaymentRow, PostingRow};

pub const RESERVE: &str = "reserve";
pub const AUTHORITY: &str = "authority";
pub const ENTERPRISE: &str = "enterprise";

/// The market operator, auditors and admins see every account, bid and deposit.
pub(crate) fn sees_all(actor: &Actor) -> bool {
    [Role::MarketOperator, Role::Auditor, Role::Admin]
        .iter()
        .any(|r| actor.roles.contains(*r))
}

#[derive(Debug, Clone, Serialize)]
pub struct Holding {
    pub pollutant: String,
    pub basin: String,
    pub valid_to: String,
    pub amount_kg: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub id: Uuid,
    pub org: Option<String>,
    pub kind: String,
    pub label: String,
    pub holdings: Vec<Holding>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct EntryView {
    pub entry_id: Uuid,
    pub kind: String,
    pub from_account: Uuid,
    pub to_account: Uuid,
    pub pollutant: String,
    pub basin: String,
    pub valid_to: String,
    pub amount_kg: i64,
    pub payment_fen: Option<i64>,
    pub at: DateTime<Utc>,
}

struct Movement {
    asset: Asset,
    amount_kg: i64,
}

fn parse_movement(input: &Value, errors: &mut FieldErrors) -> Option<Movement> {
    let Some(map) = input.as_object() else {
        errors.add("body", msg!("err-not-an-object"));
        return None;
    };
    let asset = ledger::asset(map, errors);
    let amount = ledger::whole_positive(map.get("amount_kg"), "amount_kg", errors);
    Some(Movement {
        asset: asset?,
        amount_kg: amount?,
    })
}

fn key(account: &AccountRow, asset: &Asset) -> BalanceRow {
    BalanceRow {
        account_id: account.id,
        pollutant: asset.pollutant.as_str().to_string(),
        basin: asset.basin.clone(),
        valid_to: asset.valid_to.to_string(),
        amount_kg: 0,
    }
}

/// Moves rights between two accounts inside the caller's transaction; refuses (with nothing
/// changed by it) when the source does not hold them.
#[allow(clippy::too_many_arguments)]
async fn post(
    tx: &impl ConnectionTrait,
    entry_id: Uuid,
    kind: &str,
    from: &AccountRow,
    to: &AccountRow,
    m: &Movement,
    actor: &Actor,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let allow_negative = from.kind == AUTHORITY;
    if !store::registry::debit(tx, &key(from, &m.asset), m.amount_kg, allow_negative).await? {
        return Err(AppError::Insufficient(msg!(
            "err-insufficient",
            holder = &from.label,
            amount = m.amount_kg,
            pollutant = &m.asset.pollutant,
            valid_to = m.asset.valid_to
        )));
    }
    store::registry::credit(tx, &key(to, &m.asset), m.amount_kg).await?;
    let rows = ledger::movement(from.id, to.id, &m.asset, m.amount_kg)
        .into_iter()
        .map(|p| PostingRow {
            id: Uuid::now_v7(),
            entry_id,
            account_id: p.account,
            pollutant: p.asset.pollutant.as_str().to_string(),
            basin: p.asset.basin.clone(),
            valid_to: p.asset.valid_to.to_string(),
            amount_kg: p.amount_kg,
            kind: kind.to_string(),
            actor: actor.subject.clone(),
            at,
        })
        .collect();
    store::registry::insert_postings(tx, rows).await?;
    Ok(())
}

/// Creates rights in the government reserve (market operator).
pub async fn issue(
    app: &App,
    actor: &Actor,
    input: Value,
    idem: Option<&Idempotency>,
) -> Result<EntryView, AppError> {
    super::require(actor, Role::MarketOperator)?;
    let mut errors = FieldErrors::default();
    errors.known_fields(&input, &["pollutant", "basin", "valid_to", "amount_kg"]);
    let m = parse_movement(&input, &mut errors);
    errors.into_result().map_err(AppError::Validation)?;
    let Some(m) = m else {
        return Err(AppError::Unexpected(anyhow::anyhow!(
            "validated movement missing"
        )));
    };
    let now = to_micros(app.clock.now());
    let entry_id = Uuid::now_v7();
    let tx = app.db.begin().await?;
    store::lock_for_write(&tx).await?;
    let authority =
        store::registry::account(&tx, AUTHORITY, None, "Issuing authority", now).await?;
    let reserve = store::registry::account(&tx, RESERVE, None, "Government reserve", now).await?;
    post(&tx, entry_id, "issue", &authority, &reserve, &m, actor, now).await?;
    append_installation(
        &tx,
        actor,
        "registry.issue",
        json!({"entry": entry_id, "pollutant": m.asset.pollutant, "basin": m.asset.basin, "valid_to": m.asset.valid_to, "amount_kg": m.amount_kg}),
        now,
    )
    .await?;
    let view = entry_view(entry_id, "issue", &authority, &reserve, &m, None, now);
    finish(app, tx, actor, idem, view, now).await
}

fn entry_view(
    entry_id: Uuid,
    kind: &str,
    from: &AccountRow,
    to: &AccountRow,
    m: &Movement,
    payment: Option<i64>,
    at: DateTime<Utc>,
) -> EntryView {
    EntryView {
        entry_id,
        kind: kind.to_string(),
        from_account: from.id,
        to_account: to.id,
        pollutant: m.asset.pollutant.as_str().to_string(),
        basin: m.asset.basin.clone(),
        valid_to: m.asset.valid_to.to_string(),
        amount_kg: m.amount_kg,
        payment_fen: payment,
        at,
    }
}

/// Allocates rights from the reserve to an enterprise at a fixed price (market operator): the
/// fee (amount x price) is recorded with the entry.
pub async fn allocate(
    app: &App,
    actor: &Actor,
    input: Value,
    idem: Option<&Idempotency>,
) -> Result<EntryView, AppError> {
    super::require(actor, Role::MarketOperator)?;
    let mut errors = FieldErrors::default();
    errors.known_fields(
        &input,
        &[
            "pollutant",
            "basin",
            "valid_to",
            "amount_kg",
            "org",
            "price_fen",
        ],
    );
    let m = parse_movement(&input, &mut errors);
    let price = ledger::whole_positive(input.get("price_fen"), "price_fen", &mut errors);
    let org = input.get("org").and_then(Value::as_str).map(str::to_string);
    match &org {
        None => errors.add("org", msg!("err-enterprise-code-required")),
        Some(o) => match store::directory::find_org(&app.db, o).await? {
            Some(row) if OrgKind::Enterprise.is(&row.kind) => {}
            Some(_) => errors.add("org", msg!("err-not-an-enterprise", code = o)),
            None => errors.add("org", msg!("err-no-organisation", code = o)),
        },
    }
    let fee = match (&m, price) {
        (Some(m), Some(p)) => ledger::notional_fen(m.amount_kg, p).or_else(|| {
            errors.add("price_fen", msg!("err-amount-too-large"));
            None
        }),
        _ => None,
    };
    errors.into_result().map_err(AppError::Validation)?;
    let (Some(m), Some(org), Some(fee)) = (m, org, fee) else {
        return Err(AppError::Unexpected(anyhow::anyhow!(
            "validated allocation missing"
        )));
    };
    let now = to_micros(app.clock.now());
    let entry_id = Uuid::now_v7();
    let tx = app.db.begin().await?;
    store::lock_for_write(&tx).await?;
    let reserve = store::registry::account(&tx, RESERVE, None, "Government reserve", now).await?;
    let holder =
        store::registry::account(&tx, ENTERPRISE, Some(&org), &format!("{org} holdings"), now)
            .await?;
    post(&tx, entry_id, "allocate", &reserve, &holder, &m, actor, now).await?;
    store::registry::insert_payment(
        &tx,
        PaymentRow {
            id: Uuid::now_v7(),
            entry_id,
            payer_org: org.clone(),
            payee: RESERVE.into(),
            amount_fen: fee,
            at: now,
        },
    )
    .await?;
    append_installation(
        &tx,
        actor,
        "registry.allocate",
        json!({"entry": entry_id, "org": org, "pollutant": m.asset.pollutant, "basin": m.asset.basin, "valid_to": m.asset.valid_to, "amount_kg": m.amount_kg, "price_fen": price, "fee_fen": fee}),
        now,
    )
    .await?;
    let view = entry_view(entry_id, "allocate", &reserve, &holder, &m, Some(fee), now);
    finish(app, tx, actor, idem, view, now).await
}

/// An account's non-zero balances.
async fn holdings_of(app: &App, account: Uuid) -> Result<Vec<Holding>, AppError> {
    Ok(store::registry::balances(&app.db, account)
        .await?
        .into_iter()
        .filter(|b| b.amount_kg != 0)
        .map(|b| Holding {
            pollutant: b.pollutant,
            basin: b.basin,
            valid_to: b.valid_to,
            amount_kg: b.amount_kg,
        })
        .collect())
}

/// Accounts with their holdings: an enterprise sees its own; the market operator, auditors and
/// admins see all.
pub async fn accounts(app: &App, actor: &Actor) -> Result<Vec<AccountView>, AppError> {
    let org = (!sees_all(actor)).then_some(actor.org.as_str());
    let mut out = Vec::new();
    for a in store::registry::accounts(&app.db, org).await? {
        let holdings = holdings_of(app, a.id).await?;
        out.push(AccountView {
            id: a.id,
            org: a.org.filter(|o| !o.is_empty()),
            kind: a.kind,
            label: a.label,
            holdings,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerLine {
    pub entry_id: Uuid,
    pub kind: String,
    pub pollutant: String,
    pub basin: String,
    pub valid_to: String,
    pub amount_kg: i64,
    pub actor: String,
    pub at: DateTime<Utc>,
}

pub async fn ledger(
    app: &App,
    actor: &Actor,
    account_id: Uuid,
) -> Result<Vec<LedgerLine>, AppError> {
    let account = store::registry::find_account(&app.db, account_id).await?;
    let visible = account
        .as_ref()
        .is_some_and(|a| sees_all(actor) || a.org.as_deref() == Some(actor.org.as_str()));
    if !visible {
        return Err(AppError::NotFound(format!("account {account_id}")));
    }
    Ok(store::registry::postings_of(&app.db, account_id)
        .await?
        .into_iter()
        .map(|p| LedgerLine {
            entry_id: p.entry_id,
            kind: p.kind,
            pollutant: p.pollutant,
            basin: p.basin,
            valid_to: p.valid_to,
            amount_kg: p.amount_kg,
            actor: p.actor,
            at: p.at,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct Total {
    pub pollutant: String,
    pub basin: String,
    pub valid_to: String,
    /// Ever issued (the negative of the authority's balance).
    pub issued_kg: i64,
    /// Held in the reserve and by enterprises.
    pub held_kg: i64,
    pub balanced: bool,
}

/// Per asset: what was issued against what is held. They are equal, always.
pub async fn totals(app: &App, actor: &Actor) -> Result<Vec<Total>, AppError> {
    if !sees_all(actor) {
        return Err(AppError::Forbidden(
            "the market operator, an auditor or an admin".into(),
        ));
    }
    let kinds: BTreeMap<Uuid, String> = store::registry::accounts(&app.db, None)
        .await?
        .into_iter()
        .map(|a| (a.id, a.kind))
        .collect();
    let mut sums: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
    for b in store::registry::all_balances(&app.db).await? {
        let e = sums.entry((b.pollutant, b.basin, b.valid_to)).or_default();
        if kinds.get(&b.account_id).is_some_and(|k| k == AUTHORITY) {
            e.0 -= b.amount_kg;
        } else {
            e.1 += b.amount_kg;
        }
    }
    Ok(sums
        .into_iter()
        .map(
            |((pollutant, basin, valid_to), (issued_kg, held_kg))| Total {
                pollutant,
                basin,
                valid_to,
                issued_kg,
                held_kg,
                balanced: issued_kg == held_kg,
            },
        )
        .collect())
}

pub const ESCROW: &str = "escrow";

/// Checks a lot's parties: the buyer (if named) is an enterprise other than the seller.
pub async fn check_lot(
    db: &impl ConnectionTrait,
    seller: &str,
    data: &Value,
) -> Result<(), AppError> {
    let Ok(lot) = crate::domain::ledger::LotData::parse(data) else {
        return Ok(());
    };
    let mut errors = FieldErrors::default();
    if let Some(buyer) = &lot.buyer {
        if buyer == seller {
            errors.add("buyer", msg!("err-self-sale"));
        } else {
            match store::directory::find_org(db, buyer).await? {
                Some(o) if OrgKind::Enterprise.is(&o.kind) => {}
                _ => errors.add("buyer", msg!("err-not-an-enterprise", code = buyer)),
            }
        }
    }
    errors.into_result().map_err(AppError::Validation)
}

/// The escrow account of a lot, created on first use.
async fn escrow_account(
    tx: &impl ConnectionTrait,
    lot: Uuid,
    now: DateTime<Utc>,
) -> Result<AccountRow, AppError> {
    let key = lot.to_string();
    Ok(
        store::registry::account(tx, ESCROW, Some(&key), &format!("escrow of lot {lot}"), now)
            .await?,
    )
}

/// An enterprise's holdings account, created on first use.
async fn holdings_account(
    tx: &impl ConnectionTrait,
    org: &str,
    now: DateTime<Utc>,
) -> Result<AccountRow, AppError> {
    Ok(
        store::registry::account(tx, ENTERPRISE, Some(org), &format!("{org} holdings"), now)
            .await?,
    )
}

/// Who holds rights in a planned posting: an enterprise's holdings or a lot's escrow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Holder {
    Enterprise(String),
    Escrow(Uuid),
}

/// What a buyer pays a seller, recorded with the entry that moves the rights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Payment {
    pub payer: String,
    pub payee: String,
    pub amount_fen: i64,
}

/// A planned movement of rights between two holders: data, decided before anything is written
/// and written by [`apply_posting`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Posting {
    pub entry_id: Uuid,
    pub kind: &'static str,
    pub from: Holder,
    pub to: Holder,
    pub asset: Asset,
    pub amount_kg: i64,
    pub payment: Option<Payment>,
}

/// What moves from a lot's escrow to a buyer, and what the buyer pays the seller.
pub(crate) struct Sale<'a> {
    pub seller: &'a str,
    pub buyer: &'a str,
    pub asset: &'a Asset,
    pub amount_kg: i64,
    pub paid_fen: i64,
}

impl Posting {
    /// Part of a lot moving from its escrow to a buyer, with the payment to the seller: a
    /// negotiated transfer settled, a listing taken, an auction's award paid.
    pub(crate) fn sale(entry_id: Uuid, lot: Uuid, sale: Sale<'_>) -> Posting {
        Posting {
            entry_id,
            kind: "transfer",
            from: Holder::Escrow(lot),
            to: Holder::Enterprise(sale.buyer.to_string()),
            asset: sale.asset.clone(),
            amount_kg: sale.amount_kg,
            payment: Some(Payment {
                payer: sale.buyer.to_string(),
                payee: sale.seller.to_string(),
                amount_fen: sale.paid_fen,
            }),
        }
    }

    /// One line for a plan's description.
    pub(crate) fn describe(&self) -> String {
        let holder = |h: &Holder| match h {
            Holder::Enterprise(org) => format!("{org} holdings"),
            Holder::Escrow(_) => "escrow".to_string(),
        };
        let paid = self
            .payment
            .as_ref()
            .map(|p| format!(", {} pays {} {} fen", p.payer, p.payee, p.amount_fen))
            .unwrap_or_default();
        format!(
            "registry {} {} kg {} {} {}: {} -> {} (guarded: debit only what is held){paid}",
            self.kind,
            self.amount_kg,
            self.asset.pollutant,
            self.asset.basin,
            self.asset.valid_to,
            holder(&self.from),
            holder(&self.to),
        )
    }
}

/// The registry movement of a lot's action, planned (pure): into escrow from the seller, from
/// escrow to the buyer with the price recorded, or back to the seller whatever the escrow still
/// holds (`escrow` is its balances, read before planning). `None` when nothing moves.
pub(crate) fn lot_posting(
    lot: Uuid,
    seller: &str,
    data: &Value,
    op: crate::engine::LedgerOp,
    escrow: &[BalanceRow],
    entry_id: Uuid,
) -> Result<Option<Posting>, AppError> {
    use crate::engine::LedgerOp;
    let (asset, amount_kg) = ledger::holding(data).map_err(AppError::Validation)?;
    let seller_holdings = Holder::Enterprise(seller.to_string());
    match op {
        LedgerOp::Escrow => Ok(Some(Posting {
            entry_id,
            kind: "escrow",
            from: seller_holdings,
            to: Holder::Escrow(lot),
            asset,
            amount_kg,
            payment: None,
        })),
        LedgerOp::Release => {
            // Whatever the escrow still holds (a listing may be partly taken).
            let left: i64 = escrow
                .iter()
                .filter(|b| {
                    b.pollutant == asset.pollutant.as_str()
                        && b.basin == asset.basin
                        && b.valid_to == asset.valid_to.to_string()
                })
                .map(|b| b.amount_kg)
                .sum();
            Ok((left != 0).then_some(Posting {
                entry_id,
                kind: "release",
                from: Holder::Escrow(lot),
                to: seller_holdings,
                asset,
                amount_kg: left,
                payment: None,
            }))
        }
        LedgerOp::Settle => {
            let terms = ledger::LotData::parse(data).map_err(AppError::Validation)?;
            let buyer = terms.buyer.clone().ok_or_else(|| {
                AppError::Unexpected(anyhow::anyhow!("lot {lot} has no buyer to settle with"))
            })?;
            let paid_fen = ledger::notional_fen(terms.amount_kg, terms.price_fen)
                .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("price overflow")))?;
            let sale = Sale {
                seller,
                buyer: &buyer,
                asset: &asset,
                amount_kg,
                paid_fen,
            };
            Ok(Some(Posting::sale(entry_id, lot, sale)))
        }
        LedgerOp::Clear | LedgerOp::SettleAward | LedgerOp::Default => Err(AppError::Unexpected(
            anyhow::anyhow!("{op:?} is an auction's effect, not a plain movement"),
        )),
    }
}

/// The account of a holder, created on first use.
async fn account_of(
    tx: &impl ConnectionTrait,
    holder: &Holder,
    now: DateTime<Utc>,
) -> Result<AccountRow, AppError> {
    match holder {
        Holder::Enterprise(org) => holdings_account(tx, org, now).await,
        Holder::Escrow(lot) => escrow_account(tx, *lot, now).await,
    }
}

/// The balances of a lot's escrow (none before its first movement).
pub(crate) async fn escrow_balances(
    db: &impl ConnectionTrait,
    lot: Uuid,
) -> Result<Vec<BalanceRow>, AppError> {
    let mut out = Vec::new();
    for a in store::registry::accounts(db, Some(&lot.to_string())).await? {
        if a.kind == ESCROW {
            out.extend(store::registry::balances(db, a.id).await?);
        }
    }
    Ok(out)
}

/// Writes a planned posting inside the caller's transaction: the debit only from a balance that
/// holds it (a guarded statement whose row count refuses an overdraft, with nothing changed by
/// it), the credit, the two posting rows and the payment.
pub(crate) async fn apply_posting(
    tx: &impl ConnectionTrait,
    p: &Posting,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let from = account_of(tx, &p.from, now).await?;
    let to = account_of(tx, &p.to, now).await?;
    let m = Movement {
        asset: p.asset.clone(),
        amount_kg: p.amount_kg,
    };
    post(tx, p.entry_id, p.kind, &from, &to, &m, actor, now).await?;
    if let Some(pay) = &p.payment {
        store::registry::insert_payment(
            tx,
            PaymentRow {
                id: Uuid::now_v7(),
                entry_id: p.entry_id,
                payer_org: pay.payer.clone(),
                payee: pay.payee.clone(),
                amount_fen: pay.amount_fen,
                at: now,
            },
        )
        .await?;
    }
    Ok(())
}

/// A lot's rights in escrow, for the seller's holdings page.
#[derive(Debug, Clone, Serialize)]
pub struct Escrowed {
    pub lot: Uuid,
    pub workflow: String,
    pub state: String,
    pub holdings: Vec<Holding>,
}

/// The rights of the caller's organisation that sit in the escrow of its running lots (listings,
/// auctions, negotiated transfers not yet settled).
pub async fn escrowed(app: &App, actor: &Actor) -> Result<Vec<Escrowed>, AppError> {
    let lots = store::cases::in_states(
        &app.db,
        &["listing", "auction", "negotiated_transfer"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        &["open", "awarded", "awaiting_payment"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        Some(std::slice::from_ref(&actor.org)),
    )
    .await?;
    let mut out = Vec::new();
    for lot in lots {
        for a in store::registry::accounts(&app.db, Some(&lot.id.to_string())).await? {
            let holdings = holdings_of(app, a.id).await?;
            if !holdings.is_empty() {
                out.push(Escrowed {
                    lot: lot.id,
                    workflow: lot.workflow_key.clone(),
                    state: lot.state.clone(),
                    holdings,
                });
            }
        }
    }
    Ok(out)
}

/// What is left in a lot's escrow (a listing's amount still to take).
pub async fn left_in_escrow(app: &App, lot: Uuid) -> Result<i64, AppError> {
    Ok(escrow_balances(&app.db, lot)
        .await?
        .iter()
        .map(|b| b.amount_kg)
        .sum())
}
