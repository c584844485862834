"""The redshift target, checked with no warehouse: the project compiles, every compiled model and
test parses as Redshift SQL and avoids what Redshift lacks (redshift_rules.py; the unit tests, which
need a warehouse to compile, are checked by the rehearsal), the Redshift-only configs land where
they should, the Spectrum macro writes the right statement, and the profile connects as meant."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import redshift_rules
import yaml
from conftest import PROJECT_DIR, DbtProject

OFFLINE = [sys.executable, str(Path(__file__).with_name("dbt_offline.py"))]

# Placeholders only: nothing here is reachable, and nothing may try to reach it.
REDSHIFT_ENV = {
    "REDSHIFT_HOST": "example-cluster.abc123xyz789.eu-west-1.redshift.amazonaws.com",
    "REDSHIFT_USER": "placeholder_user",
    "REDSHIFT_PASSWORD": "placeholder-password",
    "REDSHIFT_DATABASE": "dev",
    "REDSHIFT_SCHEMA": "customer_mart",
    "GLUE_DATABASE": "customer_mart_raw",
    "SPECTRUM_IAM_ROLE_ARN": "arn:aws:iam::123456789012:role/customer-mart-spectrum",
    "AWS_REGION": "eu-west-1",
    "RAW_SCHEMA": "thelook_raw",
    "SPECTRUM_SCHEMA": "",
    "ANALYSTS_GROUP": "analysts",
    "REDSHIFT_AUTH_METHOD": "database",
    "REDSHIFT_CLUSTER_ID": "",
    "REDSHIFT_WORKGROUP": "",
}

COMPILE_VARS = {"as_of_date": "2026-07-01"}


def redshift_problems(sql: str) -> list[str]:
    """What keeps one compiled statement from running on Redshift as meant (redshift_rules.py)."""
    return redshift_rules.problems(sql)


def check_compiled(compiled: dict[str, str]) -> None:
    """Fail naming every node whose compiled SQL has a Redshift problem."""
    redshift_rules.check(compiled)


@pytest.fixture(scope="module")
def redshift_project(tmp_path_factory) -> DbtProject:
    workdir = tmp_path_factory.mktemp("redshift-offline")
    return DbtProject(
        workdir=workdir, raw_dir=workdir / "no-raw-data", target="redshift", extra_env=dict(REDSHIFT_ENV)
    )


@pytest.fixture(scope="module")
def manifest(redshift_project) -> dict:
    redshift_project.run("compile", "--no-populate-cache", vars=COMPILE_VARS, launcher=OFFLINE)
    return json.loads((redshift_project.workdir / "target" / "manifest.json").read_text())


def test_every_model_test_and_snapshot_compiles_for_redshift(manifest):
    nodes = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "test", "snapshot"} and node["package_name"] == "customer_mart"
    ]
    kinds = {kind: sum(node["resource_type"] == kind for node in nodes) for kind in ("model", "test")}
    assert kinds["model"] >= 15 and kinds["test"] >= 50, kinds
    not_compiled = [node["unique_id"] for node in nodes if not (node.get("compiled_code") or "").strip()]
    assert not not_compiled, f"not compiled: {not_compiled}"
    sources = {s["name"]: s["relation_name"] for s in manifest["sources"].values()}
    assert sources["users"] == '"dev"."thelook_raw"."users"'


def test_every_compiled_model_and_test_is_redshift_sql(manifest):
    compiled = {
        f"{node['resource_type']} {node['name']}": node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "test", "snapshot"} and node["package_name"] == "customer_mart"
    }
    check_compiled(compiled)


def test_the_check_names_the_model_that_is_not_redshift_sql():
    with pytest.raises(AssertionError) as failure:
        check_compiled(
            {
                "model good": "select cast(a as varchar(65535)) as a, count(*) as n from t group by 1",
                "model broken": "select a from t where",
                "model duckdb_only": "select mode(a) as a, cast(b as varchar) as b from read_parquet('x')",
            }
        )
    message = str(failure.value)
    assert "model broken: does not parse" in message
    assert "model duckdb_only:" in message and "mode()" in message and "without a length" in message
    assert "model good" not in message


def test_redshift_configs_of_the_models(manifest):
    nodes = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    staging = [n for name, n in nodes.items() if name.startswith("stg_")]
    assert len(staging) == 7
    assert all(n["config"]["bind"] is False for n in staging)
    # Views over the external tables, but for the small distribution centers: a table, read by the
    # nearest-center model and two checks of its ids, so that Spectrum scans the file once.
    tables = {n["name"] for n in staging if n["config"]["materialized"] != "view"}
    assert tables == {"stg_thelook__distribution_centers"}
    assert nodes["stg_thelook__distribution_centers"]["config"]["materialized"] == "table"

    mart = nodes["customer_features"]["config"]
    assert (mart["dist"], mart["sort"]) == ("user_id", ["profit_level", "nearest_dc_id"])
    assert mart["grants"] == {"select": ["group:analysts"]}
    assert mart["contract"]["enforced"] is True
    assert [hook["sql"] for hook in mart["post-hook"]] == ["{{ grant_schema_usage() }}"]
    # Only the marts are granted to analysts, and the snapshot of the mart, which they are told to query.
    assert all(not n["config"].get("grants") for name, n in nodes.items() if name != "customer_features")
    (snapshot,) = [n for n in manifest["nodes"].values() if n["resource_type"] == "snapshot"]
    assert snapshot["config"]["grants"] == {"select": ["group:analysts"]}
    # The grant, besides the snapshot's own history hook (closing the versions of departed customers).
    assert "{{ grant_schema_usage() }}" in [hook["sql"] for hook in snapshot["config"]["post-hook"]]
    # The contract's text columns are declared as Redshift reports them.
    columns = nodes["customer_features"]["columns"]
    assert {name for name, column in columns.items() if column["data_type"] == "varchar(256)"} == {
        "country",
        "state",
        "nearest_dc_name",
        "most_traffic_source",
    }


def test_spectrum_schema_statement(redshift_project):
    result = redshift_project.run(
        "run-operation",
        "create_spectrum_schema",
        "--args",
        "{dry_run: true}",
        vars=COMPILE_VARS,
        launcher=OFFLINE,
    )
    statement = " ".join(result.stdout.split())
    assert (
        "create external schema if not exists thelook_raw from data catalog database 'customer_mart_raw'"
        " region 'eu-west-1' iam_role 'arn:aws:iam::123456789012:role/customer-mart-spectrum'"
    ) in statement


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("{dry_run: true, schema: other_raw}", "differs from raw_schema"),
        ('{dry_run: true, iam_role: "arn:aws:iam::123456789012:role/x\' --"}', "not an IAM role ARN"),
    ],
)
def test_spectrum_schema_refuses_bad_settings(redshift_project, args, message):
    result = redshift_project.run(
        "run-operation",
        "create_spectrum_schema",
        "--args",
        args,
        vars=COMPILE_VARS,
        launcher=OFFLINE,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stdout


def connect_args(monkeypatch, **env: str) -> dict:
    """The arguments dbt-redshift hands redshift_connector for the redshift profile under `env`."""
    from dbt.adapters.redshift import connections
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context({**REDSHIFT_ENV, **env})
    raw = yaml.safe_load((PROJECT_DIR / "profiles.yml.example").read_text())
    output = ProfileRenderer({}).render_data(raw["customer_mart"]["outputs"]["redshift"])
    fields = {key: value for key, value in output.items() if key not in {"type", "threads"}}
    credentials = connections.RedshiftCredentials.from_dict(
        connections.RedshiftCredentials.translate_aliases(fields)
    )
    captured: dict = {}
    monkeypatch.setattr(
        connections.redshift_connector,
        "connect",
        lambda **kwargs: captured.update(kwargs) or SimpleNamespace(),
    )
    connections.get_connection_method(credentials)()
    return captured


def test_profile_connects_to_serverless_with_iam(monkeypatch):
    args = connect_args(
        monkeypatch,
        REDSHIFT_AUTH_METHOD="iam",
        REDSHIFT_HOST="mart.123456789012.eu-west-1.redshift-serverless.amazonaws.com",
        REDSHIFT_USER="IAMR:customer-mart-dbt-runner",
        REDSHIFT_PASSWORD="",
        REDSHIFT_WORKGROUP="mart",
    )
    assert args["iam"] is True and args["is_serverless"] is True
    assert (args["serverless_work_group"], args["cluster_identifier"]) == ("mart", None)
    assert (args["database"], args["port"], args["region"]) == ("dev", 5439, "eu-west-1")
    assert args["password"] == "" and args["profile"] is None  # the AWS SDK's own credential chain


def test_profile_connects_to_a_cluster_with_iam_or_a_password(monkeypatch):
    iam = connect_args(monkeypatch, REDSHIFT_AUTH_METHOD="iam", REDSHIFT_CLUSTER_ID="example-cluster")
    assert (iam["iam"], iam["is_serverless"], iam["cluster_identifier"]) == (True, False, "example-cluster")
    assert iam["db_user"] == "placeholder_user"

    password = connect_args(monkeypatch)
    assert "iam" not in password and password["is_serverless"] is False
    assert (password["user"], password["password"]) == ("placeholder_user", "placeholder-password")
    assert password["ssl"] is True and password["host"] == REDSHIFT_ENV["REDSHIFT_HOST"]


def test_the_mart_and_the_snapshot_grant_the_group_as_analysts_group_reads_it(tmp_path):
    """The two +grants expressions in dbt_project.yml read ANALYSTS_GROUP trimmed and lower-cased,
    as the macro analysts_group does (the snapshot's once took the raw value; check_settings holds
    both at run time)."""
    env = {**REDSHIFT_ENV, "ANALYSTS_GROUP": " Analysts "}
    project = DbtProject(workdir=tmp_path, raw_dir=tmp_path / "no-raw-data", target="redshift", extra_env=env)
    project.run("parse", vars=COMPILE_VARS, launcher=OFFLINE)
    nodes = json.loads((tmp_path / "target" / "manifest.json").read_text())["nodes"].values()
    grants = {
        n["name"]: n["config"]["grants"]
        for n in nodes
        if n["name"] in {"customer_features", "customer_features_snapshot"}
    }
    assert grants == {
        name: {"select": ["group:analysts"]} for name in ("customer_features", "customer_features_snapshot")
    }
