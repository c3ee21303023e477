//! Tokens: what they are (`model`), the rules of their fields (`validate`), reading one
//! (`read`), the list (`list`) and the writes (`write`).
//!
//! A token's status is derived from the clock the caller passes, never stored. Creation writes
//! the token, its composition, its numbers and the `created` event in one transaction and hands
//! back the secret, which exists nowhere else.

mod list;
mod model;
mod read;
mod validate;
mod write;

pub use list::PAGE_MAX;
pub use model::{
    CompositionCard, CreatedToken, Expiry, ListQuery, NewNumber, NewToken, OperatorMethods, Page,
    SortKey, Status, StatusFilter, TokenChanges, TokenDetails, TokenPage, TokenRef, TokenSummary,
};
pub use validate::{validate_description, validate_name, DAYS_MAX, DESCRIPTION_MAX, NAME_MAX};

pub(crate) use read::{
    load_details, require_editable, require_exists, summary_from_row, SUMMARY_COLUMNS,
};
pub(crate) use validate::name_key;
pub(crate) use write::{
    check_new_token, ensure_name_free, expiry_json, insert_token, triple_labels,
};
