//! dynalint: a GitOps CI linter for DynamoDB tables declared through the
//! `helm-idp-dynamodb` Helm chart.
//!
//! The data flows one way, through [`pipeline::run`]: [`config`] -> [`snapshot`] (the
//! files of a revision) -> [`revision`] (parse each values file once with [`yaml`], check
//! it with [`schema`], lower it to the [`model`]) -> [`rules`] over the head, [`diff`] and
//! the change rules over two revisions -> [`postprocess`] (settings, suppressions, order,
//! fingerprints) -> [`report`] (renderers that only format). With `--aws`, the account
//! rules read what the AWS account answered ([`account`]) before the post-process.

pub mod account;
pub mod app;
pub mod argocd;
pub mod cli;
pub mod config;
pub mod diff;
pub mod edit;
pub mod exit;
pub mod finding;
pub mod fix;
pub mod github;
pub mod harness;
pub mod migrate;
pub mod model;
pub mod parallel;
pub mod pipeline;
pub mod postprocess;
pub mod report;
pub mod revision;
pub mod roles;
pub mod rule_meta;
pub mod rules;
pub mod schema;
pub mod server;
pub mod snapshot;
pub mod source;
pub mod span;
pub mod suggest;
pub mod suppress;
pub mod workloads;
pub mod yaml;
