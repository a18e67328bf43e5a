//! What a workflow publishes: the notices the law requires, declared in the workflow file
//! (`[[publish]]`), never coded per workflow. A publication names the actions that open it, the
//! case-data fields and documents it shows, the earlier decision whose payload fields it shows,
//! and the clock whose run is its period (during which the public may comment).

use serde::{Deserialize, Serialize};

use super::definition::Action;

/// The kinds of notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 受理公示: the application was accepted (or deemed accepted).
    Acceptance,
    /// 拟审批公示: the proposed decision, with the right to a hearing.
    ProposedDecision,
    /// 审批决定公告: the decision, with the rights of review and suit.
    Decision,
    /// 登记表备案: a registration form was filed.
    Filing,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 4] = [
        NoticeKind::Acceptance,
        NoticeKind::ProposedDecision,
        NoticeKind::Decision,
        NoticeKind::Filing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Acceptance => "acceptance",
            NoticeKind::ProposedDecision => "proposed_decision",
            NoticeKind::Decision => "decision",
            NoticeKind::Filing => "filing",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPublication {
    notice: NoticeKind,
    on: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    documents: Vec<String>,
    #[serde(default)]
    decision: Vec<String>,
    #[serde(default)]
    payload: Vec<String>,
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    comments: bool,
}

/// A notice a workflow publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    pub notice: NoticeKind,
    /// The actions that publish it.
    pub on: Vec<String>,
    /// The case-data fields it shows; nothing else of the case's data is public.
    pub fields: Vec<String>,
    /// The documents it shows, by name (the latest version when it is published).
    pub documents: Vec<String>,
    /// The actions whose latest entry is the decision it shows (the publishing action itself
    /// may be one of them).
    pub decision: Vec<String>,
    /// The fields of that decision's payload it shows.
    pub payload: Vec<String>,
    /// The clock whose run is its period.
    pub period: Option<String>,
    /// Whether the public may comment during the period.
    pub comments: bool,
}

/// Checks and compiles the `[[publish]]` entries. `schema_fields` are the case-data fields the
/// workflow's schema knows (`None`: not checked).
pub(super) fn compile(
    raw: Vec<RawPublication>,
    schema_fields: Option<&[&str]>,
    actions: &[Action],
    clocks: &[String],
    err: &mut dyn FnMut(String),
) -> Vec<Publication> {
    let mut seen_actions: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (i, p) in raw.into_iter().enumerate() {
        let at = format!("publish (entry {}, {})", i + 1, p.notice.as_str());
        if p.on.is_empty() {
            err(format!("{at}: `on` names no action"));
        }
        for name in p.on.iter().chain(&p.decision) {
            if !actions.iter().any(|a| &a.name == name) {
                err(format!("{at}: unknown action `{name}`"));
            }
        }
        for name in &p.on {
            if seen_actions.contains(name) {
                err(format!("{at}: action `{name}` already publishes a notice"));
            }
        }
        seen_actions.extend(p.on.iter().cloned());
        if let Some(known) = schema_fields {
            for f in p.fields.iter().filter(|f| !known.contains(&f.as_str())) {
                err(format!("{at}: `{f}` is not a field of the case data"));
            }
        }
        for f in &p.payload {
            let named = actions
                .iter()
                .filter(|a| p.decision.contains(&a.name))
                .any(|a| a.payload.iter().any(|(n, _)| n == f));
            if !named {
                err(format!(
                    "{at}: payload field `{f}` is taken by none of the `decision` actions"
                ));
            }
        }
        match &p.period {
            Some(c) if !clocks.contains(c) => err(format!("{at}: unknown clock `{c}`")),
            None if p.comments => err(format!("{at}: comments need a `period` clock")),
            _ => {}
        }
        out.push(Publication {
            notice: p.notice,
            on: p.on,
            fields: p.fields,
            documents: p.documents,
            decision: p.decision,
            payload: p.payload,
            period: p.period,
            comments: p.comments,
        });
    }
    out
}
