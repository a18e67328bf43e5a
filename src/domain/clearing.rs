//! Auction clearing (TRADING.md, "Clearing"). Pure: the random tie-break comes from a seed that
//! is fixed and recorded before the bidding window opens.
//!
//! - Uniform price, sealed bid (EU ETS auctions, Regulation 1031/2010 art. 7): bids sorted by price,
//!   highest first, ties in an order drawn from the seed; volumes added from the top; the price at
//!   which the running total first reaches the volume is the clearing price, paid by every
//!   winner; the last winner gets only the remainder. The auction fails if the bids fall short of
//!   the volume or the clearing price is below the reserve price.
//! - Pay as bid, price then time (Hubei, Ningxia): each winner pays its own price; bids below the
//!   reserve price are not eligible; the volume goes as far as eligible demand does.
//!
//! A per-bidder cap (`max_share_pct` of the volume) limits what one bidder can win.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bid {
    pub id: u64,
    pub bidder: String,
    pub amount_kg: u64,
    pub price_fen: u64,
    /// Arrival order (a sequence number or a timestamp in microseconds).
    pub at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Uniform,
    PayAsBid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub volume_kg: u64,
    pub reserve_price_fen: u64,
    /// The most one bidder may win, as a percentage of the volume (1-100).
    pub max_share_pct: Option<u8>,
    pub rule: Rule,
    /// Fixed and recorded before the window opens.
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    pub bid_id: u64,
    pub bidder: String,
    pub amount_kg: u64,
    pub price_fen: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Cleared {
        /// The uniform price; `None` for pay as bid.
        clearing_price_fen: Option<u64>,
        allocated_kg: u64,
        awards: Vec<Award>,
    },
    Failed {
        reason: super::Msg,
    },
}

/// SplitMix64: a small, well-known generator; the same seed always gives the same draws.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What one bidder may still win.
fn cap_for(lot: &Lot) -> u64 {
    match lot.max_share_pct {
        Some(p) => (u128::from(lot.volume_kg) * u128::from(p.min(100)) / 100) as u64,
        None => lot.volume_kg,
    }
}

/// Allocates down an ordered list, honouring the per-bidder cap; answers the awards (at the
/// bid's own price) and the price of the last bid that got anything.
fn allocate(lot: &Lot, ordered: &[&Bid], volume_kg: u64) -> (Vec<Award>, u64, Option<u64>) {
    let cap = cap_for(lot);
    let mut won: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    let mut left = volume_kg;
    let mut awards = Vec::new();
    let mut last_price = None;
    for bid in ordered {
        if left == 0 {
            break;
        }
        let already = won.get(bid.bidder.as_str()).copied().unwrap_or(0);
        let room = cap.saturating_sub(already);
        let take = bid.amount_kg.min(room).min(left);
        if take == 0 {
            continue;
        }
        left -= take;
        *won.entry(bid.bidder.as_str()).or_default() += take;
        last_price = Some(bid.price_fen);
        awards.push(Award {
            bid_id: bid.id,
            bidder: bid.bidder.clone(),
            amount_kg: take,
            price_fen: bid.price_fen,
        });
    }
    (awards, volume_kg - left, last_price)
}

/// The bids in the order the lot's rule ranks them: price first, then time (pay as bid) or the
/// seeded draw (uniform price). Pay as bid leaves out bids below the reserve price.
pub fn ranked<'a>(lot: &Lot, bids: &'a [Bid]) -> Vec<&'a Bid> {
    match lot.rule {
        Rule::PayAsBid => {
            let mut eligible: Vec<&Bid> = bids
                .iter()
                .filter(|b| b.price_fen >= lot.reserve_price_fen && b.amount_kg > 0)
                .collect();
            eligible.sort_by(|a, b| {
                b.price_fen
                    .cmp(&a.price_fen)
                    .then(a.at.cmp(&b.at))
                    .then(a.id.cmp(&b.id))
            });
            eligible
        }
        Rule::Uniform => {
            // Draw a tie-break key per bid from the seed, in bid-id order so that the draw does
            // not depend on the order bids are passed in.
            let mut by_id: Vec<&Bid> = bids.iter().filter(|b| b.amount_kg > 0).collect();
            by_id.sort_by_key(|b| b.id);
            let mut state = lot.seed;
            let mut keyed: Vec<(u64, &Bid)> = by_id
                .into_iter()
                .map(|b| (splitmix(&mut state), b))
                .collect();
            keyed.sort_by(|(ka, a), (kb, b)| {
                b.price_fen
                    .cmp(&a.price_fen)
                    .then(ka.cmp(kb))
                    .then(a.id.cmp(&b.id))
            });
            keyed.into_iter().map(|(_, b)| b).collect()
        }
    }
}

/// After winners default: offers `volume_kg` to the next bidders in the lot's ranking, leaving out
/// `excluded` bidders (those already awarded, and those who defaulted) and bids below the reserve
/// price; each pays its own price; the per-bidder cap still holds.
pub fn next_bidders(lot: &Lot, bids: &[Bid], excluded: &[String], volume_kg: u64) -> Vec<Award> {
    let ordered: Vec<&Bid> = ranked(lot, bids)
        .into_iter()
        .filter(|b| b.price_fen >= lot.reserve_price_fen && !excluded.contains(&b.bidder))
        .collect();
    allocate(lot, &ordered, volume_kg).0
}

pub fn clear(lot: &Lot, bids: &[Bid]) -> Outcome {
    if lot.volume_kg == 0 {
        return Outcome::Failed {
            reason: crate::msg!("clearing-nothing-offered"),
        };
    }
    let ordered = ranked(lot, bids);
    match lot.rule {
        Rule::PayAsBid => {
            let (awards, allocated, _) = allocate(lot, &ordered, lot.volume_kg);
            if allocated == 0 {
                return Outcome::Failed {
                    reason: crate::msg!("clearing-no-bid-at-reserve"),
                };
            }
            Outcome::Cleared {
                clearing_price_fen: None,
                allocated_kg: allocated,
                awards,
            }
        }
        Rule::Uniform => {
            let (mut awards, allocated, last_price) = allocate(lot, &ordered, lot.volume_kg);
            if allocated < lot.volume_kg {
                return Outcome::Failed {
                    reason: crate::msg!(
                        "clearing-not-covered",
                        allocated = allocated,
                        offered = lot.volume_kg
                    ),
                };
            }
            let price = last_price.unwrap_or(0);
            if price < lot.reserve_price_fen {
                return Outcome::Failed {
                    reason: crate::msg!(
                        "clearing-below-reserve",
                        price = super::money::yuan(price as i64),
                        reserve = super::money::yuan(lot.reserve_price_fen as i64)
                    ),
                };
            }
            for a in &mut awards {
                a.price_fen = price;
            }
            Outcome::Cleared {
                clearing_price_fen: Some(price),
                allocated_kg: allocated,
                awards,
            }
        }
    }
}

/// The value of an award in fen, without overflow.
pub fn value_fen(amount_kg: u64, price_fen: u64) -> u128 {
    u128::from(amount_kg) * u128::from(price_fen)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn bid(id: u64, bidder: &str, amount_kg: u64, price_fen: u64) -> Bid {
        Bid {
            id,
            bidder: bidder.into(),
            amount_kg,
            price_fen,
            at: id as i64,
        }
    }

    fn lot(volume_kg: u64, reserve: u64, rule: Rule) -> Lot {
        Lot {
            volume_kg,
            reserve_price_fen: reserve,
            max_share_pct: None,
            rule,
            seed: 42,
        }
    }

    #[test]
    fn uniform_price_is_where_the_running_total_reaches_the_volume() {
        // 4,048 kg offered at a reserve of 21 fen/kg (Ningxia 2025, per kg).
        let bids = vec![
            bid(1, "a", 2000, 30),
            bid(2, "b", 1500, 27),
            bid(3, "c", 1000, 25),
            bid(4, "d", 3000, 22),
        ];
        let Outcome::Cleared {
            clearing_price_fen,
            allocated_kg,
            awards,
        } = clear(&lot(4048, 21, Rule::Uniform), &bids)
        else {
            panic!("clears");
        };
        assert_eq!((clearing_price_fen, allocated_kg), (Some(25), 4048));
        let got: Vec<(&str, u64, u64)> = awards
            .iter()
            .map(|a| (a.bidder.as_str(), a.amount_kg, a.price_fen))
            .collect();
        assert_eq!(
            got,
            vec![("a", 2000, 25), ("b", 1500, 25), ("c", 548, 25)],
            "the last gets the remainder"
        );
    }

    #[test]
    fn defaulted_volume_goes_to_the_next_bidders_at_their_own_price() {
        let bids = vec![
            bid(1, "a", 600, 30),
            bid(2, "b", 600, 28),
            bid(3, "c", 300, 26),
            bid(4, "d", 300, 24),
            bid(5, "e", 300, 10),
        ];
        let l = lot(1000, 20, Rule::Uniform);
        // a won 600, b won 400 and defaulted: 400 kg go down the ranking past a and b.
        let next = next_bidders(&l, &bids, &["a".into(), "b".into()], 400);
        let got: Vec<(&str, u64, u64)> = next
            .iter()
            .map(|a| (a.bidder.as_str(), a.amount_kg, a.price_fen))
            .collect();
        assert_eq!(
            got,
            vec![("c", 300, 26), ("d", 100, 24)],
            "e is below the reserve"
        );
        assert!(next_bidders(
            &l,
            &bids,
            &["a".into(), "b".into(), "c".into(), "d".into()],
            400
        )
        .is_empty());
    }

    #[test]
    fn uniform_fails_short_of_volume_or_below_reserve() {
        let short = clear(&lot(5000, 10, Rule::Uniform), &[bid(1, "a", 1000, 30)]);
        assert!(
            matches!(short, Outcome::Failed { ref reason } if reason.id == "clearing-not-covered"),
            "{short:?}"
        );
        let cheap = clear(
            &lot(1000, 50, Rule::Uniform),
            &[bid(1, "a", 600, 60), bid(2, "b", 600, 40)],
        );
        assert!(
            matches!(cheap, Outcome::Failed { ref reason } if reason.id == "clearing-below-reserve"),
            "{cheap:?}"
        );
    }

    #[test]
    fn pay_as_bid_goes_by_price_then_time() {
        let bids = vec![
            bid(1, "a", 500, 30),
            bid(2, "b", 500, 35),
            bid(3, "c", 500, 35),
            bid(4, "d", 500, 10),
        ];
        let Outcome::Cleared {
            clearing_price_fen,
            awards,
            allocated_kg,
        } = clear(&lot(1200, 20, Rule::PayAsBid), &bids)
        else {
            panic!("clears");
        };
        assert_eq!((clearing_price_fen, allocated_kg), (None, 1200));
        let got: Vec<(&str, u64, u64)> = awards
            .iter()
            .map(|a| (a.bidder.as_str(), a.amount_kg, a.price_fen))
            .collect();
        assert_eq!(got, vec![("b", 500, 35), ("c", 500, 35), ("a", 200, 30)]);
    }

    #[test]
    fn a_bidder_wins_at_most_its_share() {
        let mut l = lot(1000, 1, Rule::PayAsBid);
        l.max_share_pct = Some(50);
        let Outcome::Cleared { awards, .. } = clear(
            &l,
            &[
                bid(1, "a", 900, 50),
                bid(2, "a", 300, 49),
                bid(3, "b", 900, 10),
            ],
        ) else {
            panic!("clears");
        };
        let a: u64 = awards
            .iter()
            .filter(|w| w.bidder == "a")
            .map(|w| w.amount_kg)
            .sum();
        assert_eq!(a, 500);
        assert_eq!(awards.iter().map(|w| w.amount_kg).sum::<u64>(), 1000);
    }

    #[test]
    fn ties_follow_the_recorded_seed() {
        let bids: Vec<Bid> = (1..=10)
            .map(|i| bid(i, &format!("b{i}"), 100, 40))
            .collect();
        let mut l = lot(350, 10, Rule::Uniform);
        let first = clear(&l, &bids);
        assert_eq!(
            first,
            clear(&l, &bids),
            "the same seed gives the same result"
        );
        let mut reversed = bids.clone();
        reversed.reverse();
        assert_eq!(
            first,
            clear(&l, &reversed),
            "the order bids arrive in does not change the draw"
        );
        let winners = |o: &Outcome| match o {
            Outcome::Cleared { awards, .. } => {
                awards.iter().map(|a| a.bidder.clone()).collect::<Vec<_>>()
            }
            Outcome::Failed { .. } => vec![],
        };
        let draws: std::collections::BTreeSet<Vec<String>> = (0..20)
            .map(|s| {
                l.seed = s;
                winners(&clear(&l, &bids))
            })
            .collect();
        assert!(
            draws.len() > 1,
            "another seed draws other winners among equal bids"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn clearing_properties(
            bids in prop::collection::vec((0u8..8, 1u64..5_000, 1u64..100), 0..40),
            volume in 1u64..20_000,
            reserve in 0u64..60,
            share in prop::option::of(10u8..=100),
            uniform in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let bids: Vec<Bid> = bids.into_iter().enumerate()
                .map(|(i, (who, amount, price))| bid(i as u64 + 1, &format!("b{who}"), amount, price))
                .collect();
            let rule = if uniform { Rule::Uniform } else { Rule::PayAsBid };
            let l = Lot { volume_kg: volume, reserve_price_fen: reserve, max_share_pct: share, rule, seed };
            let outcome = clear(&l, &bids);
            prop_assert_eq!(&outcome, &clear(&l, &bids), "deterministic");
            if let Outcome::Cleared { clearing_price_fen, allocated_kg, awards } = outcome {
                let total: u64 = awards.iter().map(|a| a.amount_kg).sum();
                prop_assert_eq!(total, allocated_kg);
                prop_assert!(allocated_kg <= volume, "never more than offered");
                let cap = cap_for(&l);
                let mut per: std::collections::HashMap<String, u64> = Default::default();
                for a in &awards {
                    let b = bids.iter().find(|b| b.id == a.bid_id).expect("a bid");
                    prop_assert!(a.amount_kg <= b.amount_kg, "never more than bid");
                    match (rule, clearing_price_fen) {
                        (Rule::Uniform, Some(p)) => {
                            prop_assert_eq!(a.price_fen, p);
                            prop_assert!(b.price_fen >= p, "a winner bid at least the clearing price");
                            prop_assert!(p >= reserve);
                        }
                        (Rule::PayAsBid, None) => {
                            prop_assert_eq!(a.price_fen, b.price_fen);
                            prop_assert!(b.price_fen >= reserve);
                        }
                        _ => prop_assert!(false, "price kind matches the rule"),
                    }
                    *per.entry(a.bidder.clone()).or_default() += a.amount_kg;
                }
                prop_assert!(per.values().all(|w| *w <= cap), "the per-bidder cap holds");
                // allocated = min(volume, eligible demand), with demand capped per bidder.
                let mut demand: std::collections::HashMap<&str, u64> = Default::default();
                for b in bids.iter().filter(|b| rule == Rule::Uniform || b.price_fen >= reserve) {
                    *demand.entry(b.bidder.as_str()).or_default() += b.amount_kg;
                }
                let eligible: u64 = demand.values().map(|d| (*d).min(cap)).sum();
                prop_assert_eq!(allocated_kg, volume.min(eligible));
            }
        }
    }
}
