//! Sealed bids: placing, changing and withdrawing them while the window is open, and who may bid.

use super::*;

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
pub(super) fn sealed(id: Uuid, amount_kg: i64, price_fen: i64, at: DateTime<Utc>) -> String {
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
pub(super) async fn check_bidder(
    app: &App,
    actor: &Actor,
    lot: &AuctionLot,
) -> Result<String, AppError> {
    crate::app::require(actor, Role::Applicant)?;
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
        .any(|d| d.org == actor.org && DepositStatus::Held.is(&d.status));
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
pub(super) async fn check_buyer(
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

pub(super) fn parse_bid(lot: &AuctionLot, input: &Value) -> Result<(i64, i64), AppError> {
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
pub(super) async fn check_share(
    tx: &impl ConnectionTrait,
    lot: &AuctionLot,
    bidder: &str,
    amount: i64,
    replacing: Option<Uuid>,
) -> Result<(), AppError> {
    let others: i64 = store::market::bids(tx, lot.row.id, None)
        .await?
        .iter()
        .filter(|b| BidStatus::Open.is(&b.status) && b.bidder == bidder && Some(b.id) != replacing)
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
        status: BidStatus::Open.as_str().into(),
        placed_by: actor.subject.clone(),
        placed_at: now,
        updated_at: now,
    };
    store::market::insert_bid(&tx, row.clone()).await?;
    crate::app::audit::append_event(
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

pub(super) async fn own_open_bid(
    app: &App,
    actor: &Actor,
    lot_id: Uuid,
    bid_id: Uuid,
) -> Result<BidRow, AppError> {
    let bid = store::market::bid(&app.db, bid_id)
        .await?
        .filter(|b| b.lot_id == lot_id && b.org == actor.org)
        .ok_or_else(|| AppError::NotFound(format!("bid {bid_id}")))?;
    if !BidStatus::Open.is(&bid.status) {
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
        BidStatus::Open
    } else {
        BidStatus::Withdrawn
    }
    .as_str();
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
    crate::app::audit::append_event(&tx, &locked, actor, action, payload, now).await?;
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
