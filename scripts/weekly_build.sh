#!/bin/sh
# The weekly ECS task (the image's ENTRYPOINT; infra/ecs.tf sets the environment):
#   1. dbt run-operation create_spectrum_schema   the external schema over the Glue database
#   2. dbt build --target redshift                 every model, seed, snapshot, data and unit test
#   3. after a successful build, publish manifest.json and run_results.json to
#      s3://$ARTIFACTS_BUCKET/$ARTIFACTS_PREFIX/ (the production state slim CI defers to)
#   4. dbt docs generate --static, and publish target/static_index.html to
#      s3://$ARTIFACTS_BUCKET/$DOCS_PREFIX/index.html (the analysts' docs site)
#   5. the segment step: customer-mart segment --target redshift reads the mart just built (UNLOAD
#      through s3://$SEGMENTS_BUCKET/$SEGMENTS_PREFIX/), writes the week's customer segments (COPY),
#      and its two charts are published beside the docs page
# Any failing step stops the task with a non-zero exit code, which alerts (infra/alerts.tf); a
# failed build publishes nothing, so slim CI keeps deferring to the last good production state.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
target=${DBT_TARGET_PATH:-target}
python=${PYTHON:-python3}

# Refuse to start a build whose results could not be published.
for name in ARTIFACTS_BUCKET ARTIFACTS_PREFIX DOCS_PREFIX ARTIFACTS_KMS_KEY_ARN \
    SEGMENTS_BUCKET SEGMENTS_PREFIX SEGMENTS_IAM_ROLE_ARN SEGMENTS_KMS_KEY_ARN; do
    eval "value=\${$name:-}"
    if [ -z "$value" ]; then
        echo "weekly_build.sh: $name is not set (infra/ecs.tf sets it in the weekly task)" >&2
        exit 2
    fi
done

echo "==> dbt run-operation create_spectrum_schema"
dbt run-operation create_spectrum_schema --target redshift
echo "==> dbt build"
dbt build --target redshift

# `dbt docs generate` rewrites the target folder's manifest and run results: keep the build's.
state=$(mktemp -d)
cp "$target/manifest.json" "$target/run_results.json" "$state/"
echo "==> publishing the production state"
"$python" "$here/publish_dbt_artifacts.py" state "$state"

echo "==> dbt docs generate --static"
dbt docs generate --static --target redshift
echo "==> publishing the docs site"
"$python" "$here/publish_dbt_artifacts.py" docs "$target/static_index.html"

# ---- customer segments (issue 23), after the build: the week's segments of the mart just built ----
# The same dbt profile (redshift target, IAM sign-in); src/customer_mart/segment_store.py.
echo "==> customer-mart segment --target redshift"
customer-mart segment --target redshift --profiles-dir "${DBT_PROFILES_DIR:-.}" --charts-dir "$target/segments"
echo "==> publishing the segment charts"
"$python" "$here/publish_dbt_artifacts.py" charts "$target/segments"
