#!/usr/bin/env bash
# Offline validation of infra/, no AWS account and no network needed.
#
#   infra/check.sh [all|terraform|plan|checkov]      (default: all)
#
#   terraform  terraform fmt -check, init -backend=false, validate, then `plan`
#   plan       terraform plan with fake credentials (offline/provider_override.tf) and the
#              example variables; writes infra/.offline/plan.json for tests/python/test_infra.py.
#              The plan is reused while its inputs (the .tf files, those of modules/, the example
#              variables, the override, the provider lock file and the terraform version) are
#              unchanged.
#   checkov    checkov --framework terraform --skip-download in its own virtual environment
#              (.venv-checkov/, created from infra/requirements-checkov.txt when missing);
#              any failed check fails the script.
#
# Without a terraform binary, or without the AWS provider in the local filesystem mirror, the
# terraform steps that need them are skipped with a message; checkov always runs.
set -euo pipefail

INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(dirname "$INFRA_DIR")
WORK_DIR="$INFRA_DIR/.offline"
TERRAFORM=${TERRAFORM:-terraform}
PROVIDER_MIRROR=/opt/tf-plugins # must match infra/.terraformrc.offline
CHECKOV_VENV=${CHECKOV_VENV:-$ROOT_DIR/.venv-checkov}
CHECKOV_REQUIREMENTS="$INFRA_DIR/requirements-checkov.txt"
PYTHON=${PYTHON:-python3}

export TF_CLI_CONFIG_FILE="$INFRA_DIR/.terraformrc.offline"
export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1
export TF_INPUT=0

mode=${1:-all}
case "$mode" in
    all | terraform | plan | checkov) ;;
    *)
        echo "usage: $0 [all|terraform|plan|checkov]" >&2
        exit 2
        ;;
esac

summary=()
step() { echo "==> $*"; }
ran() { summary+=("ran      $1"); }
skipped() {
    echo "SKIPPED: $1 ($2)"
    summary+=("skipped  $1: $2")
}

print_summary() {
    echo
    echo "infra/check.sh $mode:"
    local line
    for line in "${summary[@]}"; do echo "  $line"; done
}
trap 'status=$?; if ((status != 0)); then summary+=("FAILED   (exit $status)"); fi; print_summary' EXIT

# Runs a command quietly; shows its output only when it fails.
quiet() {
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

terraform_missing_reason() {
    if ! command -v "$TERRAFORM" >/dev/null 2>&1; then
        echo "no terraform binary ($TERRAFORM) found"
    fi
}

provider_missing_reason() {
    if [[ ! -d "$PROVIDER_MIRROR/registry.terraform.io/hashicorp/aws" ]]; then
        echo "no AWS provider in the filesystem mirror $PROVIDER_MIRROR"
    fi
}

initialised=no
tf_init() {
    step "terraform init -backend=false (providers from $PROVIDER_MIRROR)"
    quiet "$TERRAFORM" -chdir="$INFRA_DIR" init -backend=false -input=false -no-color
    ran "terraform init -backend=false"
    initialised=yes
}

# Everything the plan depends on, hashed: an unchanged key means an unchanged plan.
plan_inputs_key() {
    {
        "$TERRAFORM" version -json
        local f
        for f in "$INFRA_DIR"/*.tf "$INFRA_DIR"/modules/*/*.tf "$INFRA_DIR/terraform.tfvars.example" \
            "$INFRA_DIR/offline/provider_override.tf" "$INFRA_DIR/.terraform.lock.hcl"; do
            echo "== ${f#"$INFRA_DIR"/}"
            cat "$f"
        done
    } | sha256sum | cut -d' ' -f1
}

tf_plan() {
    local key
    # One plan at a time: parallel test workers may each ask for it (the lock is released at exit).
    exec 9>"$INFRA_DIR/.offline.lock"
    flock 9
    if [[ ! -f "$INFRA_DIR/.terraform.lock.hcl" || ! -d "$INFRA_DIR/.terraform/providers" ]]; then
        tf_init
    fi
    key=$(plan_inputs_key)
    if [[ -f "$WORK_DIR/plan.json" && -f "$WORK_DIR/plan.key" && "$(cat "$WORK_DIR/plan.key")" == "$key" ]]; then
        step "terraform plan: inputs unchanged, reusing infra/.offline/plan.json"
        ran "terraform plan (reused: $(cat "$WORK_DIR/plan.summary"))"
        return
    fi

    # A changed input may be a new or changed module call: install the modules again (offline, ~2 s).
    if [[ "$initialised" == no ]]; then tf_init; fi

    step "terraform plan -refresh=false -lock=false (fake credentials, terraform.tfvars.example)"
    # A scratch root module: the real .tf files (symlinked) plus the fake-credentials override,
    # sharing infra/.terraform, so that the override can never leak into a real apply.
    rm -rf "$WORK_DIR"
    mkdir -p "$WORK_DIR"
    local f
    for f in "$INFRA_DIR"/*.tf; do ln -s "../$(basename "$f")" "$WORK_DIR/$(basename "$f")"; done
    ln -s ../modules "$WORK_DIR/modules"
    cp "$INFRA_DIR/offline/provider_override.tf" "$WORK_DIR/provider_override.tf"
    cp "$INFRA_DIR/.terraform.lock.hcl" "$WORK_DIR/.terraform.lock.hcl"

    TF_DATA_DIR="$INFRA_DIR/.terraform" "$TERRAFORM" -chdir="$WORK_DIR" plan \
        -refresh=false -lock=false -input=false -no-color \
        -var-file="$INFRA_DIR/terraform.tfvars.example" -out=plan.tfplan >"$WORK_DIR/plan.txt" 2>&1 || {
        cat "$WORK_DIR/plan.txt" >&2
        return 1
    }
    TF_DATA_DIR="$INFRA_DIR/.terraform" "$TERRAFORM" -chdir="$WORK_DIR" show -json plan.tfplan >"$WORK_DIR/plan.json.tmp"
    mv "$WORK_DIR/plan.json.tmp" "$WORK_DIR/plan.json"
    grep -E '^Plan: ' "$WORK_DIR/plan.txt" | tee "$WORK_DIR/plan.summary"
    echo "$key" >"$WORK_DIR/plan.key"
    ran "terraform plan ($(cat "$WORK_DIR/plan.summary")); JSON in infra/.offline/plan.json"
}

run_terraform() {
    local full=$1 reason
    reason=$(terraform_missing_reason)
    if [[ -n "$reason" ]]; then
        if [[ "$full" == yes ]]; then skipped "terraform fmt -check" "$reason"; fi
        if [[ "$full" == yes ]]; then skipped "terraform init -backend=false" "$reason"; fi
        if [[ "$full" == yes ]]; then skipped "terraform validate" "$reason"; fi
        skipped "terraform plan" "$reason"
        return
    fi
    echo "terraform: $("$TERRAFORM" version | head -n1)"

    if [[ "$full" == yes ]]; then
        step "terraform fmt -check -recursive"
        "$TERRAFORM" -chdir="$INFRA_DIR" fmt -check -recursive -diff -no-color
        ran "terraform fmt -check"
    fi

    reason=$(provider_missing_reason)
    if [[ -n "$reason" ]]; then
        if [[ "$full" == yes ]]; then skipped "terraform init -backend=false" "$reason"; fi
        if [[ "$full" == yes ]]; then skipped "terraform validate" "$reason"; fi
        skipped "terraform plan" "$reason"
        return
    fi

    if [[ "$full" == yes ]]; then
        tf_init
        step "terraform validate"
        "$TERRAFORM" -chdir="$INFRA_DIR" validate -no-color
        ran "terraform validate"
    fi
    tf_plan
}

checkov_venv() {
    local stamp="$CHECKOV_VENV/.requirements-checkov.txt"
    if [[ -x "$CHECKOV_VENV/bin/checkov" && -f "$stamp" ]] && cmp -s "$stamp" "$CHECKOV_REQUIREMENTS"; then
        return
    fi
    step "creating $CHECKOV_VENV from infra/requirements-checkov.txt"
    [[ -x "$CHECKOV_VENV/bin/python" ]] || "$PYTHON" -m venv "$CHECKOV_VENV"
    quiet "$CHECKOV_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$CHECKOV_REQUIREMENTS"
    cp "$CHECKOV_REQUIREMENTS" "$stamp"
}

run_checkov() {
    checkov_venv
    step "checkov $("$CHECKOV_VENV/bin/checkov" --version) --framework terraform --skip-download"
    local out
    out=$(mktemp)
    # Scan the root module only: not the fake-credentials override, not terraform's working files.
    if ! (cd "$INFRA_DIR" && "$CHECKOV_VENV/bin/checkov" --directory . --framework terraform \
        --skip-download --quiet --compact --skip-path offline --skip-path .offline \
        --skip-path .terraform) >"$out" 2>&1; then
        cat "$out"
        rm -f "$out"
        summary+=("FAILED   checkov: see the failed checks above")
        return 1
    fi
    cat "$out"
    local counts
    counts=$(grep -E '^Passed checks:' "$out" || echo "no summary line")
    rm -f "$out"
    ran "checkov ($counts)"
}

case "$mode" in
    all)
        run_terraform yes
        run_checkov
        ;;
    terraform) run_terraform yes ;;
    plan) run_terraform no ;;
    checkov) run_checkov ;;
esac
