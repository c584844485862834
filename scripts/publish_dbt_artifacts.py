"""Publish what a weekly build leaves in dbt's target folder to the artefacts bucket.

Called by scripts/weekly_build.sh in the ECS task (infra/ecs.tf sets the environment):

    publish_dbt_artifacts.py state DIR         DIR/manifest.json and DIR/run_results.json of a
                                               successful build (refused otherwise)
                                               -> s3://$ARTIFACTS_BUCKET/$ARTIFACTS_PREFIX/
    publish_dbt_artifacts.py failed-state DIR  the same two files of a failed dbt step (the
                                               manifest when dbt got to write one)
                                               -> s3://$ARTIFACTS_BUCKET/$ARTIFACTS_PREFIX/last-failed-build/
    publish_dbt_artifacts.py docs FILE         FILE (dbt docs generate --static)
                                               -> s3://$ARTIFACTS_BUCKET/$DOCS_PREFIX/index.html
    publish_dbt_artifacts.py charts DIR        DIR/segments.png and DIR/segment_history.png (the
                                               segment step)
                                               -> s3://$ARTIFACTS_BUCKET/$DOCS_PREFIX/, beside the page

Slim CI reads only the first two keys, so it keeps deferring to the last successful build; the
failed build's files are there for diagnosis. Objects are private (the bucket blocks public
access) and encrypted with $ARTIFACTS_KMS_KEY_ARN. The task role may put exactly these seven keys
(infra/iam.tf, local.artifact_keys). Every setting is checked before anything is sent, and a bad
one is named with its value.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

# The same rules as infra/variables.tf (artifacts_prefix, docs_prefix) and S3's bucket names.
PREFIX = re.compile(r"^[a-z0-9][a-z0-9_./-]*[a-z0-9]$")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$")

STATE_FILES = ("manifest.json", "run_results.json")
DOCS_KEY_NAME = "index.html"
# Under the production prefix, beside (never at) the two keys slim CI reads; infra/locals.tf
# (artifact_keys) names the same keys.
FAILED_BUILD_FOLDER = "last-failed-build"
CHART_NAMES = ("segments.png", "segment_history.png")


class PublishError(Exception):
    pass


def _setting(env: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> str:
    value = env.get(name, "")
    if not value:
        raise PublishError(f"{name} is not set (infra/ecs.tf sets it in the weekly task)")
    if not pattern.fullmatch(value) or "//" in value:
        raise PublishError(f"{name} has an invalid value: {value!r}")
    return value


def _put(s3, env: Mapping[str, str], key: str, body: bytes, content_type: str) -> str:
    bucket = _setting(env, "ARTIFACTS_BUCKET", BUCKET)
    kms_key = _setting(env, "ARTIFACTS_KMS_KEY_ARN", KMS_KEY_ARN)
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType=content_type,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=kms_key,
    )
    return f"s3://{bucket}/{key}"


def publish_state(s3, env: Mapping[str, str], folder: Path) -> list[str]:
    """Upload manifest.json and run_results.json; refuses a build whose results hold a failure."""
    prefix = _setting(env, "ARTIFACTS_PREFIX", PREFIX)
    bodies = {}
    for name in STATE_FILES:
        path = folder / name
        if not path.is_file():
            raise PublishError(f"{path} does not exist: did dbt build run with this target path?")
        bodies[name] = path.read_bytes()
        json.loads(bodies[name])  # a truncated file is refused, not published
    failed = [
        r["unique_id"]
        for r in json.loads(bodies["run_results.json"])["results"]
        if r["status"] in {"error", "fail", "runtime error"}
    ]
    if failed:
        raise PublishError(f"run_results.json holds failed nodes, not publishing it: {', '.join(failed)}")
    # The manifest last: a reader that sees a new manifest also sees its run results.
    return [
        _put(s3, env, f"{prefix}/{name}", bodies[name], "application/json") for name in reversed(STATE_FILES)
    ]


def publish_failed_state(s3, env: Mapping[str, str], folder: Path) -> list[str]:
    """Upload a failed dbt step's run results (and manifest, if dbt wrote one) beside production's."""
    prefix = _setting(env, "ARTIFACTS_PREFIX", PREFIX)
    results = folder / "run_results.json"
    if not results.is_file():
        raise PublishError(f"{results} does not exist: the failed dbt command wrote no run results")
    bodies = {name: (folder / name).read_bytes() for name in STATE_FILES if (folder / name).is_file()}
    for name, body in bodies.items():
        try:
            json.loads(body)
        except ValueError:
            raise PublishError(f"{folder / name} is not JSON: not publishing it") from None
    return [
        _put(s3, env, f"{prefix}/{FAILED_BUILD_FOLDER}/{name}", bodies[name], "application/json")
        for name in reversed(STATE_FILES)
        if name in bodies
    ]


def publish_docs(s3, env: Mapping[str, str], page: Path) -> str:
    prefix = _setting(env, "DOCS_PREFIX", PREFIX)
    if not page.is_file():
        raise PublishError(f"{page} does not exist: did `dbt docs generate --static` run?")
    return _put(s3, env, f"{prefix}/{DOCS_KEY_NAME}", page.read_bytes(), "text/html; charset=utf-8")


def publish_charts(s3, env: Mapping[str, str], folder: Path) -> list[str]:
    prefix = _setting(env, "DOCS_PREFIX", PREFIX)
    missing = [name for name in CHART_NAMES if not (folder / name).is_file()]
    if missing:
        raise PublishError(f"{folder} lacks {', '.join(missing)}: did the segment step run?")
    return [
        _put(s3, env, f"{prefix}/{name}", (folder / name).read_bytes(), "image/png") for name in CHART_NAMES
    ]


def main(argv: list[str] | None = None, env: Mapping[str, str] = os.environ, s3=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["state", "failed-state", "docs", "charts"])
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if s3 is None:
        import boto3

        s3 = boto3.client("s3", region_name=env.get("AWS_REGION"))
    try:
        if args.what == "state":
            written = publish_state(s3, env, args.path)
        elif args.what == "failed-state":
            written = publish_failed_state(s3, env, args.path)
        elif args.what == "charts":
            written = publish_charts(s3, env, args.path)
        else:
            written = [publish_docs(s3, env, args.path)]
    except PublishError as error:
        print(f"publish_dbt_artifacts: {error}", file=sys.stderr)
        return 2
    for uri in written:
        print(f"published {uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
