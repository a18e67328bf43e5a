//! Public results of closed auctions.

use super::*;

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
        out.extend(auction_result(app, row).await?);
    }
    let listings =
        store::cases::in_states(&app.db, &set(&["listing"]), &set(&["closed"]), None).await?;
    for row in listings {
        out.extend(listing_result(app, row).await?);
    }
    out.sort_by(|a, b| b.closed_at.cmp(&a.closed_at).then(a.lot.cmp(&b.lot)));
    out.truncate(limit);
    Ok(out)
}

/// A closed auction's public result; `None` before it closed.
async fn auction_result(app: &App, row: CaseRow) -> Result<Option<PublicResult>, AppError> {
    let Some(a) = store::market::auction(&app.db, row.id).await? else {
        return Ok(None);
    };
    let (Some(closed_at), Ok(lot)) = (a.closed_at, AuctionTerms::parse(&row.data)) else {
        return Ok(None);
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
        .filter(|b| !BidStatus::Withdrawn.is(&b.status))
        .map(|b| b.bidder.as_str())
        .collect();
    // Winners who did not pay are not counted: their volume passed on or went back.
    let paid: Vec<&AwardRow> = awards
        .iter()
        .filter(|w| !AwardStatus::Defaulted.is(&w.status))
        .collect();
    let winners: BTreeSet<&str> = paid.iter().map(|w| w.org.as_str()).collect();
    Ok(Some(PublicResult {
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
        sold_kg: paid.iter().map(|w| w.amount_kg).sum(),
        bidders: bidders.len() as i64,
        winners: winners.len() as i64,
        outcome: outcome
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or("failed")
            .to_string(),
        closed_at,
    }))
}

/// A closed listing's public result: what its takes bought.
async fn listing_result(app: &App, row: CaseRow) -> Result<Option<PublicResult>, AppError> {
    let Ok(lot) = ledger::LotData::parse(&row.data) else {
        return Ok(None);
    };
    let entries = store::audit::of_case(&app.db, row.id).await?;
    let mut buyers: BTreeSet<String> = BTreeSet::new();
    let mut sold = 0i64;
    for e in entries.iter().filter(|e| e.action == "take") {
        let p: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
        sold += p.get("amount_kg").and_then(Value::as_i64).unwrap_or(0);
        buyers.insert(e.actor_org.clone());
    }
    Ok(Some(PublicResult {
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
    }))
}
