"""The weekly ECS task as it runs: scripts/weekly_build.sh, the image's entrypoint, with a stand-in
`dbt` and the real publisher, reporter and docs-status scripts against moto's S3, SNS and SQS.

The stand-in dbt records its arguments and the AS_OF_DATE it was given, and writes what the real
command leaves in the target folder (manifest, run results, the build_status line, a static docs
page that inlines its manifest); FAKE_DBT_FAIL makes `dbt build` fail with a failed model, a
failed test and skipped nodes (`build`) or stop before writing any result (`parse`). A stand-in
`customer-mart` records the segment step's command and draws its two charts, or fails as the real
one does with FAKE_SEGMENT_FAIL (the real step runs against the Redshift stand-in and moto in
test_segment.py). moto runs in
server mode in this process; the scripts reach it through AWS_ENDPOINT_URL, the only difference
from the task in production. An SQS queue subscribed to the alerts topic is where these tests read
what a person would receive. What the real dbt commands print and record (the build_status line,
the run history behind it, the docs site in a browser) is tested on DuckDB in test_docs_site.py
and test_volume_guards.py; the Terraform that wires the task to the topic, the queue and the
alarm is checked in test_infra.py.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
WEEKLY_BUILD = SCRIPTS / "weekly_build.sh"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
BUCKET = "customer-mart-artifacts-123456789012-eu-west-1"
KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f3c7a52-4b55-4d3c-9b1e-2f0c1d2e3f40"
TASK_ENV = {
    "ARTIFACTS_BUCKET": BUCKET,
    "ARTIFACTS_PREFIX": "dbt/prod",
    "DOCS_PREFIX": "dbt/docs",
    "ARTIFACTS_KMS_KEY_ARN": KMS_KEY,
    "ALERTS_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:customer-mart-build-alerts",
    "HEARTBEAT_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/customer-mart-build-heartbeat",
    "LOG_GROUP": "/ecs/customer-mart/dbt-build",
    "SCHEDULE_TIMEZONE": "UTC",
    # The segment step's (customer-mart segment --target redshift, read by the stand-in's real
    # counterpart; the script checks them at the start with the others).
    "SEGMENTS_BUCKET": BUCKET,
    "SEGMENTS_PREFIX": "segments/work",
    "SEGMENTS_IAM_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/customer-mart-segments",
    "SEGMENTS_KMS_KEY_ARN": KMS_KEY,
}


def script(name: str) -> ModuleType:
    """A script of scripts/ as a module (they import each other, as when run from that folder)."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    return importlib.import_module(name)


# The stand-in dbt (its docstring says what it writes).
FAKE_DBT = Path(__file__).with_name("weekly_task_dbt.py")
# The stand-in segment step: records its command beside dbt's, draws the two charts where it is
# told, or fails the way the real command does (a message on stderr, exit 2).
FAKE_SEGMENT = """#!/bin/sh
echo "customer-mart $* | AS_OF_DATE=${AS_OF_DATE:-}" >> "$DBT_CALLS"
if [ "${FAKE_SEGMENT_FAIL:-}" = 1 ]; then
    echo "customer-mart segment: UNLOAD wrote 99,998 rows of customer_features, the table has 100,000" >&2
    exit 2
fi
charts=$(echo "$*" | sed 's/.*--charts-dir //')
mkdir -p "$charts"
printf 'png-1' > "$charts/segments.png"
printf 'png-2' > "$charts/segment_history.png"
"""


class Task:
    """The task's AWS side (bucket, topic with a subscribed inbox, heartbeat queue) and its runs."""

    def __init__(self, endpoint: str, tmp_path: Path) -> None:
        import boto3
        import requests

        requests.post(f"{endpoint}/moto-api/reset", timeout=10)
        self.aws_env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

        def client(service: str):
            return boto3.client(
                service,
                region_name=REGION,
                endpoint_url=endpoint,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        self.s3, self.sns, self.sqs = client("s3"), client("sns"), client("sqs")
        self.s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        topic = self.sns.create_topic(Name="customer-mart-build-alerts")["TopicArn"]
        assert topic == TASK_ENV["ALERTS_TOPIC_ARN"]
        self.heartbeat = self.sqs.create_queue(QueueName="customer-mart-build-heartbeat")["QueueUrl"]
        self.inbox = self.sqs.create_queue(QueueName="inbox")["QueueUrl"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:inbox")
        self.tmp_path = tmp_path
        self.runs = 0

    def run(self, **extra: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        self.runs += 1
        work = self.tmp_path / f"run-{self.runs}"
        bin_dir, target = work / "bin", work / "target"
        bin_dir.mkdir(parents=True)
        target.mkdir()
        (bin_dir / "dbt").write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_DBT}" "$@"\n')
        (bin_dir / "dbt").chmod(0o755)
        (bin_dir / "customer-mart").write_text(FAKE_SEGMENT)
        (bin_dir / "customer-mart").chmod(0o755)
        env = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "DBT_TARGET_PATH": str(target),
            "DBT_CALLS": str(work / "calls"),
            "PYTHON": sys.executable,
            "HOME": str(work),
            "TMPDIR": str(work),
            **self.aws_env,
            **TASK_ENV,
            **extra,
        }
        result = subprocess.run(
            ["sh", str(WEEKLY_BUILD)], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        calls = (work / "calls").read_text().splitlines() if (work / "calls").exists() else []
        return result, calls

    def target(self) -> Path:
        """The last run's dbt target folder."""
        return self.tmp_path / f"run-{self.runs}" / "target"

    def objects(self) -> dict[str, dict[str, Any]]:
        found = {}
        for item in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            got = self.s3.get_object(Bucket=BUCKET, Key=item["Key"])
            found[item["Key"]] = {
                "body": got["Body"].read().decode(),
                "content_type": got["ContentType"],
                "sse": got.get("ServerSideEncryption"),
                "kms_key": got.get("SSEKMSKeyId"),
            }
        return found

    def drain(self, queue: str, delete: bool = True) -> list[str]:
        bodies = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0 if not delete else 30
            ).get("Messages", [])
            if not got:
                return bodies
            bodies += [m["Body"] for m in got]
            if not delete:
                return bodies
            for message in got:
                self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

    def messages(self) -> list[tuple[str, str]]:
        """What the alerts topic sent since the last call: (subject, message), in order."""
        envelopes = [json.loads(body) for body in self.drain(self.inbox)]
        envelopes.sort(key=lambda e: e["Timestamp"])
        return [(e.get("Subject", ""), e["Message"]) for e in envelopes]

    def heartbeats(self) -> list[dict]:
        return [json.loads(body) for body in self.drain(self.heartbeat, delete=False)]


@pytest.fixture
def task(moto_endpoint: str, tmp_path: Path) -> Task:
    return Task(moto_endpoint, tmp_path)


def today_utc() -> set[str]:
    now = datetime.now(UTC)
    return {now.date().isoformat(), (now - timedelta(minutes=5)).date().isoformat()}


# --- a successful week ------------------------------------------------------------------------


def test_a_successful_week_publishes_reports_and_renews_the_heartbeat(task: Task) -> None:
    result, calls = task.run()
    assert result.returncode == 0, result.stdout + result.stderr
    week = calls[0].rsplit("AS_OF_DATE=", 1)[1]
    assert week in today_utc()  # not overridden: the schedule's day (SCHEDULE_TIMEZONE=UTC)
    # Every dbt command of the task got that week.
    assert calls == [
        f"run-operation create_spectrum_schema --target redshift | AS_OF_DATE={week}",
        f"build --target redshift | AS_OF_DATE={week}",
        f"--quiet run-operation build_status --target redshift | AS_OF_DATE={week}",
        f"docs generate --static --target redshift | AS_OF_DATE={week}",
        # The segment step, after the docs and before the success line.
        f"customer-mart segment --target redshift --profiles-dir . --charts-dir {task.target()}/segments"
        f" | AS_OF_DATE={week}",
    ]

    objects = task.objects()
    assert set(objects) == {
        "dbt/prod/manifest.json",
        "dbt/prod/run_results.json",
        "dbt/docs/index.html",
        "dbt/docs/segments.png",
        "dbt/docs/segment_history.png",
    }
    # The build's manifest, not the ones later commands wrote.
    assert json.loads(objects["dbt/prod/manifest.json"]["body"])["metadata"] == {"from": "build"}
    for obj in objects.values():
        assert (obj["sse"], obj["kms_key"]) == ("aws:kms", KMS_KEY)
    assert [objects[f"dbt/docs/{name}"]["body"] for name in ("segments.png", "segment_history.png")] == [
        "png-1",
        "png-2",
    ]
    assert objects["dbt/docs/segments.png"]["content_type"] == "image/png"
    page = objects["dbt/docs/index.html"]
    assert page["content_type"].startswith("text/html")
    # The docs page inlines a manifest whose overview and mart page carry the build's status.
    inlined = json.loads(page["body"].split("var m = ", 1)[1].split("; var c = ", 1)[0])
    overview = inlined["docs"]["doc.customer_mart.__overview__"]["block_contents"]
    mart = inlined["nodes"]["model.customer_mart.customer_features"]["description"]
    for text in (overview, mart):
        assert f"as_of_date {week}" in text and "100,000 customers" in text
        assert "none failed" in text and "1 warned" in text

    (success, line), (warnings, summary) = task.messages()
    assert success == f"customer-mart: week of {week} built, 100,000 customers"
    assert line == (
        f"customer-mart: week of {week} built: 100,000 customers; profit levels 1: 62.1%, 2: 20.3%,"
        " 3: 17.6%; 1 checks passed, 1 warned (in a message of their own)."
    )
    assert warnings == f"customer-mart: 1 warning(s) in the build of as_of_date {week}"
    assert "test warn_users_created_at_in_other_time_zones (480 rows)" in summary
    assert (
        "What it checks: Warns when users' created_at were written with an offset other than UTC." in summary
    )
    assert "Defined in models/staging/thelook/profiles/_thelook__profiles.yml" in summary

    (heartbeat,) = task.heartbeats()
    assert heartbeat["as_of_date"] == week and heartbeat["invocation_id"] == "inv-1"

    # A rerun of an earlier week (the override of `aws ecs run-task`): dbt gets that week, and
    # the queue still holds one heartbeat, this build's.
    rerun, calls = task.run(AS_OF_DATE="2026-11-30", FAKE_INVOCATION="inv-2")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert {call.rsplit("AS_OF_DATE=", 1)[1] for call in calls} == {"2026-11-30"}
    assert task.messages()[0][0] == "customer-mart: week of 2026-11-30 built, 100,000 customers"
    assert [h["invocation_id"] for h in task.heartbeats()] == ["inv-2"]


def test_the_run_history_must_hold_this_build(task: Task) -> None:
    """A success line is read from the run history: if its latest build is not this one, the task
    says so (after the build: the mart and the production state are there) and renews nothing."""
    result, _ = task.run(FAKE_STATUS_INVOCATION="an-older-build")
    assert result.returncode == 3, result.stdout + result.stderr
    ((subject, body),) = [m for m in task.messages() if "warning" not in m[0]]
    assert subject.startswith("customer-mart: 'reporting the week' failed after the build")
    assert "was built and its production state published" in body
    assert "the run history's latest build is 'an-older-build', not this build ('inv-1')" in body
    assert task.heartbeats() == []


# --- a failed week ----------------------------------------------------------------------------


def test_a_failed_build_names_what_failed_and_publishes_its_results_aside(task: Task) -> None:
    result, calls = task.run(FAKE_DBT_FAIL="build", AS_OF_DATE="2026-11-23")
    assert result.returncode == 3, result.stdout + result.stderr  # reported: the rule leaves it alone
    assert [c.split(" | ")[0] for c in calls] == [
        "run-operation create_spectrum_schema --target redshift",
        "build --target redshift",
    ]
    objects = task.objects()
    # Beside production's state, never at its keys: slim CI keeps deferring to the last success.
    assert set(objects) == {
        "dbt/prod/last-failed-build/manifest.json",
        "dbt/prod/last-failed-build/run_results.json",
    }
    failed = json.loads(objects["dbt/prod/last-failed-build/run_results.json"]["body"])
    assert {r["status"] for r in failed["results"]} == {"error", "fail", "skipped", "warn"}

    (subject, body), (warnings, _) = task.messages()
    assert subject == "customer-mart: weekly build FAILED (as_of_date 2026-11-23)"
    assert warnings == "customer-mart: 1 warning(s) in the build of as_of_date 2026-11-23"
    assert "FAILED at 'dbt build' (exit code 1)" in body
    assert "customer_features is still the last successful build's" in body
    assert "Failed (2):" in body
    assert (
        "- model int_customers_profit_level: Database Error in model int_customers_profit_level"
        " (models/intermediate/customers/int_customers_profit_level.sql): Conversion Error: Could not"
        " convert 'inf' to DECIMAL(12,2)"
    ) in body
    assert "- test raw_tables_not_empty_or_shrunk (1 row): Got 1 result, configured to fail if != 0" in body
    assert (
        "What it checks: Error: a raw table read empty, or shrunk by more than the var max_raw_table_shrink."
        in body
    )
    assert (
        "Not built because something they depend on failed (3): customer_features,"
        " customer_features_snapshot, monitoring_mart_volumes"
    ) in body
    assert "Checks skipped for the same reason: 1" in body
    assert "First error: Database Error in model int_customers_profit_level" in body
    assert f"s3://{BUCKET}/dbt/prod/last-failed-build/" in body
    assert "aws logs tail /ecs/customer-mart/dbt-build --since 1d --region eu-west-1" in body
    assert "the task with AS_OF_DATE=2026-11-23" in body
    assert task.heartbeats() == []


def test_a_stale_week_is_stopped_by_the_build_and_rerun_with_the_override_it_gives(task: Task) -> None:
    """The freshness guard runs inside the task's dbt build (before the mart is replaced): the alert
    names every stale table, what to do, and the task's own override; the rerun with DBT_VARS
    passes those vars to dbt build only, with the same week."""
    result, calls = task.run(FAKE_DBT_FAIL="stale", AS_OF_DATE="2026-11-30")
    assert result.returncode == 3, result.stdout + result.stderr
    assert calls[-1] == "build --target redshift | AS_OF_DATE=2026-11-30"
    ((subject, body),) = task.messages()
    assert subject == "customer-mart: weekly build FAILED (as_of_date 2026-11-30)"
    assert "customer_features is still the last successful build's" in body
    assert (
        "- test raw_tables_fresh: Compilation Error in test raw_tables_fresh"
        " (tests/monitoring/raw_tables_fresh.sql): raw table events: newest row 2026-11-16 23:13:00 UTC"
    ) in body
    assert (
        "\n  raw table orders: newest row 2026-11-16 22:41:00 UTC" in body
    )  # every table, not the first only
    assert "rerun with --vars '{max_raw_table_age_days: 14}'." in body
    assert "> in macro" not in body
    assert (
        "To build this week on the data as it is, as a message above offers: the task with"
        " AS_OF_DATE=2026-11-30 and DBT_VARS='{max_raw_table_age_days: 14}'."
    ) in body
    assert "Not built because something they depend on failed (3): customer_features," in body
    assert task.heartbeats() == []

    rerun, calls = task.run(
        FAKE_DBT_FAIL="stale", AS_OF_DATE="2026-11-30", DBT_VARS="{max_raw_table_age_days: 14}"
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert calls[:2] == [
        "run-operation create_spectrum_schema --target redshift | AS_OF_DATE=2026-11-30",
        "build --target redshift --vars {max_raw_table_age_days: 14} | AS_OF_DATE=2026-11-30",
    ]
    assert all("--vars" not in call for call in calls[2:])
    assert task.messages()[0][0] == "customer-mart: week of 2026-11-30 built, 100,000 customers"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("{max_raw_table_age_days: 14", "not YAML"),
        ("max_raw_table_age_days", "not a mapping of settings"),
        ('{as_of_date: "2026-11-23", max_raw_table_age_days: 14}', "it sets as_of_date"),
    ],
)
def test_bad_dbt_vars_stop_the_task_before_dbt(task: Task, value: str, reason: str) -> None:
    result, calls = task.run(DBT_VARS=value)
    assert result.returncode == 3, result.stdout + result.stderr
    assert calls == []  # dbt never started
    ((_, body),) = task.messages()
    assert "FAILED at 'checking DBT_VARS'" in body
    assert f"First error: report_build: DBT_VARS is {value!r}: {reason}" in body


def test_a_failed_segment_step_is_reported_as_a_failure_and_never_as_a_success(task: Task) -> None:
    """The mart and the docs are in (the segment step runs after them), but the week's success line
    is not sent and the heartbeat not renewed: the failure message names the step instead."""
    result, calls = task.run(FAKE_SEGMENT_FAIL="1", AS_OF_DATE="2026-11-23")
    assert result.returncode == 3, result.stdout + result.stderr  # reported: the rule leaves it alone
    assert calls[-1].startswith("customer-mart segment --target redshift")
    # The build's state and docs page are published; no chart, nothing under last-failed-build/.
    assert set(task.objects()) == {
        "dbt/prod/manifest.json",
        "dbt/prod/run_results.json",
        "dbt/docs/index.html",
    }
    ((subject, body),) = task.messages()  # the failure alone: no success line, no warnings
    assert subject == "customer-mart: 'customer-mart segment' failed after the build (as_of_date 2026-11-23)"
    assert (
        "The mart for as_of_date 2026-11-23 was built and its production state published, but the step"
        " 'customer-mart segment' then failed (exit code 2)."
    ) in body
    assert (
        "First error: customer-mart segment: UNLOAD wrote 99,998 rows of customer_features, the table has"
        " 100,000"
    ) in body
    assert "the task with AS_OF_DATE=2026-11-23" in body
    assert "dbt wrote no run_results.json" not in body  # not a dbt step
    assert task.heartbeats() == []


def test_a_build_that_stops_before_any_node_reports_the_first_error_of_its_log(task: Task) -> None:
    result, _ = task.run(FAKE_DBT_FAIL="parse")
    assert result.returncode == 3, result.stdout + result.stderr
    assert task.objects() == {}  # no run results to publish
    ((_, body),) = task.messages()
    assert "FAILED at 'dbt build' (exit code 2)" in body
    assert (
        "First error: Compilation Error in model monitoring_mart_volumes"
        " (models/monitoring/monitoring_mart_volumes.sql): setting as_of_date"
    ) in body
    assert "dbt wrote no run_results.json for this step" in body


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-02-30", "day 30 does not exist in 2026-02"),
        ("14/12/2026", "not written YYYY-MM-DD"),
        ("2026-13-01", "month 13 does not exist"),
        ((date.today() + timedelta(days=3)).isoformat(), "after today"),
    ],
)
def test_a_bad_as_of_date_stops_the_task_before_dbt(task: Task, value: str, reason: str) -> None:
    result, calls = task.run(AS_OF_DATE=value)
    assert result.returncode == 3, result.stdout + result.stderr
    assert calls == []  # dbt never started
    assert f"AS_OF_DATE is '{value}': {reason}" in result.stdout
    ((subject, body),) = task.messages()
    assert subject == f"customer-mart: weekly build FAILED (as_of_date {value})"
    assert f"First error: report_build: AS_OF_DATE is '{value}': {reason}" in body


def test_a_failure_it_cannot_report_keeps_its_exit_code_for_the_eventbridge_rule(task: Task) -> None:
    task.sns.delete_topic(TopicArn=TASK_ENV["ALERTS_TOPIC_ARN"])
    result, _ = task.run(FAKE_DBT_FAIL="build")
    assert result.returncode == 1  # dbt's: not 3, so infra/alerts.tf's rule reports the task
    assert "the failure could not be reported to the alerts topic" in result.stderr


def test_the_task_refuses_to_start_without_where_to_publish_and_report(task: Task) -> None:
    for name in ("DOCS_PREFIX", "ALERTS_TOPIC_ARN", "HEARTBEAT_QUEUE_URL", "SEGMENTS_IAM_ROLE_ARN"):
        result, calls = task.run(**{name: ""})
        assert result.returncode == 2
        assert f"{name} is not set" in result.stderr
        assert calls == []
    assert task.objects() == {} and task.messages() == []


# --- the pieces, alone --------------------------------------------------------------------------


def test_as_of_date_is_the_schedules_day_in_its_time_zone() -> None:
    report = script("report_build")
    late_sunday_utc = datetime(2026, 12, 13, 23, 30, tzinfo=UTC)
    assert report.as_of_date({}, now=late_sunday_utc) == date(2026, 12, 13)
    berlin = {"SCHEDULE_TIMEZONE": "Europe/Berlin"}
    assert report.as_of_date(berlin, now=late_sunday_utc) == date(2026, 12, 14)  # Monday 00:30 there
    assert report.as_of_date({**berlin, "AS_OF_DATE": " 2026-12-07 "}, now=late_sunday_utc) == date(
        2026, 12, 7
    )
    with pytest.raises(report.ReportError, match="after today \\(2026-12-13 in UTC\\)"):
        report.as_of_date({"AS_OF_DATE": "2026-12-14"}, now=late_sunday_utc)
    with pytest.raises(report.ReportError, match="SCHEDULE_TIMEZONE is 'Mars/Olympus'"):
        report.as_of_date({"SCHEDULE_TIMEZONE": "Mars/Olympus"}, now=late_sunday_utc)


def test_first_error_line_joins_dbts_heading_to_the_engines_words() -> None:
    report = script("report_build")
    assert report.first_error_line("Got 3 results, configured to fail if != 0") == (
        "Got 3 results, configured to fail if != 0"
    )
    assert (
        report.first_error_line(
            "\x1b[31mDatabase Error in model m (models/m.sql)\x1b[0m\n  division by zero\n  compiled at x"
        )
        == "Database Error in model m (models/m.sql): division by zero"
    )
    assert report.first_error_in_output("==> dbt build\n03:00:01  Running with dbt=1.11\nKilled") == "Killed"


def test_a_message_lists_at_most_a_screenful_of_nodes() -> None:
    report = script("report_build")
    nodes = [report.Node(f"m{i}", "model", "error", "Database Error", "", "") for i in range(40)]
    summary = report.Summary("inv", failed=nodes)
    message = report.failure_message(
        week="2026-11-23",
        step="dbt build",
        exit_code=1,
        summary=summary,
        output="",
        published=None,
        built=False,
        log="log",
    )
    assert "Failed (40):" in message.body
    assert message.body.count("\n- model m") == report.LISTED
    assert f"- ... and {40 - report.LISTED} more (in run_results.json)" in message.body


def test_the_log_command_names_this_tasks_stream() -> None:
    report = script("report_build")
    metadata = json.dumps({"TaskARN": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/customer-mart-runner/0a1b2c"})
    task_id = report.task_id(
        {"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/x"}, fetch=lambda _: metadata
    )
    assert task_id == "0a1b2c"
    assert report.log_hint({"LOG_GROUP": "/ecs/g", "AWS_REGION": REGION}, task_id) == (
        f"The task's log: aws logs tail /ecs/g --log-stream-names dbt/dbt/0a1b2c --since 1d --region {REGION}"
    )
    assert report.task_id({}) is None


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"checks_passed": 141, "checks_warned": 0, "checks_failed": 0}, "checks: **all 141 passed**"),
        (
            {"checks_passed": 139, "checks_warned": 2, "checks_failed": 0},
            "checks: **none failed** (139 passed, 2 warned",
        ),
        (
            {"checks_passed": 138, "checks_warned": 0, "checks_failed": 2, "checks_skipped": 1},
            "checks: **not all passed**: **2 failed**, 1 skipped, 138 passed",
        ),
        (
            {"checks_passed": 141, "checks_failed": 0, "nodes_failed": 1},
            "**not all passed**: 1 model(s) or hook(s) failed",
        ),
        ({"checks_passed": None}, "checks **not recorded** for this build"),
    ],
)
def test_the_docs_status_says_whether_every_check_passed(counts: dict, expected: str) -> None:
    assert expected in script("docs_build_status").checks_text(counts)


def test_the_docs_status_replaces_itself(tmp_path: Path) -> None:
    docs = script("docs_build_status")
    manifest = {
        "docs": {"doc.customer_mart.__overview__": {"block_contents": "# p\n\nIntro.\n\n## Start\n\nText."}},
        "nodes": {"model.customer_mart.customer_features": {"description": "One row per customer."}},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "static_index.html").write_text(f"<script>m = {json.dumps(manifest)}\n;</script>")
    first = {
        "found": True,
        "as_of_date": "2026-12-07",
        "customers": 5,
        "checks_passed": 3,
        "checks_failed": 0,
    }
    docs.write(tmp_path, first)
    docs.write(tmp_path, {**first, "as_of_date": "2026-11-23", "customers": 6})
    written = json.loads((tmp_path / "manifest.json").read_text())
    overview = written["docs"]["doc.customer_mart.__overview__"]["block_contents"]
    assert overview.count(docs.HEADING) == 1 and "2026-11-23" in overview and "2026-12-07" not in overview
    assert overview.index("Intro.") < overview.index(docs.HEADING) < overview.index("## Start")
    description = written["nodes"]["model.customer_mart.customer_features"]["description"]
    assert description.count(docs.LEAD) == 1 and description.endswith("\n\nOne row per customer.")
    assert json.dumps(written) in (tmp_path / "static_index.html").read_text()
    nothing_yet = docs.status_sentence({"found": False})
    assert nothing_yet.startswith("No build of customer_features is recorded in this warehouse yet")


# --- the publisher ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ARTIFACTS_BUCKET", "", "ARTIFACTS_BUCKET is not set"),
        ("ARTIFACTS_PREFIX", "/dbt/prod", "ARTIFACTS_PREFIX has an invalid value: '/dbt/prod'"),
        ("ARTIFACTS_BUCKET", "Bucket_With_Caps", "ARTIFACTS_BUCKET has an invalid value"),
        ("ARTIFACTS_KMS_KEY_ARN", "alias/platform", "ARTIFACTS_KMS_KEY_ARN has an invalid value"),
    ],
)
def test_publisher_refuses_bad_settings_before_sending_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture, name: str, value: str, message: str
) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "run_results.json").write_text('{"results": []}')

    class NoS3:
        def put_object(self, **_: Any) -> None:
            raise AssertionError("nothing may be sent with a bad setting")

    for what in ("state", "failed-state"):
        code = script("publish_dbt_artifacts").main(
            [what, str(tmp_path)], env={**TASK_ENV, name: value}, s3=NoS3()
        )
        assert code == 2
        assert message in capsys.readouterr().err


def test_publisher_refuses_run_results_with_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    failed = {"unique_id": "test.customer_mart.unique_customer_features_user_id", "status": "fail"}
    (tmp_path / "run_results.json").write_text(json.dumps({"results": [failed]}))

    class NoS3:
        def put_object(self, **_: Any) -> None:
            raise AssertionError("a failed build's state must not become production's")

    assert script("publish_dbt_artifacts").main(["state", str(tmp_path)], env=TASK_ENV, s3=NoS3()) == 2
    assert "unique_customer_features_user_id" in capsys.readouterr().err


# --- the rerun command of infra/README.md -------------------------------------------------------

FAKE_TERRAFORM = """#!/bin/sh
case "$*" in
    "output -raw aws_region") printf eu-west-1 ;;
    "output -json private_subnet_ids") printf '["subnet-0aaa","subnet-0bbb","subnet-0ccc"]' ;;
    "output -raw ecs_cluster") printf customer-mart-runner ;;
    "output -raw task_definition_arn") printf "$TASK_DEFINITION" ;;
    "output -raw runner_security_group_id") printf sg-0123 ;;
    *) echo "unexpected: terraform $*" >&2; exit 1 ;;
esac
"""

FAKE_AWS = """#!{python}
import json, os, sys
with open(os.environ["AWS_CALLS"], "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
print("arn:aws:ecs:eu-west-1:123456789012:task/customer-mart-runner/0a1b2c")
"""


def test_the_readmes_rerun_command_gives_the_task_its_week(tmp_path: Path) -> None:
    """The shell block of infra/README.md, "Rerun a week", run by bash with stand-ins for
    `terraform` and `aws`: run-task gets the task's network and an override that sets AS_OF_DATE
    on the task's container (named as in infra/ecs.tf), to the week the block names."""
    import re

    readme = (ROOT / "infra" / "README.md").read_text()
    section = readme.split("## Rerun a week", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    week = re.search(r"^AS_OF_DATE=(\S+)", block, re.M).group(1)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "terraform").write_text(FAKE_TERRAFORM)
    (bin_dir / "aws").write_text(FAKE_AWS.format(python=sys.executable))
    for tool in ("terraform", "aws"):
        (bin_dir / tool).chmod(0o755)
    calls = tmp_path / "calls"
    result = subprocess.run(
        ["bash", "-euc", block],
        env={
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "AWS_CALLS": str(calls),
            "TASK_DEFINITION": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/customer-mart-dbt-build:4",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(":task/customer-mart-runner/0a1b2c")
    (args,) = [json.loads(line) for line in calls.read_text().splitlines()]
    options = dict(zip(args[2::2], args[3::2], strict=True))
    assert args[:2] == ["ecs", "run-task"]
    assert options["--cluster"] == "customer-mart-runner"
    assert options["--task-definition"].endswith("task-definition/customer-mart-dbt-build:4")
    assert options["--network-configuration"] == (
        "awsvpcConfiguration={subnets=[subnet-0aaa,subnet-0bbb,subnet-0ccc],securityGroups=[sg-0123],"
        "assignPublicIp=DISABLED}"
    )
    container = re.search(
        r'name\s*=\s*"(\w+)"', (ROOT / "infra" / "ecs.tf").read_text().split("container_definitions")[1]
    )
    assert json.loads(options["--overrides"]) == {
        "containerOverrides": [
            {"name": container.group(1), "environment": [{"name": "AS_OF_DATE", "value": week}]}
        ]
    }
    # A week the task accepts (checked the same way the task checks it).
    assert script("report_build").as_of_date({"AS_OF_DATE": week}).isoformat() == week
