//! Integration tests of the core library, one module per feature, in one test binary.

mod authorize;
mod backup;
mod composition;
mod damage;
mod files;
mod integrity;
mod leaks;
mod lifecycle;
mod migrations;
mod numbers;
mod support;
mod tokens;
