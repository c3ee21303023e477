//! Integration tests of `clapay-tokens-cli`: the built binary, run as a user would, on a temporary
//! database. One test binary with a module per feature (see STYLE.md).

mod backup;
mod bad_input;
mod concurrency;
mod create_output;
mod database_file;
mod fail_closed;
mod lifecycle;
mod linking;
mod roll_and_duplicate;
mod sandbox;
mod support;
mod validation;
