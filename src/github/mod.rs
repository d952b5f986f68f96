//! GitHub: the pull-request context of an Actions run.

pub mod event;
