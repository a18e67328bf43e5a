//! The EIA classification catalogue (建设项目环境影响评价分类管理名录) as data, and the category it
//! decides for a project. Pure.
//!
//! An edition is one file under `workflows/classification/`: its articles, its notes, the named
//! types of environmentally sensitive area (article 3) and every item with its three cells
//! verbatim. The cells are read into conditions here ([`parse`]), so the legal text stays the
//! only source: a condition is a catch-all, a quantity threshold or range, the item's sensitive
//! area, an action the text names, or a yes/no question in the official words. Deciding
//! ([`decide`]) checks the report cell, then the report form, then the registration form; the
//! first condition met decides an item, and the highest category over the items decides the
//! project (article 4).

mod decide;
mod edition;
pub mod parse;

pub use decide::{
    decide, Answer, ClassifyError, ConditionOutcome, Decided, DecidedBy, ItemOutcome, Met, Problem,
    ProblemCode, Request, RequestItem,
};
pub use edition::{AreaType, Catalogues, Edition, Item, ItemCode, SensitiveAreas};
pub use parse::{Bound, Condition, ConditionKind, ProjectAction, Threshold};

use serde::{Deserialize, Serialize};

use super::project::Category;

/// One of an item's three cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 报告书.
    Report,
    /// 报告表.
    ReportForm,
    /// 登记表.
    Registration,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Report, Tier::ReportForm, Tier::Registration];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Report => "report",
            Tier::ReportForm => "report_form",
            Tier::Registration => "registration",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The category a condition of this cell decides.
    pub fn category(self) -> Category {
        match self {
            Tier::Report => Category::Report,
            Tier::ReportForm => Category::ReportForm,
            Tier::Registration => Category::Registration,
        }
    }
}

/// The workflow that handles a category.
pub fn workflow_for(category: Category) -> &'static str {
    match category {
        Category::Report => "eia_report",
        Category::ReportForm => "eia_report_form",
        Category::Registration => "eia_registration",
    }
}
