//! sea-orm entities: plain data, one module per table. No business rules live here.

pub mod audit_entry;
pub mod case;
pub mod idempotency_key;
pub mod workflow_definition;
