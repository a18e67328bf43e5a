//! The pollution-rights registry as a double-entry ledger (TRADING.md, "Settlement and the
//! ledger"). Pure: parsing amounts on the grid, and building balanced postings.

/// The river basins of the upper Yangtze market that forms offer by name (the registry takes
/// any basin code; these are the ones its pages name in both languages).
pub const NAMED_BASINS: [&str; 6] = [
    "yangtze_upper",
    "yangtze_middle",
    "yangtze_lower",
    "jialing",
    "wujiang",
    "pearl",
];

use std::fmt;

/// The reference a winner quotes when paying for an award, and the market operator finds on the
/// bank statement: `PW-` and the award id's last eight characters (its random part).
pub fn payment_reference(award: uuid::Uuid) -> String {
    let id = award.simple().to_string().to_uppercase();
    format!("PW-{}", &id[id.len() - 8..])
}

use serde::{Deserialize, Serialize};

use super::FieldErrors;
use crate::msg;

/// The four main pollutants Chongqing's market trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Pollutant {
    #[serde(rename = "COD")]
    Cod,
    #[serde(rename = "NH3-N")]
    Nh3N,
    #[serde(rename = "SO2")]
    So2,
    #[serde(rename = "NOx")]
    Nox,
}

impl Pollutant {
    pub const ALL: [Pollutant; 4] = [
        Pollutant::Cod,
        Pollutant::Nh3N,
        Pollutant::So2,
        Pollutant::Nox,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Pollutant::Cod => "COD",
            Pollutant::Nh3N => "NH3-N",
            Pollutant::So2 => "SO2",
            Pollutant::Nox => "NOx",
        }
    }

    pub fn parse(s: &str) -> Option<Pollutant> {
        Pollutant::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Pollutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a holding is of: a pollutant, in a river basin, valid until a date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Asset {
    pub pollutant: Pollutant,
    pub basin: String,
    /// The last day of validity (ISO date); rights are valid 5 years in principle.
    pub valid_to: chrono::NaiveDate,
}

/// Parses a whole, positive number of kilograms or fen from JSON: off the grid is refused,
/// never rounded.
pub fn whole_positive(
    value: Option<&serde_json::Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<i64> {
    match value {
        None => {
            errors.add(field, msg!("err-required"));
            None
        }
        Some(v) => match v.as_i64() {
            Some(n) if n > 0 => Some(n),
            _ => {
                errors.add(field, msg!("err-whole-positive"));
                None
            }
        },
    }
}

/// Parses an asset from `pollutant`, `basin` and `valid_to` fields.
pub fn asset(
    map: &serde_json::Map<String, serde_json::Value>,
    errors: &mut FieldErrors,
) -> Option<Asset> {
    let pollutant = match map.get("pollutant").and_then(|v| v.as_str()) {
        Some(p) => Pollutant::parse(p).or_else(|| {
            errors.add("pollutant", msg!("err-pollutant"));
            None
        }),
        None => {
            errors.add("pollutant", msg!("err-pollutant-required"));
            None
        }
    };
    let basin = match map.get("basin").and_then(|v| v.as_str()) {
        Some(b)
            if (1..=40).contains(&b.len())
                && b.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_') =>
        {
            Some(b.to_string())
        }
        _ => {
            errors.add("basin", msg!("err-basin"));
            None
        }
    };
    let valid_to = match map.get("valid_to").and_then(|v| v.as_str()) {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .or_else(|| {
                errors.add("valid_to", msg!("err-date"));
                None
            }),
        None => {
            errors.add("valid_to", msg!("err-valid-to-required"));
            None
        }
    };
    Some(Asset {
        pollutant: pollutant?,
        basin: basin?,
        valid_to: valid_to?,
    })
}

/// One side of a movement: `amount_kg` is negative for the account it leaves, positive for the
/// one it reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting<A> {
    pub account: A,
    pub asset: Asset,
    pub amount_kg: i64,
}

/// The two postings of a movement of `amount_kg` from one account to another; they sum to zero.
pub fn movement<A: Clone>(from: A, to: A, asset: &Asset, amount_kg: i64) -> [Posting<A>; 2] {
    [
        Posting {
            account: from,
            asset: asset.clone(),
            amount_kg: -amount_kg,
        },
        Posting {
            account: to,
            asset: asset.clone(),
            amount_kg,
        },
    ]
}

/// A price times an amount, in fen, refused if it does not fit the ledger's integers.
pub fn notional_fen(amount_kg: i64, price_fen: i64) -> Option<i64> {
    amount_kg.checked_mul(price_fen)
}

/// A lot on the market: what is sold, how much, at what price, and (for a negotiated transfer)
/// to whom. The seller is the organisation that owns the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotData {
    pub asset: Asset,
    pub amount_kg: i64,
    pub price_fen: i64,
    pub buyer: Option<String>,
}

pub const LOT_FIELDS: [&str; 8] = [
    "pollutant",
    "basin",
    "valid_to",
    "amount_kg",
    "price_fen",
    "buyer",
    "window_hours",
    "project_name",
];

impl LotData {
    pub fn parse(value: &serde_json::Value) -> Result<LotData, FieldErrors> {
        let mut errors = FieldErrors::default();
        let Some(map) = value.as_object() else {
            errors.add("data", msg!("err-not-an-object"));
            return Err(errors);
        };
        for k in map.keys() {
            if !LOT_FIELDS.contains(&k.as_str()) {
                errors.add(k.clone(), msg!("err-unknown-field"));
            }
        }
        let asset = asset(map, &mut errors);
        let amount_kg = whole_positive(map.get("amount_kg"), "amount_kg", &mut errors);
        let price_fen = whole_positive(map.get("price_fen"), "price_fen", &mut errors);
        if let (Some(a), Some(p)) = (amount_kg, price_fen) {
            if notional_fen(a, p).is_none() {
                errors.add("price_fen", msg!("err-amount-too-large"));
            }
        }
        if let Some(w) = map.get("window_hours") {
            if !w.as_i64().is_some_and(|h| (1..=24 * 90).contains(&h)) {
                errors.add("window_hours", msg!("err-hours", max = 2160));
            }
        }
        let buyer = match map.get("buyer") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => match v
                .as_str()
                .and_then(|b| super::directory::OrgCode::parse(b).ok())
            {
                Some(code) => Some(code.as_str().to_string()),
                None => {
                    errors.add("buyer", msg!("err-org-code"));
                    None
                }
            },
        };
        match (asset, amount_kg, price_fen) {
            (Some(asset), Some(amount_kg), Some(price_fen)) if errors.is_empty() => Ok(LotData {
                asset,
                amount_kg,
                price_fen,
                buyer,
            }),
            _ => Err(errors),
        }
    }
}

/// A lot sold by auction: what is offered and the terms of the sale (TRADING.md, "Auction").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuctionTerms {
    pub asset: Asset,
    pub amount_kg: i64,
    /// The start price; no bid below it counts.
    pub reserve_price_fen: i64,
    /// Bids are the reserve price plus a whole number of increments.
    pub increment_fen: i64,
    pub clearing: super::clearing::Rule,
    /// The most one bidder (related accounts counted as one) may bid for and win, in percent.
    pub max_share_pct: Option<u8>,
    pub window_hours: i64,
    /// What each bidder deposits before bidding; forfeited by a winner who does not pay.
    pub deposit_fen: i64,
    /// Only discharge permits of the lot's basin may bid (default true).
    pub basin_rule: bool,
}

pub const AUCTION_FIELDS: [&str; 12] = [
    "pollutant",
    "basin",
    "valid_to",
    "amount_kg",
    "reserve_price_fen",
    "increment_fen",
    "clearing",
    "max_share_pct",
    "window_hours",
    "deposit_fen",
    "basin_rule",
    "project_name",
];

impl AuctionTerms {
    pub fn parse(value: &serde_json::Value) -> Result<AuctionTerms, FieldErrors> {
        let mut errors = FieldErrors::default();
        let Some(map) = value.as_object() else {
            errors.add("data", msg!("err-not-an-object"));
            return Err(errors);
        };
        for k in map.keys() {
            if !AUCTION_FIELDS.contains(&k.as_str()) {
                errors.add(k.clone(), msg!("err-unknown-field"));
            }
        }
        let asset = asset(map, &mut errors);
        let amount_kg = whole_positive(map.get("amount_kg"), "amount_kg", &mut errors);
        let reserve = whole_positive(
            map.get("reserve_price_fen"),
            "reserve_price_fen",
            &mut errors,
        );
        let increment = whole_positive(map.get("increment_fen"), "increment_fen", &mut errors);
        let deposit = whole_positive(map.get("deposit_fen"), "deposit_fen", &mut errors);
        let window = map.get("window_hours").and_then(|w| w.as_i64());
        if !window.is_some_and(|h| (1..=24 * 90).contains(&h)) {
            errors.add("window_hours", msg!("err-hours-required", max = 2160));
        }
        let basin_rule = match map.get("basin_rule") {
            None | Some(serde_json::Value::Null) => true,
            Some(serde_json::Value::Bool(b)) => *b,
            Some(_) => {
                errors.add("basin_rule", msg!("err-boolean"));
                true
            }
        };
        let clearing = match map.get("clearing").and_then(|v| v.as_str()) {
            Some("uniform") => Some(super::clearing::Rule::Uniform),
            Some("pay_as_bid") => Some(super::clearing::Rule::PayAsBid),
            _ => {
                errors.add("clearing", msg!("err-clearing-rule-required"));
                None
            }
        };
        let max_share_pct = match map.get("max_share_pct") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(p) if (1..=100).contains(&p) => Some(p as u8),
                _ => {
                    errors.add("max_share_pct", msg!("err-percentage"));
                    None
                }
            },
        };
        if let (Some(a), Some(r)) = (amount_kg, reserve) {
            if notional_fen(a, r).is_none() {
                errors.add("reserve_price_fen", msg!("err-amount-too-large"));
            }
        }
        match (
            asset, amount_kg, reserve, increment, clearing, window, deposit,
        ) {
            (Some(asset), Some(amount_kg), Some(r), Some(i), Some(c), Some(w), Some(d))
                if errors.is_empty() =>
            {
                Ok(AuctionTerms {
                    asset,
                    amount_kg,
                    reserve_price_fen: r,
                    increment_fen: i,
                    clearing: c,
                    max_share_pct,
                    window_hours: w,
                    deposit_fen: d,
                    basin_rule,
                })
            }
            _ => Err(errors),
        }
    }

    /// The most one bidder may bid for or win, in kilograms.
    pub fn cap_kg(&self) -> i64 {
        match self.max_share_pct {
            Some(p) => self.amount_kg * i64::from(p) / 100,
            None => self.amount_kg,
        }
    }

    /// Checks a bid's price against the grid: the reserve plus whole increments.
    pub fn check_price(&self, price_fen: i64) -> Result<(), super::Msg> {
        if price_fen < self.reserve_price_fen {
            return Err(crate::msg!(
                "err-below-reserve",
                reserve = super::money::yuan(self.reserve_price_fen)
            ));
        }
        if (price_fen - self.reserve_price_fen) % self.increment_fen != 0 {
            return Err(crate::msg!(
                "err-price-grid",
                reserve = super::money::yuan(self.reserve_price_fen),
                increment = super::money::yuan(self.increment_fen)
            ));
        }
        Ok(())
    }
}

/// What a lot of any kind holds: its asset and amount (listing, transfer or auction).
pub fn holding(value: &serde_json::Value) -> Result<(Asset, i64), FieldErrors> {
    let mut errors = FieldErrors::default();
    let Some(map) = value.as_object() else {
        errors.add("data", msg!("err-not-an-object"));
        return Err(errors);
    };
    let asset = asset(map, &mut errors);
    let amount = whole_positive(map.get("amount_kg"), "amount_kg", &mut errors);
    match (asset, amount) {
        (Some(a), Some(n)) => Ok((a, n)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    #[test]
    fn amounts_off_the_grid_are_refused_not_rounded() {
        let mut e = FieldErrors::default();
        for bad in [json!(1.5), json!(0), json!(-3), json!("7"), json!(1e30)] {
            assert_eq!(
                whole_positive(Some(&bad), "amount_kg", &mut e),
                None,
                "{bad}"
            );
        }
        assert_eq!(
            whole_positive(Some(&json!(4048)), "amount_kg", &mut e),
            Some(4048)
        );
        assert_eq!(notional_fen(i64::MAX, 2), None, "no overflow");
    }

    #[test]
    fn assets_parse_with_field_errors() {
        let mut e = FieldErrors::default();
        let ok = json!({"pollutant": "NH3-N", "basin": "yangtze_upper", "valid_to": "2031-12-31"});
        assert!(asset(ok.as_object().expect("map"), &mut e).is_some());
        let bad = json!({"pollutant": "CO2", "basin": "Yangtze!", "valid_to": "soon"});
        assert!(asset(bad.as_object().expect("map"), &mut e).is_none());
        assert_eq!(
            e.0.keys().collect::<Vec<_>>(),
            vec!["basin", "pollutant", "valid_to"]
        );
    }

    #[test]
    fn auction_terms_check_the_grid_and_the_share() {
        let terms = AuctionTerms::parse(&json!({
            "pollutant": "NOx", "basin": "yangtze_upper", "valid_to": "2031-12-31",
            "amount_kg": 4048, "reserve_price_fen": 2100, "increment_fen": 50,
            "clearing": "uniform", "max_share_pct": 50, "window_hours": 24, "deposit_fen": 100000
        }))
        .expect("valid terms");
        assert_eq!(terms.cap_kg(), 2024);
        assert!(terms.check_price(2100).is_ok());
        assert!(terms.check_price(2250).is_ok());
        assert!(terms.check_price(2120).is_err(), "off the increment grid");
        assert!(terms.check_price(2050).is_err(), "below the reserve");
        assert!(terms.basin_rule, "on unless the lot says otherwise");
        let bad = AuctionTerms::parse(
            &json!({"clearing": "dutch", "max_share_pct": 0, "basin_rule": "no"}),
        )
        .expect_err("invalid");
        for field in [
            "clearing",
            "max_share_pct",
            "reserve_price_fen",
            "window_hours",
            "deposit_fen",
            "basin_rule",
        ] {
            assert!(bad.0.contains_key(field), "{field}: {bad:?}");
        }
    }

    proptest! {
        #[test]
        fn random_movements_conserve_every_total(moves in prop::collection::vec((0usize..5, 0usize..5, 1i64..1_000_000), 0..200)) {
            let asset = Asset { pollutant: Pollutant::Cod, basin: "b".into(), valid_to: chrono::NaiveDate::MIN };
            let mut balances = [0i64; 5];
            for (from, to, amount) in moves {
                for p in movement(from, to, &asset, amount) {
                    balances[p.account] += p.amount_kg;
                }
            }
            prop_assert_eq!(balances.iter().sum::<i64>(), 0);
        }
    }
}
