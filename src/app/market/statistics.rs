//! Market statistics: volumes and prices per period.

use super::*;

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
                if org != crate::app::registry::RESERVE {
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
