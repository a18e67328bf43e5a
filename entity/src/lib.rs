//! sea-orm entities: plain data, one module per table. No business rules live here.

pub mod account;
pub mod agency_grant;
pub mod audit_entry;
pub mod balance;
pub mod calendar_year;
pub mod case;
pub mod case_clock;
pub mod clock_segment;
pub mod counter;
pub mod document;
pub mod idempotency_key;
pub mod organisation;
pub mod outbox_message;
pub mod payment;
pub mod posting;
pub mod timer;
pub mod user;
pub mod workflow_definition;
