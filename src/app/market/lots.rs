//! Lots: an auction lot and its terms as the case data holds them.

use super::*;

/// An auction lot, checked: its case row and terms.
pub(super) struct AuctionLot {
    pub(super) row: CaseRow,
    pub(super) terms: AuctionTerms,
}

pub(super) async fn auction_lot(app: &App, lot_id: Uuid) -> Result<AuctionLot, AppError> {
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
    let clocks = crate::app::clocks::CaseClocks::load(&app.db, row.id).await?;
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
    crate::app::require(actor, Role::Applicant)?;
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
    let sale = crate::app::registry::Sale {
        seller: &row.org,
        buyer: &actor.org,
        asset: &lot.asset,
        amount_kg: amount,
        paid_fen: paid,
    };
    let posting = crate::app::registry::Posting::sale(entry_id, lot_id, sale);
    crate::app::registry::apply_posting(&tx, &posting, actor, now).await?;
    let left: i64 = crate::app::registry::escrow_balances(&tx, lot_id)
        .await?
        .iter()
        .map(|b| b.amount_kg)
        .sum();
    crate::app::audit::append_event(
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
