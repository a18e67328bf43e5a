//! The pure workflow engine: definitions as data, and the decision of one action.
//!
//! Architecture invariant: nothing here does IO, reads a clock or draws random numbers.
//! Time comes in as an argument; effects go out as data ([`Effect`]).

pub mod bpmn;
pub mod definition;
pub mod graph;
pub mod machine;
pub mod publication;

pub use definition::{
    Action, ChecklistOp, Clock, ClockStatus, DataSchema, DayType, Definition, DefinitionError,
    FieldKind, LedgerOp, Notify, State, Title,
};
pub use machine::{
    allowed_actions, decide, validate_new_case, Actor, CaseView, Effect, Step, Transition,
    TransitionError,
};
pub use publication::{NoticeKind, Publication};

#[cfg(test)]
mod tests;
