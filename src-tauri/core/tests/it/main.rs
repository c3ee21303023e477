//! Integration tests of the core library, one module per feature, in one test binary.

mod authorize;
mod backup;
mod composition;
mod damage;
mod integrity;
mod leaks;
mod numbers;
mod support;
mod tokens;
