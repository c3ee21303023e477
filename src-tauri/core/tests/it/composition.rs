//! Editing a token's composition.

use clapay_core::composition::Removal;
use clapay_core::{EventKind, Method, Selection};

use crate::support::{dump, new_token, now, number, temp_registry, triple};

#[test]
fn all_helpers_expand_against_the_catalog() {
    let mut temp = temp_registry();
    let id = temp.create_id(&new_token("t"));
    let all_of_mali = Selection {
        country: Some("ML".into()),
        operator: None,
        methods: None,
    };
    let details = temp
        .registry
        .add_to_composition(&id, &[all_of_mali], now())
        .expect("add");
    let mali = details
        .composition
        .iter()
        .find(|card| card.country == "ML")
        .expect("Mali card");
    assert_eq!(
        mali.operators
            .iter()
            .map(|o| o.operator.as_str())
            .collect::<Vec<_>>(),
        ["MOOV", "OM", "WAVE"]
    );
    let everything = temp
        .registry
        .add_to_composition(&id, &[Selection::default()], now())
        .expect("all countries");
    assert_eq!(
        everything.composition.len(),
        13,
        "'all countries' adds every catalog country"
    );
}

#[test]
fn removing_a_method_an_operator_or_a_country() {
    let mut temp = temp_registry();
    let mut request = new_token("t");
    request.composition = vec![
        triple("CI", "OM", Method::Merchant),
        triple("CI", "OM", Method::Cashin),
        triple("CI", "MTN", Method::Merchant),
        triple("SN", "WAVE", Method::Merchant),
    ];
    let id = temp.create_id(&request);
    let remove = |country: &str, operator: Option<&str>, method: Option<Method>| Removal {
        country: country.into(),
        operator: operator.map(str::to_string),
        method,
    };
    let after = temp
        .registry
        .remove_from_composition(
            &id,
            &remove("CI", Some("OM"), Some(Method::Cashin)),
            false,
            now(),
        )
        .expect("method");
    assert_eq!(after.summary.triple_count, 3);
    let after = temp
        .registry
        .remove_from_composition(&id, &remove("CI", Some("MTN"), None), false, now())
        .expect("operator");
    assert_eq!(after.summary.triple_count, 2);
    let after = temp
        .registry
        .remove_from_composition(&id, &remove("SN", None, None), false, now())
        .expect("country");
    assert_eq!(after.summary.countries, ["CI"]);
    let error = temp
        .registry
        .remove_from_composition(&id, &remove("CI", None, None), false, now())
        .expect_err("last one");
    assert_eq!(
        error.kind(),
        "empty_composition",
        "a token keeps at least one triple"
    );
    let error = temp
        .registry
        .remove_from_composition(&id, &remove("GH", None, None), false, now())
        .expect_err("absent");
    assert!(
        error
            .to_string()
            .contains("not in this token's composition"),
        "{error}"
    );
    let kinds = temp.registry.token_history(&id).expect("history");
    assert_eq!(
        kinds
            .iter()
            .filter(|e| e.kind == EventKind::CompositionChanged)
            .count(),
        3
    );
}

#[test]
fn removing_a_country_with_numbers_needs_confirmation() {
    let mut temp = temp_registry();
    let mut request = new_token("t");
    request.numbers = vec![number("SN", "771234567"), number("CI", "0707070707")];
    let id = temp.create_id(&request);
    let only_ci = vec![triple("CI", "OM", Method::Merchant)];
    let before = dump(&temp.registry);
    let error = temp
        .registry
        .set_composition(&id, &only_ci, false, now())
        .expect_err("needs confirmation");
    assert_eq!(error.kind(), "country_has_numbers");
    assert!(
        error
            .to_string()
            .contains("SN still has 1 whitelisted number"),
        "{error}"
    );
    assert_eq!(
        dump(&temp.registry),
        before,
        "refused without confirmation: nothing changed"
    );
    let after = temp
        .registry
        .set_composition(&id, &only_ci, true, now())
        .expect("confirmed");
    assert_eq!(
        after
            .numbers
            .iter()
            .map(|n| n.country.as_str())
            .collect::<Vec<_>>(),
        ["CI"],
        "Senegal's number went with it"
    );
    let event = temp
        .registry
        .token_history(&id)
        .expect("history")
        .pop()
        .expect("event");
    assert_eq!(event.detail["numbers_removed"][0], "+221771234567");
}

#[test]
fn set_composition_checks_every_triple() {
    let mut temp = temp_registry();
    let id = temp.create_id(&new_token("t"));
    let before = dump(&temp.registry);
    let bad = vec![
        triple("CI", "OM", Method::Merchant),
        triple("KE", "OM", Method::Merchant),
    ];
    assert_eq!(
        temp.registry
            .set_composition(&id, &bad, true, now())
            .map_err(|e| e.kind())
            .err(),
        Some("not_in_catalog")
    );
    assert_eq!(
        temp.registry
            .set_composition(&id, &[], true, now())
            .map_err(|e| e.kind())
            .err(),
        Some("empty_composition")
    );
    assert_eq!(dump(&temp.registry), before);
}

#[test]
fn edit_composition_adds_and_removes_in_one_event() {
    let mut temp = temp_registry();
    let id = temp.create_id(&new_token("t"));
    let add_mali = Selection {
        country: Some("ML".into()),
        operator: Some("OM".into()),
        methods: None,
    };
    let drop_senegal = Removal {
        country: "SN".into(),
        operator: None,
        method: None,
    };
    let after = temp
        .registry
        .edit_composition(
            &id,
            std::slice::from_ref(&add_mali),
            &[drop_senegal],
            false,
            now(),
        )
        .expect("edit");
    assert_eq!(after.summary.countries, ["CI", "ML"]);
    let events = temp.registry.token_history(&id).expect("history");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == EventKind::CompositionChanged)
            .count(),
        1,
        "one edit, one event"
    );
    let before = dump(&temp.registry);
    let absent = Removal {
        country: "GH".into(),
        operator: None,
        method: None,
    };
    let error = temp
        .registry
        .edit_composition(&id, &[add_mali], &[absent], false, now())
        .expect_err("GH absent");
    assert!(
        error
            .to_string()
            .contains("GH is not in this token's composition"),
        "{error}"
    );
    assert_eq!(dump(&temp.registry), before, "all or nothing");
}
