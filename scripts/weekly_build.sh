#!/bin/sh
# The weekly ECS task (the image's ENTRYPOINT; infra/ecs.tf sets the environment):
#   1. the week: AS_OF_DATE when set (a rerun: `aws ecs run-task --overrides`, infra/README.md),
#      checked before dbt starts, else the schedule's day (today in SCHEDULE_TIMEZONE); exported,
#      so every dbt command of the task builds that one as_of_date; and DBT_VARS when set (a rerun
#      that overrides a setting with the --vars a failure message gives), checked to be a YAML
#      mapping without as_of_date, passed to dbt build as --vars (dbt checks each key and value)
#   2. dbt run-operation create_spectrum_schema   the external schema over the Glue database
#   3. dbt build --target redshift                 every model, seed, snapshot, data and unit test,
#                                                   the raw-table guards (freshness against as_of_date,
#                                                   volumes) before the mart is replaced
#   4. publish the build's manifest.json and run_results.json to
#      s3://$ARTIFACTS_BUCKET/$ARTIFACTS_PREFIX/ (the production state slim CI defers to)
#   5. dbt run-operation build_status (the run history's latest build), dbt docs generate --static,
#      that status added to the site's overview and mart page, and the page published to
#      s3://$ARTIFACTS_BUCKET/$DOCS_PREFIX/index.html (the analysts' docs site)
#   6. the segment step: customer-mart segment --target redshift reads the mart just built (UNLOAD
#      through s3://$SEGMENTS_BUCKET/$SEGMENTS_PREFIX/), writes the week's customer segments (COPY),
#      and its two charts are published beside the docs page
#   7. the week's success line to $ALERTS_TOPIC_ARN (warnings in a message of their own), and the
#      heartbeat in $HEARTBEAT_QUEUE_URL renewed (8 days without one alarm: infra/alerts.tf); only
#      after the segment step, so a week whose segments failed is never reported as a success
# A failing step stops the task. A failed dbt step's manifest and run results go to
# s3://$ARTIFACTS_BUCKET/$ARTIFACTS_PREFIX/last-failed-build/ (never the two keys slim CI reads),
# a message naming the failed and skipped nodes and the first error goes to the topic, and the task
# exits 3, which the EventBridge rule (infra/alerts.tf) leaves alone. Any other non-zero exit (the
# report itself failed, the task was killed) is the rule's to report.
set -eu

# `aws ecs run-task` with the command override ["smoke"]: the smoke test before the first scheduled
# build (customer-mart smoke; infra/README.md, step 6), which builds into a scratch schema and
# publishes nothing.
if [ "${1:-}" = "smoke" ]; then
    shift
    exec customer-mart smoke "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
target=${DBT_TARGET_PATH:-target}
python=${PYTHON:-python3}

# Refuse to start a build whose results could not be published, segmented or reported.
for name in ARTIFACTS_BUCKET ARTIFACTS_PREFIX DOCS_PREFIX ARTIFACTS_KMS_KEY_ARN ALERTS_TOPIC_ARN HEARTBEAT_QUEUE_URL \
    SEGMENTS_BUCKET SEGMENTS_PREFIX SEGMENTS_IAM_ROLE_ARN SEGMENTS_KMS_KEY_ARN; do
    eval "value=\${$name:-}"
    if [ -z "$value" ]; then
        echo "weekly_build.sh: $name is not set (infra/ecs.tf sets it in the weekly task)" >&2
        exit 2
    fi
done

work=$(mktemp -d)
state="$work/state"
mkdir -p "$state" "$target"
dbt_results=no # whether the running step is a dbt command, whose run_results.json tells what failed
built=no       # whether dbt build succeeded (a later failure leaves this week's mart in place)

# Reports the failure of step $1 (exit code $2) and stops the task: exit 3 once reported, else
# the step's own code (never 3), for the EventBridge rule to report.
failed() {
    set -- --step "$1" --exit-code "$2" --output "$work/output"
    code=$4
    if [ "$dbt_results" = yes ]; then
        set -- "$@" --dbt-step
    fi
    if [ "$dbt_results" = yes ] && [ -f "$target/run_results.json" ]; then
        if "$python" "$here/publish_dbt_artifacts.py" failed-state "$target"; then
            set -- "$@" --published
        fi
        set -- "$@" --run-results "$target/run_results.json" --manifest "$target/manifest.json"
    fi
    if [ "$built" = yes ]; then
        set -- "$@" --built
    fi
    if "$python" "$here/report_build.py" failed "$@"; then
        exit 3
    fi
    echo "weekly_build.sh: the failure could not be reported to the alerts topic; exit $code for the EventBridge rule" >&2
    if [ "$code" -eq 3 ]; then
        exit 1
    fi
    exit "$code"
}

# Runs step $1, the command $2...: its output shown and kept for the report; a failure stops here.
step() {
    name=$1
    shift
    echo "==> $name"
    { code=0; "$@" 2>&1 || code=$?; echo "$code" >"$work/code"; } | tee "$work/output"
    code=$(cat "$work/code")
    if [ "$code" -ne 0 ]; then
        failed "$name" "$code"
    fi
    dbt_results=no
}

# A dbt step: a run_results.json left by an earlier command must not be read as this one's.
dbt_step() {
    rm -f "$target/run_results.json"
    dbt_results=yes
    step "$@"
}

week() { "$python" "$here/report_build.py" as-of-date >"$work/as_of_date"; }
build_vars() { "$python" "$here/report_build.py" vars >"$work/vars"; }
build_status() {
    dbt --quiet run-operation build_status --target redshift >"$state/build_status.json" || {
        code=$?
        cat "$state/build_status.json"
        return "$code"
    }
}

step "checking AS_OF_DATE" week
AS_OF_DATE=$(cat "$work/as_of_date")
export AS_OF_DATE
echo "==> as_of_date $AS_OF_DATE"
step "checking DBT_VARS" build_vars
vars=$(cat "$work/vars")

dbt_step "dbt run-operation create_spectrum_schema" dbt run-operation create_spectrum_schema --target redshift
if [ -n "$vars" ]; then
    echo "==> dbt build --vars $vars"
    dbt_step "dbt build" dbt build --target redshift --vars "$vars"
else
    dbt_step "dbt build" dbt build --target redshift
fi
built=yes

# Later dbt commands rewrite the target folder's manifest and run results: keep the build's.
cp "$target/manifest.json" "$target/run_results.json" "$state/"
step "publishing the production state" "$python" "$here/publish_dbt_artifacts.py" state "$state"

dbt_step "dbt run-operation build_status" build_status
dbt_step "dbt docs generate --static" dbt docs generate --static --target redshift
step "adding the build's status to the docs site" \
    "$python" "$here/docs_build_status.py" "$state/build_status.json" "$target"
step "publishing the docs site" "$python" "$here/publish_dbt_artifacts.py" docs "$target/static_index.html"

# ---- customer segments (issue 23): the week's segments of the mart just built ----
# The same dbt profile (redshift target, IAM sign-in); src/customer_mart/segment_store.py. A failure
# here is reported like any other step's (the mart stays built, the success line is not sent).
step "customer-mart segment" customer-mart segment --target redshift \
    --profiles-dir "${DBT_PROFILES_DIR:-.}" --charts-dir "$target/segments"
step "publishing the segment charts" "$python" "$here/publish_dbt_artifacts.py" charts "$target/segments"

step "reporting the week" "$python" "$here/report_build.py" succeeded \
    --run-results "$state/run_results.json" --manifest "$state/manifest.json" --status "$state/build_status.json"
