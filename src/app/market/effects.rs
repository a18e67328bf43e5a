//! The registry movements and auction effects of the lot workflows' actions (escrow, release,
//! settlement, clearing, an award's payment, default), in three steps on the transition's road:
//! [`load`] reads what the effect looks at (the lot's auction, bids, awards, deposits and
//! escrow); [`plan`] decides everything it writes, as data, without touching the database (ids
//! and the tie-break seed are handed in, so that tests snapshot its plans); [`apply`] writes
//! the plan with guarded statements whose row counts are checked: a debit only from a balance
//! that holds it, an award closed only while it is still awarded.

use super::*;
use crate::app::registry::{self, Posting, Sale};
use crate::store::registry::BalanceRow;

/// A message to the applicants of another organisation, with its own details.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Notice {
    pub kind: &'static str,
    pub org: String,
    pub details: Value,
}

/// What a lot's effect looks at, read before it is planned. The lot's version guards it: a bid,
/// a deposit or an award changes only with the lot's row.
#[derive(Debug, Clone, Default)]
pub(crate) struct LotBook {
    pub auction: Option<AuctionRow>,
    pub bids: Vec<BidRow>,
    pub awards: Vec<AwardRow>,
    pub deposits: Vec<DepositRow>,
    pub escrow: Vec<BalanceRow>,
}

/// Fresh values a plan draws: entry and award ids, and an auction's tie-break seed. At random in
/// service; counted in tests, so that a plan's snapshot is stable.
pub(crate) struct Fresh {
    next: Box<dyn FnMut() -> Uuid + Send>,
    seed: u64,
}

impl Fresh {
    pub(crate) fn drawn() -> Fresh {
        Fresh {
            next: Box::new(Uuid::now_v7),
            seed: Uuid::new_v4().as_u64_pair().0,
        }
    }

    /// Ids 1, 2, 3... and the given seed.
    #[cfg(test)]
    pub(crate) fn counted(seed: u64) -> Fresh {
        let mut n = 0u128;
        Fresh {
            next: Box::new(move || {
                n += 1;
                Uuid::from_u128(n)
            }),
            seed,
        }
    }

    fn id(&mut self) -> Uuid {
        (self.next)()
    }
}

/// An award to close, from `awarded` only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct AwardClose {
    pub id: Uuid,
    pub to: AwardStatus,
    pub entry: Option<Uuid>,
}

/// Everything a lot's effect writes, and what it tells: facts for the transition's audit entry
/// (hashed with it), notices to other organisations, and an automatic action to fire next.
#[derive(Debug, Default)]
pub(crate) struct LedgerPlan {
    pub postings: Vec<Posting>,
    /// An auction opened (its seed drawn).
    pub open: Option<AuctionRow>,
    /// An auction's row as it becomes (closed, or a new round).
    pub auction: Option<AuctionRow>,
    pub awards: Vec<AwardRow>,
    pub closes: Vec<AwardClose>,
    /// Deposits still held that are returned or forfeited.
    pub deposits: Vec<(String, DepositStatus)>,
    pub facts: Option<Value>,
    pub notices: Vec<Notice>,
    pub follow_up: Option<&'static str>,
}

/// Reads what `op` looks at on the lot.
pub(crate) async fn load(
    db: &impl ConnectionTrait,
    case: &CaseRow,
    op: LedgerOp,
) -> Result<LotBook, AppError> {
    let auction = case.workflow_key == AUCTION;
    let mut book = LotBook::default();
    match op {
        LedgerOp::Escrow | LedgerOp::Settle => {}
        LedgerOp::Release => {
            book.escrow = registry::escrow_balances(db, case.id).await?;
            if auction {
                book.deposits = store::market::deposits(db, case.id).await?;
            }
        }
        LedgerOp::Clear => book = load_book(db, case.id).await?,
        LedgerOp::SettleAward => book.awards = store::market::awards(db, case.id).await?,
        LedgerOp::Default => {
            book = load_book(db, case.id).await?;
            book.awards = store::market::awards(db, case.id).await?;
        }
    }
    Ok(book)
}

/// The auction and its bids.
pub(super) async fn load_book(db: &impl ConnectionTrait, lot: Uuid) -> Result<LotBook, AppError> {
    Ok(LotBook {
        auction: store::market::auction(db, lot).await?,
        bids: store::market::bids(db, lot, None).await?,
        ..LotBook::default()
    })
}

/// Plans a lot's effect: pure.
pub(crate) fn plan(
    case: &CaseRow,
    data: &Value,
    op: LedgerOp,
    payload: &Value,
    book: &LotBook,
    fresh: &mut Fresh,
    now: DateTime<Utc>,
) -> Result<LedgerPlan, AppError> {
    match op {
        LedgerOp::Escrow | LedgerOp::Release | LedgerOp::Settle => {
            let entry = fresh.id();
            let mut out = LedgerPlan::default();
            out.postings.extend(registry::lot_posting(
                case.id,
                &case.org,
                data,
                op,
                &book.escrow,
                entry,
            )?);
            if case.workflow_key == AUCTION {
                match op {
                    LedgerOp::Escrow => open_auction(case, data, fresh.seed, now, &mut out)?,
                    // The lot is done: every deposit still held goes back.
                    LedgerOp::Release => out.deposits.extend(
                        book.deposits
                            .iter()
                            .filter(|d| DepositStatus::Held.is(&d.status))
                            .map(|d| (d.org.clone(), DepositStatus::Refunded)),
                    ),
                    _ => {}
                }
            }
            Ok(out)
        }
        LedgerOp::Clear => clear(case, data, book, fresh, now),
        LedgerOp::SettleAward => settle_award(case, data, payload, book, fresh),
        LedgerOp::Default => default_awards(case, data, book, fresh, now),
    }
}

/// Writes a lot's planned effect inside the transition's transaction. A guard that finds its
/// row moved on refuses the whole transition.
pub(crate) async fn apply(
    tx: &impl ConnectionTrait,
    lot: Uuid,
    plan: LedgerPlan,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for p in &plan.postings {
        registry::apply_posting(tx, p, actor, now).await?;
    }
    if let Some(a) = plan.open {
        store::market::insert_auction(tx, a).await?;
    }
    if let Some(a) = plan.auction {
        store::market::update_auction(tx, a).await?;
    }
    for c in &plan.closes {
        let (from, to) = (AwardStatus::Awarded.as_str(), c.to.as_str());
        if !store::market::close_award(tx, c.id, from, to, c.entry, now).await? {
            return Err(AppError::AlreadySettled(msg!(
                "err-award-settled-meanwhile"
            )));
        }
    }
    for (org, status) in &plan.deposits {
        store::market::settle_deposit(tx, lot, org, status.as_str()).await?;
    }
    if !plan.awards.is_empty() {
        store::market::insert_awards(tx, plan.awards).await?;
    }
    Ok(())
}

impl LedgerPlan {
    /// One line per write, for review and support (plans are snapshot-tested).
    pub(crate) fn describe(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.postings.iter().map(Posting::describe).collect();
        if let Some(a) = &self.open {
            lines.push(format!("insert auction of lot {} (seed drawn)", a.lot_id));
        }
        if let Some(a) = &self.auction {
            let price = a
                .clearing_price_fen
                .map_or("no clearing price".to_string(), |p| {
                    format!("clearing price {p} fen")
                });
            let closed = if a.closed_at.is_some() {
                "closed"
            } else {
                "open"
            };
            lines.push(format!(
                "update auction: round {}, {closed}, {price}",
                a.round
            ));
        }
        for c in &self.closes {
            lines.push(format!(
                "close award {} awarded -> {} (guarded: only if still awarded)",
                c.id,
                c.to.as_str()
            ));
        }
        for (org, status) in &self.deposits {
            lines.push(format!("deposit of {org} held -> {}", status.as_str()));
        }
        for a in &self.awards {
            lines.push(format!(
                "insert award {} to {}: {} kg at {} fen, round {}",
                a.id, a.org, a.amount_kg, a.price_fen, a.round
            ));
        }
        for n in &self.notices {
            lines.push(format!("notice {} to {}", n.kind, n.org));
        }
        if let Some(f) = &self.facts {
            lines.push(format!("audit facts {f}"));
        }
        if let Some(next) = self.follow_up {
            lines.push(format!("then {next}"));
        }
        lines
    }
}

/// The window opens: the tie-break seed is drawn and stored; its SHA-256 goes into the audit
/// entry, so that the seed published at clearing can be checked against it.
fn open_auction(
    case: &CaseRow,
    data: &Value,
    seed: u64,
    now: DateTime<Utc>,
    out: &mut LedgerPlan,
) -> Result<(), AppError> {
    AuctionTerms::parse(data).map_err(AppError::Validation)?;
    let seed_text = seed.to_string();
    out.facts = Some(json!({"seed_sha256": hex::encode(Sha256::digest(seed_text.as_bytes()))}));
    out.open = Some(AuctionRow {
        lot_id: case.id,
        seed: seed_text,
        opened_at: now,
        closed_at: None,
        outcome: None,
        clearing_price_fen: None,
        round: 0,
    });
    Ok(())
}

pub(super) struct Book {
    pub(super) auction: AuctionRow,
    pub(super) bids: Vec<BidRow>,
    pub(super) lot: clearing::Lot,
    /// The open bids as clearing sees them; `id` is the index into `bids` plus one.
    pub(super) ranked_input: Vec<clearing::Bid>,
}

/// The open bids of an auction as clearing sees them, under the lot's terms and recorded seed.
pub(super) fn book(case: &CaseRow, data: &Value, loaded: &LotBook) -> Result<Book, AppError> {
    let terms = AuctionTerms::parse(data).map_err(AppError::Validation)?;
    let auction = loaded
        .auction
        .clone()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("lot {} has no auction", case.id)))?;
    let seed: u64 = auction
        .seed
        .parse()
        .map_err(|_| AppError::Unexpected(anyhow::anyhow!("bad seed on lot {}", case.id)))?;
    let bids: Vec<BidRow> = loaded
        .bids
        .iter()
        .filter(|b| BidStatus::Open.is(&b.status))
        .cloned()
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
    fresh: &mut Fresh,
) -> Vec<AwardRow> {
    awards
        .iter()
        .filter_map(|a| {
            let bid = book
                .bids
                .get(usize::try_from(a.bid_id).ok()?.checked_sub(1)?)?;
            Some(AwardRow {
                id: fresh.id(),
                lot_id: lot,
                bid_id: bid.id,
                org: bid.org.clone(),
                amount_kg: a.amount_kg as i64,
                price_fen: a.price_fen as i64,
                round,
                status: AwardStatus::Awarded.as_str().into(),
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

fn award_facts(rows: &[AwardRow]) -> Value {
    json!(rows
        .iter()
        .map(|a| json!({"award": a.id, "bid": a.bid_id, "org": a.org, "amount_kg": a.amount_kg, "price_fen": a.price_fen}))
        .collect::<Vec<_>>())
}

/// The window closed: clear the open bids by the lot's rule with the recorded seed; award, or
/// fail (everything returns to the seller).
fn clear(
    case: &CaseRow,
    data: &Value,
    loaded: &LotBook,
    fresh: &mut Fresh,
    now: DateTime<Utc>,
) -> Result<LedgerPlan, AppError> {
    let book = book(case, data, loaded)?;
    let outcome = clearing::clear(&book.lot, &book.ranked_input);
    let mut auction = book.auction.clone();
    auction.closed_at = Some(now);
    auction.round = 1;
    let mut out = LedgerPlan::default();
    let bidders: BTreeSet<String> = book.bids.iter().map(|b| b.org.clone()).collect();
    let (rows, summary) = match &outcome {
        Outcome::Cleared {
            clearing_price_fen,
            allocated_kg,
            awards,
        } => {
            auction.clearing_price_fen = clearing_price_fen.map(|p| p as i64);
            let rows = award_rows(&book, awards, 1, now, case.id, fresh);
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
    out.auction = Some(auction);
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
    facts["awards"] = award_facts(&rows);
    out.awards = rows;
    out.facts = Some(facts);
    Ok(out)
}

/// One award is paid (market operator): the rights move from escrow to the winner and the
/// payment is recorded, once. A settled award is refused; one settled meanwhile fails the
/// guard when the plan is written.
fn settle_award(
    case: &CaseRow,
    data: &Value,
    payload: &Value,
    loaded: &LotBook,
    fresh: &mut Fresh,
) -> Result<LedgerPlan, AppError> {
    let award_id = payload
        .get("award")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| AppError::invalid("award", msg!("err-award-required")))?;
    let award = loaded
        .awards
        .iter()
        .find(|a| a.id == award_id)
        .ok_or_else(|| AppError::NotFound(format!("award {award_id} on lot {}", case.id)))?;
    if !AwardStatus::Awarded.is(&award.status) {
        return Err(AppError::AlreadySettled(msg!(
            "err-award-closed",
            status = &award.status
        )));
    }
    let (asset, _) = ledger::holding(data).map_err(AppError::Validation)?;
    let entry_id = fresh.id();
    let paid = ledger::notional_fen(award.amount_kg, award.price_fen)
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("price overflow")))?;
    let sale = Sale {
        seller: &case.org,
        buyer: &award.org,
        asset: &asset,
        amount_kg: award.amount_kg,
        paid_fen: paid,
    };
    let still_awarded: Vec<&AwardRow> = loaded
        .awards
        .iter()
        .filter(|a| AwardStatus::Awarded.is(&a.status) && a.id != award_id)
        .collect();
    let mut out = LedgerPlan {
        postings: vec![Posting::sale(entry_id, case.id, sale)],
        closes: vec![AwardClose {
            id: award_id,
            to: AwardStatus::Settled,
            entry: Some(entry_id),
        }],
        facts: Some(
            json!({"award": award_id, "org": award.org, "entry": entry_id, "amount_kg": award.amount_kg, "paid_fen": paid}),
        ),
        notices: vec![Notice {
            kind: "settled",
            org: award.org.clone(),
            details: json!({"award": award_id, "amount_kg": award.amount_kg, "paid_fen": paid}),
        }],
        follow_up: still_awarded.is_empty().then_some("complete"),
        ..LedgerPlan::default()
    };
    if !still_awarded.iter().any(|a| a.org == award.org) {
        out.deposits
            .push((award.org.clone(), DepositStatus::Refunded));
    }
    Ok(out)
}

/// The payment deadline passed: unpaid awards default (their deposits are forfeited) and their
/// volume goes to the next bidders in the ranking, each at its own price, with a new payment
/// period; with nobody left, the lot completes (or fails) and the rest returns to the seller.
fn default_awards(
    case: &CaseRow,
    data: &Value,
    loaded: &LotBook,
    fresh: &mut Fresh,
    now: DateTime<Utc>,
) -> Result<LedgerPlan, AppError> {
    let book = book(case, data, loaded)?;
    let awards = &loaded.awards;
    let mut out = LedgerPlan::default();
    let mut volume = 0i64;
    let mut defaulted = Vec::new();
    for a in awards.iter().filter(|a| AwardStatus::Awarded.is(&a.status)) {
        out.closes.push(AwardClose {
            id: a.id,
            to: AwardStatus::Defaulted,
            entry: None,
        });
        volume += a.amount_kg;
        out.deposits.push((a.org.clone(), DepositStatus::Forfeited));
        defaulted.push(json!({"award": a.id, "org": a.org, "amount_kg": a.amount_kg}));
        out.notices.push(Notice {
            kind: "decision",
            org: a.org.clone(),
            details: json!({"award": a.id, "status": AwardStatus::Defaulted, "deposit": DepositStatus::Forfeited}),
        });
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
    let rows = award_rows(&book, &next, round, now, case.id, fresh);
    if rows.is_empty() {
        let any_settled = awards.iter().any(|a| AwardStatus::Settled.is(&a.status));
        out.follow_up = Some(if any_settled { "complete" } else { "fail" });
    } else {
        let mut auction = book.auction.clone();
        auction.round = round;
        out.auction = Some(auction);
    }
    out.notices.extend(rows.iter().map(award_notice));
    out.facts = Some(json!({
        "defaulted": defaulted,
        "reawarded": award_facts(&rows),
        "round": round,
        "volume_kg": volume,
    }));
    out.awards = rows;
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
        .filter(|a| AwardStatus::Awarded.is(&a.status))
        .map(|a| a.org)
        .collect();
    Ok(orgs.into_iter().collect())
}

#[cfg(test)]
mod tests {
    //! The lot effects' plans, snapshot: what each writes is visible in review, and a change of
    //! it shows up as a changed snapshot.

    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0)
            .single()
            .expect("time")
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(0xA000 + n)
    }

    fn lot(workflow: &str, data: Value) -> CaseRow {
        CaseRow {
            id: id(0),
            workflow_key: workflow.into(),
            workflow_version: 1,
            state: "open".into(),
            version: 3,
            org: "SELLER".into(),
            data,
            audit_head: "h".into(),
            created_by: "seller@example.org".into(),
            created_at: at(8),
            updated_at: at(8),
            reference: None,
            title: None,
            submitted_at: None,
        }
    }

    fn auction_terms(clearing: &str) -> Value {
        json!({"pollutant": "COD", "basin": "yangtze_upper", "valid_to": "2031-12-31",
               "amount_kg": 1000, "reserve_price_fen": 20, "increment_fen": 5,
               "clearing": clearing, "max_share_pct": 60, "window_hours": 24,
               "deposit_fen": 100000})
    }

    fn bid(n: u128, org: &str, kg: i64, fen: i64, h: u32, status: BidStatus) -> BidRow {
        BidRow {
            id: id(n),
            lot_id: id(0),
            org: org.into(),
            bidder: org.into(),
            amount_kg: kg,
            price_fen: fen,
            status: status.as_str().into(),
            placed_by: format!("{}@example.org", org.to_lowercase()),
            placed_at: at(h),
            updated_at: at(h),
        }
    }

    fn award(n: u128, bid: u128, org: &str, kg: i64, fen: i64, status: AwardStatus) -> AwardRow {
        AwardRow {
            id: id(n),
            lot_id: id(0),
            bid_id: id(bid),
            org: org.into(),
            amount_kg: kg,
            price_fen: fen,
            round: 1,
            status: status.as_str().into(),
            entry_id: None,
            created_at: at(12),
            closed_at: None,
        }
    }

    fn deposit(org: &str, status: DepositStatus) -> DepositRow {
        DepositRow {
            lot_id: id(0),
            org: org.into(),
            amount_fen: 100_000,
            reference: format!("DEP-{org}"),
            status: status.as_str().into(),
            recorded_by: "operator@example.org".into(),
            recorded_at: at(9),
        }
    }

    fn opened(round: i32) -> AuctionRow {
        AuctionRow {
            lot_id: id(0),
            seed: "42".into(),
            opened_at: at(9),
            closed_at: (round > 0).then(|| at(12)),
            outcome: None,
            clearing_price_fen: None,
            round,
        }
    }

    fn book_of_three() -> LotBook {
        LotBook {
            auction: Some(opened(0)),
            bids: vec![
                bid(1, "A", 600, 30, 9, BidStatus::Open),
                bid(2, "B", 500, 25, 10, BidStatus::Open),
                bid(3, "C", 400, 22, 10, BidStatus::Open),
                bid(4, "D", 900, 99, 10, BidStatus::Withdrawn),
            ],
            ..LotBook::default()
        }
    }

    fn planned(case: &CaseRow, op: LedgerOp, payload: Value, book: &LotBook) -> String {
        let p = plan(
            case,
            &case.data,
            op,
            &payload,
            book,
            &mut Fresh::counted(42),
            at(12),
        )
        .expect("plan");
        p.describe().join("\n")
    }

    #[test]
    fn opening_an_auction_escrows_the_lot_and_draws_its_seed() {
        let case = lot(AUCTION, auction_terms("uniform"));
        insta::assert_snapshot!(planned(
            &case,
            LedgerOp::Escrow,
            json!({}),
            &LotBook::default()
        ));
    }

    #[test]
    fn clearing_awards_the_open_bids_by_the_rule() {
        let case = lot(AUCTION, auction_terms("uniform"));
        insta::assert_snapshot!(
            "uniform",
            planned(&case, LedgerOp::Clear, json!({}), &book_of_three())
        );
        let case = lot(AUCTION, auction_terms("pay_as_bid"));
        insta::assert_snapshot!(
            "pay_as_bid",
            planned(&case, LedgerOp::Clear, json!({}), &book_of_three())
        );
    }

    #[test]
    fn clearing_without_bids_fails_the_lot() {
        let case = lot(AUCTION, auction_terms("uniform"));
        let book = LotBook {
            auction: Some(opened(0)),
            ..LotBook::default()
        };
        insta::assert_snapshot!(planned(&case, LedgerOp::Clear, json!({}), &book));
    }

    #[test]
    fn paying_the_last_award_settles_it_refunds_the_deposit_and_completes() {
        let case = lot(AUCTION, auction_terms("uniform"));
        let book = LotBook {
            awards: vec![
                award(10, 1, "A", 600, 25, AwardStatus::Awarded),
                award(11, 2, "B", 400, 25, AwardStatus::Settled),
            ],
            ..LotBook::default()
        };
        insta::assert_snapshot!(planned(
            &case,
            LedgerOp::SettleAward,
            json!({"award": id(10)}),
            &book
        ));
    }

    #[test]
    fn a_settled_award_is_refused_before_anything_is_planned() {
        let case = lot(AUCTION, auction_terms("uniform"));
        let book = LotBook {
            awards: vec![award(10, 1, "A", 600, 25, AwardStatus::Settled)],
            ..LotBook::default()
        };
        let refused = plan(
            &case,
            &case.data,
            LedgerOp::SettleAward,
            &json!({"award": id(10)}),
            &book,
            &mut Fresh::counted(42),
            at(12),
        );
        assert!(
            matches!(refused, Err(AppError::AlreadySettled(_))),
            "{refused:?}"
        );
        let unknown = plan(
            &case,
            &case.data,
            LedgerOp::SettleAward,
            &json!({"award": id(99)}),
            &book,
            &mut Fresh::counted(42),
            at(12),
        );
        assert!(matches!(unknown, Err(AppError::NotFound(_))), "{unknown:?}");
    }

    #[test]
    fn a_default_forfeits_the_deposit_and_offers_the_volume_to_the_next_bidder() {
        let case = lot(AUCTION, auction_terms("pay_as_bid"));
        let mut book = book_of_three();
        book.auction = Some(opened(1));
        book.awards = vec![
            award(10, 1, "A", 600, 30, AwardStatus::Awarded),
            award(11, 2, "B", 400, 25, AwardStatus::Settled),
        ];
        insta::assert_snapshot!(planned(&case, LedgerOp::Default, json!({}), &book));
    }

    #[test]
    fn releasing_returns_what_escrow_still_holds_and_every_held_deposit() {
        let case = lot(AUCTION, auction_terms("uniform"));
        let book = LotBook {
            escrow: vec![BalanceRow {
                account_id: id(50),
                pollutant: "COD".into(),
                basin: "yangtze_upper".into(),
                valid_to: "2031-12-31".into(),
                amount_kg: 400,
            }],
            deposits: vec![
                deposit("A", DepositStatus::Forfeited),
                deposit("C", DepositStatus::Held),
            ],
            ..LotBook::default()
        };
        insta::assert_snapshot!(planned(&case, LedgerOp::Release, json!({}), &book));
        // An empty escrow moves nothing.
        let empty = LotBook::default();
        let p = plan(
            &case,
            &case.data,
            LedgerOp::Release,
            &json!({}),
            &empty,
            &mut Fresh::counted(1),
            at(12),
        )
        .expect("plan");
        assert!(p.postings.is_empty());
    }

    #[test]
    fn settling_a_negotiated_transfer_moves_the_rights_and_records_the_price() {
        let case = lot(
            "negotiated_transfer",
            json!({"pollutant": "NH3-N", "basin": "yangtze_upper", "valid_to": "2030-12-31",
                   "amount_kg": 250, "price_fen": 1234, "buyer": "BUYER"}),
        );
        insta::assert_snapshot!(planned(
            &case,
            LedgerOp::Settle,
            json!({}),
            &LotBook::default()
        ));
    }
}
