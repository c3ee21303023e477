//! Token creation, validation, listing, editing, revocation and derived status.

use chrono::Duration;
use clapay_core::{
    EventKind, Expiry, ListQuery, Method, Page, SortKey, Status, StatusFilter, TokenChanges,
};

use crate::support::{dump, new_token, now, number, temp_registry, triple};

#[test]
fn created_token_is_stored_with_its_composition_and_numbers() {
    let mut temp = temp_registry();
    let mut request = new_token("shop-a");
    request.numbers = vec![
        number("CI", "07 07 07 07 07"),
        number("SN", "+221 77 123 45 67"),
    ];
    let created = temp.registry.create_token(&request, now()).expect("create");
    let token = &created.token;
    assert_eq!(token.summary.name, "shop-a");
    assert_eq!(token.summary.status, Status::Active);
    assert_eq!(token.summary.expires_at, Some(now() + Duration::days(30)));
    assert_eq!(token.summary.countries, ["CI", "SN"]);
    assert_eq!(token.summary.triple_count, 2);
    assert_eq!(token.summary.number_count, 2);
    assert_eq!(
        token
            .numbers
            .iter()
            .map(|n| n.number.as_str())
            .collect::<Vec<_>>(),
        ["+2250707070707", "+221771234567"],
        "numbers are stored in E.164"
    );
    assert_eq!(
        token.summary.hint,
        format!("clp_live_…{}", &created.secret.expose_secret()[48..52]),
        "the hint names the environment and shows the last 4 random characters"
    );
    assert_eq!(token.summary.environment, clapay_core::Environment::Live);
    let again = temp
        .registry
        .get_token(&token.summary.id, now())
        .expect("get");
    assert_eq!(&again, token, "get returns what create stored");
}

#[test]
fn invalid_names_are_rejected_and_change_nothing() {
    let mut temp = temp_registry();
    temp.registry
        .create_token(&new_token("existing"), now())
        .expect("create");
    let before = dump(&temp.registry);
    let long = "x".repeat(101);
    let cases: [(&str, &str); 10] = [
        ("", "invalid_name"),
        ("   ", "invalid_name"),
        (&long, "invalid_name"),
        ("bad\u{7}bell", "invalid_name"),
        ("evil\u{202E}gnp.exe", "invalid_name"),
        ("\u{200B}", "invalid_name"),
        ("exist\u{200B}ing", "invalid_name"),
        ("\u{FEFF}shop", "invalid_name"),
        ("EXISTING", "name_taken"),
        ("  existing ", "name_taken"),
    ];
    for (name, kind) in cases {
        let error = temp
            .registry
            .create_token(&new_token(name), now())
            .expect_err(name);
        assert_eq!(error.kind(), kind, "{name:?}: {error}");
        assert_eq!(
            error.field(),
            Some("name"),
            "the UI shows it next to the name field"
        );
    }
    assert_eq!(
        dump(&temp.registry),
        before,
        "a rejected create leaves the database as it was"
    );
    let ok = temp
        .registry
        .create_token(&new_token(&"é".repeat(100)), now())
        .expect("100 characters is the limit, not 100 bytes");
    assert_eq!(ok.token.summary.name.chars().count(), 100);
}

#[test]
fn a_revoked_tokens_name_can_be_reused() {
    let mut temp = temp_registry();
    let first = temp
        .registry
        .create_token(&new_token("shop"), now())
        .expect("create");
    temp.registry
        .revoke_token(&first.token.summary.id, now())
        .expect("revoke");
    temp.registry
        .create_token(&new_token("Shop"), now())
        .expect("the name is free once revoked");
}

#[test]
fn description_rules() {
    let mut temp = temp_registry();
    let mut request = new_token("a");
    request.description = "line one\nline two".into();
    temp.registry
        .create_token(&request, now())
        .expect("newlines are allowed");
    request.name = "b".into();
    request.description = "d".repeat(1001);
    assert_eq!(
        temp.registry
            .create_token(&request, now())
            .map_err(|e| e.kind())
            .err(),
        Some("invalid_description")
    );
    request.description = "tab\there".into();
    assert_eq!(
        temp.registry
            .create_token(&request, now())
            .map_err(|e| e.kind())
            .err(),
        Some("invalid_description")
    );
}

#[test]
fn expiry_must_be_in_the_future() {
    let mut temp = temp_registry();
    let mut request = new_token("t");
    for expiry in [
        Expiry::Days { days: 0 },
        Expiry::Days { days: 3651 },
        Expiry::Date {
            date: now().date_naive() - Duration::days(1),
        },
        Expiry::At { at: now() },
        Expiry::At {
            at: now() - Duration::seconds(1),
        },
    ] {
        request.expiry = expiry;
        let error = temp
            .registry
            .create_token(&request, now())
            .expect_err("past or out of range");
        assert_eq!(error.kind(), "invalid_expiry", "{expiry:?}: {error}");
    }
    request.expiry = Expiry::Never;
    let never = temp
        .registry
        .create_token(&request, now())
        .expect("no expiry is allowed");
    assert_eq!(never.token.summary.expires_at, None);
    request.name = "dated".into();
    request.expiry = Expiry::Date {
        date: now().date_naive(),
    };
    let today = temp
        .registry
        .create_token(&request, now())
        .expect("valid through today");
    assert!(today.token.summary.expires_at.expect("set") > now());
}

#[test]
fn composition_must_be_non_empty_and_in_the_catalog() {
    let mut temp = temp_registry();
    let mut request = new_token("t");
    request.composition = vec![];
    assert_eq!(
        temp.registry
            .create_token(&request, now())
            .map_err(|e| e.kind())
            .err(),
        Some("empty_composition")
    );
    for bad in [
        triple("FR", "OM", Method::Merchant),
        triple("SN", "MTN", Method::Merchant),
        triple("ci", "xx", Method::Cashin),
    ] {
        request.composition = vec![bad.clone()];
        let error = temp
            .registry
            .create_token(&request, now())
            .expect_err("not in catalog");
        assert_eq!(error.kind(), "not_in_catalog", "{bad:?}: {error}");
    }
    request.composition = vec![triple(" ci ", "om", Method::Merchant)];
    let created = temp
        .registry
        .create_token(&request, now())
        .expect("codes are case-insensitive");
    assert_eq!(created.token.composition[0].country, "CI");
}

#[test]
fn status_is_derived_from_the_clock_at_the_expiry_boundary() {
    let mut temp = temp_registry();
    let mut request = new_token("t");
    request.expiry = Expiry::At {
        at: now() + Duration::hours(1),
    };
    let id = temp.create_id(&request);
    let expiry = now() + Duration::hours(1);
    let status = |temp: &crate::support::TempRegistry, at| {
        temp.registry
            .get_token(&id, at)
            .expect("get")
            .summary
            .status
    };
    assert_eq!(
        status(&temp, expiry - Duration::milliseconds(1)),
        Status::Active,
        "one millisecond before"
    );
    assert_eq!(
        status(&temp, expiry),
        Status::Expired,
        "expires_at <= now is expired"
    );
    temp.registry.revoke_token(&id, now()).expect("revoke");
    assert_eq!(
        status(&temp, expiry),
        Status::Revoked,
        "revoked wins over expired"
    );
}

#[test]
fn list_filters_searches_sorts_and_pages() {
    let mut temp = temp_registry();
    let mut ids = Vec::new();
    for index in 0..12 {
        let mut request = new_token(&format!("token-{index:02}"));
        request.description = if index % 3 == 0 {
            "Boutique Plateau".into()
        } else {
            "online".into()
        };
        request.expiry = Expiry::At {
            at: now() + Duration::hours(index + 1),
        };
        ids.push(
            temp.registry
                .create_token(&request, now() + Duration::seconds(index))
                .expect("create")
                .token
                .summary
                .id,
        );
    }
    temp.registry.revoke_token(&ids[0], now()).expect("revoke");
    let later = now() + Duration::hours(3) + Duration::minutes(30); // tokens 1 and 2 have expired by then
    let list = |query: ListQuery| temp.registry.list_tokens(&query, later).expect("list");

    let current = list(ListQuery::default());
    assert_eq!(current.total, 11, "revoked tokens are hidden by default");
    assert_eq!(current.items[0].name, "token-11", "newest first by default");
    assert_eq!(
        list(ListQuery {
            status: StatusFilter::Expired,
            ..ListQuery::default()
        })
        .total,
        2
    );
    assert_eq!(
        list(ListQuery {
            status: StatusFilter::Active,
            ..ListQuery::default()
        })
        .total,
        9
    );
    let revoked = list(ListQuery {
        status: StatusFilter::Revoked,
        ..ListQuery::default()
    });
    assert_eq!(
        (revoked.total, revoked.items[0].status),
        (1, Status::Revoked)
    );
    assert_eq!(
        list(ListQuery {
            status: StatusFilter::All,
            ..ListQuery::default()
        })
        .total,
        12
    );

    let search = list(ListQuery {
        search: Some("plateau".into()),
        ..ListQuery::default()
    });
    assert_eq!(
        search.total, 3,
        "case-insensitive search in descriptions (0 is revoked)"
    );
    let search = list(ListQuery {
        search: Some("TOKEN-1".into()),
        ..ListQuery::default()
    });
    assert_eq!(search.total, 2, "search in names: token-10, token-11");
    let wildcard = list(ListQuery {
        search: Some("%".into()),
        ..ListQuery::default()
    });
    assert_eq!(
        wildcard.total, 0,
        "search text is literal, not a LIKE pattern"
    );

    let fifth = list(ListQuery {
        sort: SortKey::ExpiresAt,
        descending: false,
        limit: 5,
        ..ListQuery::default()
    });
    let page = list(ListQuery {
        sort: SortKey::ExpiresAt,
        descending: false,
        page: Page::After {
            cursor: fifth.items[4].id.clone(),
        },
        limit: 3,
        ..ListQuery::default()
    });
    assert_eq!(
        page.items
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["token-06", "token-07", "token-08"]
    );
    assert_eq!(page.total, 11, "total counts every match, not the page");
    let by_name = list(ListQuery {
        sort: SortKey::Name,
        descending: false,
        limit: 1,
        ..ListQuery::default()
    });
    assert_eq!(by_name.items[0].name, "token-01");
}

#[test]
fn updates_change_fields_and_record_history() {
    let mut temp = temp_registry();
    let id = temp.create_id(&new_token("old"));
    temp.registry
        .create_token(&new_token("other"), now())
        .expect("create");
    let changes = TokenChanges {
        name: Some("OTHER".into()),
        ..TokenChanges::default()
    };
    assert_eq!(
        temp.registry
            .update_token(&id, &changes, now())
            .map_err(|e| e.kind())
            .err(),
        Some("name_taken")
    );
    let changes = TokenChanges {
        name: Some(" new ".into()),
        description: Some("moved to Dakar".into()),
        expiry: Some(Expiry::Never),
    };
    let updated = temp
        .registry
        .update_token(&id, &changes, now())
        .expect("update");
    assert_eq!(
        (updated.summary.name.as_str(), updated.summary.expires_at),
        ("new", None)
    );
    let kinds: Vec<EventKind> = temp
        .registry
        .token_history(&id)
        .expect("history")
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::Created,
            EventKind::NameChanged,
            EventKind::DescriptionChanged,
            EventKind::ExpiryChanged
        ]
    );
    temp.registry
        .update_token(&id, &changes, now())
        .expect("same values");
    assert_eq!(
        temp.registry.token_history(&id).expect("history").len(),
        4,
        "no event when nothing changes"
    );
}

#[test]
fn revoke_releases_numbers_and_freezes_the_token() {
    let mut temp = temp_registry();
    let mut request = new_token("shop");
    request.numbers = vec![number("CI", "0707070707")];
    let id = temp.create_id(&request);
    let revoked = temp.registry.revoke_token(&id, now()).expect("revoke");
    assert_eq!(revoked.summary.status, Status::Revoked);
    assert!(revoked.numbers.is_empty(), "revoking releases the numbers");
    let event = temp
        .registry
        .token_history(&id)
        .expect("history")
        .pop()
        .expect("event");
    assert_eq!(event.kind, EventKind::Revoked);
    assert_eq!(event.detail["numbers_released"][0], "+2250707070707");

    let before = dump(&temp.registry);
    let rename = TokenChanges {
        name: Some("x".into()),
        ..TokenChanges::default()
    };
    assert_eq!(
        temp.registry
            .update_token(&id, &rename, now())
            .map_err(|e| e.kind())
            .err(),
        Some("token_revoked")
    );
    assert_eq!(
        temp.registry
            .add_number(&id, "CI", "0505050505", now())
            .map_err(|e| e.kind())
            .err(),
        Some("token_revoked")
    );
    temp.registry
        .revoke_token(&id, now())
        .expect("revoking twice is harmless");
    assert_eq!(
        dump(&temp.registry),
        before,
        "nothing changes on a revoked token"
    );

    let mut other = new_token("other");
    other.numbers = vec![number("CI", "0707070707")];
    temp.registry
        .create_token(&other, now())
        .expect("a released number can be whitelisted again");
}

#[test]
fn unknown_ids_are_not_found() {
    let mut temp = temp_registry();
    assert_eq!(
        temp.registry
            .get_token("nope", now())
            .map_err(|e| e.kind())
            .err(),
        Some("not_found")
    );
    assert_eq!(
        temp.registry
            .revoke_token("nope", now())
            .map_err(|e| e.kind())
            .err(),
        Some("not_found")
    );
    assert_eq!(
        temp.registry
            .token_history("nope")
            .map_err(|e| e.kind())
            .err(),
        Some("not_found")
    );
}

#[test]
fn tokens_and_history_cannot_be_deleted_by_sql() {
    let mut temp = temp_registry();
    let id = temp.create_id(&new_token("t"));
    let connection = temp.registry.connection();
    assert!(
        connection
            .execute("DELETE FROM tokens WHERE id = ?1", [&id])
            .is_err(),
        "tokens are never deleted"
    );
    assert!(
        connection.execute("DELETE FROM history", []).is_err(),
        "history is append-only"
    );
    assert!(
        connection
            .execute("UPDATE history SET kind = 'used'", [])
            .is_err(),
        "history is append-only"
    );
    assert!(
        connection
            .execute("UPDATE tokens SET digest = x'00'", [])
            .is_err(),
        "the schema refuses a digest that is not 32 bytes"
    );
}

#[test]
fn resolve_token_accepts_id_or_live_name() {
    let mut temp = temp_registry();
    let id = temp.create_id(&new_token("Shop-A"));
    assert_eq!(temp.registry.resolve_token(&id).expect("by id"), id);
    assert_eq!(temp.registry.resolve_token("shop-a").expect("by name"), id);
    assert_eq!(
        temp.registry
            .resolve_token("nothing")
            .map_err(|e| e.kind())
            .err(),
        Some("not_found")
    );
}

#[test]
fn export_lists_every_token_with_its_digest_and_no_secret() {
    let mut temp = temp_registry();
    let kept = temp
        .registry
        .create_token(&new_token("kept"), now())
        .expect("create");
    let gone = temp
        .registry
        .create_token(&new_token("gone"), now())
        .expect("create");
    crate::support::record_secret(&kept.secret);
    crate::support::record_secret(&gone.secret);
    temp.registry
        .revoke_token(&gone.token.summary.id, now())
        .expect("revoke");
    let exported = temp.registry.export_tokens(now()).expect("export");
    assert_eq!(exported.len(), 2, "revoked tokens are exported too");
    let expected: String = clapay_core::secret::digest(kept.secret.expose_secret())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    // Both tokens share a creation time, so their order is not fixed: find the one to check.
    let kept_row = exported
        .iter()
        .find(|token| token.details.summary.id == kept.token.summary.id)
        .expect("the kept token is exported");
    assert_eq!(
        kept_row.digest, expected,
        "the digest is the SHA-256 of the secret, in hex"
    );
    assert_eq!(kept_row.digest_scheme, "sha256-v1");
    let text = serde_json::to_string(&exported).expect("serialize");
    for secret in [&kept.secret, &gone.secret] {
        assert!(
            !text.contains(&secret.expose_secret()[9..25]),
            "an export never holds a secret"
        );
    }
}

/// Keyset pages: walking every filter, sort and direction page by page, forwards from the first
/// page and backwards from the last, must give the rows of one read of the whole list, in its
/// order, with ties broken by the id, and say at each page whether rows come before and after.
#[test]
fn every_page_of_every_order_holds_the_rows_of_one_whole_read() {
    use clapay_core::AuthorizeRequest;
    use zeroize::Zeroizing;

    let mut temp = temp_registry();
    let base = now();
    let mut tokens = Vec::new();
    for index in 0..23i64 {
        // Names not in creation order; three tokens per second of creation, so the id decides.
        let mut request = new_token(&format!("page-{:02}", (index * 7) % 23));
        request.expiry = match index % 4 {
            0 => Expiry::Never,
            1 => Expiry::At {
                at: base + Duration::hours(1),
            },
            _ => Expiry::At {
                at: base + Duration::hours(2 + index % 5),
            },
        };
        let created = temp
            .registry
            .create_token(&request, base + Duration::seconds(index / 3))
            .expect("create");
        crate::support::record_secret(&created.secret);
        tokens.push(created);
    }
    // Used tokens (some at the same instant), revoked ones, and an hour later expired ones.
    for (index, created) in tokens.iter().enumerate().filter(|(i, _)| i % 3 != 2) {
        let check = AuthorizeRequest {
            secret: Zeroizing::new(created.secret.expose_secret().to_string()),
            country: "CI".into(),
            operator: "OM".into(),
            method: "MERCHANT".into(),
            phone: None,
            environment: None,
        };
        let at = base + Duration::minutes(i64::try_from(index % 4).unwrap_or(0));
        temp.registry.authorize(&check, at).expect("authorize");
    }
    for created in tokens.iter().step_by(5) {
        temp.registry
            .revoke_token(&created.token.summary.id, base)
            .expect("revoke");
    }
    let later = base + Duration::minutes(90);

    let page_of = |query: &ListQuery| temp.registry.list_tokens(query, later).expect("list");
    // Without a search a page is read from its sort's index; a search reads every match once.
    for search in [None, Some("PAGE-1".to_string())] {
        for status in StatusFilter::EVERY {
            for sort in SortKey::EVERY {
                for descending in [false, true] {
                    let query = ListQuery {
                        status,
                        sort,
                        descending,
                        search: search.clone(),
                        limit: 500,
                        ..ListQuery::default()
                    };
                    let whole: Vec<String> = page_of(&query)
                        .items
                        .into_iter()
                        .map(|item| item.id)
                        .collect();
                    let total = whole.len() as u64;
                    let what =
                        format!("{status:?} by {sort:?} descending={descending} search={search:?}");
                    for limit in [1u32, 4, 5, 50] {
                        // Forwards from the first page.
                        let mut seen = Vec::new();
                        let mut page = Page::First;
                        loop {
                            let result = page_of(&ListQuery {
                                page: page.clone(),
                                limit,
                                ..query.clone()
                            });
                            assert_eq!(result.total, total, "{what}: the total of every page");
                            assert_eq!(result.has_previous, !seen.is_empty(), "{what}: previous");
                            seen.extend(result.items.iter().map(|item| item.id.clone()));
                            assert_eq!(result.has_next, seen.len() < whole.len(), "{what}: next");
                            let Some(last) = result.items.last() else {
                                break;
                            };
                            if !result.has_next {
                                break;
                            }
                            page = Page::After {
                                cursor: last.id.clone(),
                            };
                        }
                        assert_eq!(seen, whole, "{what}, limit {limit}, forwards");
                        // Backwards from the last page.
                        let mut seen: Vec<String> = Vec::new();
                        let mut page = Page::Last;
                        loop {
                            let result = page_of(&ListQuery {
                                page: page.clone(),
                                limit,
                                ..query.clone()
                            });
                            assert_eq!(
                                result.has_next,
                                !seen.is_empty(),
                                "{what}: next, backwards"
                            );
                            let mut ids: Vec<String> =
                                result.items.iter().map(|item| item.id.clone()).collect();
                            ids.extend(seen);
                            seen = ids;
                            assert_eq!(
                                result.has_previous,
                                seen.len() < whole.len(),
                                "{what}: previous, backwards"
                            );
                            let Some(first) = result.items.first() else {
                                break;
                            };
                            if !result.has_previous {
                                break;
                            }
                            page = Page::Before {
                                cursor: first.id.clone(),
                            };
                        }
                        assert_eq!(seen, whole, "{what}, limit {limit}, backwards");
                    }
                }
            }
        }
    }
    // A page after the last row is empty and knows rows come before it.
    let all = page_of(&ListQuery::default());
    let after_last = page_of(&ListQuery {
        page: Page::After {
            cursor: all.items.last().expect("rows").id.clone(),
        },
        ..ListQuery::default()
    });
    assert!(after_last.items.is_empty() && after_last.has_previous && !after_last.has_next);
    assert!(matches!(
        temp.registry.list_tokens(
            &ListQuery {
                page: Page::After {
                    cursor: "no-such-token".into()
                },
                ..ListQuery::default()
            },
            later
        ),
        Err(clapay_core::Error::NotFound { .. })
    ));
}

/// Sorting by last use: a token never used counts as the least recent use, so it comes first from
/// the oldest use and last from the newest.
#[test]
fn never_used_is_the_least_recent_use() {
    use clapay_core::AuthorizeRequest;
    use zeroize::Zeroizing;

    let mut temp = temp_registry();
    let mut secrets = Vec::new();
    for name in ["used-early", "never-used", "used-late"] {
        let created = temp
            .registry
            .create_token(&new_token(name), now())
            .expect("create");
        crate::support::record_secret(&created.secret);
        secrets.push(created.secret);
    }
    for (secret, minutes) in [(&secrets[2], 20), (&secrets[0], 10)] {
        let check = AuthorizeRequest {
            secret: Zeroizing::new(secret.expose_secret().to_string()),
            country: "CI".into(),
            operator: "OM".into(),
            method: "MERCHANT".into(),
            phone: None,
            environment: None,
        };
        let decision = temp
            .registry
            .authorize(&check, now() + Duration::minutes(minutes))
            .expect("authorize");
        assert!(decision.allowed, "{decision:?}");
    }
    let names = |descending: bool| -> Vec<String> {
        temp.registry
            .list_tokens(
                &ListQuery {
                    sort: SortKey::LastUsedAt,
                    descending,
                    ..ListQuery::default()
                },
                now() + Duration::hours(1),
            )
            .expect("list")
            .items
            .into_iter()
            .map(|item| item.name)
            .collect()
    };
    assert_eq!(names(false), ["never-used", "used-early", "used-late"]);
    assert_eq!(names(true), ["used-late", "used-early", "never-used"]);
}

/// A create answers with the token it wrote: exactly what reading the token gives, for every shape
/// of request (numbers given out of order, twice, in national form; every kind of expiry; a clock
/// with sub-millisecond digits).
#[test]
fn a_create_answers_exactly_what_reading_the_token_gives() {
    let mut temp = temp_registry();
    let at = now() + Duration::nanoseconds(123_456_789);
    let mut requests = Vec::new();
    let mut full = new_token("answer-numbers");
    full.composition = vec![
        triple("SN", "WAVE", Method::Cashin),
        triple("CI", "OM", Method::Merchant),
        triple("CI", "OM", Method::Cashout),
        triple("CI", "MTN", Method::Merchant),
        triple("ML", "OM", Method::Cashin),
    ];
    full.numbers = vec![
        number("SN", "+221 77 123 45 67"),
        number("CI", "07 07 07 07 09"),
        number("ml", "+223 70 12 34 56"),
        number("CI", "+225 01 02 03 04 05"),
        number("CI", "0707070709"),
    ];
    full.expiry = Expiry::At {
        at: at + Duration::days(3) + Duration::microseconds(1_500),
    };
    requests.push(full);
    let mut never = new_token("answer-never");
    never.expiry = Expiry::Never;
    never.description = String::new();
    requests.push(never);
    requests.push(new_token("answer-days"));
    for request in &requests {
        let created = temp.registry.create_token(request, at).expect("create");
        crate::support::record_secret(&created.secret);
        let read = temp
            .registry
            .get_token(&created.token.summary.id, at)
            .expect("read");
        assert_eq!(created.token, read, "{}", request.name);
    }
    let first = temp
        .registry
        .get_token(
            &temp
                .registry
                .resolve_token("answer-numbers")
                .expect("resolve"),
            at,
        )
        .expect("read");
    assert_eq!(
        first.numbers.len(),
        4,
        "the number given twice is kept once"
    );
    assert_eq!(first.summary.countries, ["CI", "ML", "SN"]);
}

/// Tokens created within the same millisecond list in the order they were created: the date
/// sorts break ties by id, and the ids one process makes increase.
#[test]
fn tokens_created_in_the_same_millisecond_list_in_creation_order() {
    let mut temp = temp_registry();
    let names: Vec<String> = (0..12).map(|index| format!("same-ms-{index:02}")).collect();
    for name in &names {
        temp.create_id(&new_token(name));
    }
    let listed = |descending: bool| -> Vec<String> {
        temp.registry
            .list_tokens(
                &ListQuery {
                    sort: SortKey::CreatedAt,
                    descending,
                    ..ListQuery::default()
                },
                now(),
            )
            .expect("list")
            .items
            .into_iter()
            .map(|item| item.name)
            .collect()
    };
    assert_eq!(listed(false), names);
    let mut newest_first = names.clone();
    newest_first.reverse();
    assert_eq!(listed(true), newest_first);
}
