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
def hcl() -> dict[str, Any]:
    """Every block of infra/*.tf: resources and data by type and name, variables, locals, outputs."""
    merged: dict[str, Any] = {"resource": {}, "data": {}, "variable": {}, "locals": {}, "output": {}}
    for path in sorted(INFRA.glob("*.tf")):
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
    assert namespace["iam_roles"] == ["${aws_iam_role.spectrum.arn}"]
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


def test_no_iam_policy_uses_a_wildcard_resource_where_a_narrower_one_exists() -> None:
    allowed = {("execution", "ecr:GetAuthorizationToken")}  # IAM has no narrower resource for it
    key_policies = {"kms_data", "kms_platform"}  # in a key policy "*" is the key itself
    for name, document in hcl()["data"]["aws_iam_policy_document"].items():
        if name in key_policies:
            continue
        for statement in document["statement"]:
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
    unvalidated = {"tags", "manage_glue_catalog_encryption", "schedule_enabled"}  # a map and two booleans
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


def test_dockerfile_installs_the_package_from_pyproject() -> None:
    steps = _dockerfile()
    copy_pyproject = next(
        i for i, (ins, args) in enumerate(steps) if ins == "COPY" and "pyproject.toml" in args
    )
    install = next(
        i for i, (ins, args) in enumerate(steps) if ins == "RUN" and re.search(r"pip install \.(\s|$)", args)
    )
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


def test_dockerfile_entrypoint_creates_the_spectrum_schema_then_builds() -> None:
    entrypoints = [args for ins, args in _dockerfile() if ins == "ENTRYPOINT"]
    assert len(entrypoints) == 1
    command = json.loads(entrypoints[0])
    assert command[:2] == ["/bin/sh", "-c"]
    first, _, second = command[2].partition("&&")
    assert first.split()[:3] == ["dbt", "run-operation", "create_spectrum_schema"]
    assert second.replace("exec ", "").split() == ["dbt", "build", "--target", "redshift"]


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
    result = _plan_variables(tmp_path, schedule_expression="cron(30 22 ? * SUN *)")
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
