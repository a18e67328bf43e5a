//! Auctions of pollution rights (TRADING.md): market participants (discharge permits, related
//! groups), deposits, sealed bids, clearing at the window's deadline, awards, payment per award
//! and default to the next bidders; the market board and market statistics.
//!
//! The registry movements of an auction run as ledger effects of the `auction` workflow's
//! actions, planned as data with the transition and written in its transaction (see
//! `effects`).
//!
//! One file per part: `participants`, `lots`, `deposits`, `bids` (and who may bid), `result`
//! (clearing outcome and awards), `effects` (the ledger effects), `board`, `statistics`,
//! `public` (closed auctions' results) and `trader` (what the trader's pages need). They share
//! this module's imports; what one part uses of another is `pub(super)`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit::append_installation;
use super::idempotency::{finish, Idempotency};
use super::registry::sees_all;
use super::{App, AppError, Refusal};
use crate::domain::auction::{AwardStatus, BidStatus, DepositStatus};
use crate::domain::audit::to_micros;
use crate::domain::clearing::{self, Outcome};
use crate::domain::directory::OrgKind;
use crate::domain::ledger::{self, AuctionTerms};
use crate::domain::{FieldErrors, Msg, Role};
use crate::engine::ClockStatus;
use crate::engine::{Actor, LedgerOp, TransitionError};
use crate::msg;
use crate::store;
use crate::store::cases::CaseRow;
use crate::store::market::{AuctionRow, AwardRow, BidRow, DepositRow, ParticipantRow};

pub const AUCTION: &str = "auction";

mod bids;
mod board;
mod deposits;
pub(crate) mod effects;
mod lots;
mod participants;
mod public;
mod result;
mod statistics;
mod trader;

pub use bids::*;
pub use board::*;
pub use deposits::*;
pub(crate) use effects::{unpaid_awardees, Notice};
pub use lots::*;
pub use participants::*;
pub use public::*;
pub use result::*;
pub use statistics::*;
pub use trader::*;
