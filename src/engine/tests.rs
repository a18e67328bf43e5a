use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::domain::{Role, RoleSet};

const REPORT_FORM: &str = include_str!("../../workflows/eia_report_form.toml");

fn report_form() -> Definition {
    Definition::parse("eia_report_form.toml", REPORT_FORM).expect("shipped definition is valid")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
        .single()
        .expect("valid time")
}

fn person(subject: &str, roles: &[Role]) -> Actor {
    Actor::person(subject, "ORG", roles.iter().copied().collect())
}

fn project() -> Value {
    json!({
        "project_name": "Changshou chemical park boiler",
        "credit_code": "91350100M000100Y43",
        "industry_code": "C2614",
        "location": {"type": "Point", "coordinates": [107.08, 29.83]},
        "investment_fen": 450_000_000,
        "category": "report_form"
    })
}

/// Parses a definition that differs from a minimal valid one by `extra`.
fn minimal(extra: &str) -> Result<Definition, DefinitionError> {
    let source = format!(
        r#"
key = "mini"
version = 1
title = {{ en = "Minimal", zh = "最简" }}
initial = "open"
{extra}
[states.open]
title = {{ en = "Open", zh = "办理中" }}
[states.done]
title = {{ en = "Done", zh = "办结" }}
terminal = true

[[actions]]
name = "close"
title = {{ en = "Close", zh = "办结" }}
from = ["open"]
to = "done"
roles = ["reviewer"]
"#
    );
    Definition::parse("mini.toml", &source)
}

// ------------------------------------------------------------------ validation

#[test]
fn the_minimal_definition_is_valid() {
    assert!(minimal("").is_ok());
}

#[test]
fn refuses_a_title_missing_a_language_and_names_each_one() {
    let source = r#"
key = "w"
version = 1
title = "Only English"
initial = "a"
[states.a]
title = { en = "A", zh = "" }
[states.end]
title = { en = "End", zh = "结束" }
terminal = true
[[actions]]
name = "go"
title = { en = "Go", zh = "办理" }
from = ["a"]
to = "end"
roles = ["reviewer"]
payload.grounds = { kind = "list", title = { en = "Grounds", zh = "理由" }, allowed = ["x", "y"], labels.x = { en = "X", zh = "甲" } }
"#;
    let err = Definition::parse("w.toml", source).expect_err("must be refused");
    let all = err.messages.join("\n");
    for expected in [
        "w.toml: workflow: title needs both languages",
        "w.toml: state `a`: title needs both languages",
        "w.toml: action `go` (entry 1): payload field `grounds`: allowed value `y`: title is missing",
    ] {
        assert!(all.contains(expected), "expected `{expected}` in:\n{all}");
    }
    assert!(!all.contains("state `end`"), "{all}");
    // A version stored before titles had two languages is still read, its title in both.
    let stored = Definition::parse_stored("w.toml", source).expect("stored versions are read");
    assert_eq!(
        stored.title.get(crate::domain::directory::Lang::Zh),
        "Only English"
    );
}

#[test]
fn titles_come_in_the_asked_language() {
    let def = report_form();
    use crate::domain::directory::Lang;
    assert_eq!(
        def.state_title("submitted", Lang::En),
        "Submitted: acceptance check"
    );
    assert_eq!(def.state_title("submitted", Lang::Zh), "已提交：受理审查");
    assert_eq!(def.action_title("accept", Lang::Zh), "予以受理");
    assert_eq!(def.state_title("nowhere", Lang::Zh), "nowhere");
}

#[test]
fn a_refusal_is_announced_as_a_refusal() {
    let def = report_form();
    use crate::domain::directory::Lang;
    assert_eq!(
        def.transition_title("announce", "refused", Lang::Zh),
        "公告不予批准决定"
    );
    assert_eq!(
        def.transition_title("announce", "approved", Lang::Zh),
        "公告批准决定"
    );
    assert_eq!(
        def.transition_title("announce", "refused", Lang::En),
        "Announce the refusal"
    );
    assert_eq!(
        def.titles_of("announce", Lang::En),
        vec!["Announce the approval", "Announce the refusal"]
    );
    // A name with a title on one transition and none on another is refused.
    let untitled = REPORT_FORM.replacen(
        "title = { en = \"Announce the refusal\", zh = \"公告不予批准决定\" }\n",
        "",
        1,
    );
    refused(
        &untitled,
        "action `announce` is declared with a title and without one",
    );
}

fn refused(source: &str, expected: &str) {
    let err = Definition::parse("bad.toml", source).expect_err("must be refused");
    let all = err.messages.join("\n");
    assert!(
        err.messages.iter().all(|m| m.starts_with("bad.toml: ")),
        "every message names the file: {all}"
    );
    assert!(all.contains(expected), "expected `{expected}` in:\n{all}");
}

const BASE: &str = r#"
key = "w"
version = 1
title = "W"
initial = "a"
"#;

#[test]
fn refuses_an_unreachable_state() {
    refused(
        &format!(
            "{BASE}[states.a]\n[states.b]\n[states.lost]\n[states.end]\nterminal = true\n\
             [[actions]]\nname = \"go\"\nfrom = [\"a\"]\nto = \"end\"\nroles = [\"reviewer\"]\n\
             [[actions]]\nname = \"on\"\nfrom = [\"lost\", \"b\"]\nto = \"end\"\nroles = [\"reviewer\"]\n"
        ),
        "state `lost` is unreachable from `a`",
    );
}

#[test]
fn refuses_a_dead_end() {
    refused(
        &format!(
            "{BASE}[states.a]\n[states.stuck]\n[states.end]\nterminal = true\n\
             [[actions]]\nname = \"go\"\nfrom = [\"a\"]\nto = \"stuck\"\nroles = [\"reviewer\"]\n\
             [[actions]]\nname = \"end\"\nfrom = [\"a\"]\nto = \"end\"\nroles = [\"reviewer\"]\n\
             [[actions]]\nname = \"poke\"\nfrom = [\"stuck\"]\nroles = [\"reviewer\"]\n"
        ),
        "state `stuck` is not terminal but has no way out",
    );
}

#[test]
fn refuses_an_unknown_role() {
    refused(
        &format!(
            "{BASE}[states.a]\n[states.end]\nterminal = true\n\
             [[actions]]\nname = \"go\"\nfrom = [\"a\"]\nto = \"end\"\nroles = [\"janitor\"]\n"
        ),
        "action `go` (entry 1): unknown role `janitor`",
    );
    refused(
        &format!(
            "{BASE}[states.a]\n[states.end]\nterminal = true\n\
             [[actions]]\nname = \"go\"\nfrom = [\"a\"]\nto = \"end\"\nroles = [\"system\"]\n"
        ),
        "`system` is not a role",
    );
}

#[test]
fn refuses_an_action_into_an_unknown_state() {
    refused(
        &format!(
            "{BASE}[states.a]\n[states.end]\nterminal = true\n\
             [[actions]]\nname = \"go\"\nfrom = [\"a\"]\nto = \"end\"\nroles = [\"reviewer\"]\n\
             [[actions]]\nname = \"jump\"\nfrom = [\"a\"]\nto = \"nowhere\"\nroles = [\"reviewer\"]\n"
        ),
        "action `jump` (entry 2): into unknown state `nowhere`",
    );
}

#[test]
fn refuses_one_action_name_twice_from_one_state() {
    refused(
        &format!(
            "{BASE}[states.a]\n[states.b]\nterminal = true\n[states.end]\nterminal = true\n\
             [[actions]]\nname = \"go\"\nfrom = [\"a\"]\nto = \"end\"\nroles = [\"reviewer\"]\n\
             [[actions]]\nname = \"go\"\nfrom = [\"a\"]\nto = \"b\"\nroles = [\"reviewer\"]\n"
        ),
        "action `go` is declared twice from state `a`",
    );
}

#[test]
fn refuses_a_clock_without_an_expiry_action() {
    refused(
        &format!(
            "{BASE}[clocks.limit]\nlimit_days = 5\n\
             [states.a]\nrun = [\"limit\"]\n[states.end]\nterminal = true\n\
             [[actions]]\nname = \"go\"\nfrom = [\"a\"]\nto = \"end\"\nroles = [\"reviewer\"]\n"
        ),
        "clock `limit` has no expiry action (on_expiry)",
    );
    refused(
        &format!(
            "{BASE}[clocks.limit]\nlimit_days = 5\non_expiry = \"go\"\n\
             [states.a]\nrun = [\"limit\"]\n[states.end]\nterminal = true\n\
             [[actions]]\nname = \"go\"\nfrom = [\"a\"]\nto = \"end\"\nroles = [\"reviewer\"]\n"
        ),
        "clock `limit` runs in state `a` but its expiry action `go` cannot be fired there by a deadline",
    );
}

#[test]
fn refuses_actions_out_of_terminal_states_and_bad_toml() {
    refused(
        &format!(
            "{BASE}[states.a]\n[states.end]\nterminal = true\n\
             [[actions]]\nname = \"go\"\nfrom = [\"a\"]\nto = \"end\"\nroles = [\"reviewer\"]\n\
             [[actions]]\nname = \"reopen\"\nfrom = [\"end\"]\nto = \"a\"\nroles = [\"reviewer\"]\n"
        ),
        "state `end` is terminal and accepts no action",
    );
    refused("key = ", "bad.toml: ");
    refused(
        &format!("{BASE}colour = \"green\"\n[states.a]\n"),
        "unknown field `colour`",
    );
}

// ------------------------------------------------------------------ decisions

#[test]
fn the_report_form_walks_from_draft_to_announcement() {
    let def = report_form();
    let applicant = person("ann@acme.example", &[Role::Applicant]);
    let reviewer = person("rui@bureau.example", &[Role::Reviewer]);
    let steps: Vec<(&Actor, &str, Value, &str)> = vec![
        (&applicant, "submit", json!({}), "submitted"),
        (
            &reviewer,
            "request_supplement",
            json!({"missing_items": ["site plan", "noise survey"]}),
            "supplement",
        ),
        (
            &applicant,
            "resubmit",
            json!({"project_name": "Changshou boiler, revised"}),
            "submitted",
        ),
        (&reviewer, "accept", json!({}), "publicity"),
        (&reviewer, "end_publicity", json!({}), "publicity"),
    ];
    let mut state = "draft".to_string();
    let mut data = project();
    let mut history: Vec<Step> = Vec::new();
    for (actor, action, payload, expected) in steps {
        let case = CaseView {
            state: &state,
            data: &data,
            history: &history,
        };
        match decide(&def, case, actor, action, &payload, now()) {
            Ok(t) => {
                for e in &t.effects {
                    if let Effect::ReplaceData(d) = e {
                        data = d.clone();
                    }
                }
                history.push(Step {
                    action: t.action,
                    actor: actor.subject.clone(),
                    at: now(),
                    payload: Value::Null,
                });
                state = t.to;
            }
            Err(TransitionError::Forbidden { action, .. }) => assert_eq!(action, "end_publicity"),
            Err(e) => panic!("{action}: {e}"),
        }
        assert_eq!(state, expected, "after {action}");
    }
    assert_eq!(data["project_name"], "Changshou boiler, revised");
    // Only a deadline ends the publicity.
    let t = decide(
        &def,
        CaseView {
            state: &state,
            data: &data,
            history: &history,
        },
        &Actor::system(),
        "end_publicity",
        &json!({}),
        now(),
    )
    .expect("system fires deadlines");
    assert_eq!(t.to, "evaluation");
    // Entering evaluation pauses the statutory clock (the promised one stands still since the
    // publicity began) and stops the publicity one.
    let clocks: Vec<(String, ClockStatus)> = t
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Clock { clock, to, .. } => Some((clock.clone(), *to)),
            _ => None,
        })
        .collect();
    assert_eq!(
        clocks,
        vec![
            ("acceptance_publicity".to_string(), ClockStatus::Stopped),
            ("statutory".to_string(), ClockStatus::Paused),
        ]
    );
}

#[test]
fn deemed_acceptance_starts_the_statutory_clocks_on_the_day_of_receipt() {
    let def = report_form();
    let data = project();
    let received = Utc
        .with_ymd_and_hms(2020, 1, 16, 2, 0, 0)
        .single()
        .expect("time");
    let resubmitted = Utc
        .with_ymd_and_hms(2020, 1, 17, 2, 0, 0)
        .single()
        .expect("time");
    let history = [
        Step {
            action: "submit".into(),
            actor: "ann".into(),
            at: received,
            payload: Value::Null,
        },
        Step {
            action: "request_supplement".into(),
            actor: "rui".into(),
            at: received,
            payload: Value::Null,
        },
        Step {
            action: "resubmit".into(),
            actor: "ann".into(),
            at: resubmitted,
            payload: Value::Null,
        },
    ];
    let case = CaseView {
        state: "submitted",
        data: &data,
        history: &history,
    };
    let t = decide(
        &def,
        case,
        &Actor::system(),
        "deem_accepted",
        &json!({}),
        now(),
    )
    .expect("deadline fires");
    let starts: Vec<(String, ClockStatus, ClockStatus, DateTime<Utc>)> = t
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Clock {
                clock,
                from,
                to,
                at,
            } => Some((clock.clone(), *from, *to, *at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        starts,
        vec![
            (
                "acceptance_check".to_string(),
                ClockStatus::Running,
                ClockStatus::Stopped,
                now()
            ),
            (
                "acceptance_publicity".to_string(),
                ClockStatus::Stopped,
                ClockStatus::Running,
                now()
            ),
            // The promised limit counts the days of the acceptance check, then stops for the
            // publicity.
            (
                "promised".to_string(),
                ClockStatus::Stopped,
                ClockStatus::Running,
                resubmitted
            ),
            (
                "promised".to_string(),
                ClockStatus::Running,
                ClockStatus::Paused,
                now()
            ),
            (
                "statutory".to_string(),
                ClockStatus::Stopped,
                ClockStatus::Running,
                resubmitted
            ),
        ]
    );
    // An ordinary acceptance starts them now.
    let reviewer = person("rui2", &[Role::Reviewer]);
    let t = decide(&def, case, &reviewer, "accept", &json!({}), now()).expect("accepted");
    assert!(t.effects.iter().all(|e| match e {
        Effect::Clock { at, .. } => *at == now(),
        _ => true,
    }));
    assert!(t.effects.contains(&Effect::Notify {
        kind: "accepted".into(),
        roles: RoleSet::parse(&["applicant", "agency"]).expect("roles"),
    }));
}

#[test]
fn precise_errors() {
    let def = report_form();
    let data = project();
    let draft = CaseView {
        state: "draft",
        data: &data,
        history: &[],
    };
    let applicant = person("ann", &[Role::Applicant]);
    let reviewer = person("rui", &[Role::Reviewer]);

    assert_eq!(
        decide(&def, draft, &applicant, "approve", &json!({}), now()),
        Err(TransitionError::NotAllowed {
            state: "draft".into(),
            action: "approve".into()
        })
    );
    assert!(matches!(
        decide(&def, draft, &reviewer, "submit", &json!({}), now()),
        Err(TransitionError::Forbidden { .. })
    ));
    assert!(matches!(
        decide(&def, draft, &Actor::system(), "submit", &json!({}), now()),
        Err(TransitionError::Forbidden { .. })
    ));

    let history = [Step {
        action: "propose_refusal".into(),
        actor: "rui".into(),
        at: now(),
        payload: Value::Null,
    }];
    let both = person("rui", &[Role::Reviewer, Role::Approver]);
    let deciding = CaseView {
        state: "decision",
        data: &data,
        history: &history,
    };
    assert_eq!(
        decide(
            &def,
            deciding,
            &both,
            "refuse",
            &json!({"grounds": ["emissions"]}),
            now()
        ),
        Err(TransitionError::SameActor {
            action: "refuse".into(),
            earlier_action: "propose_refusal".into()
        })
    );
    let other = person("amy", &[Role::Approver]);
    let Err(TransitionError::InvalidPayload(errors)) = decide(
        &def,
        deciding,
        &other,
        "refuse",
        &json!({"grounds": [], "colour": 1}),
        now(),
    ) else {
        panic!("a refusal without grounds is refused");
    };
    assert_eq!(errors.ids("grounds"), ["err-at-least-items"]);
    assert_eq!(errors.0["grounds"][0].args, [("min", "1".to_string())]);
    assert_eq!(errors.ids("colour"), ["err-unknown-field"]);
    let Err(TransitionError::InvalidPayload(errors)) = decide(
        &def,
        deciding,
        &other,
        "refuse",
        &json!({"grounds": ["bad_weather"]}),
        now(),
    ) else {
        panic!("unknown grounds are refused");
    };
    assert_eq!(errors.ids("grounds"), ["err-one-of"]);
    assert!(decide(
        &def,
        deciding,
        &other,
        "refuse",
        &json!({"grounds": ["emissions", "data_defects"]}),
        now()
    )
    .is_ok());
    // Submission revalidates the case data.
    let Err(TransitionError::InvalidPayload(errors)) = decide(
        &def,
        draft,
        &applicant,
        "submit",
        &json!({"credit_code": "91350100M000100Y44"}),
        now(),
    ) else {
        panic!("bad data is refused on submission");
    };
    assert!(errors.0.contains_key("credit_code"));
    assert!(matches!(
        decide(
            &def,
            CaseView {
                state: "limbo",
                data: &data,
                history: &[]
            },
            &applicant,
            "submit",
            &json!({}),
            now()
        ),
        Err(TransitionError::UnknownState { .. })
    ));
}

#[test]
fn allowed_actions_follow_roles_and_four_eyes() {
    let def = report_form();
    let data = project();
    let history = [Step {
        action: "propose_approval".into(),
        actor: "rui".into(),
        at: now(),
        payload: Value::Null,
    }];
    let case = CaseView {
        state: "decision",
        data: &data,
        history: &history,
    };
    let rui = person("rui", &[Role::Reviewer, Role::Approver]);
    let amy = person("amy", &[Role::Approver]);
    let ann = person("ann", &[Role::Applicant]);
    assert!(allowed_actions(&def, case, &rui).is_empty());
    assert_eq!(allowed_actions(&def, case, &amy), vec!["approve", "refuse"]);
    assert_eq!(allowed_actions(&def, case, &ann), vec!["withdraw"]);
    assert_eq!(
        allowed_actions(&def, case, &Actor::system()),
        vec!["escalate", "promise_missed"]
    );
}

#[test]
fn mermaid_graph_lists_every_transition() {
    let graph = graph::mermaid(&report_form());
    assert!(graph.starts_with("stateDiagram-v2\n"));
    assert!(graph.contains("    [*] --> draft\n"));
    assert!(graph.contains("    submitted --> publicity: deem_accepted (deadline)\n"));
    assert!(graph.contains("    decision --> refused: refuse\n"));
    assert!(graph.contains("    withdrawn --> [*]\n"));
    insta::assert_snapshot!("eia_report_form_graph", graph);
}

// ------------------------------------------------------------------ properties

fn actors() -> Vec<Actor> {
    let mut all = vec![Actor::system()];
    for (i, role) in Role::ALL.iter().enumerate() {
        all.push(person(&format!("user{i}"), &[*role]));
    }
    // People who hold two roles, so that only the four-eyes rule stops them.
    all.push(person("dual1", &[Role::Reviewer, Role::Approver]));
    all.push(person("dual2", &[Role::Reviewer, Role::Approver]));
    all.push(person("dual3", &[Role::Applicant, Role::Reviewer]));
    all
}

fn payloads() -> Vec<Value> {
    vec![
        json!({}),
        json!({"missing_items": ["x"]}),
        json!({"issues": ["y"]}),
        json!({"conclusion": "fine"}),
        json!({"conditions": ["noise barrier"]}),
        json!({"grounds": ["emissions"]}),
        json!({"record": "heard"}),
        json!({"grounds": []}),
        json!({"credit_code": "bad"}),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_sequences_stay_inside_the_definition(
        steps in prop::collection::vec((0usize..64, 0usize..64, 0usize..16), 1..120)
    ) {
        let def = report_form();
        let actors = actors();
        let payloads = payloads();
        let names: Vec<&str> = def.actions.iter().map(|a| a.name.as_str()).collect();
        let mut state = def.states[def.initial].name.clone();
        let data = project();
        let mut history: Vec<Step> = Vec::new();
        for (a, n, p) in steps {
            let actor = &actors[a % actors.len()];
            // Mostly an action declared from the current state, so that walks go deep;
            // sometimes any action at all, so that refusals are exercised too.
            let here = &def.state(def.state_id(&state).expect("defined")).actions;
            let action = if n % 4 == 0 || here.is_empty() {
                names[n % names.len()]
            } else {
                def.actions[here[n % here.len()]].name.as_str()
            };
            let payload = &payloads[p % payloads.len()];
            let case = CaseView { state: &state, data: &data, history: &history };
            let was_terminal = def.state(def.state_id(&state).expect("defined")).terminal;
            if let Ok(t) = decide(&def, case, actor, action, payload, now()) {
                    prop_assert!(!was_terminal, "terminal state {} accepted {}", state, action);
                    prop_assert!(def.state_id(&t.to).is_some(), "undefined state {}", t.to);
                    let spec = def.action_from(def.state_id(&state).expect("defined"), action).expect("declared");
                    if !actor.system {
                        for earlier in &spec.distinct_from {
                            prop_assert!(
                                !history.iter().any(|s| &s.action == earlier && s.actor == actor.subject),
                                "four-eyes broken: {} did {} and {}", actor.subject, earlier, action
                            );
                        }
                    }
                    history.push(Step { action: t.action, actor: actor.subject.clone(), at: now(), payload: Value::Null });
                    state = t.to;
            }
        }
    }
}

#[test]
fn a_panel_decides_by_its_rule() {
    use super::definition::PanelRule;
    let state = |members: usize, approvals: usize, rejections: usize| machine::PanelState {
        members: (0..members).map(|i| format!("m{i}")).collect(),
        approvals,
        rejections,
        voted: (0..approvals + rejections)
            .map(|i| format!("m{i}"))
            .collect(),
    };
    // Majority: decided as soon as more than half agree either way.
    assert_eq!(state(3, 1, 0).outcome(PanelRule::Majority), None);
    assert_eq!(state(3, 2, 0).outcome(PanelRule::Majority), Some(true));
    assert_eq!(state(3, 1, 2).outcome(PanelRule::Majority), Some(false));
    assert_eq!(
        state(4, 2, 2).outcome(PanelRule::Majority),
        Some(false),
        "a tie does not pass"
    );
    assert_eq!(state(5, 2, 2).outcome(PanelRule::Majority), None);
    // Unanimous: decided only when every member has voted; passes only if all approve.
    assert_eq!(state(3, 2, 0).outcome(PanelRule::Unanimous), None);
    assert_eq!(state(3, 2, 1).outcome(PanelRule::Unanimous), Some(false));
    assert_eq!(state(3, 3, 0).outcome(PanelRule::Unanimous), Some(true));
}

// ------------------------------------------------------------------ publication

#[test]
fn the_report_form_declares_what_it_publishes() {
    use crate::engine::NoticeKind;
    let def = report_form();
    let acceptance = def.publication_on("deem_accepted").expect("published");
    assert_eq!(acceptance.notice, NoticeKind::Acceptance);
    assert_eq!(acceptance.period.as_deref(), Some("acceptance_publicity"));
    assert!(acceptance.comments);
    assert!(!acceptance.fields.iter().any(|f| f == "features"));
    assert_eq!(
        def.publication_on("announce").map(|p| p.notice),
        Some(NoticeKind::Decision)
    );
    assert!(
        def.publication_on("approve").is_none(),
        "announced, not decided"
    );
    // The decision a notice shows is read with the history.
    assert!(def.looked_at.iter().any(|a| a == "approve"));
}

fn publication_refused(publish: &str, expected: &str) {
    let err = minimal(&format!("data = \"eia_project\"\n[[publish]]\n{publish}\n"))
        .expect_err("must be refused");
    let all = err.messages.join("\n");
    assert!(all.contains(expected), "expected `{expected}` in:\n{all}");
}

#[test]
fn refuses_a_publication_that_names_what_does_not_exist() {
    publication_refused(
        "notice = \"acceptance\"\non = [\"accept\"]",
        "unknown action `accept`",
    );
    publication_refused(
        "notice = \"acceptance\"\non = [\"close\"]\nperiod = \"publicity\"",
        "unknown clock `publicity`",
    );
    publication_refused(
        "notice = \"acceptance\"\non = [\"close\"]\ncomments = true",
        "comments need a `period` clock",
    );
    publication_refused(
        "notice = \"acceptance\"\non = [\"close\"]\nfields = [\"project_name\", \"secret\"]",
        "`secret` is not a field of the case data",
    );
    publication_refused(
        "notice = \"decision\"\non = [\"close\"]\ndecision = [\"close\"]\npayload = [\"grounds\"]",
        "payload field `grounds` is taken by none of the `decision` actions",
    );
    publication_refused(
        "notice = \"bids\"\non = [\"close\"]",
        "unknown variant `bids`",
    );
    publication_refused(
        "notice = \"acceptance\"\non = [\"close\"]\n[[publish]]\nnotice = \"decision\"\non = [\"close\"]",
        "action `close` already publishes a notice",
    );
}
