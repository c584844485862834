"""Tell a person how the weekly build went, in words they can act on, and keep its heartbeat.

Called by scripts/weekly_build.sh in the ECS task (infra/ecs.tf sets the environment):

    report_build.py as-of-date
        Prints the week to build: AS_OF_DATE when set (a rerun, `aws ecs run-task --overrides`),
        checked to be a real date YYYY-MM-DD no later than today, else today in
        SCHEDULE_TIMEZONE (the schedule's day). A bad value exits 2 with a message naming it.
    report_build.py vars
        Prints the --vars of the task's dbt build: DBT_VARS when set (a rerun that overrides a
        setting, such as the `--vars` a guard's message gives), checked to be a YAML mapping
        without as_of_date (AS_OF_DATE sets the week); else nothing. dbt checks each key and value.
    report_build.py failed --step STEP --exit-code N --output FILE [--dbt-step] [--run-results FILE]
                           [--manifest FILE] [--published] [--built]
        The failure message to $ALERTS_TOPIC_ARN: the step and its exit code; from run_results.json
        the failed nodes (each with its message and where it is defined) and the skipped ones;
        the first error line (from run_results.json, else from the step's output); where the
        failed build's run results were published; the log and how to rerun the week. Warnings,
        if any, in a message of their own.
    report_build.py succeeded --run-results FILE --manifest FILE --status FILE
        The week's success line (as_of_date, customers, profit-level mix, checks), the warnings in
        a message of their own when there are any, then the heartbeat: the one message in
        $HEARTBEAT_QUEUE_URL replaced by this build's. Its age is what the missed-week alarm
        watches (infra/alerts.tf).

Every setting is checked before anything is sent. The task exits 3 after a failure it reported
(the EventBridge rule in infra/alerts.tf leaves exit code 3 alone); when this script cannot send,
the task keeps the step's own exit code and the rule reports it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

# Beside this file (on sys.path when run as a script): the status line's reader, shared with the
# docs site, and where the publisher puts a failed build's run results.
from docs_build_status import StatusError, read_status
from publish_dbt_artifacts import FAILED_BUILD_FOLDER

TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
QUEUE_URL = re.compile(r"^https://sqs\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/\d{12}/[A-Za-z0-9_-]{1,80}$")
DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The start of dbt's "Encountered an error:" block lines, and of run_results.json messages.
ERROR_HEADING = re.compile(r"^(Database|Compilation|Runtime|Parsing|Dependency|Internal) Error\b")
# A message lists at most this many nodes of a kind; the rest are counted.
LISTED = 15
# A failed node's message shows at most this many lines after its first.
MESSAGE_LINES = 8
# The rerun a guard's message gives (macros/settings/rerun_vars.sql).
RERUN_VARS = re.compile(r"rerun with --vars '(\{.*?\})'")
AS_OF_VAR = re.compile(r'as_of_date: "[0-9-]*"(, )?')  # then ", }" closes the mapping
SUBJECT_LENGTH = 100  # SNS's limit for an e-mail subject


class ReportError(Exception):
    pass


# --- the week ---------------------------------------------------------------------------------


def schedule_zone(env: Mapping[str, str]) -> tuple[str, tzinfo]:
    name = env.get("SCHEDULE_TIMEZONE", "").strip() or "UTC"
    if name == "UTC":
        return name, UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ReportError(
            f"SCHEDULE_TIMEZONE is {name!r}, which this image's time zone database does not know: {error}"
        ) from None


def as_of_date(env: Mapping[str, str], now: datetime | None = None) -> date:
    """AS_OF_DATE, checked, or the schedule's day. The same rules as dbt's as_of_date setting
    (macros/settings/as_of_date.sql), checked here before dbt starts, plus: not after today."""
    zone_name, zone = schedule_zone(env)
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    raw = env.get("AS_OF_DATE", "").strip()
    if not raw:
        return today
    allowed = (
        f"use a real calendar date written YYYY-MM-DD, such as {today.isoformat()}, or leave AS_OF_DATE"
        " unset for the schedule's day"
    )
    parts = DATE.fullmatch(raw)
    if not parts:
        raise ReportError(f"AS_OF_DATE is {raw!r}: not written YYYY-MM-DD; {allowed}")
    year, month, day = (int(p) for p in parts.groups())
    if not 1 <= month <= 12:
        raise ReportError(f"AS_OF_DATE is {raw!r}: month {month} does not exist (1 to 12); {allowed}")
    try:
        value = date(year, month, day)
    except ValueError:
        raise ReportError(
            f"AS_OF_DATE is {raw!r}: day {day} does not exist in {year}-{month:02d}; {allowed}"
        ) from None
    if value > today:
        raise ReportError(
            f"AS_OF_DATE is {raw!r}: after today ({today.isoformat()} in {zone_name}); a rerun builds a"
            f" week that has already come; {allowed}"
        )
    return value


def task_vars(env: Mapping[str, str]) -> str:
    """DBT_VARS, checked to be what `dbt build --vars` takes (a YAML mapping), or "" when unset.
    The keys and values are dbt's to check (check_settings refuses an unknown key and a bad value,
    naming them); as_of_date is refused here, so that AS_OF_DATE alone names the task's week."""
    raw = env.get("DBT_VARS", "").strip()
    if not raw:
        return ""
    import yaml

    example = "such as {max_raw_table_age_days: 16}, as a failure message gives it"
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        first = str(error).splitlines()[0]
        raise ReportError(f"DBT_VARS is {raw!r}: not YAML ({first}); write a mapping {example}") from None
    if not isinstance(value, dict) or not value:
        raise ReportError(f"DBT_VARS is {raw!r}: not a mapping of settings; write one {example}")
    if "as_of_date" in value:
        raise ReportError(
            f"DBT_VARS is {raw!r}: it sets as_of_date; set the week with AS_OF_DATE instead, and leave"
            " as_of_date out of DBT_VARS"
        )
    return raw


# --- what run_results.json says ---------------------------------------------------------------


@dataclass
class Node:
    name: str
    kind: str  # model, test, unit_test, seed, snapshot, operation...
    status: str
    message: str
    path: str
    description: str
    failures: int | None = None


@dataclass
class Summary:
    invocation_id: str
    failed: list[Node] = field(default_factory=list)
    warned: list[Node] = field(default_factory=list)
    skipped: list[Node] = field(default_factory=list)
    checks_passed: int = 0


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def first_error_line(message: str) -> str:
    """The line that says what went wrong: dbt's heading ("Database Error in model x (path)")
    joined to the line after it, which holds the engine's or the project's own words."""
    lines = [ANSI.sub("", line).strip() for line in message.splitlines()]
    lines = [line for line in lines if line and not line.startswith(">")]
    if not lines:
        return ""
    if ERROR_HEADING.match(lines[0]) and len(lines) > 1:
        return f"{lines[0]}: {lines[1]}"
    return lines[0]


def summarise(run_results: dict, manifest: dict | None) -> Summary:
    nodes = {**(manifest or {}).get("nodes", {}), **(manifest or {}).get("unit_tests", {})}
    summary = Summary(invocation_id=run_results.get("metadata", {}).get("invocation_id", ""))
    for result in run_results.get("results", []):
        unique_id = result["unique_id"]
        status = str(result.get("status", "")).lower()
        node = nodes.get(unique_id, {})
        entry = Node(
            # A unit test's name is its model's and its own: customer_features.profit_level_boundary_at_150.
            name=".".join(unique_id.split(".")[2:])
            if unique_id.startswith("unit_test.")
            else (node.get("name") or unique_id.split(".")[-1]),
            kind=node.get("resource_type") or unique_id.split(".")[0],
            status=status,
            message=result.get("message") or "",
            path=node.get("original_file_path", ""),
            description=first_sentence(node.get("description") or ""),
            failures=result.get("failures"),
        )
        if status in {"error", "fail", "runtime error"}:
            summary.failed.append(entry)
        elif status == "warn":
            summary.warned.append(entry)
        elif status == "skipped" and entry.kind != "exposure":
            summary.skipped.append(entry)
        elif status == "pass":
            summary.checks_passed += 1
    return summary


def further_lines(message: str) -> list[str]:
    """The lines of a project's own error after the one first_error_line shows (a guard names
    each table it stopped on, then what to do), without dbt's "> in macro" trail and the
    compiled code's path; at most MESSAGE_LINES of them."""
    lines = [ANSI.sub("", line).strip() for line in message.splitlines()]
    lines = [line for line in lines if line and not line.startswith((">", "compiled code at "))]
    shown = 2 if lines and ERROR_HEADING.match(lines[0]) else 1
    rest = lines[shown:]
    if len(rest) > MESSAGE_LINES:
        rest = [*rest[: MESSAGE_LINES - 1], f"... and {len(rest) - MESSAGE_LINES + 1} more line(s)"]
    return rest


def describe(node: Node) -> str:
    rows = f" ({node.failures:,} row{'s' if node.failures != 1 else ''})" if node.failures else ""
    line = f"- {node.kind} {node.name}{rows}: {first_error_line(node.message) or node.status}"
    for more in further_lines(node.message):
        line += f"\n  {more}"
    if node.description:
        line += f"\n  What it checks: {node.description}"
    if node.path:
        line += f"\n  Defined in {node.path}"
    return line


def listed(nodes: list[Node], render: Callable[[Node], str]) -> list[str]:
    lines = [render(node) for node in nodes[:LISTED]]
    if len(nodes) > LISTED:
        lines.append(f"- ... and {len(nodes) - LISTED} more (in run_results.json)")
    return lines


def first_error_in_output(output: str) -> str:
    """The first error a step printed: dbt's "Encountered an error:" block, else the first line
    that says error, else the last line."""
    clock = re.compile(r"^\d{2}:\d{2}:\d{2}\s+")
    lines = [clock.sub("", ANSI.sub("", line)).rstrip() for line in output.splitlines()]
    for number, line in enumerate(lines):
        if line.strip() == "Encountered an error:":
            return first_error_line("\n".join(lines[number + 1 : number + 6]))
    for line in lines:
        if re.search(r"\berror\b", line, re.IGNORECASE):
            return line.strip()
    kept = [line.strip() for line in lines if line.strip()]
    return kept[-1] if kept else ""


# --- the messages -----------------------------------------------------------------------------


@dataclass
class Message:
    subject: str
    body: str


def subject(text: str) -> str:
    return text if len(text) <= SUBJECT_LENGTH else text[: SUBJECT_LENGTH - 3] + "..."


def log_hint(env: Mapping[str, str], task_id: str | None) -> str:
    group = env.get("LOG_GROUP", "")
    region = env.get("AWS_REGION", "")
    if not group:
        return "The task's log is in CloudWatch Logs (infra/README.md, step 7)."
    stream = f" --log-stream-names dbt/dbt/{task_id}" if task_id else ""
    return f"The task's log: aws logs tail {group}{stream} --since 1d --region {region}"


def failure_message(
    *,
    week: str,
    step: str,
    exit_code: int,
    summary: Summary | None,
    output: str,
    published: str | None,
    built: bool,
    log: str,
    dbt_step: bool = True,
) -> Message:
    if built:
        outcome = (
            f"The mart for as_of_date {week} was built and its production state published, but the"
            f" step '{step}' then failed (exit code {exit_code})."
        )
    else:
        outcome = (
            f"The weekly build for as_of_date {week} FAILED at '{step}' (exit code {exit_code})."
            " customer_features is still the last successful build's."
        )
    lines = [outcome, ""]
    first_error = ""
    if summary is not None and summary.failed:
        first_error = first_error_line(summary.failed[0].message)
        lines += [f"Failed ({len(summary.failed)}):", *listed(summary.failed, describe), ""]
    if summary is not None and summary.skipped:
        # What was not built, by name; the checks that could not run, counted.
        names = [n.name for n in summary.skipped if n.kind in {"model", "seed", "snapshot"}]
        checks = sum(n.kind in {"test", "unit_test"} for n in summary.skipped)
        if names:
            more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
            shown = ", ".join(names[:LISTED]) + more
            lines.append(f"Not built because something they depend on failed ({len(names)}): {shown}")
        if checks:
            lines.append(f"Checks skipped for the same reason: {checks}")
        lines.append("")
    if not first_error:
        first_error = first_error_in_output(output)
    if first_error:
        lines += [f"First error: {first_error}", ""]
    if summary is not None and summary.warned:
        lines += [f"Warnings: {len(summary.warned)}, in a message of their own.", ""]
    if summary is None and dbt_step:
        lines += ["dbt wrote no run_results.json for this step (it stopped before running any node).", ""]
    if published:
        lines += [f"This build's run results and manifest: {published}", ""]
    lines += [
        log,
        f"Once fixed, rerun this week: the task with AS_OF_DATE={week} (the command is in"
        ' infra/README.md, "Rerun a week").',
    ]
    failed = summary.failed if summary else []
    # The task's week is AS_OF_DATE: a message's as_of_date (from a build given --vars) is left out.
    overrides = [
        AS_OF_VAR.sub("", m.group(1)).replace(", }", "}")
        for n in failed
        for m in RERUN_VARS.finditer(n.message)
    ]
    if overrides:
        lines.append(
            f"To build this week on the data as it is, as a message above offers: the task with"
            f" AS_OF_DATE={week} and DBT_VARS='{overrides[0]}'."
        )
    what = f"'{step}' failed after the build" if built else "weekly build FAILED"
    return Message(subject(f"customer-mart: {what} (as_of_date {week})"), "\n".join(lines))


def warnings_message(week: str, summary: Summary, built: bool) -> Message:
    outcome = (
        "succeeded: the mart was replaced (a warning does not stop the build)"
        if built
        else "failed (see the failure message)"
    )
    lines = [
        f"The weekly build for as_of_date {week} {outcome}. {len(summary.warned)} warn-severity"
        " check(s) found rows:",
        "",
        *listed(summary.warned, describe),
        "",
        "Each data-quality warning is explained in docs/data-quality.md; the rows stay counted in the"
        " staging profiles (profile_thelook__<table>).",
    ]
    return Message(
        subject(f"customer-mart: {len(summary.warned)} warning(s) in the build of as_of_date {week}"),
        "\n".join(lines),
    )


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.1f}%"


def success_message(week: str, status: dict, summary: Summary) -> Message:
    if not status.get("found"):
        raise ReportError("the run history holds no build of customer_features after a successful build")
    if status.get("invocation_id") != summary.invocation_id:
        raise ReportError(
            f"the run history's latest build is {status.get('invocation_id')!r}, not this build"
            f" ({summary.invocation_id!r}): did the build write customer_features?"
        )
    if status.get("as_of_date") != week:
        raise ReportError(
            f"the run history says as_of_date {status.get('as_of_date')}, the task built {week}"
        )
    mix = ", ".join(f"{level}: {percent(status.get(f'profit_level_{level}_share'))}" for level in (1, 2, 3))
    checks = f"{summary.checks_passed:,} checks passed"
    if summary.warned:
        checks += f", {len(summary.warned)} warned (in a message of their own)"
    line = (
        f"customer-mart: week of {week} built: {status['customers']:,} customers;"
        f" profit levels {mix}; {checks}."
    )
    return Message(subject(f"customer-mart: week of {week} built, {status['customers']:,} customers"), line)


# --- sending ----------------------------------------------------------------------------------


def setting(env: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> str:
    value = env.get(name, "")
    if not value:
        raise ReportError(f"{name} is not set (infra/ecs.tf sets it in the weekly task)")
    if not pattern.fullmatch(value):
        raise ReportError(f"{name} has an invalid value: {value!r}")
    return value


def send(sns, topic: str, message: Message) -> None:
    sns.publish(TopicArn=topic, Subject=message.subject, Message=message.body)
    print(f"sent to {topic}: {message.subject}")


def renew_heartbeat(sqs, queue: str, body: str) -> None:
    """The queue holds one message, the last success: the old ones go, then this build's comes.
    The missed-week alarm watches the age of the oldest message (infra/alerts.tf)."""
    for _ in range(100):
        received = sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30
        ).get("Messages", [])
        if not received:
            break
        for message in received:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    print(f"heartbeat renewed in {queue}")


def task_id(env: Mapping[str, str], fetch: Callable[[str], str] | None = None) -> str | None:
    """This ECS task's id, from the task metadata endpoint, for the log stream's name."""
    uri = env.get("ECS_CONTAINER_METADATA_URI_V4", "")
    if not uri:
        return None

    def get(url: str) -> str:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode()

    try:
        return json.loads((fetch or get)(f"{uri}/task"))["TaskARN"].rsplit("/", 1)[-1]
    except (OSError, ValueError, KeyError):
        return None


def clients(env: Mapping[str, str]):
    import boto3

    region = env.get("AWS_REGION")
    return boto3.client("sns", region_name=region), boto3.client("sqs", region_name=region)


def failed_build_uri(env: Mapping[str, str]) -> str:
    return f"s3://{env.get('ARTIFACTS_BUCKET', '')}/{env.get('ARTIFACTS_PREFIX', '')}/{FAILED_BUILD_FOLDER}/"


def read_json(path: Path | None) -> dict | None:
    if path is None or not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


# --- the commands -----------------------------------------------------------------------------


def main(argv: list[str] | None = None, env: Mapping[str, str] = os.environ, aws=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("as-of-date")
    commands.add_parser("vars")
    failed = commands.add_parser("failed")
    failed.add_argument("--step", required=True)
    failed.add_argument("--exit-code", type=int, required=True)
    failed.add_argument("--output", type=Path, required=True)
    failed.add_argument("--dbt-step", action="store_true", help="the step was a dbt command")
    failed.add_argument("--run-results", type=Path)
    failed.add_argument("--manifest", type=Path)
    failed.add_argument("--published", action="store_true")
    failed.add_argument("--built", action="store_true")
    succeeded = commands.add_parser("succeeded")
    succeeded.add_argument("--run-results", type=Path, required=True)
    succeeded.add_argument("--manifest", type=Path, required=True)
    succeeded.add_argument("--status", type=Path, required=True)
    args = parser.parse_args(argv)

    try:
        if args.command == "as-of-date":
            print(as_of_date(env).isoformat())
            return 0
        if args.command == "vars":
            print(task_vars(env))
            return 0
        topic = setting(env, "ALERTS_TOPIC_ARN", TOPIC_ARN)
        week = env.get("AS_OF_DATE", "").strip() or "(not set)"
        if args.command == "failed":
            run_results = read_json(args.run_results)
            summary = None if run_results is None else summarise(run_results, read_json(args.manifest))
            output = args.output.read_text(errors="replace") if args.output.is_file() else ""
            messages = [
                failure_message(
                    week=week,
                    step=args.step,
                    exit_code=args.exit_code,
                    summary=summary,
                    output=output,
                    published=failed_build_uri(env) if args.published else None,
                    built=args.built,
                    log=log_hint(env, task_id(env)),
                    dbt_step=args.dbt_step,
                )
            ]
            if summary is not None and summary.warned:
                messages.append(warnings_message(week, summary, built=False))
            sns, _ = aws or clients(env)
            for message in messages:
                send(sns, topic, message)
            return 0
        queue = setting(env, "HEARTBEAT_QUEUE_URL", QUEUE_URL)
        run_results = read_json(args.run_results)
        if run_results is None:
            raise ReportError(f"{args.run_results} is missing or not JSON: did dbt build run?")
        summary = summarise(run_results, read_json(args.manifest))
        if summary.failed:
            raise ReportError(f"{args.run_results} holds failed nodes: this build did not succeed")
        status = read_status(args.status.read_text())
        messages = [success_message(week, status, summary)]
        if summary.warned:
            messages.append(warnings_message(week, summary, built=True))
        heartbeat = json.dumps(
            {
                "as_of_date": week,
                "invocation_id": summary.invocation_id,
                "build_finished_at": status.get("build_finished_at"),
                "customers": status.get("customers"),
            }
        )
        sns, sqs = aws or clients(env)
        for message in messages:
            send(sns, topic, message)
        renew_heartbeat(sqs, queue, heartbeat)
        return 0
    except (ReportError, StatusError) as error:
        print(f"report_build: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
