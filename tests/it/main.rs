//! The integration tests, one binary (one link of the library and libgit2): the command
//! line over temporary git repositories, the integrations as their hosts run them, the
//! README's blocks, hostile input, properties, and the house's own rules.

mod common;

mod action;
mod adversarial;
mod argocd;
// `check --aws` needs the `aws` feature (`cargo test --all-features`).
#[cfg(feature = "aws")]
mod aws;
#[cfg(feature = "aws")]
mod aws_attacks;
mod bad_input;
mod change;
mod cli;
#[cfg(feature = "github")]
mod comment;
mod demo;
mod fix;
mod floors;
mod focus;
mod formats;
mod migrate;
mod mistakes;
mod neovim;
mod properties;
mod readme;
mod server;
mod server_attacks;
#[cfg(feature = "github")]
mod suggest;
