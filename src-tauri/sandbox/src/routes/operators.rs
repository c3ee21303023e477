//! `GET /operators/data?country=XX`: the catalog's operators of a country in ClaPay's shape,
//! where each method maps to the operator's code, or to `"none"` when it does not offer it.
//! The catalog is public data: no token is needed.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clapay_core::Method;
use serde_json::{json, Map, Value};

use super::{answer, refuse};
use crate::error::ApiError;
use crate::log::LogEntry;
use crate::state::SandboxState;

pub(super) async fn data(
    State(state): State<Arc<SandboxState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut entry = LogEntry::request("GET", "/operators/data", 0);
    let Some(code) = query
        .get("country")
        .map(|code| code.trim().to_ascii_uppercase())
    else {
        let error = ApiError::field("country", "is missing: GET /operators/data?country=CI");
        return refuse(&state, entry, error);
    };
    entry.country = Some(code.chars().take(8).collect());
    let catalog = state.catalog();
    let Some(country) = catalog.country(&code) else {
        let known: Vec<&str> = catalog.countries.iter().map(|c| c.iso.as_str()).collect();
        let error = ApiError::field(
            "country",
            &format!("is not in the catalog; use one of {}", known.join(", ")),
        );
        return refuse(&state, entry, error);
    };
    let operators: Vec<Value> = country
        .operators
        .iter()
        .map(|operator| {
            let codes: Map<String, Value> = Method::ALL
                .into_iter()
                .map(|method| {
                    let code = if operator.methods.contains(&method) {
                        operator.code.clone()
                    } else {
                        "none".to_string()
                    };
                    (method.code().to_string(), Value::String(code))
                })
                .collect();
            json!({ "operator": operator.code, "name": operator.name, "code": codes })
        })
        .collect();
    let body = json!({
        "country": country.iso,
        "name": country.name,
        "currency": country.currency,
        "calling_code": country.calling_code,
        "operators": operators,
        "simulated": true,
    });
    answer(&state, entry, Json(body).into_response())
}
