//! What the trader's pages need: receipts, eligibility, terms, a lot as its page shows it.

use super::*;

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
    let clocks = crate::app::clocks::CaseClocks::load(&app.db, lot_id).await?;
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
    let loaded = effects::load_book(&app.db, lot_id).await?;
    let b = effects::book(&lot.row, &lot.row.data, &loaded)?;
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
        let clocks = crate::app::clocks::CaseClocks::load(&app.db, r.id).await?;
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
            let waiting = AwardStatus::Awarded.is(&a.status);
            let entry = DeskAward {
                lot: r.id,
                lot_version: r.version,
                due_at: due("payment").filter(|_| waiting),
                award: AwardView::from(a),
            };
            match AwardStatus::parse(&entry.award.status) {
                Some(AwardStatus::Awarded) => desk.to_confirm.push(entry),
                Some(AwardStatus::Defaulted) => desk.defaults.push(entry),
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
    for e in store::audit::of_case(&app.db, crate::app::audit::INSTALLATION_STREAM).await? {
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
