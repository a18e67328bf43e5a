//! An auction's result: the clearing outcome, the awards and what each bidder sees of them.

use super::*;

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
        .filter(|b| !BidStatus::Withdrawn.is(&b.status))
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
