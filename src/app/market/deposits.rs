//! Deposits: what a bidder has lodged with the market operator for a lot.

use super::*;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Deposit {
    pub lot: Uuid,
    pub org: String,
    pub amount_fen: i64,
    pub reference: String,
    /// held, refunded or forfeited.
    pub status: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

impl From<DepositRow> for Deposit {
    fn from(d: DepositRow) -> Self {
        Deposit {
            lot: d.lot_id,
            org: d.org,
            amount_fen: d.amount_fen,
            reference: d.reference,
            status: d.status,
            recorded_by: d.recorded_by,
            recorded_at: d.recorded_at,
        }
    }
}

/// Records that a bidder paid the lot's deposit (market operator), while the window is open.
pub async fn record_deposit(
    app: &App,
    actor: &Actor,
    lot_id: Uuid,
    input: Value,
    idem: Option<&Idempotency>,
) -> Result<Deposit, AppError> {
    crate::app::require(actor, Role::MarketOperator)?;
    let lot = auction_lot(app, lot_id).await?;
    let mut errors = FieldErrors::default();
    errors.known_fields(&input, &["org", "reference"]);
    let org = input.get("org").and_then(Value::as_str).map(str::to_string);
    let reference = input
        .get("reference")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty() && r.len() <= 100)
        .map(str::to_string);
    if reference.is_none() {
        errors.add(
            "reference",
            msg!("err-payment-reference-required", max = 100),
        );
    }
    match &org {
        None => errors.add("org", msg!("err-bidder-code-required")),
        Some(o) => match store::directory::find_org(&app.db, o).await? {
            Some(row) if OrgKind::Enterprise.is(&row.kind) => {}
            _ => errors.add("org", msg!("err-not-an-enterprise", code = o)),
        },
    }
    errors.into_result().map_err(AppError::Validation)?;
    let (Some(org), Some(reference)) = (org, reference) else {
        return Err(AppError::Unexpected(anyhow::anyhow!(
            "validated deposit missing"
        )));
    };
    check_window(app, &lot.row, "deposit").await?;
    let now = to_micros(app.clock.now());
    let row = DepositRow {
        lot_id,
        org: org.clone(),
        amount_fen: lot.terms.deposit_fen,
        reference,
        status: DepositStatus::Held.as_str().into(),
        recorded_by: actor.subject.clone(),
        recorded_at: now,
    };
    let tx = app.db.begin().await?;
    let Some(locked) = store::cases::bump_in_state(&tx, lot_id, "open", now).await? else {
        return Err(AppError::Transition(TransitionError::NotAllowed {
            state: lot.row.state,
            action: "deposit".into(),
        }));
    };
    if !store::market::insert_deposit(&tx, row.clone()).await? {
        return Err(AppError::AlreadyExists(msg!(
            "err-deposit-exists",
            org = org
        )));
    }
    crate::app::audit::append_event(
        &tx,
        &locked,
        actor,
        "deposit",
        json!({"org": org, "amount_fen": row.amount_fen, "reference": row.reference}),
        now,
    )
    .await?;
    finish(app, tx, actor, idem, Deposit::from(row), now).await
}
