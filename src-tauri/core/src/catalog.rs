//! The reference catalog: countries, their operators, and the payment methods each operator offers.
//!
//! A catalog is embedded in the binary (`catalog/catalog.json`); a merchant may load a newer file.
//! Loading is strict: unknown fields, duplicate keys, duplicate codes, malformed codes and countries
//! that libphonenumber does not know are refused with a message naming the line or the key, so a bad
//! file never half-replaces a good one.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A payment method of the ClaPay API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// Pay-in: collection from a customer's wallet.
    Merchant,
    /// Pay-out: disbursement to a customer's wallet.
    Cashin,
    /// A third method of ClaPay's enum, undocumented publicly.
    Cashout,
}

impl Method {
    /// Every method, in display order.
    pub const ALL: [Method; 3] = [Method::Merchant, Method::Cashin, Method::Cashout];

    /// The API code (`MERCHANT`, `CASHIN`, `CASHOUT`).
    pub fn code(self) -> &'static str {
        match self {
            Method::Merchant => "MERCHANT",
            Method::Cashin => "CASHIN",
            Method::Cashout => "CASHOUT",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Method {
    type Err = Error;

    fn from_str(text: &str) -> Result<Method> {
        Method::ALL
            .into_iter()
            .find(|method| method.code().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| Error::NotInCatalog {
                what: format!("unknown payment method '{text}'; use MERCHANT, CASHIN or CASHOUT"),
            })
    }
}

/// A method's display data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodInfo {
    /// The method.
    pub code: Method,
    /// A short name ("Pay-in").
    pub name: String,
    /// What it means.
    pub description: String,
}

/// One mobile-money operator of a country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// Short code used by the API (`OM`, `MTN`, `WAVE`...).
    pub code: String,
    /// Display name ("Orange Money").
    pub name: String,
    /// Methods this operator offers.
    pub methods: Vec<Method>,
    /// Methods listed but not confirmed by a public source.
    #[serde(default)]
    pub unverified_methods: Vec<Method>,
}

/// One country of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code (`CI`).
    pub iso: String,
    /// English name.
    pub name: String,
    /// `+` and the international calling code (`+225`).
    pub calling_code: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// `M` (several sources agree) or `L` (one source).
    pub confidence: String,
    /// Where the data comes from.
    pub source: String,
    /// Anything a merchant should know (numbering changes, disputed operators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Operators, in display order.
    pub operators: Vec<Operator>,
}

impl Country {
    /// The operator with this code.
    pub fn operator(&self, code: &str) -> Option<&Operator> {
        self.operators.iter().find(|operator| operator.code == code)
    }
}

/// The whole catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// A version label (a date), shown in settings.
    pub version: String,
    /// Display data of the methods.
    pub methods: Vec<MethodInfo>,
    /// Countries, in display order.
    pub countries: Vec<Country>,
}

/// One thing a token may do: a country, an operator of it, and a method the operator offers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Triple {
    /// ISO code of the country.
    pub country: String,
    /// Operator code.
    pub operator: String,
    /// Payment method.
    pub method: Method,
}

/// A composition request with the "all" helpers: `None` means every entry at that level.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Selection {
    /// A country code, or `None` for all countries.
    pub country: Option<String>,
    /// An operator code, or `None` for all operators of the country.
    pub operator: Option<String>,
    /// Methods, or `None` for every method the operator offers.
    pub methods: Option<Vec<Method>>,
}

const EMBEDDED_JSON: &str = include_str!("../catalog/catalog.json");

impl Catalog {
    /// The catalog shipped in the binary.
    pub fn embedded() -> Arc<Catalog> {
        static EMBEDDED: OnceLock<Arc<Catalog>> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| {
                // The embedded file is checked by a unit test, so this cannot fail in a released build.
                Arc::new(Catalog::from_json(EMBEDDED_JSON).expect("the embedded catalog is valid"))
            })
            .clone()
    }

    /// Parses and validates a catalog file's text.
    pub fn from_json(text: &str) -> Result<Catalog> {
        let catalog: Catalog =
            serde_json::from_str(text).map_err(|error| Error::InvalidCatalog {
                reason: format!("{error}"),
            })?;
        catalog.validate()?;
        Ok(catalog)
    }

    fn validate(&self) -> Result<()> {
        let invalid = |reason: String| Err(Error::InvalidCatalog { reason });
        if self.version.trim().is_empty() {
            return invalid("key 'version' is empty".into());
        }
        if self.countries.is_empty() {
            return invalid("key 'countries' lists no country".into());
        }
        let mut method_codes = HashSet::new();
        for (index, info) in self.methods.iter().enumerate() {
            if !method_codes.insert(info.code) {
                return invalid(format!(
                    "methods[{index}].code: duplicate method {}",
                    info.code
                ));
            }
        }
        let mut isos = HashSet::new();
        for (index, country) in self.countries.iter().enumerate() {
            let at = format!("countries[{index}]");
            if country.iso.len() != 2 || !country.iso.bytes().all(|b| b.is_ascii_uppercase()) {
                return invalid(format!(
                    "{at}.iso: '{}' is not an ISO code of two capital letters",
                    country.iso
                ));
            }
            if !isos.insert(country.iso.as_str()) {
                return invalid(format!("{at}.iso: duplicate country {}", country.iso));
            }
            let Ok(region) = phonenumber::country::Id::from_str(&country.iso) else {
                return invalid(format!(
                    "{at}.iso: {} is not a country phone numbers are known for",
                    country.iso
                ));
            };
            let expected_code = phonenumber::metadata::DATABASE
                .by_id(region.as_ref())
                .map(|meta| format!("+{}", meta.country_code()));
            if expected_code.as_deref() != Some(country.calling_code.as_str()) {
                return invalid(format!(
                    "{at}.calling_code: {} for {} does not match the numbering plan ({})",
                    country.calling_code,
                    country.iso,
                    expected_code.unwrap_or_else(|| "unknown".into())
                ));
            }
            if country.name.trim().is_empty() {
                return invalid(format!("{at}.name is empty"));
            }
            if country.currency.len() != 3
                || !country.currency.bytes().all(|b| b.is_ascii_uppercase())
            {
                return invalid(format!(
                    "{at}.currency: '{}' is not an ISO 4217 code",
                    country.currency
                ));
            }
            if !matches!(country.confidence.as_str(), "M" | "L" | "H") {
                return invalid(format!(
                    "{at}.confidence: '{}' must be H, M or L",
                    country.confidence
                ));
            }
            if country.operators.is_empty() {
                return invalid(format!("{at}.operators: {} has no operator", country.iso));
            }
            let mut operator_codes = HashSet::new();
            for (op_index, operator) in country.operators.iter().enumerate() {
                let at = format!("{at}.operators[{op_index}]");
                let code_ok = !operator.code.is_empty()
                    && operator.code.len() <= 32
                    && operator
                        .code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                if !code_ok {
                    return invalid(format!(
                        "{at}.code: '{}' must be 1 to 32 capital letters, digits or '_'",
                        operator.code
                    ));
                }
                if !operator_codes.insert(operator.code.as_str()) {
                    return invalid(format!(
                        "{at}.code: duplicate operator {} in {}",
                        operator.code, country.iso
                    ));
                }
                if operator.name.trim().is_empty() {
                    return invalid(format!("{at}.name is empty"));
                }
                if operator.methods.is_empty() {
                    return invalid(format!("{at}.methods: {} offers no method", operator.code));
                }
                let mut seen = HashSet::new();
                for method in &operator.methods {
                    if !seen.insert(*method) {
                        return invalid(format!("{at}.methods: duplicate method {method}"));
                    }
                }
                for method in &operator.unverified_methods {
                    if !seen.contains(method) {
                        return invalid(format!(
                            "{at}.unverified_methods: {method} is not in the operator's methods"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The country with this ISO code.
    pub fn country(&self, iso: &str) -> Option<&Country> {
        self.countries.iter().find(|country| country.iso == iso)
    }

    /// The country with this ISO code, or an error that lists the known ones.
    pub fn require_country(&self, iso: &str) -> Result<&Country> {
        self.country(iso).ok_or_else(|| Error::NotInCatalog {
            what: format!(
                "unknown country '{iso}'; the catalog lists {}",
                self.countries
                    .iter()
                    .map(|c| c.iso.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }

    /// Display name of a country, or its code when the catalog does not know it.
    pub fn country_name<'a>(&'a self, iso: &'a str) -> &'a str {
        self.country(iso)
            .map_or(iso, |country| country.name.as_str())
    }

    /// Display name of an operator, or its code when unknown.
    pub fn operator_name<'a>(&'a self, iso: &str, code: &'a str) -> &'a str {
        self.country(iso)
            .and_then(|country| country.operator(code))
            .map_or(code, |op| op.name.as_str())
    }

    /// Checks that a triple exists in the catalog.
    pub fn check_triple(&self, triple: &Triple) -> Result<()> {
        let country = self.require_country(&triple.country)?;
        let operator = country
            .operator(&triple.operator)
            .ok_or_else(|| Error::NotInCatalog {
                what: format!(
                    "{} has no operator '{}'; it has {}",
                    country.name,
                    triple.operator,
                    country
                        .operators
                        .iter()
                        .map(|o| o.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        if !operator.methods.contains(&triple.method) {
            return Err(Error::NotInCatalog {
                what: format!(
                    "{} in {} does not offer {}",
                    operator.name, country.name, triple.method
                ),
            });
        }
        Ok(())
    }

    /// Expands selections with "all" helpers into concrete triples, each checked against the catalog.
    pub fn expand(&self, selections: &[Selection]) -> Result<BTreeSet<Triple>> {
        let mut triples = BTreeSet::new();
        for selection in selections {
            let countries: Vec<&Country> = match &selection.country {
                None => self.countries.iter().collect(),
                Some(iso) => vec![self.require_country(&normalize_code(iso))?],
            };
            for country in countries {
                let operators: Vec<&Operator> = match &selection.operator {
                    None => country.operators.iter().collect(),
                    Some(code) => {
                        let code = normalize_code(code);
                        let operator =
                            country.operator(&code).ok_or_else(|| Error::NotInCatalog {
                                what: format!(
                                    "{} has no operator '{code}'; it has {}",
                                    country.name,
                                    country
                                        .operators
                                        .iter()
                                        .map(|o| o.code.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            })?;
                        vec![operator]
                    }
                };
                for operator in operators {
                    let methods = selection
                        .methods
                        .clone()
                        .unwrap_or_else(|| operator.methods.clone());
                    for method in methods {
                        let triple = Triple {
                            country: country.iso.clone(),
                            operator: operator.code.clone(),
                            method,
                        };
                        // With "all operators" a method some operators lack is skipped for them;
                        // naming one operator asks for exactly its methods, so a lack is an error.
                        if selection.operator.is_none() && !operator.methods.contains(&method) {
                            continue;
                        }
                        self.check_triple(&triple)?;
                        triples.insert(triple);
                    }
                }
            }
        }
        Ok(triples)
    }
}

/// Codes are compared in upper case; users type `ci` or ` om `.
pub fn normalize_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// Triples grouped as the UI shows them: country -> operator -> methods.
pub fn group(triples: &BTreeSet<Triple>) -> BTreeMap<String, BTreeMap<String, BTreeSet<Method>>> {
    let mut grouped: BTreeMap<String, BTreeMap<String, BTreeSet<Method>>> = BTreeMap::new();
    for triple in triples {
        grouped
            .entry(triple.country.clone())
            .or_default()
            .entry(triple.operator.clone())
            .or_default()
            .insert(triple.method);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_has_the_13_reference_countries() {
        let catalog = Catalog::embedded();
        let isos: Vec<&str> = catalog.countries.iter().map(|c| c.iso.as_str()).collect();
        assert_eq!(
            isos,
            ["CI", "SN", "ML", "BF", "BJ", "TG", "CM", "GN", "NE", "CG", "GA", "GH", "KE"],
            "the catalog must list every country of reference/catalog.md"
        );
        let ci = catalog.country("CI").expect("CI");
        assert_eq!(ci.calling_code, "+225");
        assert_eq!(ci.currency, "XOF");
        assert_eq!(
            ci.operator("OM").map(|o| o.name.as_str()),
            Some("Orange Money")
        );
        assert_eq!(catalog.country("NE").map(|c| c.operators.len()), Some(5));
        assert!(
            catalog.countries.iter().all(|c| !c.source.is_empty()),
            "every country names its source"
        );
    }

    #[test]
    fn unknown_field_is_rejected_with_its_line() {
        let text = EMBEDDED_JSON.replacen(
            "\"currency\": \"XOF\",",
            "\"currency\": \"XOF\",\n      \"flag\": \"x\",",
            1,
        );
        let error = Catalog::from_json(&text)
            .expect_err("unknown field must be refused")
            .to_string();
        assert!(
            error.contains("unknown field `flag`") && error.contains("line"),
            "{error}"
        );
    }

    #[test]
    fn duplicate_key_is_rejected() {
        let text = EMBEDDED_JSON.replacen(
            "\"currency\": \"XOF\",",
            "\"currency\": \"XOF\",\n \"currency\": \"XOF\",",
            1,
        );
        let error = Catalog::from_json(&text)
            .expect_err("duplicate key must be refused")
            .to_string();
        assert!(
            error.contains("duplicate field `currency`") && error.contains("line"),
            "{error}"
        );
    }

    #[test]
    fn duplicate_country_and_operator_codes_name_the_key() {
        let mut catalog = (*Catalog::embedded()).clone();
        catalog.countries[1].iso = "CI".into();
        let text = serde_json::to_string(&catalog).expect("serialize");
        let error = Catalog::from_json(&text)
            .expect_err("duplicate country")
            .to_string();
        assert!(
            error.contains("countries[1].iso: duplicate country CI"),
            "{error}"
        );

        let mut catalog = (*Catalog::embedded()).clone();
        catalog.countries[0].operators[1].code = "OM".into();
        let text = serde_json::to_string(&catalog).expect("serialize");
        let error = Catalog::from_json(&text)
            .expect_err("duplicate operator")
            .to_string();
        assert!(
            error.contains("countries[0].operators[1].code: duplicate operator OM"),
            "{error}"
        );
    }

    #[test]
    fn wrong_calling_code_is_rejected() {
        let mut catalog = (*Catalog::embedded()).clone();
        catalog.countries[0].calling_code = "+221".into();
        let text = serde_json::to_string(&catalog).expect("serialize");
        let error = Catalog::from_json(&text)
            .expect_err("wrong calling code")
            .to_string();
        assert!(error.contains("countries[0].calling_code"), "{error}");
    }

    #[test]
    fn not_json_is_rejected_with_a_position() {
        let error = Catalog::from_json("{\"version\": ")
            .expect_err("truncated")
            .to_string();
        assert!(error.contains("line 1"), "{error}");
    }

    #[test]
    fn expand_all_countries_covers_every_offered_triple() {
        let catalog = Catalog::embedded();
        let all = catalog.expand(&[Selection::default()]).expect("all");
        let offered: usize = catalog
            .countries
            .iter()
            .flat_map(|c| &c.operators)
            .map(|o| o.methods.len())
            .sum();
        assert_eq!(all.len(), offered);
    }

    #[test]
    fn expand_rejects_unknown_entries() {
        let catalog = Catalog::embedded();
        let unknown_country = Selection {
            country: Some("FR".into()),
            ..Selection::default()
        };
        assert_eq!(
            catalog
                .expand(&[unknown_country])
                .map_err(|e| e.kind())
                .err(),
            Some("not_in_catalog")
        );
        let unknown_operator = Selection {
            country: Some("SN".into()),
            operator: Some("MTN".into()),
            methods: None,
        };
        let error = catalog
            .expand(&[unknown_operator])
            .expect_err("no MTN in Senegal")
            .to_string();
        assert!(error.contains("Senegal has no operator 'MTN'"), "{error}");
    }
}
