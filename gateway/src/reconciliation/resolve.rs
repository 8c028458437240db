//! An operator's resolution of a difference, as the group commit receives it, and the
//! checks that need nothing but the difference itself.

use serde_json::json;

use super::matching::{Action, DiscrepancyKind};
use super::views::DiscrepancyView;
use crate::error::ApiError;

/// Longest reason and operator name kept in the audit record.
pub const MAX_REASON_CHARS: usize = 500;
pub const MAX_OPERATOR_CHARS: usize = 100;

#[derive(Debug, Clone)]
pub struct ResolveRequest {
    /// The difference as read before the batch (the batch re-checks what can change).
    pub discrepancy: DiscrepancyView,
    pub action: Action,
    pub reason: String,
    pub operator: String,
}

fn text(value: Option<&str>, param: &'static str, max: usize) -> Result<String, ApiError> {
    let value = value.map(str::trim).unwrap_or_default();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ApiError::InvalidInput {
            code: "invalid_resolution",
            message: format!("{param} must be 1 to {max} characters of text"),
            details: json!({ "param": param }),
        });
    }
    Ok(value.to_string())
}

/// The reason (required: it is the audit record's point) and the operator's name.
pub fn reason_and_operator(
    reason: Option<&str>,
    operator: Option<&str>,
) -> Result<(String, String), ApiError> {
    Ok((
        text(reason, "reason", MAX_REASON_CHARS)?,
        text(
            operator.or(Some("operator")),
            "operator",
            MAX_OPERATOR_CHARS,
        )?,
    ))
}

/// Whether `action` is one the difference allows.
fn allowed(d: &DiscrepancyView, action: Action) -> Result<(), ApiError> {
    if d.actions.contains(&action) {
        return Ok(());
    }
    Err(ApiError::BusinessRule {
        code: "resolution_not_allowed",
        message: "this action does not resolve this kind of difference; see its actions",
    })
}

impl ResolveRequest {
    /// A resolution of `discrepancy`, refused when `action` is not one of its actions,
    /// so neither the API nor the console can submit one that is not.
    pub fn new(
        discrepancy: DiscrepancyView,
        action: Action,
        reason: String,
        operator: String,
    ) -> Result<Self, ApiError> {
        allowed(&discrepancy, action)?;
        Ok(Self {
            discrepancy,
            action,
            reason,
            operator,
        })
    }
}

/// The amount a `credit` or `reverse` of an amount mismatch moves: the gap.
pub fn gap(d: &DiscrepancyView) -> Option<i64> {
    match (d.kind, d.theirs.amount, d.ours.amount) {
        (DiscrepancyKind::AmountMismatch, Some(t), Some(o)) => Some(t.abs_diff(o).try_into().ok()?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconciliation::matching::RecordStatus;
    use crate::reconciliation::views::{OurSide, TheirSide};

    fn mismatch(their: i64, our: i64) -> DiscrepancyView {
        DiscrepancyView {
            id: "dsc_1".into(),
            run_id: "rcn_1".into(),
            kind: DiscrepancyKind::AmountMismatch,
            reference: "pay_1".into(),
            payment_id: Some("pay_1".into()),
            theirs: TheirSide {
                line: Some(3),
                transaction_id: None,
                amount: Some(their),
                status: Some(RecordStatus::Settled),
            },
            ours: OurSide {
                amount: Some(our),
                status: Some(RecordStatus::Settled),
            },
            actions: vec![Action::Credit, Action::Dismiss],
            resolution: None,
        }
    }

    #[test]
    fn the_gap_and_the_allowed_actions() {
        assert_eq!(gap(&mismatch(210_000, 200_000)), Some(10_000));
        assert_eq!(gap(&mismatch(190_000, 200_000)), Some(10_000));
        let d = mismatch(210_000, 200_000);
        assert!(allowed(&d, Action::Credit).is_ok());
        assert!(allowed(&d, Action::Reverse).is_err());
    }

    #[test]
    fn a_reason_is_required() {
        assert!(reason_and_operator(None, None).is_err());
        assert!(reason_and_operator(Some("   "), None).is_err());
        assert!(reason_and_operator(Some(&"x".repeat(501)), None).is_err());
        assert!(reason_and_operator(Some("ok"), Some("a\nb")).is_err());
        assert_eq!(
            reason_and_operator(Some(" EVN confirmed by phone "), None).unwrap(),
            ("EVN confirmed by phone".to_string(), "operator".to_string())
        );
    }
}
