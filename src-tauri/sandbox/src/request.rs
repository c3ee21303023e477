//! Reading ClaPay's requests: the bearer token and the JSON bodies, field by field, so that a 400
//! names the field that is missing or mistyped. Only the shape is checked here; whether a token
//! may make a payment is the core's decision.

use axum::http::{header, HeaderMap, StatusCode};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::ApiError;
use crate::payments::Tunnel;

/// The most operators one request may list.
pub const OPERATORS_MAX: usize = 16;
/// The largest amount accepted.
const AMOUNT_MAX: u64 = 1_000_000_000_000;

/// The body of `POST /init/payment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitPayment {
    /// The merchant's own id of the payment.
    pub transaction_id: String,
    /// A whole amount in the currency's unit.
    pub amount: u64,
    /// ISO code of the country.
    pub country_code: String,
    /// The operators to try, in order, without repeats.
    pub operators_code: Vec<String>,
    /// The payment method.
    pub method: String,
    /// `API` or `CHECKOUTPAGE`.
    pub tunnel: Tunnel,
    /// `additional_infos.customer_phone`.
    pub customer_phone: Option<String>,
    /// Where to send the webhook.
    pub callback_url: Option<String>,
    /// Where the checkout page sends the customer back.
    pub return_url: Option<String>,
}

/// The bearer token of a request, or `None` when there is none.
pub fn bearer(headers: &HeaderMap) -> Option<Zeroizing<String>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let text = Zeroizing::new(String::from_utf8_lossy(value.as_bytes()).into_owned());
    let (scheme, token) = text.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return None;
    }
    Some(Zeroizing::new(token.trim().to_string()))
}

/// The body as a JSON object.
pub fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON ({error}); send a JSON object"),
        )
    })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the body must be a JSON object, e.g. {\"signature\": \"TEST-...\"}",
        )),
    }
}

/// Parses the body of `POST /init/payment`.
pub fn init_payment(body: &[u8]) -> Result<InitPayment, ApiError> {
    let map = object(body)?;
    let transaction_id = required_text(&map, "transaction_id", 100)?;
    let amount = amount(&map)?;
    let country_code = required_text(&map, "country_code", 2)?;
    if country_code.len() != 2 || !country_code.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(ApiError::field(
            "country_code",
            "must be a two-letter ISO country code, e.g. \"CI\"",
        ));
    }
    let operators_code = operators(&map)?;
    let method = required_text(&map, "method", 32)?;
    let tunnel = match required_text(&map, "tunnel", 32)?
        .to_ascii_uppercase()
        .as_str()
    {
        "API" => Tunnel::Api,
        "CHECKOUTPAGE" => Tunnel::Checkoutpage,
        _ => {
            return Err(ApiError::field(
                "tunnel",
                "must be \"API\" or \"CHECKOUTPAGE\"",
            ))
        }
    };
    let customer_phone = match present(&map, "additional_infos") {
        None => None,
        Some(Value::Object(infos)) => optional_text(infos, "customer_phone", 32)
            .map_err(|_| {
                ApiError::field(
                    "additional_infos.customer_phone",
                    "must be a phone number as text of at most 32 characters",
                )
            })?
            .filter(|phone| !phone.trim().is_empty()),
        Some(_) => {
            return Err(ApiError::field(
                "additional_infos",
                "must be an object, e.g. {\"customer_phone\": \"0707070707\"}",
            ))
        }
    };
    Ok(InitPayment {
        transaction_id,
        amount,
        country_code: country_code.to_ascii_uppercase(),
        operators_code,
        method,
        tunnel,
        customer_phone,
        callback_url: optional_text(&map, "callback_url", 2048)?,
        return_url: optional_text(&map, "return_url", 2048)?,
    })
}

/// Parses a `{"signature": "..."}` body.
pub fn signature(body: &[u8]) -> Result<String, ApiError> {
    required_text(&object(body)?, "signature", 100)
}

/// A field's value, `null` counting as absent.
fn present<'a>(map: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    map.get(field).filter(|value| !value.is_null())
}

fn required_text(map: &Map<String, Value>, field: &str, max: usize) -> Result<String, ApiError> {
    match optional_text(map, field, max)? {
        Some(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        Some(_) => Err(ApiError::field(field, "is empty")),
        None => Err(ApiError::field(field, "is missing")),
    }
}

fn optional_text(
    map: &Map<String, Value>,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match present(map, field) {
        None => Ok(None),
        Some(Value::String(text)) if text.chars().count() <= max => Ok(Some(text.clone())),
        Some(Value::String(_)) => Err(ApiError::field(
            field,
            &format!("is longer than {max} characters"),
        )),
        Some(_) => Err(ApiError::field(field, "must be a string")),
    }
}

fn amount(map: &Map<String, Value>) -> Result<u64, ApiError> {
    let problem = "must be a whole positive number, e.g. 5000";
    let amount = match present(map, "amount") {
        None => return Err(ApiError::field("amount", "is missing")),
        Some(Value::Number(number)) => number.as_u64(),
        // Many integrations send amounts as text.
        Some(Value::String(text)) => text.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    match amount {
        Some(amount) if (1..=AMOUNT_MAX).contains(&amount) => Ok(amount),
        _ => Err(ApiError::field("amount", problem)),
    }
}

fn operators(map: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let field = "operators_code";
    let Some(value) = present(map, field) else {
        return Err(ApiError::field(field, "is missing"));
    };
    let Value::Array(items) = value else {
        return Err(ApiError::field(field, "must be a list, e.g. [\"OM\"]"));
    };
    if items.is_empty() || items.len() > OPERATORS_MAX {
        return Err(ApiError::field(
            field,
            &format!("must list 1 to {OPERATORS_MAX} operator codes"),
        ));
    }
    let mut codes: Vec<String> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match item {
            Value::String(code) if !code.trim().is_empty() && code.chars().count() <= 32 => {
                let code = code.trim().to_ascii_uppercase();
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
            _ => {
                return Err(ApiError::field(
                    &format!("{field}[{index}]"),
                    "must be an operator code of at most 32 characters, e.g. \"OM\"",
                ))
            }
        }
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: serde_json::Value) -> Vec<u8> {
        value.to_string().into_bytes()
    }

    fn valid() -> serde_json::Value {
        serde_json::json!({
            "transaction_id": "order-1",
            "amount": 5000,
            "country_code": "ci",
            "operators_code": ["om", "OM", "mtn"],
            "method": "MERCHANT",
            "tunnel": "API",
            "additional_infos": {"customer_phone": "0707070707", "customer_name": "A"},
            "callback_url": "http://127.0.0.1:9/hook",
            "return_url": null,
            "operator_otp": "1234"
        })
    }

    #[test]
    fn a_clapay_body_is_read() {
        let request = init_payment(&body(valid())).expect("valid");
        assert_eq!(request.country_code, "CI");
        assert_eq!(
            request.operators_code,
            vec!["OM", "MTN"],
            "upper case, no repeat"
        );
        assert_eq!(request.customer_phone.as_deref(), Some("0707070707"));
        assert_eq!(request.return_url, None, "null is absent");
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: [(&str, serde_json::Value); 8] = [
            ("transaction_id", serde_json::Value::Null),
            ("amount", serde_json::json!(-5)),
            ("amount", serde_json::json!(12.5)),
            ("country_code", serde_json::json!("CIV")),
            ("operators_code", serde_json::json!([])),
            ("operators_code[0]", serde_json::json!([1])),
            ("tunnel", serde_json::json!("USSD")),
            ("additional_infos", serde_json::json!("0707")),
        ];
        for (field, value) in cases {
            let mut request = valid();
            let key = field.split('[').next().expect("name");
            request[key] = value;
            let error = init_payment(&body(request)).expect_err("refused");
            assert_eq!(error.status, StatusCode::BAD_REQUEST);
            assert!(
                error.message.contains(&format!("`{field}`")),
                "the message names {field}: {}",
                error.message
            );
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused() {
        assert_eq!(init_payment(b"{").expect_err("bad").error, "invalid_json");
        assert_eq!(init_payment(b"[1]").expect_err("bad").error, "invalid_json");
    }

    #[test]
    fn only_a_bearer_authorization_carries_a_token() {
        let mut headers = HeaderMap::new();
        assert!(bearer(&headers).is_none());
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().expect("header"));
        assert!(bearer(&headers).is_none());
        headers.insert(
            header::AUTHORIZATION,
            "bearer  clp_x ".parse().expect("header"),
        );
        assert_eq!(
            bearer(&headers).as_deref().map(String::as_str),
            Some("clp_x")
        );
    }
}
