"""Set up Superset for the published marts: metadata database, an admin login, the published
file registered read-only, and the dashboard imported from bi/dashboard.

Runs with Superset's own virtualenv (`make bi`, tests/test_superset.py), not the project's.
Usage: superset_setup.py PUBLISHED_FILE; prints the admin's login.
"""

from __future__ import annotations

import os
import secrets
import sys
import zipfile
from pathlib import Path

import yaml

BUNDLE = Path(__file__).parent / "dashboard"
ADMIN = "admin"


def superset(*args: str) -> None:
    """Run one `superset` command in this process: Superset takes tens of seconds to import,
    once instead of once per command."""
    from superset.cli.main import superset as cli

    try:
        cli.main(list(args), standalone_mode=False)
    except SystemExit as stop:
        if stop.code:
            sys.exit(f"superset {' '.join(args)} failed (exit {stop.code})")


def secret(path: Path) -> str:
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def bundle_zip(published_file: Path, into: Path, source: Path = BUNDLE) -> Path:
    """The export bundle `source` as the zip Superset imports, its database pointing at
    `published_file`."""
    archive = into / f"{source.name}.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(source.rglob("*.yaml")):
            relative = path.relative_to(source)
            text = path.read_text()
            if relative.parts[0] == "databases":
                database = yaml.safe_load(text)
                database["sqlalchemy_uri"] = f"duckdb:///{published_file.resolve()}"
                text = yaml.safe_dump(database, sort_keys=False)
            zipped.writestr(f"cadence_dashboard/{relative}", text)
    return archive


def main() -> None:
    published_file = Path(sys.argv[1])
    if not published_file.is_file():
        sys.exit(f"{published_file}: no published file; run `make demo` (or `make run`) first")
    home = Path(os.environ["CADENCE_BI_HOME"])
    secret(home / "secret_key")
    password = secret(home / "admin_password")
    superset("db", "upgrade")
    superset(
        "fab", "create-admin", "--username", ADMIN, "--firstname", "Cadence",
        "--lastname", "Admin", "--email", "admin@localhost", "--password", password,
    )  # fmt: skip
    superset("init")
    bundle = bundle_zip(published_file, home)
    superset("import-dashboards", "--path", str(bundle), "--username", ADMIN)
    print(f"Login:     {ADMIN} / {password} (kept in {home / 'admin_password'})")


if __name__ == "__main__":
    main()
