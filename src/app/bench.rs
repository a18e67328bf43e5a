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
    /// Actions over HTTP against a running server on a PostgreSQL database, 16 clients; given
    /// by the caller, since building a server is not this layer's to do.
    pub http: Option<HttpBench>,
}

/// Measures actions over HTTP on the database at a URL, with workflows from a folder, so many
/// cases per client.
pub type HttpBench = fn(
    String,
    std::path::PathBuf,
    u64,
) -> futures_util::future::BoxFuture<'static, anyhow::Result<HttpFigures>>;

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

/// Statements seen by the database connection while `on`.
#[derive(Default)]
struct StatementLog {
    on: std::sync::atomic::AtomicBool,
    count: std::sync::atomic::AtomicU64,
    keep: std::sync::atomic::AtomicBool,
    kept: std::sync::Mutex<Vec<String>>,
}

impl StatementLog {
    fn attach(self: &Arc<Self>, db: &mut sea_orm::DatabaseConnection) {
        use std::sync::atomic::Ordering;
        let log = self.clone();
        db.set_metric_callback(move |info| {
            if log.on.load(Ordering::Relaxed) {
                log.count.fetch_add(1, Ordering::Relaxed);
                if log.keep.load(Ordering::Relaxed) {
                    let sql = info
                        .statement
                        .sql
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    if let Ok(mut kept) = log.kept.lock() {
                        kept.push(sql);
                    }
                }
            }
        });
    }
}

/// Persisted actions and plain transactions on one database, at 1 and at 16 clients.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DbFigures {
    pub actions_per_s: f64,
    pub plain_per_s: f64,
    pub ratio: f64,
    pub actions_per_s_16: f64,
    pub plain_per_s_16: f64,
    pub ratio_16: f64,
    /// SQL statements sent per persisted action, counted at the connection (BEGIN, COMMIT and
    /// savepoints are not statements the driver reports; add 2 per action for them).
    pub statements_per_action: f64,
    /// The same walks with group commit (`GREENLANE_GROUP_COMMIT=on`, the server's default).
    pub grouped_per_s: f64,
    pub grouped_ratio: f64,
    pub grouped_per_s_16: f64,
    pub grouped_ratio_16: f64,
    /// Actions per transaction at 16 clients with group commit.
    pub grouped_batch_16: f64,
    /// A single action's latency at 1 client, p50 and p99 in milliseconds, each action in its
    /// own transaction and with group commit.
    pub single_p50_ms: f64,
    pub single_p99_ms: f64,
    pub grouped_p50_ms: f64,
    pub grouped_p99_ms: f64,
    /// The statements of one `accept`, in order (human output only).
    #[serde(skip)]
    pub accept_statements: Vec<String>,
}

/// Walks `cases_per_client` report-form cases per client through the path, `clients` at once.
/// Answers actions and seconds.
async fn walk(app: &App, clients: usize, cases_per_client: u64) -> anyhow::Result<(u64, f64)> {
    let (actions, seconds, _) = walk_timed(app, clients, cases_per_client).await?;
    Ok((actions, seconds))
}

/// As [`walk`], with each action's latency in milliseconds.
async fn walk_timed(
    app: &App,
    clients: usize,
    cases_per_client: u64,
) -> anyhow::Result<(u64, f64, Vec<f64>)> {
    let mut ids = Vec::new();
    let c = cast();
    for _ in 0..(clients as u64 * cases_per_client) {
        let case = cases::create_case(
            app,
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
    let mut tasks = Vec::new();
    for chunk in ids.chunks(cases_per_client.max(1) as usize) {
        let (app, chunk) = (app.clone(), chunk.to_vec());
        tasks.push(tokio::spawn(async move {
            let c = cast();
            let steps = path(&c);
            let mut latencies = Vec::new();
            for id in chunk {
                let mut version = 1;
                for (actor, action, payload) in &steps {
                    let request = FireRequest {
                        expected_version: version,
                        comment: None,
                        payload: payload.clone(),
                    };
                    let began = Instant::now();
                    let case = cases::fire(&app, actor, id, action, request, None)
                        .await
                        .map_err(|e| anyhow::anyhow!("{action}: {e}"))?;
                    latencies.push(began.elapsed().as_secs_f64() * 1000.0);
                    version = case.version;
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    Ok((
        latencies.len() as u64,
        started.elapsed().as_secs_f64(),
        latencies,
    ))
}

/// The `q` quantile (0 to 1) of `values`.
fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let i = ((values.len() - 1) as f64 * q).round() as usize;
    values[i]
}

/// `n` plain transactions per client, `clients` at once, each client on its own row.
async fn plain(app: &App, clients: usize, n: u64) -> anyhow::Result<(u64, f64)> {
    let c = cast();
    let mut targets = Vec::new();
    for _ in 0..clients {
        let case = cases::create_case(
            app,
            &c.applicant,
            "eia_report_form",
            sample_project(),
            None,
            None,
        )
        .await?;
        targets.push(case.id);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (k, target) in targets.into_iter().enumerate() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            use sea_orm::TransactionTrait;
            for i in 0..n {
                let tx = app.db.begin().await?;
                // Keys distinct across runs and clients.
                let n = clients as u64 * 1_000_000_000 + k as u64 * 10_000_000 + i;
                store::plain::update_and_insert(&tx, target, n as i64).await?;
                tx.commit().await?;
            }
            anyhow::Ok(n)
        }));
    }
    let mut done = 0;
    for t in tasks {
        done += t.await??;
    }
    Ok((done, started.elapsed().as_secs_f64()))
}

async fn persisted(db_url: &str, dir: &Path, cases_n: u64) -> anyhow::Result<DbFigures> {
    use std::sync::atomic::Ordering;
    let mut db = store::connect(db_url).await?;
    let log = Arc::new(StatementLog::default());
    log.attach(&mut db);
    let app = App::start(db, dir, Arc::new(SystemClock)).await?;

    // One case walked alone, its statements counted; the `accept` kept to be shown.
    let c = cast();
    let one = cases::create_case(
        &app,
        &c.applicant,
        "eia_report_form",
        sample_project(),
        None,
        None,
    )
    .await?;
    let mut version = one.version;
    let mut walked = 0u64;
    log.on.store(true, Ordering::Relaxed);
    for (actor, action, payload) in path(&c) {
        log.keep.store(action == "accept", Ordering::Relaxed);
        let request = FireRequest {
            expected_version: version,
            comment: None,
            payload,
        };
        version = cases::fire(&app, actor, one.id, action, request, None)
            .await?
            .version;
        walked += 1;
    }
    log.on.store(false, Ordering::Relaxed);
    log.keep.store(false, Ordering::Relaxed);
    let statements = log.count.load(Ordering::Relaxed) as f64 / walked as f64;
    let accept_statements = log.kept.lock().map(|k| k.clone()).unwrap_or_default();

    let (a1, s1, mut single) = walk_timed(&app, 1, cases_n).await?;
    let (p1, ps1) = plain(&app, 1, a1).await?;
    let per_client = (cases_n / 16).max(1);
    let (a16, s16) = walk(&app, 16, per_client).await?;
    let (p16, ps16) = plain(&app, 16, a16 / 16).await?;
    // Group commit, on the same database.
    let mut grouped = app.clone();
    let group = Arc::new(super::group::GroupCommit::for_database(&app.db));
    grouped.group = Some(group.clone());
    let (g1, gs1, mut grouped_single) = walk_timed(&grouped, 1, cases_n).await?;
    let before = group.counts();
    let (g16, gs16) = walk(&grouped, 16, per_client).await?;
    let after = group.counts();
    let batch_16 = (after.0 - before.0) as f64 / ((after.1 - before.1).max(1)) as f64;
    drop(grouped);
    app.db.close().await?;
    let rate = |n: u64, s: f64| n as f64 / s;
    let f = DbFigures {
        actions_per_s: rate(a1, s1),
        plain_per_s: rate(p1, ps1),
        ratio: 0.0,
        actions_per_s_16: rate(a16, s16),
        plain_per_s_16: rate(p16, ps16),
        ratio_16: 0.0,
        statements_per_action: statements,
        grouped_per_s: rate(g1, gs1),
        grouped_ratio: 0.0,
        grouped_per_s_16: rate(g16, gs16),
        grouped_ratio_16: 0.0,
        grouped_batch_16: batch_16,
        single_p50_ms: quantile(&mut single, 0.5),
        single_p99_ms: quantile(&mut single, 0.99),
        grouped_p50_ms: quantile(&mut grouped_single, 0.5),
        grouped_p99_ms: quantile(&mut grouped_single, 0.99),
        accept_statements,
    };
    Ok(DbFigures {
        ratio: f.actions_per_s / f.plain_per_s,
        ratio_16: f.actions_per_s_16 / f.plain_per_s_16,
        grouped_ratio: f.grouped_per_s / f.plain_per_s,
        grouped_ratio_16: f.grouped_per_s_16 / f.plain_per_s_16,
        ..f
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
                payload: if action == "confirm_payment" {
                    json!({"payment_reference": "BENCH"})
                } else {
                    json!({})
                },
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

/// Actions through the running server over HTTP, 16 clients at once, while one more client
/// reads a case in a loop.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HttpFigures {
    pub actions_per_s_16: f64,
    pub get_p50_ms: f64,
    pub get_p99_ms: f64,
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
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

/// Everything `greenlane bench` measures, in one run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Figures {
    pub engine: EngineFigures,
    pub sqlite: DbFigures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres: Option<DbFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpFigures>,
    pub clearing: ClearingFigures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlements_per_s: Option<f64>,
    /// The transparency log's integrator over a backlog of audit entries.
    pub log: LogFigures,
    /// The most resident memory this process held (VmHWM).
    pub rss_mb_peak: f64,
}

/// How fast the integrator appends a backlog of audit entries to the transparency log (leaves,
/// complete subtrees, leaf indexes and signed checkpoints), on SQLite and on PostgreSQL.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LogFigures {
    pub leaves: u64,
    pub seconds: f64,
    /// On SQLite.
    pub leaves_per_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres_leaves_per_s: Option<f64>,
}

/// Audit entries in the log benchmark's backlog.
const LOG_ENTRIES: usize = 100_000;

/// Seeds `entries` audit entries (two per case), then integrates them all; answers the leaves
/// appended and the seconds it took.
async fn log_rate(db_url: &str, dir: &Path, entries: usize) -> anyhow::Result<(u64, f64)> {
    let db = store::connect(db_url).await?;
    let mut app = App::start(db, dir, Arc::new(SystemClock)).await?;
    let keys = tempfile_dir()?;
    app.log = Arc::new(super::tlog::Log::open(
        "greenlane.bench/log",
        &keys.join("log.key"),
    )?);
    // Whatever starting the app wrote goes in first, outside the measure.
    while super::tlog::integrate(&app).await?.appended > 0 {}
    let now = chrono::Utc::now();
    seed_due(&app, entries / 2, now, now + chrono::Duration::days(1)).await?;
    let started = Instant::now();
    let mut leaves = 0;
    loop {
        let step = super::tlog::integrate(&app).await?;
        leaves += step.appended;
        if step.appended == 0 {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&keys);
    Ok((leaves, seconds))
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct EngineFigures {
    pub transitions_per_s: f64,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ClearingFigures {
    pub uniform_1m_s: f64,
    pub pay_as_bid_1m_s: f64,
}

/// The peak resident set of this process in MB, from /proc (0 where there is none).
pub fn rss_mb_peak() -> f64 {
    peak_rss_mb_of("self")
}

/// The peak resident set of process `pid` (`self` for this one) in MB, from /proc (0 where
/// there is none).
pub fn peak_rss_mb_of(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub async fn measure(opts: &Options, say: &dyn Fn(String)) -> anyhow::Result<Figures> {
    let mut figures = Figures::default();
    let def = report_form(&opts.workflows_dir)?;
    // Warm up, then measure.
    engine_rate(&def, opts.engine_walks / 10 + 1)?;
    let (n, secs) = engine_rate(&def, opts.engine_walks)?;
    figures.engine.transitions_per_s = n as f64 / secs;
    say(format!(
        "engine     pure transitions: {n} in {secs:.2} s = {:.0}/s on one core",
        figures.engine.transitions_per_s
    ));

    let (uniform, pay_as_bid) = clearing_times(1_000_000);
    figures.clearing = ClearingFigures {
        uniform_1m_s: uniform,
        pay_as_bid_1m_s: pay_as_bid,
    };
    say(format!(
        "clearing   1,000,000 bids: uniform price {uniform:.3} s, pay as bid {pay_as_bid:.3} s"
    ));

    let dir = tempfile_dir()?;
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    figures.sqlite = persisted(&url, &opts.workflows_dir, opts.persisted_cases).await?;
    report("sqlite", &figures.sqlite, say);
    let _ = std::fs::remove_dir_all(&dir);

    let dir = tempfile_dir()?;
    let url = format!("sqlite://{}", dir.join("log.db").display());
    let (leaves, seconds) = log_rate(&url, &opts.workflows_dir, LOG_ENTRIES).await?;
    let _ = std::fs::remove_dir_all(&dir);
    figures.log = LogFigures {
        leaves,
        seconds,
        leaves_per_s: leaves as f64 / seconds,
        ..Default::default()
    };
    say(format!(
        "log        sqlite: {leaves} audit entries integrated in {seconds:.2} s = {:.0} leaves/s",
        figures.log.leaves_per_s
    ));

    if let Some(admin) = &opts.postgres_admin_url {
        if store::admin::postgres_reachable(admin).await {
            on_postgres(opts, admin, &mut figures, say).await?;
        } else {
            say("postgres   not reachable at the admin URL: skipped".into());
        }
    }
    figures.rss_mb_peak = rss_mb_peak();
    say(format!(
        "memory     peak resident set {:.0} MB",
        figures.rss_mb_peak
    ));
    Ok(figures)
}

/// The PostgreSQL figures: persisted actions, HTTP, the log, settlements, each on a fresh
/// database.
async fn on_postgres(
    opts: &Options,
    admin: &str,
    figures: &mut Figures,
    say: &dyn Fn(String),
) -> anyhow::Result<()> {
    let fresh = || async {
        let name = format!("greenlane_bench_{}", Uuid::now_v7().simple());
        let url = store::admin::create_database(admin, &name).await?;
        anyhow::Ok((name, url))
    };
    let (name, url) = fresh().await?;
    let result = persisted(&url, &opts.workflows_dir, opts.persisted_cases).await;
    store::admin::drop_database(admin, &name).await?;
    let pg = result?;
    report("postgres", &pg, say);
    figures.postgres = Some(pg);

    if let Some(over_http) = opts.http {
        let (name, url) = fresh().await?;
        let cases = (opts.persisted_cases / 8).max(2);
        let result = over_http(url, opts.workflows_dir.clone(), cases).await;
        store::admin::drop_database(admin, &name).await?;
        let http = result?;
        say(format!(
            "http       postgres, 16 clients: {:.0} actions/s; a reader meanwhile: GET /api/v1/cases/{{id}} p50 {:.1} ms, p99 {:.1} ms",
            http.actions_per_s_16, http.get_p50_ms, http.get_p99_ms
        ));
        figures.http = Some(http);
    }

    let (name, url) = fresh().await?;
    let result = log_rate(&url, &opts.workflows_dir, LOG_ENTRIES).await;
    store::admin::drop_database(admin, &name).await?;
    let (leaves, seconds) = result?;
    figures.log.postgres_seconds = Some(seconds);
    figures.log.postgres_leaves_per_s = Some(leaves as f64 / seconds);
    say(format!(
        "log        postgres: {leaves} audit entries integrated in {seconds:.2} s = {:.0} leaves/s",
        leaves as f64 / seconds
    ));

    let (name, url) = fresh().await?;
    let result = settlements(&url, &opts.workflows_dir, opts.persisted_cases * 4).await;
    store::admin::drop_database(admin, &name).await?;
    let (n, secs) = result?;
    figures.settlements_per_s = Some(n as f64 / secs);
    say(format!("postgres   settlements: {n} in {secs:.2} s = {:.0}/s (negotiated transfers, escrow to buyer with the payment record)", n as f64 / secs));
    Ok(())
}

fn report(name: &str, f: &DbFigures, say: &dyn Fn(String)) {
    say(format!(
        "{name:<10} 1 client:   persisted actions {:>7.0}/s | plain UPDATE+INSERT transactions {:>7.0}/s | ratio {:.2}",
        f.actions_per_s, f.plain_per_s, f.ratio
    ));
    say(format!(
        "{name:<10} 16 clients: persisted actions {:>7.0}/s | plain UPDATE+INSERT transactions {:>7.0}/s | ratio {:.2}",
        f.actions_per_s_16, f.plain_per_s_16, f.ratio_16
    ));
    say(format!(
        "{name:<10} group commit: 1 client {:>7.0}/s (ratio {:.2}) | 16 clients {:>7.0}/s (ratio {:.2}), {:.1} actions per transaction",
        f.grouped_per_s, f.grouped_ratio, f.grouped_per_s_16, f.grouped_ratio_16, f.grouped_batch_16
    ));
    say(format!(
        "{name:<10} one action at 1 client: p50 {:.2} ms, p99 {:.2} ms alone | p50 {:.2} ms, p99 {:.2} ms with group commit",
        f.single_p50_ms, f.single_p99_ms, f.grouped_p50_ms, f.grouped_p99_ms
    ));
    say(format!(
        "{name:<10} {:.1} statements per action (without BEGIN and COMMIT); an `accept` sends:",
        f.statements_per_action
    ));
    for (i, sql) in f.accept_statements.iter().enumerate() {
        let short: String = sql.chars().take(150).collect();
        say(format!("{name:<10}   {:>2}. {short}", i + 1));
    }
}

/// Runs the benchmarks; prints lines as it goes, or, with `json`, one JSON object at the end.
pub async fn run(opts: Options, json: bool) -> anyhow::Result<()> {
    let say: &dyn Fn(String) = if json {
        &|_| {}
    } else {
        &|line| println!("{line}")
    };
    let figures = measure(&opts, say).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    }
    Ok(())
}

/// Seeds `n` report-form cases submitted at `submitted`, each with its acceptance-check expiry
/// due at `due`, with their audit chains, clock rows, segments and timers, 500 cases per
/// transaction: for the timer benchmark and tests of many deadlines due at once.
pub async fn seed_due(
    app: &App,
    n: usize,
    submitted: chrono::DateTime<chrono::Utc>,
    due: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<Uuid>> {
    use sea_orm::TransactionTrait;
    let def = app
        .workflows
        .newest("eia_report_form")
        .ok_or_else(|| anyhow::anyhow!("eia_report_form is not deployed"))?;
    let at = DueAt {
        workflow_version: def.version as i32,
        data: sample_project(),
        submitted,
        due,
        calendar_version: app.calendar.get().version().to_string(),
    };
    let db = &app.db;
    let mut ids = Vec::with_capacity(n);
    for chunk_start in (0..n).step_by(500) {
        let (mut cases, mut audits, mut clocks, mut segments, mut timers) =
            (vec![], vec![], vec![], vec![], vec![]);
        for _ in chunk_start..(chunk_start + 500).min(n) {
            let case = at.case(Uuid::now_v7());
            ids.push(case.case.id);
            cases.push(case.case);
            audits.extend(case.audits);
            clocks.push(case.clock);
            segments.push(case.segment);
            timers.push(case.timer);
        }
        let tx = db.begin().await?;
        store::bulk::cases(&tx, cases).await?;
        store::bulk::audit(&tx, audits).await?;
        store::bulk::clocks(&tx, clocks).await?;
        store::bulk::segments(&tx, segments).await?;
        store::clocks::insert_timers(&tx, timers).await?;
        tx.commit().await?;
    }
    // A database that holds this many cases has statistics on them (autovacuum analyzes a table
    // that grew by a tenth); a bulk load a moment ago has none yet.
    store::analyze(db).await?;
    Ok(ids)
}

/// What every seeded due case shares.
struct DueAt {
    workflow_version: i32,
    data: serde_json::Value,
    submitted: chrono::DateTime<chrono::Utc>,
    due: chrono::DateTime<chrono::Utc>,
    calendar_version: String,
}

/// The rows of one seeded due case.
struct DueCase {
    case: store::cases::CaseRow,
    audits: [store::audit::AuditRow; 2],
    clock: store::clocks::ClockRow,
    segment: store::clocks::SegmentRow,
    timer: store::clocks::TimerRow,
}

impl DueAt {
    /// A report form created and submitted, its acceptance check running and due.
    fn case(&self, id: Uuid) -> DueCase {
        use crate::domain::audit::{AuditRecord, GENESIS};
        use crate::domain::timer::TimerState;
        use crate::engine::ClockStatus;
        use crate::store::clocks::{ClockRow, SegmentRow, TimerRow};
        let submitted = self.submitted;
        let mut record = AuditRecord {
            case_id: id,
            seq: 1,
            actor: "ann@acme.example".into(),
            actor_org: "ACME".into(),
            address: None,
            roles: vec!["applicant".into()],
            action: "create".into(),
            from_state: String::new(),
            to_state: "draft".into(),
            payload: self.data.clone(),
            comment: None,
            at: submitted,
            documents: Vec::new(),
        };
        let h1 = record.chain_hash(GENESIS);
        let created = super::audit::audit_row(&record, GENESIS, &h1);
        record.seq = 2;
        record.action = "submit".into();
        record.from_state = "draft".into();
        record.to_state = "submitted".into();
        record.payload = serde_json::json!({});
        let h2 = record.chain_hash(&h1);
        let submitted_row = super::audit::audit_row(&record, &h1, &h2);
        let clock = "acceptance_check";
        DueCase {
            case: store::cases::CaseRow {
                id,
                workflow_key: "eia_report_form".into(),
                workflow_version: self.workflow_version,
                state: "submitted".into(),
                version: 2,
                org: "ACME".into(),
                data: self.data.clone(),
                audit_head: h2,
                created_by: "ann@acme.example".into(),
                created_at: submitted,
                updated_at: submitted,
                reference: None,
                title: Some("Changshou chemical park boiler".into()),
                submitted_at: Some(submitted),
            },
            audits: [created, submitted_row],
            clock: ClockRow {
                case_id: id,
                clock: clock.into(),
                run: 1,
                status: ClockStatus::Running.as_str().into(),
                due_date: Some(
                    crate::domain::calendar::local_date(self.due - chrono::Duration::seconds(1))
                        .to_string(),
                ),
                due_at: Some(self.due),
                provisional: false,
                calendar_version: self.calendar_version.clone(),
                updated_at: submitted,
            },
            segment: SegmentRow {
                id: Uuid::now_v7(),
                case_id: id,
                clock: clock.into(),
                run: 1,
                running: true,
                reason: "submitted".into(),
                started_at: submitted,
                ended_at: None,
            },
            timer: TimerRow {
                id: Uuid::now_v7(),
                case_id: id,
                clock: clock.into(),
                run: 1,
                kind: "expiry".into(),
                fraction: None,
                due_at: self.due,
                action: Some("deem_accepted".into()),
                status: TimerState::Pending.as_str().into(),
                fired_at: None,
                note: None,
                created_at: submitted,
            },
        }
    }
}

pub(crate) fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("greenlane-bench-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The JWT secret of the benchmarks' servers.
pub const BENCH_SECRET: &str = "bench-secret-bench-secret-bench-secret-0";

/// A benchmark server's settings: port 0, `url`'s database, a manual clock at `start`, the
/// worker on, mail into files.
pub fn server_settings(
    url: &str,
    workflows_dir: std::path::PathBuf,
    start: chrono::DateTime<chrono::Utc>,
) -> crate::settings::Settings {
    use crate::settings::{ClockMode, MailConfig, Settings};
    Settings {
        bind: "127.0.0.1:0".into(),
        database_url: url.to_string(),
        jwt_secret: Some(BENCH_SECRET.into()),
        jwt_issuer: "greenlane".into(),
        jwt_audience: "greenlane-api".into(),
        workflows_dir,
        clock: ClockMode::Manual { start: Some(start) },
        mail: MailConfig::files(
            std::env::temp_dir().join("greenlane-bench-mail"),
            "http://127.0.0.1",
        ),
        worker: true,
        documents_dir: std::env::temp_dir().join("greenlane-bench-documents"),
        max_upload_bytes: 1 << 20,
        cors_origins: Vec::new(),
        oidc: Vec::new(),
        timer_workers: 2,
        trusted_proxies: Vec::new(),
        log_origin: "greenlane.test/log".into(),
        password_sign_in: true,
        group_commit: true,
        log_key_file: std::env::temp_dir().join(format!(
            "greenlane-log-{}.key",
            uuid::Uuid::now_v7().simple()
        )),
    }
}
