#!/bin/sh
# The GitHub Action's entrypoint (action.yml): the inputs arrive as DYNALINT_INPUT_*
# variables (action.yml's `runs.env`: the runner's own INPUT_FAIL-ON style names keep
# their hyphens, which shells drop); they become separate arguments of dynalint and are
# never evaluated by a shell. Writes the SARIF file and the job summary, posts the
# comment (and with `suggest` the review of suggestions), sets the step outputs, and
# exits with dynalint's status.
set -u

fail() {
    echo "::error title=dynalint::$1"
    exit 2
}

base=${DYNALINT_INPUT_BASE:-}
fail_on=${DYNALINT_INPUT_FAIL_ON:-}
new_only=${DYNALINT_INPUT_NEW_ONLY:-true}
comment=${DYNALINT_INPUT_COMMENT:-}
comment_key=${DYNALINT_INPUT_COMMENT_KEY:-}
suggest=${DYNALINT_INPUT_SUGGEST:-false}
aws=${DYNALINT_INPUT_AWS:-false}
sarif_file=${DYNALINT_INPUT_SARIF_FILE:-}
config=${DYNALINT_INPUT_CONFIG:-}
token=${DYNALINT_INPUT_GITHUB_TOKEN:-}
working_directory=${DYNALINT_INPUT_WORKING_DIRECTORY:-}

workspace=${GITHUB_WORKSPACE:-$(pwd)}
cd "$workspace" || fail "cannot enter the workspace $workspace"

# The checkout belongs to the runner's user, the container may run as another: tell git
# (and libgit2, which dynalint uses) that the workspace is safe — the workspace only, and
# once. HOME may not be writable in the container; then a private one is used.
safe_workspace() {
    git config --global --get-all safe.directory 2>/dev/null | grep -qxF "$workspace" ||
        git config --global --add safe.directory "$workspace" 2>/dev/null
}
if ! safe_workspace; then
    HOME=$(mktemp -d)
    export HOME
    safe_workspace || fail "cannot configure git"
fi

case "$sarif_file" in
*"
"*) fail "sarif-file must be a single line" ;;
esac
case "$new_only" in
true | false) ;;
*) fail "new-only must be true or false" ;;
esac
case "$suggest" in
true | false) ;;
*) fail "suggest must be true or false" ;;
esac
case "$aws" in
true | false) ;;
*) fail "aws must be true or false" ;;
esac
[ "$suggest" = true ] && [ "$comment" != true ] &&
    fail "suggest needs comment: true (the suggestions are posted beside the comment)"
# Paths given to the action are relative to the workspace, like every other step's.
case "$sarif_file" in
"" | /*) sarif_path=$sarif_file ;;
*) sarif_path=$workspace/$sarif_file ;;
esac
case "$config" in
"" | /*) config_path=$config ;;
*) config_path=$workspace/$config ;;
esac

if [ -n "$sarif_path" ]; then
    mkdir -p "$(dirname "$sarif_path")" || fail "cannot create the folder of $sarif_file"
fi

if [ -n "$working_directory" ]; then
    cd "$working_directory" || fail "working-directory $working_directory does not exist"
fi
# The repository dynalint checks is this folder, not the git top level above it.
repo=$(pwd)

report=$(mktemp)
trap 'rm -f "$report"' EXIT

set -- check --repo "$repo" --format github --format "text=/dev/stderr" --format "json=$report"
[ -n "$sarif_path" ] && set -- "$@" --format "sarif=$sarif_path"
[ -n "$base" ] && set -- "$@" --base "$base"
[ -n "$fail_on" ] && set -- "$@" --fail-on "$fail_on"
# Only when there is a base to compare with; without one every finding is new.
[ "$new_only" = true ] && set -- "$@" --new-only=auto
[ -n "$config_path" ] && set -- "$@" --config "$config_path"
# The job's AWS credentials (configure-aws-credentials); a fork's pull request has none,
# and dynalint says so in a notice.
[ "$aws" = true ] && set -- "$@" --aws
if [ "$comment" = true ]; then
    set -- "$@" --comment
    [ -n "$comment_key" ] && set -- "$@" --comment-key "$comment_key"
    [ "$suggest" = true ] && set -- "$@" --suggest
    if [ -n "$token" ]; then
        GITHUB_TOKEN=$token
        export GITHUB_TOKEN
    fi
fi

dynalint "$@"
status=$?

# The counts, from the JSON report's summary (its last "errors"/"warnings" lines).
count() {
    sed -n "s/^ *\"$1\": \([0-9][0-9]*\).*/\1/p" "$report" | tail -n 1
}
errors=$(count errors)
warnings=$(count warnings)
if [ -n "${GITHUB_OUTPUT:-}" ]; then
    # A runner whose user is not the image's (1001) cannot be written to: say so rather
    # than lose the outputs.
    { true >>"$GITHUB_OUTPUT"; } 2>/dev/null || fail "cannot write the step outputs to $GITHUB_OUTPUT: the image runs as user 1001, the user of GitHub-hosted runners"
    {
        echo "errors=$errors"
        echo "warnings=$warnings"
        if [ -n "$sarif_file" ] && [ -f "$sarif_path" ]; then
            echo "sarif-file=$sarif_file"
        else
            echo "sarif-file="
        fi
    } >>"$GITHUB_OUTPUT"
fi
exit "$status"
