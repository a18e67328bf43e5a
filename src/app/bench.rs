//! `greenlane bench`: the engine alone, persisted actions through this layer, and a plain
//! update-plus-insert transaction loop on the same database, in one run so that ratios show.
//! It prints figures; it asserts nothing.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use uuid::Uuid;

use super::cases::{self, FireRequest};
use super::{App, SystemClock};
use crate::domain::{Role, RoleSet};
use crate::engine::{self, Actor, CaseView, Definition, Effect, Step};
use crate::store;

#[derive(Debug, Clone)]
pub struct Options {
    pub workflows_dir: std::path::PathBuf,
    /// Walks of the report-form workflow for the engine figure (12 transitions each).
    pub engine_walks: u64,
    /// Cases walked through the app layer per database (12 persisted actions each).
    pub persisted_cases: u64,
    /// Also measure PostgreSQL at this admin URL (a fresh database is created and dropped).
    pub postgres_admin_url: Option<String>,
}

struct Cast {
    applicant: Actor,
    reviewer: Actor,
    approver: Actor,
    system: Actor,
}

fn cast() -> Cast {
    let one = |r: Role| -> RoleSet { [r].into_iter().collect() };
    Cast {
        applicant: Actor::person("ann@acme.example", "ACME", one(Role::Applicant)),
        reviewer: Actor::person("rui@bureau.example", "CQEEB", one(Role::Reviewer)),
        approver: Actor::person("amy@bureau.example", "CQEEB", one(Role::Approver)),
        system: Actor::system(),
    }
}

/// The report-form path from draft to announcement, through the supplement and revision loops.
fn path(c: &Cast) -> Vec<(&Actor, &'static str, Value)> {
    vec![
        (&c.applicant, "submit", json!({})),
        (
            &c.reviewer,
            "request_supplement",
            json!({"missing_items": ["noise survey"]}),
        ),
        (&c.applicant, "resubmit", json!({})),
        (&c.reviewer, "accept", json!({})),
        (&c.system, "end_publicity", json!({})),
        (
            &c.reviewer,
            "request_revision",
            json!({"issues": ["stack height"]}),
        ),
        (&c.applicant, "submit_revision", json!({})),
        (
            &c.reviewer,
            "complete_evaluation",
            json!({"conclusion": "acceptable"}),
        ),
        (
            &c.reviewer,
            "propose_approval",
            json!({"conditions": ["noise barrier"]}),
        ),
        (&c.system, "end_proposal_publicity", json!({})),
        (
            &c.approver,
            "approve",
            json!({"conditions": ["noise barrier"]}),
        ),
        (&c.reviewer, "announce", json!({})),
    ]
}

pub fn sample_project() -> Value {
    json!({
        "project_name": "Changshou chemical park boiler",
        "credit_code": "91350100M000100Y43",
        "industry_code": "C2614",
        "location": {"type": "Point", "coordinates": [107.08, 29.83]},
        "investment_fen": 450_000_000,
        "category": "report_form"
    })
}

fn report_form(dir: &Path) -> anyhow::Result<Definition> {
    let source = std::fs::read_to_string(dir.join("eia_report_form.toml"))?;
    Ok(Definition::parse("eia_report_form.toml", &source)?)
}

/// Pure transitions per second on one core.
pub fn engine_rate(def: &Definition, walks: u64) -> anyhow::Result<(u64, f64)> {
    let c = cast();
    let steps = path(&c);
    let now = chrono::Utc::now();
    let mut data = sample_project();
    let mut history: Vec<Step> = Vec::with_capacity(steps.len());
    let mut transitions = 0u64;
    let started = Instant::now();
    for _ in 0..walks {
        history.clear();
        let mut state = def.states[def.initial].name.clone();
        for (actor, action, payload) in &steps {
            let view = CaseView {
                state: &state,
                data: &data,
                history: &history,
            };
            let t = engine::decide(def, view, actor, action, payload, now)?;
            for e in t.effects {
                if let Effect::ReplaceData(d) = e {
                    data = d;
                }
            }
            history.push(Step {
                action: t.action,
                actor: actor.subject.clone(),
                at: now,
                payload: Value::Null,
            });
            state = t.to;
            transitions += 1;
        }
    }
    Ok((transitions, started.elapsed().as_secs_f64()))
}

struct DbFigures {
    actions: u64,
    action_secs: f64,
    plain: u64,
    plain_secs: f64,
}

async fn persisted(db_url: &str, dir: &Path, cases_n: u64) -> anyhow::Result<DbFigures> {
    let db = store::connect(db_url).await?;
    let app = App::start(db, dir, Arc::new(SystemClock)).await?;
    let c = cast();
    let steps = path(&c);

    let mut ids = Vec::new();
    for _ in 0..cases_n {
        let case = cases::create_case(
            &app,
            &c.applicant,
            "eia_report_form",
            sample_project(),
            None,
            None,
        )
        .await?;
        ids.push(case.id);
    }
    let started = Instant::now();
    let mut actions = 0u64;
    for id in &ids {
        let mut version = 1;
        for (actor, action, payload) in &steps {
            let request = FireRequest {
                expected_version: version,
                comment: None,
                payload: payload.clone(),
            };
            let case = cases::fire(&app, actor, *id, action, request, None).await?;
            version = case.version;
            actions += 1;
        }
    }
    let action_secs = started.elapsed().as_secs_f64();

    let target: Uuid = ids
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("no case"))?;
    let started = Instant::now();
    for n in 0..actions {
        use sea_orm::TransactionTrait;
        let tx = app.db.begin().await?;
        store::plain::update_and_insert(&tx, target, n as i64).await?;
        tx.commit().await?;
    }
    let plain_secs = started.elapsed().as_secs_f64();
    app.db.close().await?;
    Ok(DbFigures {
        actions,
        action_secs,
        plain: actions,
        plain_secs,
    })
}

/// Settlements per second: negotiated transfers brought to the point of payment, then settled
/// one after another (escrow to buyer and the payment record, with the case's transition and
/// audit entry, in one transaction each).
async fn settlements(db_url: &str, dir: &Path, n: u64) -> anyhow::Result<(u64, f64)> {
    use super::directory::{self, NewOrg};
    use super::registry;
    let db = store::connect(db_url).await?;
    let app = App::start(db, dir, Arc::new(SystemClock)).await?;
    let admin = Actor::person("bench-admin", "", [Role::Admin].into_iter().collect());
    for (code, credit) in [
        ("SELLER", "91350100M000100Y43"),
        ("BUYER", "91110000802100433B"),
    ] {
        let org = NewOrg {
            code: code.into(),
            name: code.into(),
            kind: "enterprise".into(),
            credit_code: Some(credit.into()),
        };
        directory::add_org(&app, &admin, org, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let operator = Actor::person(
        "mo@bench",
        "EX",
        [Role::MarketOperator].into_iter().collect(),
    );
    let seller = Actor::person(
        "s1@bench",
        "SELLER",
        [Role::Applicant].into_iter().collect(),
    );
    let second = Actor::person(
        "s2@bench",
        "SELLER",
        [Role::Applicant].into_iter().collect(),
    );
    let asset = json!({"pollutant": "COD", "basin": "yangtze_upper", "valid_to": "2031-12-31"});
    let mut issue = asset.clone();
    issue["amount_kg"] = json!(n * 10);
    registry::issue(&app, &operator, issue, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut alloc = asset.clone();
    alloc["amount_kg"] = json!(n * 10);
    alloc["org"] = json!("SELLER");
    alloc["price_fen"] = json!(20);
    registry::allocate(&app, &operator, alloc, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let fire = |who: &Actor, id: Uuid, action: &'static str, version: i64| {
        let (app, who) = (app.clone(), who.clone());
        async move {
            let request = FireRequest {
                expected_version: version,
                comment: None,
                payload: json!({}),
            };
            cases::fire(&app, &who, id, action, request, None)
                .await
                .map_err(|e| anyhow::anyhow!("{action}: {e}"))
        }
    };
    let mut ready = Vec::new();
    for _ in 0..n {
        let mut data = asset.clone();
        data["amount_kg"] = json!(10);
        data["price_fen"] = json!(25);
        data["buyer"] = json!("BUYER");
        let case = cases::create_case(&app, &seller, "negotiated_transfer", data, None, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let c = fire(&seller, case.id, "submit", case.version).await?;
        let c = fire(&second, case.id, "approve_transfer_out", c.version).await?;
        let c = fire(&operator, case.id, "approve_listing", c.version).await?;
        ready.push((case.id, c.version));
    }
    let started = Instant::now();
    for (id, version) in ready {
        fire(&operator, id, "confirm_payment", version).await?;
    }
    let secs = started.elapsed().as_secs_f64();
    app.db.close().await?;
    Ok((n, secs))
}

fn report(name: &str, f: &DbFigures) {
    let action_rate = f.actions as f64 / f.action_secs;
    let plain_rate = f.plain as f64 / f.plain_secs;
    println!(
        "{name:<10} persisted actions: {:>6} in {:>6.2} s = {:>8.0}/s | plain UPDATE+INSERT transactions: {:>6} in {:>6.2} s = {:>8.0}/s | ratio {:.2}",
        f.actions, f.action_secs, action_rate, f.plain, f.plain_secs, plain_rate, action_rate / plain_rate
    );
}

/// Clears `n` bids under both rules; answers the seconds each took.
pub fn clearing_times(n: u64) -> (f64, f64) {
    use crate::domain::clearing::{clear, Bid, Lot, Rule};
    // A deterministic spread of bids: 2,000 bidders, 1-10 t each, 20,000-30,000 fen per tonne.
    let mut state = 7u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let bids: Vec<Bid> = (0..n)
        .map(|i| Bid {
            id: i,
            bidder: format!("b{}", next() % 2000),
            amount_kg: 1000 + next() % 9000,
            price_fen: 20 + next() % 11,
            at: i as i64,
        })
        .collect();
    let volume: u64 = bids.iter().map(|b| b.amount_kg).sum::<u64>() / 3;
    let mut times = [0.0; 2];
    for (i, rule) in [Rule::Uniform, Rule::PayAsBid].into_iter().enumerate() {
        let lot = Lot {
            volume_kg: volume,
            reserve_price_fen: 21,
            max_share_pct: Some(50),
            rule,
            seed: 2025,
        };
        let started = Instant::now();
        let outcome = clear(&lot, &bids);
        times[i] = started.elapsed().as_secs_f64();
        std::hint::black_box(outcome);
    }
    (times[0], times[1])
}

pub async fn run(opts: Options) -> anyhow::Result<()> {
    let def = report_form(&opts.workflows_dir)?;
    // Warm up, then measure.
    engine_rate(&def, opts.engine_walks / 10 + 1)?;
    let (n, secs) = engine_rate(&def, opts.engine_walks)?;
    println!(
        "engine     pure transitions: {n} in {secs:.2} s = {:.0}/s on one core (target 1,000,000/s)",
        n as f64 / secs
    );

    let (uniform, pay_as_bid) = clearing_times(1_000_000);
    println!(
        "clearing   1,000,000 bids: uniform price {uniform:.3} s, pay as bid {pay_as_bid:.3} s (target under 1 s)"
    );

    let dir = tempfile_dir()?;
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let figures = persisted(&url, &opts.workflows_dir, opts.persisted_cases).await?;
    report("sqlite", &figures);
    let _ = std::fs::remove_dir_all(&dir);

    if let Some(admin) = &opts.postgres_admin_url {
        if store::admin::postgres_reachable(admin).await {
            let name = format!("greenlane_bench_{}", Uuid::now_v7().simple());
            let url = store::admin::create_database(admin, &name).await?;
            let result = persisted(&url, &opts.workflows_dir, opts.persisted_cases).await;
            store::admin::drop_database(admin, &name).await?;
            report("postgres", &result?);
            let name = format!("greenlane_bench_{}", Uuid::now_v7().simple());
            let url = store::admin::create_database(admin, &name).await?;
            let result = settlements(&url, &opts.workflows_dir, opts.persisted_cases * 4).await;
            store::admin::drop_database(admin, &name).await?;
            let (n, secs) = result?;
            println!("postgres   settlements: {n} in {secs:.2} s = {:.0}/s (negotiated transfers, escrow to buyer with the payment record)", n as f64 / secs);
        } else {
            println!("postgres   not reachable at the admin URL: skipped");
        }
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("greenlane-bench-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
