"""Structure tests for infra/ and the Dockerfile: what no scanner checks.

Three layers, cheapest first:
- the HCL itself (python-hcl2), always;
- terraform's variable validation, on a scratch copy of variables.tf (needs only the binary);
- the offline plan's JSON, written by `infra/check.sh plan` (reused while its inputs are
  unchanged, so `make test` does not plan twice); skipped without terraform or the AWS provider.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

from customer_mart.schema import TABLES
from customer_mart.upload import expected_glue_columns

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
BUCKET_MODULE = INFRA / "modules" / "hardened_bucket"
WEEKLY_BUILD = ROOT / "scripts" / "weekly_build.sh"
TERRAFORM = shutil.which("terraform")
PROVIDER_MIRROR = Path("/opt/tf-plugins/registry.terraform.io/hashicorp/aws")

# EventBridge Scheduler cron: minutes hours day-of-month month day-of-week year.
WEEKLY_CRON = re.compile(
    r"^cron\((?P<minute>\d{1,2}) (?P<hour>\d{1,2}) \? \* (?P<day>SUN|MON|TUE|WED|THU|FRI|SAT|[1-7]) \*\)$"
)


# --- reading the HCL -------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """python-hcl2 8 keeps string quotes and adds bookkeeping keys; drop both."""
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items() if k not in {"__is_block__", "__comments__"}}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@cache
def hcl(folder: Path = INFRA) -> dict[str, Any]:
    """Every block of a module's *.tf (by default the root, infra/): resources and data by type and
    name, variables, locals, outputs."""
    merged: dict[str, Any] = {"resource": {}, "data": {}, "variable": {}, "locals": {}, "output": {}}
    for path in sorted(folder.glob("*.tf")):
        with open(path) as f:
            parsed = _clean(hcl2.load(f))
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                for rtype, by_name in block.items():
                    merged[kind].setdefault(rtype, {}).update(by_name)
        for kind in ("variable", "output"):
            for block in parsed.get(kind, []):
                merged[kind].update(block)
        for block in parsed.get("locals", []):
            merged["locals"].update(block)
    return merged


def resource(rtype: str, name: str) -> dict[str, Any]:
    return hcl()["resource"][rtype][name]


def test_glue_tables_are_exactly_the_raw_contract() -> None:
    declared = {t: [tuple(c) for c in cols] for t, cols in hcl()["locals"]["raw_tables"].items()}
    assert list(declared) == list(TABLES)
    assert declared == {t: expected_glue_columns(t) for t in TABLES}

    table = resource("aws_glue_catalog_table", "raw")
    assert table["for_each"] == "${local.raw_tables}"
    descriptor = table["storage_descriptor"][0]
    assert descriptor["location"] == "s3://${local.raw_bucket_name}/${local.raw_table_prefixes[each.key]}"
    assert "ParquetHiveSerDe" in descriptor["ser_de_info"][0]["serialization_library"]
    assert "partition_keys" not in table


def test_workgroup_is_private_and_routes_through_the_vpc() -> None:
    workgroup = resource("aws_redshiftserverless_workgroup", "this")
    # Neither checkov nor trivy flags publicly_accessible = true on a serverless workgroup.
    assert workgroup["publicly_accessible"] is False
    assert workgroup["enhanced_vpc_routing"] is True
    assert workgroup["subnet_ids"] == "${var.private_subnet_ids}"
    assert workgroup["security_group_ids"] == ["${aws_security_group.redshift.id}"]


def test_nothing_accepts_connections_from_outside_the_vpc() -> None:
    ingress = hcl()["resource"].get("aws_vpc_security_group_ingress_rule", {})
    assert ingress, "expected the Redshift ingress rule"
    for name, rule in ingress.items():
        assert "cidr_ipv4" not in rule and "cidr_ipv6" not in rule, name
        assert rule["referenced_security_group_id"] == "${aws_security_group.runner.id}", name
    for sg in hcl()["resource"]["aws_security_group"].values():
        assert "ingress" not in sg and "egress" not in sg  # rules only as separate, reviewed resources
    network = resource("aws_scheduler_schedule", "weekly_build")["target"][0]["ecs_parameters"][0]
    assert network["network_configuration"][0]["assign_public_ip"] is False


def test_namespace_uses_the_customer_managed_key_and_a_managed_password() -> None:
    namespace = resource("aws_redshiftserverless_namespace", "this")
    assert namespace["kms_key_id"] == "${aws_kms_key.platform.arn}"
    assert namespace["manage_admin_password"] is True
    assert namespace["admin_password_secret_kms_key_id"] == "${aws_kms_key.platform.arn}"
    assert "admin_user_password" not in namespace
    assert namespace["iam_roles"] == ["${aws_iam_role.spectrum.arn}", "${aws_iam_role.segments.arn}"]
    for key in hcl()["resource"]["aws_kms_key"].values():
        assert key["enable_key_rotation"] is True


def test_schedule_is_weekly_by_default_and_in_the_example() -> None:
    schedule = resource("aws_scheduler_schedule", "weekly_build")
    assert schedule["schedule_expression"] == "${var.schedule_expression}"
    assert schedule["flexible_time_window"][0]["mode"] == "OFF"
    assert WEEKLY_CRON.match(hcl()["variable"]["schedule_expression"]["default"])
    with open(INFRA / "terraform.tfvars.example") as f:
        example = _clean(hcl2.load(f))
    assert WEEKLY_CRON.match(example["schedule_expression"])


def test_spectrum_role_policies_name_only_the_raw_prefixes_and_the_glue_database() -> None:
    """HCL view of the Spectrum role (the plan test below checks the resolved ARNs)."""
    policies = {
        name: p
        for name, p in hcl()["resource"]["aws_iam_role_policy"].items()
        if p["role"] == "${aws_iam_role.spectrum.id}"
    }
    assert set(policies) == {"spectrum_s3", "spectrum_glue", "spectrum_kms"}
    assert "aws_iam_role_policy_attachment" not in hcl()["resource"]
    assert "managed_policy_arns" not in resource("aws_iam_role", "spectrum")

    documents = hcl()["data"]["aws_iam_policy_document"]
    s3 = documents["spectrum_s3"]["statement"]
    assert {a for st in s3 for a in st["actions"]} == {
        "s3:GetObject",
        "s3:ListBucket",
        "s3:GetBucketLocation",
    }
    kms = documents["spectrum_kms"]["statement"]
    assert [st["actions"] for st in kms] == [["kms:Decrypt"]]
    assert kms[0]["resources"] == ["${aws_kms_key.data.arn}"]


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """A policy document's statement blocks, those of its dynamic "statement" blocks included."""
    dynamic = [d["statement"]["content"][0] for d in document.get("dynamic", []) if "statement" in d]
    return document.get("statement", []) + dynamic


def test_no_iam_policy_uses_a_wildcard_resource_where_a_narrower_one_exists() -> None:
    allowed = {("execution", "ecr:GetAuthorizationToken")}  # IAM has no narrower resource for it
    key_policies = {"kms_data", "kms_platform"}  # in a key policy "*" is the key itself
    in_module = hcl(BUCKET_MODULE)["data"]["aws_iam_policy_document"]
    documents = [*hcl()["data"]["aws_iam_policy_document"].items(), *in_module.items()]
    for name, document in documents:
        if name in key_policies:
            continue
        for statement in _statements(document):
            resources = statement.get("resources", [])
            if isinstance(resources, list) and "*" in resources:
                assert {(name, a) for a in statement["actions"]} <= allowed, (name, statement)
            if statement.get("effect", "Allow") == "Deny":
                continue  # a broad Deny (TLS only, one KMS key) narrows access
            assert not any(a.endswith(":*") or a == "*" for a in statement.get("actions", [])), (
                name,
                statement,
            )


def test_task_sets_what_the_dbt_profile_and_the_spectrum_macro_read() -> None:
    env = hcl()["locals"]["dbt_environment"]
    profile = (ROOT / "profiles.yml.example").read_text()
    redshift_target = profile[profile.index("redshift:") :]
    read = set(re.findall(r"env_var\('([A-Z_]+)'", redshift_target)) - {
        "REDSHIFT_PASSWORD",
        "REDSHIFT_CLUSTER_ID",
    }
    assert read <= set(env), read - set(env)
    assert {"SPECTRUM_SCHEMA", "GLUE_DATABASE", "SPECTRUM_IAM_ROLE_ARN", "DBT_TARGET"} <= set(env)
    assert env["DBT_TARGET"] == "redshift"
    assert env["REDSHIFT_AUTH_METHOD"] == "iam"  # no password anywhere in the task


def test_every_variable_is_described_and_validated() -> None:
    # a map and three booleans
    unvalidated = {
        "tags",
        "manage_glue_catalog_encryption",
        "schedule_enabled",
        "create_github_oidc_provider",
    }
    for name, variable in hcl()["variable"].items():
        assert len(variable.get("description", "")) > 20, f"variable {name} needs a description"
        if name not in unvalidated:
            assert variable.get("validation"), f"variable {name} needs a validation block"


def test_the_example_sets_every_required_variable() -> None:
    with open(INFRA / "terraform.tfvars.example") as f:
        example = _clean(hcl2.load(f))
    required = {name for name, v in hcl()["variable"].items() if "default" not in v}
    assert required <= set(example), required - set(example)
    assert set(example) <= set(hcl()["variable"])


def test_outputs_are_described_and_include_the_essentials() -> None:
    outputs = hcl()["output"]
    assert {"raw_bucket", "glue_database", "redshift_workgroup_endpoint", "schedule"} <= set(outputs)
    for name, output in outputs.items():
        assert output.get("description"), f"output {name} needs a description"


def test_every_checkov_skip_carries_its_reason() -> None:
    skips = []
    for path in sorted(INFRA.rglob("*.tf")):
        if ".terraform" in path.parts or ".offline" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "checkov:skip" in line:
                match = re.search(r"#checkov:skip=(CKV2?_AWS_\d+):(.+)$", line.strip())
                assert match, f"{path.name}:{number}: skip without the form #checkov:skip=ID:reason"
                assert len(match.group(2).split()) >= 6, (
                    f"{path.name}:{number}: give the reason in a sentence"
                )
                skips.append(match.group(1))
    assert skips, "expected the documented skips"


# --- the Dockerfile --------------------------------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, args = line.partition(" ")
            pairs.append((instruction.upper(), args.strip()))
    return pairs


def test_dockerfile_base_image_is_a_pinned_python_311_slim() -> None:
    bases = [args for instruction, args in _dockerfile() if instruction == "FROM"]
    assert len(bases) == 1
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", bases[0]), bases[0]


def test_dockerfile_installs_the_locked_packages_then_the_project_alone() -> None:
    steps = _dockerfile()
    copy_pyproject = next(
        i
        for i, (ins, args) in enumerate(steps)
        if ins == "COPY" and "pyproject.toml" in args and "requirements-runtime.lock" in args
    )
    install = next(
        i
        for i, (ins, args) in enumerate(steps)
        if ins == "RUN" and "pip install --require-hashes --no-deps -r requirements-runtime.lock" in args
    )
    assert re.search(r"pip install --no-deps --no-build-isolation \.(\s|$)", steps[install][1])
    assert copy_pyproject < install
    assert ("COPY", "profiles.yml.example ./profiles.yml") in steps


def test_dockerfile_runs_as_a_non_root_user_matching_the_task() -> None:
    steps = _dockerfile()
    users = [args for ins, args in steps if ins == "USER"]
    assert users and users[-1] not in {"root", "0"}
    last_user = max(i for i, (ins, _) in enumerate(steps) if ins == "USER")
    assert all(ins != "RUN" for ins, _ in steps[last_user:]), "nothing should run as root after USER"
    container = resource("aws_ecs_task_definition", "dbt")["container_definitions"]
    assert re.search(rf'\buser = "{users[-1]}"', container), "the task should run as the image's user"
    assert "readonlyRootFilesystem = true" in container


def test_dockerfile_entrypoint_is_the_weekly_build_script() -> None:
    entrypoints = [args for ins, args in _dockerfile() if ins == "ENTRYPOINT"]
    assert entrypoints == ['["/app/scripts/weekly_build.sh"]']
    assert WEEKLY_BUILD.stat().st_mode & 0o111, "the entrypoint must be executable"


def test_weekly_build_script_builds_then_publishes_in_order() -> None:
    """Reads text only (tests/python/test_weekly_task.py runs the script)."""
    steps = [
        re.sub(r"\s+", " ", match.group(1))
        # Each step the script runs, by name (not the helpers' own `step "$@"`).
        for match in re.finditer(
            r"^\s*(?:dbt_)?step (\"[^\"$][^\"]*\".*?)$", WEEKLY_BUILD.read_text(), re.M | re.S
        )
    ]
    names = [re.match(r'"([^"]+)"', step).group(1) for step in steps]
    assert names == [
        "checking AS_OF_DATE",
        "checking DBT_VARS",
        "dbt run-operation create_spectrum_schema",
        # One build, written twice: with the task's DBT_VARS as --vars, or without them.
        "dbt build",
        "dbt build",
        "publishing the production state",
        "dbt run-operation build_status",
        "dbt docs generate --static",
        "adding the build's status to the docs site",
        "publishing the docs site",
        # The segment step after the build and before the success line: a week whose segments
        # failed is reported as a failure, never as a success.
        "customer-mart segment",
        "publishing the segment charts",
        "reporting the week",
    ]
    text = WEEKLY_BUILD.read_text()
    assert "set -eu" in text
    assert "dbt build --target redshift" in text and "export AS_OF_DATE" in text
    # The exit code the EventBridge rule leaves alone is the one the script uses once reported.
    assert re.search(r"report_build\.py\" failed \"\$@\"; then\n\s+exit 3\n", text)


def test_dockerignore_lets_in_the_dbt_project_and_nothing_local() -> None:
    lines = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    assert lines[0] == "*"
    allowed = {ln[1:].rstrip("/") for ln in lines if ln.startswith("!")}
    project = (ROOT / "dbt_project.yml").read_text()
    paths = {
        p for group in re.findall(r"-paths: \[([^\]]*)\]", project) for p in re.findall(r'"([^"]+)"', group)
    }
    assert paths <= allowed, paths - allowed
    assert {"pyproject.toml", "README.md", "src", "dbt_project.yml", "profiles.yml.example"} <= allowed
    assert {
        "scripts/weekly_build.sh",
        "scripts/publish_dbt_artifacts.py",
        "scripts/report_build.py",
        "scripts/docs_build_status.py",
    } <= allowed
    assert not allowed & {".venv", "data", "profiles.yml", "infra", "target"}


# --- terraform's variable validation ---------------------------------------------------------

needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="no terraform binary on PATH")

SUBNETS = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ccccccccccccccc3"]
VALID_VARS = {
    "aws_account_id": "123456789012",
    "aws_region": "eu-west-1",
    "vpc_id": "vpc-0123456789abcdef0",
    "private_subnet_ids": json.dumps(SUBNETS),
}


def _plan_variables(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    """terraform plan of variables.tf alone: evaluates the validation rules, no provider needed."""
    shutil.copy(INFRA / "variables.tf", tmp_path / "variables.tf")
    args = [f"-var={k}={v}" for k, v in {**VALID_VARS, **overrides}.items()]
    return subprocess.run(
        [TERRAFORM, "plan", "-input=false", "-no-color", "-lock=false", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={
            "CHECKPOINT_DISABLE": "1",
            "TF_CLI_CONFIG_FILE": str(INFRA / ".terraformrc.offline"),
            "PATH": "",
        },
        timeout=120,
    )


@needs_terraform
def test_valid_variables_pass_validation(tmp_path: Path) -> None:
    result = _plan_variables(
        tmp_path,
        schedule_expression="cron(30 22 ? * SUN *)",
        analysts_group="",  # no group, no grants
        alert_email="data-oncall+mart@example.co.uk",
        github_repository="example-org/customer-mart",
    )
    assert result.returncode == 0, result.stdout + result.stderr


@needs_terraform
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("schedule_expression", "cron(0 3 * * ? *)"),  # daily
        ("schedule_expression", "rate(7 days)"),  # every 7 days from the last change, not on a set day
        ("schedule_expression", "cron(0 3 ? * MON,THU *)"),  # twice a week
        ("schedule_expression", "cron(0 */6 ? * MON *)"),  # four times on Mondays
        ("private_subnet_ids", json.dumps(SUBNETS[:2])),
        ("private_subnet_ids", json.dumps([SUBNETS[0], SUBNETS[0], SUBNETS[2]])),
        ("aws_account_id", "12345"),
        ("image_tag", "latest"),
        ("redshift_base_capacity", "12"),
        ("log_retention_days", "30"),
        ("raw_prefix", "/thelook/raw/"),
        ("https_egress_cidr_blocks", '["not-a-cidr"]'),
        ("analysts_group", "Analysts"),  # Redshift folds it; the grant would name another group
        ("analysts_group", "analysts; drop table x"),
        ("analysts_group", "public"),
        ("alert_email", "not-an-address"),
        ("alert_email", "a@b.c, d@e.f"),
        ("github_repository", "customer-mart"),  # owner/name
        ("artifacts_prefix", "dbt/prod/"),
        ("docs_prefix", "s3://bucket/docs"),
    ],
)
def test_invalid_variables_are_rejected(tmp_path: Path, variable: str, value: str) -> None:
    result = _plan_variables(tmp_path, **{variable: value})
    assert result.returncode != 0
    assert "Invalid value for variable" in result.stderr
    assert f'variable "{variable}"' in result.stderr


# --- the offline plan ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    if TERRAFORM is None:
        pytest.skip("no terraform binary on PATH: the plan checks need it")
    if not PROVIDER_MIRROR.is_dir():
        pytest.skip(f"no AWS provider in {PROVIDER_MIRROR.parent.parent.parent}: the plan checks need it")
    result = subprocess.run(
        ["bash", str(INFRA / "check.sh"), "plan"], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((INFRA / ".offline" / "plan.json").read_text())


def _after(plan: dict[str, Any], address: str) -> dict[str, Any]:
    for change in plan["resource_changes"]:
        if change["address"] == address:
            return change["change"]["after"]
    raise AssertionError(f"{address} is not in the plan")


def test_plan_only_creates(plan: dict[str, Any]) -> None:
    managed = [c for c in plan["resource_changes"] if c["mode"] == "managed"]
    assert {tuple(c["change"]["actions"]) for c in managed} == {("create",)}
    types = {c["type"] for c in managed}
    assert {
        "aws_s3_bucket",
        "aws_glue_catalog_table",
        "aws_redshiftserverless_workgroup",
        "aws_scheduler_schedule",
        "aws_ecs_task_definition",
        "aws_ecr_repository",
    } <= types
    tables = {c["index"] for c in plan["resource_changes"] if c["type"] == "aws_glue_catalog_table"}
    assert tables == set(TABLES)


def test_plan_workgroup_is_not_publicly_accessible(plan: dict[str, Any]) -> None:
    workgroup = _after(plan, "aws_redshiftserverless_workgroup.this")
    assert workgroup["publicly_accessible"] is False
    assert workgroup["enhanced_vpc_routing"] is True
    assert sorted(workgroup["subnet_ids"]) == sorted(plan["variables"]["private_subnet_ids"]["value"])


def test_plan_schedule_is_weekly(plan: dict[str, Any]) -> None:
    schedule = _after(plan, "aws_scheduler_schedule.weekly_build")
    match = WEEKLY_CRON.match(schedule["schedule_expression"])
    assert match, schedule["schedule_expression"]
    assert 0 <= int(match["minute"]) <= 59 and 0 <= int(match["hour"]) <= 23
    assert schedule["state"] == "ENABLED"
    ecs = schedule["target"][0]["ecs_parameters"][0]
    assert ecs["launch_type"] == "FARGATE" and ecs["task_count"] == 1
    assert ecs["network_configuration"][0]["assign_public_ip"] is False


def test_plan_spectrum_role_can_read_only_the_raw_prefixes(plan: dict[str, Any]) -> None:
    variables = {k: v["value"] for k, v in plan["variables"].items()}
    bucket_arn = (
        f"arn:aws:s3:::{variables['name_prefix']}-raw-{variables['aws_account_id']}-{variables['aws_region']}"
    )
    prefixes = {f"{variables['raw_prefix']}/{t}/" for t in TABLES}

    # Which policies hang on the Spectrum role: from the configuration, as ids are unknown at plan.
    config = plan["configuration"]["root_module"]["resources"]
    on_spectrum = {
        r["address"]
        for r in config
        if r["type"]
        in {"aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_role_policies_exclusive"}
        and "aws_iam_role.spectrum" in r["expressions"].get("role", {}).get("references", [])
    }
    assert on_spectrum == {
        "aws_iam_role_policy.spectrum_s3",
        "aws_iam_role_policy.spectrum_glue",
        "aws_iam_role_policy.spectrum_kms",
    }

    s3 = json.loads(_after(plan, "aws_iam_role_policy.spectrum_s3")["policy"])["Statement"]
    assert all(st["Effect"] == "Allow" and "NotAction" not in st and "NotResource" not in st for st in s3)
    by_action: dict[str, list[dict]] = {}
    for st in s3:
        for action in [st["Action"]] if isinstance(st["Action"], str) else st["Action"]:
            by_action.setdefault(action, []).append(st)
    assert set(by_action) == {"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"}  # read only

    def resources(st: dict) -> set[str]:
        return {st["Resource"]} if isinstance(st["Resource"], str) else set(st["Resource"])

    (get,) = by_action["s3:GetObject"]
    assert resources(get) == {f"{bucket_arn}/{p}*" for p in prefixes}
    (listing,) = by_action["s3:ListBucket"]
    assert resources(listing) == {bucket_arn}
    listed = listing["Condition"]["StringLike"]["s3:prefix"]
    assert set([listed] if isinstance(listed, str) else listed) == {f"{p}*" for p in prefixes}
    (locate,) = by_action["s3:GetBucketLocation"]
    assert resources(locate) == {bucket_arn}

    glue = json.loads(_after(plan, "aws_iam_role_policy.spectrum_glue")["policy"])["Statement"]
    region, account, database = (
        variables["aws_region"],
        variables["aws_account_id"],
        variables["glue_database_name"],
    )
    for st in glue:
        actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
        assert all(a.startswith(("glue:Get", "glue:BatchGet")) for a in actions), actions
        assert resources(st) == {
            f"arn:aws:glue:{region}:{account}:catalog",
            f"arn:aws:glue:{region}:{account}:database/{database}",
            f"arn:aws:glue:{region}:{account}:table/{database}/*",
        }


def test_plan_glue_tables_point_at_the_raw_prefixes(plan: dict[str, Any]) -> None:
    variables = {k: v["value"] for k, v in plan["variables"].items()}
    bucket = f"{variables['name_prefix']}-raw-{variables['aws_account_id']}-{variables['aws_region']}"
    for table in TABLES:
        after = _after(plan, f'aws_glue_catalog_table.raw["{table}"]')
        descriptor = after["storage_descriptor"][0]
        assert descriptor["location"] == f"s3://{bucket}/{variables['raw_prefix']}/{table}/"
        assert [(c["name"], c["type"]) for c in descriptor["columns"]] == expected_glue_columns(table)


# --- the buckets: one module's hardening, three uses ------------------------------------------

# Module call -> (the name's middle part, the KMS key of its default encryption; None: SSE-S3).
BUCKETS = {
    "raw_bucket": ("raw", "aws_kms_key.data"),
    "artifacts_bucket": ("artifacts", "aws_kms_key.platform"),
    "access_logs_bucket": ("access-logs", None),
}
PUBLIC_ACCESS_BLOCKS = (
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
)


def _read_data(plan: dict[str, Any], address: str) -> dict[str, Any]:
    """A data source's values: read during apply (in resource_changes) or already during the plan."""
    for change in plan["resource_changes"]:
        if change["address"] == address:
            return change["change"]["after"]
    modules = [plan["prior_state"]["values"]["root_module"]]
    while modules:
        module = modules.pop()
        modules.extend(module.get("child_modules", []))
        for r in module.get("resources", []):
            if r["address"] == address:
                return r["values"]
    raise AssertionError(f"{address} is not in the plan")


def test_plan_every_bucket_is_hardened_by_the_module(plan: dict[str, Any]) -> None:
    variables = {k: v["value"] for k, v in plan["variables"].items()}
    name = f"{variables['name_prefix']}-{{}}-{variables['aws_account_id']}-{variables['aws_region']}"
    changes = [c for c in plan["resource_changes"] if c["mode"] == "managed"]
    s3 = [c for c in changes if c["type"].startswith("aws_s3_")]
    assert [c["address"] for c in s3 if c.get("module_address") is None] == [], "only the module's"
    assert {c["module_address"] for c in s3} == {f"module.{m}" for m in BUCKETS}
    calls = plan["configuration"]["root_module"]["module_calls"]

    for module, (infix, key) in BUCKETS.items():
        at, bucket = f"module.{module}.", name.format(infix)
        arn = f"arn:aws:s3:::{bucket}"
        assert calls[module]["source"] == "./modules/hardened_bucket"
        assert _after(plan, at + "aws_s3_bucket.this")["bucket"] == bucket
        block = _after(plan, at + "aws_s3_bucket_public_access_block.this")
        assert all(block[k] is True for k in PUBLIC_ACCESS_BLOCKS)
        ownership = _after(plan, at + "aws_s3_bucket_ownership_controls.this")["rule"]
        assert ownership == [{"object_ownership": "BucketOwnerEnforced"}]
        versioning = _after(plan, at + "aws_s3_bucket_versioning.this")["versioning_configuration"]
        assert versioning[0]["status"] == "Enabled"
        (rule,) = _after(plan, at + "aws_s3_bucket_server_side_encryption_configuration.this")["rule"]
        (default,) = rule["apply_server_side_encryption_by_default"]
        lifecycle = _after(plan, at + "aws_s3_bucket_lifecycle_configuration.this")["rule"]
        aborts = [r["abort_incomplete_multipart_upload"] for r in lifecycle]
        assert [a for a in aborts if a] == [[{"days_after_initiation": 7}]]
        document = _read_data(plan, at + "data.aws_iam_policy_document.this")
        statements = {s["sid"]: s for s in document["statement"]}
        insecure = statements["DenyInsecureTransport"]
        assert (insecure["effect"], insecure["actions"]) == ("Deny", ["s3:*"])
        assert insecure["resources"] == [arn, f"{arn}/*"]
        (condition,) = insecure["condition"]
        assert condition == {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
        logging = [c["change"]["after"] for c in s3 if c["address"] == at + "aws_s3_bucket_logging.this[0]"]
        if key is None:  # the log bucket: SSE-S3, the only encryption S3 log delivery supports
            assert default["sse_algorithm"] == "AES256" and "kms_key_arn" not in calls[module]["expressions"]
            assert set(statements) == {"DenyInsecureTransport"} and logging == []
            continue
        assert default["sse_algorithm"] == "aws:kms" and rule["bucket_key_enabled"] is True
        assert calls[module]["expressions"]["kms_key_arn"]["references"][-1] == key
        assert set(statements) == {"DenyInsecureTransport", "DenyTlsOlderThan12", "DenyOtherKmsKeys"}
        assert statements["DenyTlsOlderThan12"]["condition"][0]["values"] == ["1.2"]
        assert [(g["target_bucket"], g["target_prefix"]) for g in logging] == [
            (name.format("access-logs"), f"s3/{bucket}/")
        ]


def test_moved_blocks_lead_every_old_bucket_address_into_the_module(plan: dict[str, Any]) -> None:
    """A deployment applied before the module keeps its buckets: each old address moves to a planned
    one (a `to` that names nothing would make terraform destroy the bucket and create it anew)."""
    with open(INFRA / "moved.tf") as f:
        moves = [(m["from"].strip("${}"), m["to"].strip("${}")) for m in hcl2.load(f)["moved"]]
    managed = [c for c in plan["resource_changes"] if c["mode"] == "managed"]
    s3 = [c["address"] for c in managed if c["type"].startswith("aws_s3_")]
    assert sorted(to for _, to in moves) == sorted(s3)
    for old, new in moves:
        (module, rtype, this) = new.removeprefix("module.").split(".")
        assert old == f"{rtype}.{module.removesuffix('_bucket')}" and this in {"this", "this[0]"}


# --- what a successful build publishes, and who hears about a failed one ---------------------


def test_task_environment_names_the_bucket_prefixes_and_group() -> None:
    env = hcl()["locals"]["dbt_environment"]
    assert env["ARTIFACTS_BUCKET"] == "${module.artifacts_bucket.bucket}"
    assert env["ARTIFACTS_PREFIX"] == "${var.artifacts_prefix}"
    assert env["DOCS_PREFIX"] == "${var.docs_prefix}"
    assert env["ARTIFACTS_KMS_KEY_ARN"] == "${aws_kms_key.platform.arn}"
    # The group the build grants to is the group the bootstrap creates: one variable for both.
    assert env["ANALYSTS_GROUP"] == "${var.analysts_group}"
    bootstrap = hcl()["output"]["bootstrap_sql"]["value"]
    assert "CREATE GROUP ${var.analysts_group}" in bootstrap
    # The task runs the image's entrypoint (scripts/weekly_build.sh): no command overrides it.
    container = resource("aws_ecs_task_definition", "dbt")["container_definitions"]
    assert not re.search(r"\b(command|entryPoint)\s*=", container), container
    # Every setting the entrypoint insists on is in the task's environment.
    script = WEEKLY_BUILD.read_text()
    required = re.search(r"for name in ([A-Z_ \\\n]+); do", script).group(1).replace("\\", " ").split()
    assert {"SEGMENTS_BUCKET", "SEGMENTS_PREFIX", "SEGMENTS_IAM_ROLE_ARN", "SEGMENTS_KMS_KEY_ARN"} <= set(
        required
    )
    assert set(required) <= set(env), set(required) - set(env)


def _publisher():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "publish_dbt_artifacts", WEEKLY_BUILD.parent / "publish_dbt_artifacts.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _policy_statements(plan: dict[str, Any], address: str) -> list[dict]:
    return json.loads(_after(plan, address)["policy"])["Statement"]


def _as_set(value: str | list[str]) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def _config(plan: dict[str, Any], address: str) -> dict[str, Any]:
    for r in plan["configuration"]["root_module"]["resources"]:
        if r["address"] == address:
            return r["expressions"]
    raise AssertionError(f"{address} is not in the configuration")


def test_plan_task_may_put_exactly_the_artifacts_docs_and_a_failed_builds_results(
    plan: dict[str, Any],
) -> None:
    variables = {k: v["value"] for k, v in plan["variables"].items()}
    bucket = f"{variables['name_prefix']}-artifacts-{variables['aws_account_id']}-{variables['aws_region']}"
    # Private, versioned, SSE-KMS with the platform key: test_plan_every_bucket_is_hardened_by_the_module.
    assert _after(plan, "module.artifacts_bucket.aws_s3_bucket.this")["bucket"] == bucket

    on_runner = {
        r["address"]
        for r in plan["configuration"]["root_module"]["resources"]
        if r["type"] in {"aws_iam_role_policy", "aws_iam_role_policy_attachment"}
        and "aws_iam_role.runner" in r["expressions"].get("role", {}).get("references", [])
    }
    assert on_runner == {
        "aws_iam_role_policy.runner",
        "aws_iam_role_policy.runner_publish",
        "aws_iam_role_policy.runner_publish_kms",
        "aws_iam_role_policy.runner_report",
        "aws_iam_role_policy.runner_segments",
        "aws_iam_role_policy.runner_segments_kms",
    }
    (put,) = _policy_statements(plan, "aws_iam_role_policy.runner_publish")
    assert put["Effect"] == "Allow" and put["Action"] == "s3:PutObject"
    prefix = variables["artifacts_prefix"]
    failed_folder = _publisher().FAILED_BUILD_FOLDER  # where the publisher puts a failed build's files
    assert _as_set(put["Resource"]) == {
        f"arn:aws:s3:::{bucket}/{prefix}/manifest.json",
        f"arn:aws:s3:::{bucket}/{prefix}/run_results.json",
        f"arn:aws:s3:::{bucket}/{variables['docs_prefix']}/index.html",
        f"arn:aws:s3:::{bucket}/{prefix}/{failed_folder}/manifest.json",
        f"arn:aws:s3:::{bucket}/{prefix}/{failed_folder}/run_results.json",
        f"arn:aws:s3:::{bucket}/{variables['docs_prefix']}/segments.png",
        f"arn:aws:s3:::{bucket}/{variables['docs_prefix']}/segment_history.png",
    }
    # The key: only to encrypt, only through S3, only for this bucket (HCL: the key ARN is unknown at plan).
    (kms,) = hcl()["data"]["aws_iam_policy_document"]["runner_publish_kms"]["statement"]
    assert kms["actions"] == ["kms:GenerateDataKey"] and kms["resources"] == ["${aws_kms_key.platform.arn}"]
    assert {c["variable"] for c in kms["condition"]} == {"kms:ViaService", "kms:EncryptionContext:aws:s3:arn"}


def _matches(pattern: Any, event: Any) -> bool:
    """EventBridge's matching for what the rule uses: lists of values, {prefix}, {anything-but},
    nested objects, $or, and arrays in the event (any element may match)."""
    if isinstance(event, list):
        return any(_matches(pattern, element) for element in event)
    if isinstance(pattern, dict):
        if not isinstance(event, dict):
            return False
        for key, sub in pattern.items():
            if key == "$or":
                if not any(_matches(alternative, event) for alternative in sub):
                    return False
            elif key not in event or not _matches(sub, event[key]):
                return False
        return True
    for rule in pattern:  # a list of allowed values and value filters
        if not isinstance(rule, dict):
            if event == rule:
                return True
        elif "prefix" in rule:
            if isinstance(event, str) and event.startswith(rule["prefix"]):
                return True
        elif "anything-but" in rule:
            excluded = rule["anything-but"]
            if event not in (excluded if isinstance(excluded, list) else [excluded]):
                return True
        else:
            raise AssertionError(f"a filter this matcher does not know: {rule}")
    return False


def _ecs_event(
    cluster: str, task_definition: str, exit_code: int | None, stop_code: str = "EssentialContainerExited"
) -> dict:
    container = {"name": "dbt"} if exit_code is None else {"name": "dbt", "exitCode": exit_code}
    return {
        "source": "aws.ecs",
        "detail-type": "ECS Task State Change",
        "detail": {
            "clusterArn": cluster,
            "taskDefinitionArn": task_definition,
            "lastStatus": "STOPPED",
            "stopCode": stop_code,
            "containers": [container],
        },
    }


def test_plan_alert_rule_matches_what_the_task_cannot_report_and_nothing_else(plan: dict[str, Any]) -> None:
    variables = {k: v["value"] for k, v in plan["variables"].items()}
    region, account = variables["aws_region"], variables["aws_account_id"]
    cluster = f"arn:aws:ecs:{region}:{account}:cluster/{_after(plan, 'aws_ecs_cluster.this')['name']}"
    family = _after(plan, "aws_ecs_task_definition.dbt")["family"]
    task_definition = f"arn:aws:ecs:{region}:{account}:task-definition/{family}:7"
    pattern = json.loads(_after(plan, "aws_cloudwatch_event_rule.build_failed")["event_pattern"])
    detail = pattern["detail"]
    assert detail["clusterArn"] == [cluster]
    assert detail["taskDefinitionArn"] == [
        {"prefix": f"arn:aws:ecs:{region}:{account}:task-definition/{family}:"}
    ]
    assert {"containers": {"exitCode": [{"anything-but": [0, 3]}]}} in detail["$or"]
    # 3 is the code scripts/weekly_build.sh exits with once it reported the failure itself.
    assert re.search(r"report_build\.py\" failed \"\$@\"; then\n\s+exit 3\n", WEEKLY_BUILD.read_text())

    assert _matches(pattern, _ecs_event(cluster, task_definition, 1))  # failed, and its report too
    assert _matches(pattern, _ecs_event(cluster, task_definition, 2))  # a setting missing: no report
    assert _matches(pattern, _ecs_event(cluster, task_definition, 137))  # killed (out of memory)
    assert _matches(pattern, _ecs_event(cluster, task_definition, 143))  # stopped (aws ecs stop-task)
    assert _matches(pattern, _ecs_event(cluster, task_definition, None, "TaskFailedToStart"))  # no image
    assert not _matches(pattern, _ecs_event(cluster, task_definition, 0))  # success: its own line
    assert not _matches(pattern, _ecs_event(cluster, task_definition, 3))  # failed, reported by the task
    assert not _matches(pattern, _ecs_event(cluster + "-other", task_definition, 1))
    assert not _matches(
        pattern, _ecs_event(cluster, task_definition.replace(f"/{family}:", f"/{family}-other:"), 1)
    )
    assert not _matches(
        pattern,
        {
            **_ecs_event(cluster, task_definition, 1),
            "detail": {**_ecs_event(cluster, task_definition, 1)["detail"], "lastStatus": "RUNNING"},
        },
    )


def test_plan_alerts_go_to_the_encrypted_topic(plan: dict[str, Any]) -> None:
    target = _config(plan, "aws_cloudwatch_event_target.build_failed_to_alerts")
    assert "aws_sns_topic.alerts" in target["arn"]["references"]
    assert "aws_cloudwatch_event_rule.build_failed" in target["rule"]["references"]
    topic = _config(plan, "aws_sns_topic.alerts")
    assert "aws_kms_key.platform" in topic["kms_master_key_id"]["references"]
    for alarm in ("schedule_dead_letters", "schedule_dropped"):
        assert (
            "aws_sns_topic.alerts"
            in _config(plan, f"aws_cloudwatch_metric_alarm.{alarm}")["alarm_actions"]["references"]
        )
    dropped = _after(plan, "aws_cloudwatch_metric_alarm.schedule_dropped")
    assert (dropped["namespace"], dropped["metric_name"]) == ("AWS/Scheduler", "InvocationDroppedCount")
    assert dropped["dimensions"] == {
        "ScheduleGroup": _after(plan, "aws_scheduler_schedule_group.this")["name"]
    }
    schedule = _config(plan, "aws_scheduler_schedule.weekly_build")["target"][0]
    assert "aws_sqs_queue.schedule_dlq" in schedule["dead_letter_config"][0]["arn"]["references"]
    # The platform key lets the two publishing services use it for the topic.
    statements = hcl()["data"]["aws_iam_policy_document"]["kms_platform"]["statement"]
    services = {
        p["identifiers"][0] for st in statements for p in st.get("principals", []) if p["type"] == "Service"
    }
    assert {"events.amazonaws.com", "cloudwatch.amazonaws.com"} <= services
    # With alert_email set (the example), one e-mail subscription.
    subscription = _after(plan, "aws_sns_topic_subscription.alert_email[0]")
    assert subscription["protocol"] == "email"
    assert subscription["endpoint"] == plan["variables"]["alert_email"]["value"]


def test_task_reports_to_the_topic_and_renews_its_heartbeat_and_nothing_else() -> None:
    """HCL view (the topic, queue and key ARNs are unknown at plan)."""
    statements = {
        st["sid"]: st for st in hcl()["data"]["aws_iam_policy_document"]["runner_report"]["statement"]
    }
    assert set(statements) == {
        "PublishTheWeeksReportToTheAlertsTopic",
        "EncryptThemWithThePlatformKeyThroughSns",
        "RenewTheHeartbeat",
    }
    publish = statements["PublishTheWeeksReportToTheAlertsTopic"]
    assert (publish["actions"], publish["resources"]) == (["sns:Publish"], ["${aws_sns_topic.alerts.arn}"])
    kms = statements["EncryptThemWithThePlatformKeyThroughSns"]
    assert kms["actions"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert kms["resources"] == ["${aws_kms_key.platform.arn}"]
    conditions = {c["variable"]: c["values"] for c in kms["condition"]}
    assert conditions == {
        "kms:ViaService": ["sns.${local.region}.amazonaws.com"],
        "kms:EncryptionContext:aws:sns:topicArn": ["${aws_sns_topic.alerts.arn}"],
    }
    heartbeat = statements["RenewTheHeartbeat"]
    assert set(heartbeat["actions"]) == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"}
    assert heartbeat["resources"] == ["${aws_sqs_queue.heartbeat.arn}"]
    # The topic policy names the task's role as the one role that publishes, and the alarms that may.
    topic_policy = {
        st["sid"]: st for st in hcl()["data"]["aws_iam_policy_document"]["alerts_topic"]["statement"]
    }
    (principal,) = topic_policy["TheWeeklyTaskReportsItsBuilds"]["principals"]
    assert (principal["type"], principal["identifiers"]) == ("AWS", ["${aws_iam_role.runner.arn}"])
    alarms = topic_policy["CloudWatchAlarmsOnTheSchedule"]["condition"]
    assert {"variable": "aws:SourceArn", "test": "ArnLike", "values": "${local.alert_alarm_arns}"} in alarms
    key_statements = hcl()["data"]["aws_iam_policy_document"]["kms_platform"]["statement"]
    (key_alarms,) = [
        st for st in key_statements if st.get("sid") == "CloudWatchAlarmsPublishToTheAlertsTopic"
    ]
    assert {
        "variable": "aws:SourceArn",
        "test": "ArnLike",
        "values": "${local.alert_alarm_arns}",
    } in key_alarms["condition"]
    assert "alarm:${local.no_success_alarm_name}" in " ".join(hcl()["locals"]["alert_alarm_arns"])
    # Where the task reports, and the zone of "the schedule's day".
    env = hcl()["locals"]["dbt_environment"]
    assert env["ALERTS_TOPIC_ARN"] == "${aws_sns_topic.alerts.arn}"
    assert env["HEARTBEAT_QUEUE_URL"] == "${aws_sqs_queue.heartbeat.url}"
    assert env["SCHEDULE_TIMEZONE"] == "${var.schedule_timezone}"
    assert env["LOG_GROUP"] == "${local.log_group_name}"


def test_plan_no_successful_build_for_8_days_alarms(plan: dict[str, Any]) -> None:
    queue = _after(plan, "aws_sqs_queue.heartbeat")
    alarm = _after(plan, "aws_cloudwatch_metric_alarm.no_successful_build")
    eight_days = 8 * 86400
    # SQS measures the heartbeat's age; the alarm compares it with 8 days. (A count of successes
    # per period could not: an alarm's Period x EvaluationPeriods may not exceed 7 days.)
    assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/SQS", "ApproximateAgeOfOldestMessage")
    assert alarm["dimensions"] == {"QueueName": queue["name"]}
    assert (alarm["statistic"], alarm["comparison_operator"]) == ("Maximum", "GreaterThanOrEqualToThreshold")
    assert alarm["threshold"] == eight_days
    assert alarm["period"] * alarm["evaluation_periods"] <= 86400  # noticed within a day of the 8
    assert alarm["treat_missing_data"] == "breaching"  # an empty queue: no success recorded at all
    assert queue["message_retention_seconds"] > eight_days  # the heartbeat outlives the threshold
    assert queue["sqs_managed_sse_enabled"] is True
    for actions in ("alarm_actions", "ok_actions"):
        assert (
            "aws_sns_topic.alerts"
            in _config(plan, "aws_cloudwatch_metric_alarm.no_successful_build")[actions]["references"]
        )
    # The task's heartbeat goes to this queue (scripts/report_build.py, through HEARTBEAT_QUEUE_URL).
    assert hcl()["resource"]["aws_cloudwatch_metric_alarm"]["no_successful_build"]["alarm_name"] == (
        "${local.no_success_alarm_name}"
    )


def test_plan_ci_role_reads_only_the_production_state(plan: dict[str, Any]) -> None:
    variables = {k: v["value"] for k, v in plan["variables"].items()}
    bucket = f"{variables['name_prefix']}-artifacts-{variables['aws_account_id']}-{variables['aws_region']}"
    trust = json.loads(_after(plan, "aws_iam_role.ci_artifacts_reader[0]")["assume_role_policy"])["Statement"]
    (statement,) = trust
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        f"repo:{variables['github_repository']}:pull_request"
    )
    read = [
        st
        for st in hcl()["data"]["aws_iam_policy_document"]["ci_artifacts_reader"]["statement"]
        if st["actions"] == ["s3:GetObject"]
    ]
    assert len(read) == 1
    assert hcl()["locals"]["ci_readable_items"] == [
        "${local.artifact_keys.manifest}",
        "${local.artifact_keys.run_results}",
    ]
    assert _after(plan, "module.artifacts_bucket.aws_s3_bucket.this")["bucket"] == bucket


def test_plan_segment_step_reaches_only_the_segments_prefix(plan: dict[str, Any]) -> None:
    """Redshift's UNLOAD/COPY role and the task: the segments prefix of the artefacts bucket only."""
    variables = {k: v["value"] for k, v in plan["variables"].items()}
    name = f"{variables['name_prefix']}-artifacts-{variables['aws_account_id']}-{variables['aws_region']}"
    bucket = f"arn:aws:s3:::{name}"
    objects = f"{bucket}/{variables['segments_prefix']}/*"

    trust = json.loads(_after(plan, "aws_iam_role.segments")["assume_role_policy"])["Statement"]
    assert [_as_set(s["Principal"]["Service"]) for s in trust] == [
        {"redshift.amazonaws.com", "redshift-serverless.amazonaws.com"}
    ]
    assert trust[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": variables["aws_account_id"]}}
    by_sid = {s["Sid"]: s for s in _policy_statements(plan, "aws_iam_role_policy.segments_s3")}
    assert set(by_sid) == {
        "UnloadWritesAndCopyReadsTheSegmentsPrefix",
        "ListTheSegmentsPrefix",
        "LocateTheArtifactsBucket",
    }
    rw = by_sid["UnloadWritesAndCopyReadsTheSegmentsPrefix"]
    assert _as_set(rw["Action"]) == {"s3:PutObject", "s3:GetObject"} and rw["Resource"] == objects
    listing = by_sid["ListTheSegmentsPrefix"]
    assert listing["Action"] == "s3:ListBucket" and listing["Resource"] == bucket
    assert listing["Condition"] == {"StringLike": {"s3:prefix": f"{variables['segments_prefix']}/*"}}
    (kms,) = hcl()["data"]["aws_iam_policy_document"]["segments_kms"]["statement"]
    assert set(kms["actions"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert kms["resources"] == ["${aws_kms_key.platform.arn}"]
    assert {c["variable"] for c in kms["condition"]} == {"kms:ViaService", "kms:EncryptionContext:aws:s3:arn"}

    # The namespace may use the role (associated), Spectrum's role stays the default.
    namespace = _config(plan, "aws_redshiftserverless_namespace.this")
    assert {"aws_iam_role.spectrum", "aws_iam_role.segments"} <= set(namespace["iam_roles"]["references"])
    assert "aws_iam_role.spectrum" in namespace["default_iam_role_arn"]["references"]

    (task,) = _policy_statements(plan, "aws_iam_role_policy.runner_segments")
    assert _as_set(task["Action"]) == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    assert task["Resource"] == objects
    (kms,) = hcl()["data"]["aws_iam_policy_document"]["runner_segments_kms"]["statement"]
    assert set(kms["actions"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert {c["variable"] for c in kms["condition"]} == {"kms:ViaService", "kms:EncryptionContext:aws:s3:arn"}

    env = hcl()["locals"]["dbt_environment"]
    assert env["SEGMENTS_BUCKET"] == "${module.artifacts_bucket.bucket}"
    assert env["SEGMENTS_PREFIX"] == "${var.segments_prefix}"
    assert env["SEGMENTS_IAM_ROLE_ARN"] == "${aws_iam_role.segments.arn}"
    assert env["SEGMENTS_KMS_KEY_ARN"] == "${aws_kms_key.platform.arn}"


def test_analysts_may_read_the_docs_page_and_its_charts_only() -> None:
    """Reads the HCL: the policy holds the key's ARN, unknown in the offline plan."""
    (read, _) = hcl()["data"]["aws_iam_policy_document"]["docs_reader"]["statement"]
    assert read["actions"] == ["s3:GetObject"]
    assert read["resources"] == '${[for k in local.docs_keys : "${local.artifacts_bucket_arn}/${k}"]}'
    assert hcl()["locals"]["docs_keys"] == [
        "${local.artifact_keys.docs}",
        "${local.artifact_keys.segments_chart}",
        "${local.artifact_keys.segment_history_chart}",
    ]
