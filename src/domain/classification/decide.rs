//! Deciding a project's category from its items and the answers to their conditions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::parse::{ConditionKind, ProjectAction};
use super::{Edition, Tier};
use crate::domain::project::Category;

/// An answer to a condition: yes or no, or the project's size in the condition's unit (which
/// says the project is of the kind the condition describes).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Yes(bool),
    Size(f64),
}

/// One item of the catalogue the project falls under, with the answers given for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestItem {
    pub no: u32,
    #[serde(default)]
    pub answers: BTreeMap<String, Answer>,
}

/// What is asked: an edition (the one in force when left out), what the project does, and its
/// items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub edition: String,
    pub action: ProjectAction,
    pub items: Vec<RequestItem>,
}

/// What is wrong with a request, by field; each a code the reader's language words.
#[derive(Debug, Clone, PartialEq)]
pub enum ClassifyError {
    UnknownEdition(String),
    UnknownItem(u32),
    Invalid(Vec<Problem>),
}

/// One problem with a field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `items[0].answers.37.report.1`.
    pub field: String,
    pub code: ProblemCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemCode {
    NotAnObject,
    UnknownField,
    NoItems,
    ItemTwice,
    NotAnItemNumber,
    UnknownAction,
    NotAString,
    /// A condition id that is not one of this item's.
    NotThisItemsCondition,
    /// A number for a condition without a printed quantity.
    NoQuantityHere,
    NegativeQuantity,
    /// An answer for a condition the project's action decides.
    DecidedByAction,
    NotAnAnswer,
}

impl ProblemCode {
    /// The id of its message in the locale files (the API words it in English from there).
    pub fn message_id(self) -> &'static str {
        match self {
            ProblemCode::NotAnObject => "cls-err-not-an-object",
            ProblemCode::UnknownField => "cls-err-unknown-field",
            ProblemCode::NoItems => "cls-err-no-items",
            ProblemCode::ItemTwice => "cls-err-item-twice",
            ProblemCode::NotAnItemNumber => "cls-err-not-an-item-number",
            ProblemCode::UnknownAction => "cls-err-unknown-action",
            ProblemCode::NotAString => "cls-err-not-a-string",
            ProblemCode::NotThisItemsCondition => "cls-err-not-this-items-condition",
            ProblemCode::NoQuantityHere => "cls-err-no-quantity-here",
            ProblemCode::NegativeQuantity => "cls-err-negative-quantity",
            ProblemCode::DecidedByAction => "cls-err-decided-by-action",
            ProblemCode::NotAnAnswer => "cls-err-not-an-answer",
        }
    }
}

/// Why a condition is met or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Met {
    /// Answered yes.
    Yes,
    /// Answered no.
    No,
    /// A size inside the printed threshold.
    SizeInside,
    /// A size outside it.
    SizeOutside,
    /// A catch-all nobody said no to.
    CatchAll,
    /// Not answered: not met.
    Unanswered,
    /// The text names the project's action.
    Action,
    /// The text names another action than the project's.
    OtherAction,
}

impl Met {
    pub fn holds(self) -> bool {
        matches!(
            self,
            Met::Yes | Met::SizeInside | Met::CatchAll | Met::Action
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Met::Yes => "yes",
            Met::No => "no",
            Met::SizeInside => "size_inside",
            Met::SizeOutside => "size_outside",
            Met::CatchAll => "catch_all",
            Met::Unanswered => "unanswered",
            Met::Action => "action",
            Met::OtherAction => "other_action",
        }
    }
}

/// A condition as decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditionOutcome {
    pub id: String,
    pub tier: Tier,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
    pub met: bool,
    pub why: Met,
}

/// The condition that decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecidedBy {
    pub no: u32,
    pub tier: Tier,
    pub condition: String,
    /// The condition's official words.
    pub text: String,
}

/// An item as decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemOutcome {
    pub no: u32,
    pub name: String,
    /// `None`: this item does not bring the project under EIA management.
    pub category: Option<Category>,
    pub decided_by: Option<DecidedBy>,
    pub conditions: Vec<ConditionOutcome>,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decided {
    pub edition: String,
    pub action: ProjectAction,
    /// `None`: not covered (article 5).
    pub category: Option<Category>,
    pub decided_by: Option<DecidedBy>,
    pub items: Vec<ItemOutcome>,
}

impl Request {
    /// Reads a request from JSON, naming every bad field. `default_edition` is taken when the
    /// request names none.
    pub fn from_json(value: &Value, default_edition: &str) -> Result<Request, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, code| {
            problems.push(Problem {
                field: field.to_string(),
                code,
            })
        };
        let Some(map) = value.as_object() else {
            problem("body", ProblemCode::NotAnObject);
            return Err(problems);
        };
        for k in map.keys() {
            if !["edition", "action", "items"].contains(&k.as_str()) {
                problem(k, ProblemCode::UnknownField);
            }
        }
        let edition = match map.get("edition") {
            None | Some(Value::Null) => Some(default_edition.to_string()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                problem("edition", ProblemCode::NotAString);
                None
            }
        };
        let action = match map.get("action").and_then(Value::as_str) {
            Some(a) => ProjectAction::parse(a),
            None => None,
        };
        if action.is_none() {
            problem("action", ProblemCode::UnknownAction);
        }
        let mut items = Vec::new();
        match map.get("items").and_then(Value::as_array) {
            Some(list) if !list.is_empty() => {
                for (i, v) in list.iter().enumerate() {
                    let at = format!("items[{i}]");
                    let Some(m) = v.as_object() else {
                        problem(&at, ProblemCode::NotAnObject);
                        continue;
                    };
                    for k in m.keys() {
                        if k != "no" && k != "answers" {
                            problem(&format!("{at}.{k}"), ProblemCode::UnknownField);
                        }
                    }
                    let no = m
                        .get("no")
                        .and_then(Value::as_u64)
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| *n > 0);
                    let Some(no) = no else {
                        problem(&format!("{at}.no"), ProblemCode::NotAnItemNumber);
                        continue;
                    };
                    if items.iter().any(|x: &RequestItem| x.no == no) {
                        problem(&format!("{at}.no"), ProblemCode::ItemTwice);
                    }
                    let mut answers = BTreeMap::new();
                    match m.get("answers") {
                        None | Some(Value::Null) => {}
                        Some(Value::Object(a)) => {
                            for (id, v) in a {
                                let answer = match v {
                                    Value::Bool(b) => Some(Answer::Yes(*b)),
                                    Value::Number(n) => n.as_f64().map(Answer::Size),
                                    _ => None,
                                };
                                match answer {
                                    Some(a) => {
                                        answers.insert(id.clone(), a);
                                    }
                                    None => problem(
                                        &format!("{at}.answers.{id}"),
                                        ProblemCode::NotAnAnswer,
                                    ),
                                }
                            }
                        }
                        Some(_) => problem(&format!("{at}.answers"), ProblemCode::NotAnObject),
                    }
                    items.push(RequestItem { no, answers });
                }
            }
            _ => problem("items", ProblemCode::NoItems),
        }
        match (problems.is_empty(), edition, action) {
            (true, Some(edition), Some(action)) => Ok(Request {
                edition,
                action,
                items,
            }),
            _ => Err(problems),
        }
    }
}

/// Decides the category of a project: per item the first met condition of the report, report
/// form and registration cells in that order; over the items the highest category (art. 4).
/// Unanswered catch-alls count as met, other unanswered conditions as not met.
pub fn decide(edition: &Edition, request: &Request) -> Result<Decided, ClassifyError> {
    if request.edition != edition.edition {
        return Err(ClassifyError::UnknownEdition(request.edition.clone()));
    }
    let mut problems = Vec::new();
    if request.items.is_empty() {
        problems.push(Problem {
            field: "items".into(),
            code: ProblemCode::NoItems,
        });
    }
    let mut outcomes = Vec::new();
    for (i, asked) in request.items.iter().enumerate() {
        let item = edition
            .item(asked.no)
            .ok_or(ClassifyError::UnknownItem(asked.no))?;
        if request.items[..i].iter().any(|x| x.no == asked.no) {
            problems.push(Problem {
                field: format!("items[{i}].no"),
                code: ProblemCode::ItemTwice,
            });
        }
        for (id, answer) in &asked.answers {
            let field = format!("items[{i}].answers.{id}");
            let Some(c) = item.condition(id) else {
                problems.push(Problem {
                    field,
                    code: ProblemCode::NotThisItemsCondition,
                });
                continue;
            };
            let code = match (&c.kind, answer) {
                (ConditionKind::Action, _) => Some(ProblemCode::DecidedByAction),
                (ConditionKind::Threshold { .. }, Answer::Size(n)) if *n < 0.0 => {
                    Some(ProblemCode::NegativeQuantity)
                }
                (ConditionKind::Threshold { .. }, _) | (_, Answer::Yes(_)) => None,
                (_, Answer::Size(_)) => Some(ProblemCode::NoQuantityHere),
            };
            if let Some(code) = code {
                problems.push(Problem { field, code });
            }
        }
        let mut conditions = Vec::new();
        let mut decided_by = None;
        for (tier, c) in item.conditions() {
            let answer = asked.answers.get(&c.id).copied();
            let why = if !c.actions.is_empty() && !c.actions.contains(&request.action) {
                Met::OtherAction
            } else {
                match (&c.kind, answer) {
                    (ConditionKind::Action, _) => Met::Action,
                    (ConditionKind::CatchAll { .. }, None) => Met::CatchAll,
                    (ConditionKind::Threshold { threshold }, Some(Answer::Size(n))) => {
                        if threshold.holds(n) {
                            Met::SizeInside
                        } else {
                            Met::SizeOutside
                        }
                    }
                    (_, Some(Answer::Yes(true))) => Met::Yes,
                    (_, Some(Answer::Yes(false))) => Met::No,
                    (_, Some(Answer::Size(_))) => Met::No,
                    (_, None) => Met::Unanswered,
                }
            };
            if why.holds() && decided_by.is_none() {
                decided_by = Some(DecidedBy {
                    no: item.no,
                    tier,
                    condition: c.id.clone(),
                    text: c.text.clone(),
                });
            }
            conditions.push(ConditionOutcome {
                id: c.id.clone(),
                tier,
                text: c.text.clone(),
                answer,
                met: why.holds(),
                why,
            });
        }
        outcomes.push(ItemOutcome {
            no: item.no,
            name: item.name.clone(),
            category: decided_by.as_ref().map(|d| d.tier.category()),
            decided_by,
            conditions,
        });
    }
    if !problems.is_empty() {
        return Err(ClassifyError::Invalid(problems));
    }
    // The highest category wins; among equals, the first item named.
    let winner = outcomes
        .iter()
        .filter(|o| o.category.is_some())
        .min_by_key(|o| o.decided_by.as_ref().map(|d| d.tier));
    Ok(Decided {
        edition: edition.edition.clone(),
        action: request.action,
        category: winner.and_then(|o| o.category),
        decided_by: winner.and_then(|o| o.decided_by.clone()),
        items: outcomes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn edition() -> Edition {
        Edition::parse(
            "2021.toml",
            include_str!("../../../workflows/classification/2021.toml"),
        )
        .expect("shipped")
    }

    fn ask(e: &Edition, v: Value) -> Result<Decided, ClassifyError> {
        let r = Request::from_json(&v, "2021").map_err(ClassifyError::Invalid)?;
        decide(e, &r)
    }

    fn category(e: &Edition, v: Value) -> Option<&'static str> {
        ask(e, v).expect("decided").category.map(Category::as_str)
    }

    #[test]
    fn a_paper_mill_needs_a_report_and_hand_made_paper_a_report_form() {
        let e = edition();
        let d = ask(&e, json!({"action": "new", "items": [{"no": 37}]})).expect("decided");
        assert_eq!(d.category, Some(Category::Report));
        let by = d.decided_by.expect("decided by");
        assert_eq!(
            (by.no, by.tier, by.condition.as_str()),
            (37, Tier::Report, "37.report.1")
        );
        assert_eq!(by.text, "全部（手工纸、加工纸制造除外）");
        assert_eq!(d.items[0].conditions[0].why, Met::CatchAll);
        let hand_made = json!({"action": "new", "items": [{"no": 37, "answers": {"37.report.1": false, "37.report_form.1": true}}]});
        assert_eq!(category(&e, hand_made), Some("report_form"));
        // Other converted paper: not covered by this item.
        let other =
            json!({"action": "new", "items": [{"no": 37, "answers": {"37.report.1": false}}]});
        assert_eq!(category(&e, other), None);
    }

    #[test]
    fn dyeing_gas_power_and_dangerous_goods_read_as_the_law_prints_them() {
        let e = edition();
        let dyeing =
            json!({"action": "new", "items": [{"no": 28, "answers": {"28.report.2": true}}]});
        assert_eq!(category(&e, dyeing), Some("report"));
        let gas = json!({"action": "new", "items": [{"no": 87, "answers": {"87.report.1": false, "87.report_form.1": true}}]});
        assert_eq!(category(&e, gas), Some("report_form"));
        let oil =
            json!({"action": "new", "items": [{"no": 149, "answers": {"149.report.1": 250000}}]});
        assert_eq!(category(&e, oil), Some("report"));
        let small =
            json!({"action": "new", "items": [{"no": 149, "answers": {"149.report.1": 199999}}]});
        assert_eq!(category(&e, small), Some("report_form"));
    }

    #[test]
    fn a_hospital_is_decided_by_its_beds() {
        let e = edition();
        let beds = |n: f64, catch_all: Option<bool>| {
            let mut answers = json!({"108.report.1": n});
            if let Some(b) = catch_all {
                answers["108.report_form.1"] = json!(b);
            }
            answers["108.registration.1"] = json!(n);
            category(
                &e,
                json!({"action": "new", "items": [{"no": 108, "answers": answers}]}),
            )
        };
        assert_eq!(beds(500.0, None), Some("report"));
        assert_eq!(beds(499.0, None), Some("report_form"));
        assert_eq!(beds(100.0, None), Some("report_form"));
        // Under 20 beds the report form's exception applies: the applicant says so.
        assert_eq!(beds(19.0, Some(false)), Some("registration"));
        assert_eq!(beds(20.0, Some(false)), None);
        // 新建、扩建: a rebuild of 600 beds is not caught by the report cell.
        let rebuild =
            json!({"action": "rebuild", "items": [{"no": 108, "answers": {"108.report.1": 600}}]});
        let d = ask(&e, rebuild).expect("decided");
        assert_eq!(d.items[0].conditions[0].why, Met::OtherAction);
        assert_eq!(d.category, Some(Category::ReportForm));
    }

    #[test]
    fn the_highest_category_over_several_items_wins() {
        let e = edition();
        let two = json!({"action": "new", "items": [
            {"no": 95, "answers": {"95.report.1": 800, "95.report_form.1": 800}},
            {"no": 37}
        ]});
        let d = ask(&e, two).expect("decided");
        assert_eq!(d.category, Some(Category::Report));
        assert_eq!(d.decided_by.map(|b| b.no), Some(37));
        assert_eq!(d.items[0].category, Some(Category::ReportForm));
    }

    #[test]
    fn actions_decide_conditions_that_only_name_actions() {
        let e = edition();
        assert_eq!(
            category(&e, json!({"action": "new", "items": [{"no": 109}]})),
            Some("report")
        );
        // 109's report form is 其他: a rebuild of a disease-control centre.
        assert_eq!(
            category(&e, json!({"action": "rebuild", "items": [{"no": 109}]})),
            Some("report_form")
        );
        assert_eq!(
            category(
                &e,
                json!({"action": "decommissioning", "items": [{"no": 167}]})
            ),
            Some("report")
        );
    }

    #[test]
    fn bad_requests_are_named_field_by_field() {
        let e = edition();
        let codes = |v: Value| match ask(&e, v) {
            Err(ClassifyError::Invalid(p)) => p.into_iter().map(|p| (p.field, p.code)).collect(),
            other => panic!("{other:?}"),
        };
        let p: Vec<_> = codes(
            json!({"action": "new", "items": [{"no": 37, "answers": {"28.report.1": true}}]}),
        );
        assert_eq!(
            p,
            vec![(
                "items[0].answers.28.report.1".to_string(),
                ProblemCode::NotThisItemsCondition
            )]
        );
        let p: Vec<_> = codes(
            json!({"action": "new", "items": [{"no": 37, "answers": {"37.report_form.1": 5}}]}),
        );
        assert_eq!(p[0].1, ProblemCode::NoQuantityHere);
        let p: Vec<_> = codes(
            json!({"action": "new", "items": [{"no": 108, "answers": {"108.report.1": -1}}]}),
        );
        assert_eq!(p[0].1, ProblemCode::NegativeQuantity);
        let p: Vec<_> = codes(json!({"action": "new", "items": []}));
        assert_eq!(p[0].1, ProblemCode::NoItems);
        let p: Vec<_> = codes(json!({"action": "sideways", "items": [{"no": 1}]}));
        assert_eq!(p[0].1, ProblemCode::UnknownAction);
        let p: Vec<_> = codes(
            json!({"action": "new", "items": [{"no": 109, "answers": {"109.report.1": true}}]}),
        );
        assert_eq!(p[0].1, ProblemCode::DecidedByAction);
        assert_eq!(
            ask(&e, json!({"action": "new", "items": [{"no": 174}]})),
            Err(ClassifyError::UnknownItem(174))
        );
        assert_eq!(
            ask(
                &e,
                json!({"edition": "2017", "action": "new", "items": [{"no": 1}]})
            ),
            Err(ClassifyError::UnknownEdition("2017".into()))
        );
    }

    #[test]
    fn thresholds_hold_at_their_bounds_in_every_unit() {
        let e = edition();
        // (condition, at the bound, just below, just above) -> met?
        let cases: &[(&str, f64, bool, bool, bool)] = &[
            ("3.report.1", 5000.0, true, false, true),            // 头
            ("4.report.1", 1000.0, true, false, true),            // 亩
            ("4.report_form.1", 300.0, true, false, true),        // 亩, a range's lower end
            ("4.report_form.1", 1000.0, false, true, false),      // and its upper end
            ("8.report.2", 1e8, true, false, true),               // 亿立方米
            ("17.report.1", 1000.0, true, false, true),           // 吨
            ("25.report_form.1", 0.0, true, true, true),          // a catch-all has no bound
            ("34.report.1", 200_000.0, true, false, true),        // 万立方米
            ("59.report_form.2", 1_500_000.0, true, false, true), // 万件
            ("88.report.1", 1000.0, true, false, true),           // 千瓦
            ("90.report.1", 50_000.0, true, false, true),         // 万千瓦
            ("91.report.1", 65.0, false, false, true),            // 吨/小时, strict (paired)
            ("91.report_form.1", 65.0, true, true, false),        // 及以下
            ("105.report_form.1", 150.0, true, false, true),      // 吨 per day
            ("108.report.1", 500.0, true, false, true),           // 张
            ("108.registration.1", 20.0, false, true, false),     // 以下, 不含
            ("110.report_form.1", 0.0, true, true, true),         // a question: answered yes
            ("121.report_form.1", 5000.0, true, false, true),     // 平方米
            ("130.report.1", 30.0, false, false, true),           // 公里（不含）以上
            ("139.report.1", 1000.0, true, false, true),          // 吨级
            ("146.registration.1", 0.0, true, true, true),        // 其他
            ("151.report.1", 20.0, true, false, true),            // 兆瓦
            ("161.report.1", 500.0, true, false, true),           // 千伏
        ];
        for &(id, bound, at, below, above) in cases {
            let no: u32 = id
                .split('.')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("no");
            let item = e.item(no).expect("item");
            let c = item.condition(id).expect(id);
            let met = |size: f64| -> bool {
                let answer = match c.kind {
                    ConditionKind::Threshold { .. } => json!(size),
                    _ => json!(true),
                };
                let d = ask(
                    &e,
                    json!({"action": "new", "items": [{"no": no, "answers": {id: answer}}]}),
                )
                .expect(id);
                d.items[0]
                    .conditions
                    .iter()
                    .find(|x| x.id == id)
                    .expect(id)
                    .met
            };
            let step = if bound >= 1000.0 { 1.0 } else { 0.1 };
            assert_eq!(met(bound), at, "{id} at {bound}");
            if bound > 0.0 {
                assert_eq!(met(bound - step), below, "{id} below {bound}");
            }
            assert_eq!(met(bound + step), above, "{id} above {bound}");
        }
    }
}
