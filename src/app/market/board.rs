//! The market board: the open listings and auctions traders see.

use super::*;

#[derive(Debug, Clone, Serialize)]
pub struct LotView {
    pub id: Uuid,
    pub workflow: String,
    pub state: String,
    pub seller: String,
    pub data: Value,
    /// When the window closes (listings and auctions that are open).
    pub window_closes_at: Option<DateTime<Utc>>,
}

/// Lots on the market, public to every signed-in user: fixed-price listings and auctions, in
/// `state` (default `open`), oldest first.
pub async fn lots(
    app: &App,
    workflow: Option<String>,
    state: Option<String>,
) -> Result<Vec<LotView>, AppError> {
    let kinds: Vec<String> = match workflow {
        Some(w) if w == "listing" || w == AUCTION => vec![w],
        Some(w) => {
            return Err(AppError::invalid(
                "workflow",
                msg!("err-lot-workflow", workflow = w),
            ))
        }
        None => vec!["listing".into(), AUCTION.into()],
    };
    let mut out = Vec::new();
    for w in kinds {
        let filter = store::cases::Filter {
            workflow: Some(w),
            state: Some(state.clone().unwrap_or_else(|| "open".into())),
            orgs: None,
            org: None,
            text: None,
            submitted_from: None,
            submitted_to: None,
        };
        let (rows, _) = store::cases::list(&app.db, &filter, 1, 500).await?;
        for row in rows {
            let clocks = crate::app::clocks::CaseClocks::load(&app.db, row.id).await?;
            let window = clocks
                .row("window")
                .filter(|c| ClockStatus::Running.is(&c.status))
                .and_then(|c| c.due_at);
            out.push(LotView {
                id: row.id,
                workflow: row.workflow_key,
                state: row.state,
                seller: row.org,
                data: row.data,
                window_closes_at: window,
            });
        }
    }
    Ok(out)
}
