# The project's container: dbt and the customer_mart package with its `segment` extra (the weekly
# job runs the segment step), every package at the version and hash of requirements-runtime.lock
# (`make lock`, scripts/runtime_lock.py; the dev and analyst extras stay out). infra/ runs it
# weekly on ECS Fargate: scripts/weekly_build.sh runs `dbt run-operation create_spectrum_schema`,
# `dbt build --target redshift` for the week (AS_OF_DATE, or the schedule's day), publishes the
# build's manifest.json and run_results.json and the static docs site (with the build's status) to
# S3, then `customer-mart segment --target redshift` and its charts, and reports the week to the
# alerts topic, with IAM authentication to Redshift Serverless (environment set by infra/ecs.tf).
#
#   docker build -t customer-mart:0.1.0 .
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies and package first, so that a change to the dbt models alone reuses this layer.
COPY requirements-runtime.lock pyproject.toml README.md ./
COPY src ./src
RUN pip install --require-hashes --no-deps -r requirements-runtime.lock \
    && pip install --no-deps --no-build-isolation . \
    && pip check

# The dbt project: dbt_project.yml, models, macros, seeds, snapshots, tests, analyses, docs,
# and the task's entrypoint scripts/weekly_build.sh with the scripts it calls, whichever of them exist (.dockerignore lets in nothing else; empty folders are not in git).
# profiles.yml reads every connection setting from the environment.
COPY . ./
COPY profiles.yml.example ./profiles.yml

# dbt writes only under /tmp (a task volume in ECS; the root filesystem is read-only there).
ENV DBT_PROFILES_DIR=/app \
    DBT_PROJECT_DIR=/app \
    DBT_TARGET_PATH=/tmp/dbt/target \
    DBT_LOG_PATH=/tmp/dbt/logs \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    DBT_TARGET=redshift \
    REDSHIFT_AUTH_METHOD=iam \
    HOME=/tmp

RUN useradd --uid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin dbt
USER 10001

ENTRYPOINT ["/app/scripts/weekly_build.sh"]
