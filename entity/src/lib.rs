//! sea-orm entities: plain data, one module per table. No business rules live here.

pub mod account;
pub mod agency_grant;
pub mod auction;
pub mod audit_entry;
pub mod award;
pub mod balance;
pub mod bid;
pub mod calendar_year;
pub mod case;
pub mod case_clock;
pub mod clock_segment;
pub mod counter;
pub mod deposit;
pub mod document;
pub mod idempotency_key;
pub mod licence_item;
pub mod licence_item_change;
pub mod market_participant;
pub mod organisation;
pub mod outbox_message;
pub mod payment;
pub mod posting;
pub mod siting_check;
pub mod timer;
pub mod user;
pub mod workflow_definition;
