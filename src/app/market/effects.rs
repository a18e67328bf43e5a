//! The registry movements of the `auction` workflow's actions (escrow, clearing, settlement,
//! default), run inside the transition's transaction.

use super::*;

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
            crate::app::registry::lot_movement(tx, case.id, &case.org, data, op, actor, now)
                .await?;
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
pub(super) async fn open_auction(
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

pub(super) struct Book {
    pub(super) auction: AuctionRow,
    pub(super) bids: Vec<BidRow>,
    pub(super) lot: clearing::Lot,
    /// The open bids as clearing sees them; `id` is the index into `bids` plus one.
    pub(super) ranked_input: Vec<clearing::Bid>,
}

pub(super) async fn book(
    tx: &impl ConnectionTrait,
    case: &CaseRow,
    data: &Value,
) -> Result<Book, AppError> {
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

pub(super) fn award_rows(
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

pub(super) fn award_notice(a: &AwardRow) -> Notice {
    Notice {
        kind: "award",
        org: a.org.clone(),
        details: json!({"award": a.id, "amount_kg": a.amount_kg, "price_fen": a.price_fen, "value_fen": a.amount_kg.saturating_mul(a.price_fen)}),
    }
}

/// The window closed: clear the open bids by the lot's rule with the recorded seed; award, or
/// fail (everything returns to the seller).
pub(super) async fn clear(
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
pub(super) async fn settle_award(
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
    let escrow = crate::app::registry::escrow_account(tx, case.id, now).await?;
    let sale = crate::app::registry::Sale {
        seller: &case.org,
        buyer: &award.org,
        asset: &asset,
        amount_kg: award.amount_kg,
        paid_fen: paid,
    };
    crate::app::registry::transfer_from_escrow(tx, &escrow, sale, entry_id, actor, now).await?;
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
pub(super) async fn default_awards(
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
