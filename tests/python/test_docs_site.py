"""The dbt docs site analysts use: every resource described, the ready queries runnable, the
customer_features page rendered in headless Chromium, both served by `dbt docs serve` and as the
single static page, and the latest build's status (as_of_date, customers, checks) on the overview
and the mart's page, read from the run history as `make docs` reads it. Screenshots go to
test-artifacts/.

Chromium is Debian's (`apt-get install chromium`, which scripts/install-system-deps.sh does for
`make test` and .ci/run), driven by Playwright through `executable_path`; Playwright's own browser
download is never used. A missing browser skips these tests with the install command on a
developer's machine, and fails them in CI (CI=true).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import BIN_DIR, PROJECT_DIR
from system_deps import require

from customer_mart.schema import COLUMNS as RAW_COLUMNS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As root in a container, on a machine whose only network is loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = PROJECT_DIR / "test-artifacts"
MODEL_PAGE = "#!/model/model.customer_mart.customer_features"
AS_OF = {"as_of_date": "2026-06-30"}
ANALYSES = {
    "customers_per_profit_level_and_center",
    "return_rate_by_traffic_source",
    "high_value_customers_far_from_center",
}


@pytest.fixture(scope="module")
def docs_target(small_warehouse) -> Path:
    """The site as `make docs` and `make docs-static` make it after a build: the run history's
    latest build (run-operation build_status), the site, then that status added to it."""
    target = small_warehouse.workdir / "target"
    status = small_warehouse.run("--quiet", "run-operation", "build_status")
    (target / "build_status.json").write_text(status.stdout)
    small_warehouse.run("docs", "generate", "--static", vars=AS_OF)
    added = subprocess.run(
        [
            str(BIN_DIR / "python"),
            str(PROJECT_DIR / "scripts" / "docs_build_status.py"),
            str(target / "build_status.json"),
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert added.returncode == 0, added.stdout + added.stderr
    return target


@pytest.fixture(scope="module")
def expected_status(small_warehouse) -> dict[str, str]:
    """What the status must say, from the build's own results and the mart, not from the run
    history the site reads: the build's as_of_date, the mart's rows, every check of
    run_results.json passed."""
    run = json.loads((small_warehouse.workdir / "build_run_results.json").read_text())
    checks = [r for r in run["results"] if r["unique_id"].split(".")[0] in {"test", "unit_test"}]
    assert checks and all(r["status"] == "pass" for r in checks), "the small build's checks should all pass"
    (customers,) = small_warehouse.query("select count(*) as n from customer_features")
    return {
        "as_of_date": f"as_of_date {AS_OF['as_of_date']}",
        "customers": f"{customers['n']:,} customers",
        "checks": f"checks: all {len(checks):,} passed",
    }


@pytest.fixture(scope="module")
def manifest(docs_target: Path) -> dict:
    return json.loads((docs_target / "manifest.json").read_text())


@pytest.fixture(scope="module")
def catalog(docs_target: Path) -> dict:
    return json.loads((docs_target / "catalog.json").read_text())


def own(resources: dict) -> list[dict]:
    return [r for r in resources.values() if r.get("package_name") == "customer_mart"]


def undescribed(resources: list[dict]) -> list[str]:
    return sorted(r["unique_id"] for r in resources if not (r.get("description") or "").strip())


# --- every resource described ----------------------------------------------------------------


def test_every_model_seed_snapshot_analysis_and_singular_test_is_described(manifest: dict) -> None:
    nodes = own(manifest["nodes"])
    kinds = {"model", "seed", "snapshot", "analysis"}
    described = [n for n in nodes if n["resource_type"] in kinds]
    singular_tests = [n for n in nodes if n["resource_type"] == "test" and not n.get("test_metadata")]
    assert {n["name"] for n in described if n["resource_type"] == "analysis"} >= ANALYSES
    assert singular_tests, "no singular test found"
    missing = undescribed(
        described
        + singular_tests
        + own(manifest["unit_tests"])
        + own(manifest["exposures"])
        + list(manifest["sources"].values())
    )
    assert not missing, "without a description:\n  " + "\n  ".join(missing)


def test_every_column_is_described(manifest: dict, catalog: dict) -> None:
    missing = []
    for node in own(manifest["nodes"]):
        if node["resource_type"] not in {"model", "seed", "snapshot", "analysis"}:
            continue
        documented = {name for name, c in node["columns"].items() if (c.get("description") or "").strip()}
        missing += [f"{node['unique_id']}.{c}" for c in node["columns"] if c not in documented]
        # Every column the warehouse holds, not only those the YAML lists.
        built = catalog["nodes"].get(node["unique_id"], {}).get("columns", {})
        missing += [
            f"{node['unique_id']}.{c.lower()} (not in YAML)" for c in built if c.lower() not in documented
        ]
    for source in manifest["sources"].values():
        documented = {name for name, c in source["columns"].items() if (c.get("description") or "").strip()}
        contract = {name for name, _ in RAW_COLUMNS[source["name"]]}
        missing += [f"{source['unique_id']}.{c}" for c in sorted(contract - documented)]
    assert not missing, "columns without a description:\n  " + "\n  ".join(missing)


def macro_parameters(macro: dict) -> list[str]:
    """The parameter names of a `{% macro %}` or `{% test %}` as written in its SQL."""
    found = re.search(r"{%-?\s*(?:macro|test)\s+\w+\s*\((.*?)\)\s*-?%}", macro["macro_sql"], re.S)
    assert found, f"cannot read the signature of {macro['unique_id']}"
    return [p.split("=")[0].strip() for p in found.group(1).split(",") if p.strip()]


def test_every_macro_and_generic_test_and_its_arguments_are_described(manifest: dict) -> None:
    macros = own(manifest["macros"])
    assert any(m["name"].startswith("test_") for m in macros)
    problems = [f"{m['unique_id']}: no description" for m in macros if not m["description"].strip()]
    for macro in macros:
        documented = {a["name"]: a for a in macro["arguments"]}
        for name in macro_parameters(macro):
            if not (documented.get(name, {}).get("description") or "").strip():
                problems.append(f"{macro['unique_id']}: argument {name} not described")
    assert not problems, "\n".join(problems)


def test_overview_page_and_exposures(manifest: dict) -> None:
    overview = manifest["docs"]["doc.customer_mart.__overview__"]["block_contents"]
    assert "customer_features" in overview and "pipeline" in overview.lower()
    exposures = {e["name"]: e for e in own(manifest["exposures"])}
    assert set(exposures) == {"customer_segmentation", "weekly_marketing_extract"}
    for exposure in exposures.values():
        assert "model.customer_mart.customer_features" in exposure["depends_on"]["nodes"]
        assert exposure["owner"]["name"]


def test_analyses_run_and_return_their_documented_columns(manifest: dict, small_warehouse) -> None:
    analyses = {n["name"]: n for n in own(manifest["nodes"]) if n["resource_type"] == "analysis"}
    with duckdb.connect(str(small_warehouse.duckdb_path), read_only=True) as con:
        for name in sorted(ANALYSES):
            sql = analyses[name]["compiled_code"]
            # Portable SQL only: the same files compile for Redshift.
            assert not re.search(r"::|\bqualify\b|\bmedian\s*\(", sql, re.I), name
            cursor = con.execute(sql)
            rows = cursor.fetchall()
            assert rows, f"{name} returned nothing on the generated sample"
            assert [d[0] for d in cursor.description] == list(analyses[name]["columns"]), name


# --- the site in a browser -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_docs(small_warehouse, docs_target: Path) -> Iterator[str]:
    """`dbt docs serve` on 127.0.0.1 and a free port, as `make docs` runs it."""
    port = free_port()
    log = docs_target.parent / "docs-serve.log"
    command = [
        str(BIN_DIR / "dbt"),
        "docs",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-browser",
        "--profiles-dir",
        str(small_warehouse.workdir / "profiles"),
        "--target-path",
        str(docs_target),
        "--log-path",
        str(small_warehouse.workdir / "logs"),
    ]
    with log.open("w") as out:
        server = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=small_warehouse.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dbt docs serve did not answer on {url}:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    require(
        f"Chromium at {CHROMIUM} (or set CHROMIUM)",
        Path(CHROMIUM).exists(),
        "sudo apt-get install -y chromium",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


def column_rows(page) -> dict[str, object]:
    rows = page.locator("tr.column-row")
    rows.first.wait_for(timeout=30_000)
    return {rows.nth(i).locator("td").first.inner_text().strip(): rows.nth(i) for i in range(rows.count())}


def check_model_page(page, manifest: dict) -> None:
    """The page lists every column of the mart with its description, and a doc block renders."""
    page.get_by_role("heading", name=re.compile("customer_features")).first.wait_for(timeout=30_000)
    rows = column_rows(page)
    model = manifest["nodes"]["model.customer_mart.customer_features"]
    assert list(rows) == list(model["columns"])
    assert "Age in years, from users." in rows["age"].inner_text()
    # A doc block, expanded: its Markdown (prose and the table of levels) is rendered.
    rows["profit_level"].click()
    page.get_by_text("compared in whole cents").filter(visible=True).first.wait_for(timeout=10_000)
    page.get_by_role("cell", name="$150.00 or more").filter(visible=True).first.wait_for(timeout=10_000)


def test_served_site_shows_the_mart_its_columns_and_its_lineage(
    page, served_docs: str, manifest: dict
) -> None:
    page.goto(served_docs + MODEL_PAGE)
    check_model_page(page, manifest)
    screenshot(page, "docs-customer_features.png")

    page.locator('a[title="View Lineage Graph"]').click()
    page.wait_for_selector("#cy canvas", timeout=30_000)
    # Cytoscape keeps its instance on the container; wait until it has laid out and drawn nodes.
    page.wait_for_function(
        """() => {
            const cy = document.getElementById('cy')._cyreg?.cy;
            if (!cy || cy.nodes().length === 0) return false;
            return [...document.querySelectorAll('#cy canvas')].some(canvas => {
                const { width, height } = canvas;
                if (!width || !height) return false;
                const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
                return false;
            });
        }""",
        timeout=30_000,
    )
    labels = page.evaluate("() => document.getElementById('cy')._cyreg.cy.nodes().map(n => n.data('label'))")
    # The mart, what it is built from, and who uses it.
    assert {"customer_features", "int_customers_in_scope", "int_customers_profit_level"} <= set(labels)
    assert {"Customer segmentation (k-means)", "Weekly marketing extract"} <= set(labels)
    screenshot(page, "docs-customer_features-lineage.png")


def check_status(page, expected: dict[str, str], lead: str) -> str:
    """The status paragraph (after its heading or lead) holds the build's as_of_date, customers
    and check status."""
    paragraph = page.locator("p", has_text=lead).filter(visible=True).first
    paragraph.wait_for(timeout=30_000)
    text = " ".join(paragraph.inner_text().split())
    for what, words in expected.items():
        assert words in text, f"{what}: {words!r} not in {text!r}"
    return text


def test_served_overview_shows_the_latest_build(page, served_docs: str, expected_status: dict) -> None:
    page.goto(served_docs + "#!/overview")
    page.get_by_role("heading", name="The latest build").wait_for(timeout=30_000)
    check_status(page, expected_status, "customer_features was built for")
    screenshot(page, "docs-overview.png")


def test_makefile_adds_the_status_to_the_site_it_serves() -> None:
    """Reads text only: `make docs` and `make docs-static` run what docs_target runs, in order."""
    makefile = (PROJECT_DIR / "Makefile").read_text()
    for target in ("docs", "docs-static"):
        recipe = re.search(rf"^{target}: setup\n((?:\t.*\n)+)", makefile, re.M).group(1)
        steps = [
            recipe.index("run-operation build_status"),
            recipe.index("docs generate"),
            recipe.index("scripts/docs_build_status.py"),
        ]
        assert steps == sorted(steps), recipe


def test_served_overview_guides_a_new_analyst(page, served_docs: str) -> None:
    page.goto(served_docs + "#!/overview")
    page.get_by_role("heading", name="Where to start").wait_for(timeout=30_000)
    link = page.get_by_role("link", name="customer_features").first
    link.click()
    page.wait_for_url(re.compile(re.escape(MODEL_PAGE)))
    column_rows(page)


def test_static_page_works_without_a_server(
    page, docs_target: Path, manifest: dict, expected_status: dict
) -> None:
    static = docs_target / "static_index.html"
    assert static.stat().st_size > 100_000
    page.goto(static.as_uri() + MODEL_PAGE)
    check_model_page(page, manifest)
    # The page the weekly task publishes: the build's status on the mart's page and the overview.
    check_status(page, expected_status, "The latest build")
    screenshot(page, "docs-static-customer_features.png")
    page.goto(static.as_uri() + "#!/overview")
    check_status(page, expected_status, "customer_features was built for")
