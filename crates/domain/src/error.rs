//! The domain's one error: a value that breaks a rule, with the field it came from and a reason a
//! person can act on. Rule violations that need state (seats, last admin) live in the service layer.

/// A value was rejected by a parse constructor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct DomainError {
    /// The name of the input field, as the client spelled it (`email`, `name`, …).
    pub field: &'static str,
    pub reason: String,
}

impl DomainError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}
