"""The migrated database matches the seed design (../shared/tools/schema_check.py), and models match
migrations."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from devtools.testing import owner_database_url, shared_path


@pytest.mark.django_db
def test_schema_matches_the_seed_with_only_documented_deviations():
    # given a test database migrated from scratch by the test run
    tool = shared_path("tools/schema_check.py")
    seed = next(shared_path("seed").glob("*.txt"))
    # when the design's own checker compares it with the seed
    result = subprocess.run(
        [
            sys.executable,
            str(tool),
            "--dsn",
            owner_database_url(),
            "--seed",
            str(seed),
            "--deviations",
            str(Path(settings.BASE_DIR) / "docs" / "schema-deviations.txt"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then nothing fails; the summary lists all 33 tables and 55 indexes
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 fail " in summary
    assert "table 33/33" in summary
    assert "index 55/55" in summary


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_offer_clicks_is_partitioned_by_month_with_a_default_partition():
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'offer_clicks'::regclass")
        assert cur.fetchone() == ("r",)
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'offer_clicks'::regclass"
        )
        assert "offer_clicks_default" in {r[0] for r in cur.fetchall()}
