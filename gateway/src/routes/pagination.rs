//! `limit` and `starting_after`, as every list takes them.

use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use crate::error::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items, 1 to 100 (default 20).
    pub limit: Option<String>,
    /// The id of the last item of the previous page.
    pub starting_after: Option<String>,
}

impl PageQuery {
    /// The page size; anything outside 1..=100 is a 400.
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.limit.as_deref() {
            None => Ok(20),
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=100).contains(&n) => Ok(n),
                _ => Err(ApiError::invalid(
                    "limit must be a whole number from 1 to 100",
                    json!({ "param": "limit" }),
                )),
            },
        }
    }
}

/// A page of a list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T: utoipa::ToSchema> {
    pub data: Vec<T>,
    pub has_more: bool,
}
