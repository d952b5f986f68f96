# syntax=docker/dockerfile:1
# dynalint's image: a static (musl) binary on Alpine with git, run as a non-root user.
#   docker build -t dynalint .                      the CLI (ENTRYPOINT dynalint)
#   docker build --target argocd -t dynalint-argocd .   the Argo CD plugin sidecar (+ helm)
# The GitHub Action (action.yml) runs the default image with its entrypoint script.

ARG RUST_VERSION=1.95
ARG ALPINE_VERSION=3.22
ARG HELM_VERSION=3.18.4

FROM rust:${RUST_VERSION}-alpine AS build
RUN apk add --no-cache musl-dev build-base
WORKDIR /src
# Dependencies first, so that a change of dynalint's own code reuses their layer.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src tests benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs tests/comment.rs benches/read_parse.rs \
    && cargo fetch --locked
COPY . .
RUN cargo build --release --locked --features aws --bin dynalint \
    && strip target/release/dynalint \
    && ./target/release/dynalint --version

FROM alpine:${ALPINE_VERSION} AS runtime
RUN apk add --no-cache git ca-certificates \
    && adduser -D -u 1001 -h /home/dynalint dynalint
COPY --from=build /src/target/release/dynalint /usr/local/bin/dynalint
COPY --chmod=0755 docker/action-entrypoint.sh /usr/local/bin/dynalint-action
# 1001 is the runner's user on GitHub-hosted runners: the checkout and the files of
# workflow commands are its own.
USER 1001
WORKDIR /home/dynalint
ENTRYPOINT ["dynalint"]

FROM alpine/helm:${HELM_VERSION} AS helm

FROM runtime AS argocd
COPY --from=helm /usr/bin/helm /usr/local/bin/helm
# Argo CD runs plugin sidecars as user 999 (no account needed: Alpine's group 999 is
# taken, and the sidecar's only writable place is /tmp).
ENV HOME=/tmp
USER 999
WORKDIR /tmp
ENTRYPOINT []

# The default target: the CLI and the Action.
FROM runtime
