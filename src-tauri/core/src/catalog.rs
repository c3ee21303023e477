//! The reference catalog: countries, their operators, and the payment methods each operator offers.
//!
//! A catalog is embedded in the binary (`catalog/catalog.json`); a merchant may load a newer file.
//! Loading is strict: a file over [`MAX_CATALOG_BYTES`], unknown fields, duplicate keys, duplicate
//! codes, malformed codes, names or a version holding control characters, and countries that
//! libphonenumber does not know are refused with a message naming the line or the key, so a bad file
//! never half-replaces a good one.
//!
//! [`Catalog::changes_to`] says what a replacement adds and removes (countries, operators, methods),
//! so the merchant sees it before the file is applied.

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

/// The largest catalog file accepted, in bytes (1 MiB). The shipped one is a few kilobytes; the
/// cap keeps a wrong file (a database, a log) from being read whole into memory and parsed.
pub const MAX_CATALOG_BYTES: usize = 1024 * 1024;

/// What replacing one catalog with another adds and removes, each list in catalog order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CatalogChanges {
    /// Countries (ISO codes) only the new catalog lists.
    pub countries_added: Vec<String>,
    /// Countries only the current catalog lists.
    pub countries_removed: Vec<String>,
    /// Operators of a country both list, that only the new catalog has.
    pub operators_added: Vec<OperatorRef>,
    /// Operators of a country both list, that only the current catalog has.
    pub operators_removed: Vec<OperatorRef>,
    /// Methods of an operator both list, that only the new catalog offers.
    pub methods_added: Vec<Triple>,
    /// Methods of an operator both list, that only the current catalog offers.
    pub methods_removed: Vec<Triple>,
}

impl CatalogChanges {
    /// True when the two catalogs offer the same countries, operators and methods.
    pub fn is_empty(&self) -> bool {
        *self == CatalogChanges::default()
    }
}

/// An operator of a country, by codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperatorRef {
    /// ISO code of the country.
    pub country: String,
    /// Operator code.
    pub operator: String,
}

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
        if text.len() > MAX_CATALOG_BYTES {
            return Err(Error::InvalidCatalog {
                reason: format!(
                    "the file is {} bytes, more than a catalog's limit of 1 MiB ({MAX_CATALOG_BYTES} \
                     bytes); check that you chose the catalog file",
                    text.len()
                ),
            });
        }
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
        no_control_characters("version", &self.version)?;
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
            no_control_characters(&format!("methods[{index}].name"), &info.name)?;
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
            no_control_characters(&format!("{at}.name"), &country.name)?;
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
                no_control_characters(&format!("{at}.name"), &operator.name)?;
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

    /// What replacing this catalog with `new` adds and removes: countries, then operators of the
    /// countries both list, then methods of the operators both list (a removed country's operators
    /// and methods are not listed again).
    pub fn changes_to(&self, new: &Catalog) -> CatalogChanges {
        let mut changes = CatalogChanges::default();
        for country in &new.countries {
            if self.country(&country.iso).is_none() {
                changes.countries_added.push(country.iso.clone());
            }
        }
        for country in &self.countries {
            let Some(next) = new.country(&country.iso) else {
                changes.countries_removed.push(country.iso.clone());
                continue;
            };
            let operator_ref = |operator: &Operator| OperatorRef {
                country: country.iso.clone(),
                operator: operator.code.clone(),
            };
            for operator in &next.operators {
                if country.operator(&operator.code).is_none() {
                    changes.operators_added.push(operator_ref(operator));
                }
            }
            for operator in &country.operators {
                let Some(next_operator) = next.operator(&operator.code) else {
                    changes.operators_removed.push(operator_ref(operator));
                    continue;
                };
                let triple = |method: &Method| Triple {
                    country: country.iso.clone(),
                    operator: operator.code.clone(),
                    method: *method,
                };
                for method in &next_operator.methods {
                    if !operator.methods.contains(method) {
                        changes.methods_added.push(triple(method));
                    }
                }
                for method in &operator.methods {
                    if !next_operator.methods.contains(method) {
                        changes.methods_removed.push(triple(method));
                    }
                }
            }
        }
        changes
    }

    /// Validates a replacement catalog's text and says what it would change, without applying it.
    pub fn preview_replacement(&self, text: &str) -> Result<(Catalog, CatalogChanges)> {
        let new = Catalog::from_json(text)?;
        let changes = self.changes_to(&new);
        Ok((new, changes))
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

/// Refuses a name or version holding a control character (a newline, a tab, an escape sequence):
/// they are shown in the app and the CLI, where such characters would break the layout or the
/// terminal.
fn no_control_characters(key: &str, text: &str) -> Result<()> {
    match text.chars().find(|c| c.is_control()) {
        Some(found) => Err(Error::InvalidCatalog {
            reason: format!(
                "{key}: {text:?} holds the control character U+{:04X}; names and the version are \
                 plain text on one line",
                u32::from(found)
            ),
        }),
        None => Ok(()),
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
    fn a_file_over_one_mib_is_refused_before_it_is_parsed() {
        let mut text = EMBEDDED_JSON.to_owned();
        // Valid JSON to the end: whitespace after the object.
        text.push_str(&" ".repeat(MAX_CATALOG_BYTES + 1 - text.len()));
        let error = Catalog::from_json(&text)
            .expect_err("a file over 1 MiB must be refused")
            .to_string();
        assert!(
            error.contains("1 MiB") && error.contains(&(MAX_CATALOG_BYTES + 1).to_string()),
            "the message gives the size and the limit: {error}"
        );
        text.truncate(MAX_CATALOG_BYTES);
        assert!(
            Catalog::from_json(&text).is_ok(),
            "a file of exactly 1 MiB is still accepted"
        );
    }

    #[test]
    fn control_characters_in_names_or_the_version_are_refused() {
        type Damage = fn(&mut Catalog);
        let cases: [(&str, Damage); 4] = [
            ("version", |c| c.version = "2026-01\u{1b}[2J".into()),
            ("methods[0].name", |c| c.methods[0].name = "Pay\nin".into()),
            ("countries[0].name", |c| {
                c.countries[0].name = "Ivory\tCoast".into()
            }),
            ("countries[1].operators[0].name", |c| {
                c.countries[1].operators[0].name = "Orange\u{7}".into()
            }),
        ];
        for (key, damage) in cases {
            let mut catalog = (*Catalog::embedded()).clone();
            damage(&mut catalog);
            let text = serde_json::to_string(&catalog).expect("serialize");
            let error = Catalog::from_json(&text)
                .expect_err("a control character must be refused")
                .to_string();
            assert!(
                error.contains(key) && error.contains("control character"),
                "the message names {key} and says why: {error}"
            );
        }
    }

    #[test]
    fn changes_to_lists_countries_operators_and_methods_added_and_removed() {
        let current = Catalog::embedded();
        assert!(
            current.changes_to(&current).is_empty(),
            "a catalog changes nothing against itself"
        );
        let mut new = (*current).clone();
        // Mali goes, an operator of Senegal goes, Côte d'Ivoire's Orange Money loses CASHOUT and
        // Wave there gains CASHIN, and a new operator appears in Ghana.
        new.countries.retain(|c| c.iso != "ML");
        let senegal = new
            .countries
            .iter_mut()
            .find(|c| c.iso == "SN")
            .expect("SN");
        let gone = senegal.operators.remove(0).code;
        let ivory = new
            .countries
            .iter_mut()
            .find(|c| c.iso == "CI")
            .expect("CI");
        let om = ivory
            .operators
            .iter_mut()
            .find(|o| o.code == "OM")
            .expect("OM");
        om.methods.retain(|m| *m != Method::Cashout);
        om.unverified_methods.retain(|m| *m != Method::Cashout);
        let wave = ivory
            .operators
            .iter_mut()
            .find(|o| o.code == "WAVE")
            .expect("WAVE");
        wave.methods.retain(|m| *m != Method::Cashin);
        let ghana = new
            .countries
            .iter_mut()
            .find(|c| c.iso == "GH")
            .expect("GH");
        ghana.operators.push(Operator {
            code: "NEWPAY".into(),
            name: "New Pay".into(),
            methods: vec![Method::Merchant],
            unverified_methods: vec![],
        });
        let changes = current.changes_to(&new);
        assert_eq!(changes.countries_added, Vec::<String>::new());
        assert_eq!(changes.countries_removed, vec!["ML".to_owned()]);
        assert_eq!(
            changes.operators_added,
            vec![OperatorRef {
                country: "GH".into(),
                operator: "NEWPAY".into()
            }]
        );
        assert_eq!(
            changes.operators_removed,
            vec![OperatorRef {
                country: "SN".into(),
                operator: gone
            }]
        );
        let expected_removed = vec![
            Triple {
                country: "CI".into(),
                operator: "OM".into(),
                method: Method::Cashout,
            },
            Triple {
                country: "CI".into(),
                operator: "WAVE".into(),
                method: Method::Cashin,
            },
        ];
        assert_eq!(changes.methods_removed, expected_removed);
        assert_eq!(changes.methods_added, Vec::<Triple>::new());

        // The other way round, what was removed is added.
        let back = new.changes_to(&current);
        assert_eq!(back.countries_added, vec!["ML".to_owned()]);
        assert_eq!(back.methods_added, expected_removed);
    }

    #[test]
    fn a_preview_validates_the_file_and_gives_its_changes() {
        let current = Catalog::embedded();
        let error = current
            .preview_replacement("{\"version\": ")
            .expect_err("a broken file is refused by the preview too");
        assert_eq!(error.kind(), "invalid_catalog");
        let (new, changes) = current
            .preview_replacement(EMBEDDED_JSON)
            .expect("the shipped catalog is valid");
        assert_eq!(new.version, current.version);
        assert!(changes.is_empty());
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
