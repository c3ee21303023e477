//! No secret at rest: a byte search of the database files for every secret generated.

use std::collections::HashSet;

use clapay_core::{Catalog, Registry};

use crate::support::{new_token, now};

/// Any 16 consecutive characters of a random part would be a leak (95 bits of it).
const FRAGMENT: usize = 16;

/// Every run of base62 characters in `bytes` that contains a fragment of a secret.
fn leaked_fragments(bytes: &[u8], fragments: &HashSet<&[u8]>) -> usize {
    bytes
        .split(|byte| !byte.is_ascii_alphanumeric())
        .filter(|run| run.len() >= FRAGMENT)
        .map(|run| {
            run.windows(FRAGMENT)
                .filter(|window| fragments.contains(window))
                .count()
        })
        .sum()
}

#[test]
fn a_thousand_secrets_appear_nowhere_in_the_database_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    let mut registry = Registry::open(&path, Catalog::embedded()).expect("open");
    let mut randoms = Vec::with_capacity(1000);
    for index in 0..1000 {
        let created = registry
            .create_token(&new_token(&format!("token-{index}")), now())
            .expect("create");
        crate::support::record_secret(&created.secret);
        randoms.push(created.secret.expose_secret().as_bytes()[4..47].to_vec());
    }
    let fragments: HashSet<&[u8]> = randoms
        .iter()
        .flat_map(|random| random.windows(FRAGMENT))
        .collect();
    // The search itself must work: a file holding one secret is caught.
    assert!(
        leaked_fragments(
            &[b"xx ".as_slice(), &randoms[7], b" yy"].concat(),
            &fragments
        ) > 0
    );

    let mut searched = 0;
    for suffix in ["", "-wal", "-shm"] {
        let file = dir.path().join(format!("tokens.db{suffix}"));
        if let Ok(bytes) = std::fs::read(&file) {
            searched += 1;
            assert_eq!(
                leaked_fragments(&bytes, &fragments),
                0,
                "a secret fragment was found in {}",
                file.display()
            );
        }
    }
    assert_eq!(
        searched, 3,
        "the database, its WAL and its shared memory file exist while open"
    );
    drop(registry);
    crate::support::keep_for_leak_scan(dir);
}
