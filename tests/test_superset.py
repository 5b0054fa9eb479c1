"""The Superset dashboard of bi/dashboard, imported into a fresh Superset over the published file
and rendered in headless Chromium: every chart draws, none shows an error.

Superset lives in its own virtualenv (`make test-bi` installs it and runs this module);
`make test` leaves these tests out (marker `superset`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from bi.superset_setup import ADMIN, bundle_zip
from tests.test_report import CHROMIUM

pytestmark = pytest.mark.superset

BI = Path(__file__).parents[1] / "bi"
CHARTS = len(list((BI / "dashboard" / "charts").glob("*.yaml")))


def bi_venv() -> Path:
    venv = Path(os.environ.get("CADENCE_BI_VENV", ""))
    if not (venv / "bin" / "superset").is_file():
        pytest.fail("no Superset virtualenv: run these tests with `make test-bi`")
    return venv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Superset:
    """A throw-away Superset on 127.0.0.1 whose anonymous visitors read as Admin."""

    def __init__(self, home: Path, published_file: Path):
        self.venv = bi_venv()
        self.home = home
        self.published_file = published_file
        self.port = free_port()
        self.env = {
            **os.environ,
            "CADENCE_BI_HOME": str(home),
            "CADENCE_BI_ANONYMOUS_ADMIN": "1",
            "SUPERSET_CONFIG_PATH": str(BI / "superset_config.py"),
        }
        setup = subprocess.run(
            [str(self.venv / "bin" / "python"), str(BI / "superset_setup.py"), str(published_file)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        assert setup.returncode == 0, setup.stderr[-3000:]
        self.server = subprocess.Popen(
            [str(self.venv / "bin" / "superset"), "run", "--with-threads", *self.address],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(home / "server.log").open("w"),
        )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(2)
        raise AssertionError(f"Superset did not start: {(self.home / 'server.log').read_text()}")

    @property
    def address(self) -> list[str]:
        return ["--host", "127.0.0.1", "--port", str(self.port)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def render(self, slug: str, screenshot: Path | None = None) -> str:
        """The dashboard's DOM once Chromium has let its charts load."""
        page = f"{self.url}/superset/dashboard/{slug}/?standalone=1"
        args = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1600,2400",
            "--virtual-time-budget=90000",
        ]
        if screenshot:
            subprocess.run(
                [*args, f"--screenshot={screenshot}", page], capture_output=True, timeout=300
            )
        return subprocess.run(
            [*args, "--dump-dom", page], capture_output=True, text=True, timeout=300, check=True
        ).stdout

    def import_bundle(self, bundle: Path) -> None:
        archive = bundle_zip(self.published_file, self.home, bundle)
        command = ["import-dashboards", "--path", str(archive), "--username", ADMIN]
        done = subprocess.run(
            [str(self.venv / "bin" / "superset"), *command],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    def stop(self) -> None:
        self.server.terminate()
        try:
            self.server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            # Superset's development server, with threads, at times outlives SIGTERM while a
            # request thread of Chromium's is still open: its shutdown is not under test.
            self.server.kill()
            self.server.wait(timeout=60)


def chart_states(dom: str) -> dict[str, int]:
    """Of the dashboard's charts, how many drew (an ECharts canvas or a table) and how many show
    an error."""
    charts = dom.split('data-test="chart-grid-component"')[1:]
    return {
        "charts": len(charts),
        "drawn": sum("data-zr-dom-id" in c or "<table" in c for c in charts),
        "errors": sum("ant-alert-error" in c for c in charts),
    }


def broken_bundle(into: Path) -> Path:
    """A copy of the dashboard under slug cadence-broken whose monthly chart sums a column the
    mart does not have; new uuids, so it imports beside the real one."""
    bundle = into / "broken_dashboard"
    shutil.copytree(BI / "dashboard", bundle)
    renamed = {}
    for path in [*bundle.glob("charts/*.yaml"), *bundle.glob("dashboards/*.yaml")]:
        renamed[yaml.safe_load(path.read_text())["uuid"]] = str(uuid.uuid4())
    for path in [*bundle.glob("charts/*.yaml"), *bundle.glob("dashboards/*.yaml")]:
        text = path.read_text()
        for old, new in renamed.items():
            text = text.replace(old, new)
        document = yaml.safe_load(text)
        if path.name == "Monthly_touches_orders.yaml":
            document["params"]["metrics"] = [
                {"expressionType": "SQL", "sqlExpression": "sum(no_such_column)", "label": "x"}
            ]
        if "slug" in document:
            document["slug"] = "cadence-broken"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return bundle


@pytest.fixture(scope="module")
def superset(pipeline, tmp_path_factory):
    instance = Superset(
        tmp_path_factory.mktemp("superset"), pipeline.home / "published" / "cadence.duckdb"
    )
    yield instance
    instance.stop()


def test_every_chart_of_the_dashboard_draws(superset, tmp_path):
    dom = superset.render("cadence", tmp_path / "dashboard.png")
    assert chart_states(dom) == {"charts": CHARTS, "drawn": CHARTS, "errors": 0}


def test_a_broken_chart_is_seen(superset, tmp_path):
    superset.import_bundle(broken_bundle(tmp_path))
    states = chart_states(superset.render("cadence-broken"))
    assert states == {"charts": CHARTS, "drawn": CHARTS - 1, "errors": 1}
