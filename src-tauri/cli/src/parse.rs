//! Parsing the domain values typed on the command line: `--allow`, `--remove`, `--number` and the
//! expiry flags.
//!
//! These are parsed here rather than by clap so that a bad value gets the CLI's one-line error (and
//! its `--json` shape) with a stable kind. Anything the catalog decides (does Mali have Orange
//! Money? is `XX` a country?) is left to the core, which names what exists instead.

use chrono::NaiveDate;
use clapay_core::composition::Removal;
use clapay_core::{Expiry, Method, NewNumber, Selection};

use crate::args::ExpiryArgs;
use crate::error::{CliError, CliResult};

/// The expiry the flags ask for, `None` when none was given.
pub fn expiry(args: &ExpiryArgs) -> CliResult<Option<Expiry>> {
    if args.no_expiry {
        return Ok(Some(Expiry::Never));
    }
    if let Some(days) = &args.expires_in_days {
        let days = days.trim().parse::<u32>().map_err(|_| {
            CliError::input(
                "invalid_expiry",
                format!("invalid expiry: --expires-in-days wants a whole number of days (1 to 3650), not '{days}'"),
            )
        })?;
        return Ok(Some(Expiry::Days { days }));
    }
    if let Some(date) = &args.expires_on {
        let parsed = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
            CliError::input(
                "invalid_expiry",
                format!("invalid expiry: '{date}' is not a date; use YYYY-MM-DD, e.g. 2027-01-31"),
            )
        })?;
        return Ok(Some(Expiry::Date { date: parsed }));
    }
    Ok(None)
}

fn is_all(part: &str) -> bool {
    part.trim() == "*"
}

fn methods(part: &str, spec: &str) -> CliResult<Option<Vec<Method>>> {
    if is_all(part) {
        return Ok(None);
    }
    let mut methods = Vec::new();
    for code in part.split('+') {
        if code.trim().is_empty() {
            return Err(bad_allow(
                spec,
                "a method is empty; separate methods with '+', e.g. MERCHANT+CASHIN",
            ));
        }
        methods.push(code.parse::<Method>()?);
    }
    Ok(Some(methods))
}

fn bad_allow(spec: &str, why: &str) -> CliError {
    CliError::input(
        "invalid_composition",
        format!("invalid --allow '{spec}': {why}; the form is COUNTRY:OPERATOR:METHOD[+METHOD...], e.g. CI:OM:MERCHANT+CASHIN"),
    )
}

/// One `--allow` value as a catalog selection (`None` = every entry at that level).
///
/// Accepted: `*` or `*:*:*` (everything), `*:*:METHODS` (those methods wherever offered), `CC`
/// (every operator and method of a country), `CC:OP`, `CC:OP:METHODS`, `CC:*:METHODS`.
pub fn allow(spec: &str) -> CliResult<Selection> {
    let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
    if parts.len() > 3 {
        return Err(bad_allow(spec, "too many ':'"));
    }
    if parts.iter().any(|part| part.is_empty()) {
        return Err(bad_allow(spec, "a part is empty"));
    }
    let country = parts[0];
    let operator = parts.get(1).copied().unwrap_or("*");
    let method_part = parts.get(2).copied().unwrap_or("*");
    if is_all(country) && !is_all(operator) {
        return Err(bad_allow(
            spec,
            "operator codes differ between countries, so name a country when you name an operator",
        ));
    }
    Ok(Selection {
        country: (!is_all(country)).then(|| country.to_string()),
        operator: (!is_all(operator)).then(|| operator.to_string()),
        methods: methods(method_part, spec)?,
    })
}

/// One `--remove` value: `CC`, `CC:OP` or `CC:OP:METHOD`.
pub fn removal(spec: &str) -> CliResult<Removal> {
    let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
    let bad = |why: &str| {
        CliError::input(
            "invalid_composition",
            format!("invalid --remove '{spec}': {why}; the form is COUNTRY[:OPERATOR[:METHOD]], e.g. SN or CI:OM:CASHIN"),
        )
    };
    if parts.len() > 3 {
        return Err(bad("too many ':'"));
    }
    if parts.iter().any(|part| part.is_empty() || is_all(part)) {
        return Err(bad("each part must be a code ('*' is not accepted here)"));
    }
    Ok(Removal {
        country: parts[0].to_string(),
        operator: parts.get(1).map(|operator| operator.to_string()),
        method: parts
            .get(2)
            .map(|method| method.parse::<Method>())
            .transpose()?,
    })
}

/// One `--number COUNTRY:PHONE` value.
pub fn number(spec: &str) -> CliResult<NewNumber> {
    match spec.split_once(':') {
        Some((country, phone)) if !country.trim().is_empty() && !phone.trim().is_empty() => {
            Ok(NewNumber { country: country.trim().to_string(), phone: phone.trim().to_string() })
        }
        _ => Err(CliError::input(
            "invalid_phone",
            format!("invalid --number '{spec}': the form is COUNTRY:PHONE, e.g. CI:0707070707 or SN:+221771234567"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_accepts_the_documented_forms() {
        let everything = Selection {
            country: None,
            operator: None,
            methods: None,
        };
        assert_eq!(
            allow("*").ok(),
            Some(everything.clone()),
            "'*' is every country"
        );
        assert_eq!(
            allow("*:*:*").ok(),
            Some(everything),
            "'*:*:*' is every country"
        );
        let ci_om = allow("ci:OM:MERCHANT+cashin").ok();
        assert_eq!(
            ci_om,
            Some(Selection {
                country: Some("ci".into()),
                operator: Some("OM".into()),
                methods: Some(vec![Method::Merchant, Method::Cashin]),
            }),
            "codes are passed on for the core to normalise, methods are parsed"
        );
        assert_eq!(
            allow("SN:WAVE:*").ok().and_then(|s| s.methods),
            None,
            "'*' method is every method"
        );
        assert_eq!(
            allow("SN").ok().and_then(|s| s.operator),
            None,
            "a bare country is every operator"
        );
    }

    #[test]
    fn allow_rejects_malformed_values() {
        for spec in [
            "",
            "CI::MERCHANT",
            "CI:OM:MERCHANT:X",
            "*:OM:MERCHANT",
            "CI:OM:MERCHANT+",
            "CI:OM:PAYIN",
        ] {
            assert!(allow(spec).is_err(), "{spec:?} must be refused");
        }
    }

    #[test]
    fn removal_and_number_forms() {
        assert!(
            removal("SN").is_ok_and(|r| r.operator.is_none()),
            "a bare country removes the country"
        );
        assert!(removal("CI:OM:CASHIN").is_ok_and(|r| r.method == Some(Method::Cashin)));
        assert!(
            removal("CI:*").is_err(),
            "'*' would be a surprising way to say 'the whole country'"
        );
        assert!(number("CI:0707070707").is_ok_and(|n| n.country == "CI" && n.phone == "0707070707"));
        assert!(number("0707070707").is_err(), "the country is required");
    }

    #[test]
    fn expiry_flags() {
        let days = ExpiryArgs {
            expires_in_days: Some("7".into()),
            ..ExpiryArgs::default()
        };
        assert_eq!(expiry(&days).ok().flatten(), Some(Expiry::Days { days: 7 }));
        let bad = ExpiryArgs {
            expires_on: Some("2027-13-01".into()),
            ..ExpiryArgs::default()
        };
        assert!(expiry(&bad).is_err_and(|e| e.to_string().contains("YYYY-MM-DD")));
        assert_eq!(expiry(&ExpiryArgs::default()).ok().flatten(), None);
    }
}
