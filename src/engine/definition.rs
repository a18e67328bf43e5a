//! Workflow definitions: parsed from TOML once, validated, then compiled into indexed tables.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde::Deserialize;

use crate::domain::directory::Lang;
use crate::domain::{Role, RoleSet};

pub type StateId = usize;

/// A title a person reads, in both languages: `title = { en = "...", zh = "..." }`.
/// Versions deployed before titles had two languages hold a plain string, which is shown in
/// both; a definition read from the workflows folder must give both (see [`Definition::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum Title {
    Both { en: String, zh: String },
    Plain(String),
}

impl Title {
    /// The title in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match (self, lang) {
            (Title::Both { en, .. }, Lang::En) => en,
            (Title::Both { zh, .. }, Lang::Zh) => zh,
            (Title::Plain(s), _) => s,
        }
    }

    pub fn en(&self) -> &str {
        self.get(Lang::En)
    }

    /// True when both languages are given and neither is blank.
    fn is_bilingual(&self) -> bool {
        matches!(self, Title::Both { en, zh } if !en.trim().is_empty() && !zh.trim().is_empty())
    }
}
pub type ActionId = usize;

// ------------------------------------------------------------------ the file format

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    key: String,
    version: u32,
    title: Title,
    initial: String,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    create_roles: Vec<String>,
    /// Case-data fields that must hold these values in this workflow (`category = "report"`).
    #[serde(default)]
    requires: BTreeMap<String, String>,
    #[serde(default)]
    panel: Option<RawPanel>,
    states: BTreeMap<String, RawState>,
    #[serde(default)]
    actions: Vec<RawAction>,
    #[serde(default)]
    clocks: BTreeMap<String, RawClock>,
    /// The notices the workflow publishes.
    #[serde(default)]
    publish: Vec<super::publication::RawPublication>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPanel {
    rule: PanelRule,
    appoint: String,
    vote: String,
    #[serde(default = "three")]
    min_members: usize,
}

fn three() -> usize {
    3
}

/// How a review panel decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelRule {
    /// Decided once more than half the members agree either way.
    Majority,
    /// Decided once every member has voted; passes only if all approve.
    Unanimous,
}

/// A review panel: one action appoints members (payload `members`, e-mail addresses), another
/// records each member's vote (payload `vote`: `approve` or `reject`), and actions guarded by
/// `panel_passed` / `panel_failed` conclude.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    pub rule: PanelRule,
    pub appoint: String,
    pub vote: String,
    pub min_members: usize,
}

/// A registry movement an action of a market workflow makes, in its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerOp {
    /// The seller's rights move into the lot's escrow (they cannot be sold twice).
    Escrow,
    /// Escrow to the buyer, with the price recorded as paid.
    Settle,
    /// Escrow back to the seller.
    Release,
    /// An auction's window has closed: clear the sealed bids and award (or fail).
    Clear,
    /// One award of an auction is paid: escrow to the winner, the price recorded.
    SettleAward,
    /// Awards not paid by the deadline default: deposits forfeited, the volume offered to the
    /// next bidders or returned to the seller.
    Default,
}

/// A condition an action needs besides roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    PanelPassed,
    PanelFailed,
    /// Every item of the case's checklist (`data.checklist`) is satisfied.
    ChecklistComplete,
}

/// What an action does to a business licence's checklist (kept in `data.checklist`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistOp {
    /// Build it from the pre-licence items in force today for the business's kind.
    Build,
    /// Satisfy one item (payload `item`) by an approval case or an external reference.
    Satisfy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    #[serde(default)]
    title: Option<Title>,
    #[serde(default)]
    terminal: bool,
    #[serde(default)]
    run: Vec<String>,
    #[serde(default)]
    pause: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    name: String,
    #[serde(default)]
    title: Option<Title>,
    from: Vec<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    by_deadline: bool,
    #[serde(default)]
    automatic: bool,
    #[serde(default)]
    checklist: Option<ChecklistOp>,
    #[serde(default)]
    restarts: Vec<String>,
    #[serde(default)]
    distinct_from: Vec<String>,
    #[serde(default)]
    edits_data: bool,
    #[serde(default)]
    backdate: Option<RawBackdate>,
    #[serde(default)]
    notify: Option<RawNotify>,
    #[serde(default)]
    guard: Option<Guard>,
    /// Issue a reference number with this prefix (a filing receipt).
    #[serde(default)]
    reference: Option<String>,
    /// Move the lot's rights on the registry: `escrow`, `settle` or `release`.
    #[serde(default)]
    ledger: Option<LedgerOp>,
    #[serde(default)]
    payload: BTreeMap<String, FieldSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotify {
    kind: String,
    roles: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackdate {
    clocks: Vec<String>,
    to_latest_of: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClock {
    #[serde(default)]
    title: Option<Title>,
    /// What the limit is and where the law sets it.
    #[serde(default)]
    basis: Option<Title>,
    #[serde(default)]
    limit_days: u32,
    /// A limit in hours, read from this case-data field (a market window), instead of days.
    #[serde(default)]
    hours_from: Option<String>,
    #[serde(default)]
    day_type: DayType,
    #[serde(default)]
    warn_at: Vec<f64>,
    #[serde(default)]
    notify: Vec<String>,
    on_expiry: Option<String>,
}

/// A payload field an action takes.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub kind: FieldKind,
    /// What a form calls the field.
    #[serde(default)]
    pub title: Option<Title>,
    /// A title for each allowed value (`labels.emissions = { en = "...", zh = "..." }`).
    #[serde(default)]
    pub labels: BTreeMap<String, Title>,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default)]
    pub min_items: usize,
    #[serde(default)]
    pub allowed: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A non-empty string.
    Text,
    /// A list of non-empty strings.
    List,
    /// A whole number.
    Integer,
    Boolean,
}

pub use crate::domain::calendar::DayType;

/// The case-data schemas a workflow can name in `data = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSchema {
    /// `domain::project::ProjectData`.
    EiaProject,
    /// `domain::project::PlanData`: a planning EIA.
    Planning,
    /// `domain::project::ConsultationData`: a pre-consultation question.
    Consultation,
    /// `domain::project::RereviewData`: re-review of an old approval.
    Rereview,
    /// `domain::ledger::LotData`: a lot on the pollution-rights market.
    Lot,
    /// `domain::ledger::AuctionTerms`: a lot sold by auction.
    AuctionLot,
    /// `domain::project::LicenceData`: an application for a business licence.
    BusinessLicence,
}

impl DataSchema {
    fn parse(name: &str) -> Option<DataSchema> {
        match name {
            "eia_project" => Some(DataSchema::EiaProject),
            "planning" => Some(DataSchema::Planning),
            "consultation" => Some(DataSchema::Consultation),
            "rereview" => Some(DataSchema::Rereview),
            "lot" => Some(DataSchema::Lot),
            "auction_lot" => Some(DataSchema::AuctionLot),
            "business_licence" => Some(DataSchema::BusinessLicence),
            _ => None,
        }
    }
}

// ------------------------------------------------------------------ the compiled form

#[derive(Debug, Clone)]
pub struct Definition {
    pub key: String,
    pub version: u32,
    pub title: Title,
    pub initial: StateId,
    pub data: Option<DataSchema>,
    pub create_roles: RoleSet,
    pub requires: BTreeMap<String, String>,
    pub panel: Option<Panel>,
    pub states: Vec<State>,
    pub actions: Vec<Action>,
    pub clocks: Vec<Clock>,
    /// The earlier actions the rules look at (separation of duties, the panel, backdated
    /// clocks, the decisions a notice shows): the only steps of a case's history the engine
    /// needs, sorted.
    pub looked_at: Vec<String>,
    /// The notices the workflow publishes.
    pub publish: Vec<super::publication::Publication>,
    state_index: HashMap<String, StateId>,
}

#[derive(Debug, Clone)]
pub struct State {
    pub name: String,
    pub title: Option<Title>,
    pub terminal: bool,
    /// Per clock (indexed like `Definition::clocks`): what it does in this state.
    pub clocks: Vec<ClockStatus>,
    /// Actions that can be fired from here, in file order.
    pub actions: Vec<ActionId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    Running,
    Paused,
    /// Not started, or finished.
    Stopped,
}

impl ClockStatus {
    /// The name a clock row stores.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockStatus::Running => "running",
            ClockStatus::Paused => "paused",
            ClockStatus::Stopped => "stopped",
        }
    }

    /// True if a stored name is this status.
    pub fn is(self, stored: &str) -> bool {
        stored == self.as_str()
    }
}

#[derive(Debug, Clone)]
pub struct Action {
    pub name: String,
    pub title: Option<Title>,
    pub from: Vec<StateId>,
    /// `None`: the case stays where it is (e.g. an escalation).
    pub to: Option<StateId>,
    pub roles: RoleSet,
    pub by_deadline: bool,
    /// Fired by the system inside the transaction of another action, when the registry calls
    /// for it (an auction with nothing left to pay for completes).
    pub automatic: bool,
    /// What it does to a business licence's checklist.
    pub checklist: Option<ChecklistOp>,
    /// Clocks that start a new run although they run before and after (a new payment period).
    pub restarts: Vec<String>,
    pub distinct_from: Vec<String>,
    pub edits_data: bool,
    /// Clocks this action starts that count from an earlier action, not from now
    /// (deemed acceptance counts from the day the application was received).
    pub backdate: Option<Backdate>,
    /// Whom to notify, with which template, when this action is accepted.
    pub notify: Option<Notify>,
    pub guard: Option<Guard>,
    /// Prefix of the reference number this action issues (`REG` -> `REG-2026-000001`).
    pub reference: Option<String>,
    pub ledger: Option<LedgerOp>,
    pub payload: Vec<(String, FieldSpec)>,
}

impl Action {
    /// Its own title in `lang`, or its name.
    pub fn title_in(&self, lang: Lang) -> String {
        self.title
            .as_ref()
            .map_or_else(|| self.name.clone(), |t| t.get(lang).to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// The template kind (`workflows/notifications.toml`).
    pub kind: String,
    pub roles: RoleSet,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backdate {
    /// The clocks that start back in time.
    pub clocks: Vec<String>,
    /// They start at the latest of these earlier actions on the case.
    pub to_latest_of: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Clock {
    pub name: String,
    pub title: Option<Title>,
    /// What the limit is and where the law sets it (`basis = { en, zh }`).
    pub basis: Option<Title>,
    pub limit_days: u32,
    pub day_type: DayType,
    pub warn_at: Vec<f64>,
    /// When set, the limit is this case-data field's number of hours from the start (no
    /// calendar, no pause); `limit_days` is then unused.
    pub hours_from: Option<String>,
    /// Roles to warn at each fraction.
    pub notify: RoleSet,
    pub on_expiry: String,
}

/// Everything wrong with one definition file, each message naming the file and the element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .messages.join("\n"))]
pub struct DefinitionError {
    pub messages: Vec<String>,
}

impl Definition {
    /// Parses and validates one definition file. `file` is only used to name the source in
    /// messages. Every title a person reads (the workflow's, each state's, action's, clock's and
    /// payload field's, and each allowed value's) must be given in English and Chinese.
    pub fn parse(file: &str, source: &str) -> Result<Definition, DefinitionError> {
        Self::parse_with(file, source, true)
    }

    /// Parses a version stored when it was deployed. Versions from before titles had two
    /// languages are still read (a plain title is shown in both), so their cases go on.
    pub fn parse_stored(file: &str, source: &str) -> Result<Definition, DefinitionError> {
        Self::parse_with(file, source, false)
    }

    fn parse_with(file: &str, source: &str, strict: bool) -> Result<Definition, DefinitionError> {
        let raw: RawDefinition = toml::from_str(source).map_err(|e| DefinitionError {
            messages: vec![format!("{file}: {}", e.to_string().trim_end())],
        })?;
        let mut missing = Vec::new();
        if strict {
            missing = missing_titles(&raw);
        }
        match compile(file, raw) {
            Ok(def) if missing.is_empty() => Ok(def),
            Ok(_) => Err(DefinitionError {
                messages: missing
                    .into_iter()
                    .map(|m| format!("{file}: {m}"))
                    .collect(),
            }),
            Err(mut e) => {
                e.messages
                    .extend(missing.into_iter().map(|m| format!("{file}: {m}")));
                Err(e)
            }
        }
    }

    /// True when `action` is a way out of the procedure (a withdrawal): open from the initial
    /// state and later ones, it ends the case rather than moving it on, so a person's pages show
    /// it apart from the next step.
    pub fn is_exit(&self, action: &Action) -> bool {
        action.from.len() > 1
            && action.from.contains(&self.initial)
            && action.to.is_some_and(|t| self.states[t].terminal)
    }

    /// The states in the order a case meets them: breadth first from the initial state along the
    /// actions in file order, terminal states last.
    pub fn states_in_flow(&self) -> Vec<StateId> {
        let mut order = vec![self.initial];
        let mut seen = vec![false; self.states.len()];
        seen[self.initial] = true;
        let mut i = 0;
        while i < order.len() {
            let s = order[i];
            for a in &self.states[s].actions {
                if let Some(to) = self.actions[*a].to {
                    if !seen[to] {
                        seen[to] = true;
                        order.push(to);
                    }
                }
            }
            i += 1;
        }
        order.extend((0..self.states.len()).filter(|s| !seen[*s]));
        let (mut open, terminal): (Vec<StateId>, Vec<StateId>) =
            order.into_iter().partition(|s| !self.states[*s].terminal);
        open.extend(terminal);
        open
    }

    /// The notice `action` publishes, if the workflow declares one.
    pub fn publication_on(&self, action: &str) -> Option<&super::publication::Publication> {
        self.publish
            .iter()
            .find(|p| p.on.iter().any(|a| a == action))
    }

    /// The title of a state, or its name.
    pub fn state_title(&self, name: &str, lang: Lang) -> String {
        self.state_id(name)
            .and_then(|s| self.states[s].title.as_ref())
            .map_or_else(|| name.to_string(), |t| t.get(lang).to_string())
    }

    /// The title of an action (from any state), or its name.
    /// The title of the transition `name` taken from the state `from`: two actions may share a
    /// name from different states (`announce` an approval or a refusal), and each shows its own.
    pub fn transition_title(&self, name: &str, from: &str, lang: Lang) -> String {
        self.state_id(from)
            .and_then(|s| self.action_from(s, name))
            .map_or_else(|| self.action_title(name, lang), |a| a.title_in(lang))
    }

    /// Every title an action name shows, in declaration order and without repeats: a name used
    /// without a state (a notice's `on`, `distinct_from`) stands for each of its transitions.
    pub fn titles_of(&self, name: &str, lang: Lang) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in self.actions.iter().filter(|a| a.name == name) {
            let t = a.title_in(lang);
            if !out.contains(&t) {
                out.push(t);
            }
        }
        if out.is_empty() {
            out.push(name.to_string());
        }
        out
    }

    /// The title of an action by its name alone: for names that one title covers (a deadline's
    /// expiry action, a `distinct_from`); a transition is named with `transition_title`.
    pub fn action_title(&self, name: &str, lang: Lang) -> String {
        self.actions
            .iter()
            .find(|a| a.name == name)
            .and_then(|a| a.title.as_ref())
            .map_or_else(|| name.to_string(), |t| t.get(lang).to_string())
    }

    /// The title of an allowed value of a payload field (`grounds`: `plan_or_law`), if an action
    /// declares one.
    pub fn value_label(&self, field: &str, value: &str, lang: Lang) -> Option<String> {
        self.actions
            .iter()
            .flat_map(|a| a.payload.iter())
            .filter(|(name, _)| name == field)
            .find_map(|(_, spec)| spec.labels.get(value))
            .map(|t| t.get(lang).to_string())
    }

    /// The title of a payload field of any action, if one declares it.
    pub fn field_title(&self, field: &str, lang: Lang) -> Option<String> {
        self.actions
            .iter()
            .flat_map(|a| a.payload.iter())
            .find(|(name, _)| name == field)
            .and_then(|(_, spec)| spec.title.as_ref())
            .map(|t| t.get(lang).to_string())
    }

    /// The title of a clock, or its name.
    pub fn clock_title(&self, name: &str, lang: Lang) -> String {
        self.clock(name)
            .and_then(|c| c.title.as_ref())
            .map_or_else(|| name.to_string(), |t| t.get(lang).to_string())
    }

    pub fn state_id(&self, name: &str) -> Option<StateId> {
        self.state_index.get(name).copied()
    }

    pub fn state(&self, id: StateId) -> &State {
        &self.states[id]
    }

    /// The action called `name` that can be fired from `state`, if any.
    pub fn action_from(&self, state: StateId, name: &str) -> Option<&Action> {
        self.states[state]
            .actions
            .iter()
            .map(|id| &self.actions[*id])
            .find(|a| a.name == name)
    }

    pub fn clock(&self, name: &str) -> Option<&Clock> {
        self.clocks.iter().find(|c| c.name == name)
    }
}

/// Every title that is missing or lacks a language.
fn missing_titles(raw: &RawDefinition) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |element: String, title: Option<&Title>| match title {
        None => out.push(format!(
            "{element}: title is missing (give `title = {{ en = \"...\", zh = \"...\" }}`)"
        )),
        Some(t) if !t.is_bilingual() => out.push(format!(
            "{element}: title needs both languages (`title = {{ en = \"...\", zh = \"...\" }}`)"
        )),
        Some(_) => {}
    };
    check("workflow".into(), Some(&raw.title));
    for (name, s) in &raw.states {
        check(format!("state `{name}`"), s.title.as_ref());
    }
    for (name, c) in &raw.clocks {
        check(format!("clock `{name}`"), c.title.as_ref());
        if let Some(basis) = &c.basis {
            check(format!("clock `{name}`: basis"), Some(basis));
        }
    }
    for (i, a) in raw.actions.iter().enumerate() {
        let element = format!("action `{}` (entry {})", a.name, i + 1);
        check(element.clone(), a.title.as_ref());
        for (field, spec) in &a.payload {
            check(
                format!("{element}: payload field `{field}`"),
                spec.title.as_ref(),
            );
            for value in &spec.allowed {
                check(
                    format!("{element}: payload field `{field}`: allowed value `{value}`"),
                    spec.labels.get(value),
                );
            }
        }
    }
    out
}

/// The names a workflow file declares, which its parts refer to.
struct Names<'r> {
    states: &'r HashMap<String, StateId>,
    clocks: &'r [String],
    actions: &'r BTreeSet<&'r str>,
}

/// Compiles a parsed workflow file part by part, collecting every error it finds (each with
/// the file's name) instead of stopping at the first.
struct Compiler<'f> {
    file: &'f str,
    errors: Vec<String>,
}

fn compile(file: &str, raw: RawDefinition) -> Result<Definition, DefinitionError> {
    let mut c = Compiler {
        file,
        errors: Vec::new(),
    };
    let data = c.header(&raw);
    let create_roles = c.roles("create_roles", &raw.create_roles);
    let state_index: HashMap<String, StateId> = raw
        .states
        .keys()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    let clock_names: Vec<String> = raw.clocks.keys().cloned().collect();
    let initial = match state_index.get(&raw.initial) {
        Some(id) => *id,
        None => {
            c.err(format!("initial: unknown state `{}`", raw.initial));
            0
        }
    };
    let mut states = c.states(&raw, &clock_names);
    let action_names: BTreeSet<&str> = raw.actions.iter().map(|a| a.name.as_str()).collect();
    let names = Names {
        states: &state_index,
        clocks: &clock_names,
        actions: &action_names,
    };
    let actions: Vec<Action> = raw
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| c.action(i, a, &names))
        .collect();
    c.titles_agree(&actions);
    c.index(&mut states, &actions);
    let clocks: Vec<Clock> = raw
        .clocks
        .iter()
        .enumerate()
        .map(|(ci, (name, clock))| c.clock(ci, name, clock, &states, &actions, &names))
        .collect();
    c.reachability(initial, &raw.initial, &states, &actions);
    c.action_rules(&raw);
    let panel = c.panel(raw.panel.as_ref(), &names);
    let schema_fields: Option<&[&str]> = match data {
        Some(DataSchema::EiaProject) => Some(&crate::domain::project::FIELDS),
        _ => None,
    };
    let publish = super::publication::compile(
        raw.publish,
        schema_fields,
        &actions,
        &clock_names,
        &mut |m| c.err(m),
    );
    if !c.errors.is_empty() {
        return Err(DefinitionError { messages: c.errors });
    }
    Ok(Definition {
        looked_at: looked_at(&actions, panel.as_ref(), &publish),
        publish,
        key: raw.key,
        version: raw.version,
        title: raw.title,
        initial,
        data,
        create_roles,
        requires: raw.requires,
        panel,
        states,
        actions,
        clocks,
        state_index,
    })
}

/// The earlier actions whose steps the rules look at: `distinct_from`, a backdate's actions,
/// the panel's, a notice's decisions.
fn looked_at(
    actions: &[Action],
    panel: Option<&Panel>,
    publish: &[super::publication::Publication],
) -> Vec<String> {
    let mut looked_at: Vec<String> = actions
        .iter()
        .flat_map(|a| {
            a.distinct_from
                .iter()
                .chain(a.backdate.iter().flat_map(|b| b.to_latest_of.iter()))
                .cloned()
        })
        .chain(
            panel
                .iter()
                .flat_map(|p| [p.appoint.clone(), p.vote.clone()]),
        )
        .chain(publish.iter().flat_map(|p| p.decision.iter().cloned()))
        .collect();
    looked_at.sort();
    looked_at.dedup();
    looked_at
}

impl Compiler<'_> {
    fn err(&mut self, msg: String) {
        self.errors.push(format!("{}: {msg}", self.file));
    }

    /// The key, the version and the case-data schema.
    fn header(&mut self, raw: &RawDefinition) -> Option<DataSchema> {
        if raw.key.is_empty()
            || !raw
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            self.err(format!(
                "key `{}` must be lower-case letters, digits and underscores",
                raw.key
            ));
        }
        if raw.version == 0 {
            self.err("version must be 1 or more".into());
        }
        let name = raw.data.as_deref()?;
        let schema = DataSchema::parse(name);
        if schema.is_none() {
            self.err(format!(
                "data: unknown case-data schema `{name}` (known: eia_project, planning, consultation, rereview)"
            ));
        }
        schema
    }

    fn roles(&mut self, element: &str, names: &[String]) -> RoleSet {
        let mut set = RoleSet::default();
        for name in names {
            match name.parse::<Role>() {
                Ok(role) => set.insert(role),
                Err(e) if name == "system" => self.err(format!(
                    "{element}: `system` is not a role; mark the action `by_deadline = true` instead ({e})"
                )),
                Err(e) => self.err(format!("{element}: {e}")),
            }
        }
        set
    }

    /// States and the clocks they run or pause.
    fn states(&mut self, raw: &RawDefinition, clock_names: &[String]) -> Vec<State> {
        let mut states = Vec::new();
        for (name, s) in &raw.states {
            let mut clocks = vec![ClockStatus::Stopped; clock_names.len()];
            for (list, status) in [
                (&s.run, ClockStatus::Running),
                (&s.pause, ClockStatus::Paused),
            ] {
                for clock in list {
                    match clock_names.iter().position(|c| c == clock) {
                        Some(i) if clocks[i] != ClockStatus::Stopped => self.err(format!(
                            "state `{name}`: clock `{clock}` is both run and paused"
                        )),
                        Some(i) => clocks[i] = status,
                        None => self.err(format!("state `{name}`: unknown clock `{clock}`")),
                    }
                }
            }
            if s.terminal && clocks.iter().any(|c| *c != ClockStatus::Stopped) {
                self.err(format!(
                    "state `{name}`: a terminal state cannot run or pause clocks"
                ));
            }
            states.push(State {
                name: name.clone(),
                title: s.title.clone(),
                terminal: s.terminal,
                clocks,
                actions: Vec::new(),
            });
        }
        states
    }

    /// One action, entry `i` of the file.
    fn action(&mut self, i: usize, a: &RawAction, names: &Names<'_>) -> Action {
        let element = format!("action `{}` (entry {})", a.name, i + 1);
        if a.name.is_empty() {
            self.err(format!("{element}: name is empty"));
        }
        let roles = self.roles(&element, &a.roles);
        let notify = a.notify.as_ref().map(|n| self.notify(&element, n));
        if roles.is_empty() && !a.by_deadline && !a.automatic {
            self.err(format!(
                "{element}: nobody can fire it (no roles, not by_deadline, not automatic)"
            ));
        }
        for clock in &a.restarts {
            if !names.clocks.contains(clock) {
                self.err(format!("{element}: restarts unknown clock `{clock}`"));
            }
        }
        let (from, to) = self.ends(&element, a, names);
        self.earlier_actions(&element, a, names);
        self.payload(&element, a);
        Action {
            name: a.name.clone(),
            title: a.title.clone(),
            from,
            to,
            roles,
            by_deadline: a.by_deadline,
            automatic: a.automatic,
            checklist: a.checklist,
            restarts: a.restarts.clone(),
            distinct_from: a.distinct_from.clone(),
            edits_data: a.edits_data,
            notify,
            guard: a.guard,
            reference: a.reference.clone(),
            ledger: a.ledger,
            backdate: a.backdate.as_ref().map(|b| Backdate {
                clocks: b.clocks.clone(),
                to_latest_of: b.to_latest_of.clone(),
            }),
            payload: a
                .payload
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    fn notify(&mut self, element: &str, n: &RawNotify) -> Notify {
        if n.kind.is_empty() {
            self.err(format!("{element}: notify.kind is empty"));
        }
        if n.roles.is_empty() {
            self.err(format!("{element}: notify names no roles"));
        }
        Notify {
            kind: n.kind.clone(),
            roles: self.roles(&format!("{element}: notify"), &n.roles),
        }
    }

    /// The states an action goes from and into.
    fn ends(
        &mut self,
        element: &str,
        a: &RawAction,
        names: &Names<'_>,
    ) -> (Vec<StateId>, Option<StateId>) {
        let mut from = Vec::new();
        if a.from.is_empty() {
            self.err(format!("{element}: `from` lists no state"));
        }
        for state in &a.from {
            match names.states.get(state) {
                Some(id) => from.push(*id),
                None => self.err(format!("{element}: from unknown state `{state}`")),
            }
        }
        let to =
            a.to.as_ref()
                .and_then(|state| match names.states.get(state) {
                    Some(id) => Some(*id),
                    None => {
                        self.err(format!("{element}: into unknown state `{state}`"));
                        None
                    }
                });
        (from, to)
    }

    /// The earlier actions and clocks an action's rules name must be declared.
    fn earlier_actions(&mut self, element: &str, a: &RawAction, names: &Names<'_>) {
        for earlier in &a.distinct_from {
            if !names.actions.contains(earlier.as_str()) {
                self.err(format!(
                    "{element}: distinct_from names unknown action `{earlier}`"
                ));
            }
        }
        if let Some(b) = &a.backdate {
            for earlier in &b.to_latest_of {
                if !names.actions.contains(earlier.as_str()) {
                    self.err(format!(
                        "{element}: backdate names unknown action `{earlier}`"
                    ));
                }
            }
            for clock in &b.clocks {
                if !names.clocks.contains(clock) {
                    self.err(format!("{element}: backdate names unknown clock `{clock}`"));
                }
            }
        }
    }

    fn payload(&mut self, element: &str, a: &RawAction) {
        for (field, spec) in &a.payload {
            for value in spec.labels.keys() {
                if !spec.allowed.contains(value) {
                    self.err(format!(
                        "{element}: payload field `{field}`: a label for `{value}`, which is not an allowed value"
                    ));
                }
            }
            if !spec.allowed.is_empty() && !matches!(spec.kind, FieldKind::Text | FieldKind::List) {
                self.err(format!(
                    "{element}: payload field `{field}`: `allowed` needs kind text or list"
                ));
            }
        }
    }

    /// One name may serve transitions from different states with their own titles (announce an
    /// approval, announce a refusal): every page shows the title of the transition taken. A
    /// name some of whose transitions have no title would show a bare name beside a title:
    /// refused.
    fn titles_agree(&mut self, actions: &[Action]) {
        for (i, action) in actions.iter().enumerate() {
            let twin = actions[..i].iter().find(|a| a.name == action.name);
            if twin.is_some_and(|twin| twin.title.is_some() != action.title.is_some()) {
                self.err(format!(
                    "action `{}` is declared with a title and without one: give each of its transitions a title",
                    action.name
                ));
            }
        }
    }

    /// Indexes actions by state; refuses one name twice from one state; terminal states absorb.
    fn index(&mut self, states: &mut [State], actions: &[Action]) {
        for (id, action) in actions.iter().enumerate() {
            for &state in &action.from {
                let s = &mut states[state];
                if s.terminal {
                    let m = format!(
                        "action `{}`: state `{}` is terminal and accepts no action",
                        action.name, s.name
                    );
                    self.err(m);
                }
                if s.actions
                    .iter()
                    .any(|other| actions[*other].name == action.name)
                {
                    let m = format!(
                        "action `{}` is declared twice from state `{}`",
                        action.name, s.name
                    );
                    self.err(m);
                }
                s.actions.push(id);
            }
        }
    }

    /// One clock: each needs an expiry action that a deadline can fire wherever it runs.
    fn clock(
        &mut self,
        ci: usize,
        name: &str,
        c: &RawClock,
        states: &[State],
        actions: &[Action],
        names: &Names<'_>,
    ) -> Clock {
        if c.hours_from.is_some() && (c.limit_days != 0 || !c.warn_at.is_empty()) {
            self.err(format!(
                "clock `{name}`: an hours clock takes neither limit_days nor warn_at"
            ));
        }
        if c.hours_from.is_none() && c.limit_days == 0 {
            self.err(format!("clock `{name}`: limit_days must be 1 or more"));
        }
        for w in &c.warn_at {
            if !(*w > 0.0 && *w < 1.0) {
                self.err(format!(
                    "clock `{name}`: warn_at {w} must be a fraction between 0 and 1"
                ));
            }
        }
        let on_expiry = self.expiry(ci, name, c, states, actions, names);
        let mut notify = RoleSet::default();
        for role in &c.notify {
            match role.parse::<Role>() {
                Ok(role) => notify.insert(role),
                Err(e) => self.err(format!("clock `{name}`: notify: {e}")),
            }
        }
        if !c.notify.is_empty() && c.warn_at.is_empty() {
            self.err(format!(
                "clock `{name}`: notify is set but warn_at is empty"
            ));
        }
        if !states.iter().any(|s| s.clocks[ci] != ClockStatus::Stopped) {
            self.err(format!("clock `{name}` runs in no state"));
        }
        Clock {
            name: name.to_string(),
            title: c.title.clone(),
            basis: c.basis.clone(),
            limit_days: c.limit_days,
            day_type: c.day_type,
            warn_at: c.warn_at.clone(),
            hours_from: c.hours_from.clone(),
            notify,
            on_expiry,
        }
    }

    /// A clock's expiry action: declared, and fireable by a deadline in every state the clock
    /// runs in.
    fn expiry(
        &mut self,
        ci: usize,
        name: &str,
        c: &RawClock,
        states: &[State],
        actions: &[Action],
        names: &Names<'_>,
    ) -> String {
        let Some(action) = &c.on_expiry else {
            self.err(format!("clock `{name}` has no expiry action (on_expiry)"));
            return String::new();
        };
        if !names.actions.contains(action.as_str()) {
            self.err(format!(
                "clock `{name}`: expiry action `{action}` is not declared"
            ));
            return action.clone();
        }
        for s in states
            .iter()
            .filter(|s| s.clocks[ci] == ClockStatus::Running)
        {
            let fires = s
                .actions
                .iter()
                .map(|id| &actions[*id])
                .any(|a| &a.name == action && a.by_deadline);
            if !fires {
                self.err(format!(
                    "clock `{name}` runs in state `{}` but its expiry action `{action}` cannot be fired there by a deadline",
                    s.name
                ));
            }
        }
        action.clone()
    }

    /// Reachability from the initial state, a way out of every non-terminal state, and at
    /// least one terminal state.
    fn reachability(
        &mut self,
        initial: StateId,
        initial_name: &str,
        states: &[State],
        actions: &[Action],
    ) {
        if !states.is_empty() && initial < states.len() {
            let mut seen = vec![false; states.len()];
            let mut queue = VecDeque::from([initial]);
            seen[initial] = true;
            while let Some(s) = queue.pop_front() {
                for to in states[s].actions.iter().filter_map(|a| actions[*a].to) {
                    if !seen[to] {
                        seen[to] = true;
                        queue.push_back(to);
                    }
                }
            }
            for (id, s) in states.iter().enumerate() {
                if !seen[id] {
                    self.err(format!(
                        "state `{}` is unreachable from `{initial_name}`",
                        s.name
                    ));
                }
                let way_out = s
                    .actions
                    .iter()
                    .any(|a| matches!(actions[*a].to, Some(to) if to != id));
                if !s.terminal && !way_out {
                    self.err(format!(
                        "state `{}` is not terminal but has no way out",
                        s.name
                    ));
                }
            }
        }
        if !states.iter().any(|s| s.terminal) {
            self.err("no terminal state".into());
        }
    }

    /// What an action's effects need of the rest of the file: a reference prefix's form, a
    /// ledger effect's case data, a panel guard's panel.
    fn action_rules(&mut self, raw: &RawDefinition) {
        for (i, a) in raw.actions.iter().enumerate() {
            let element = format!("action `{}` (entry {})", a.name, i + 1);
            if let Some(prefix) = &a.reference {
                let ok = (1..=8).contains(&prefix.len())
                    && prefix.bytes().all(|b| b.is_ascii_uppercase());
                if !ok {
                    self.err(format!(
                        "{element}: reference prefix must be 1-8 upper-case letters"
                    ));
                }
            }
            let auction_op = matches!(
                a.ledger,
                Some(LedgerOp::Clear | LedgerOp::SettleAward | LedgerOp::Default)
            );
            match (a.ledger, raw.data.as_deref()) {
                (None, _) | (Some(_), Some("auction_lot")) => {}
                (Some(_), Some("lot")) if !auction_op => {}
                (Some(_), _) => self.err(format!(
                    "{element}: this ledger effect needs `data = \"{}\"`",
                    if auction_op {
                        "auction_lot"
                    } else {
                        "lot\" or \"auction_lot"
                    }
                )),
            }
            if matches!(a.guard, Some(Guard::PanelPassed | Guard::PanelFailed))
                && raw.panel.is_none()
            {
                self.err(format!("{element}: a panel guard needs a [panel]"));
            }
        }
    }

    fn panel(&mut self, raw: Option<&RawPanel>, names: &Names<'_>) -> Option<Panel> {
        let p = raw?;
        for name in [&p.appoint, &p.vote] {
            if !names.actions.contains(name.as_str()) {
                self.err(format!("panel names unknown action `{name}`"));
            }
        }
        if p.min_members == 0 {
            self.err("panel min_members must be 1 or more".into());
        }
        Some(Panel {
            rule: p.rule,
            appoint: p.appoint.clone(),
            vote: p.vote.clone(),
            min_members: p.min_members,
        })
    }
}
