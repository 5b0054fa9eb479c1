"""The Dagster instance of a Cadence home: where runs, their events, the sensors' cursors and the
schedules' ticks are kept. `$CADENCE_HOME/dagster` is its DAGSTER_HOME; the storage is SQLite
files there (Dagster's own, through orchestration/dagster_sqlite.py, which keeps their connections
open), or PostgreSQL when the setting `dagster_postgres_url` (CADENCE_DAGSTER_POSTGRES_URL,
orchestration/settings.py) names a database: dagster-postgres, with the settings of
orchestration/dagster_postgres.yaml.

The choice is written into `dagster.yaml` each time an instance is made, so the file always says
which storage the runs, `make dev` and a daemon on that DAGSTER_HOME use.

`python -m orchestration.dagster_instance` prepares DAGSTER_HOME (as `make dev` does) and prints it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dagster as dg

from orchestration.settings import POSTGRES_URL, Settings

POSTGRES_CONFIG = Path(__file__).with_name("dagster_postgres.yaml")
SQLITE_CONFIG = Path(__file__).with_name("dagster_sqlite.yaml")


class DagsterStorageError(RuntimeError):
    """The configured Dagster storage cannot be opened."""


def without_password(url: str) -> str:
    """`url` fit for a message: its password, if any, replaced by `***`."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def prepare_dagster_home(settings: Settings) -> Path:
    """$CADENCE_HOME/dagster with the `dagster.yaml` of the configured storage; DAGSTER_HOME
    points at it for this process and the ones it starts (a daemon's runs, `make dev`)."""
    dagster_home = settings.home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    wanted = (POSTGRES_CONFIG if settings.dagster_postgres_url else SQLITE_CONFIG).read_text()
    if not config.is_file() or config.read_text() != wanted:
        config.write_text(wanted)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home


def dagster_instance(settings: Settings) -> dg.DagsterInstance:
    """The instance of the settings' home, on the storage they select."""
    prepare_dagster_home(settings)
    if settings.dagster_postgres_url is not None:
        check_reachable(settings.dagster_postgres_url)
    return dg.DagsterInstance.get()


def check_reachable(url: str) -> None:
    """Connect once, so that a wrong URL or a server that is down is one clear line, not
    dagster-postgres's retries and a stack trace."""
    import psycopg2

    try:
        psycopg2.connect(url, connect_timeout=10).close()
    except psycopg2.Error as error:
        reason = " ".join(str(error).split())
        raise DagsterStorageError(
            f"{POSTGRES_URL}={without_password(url)}: cannot connect: {reason}"
        ) from error


if __name__ == "__main__":
    print(prepare_dagster_home(Settings.from_env()))
