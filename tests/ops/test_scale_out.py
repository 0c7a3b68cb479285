"""Scale-out: the production layout of docs/production (its environment file, systemd units and
nginx site, used as they are) with 2 API processes behind Debian's nginx over TLS, 2 sandbox
workers, PostgreSQL and moto's S3 server takes a mixed load (search, download, access requests,
sandbox jobs, log appends): no 5xx, one consistent log (`accord log verify`), every blob
verifiable (`accord verify`). Also: CORS stays closed by default behind the proxy.

Needs PostgreSQL (``ACCORD_TEST_DATABASE_URL``) and nginx (``scripts/test.sh`` installs Debian's
package when it runs as root); skipped, saying which is missing, otherwise.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord.config import Settings
from tests.conftest import PG_ENV
from tests.ops.mixed_load import make_plan, run
from tests.ops.production import NGINX, Deployment
from tests.storage.conftest import AWS_ENV, moto_endpoint, s3_bucket  # noqa: F401 (fixtures)

LOAD_SECONDS = 15.0
CLIENT_THREADS = 6

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not NGINX.exists(), reason="nginx is not installed (apt-get install nginx)"),
    pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set: needs PostgreSQL"),
]


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory,
    moto_endpoint: str,  # noqa: F811 (the storage tests' fixture)
    s3_bucket: str,  # noqa: F811
) -> Iterator[Deployment]:
    url = _database()
    layout = Deployment(
        work=tmp_path_factory.mktemp("scale"),
        database_url=url,
        storage_url=f"s3://{s3_bucket}/{uuid.uuid4().hex[:12]}/blobs?endpoint={moto_endpoint}",
        aws=AWS_ENV,
        extra_env={"ACCORD_API_REQUESTS_PER_MINUTE": "100000"},
    )
    layout.prepare()
    layout.start()
    try:
        yield layout
    finally:
        layout.stop()
        _drop(url)


def test_two_api_processes_behind_nginx_take_a_mixed_load(deployment: Deployment) -> None:
    settings = Settings(
        data_dir=Path(deployment.values["DATA_DIR"]), database_url=deployment.database_url
    )
    with deployment.client() as http:
        plan = make_plan(http, settings)
        assert plan.downloads, "the demo has open files to download"
        redirect = http.get(
            f"http://127.0.0.1:{deployment.values['HTTP_PORT']}/healthz", follow_redirects=False
        )
        assert redirect.status_code == 301
        assert redirect.headers["location"].startswith("https://127.0.0.1")
        served = http.get("/healthz")
        assert served.headers["strict-transport-security"] == "max-age=63072000"
        assert "server" not in served.headers or "nginx/" not in served.headers["server"]

    tally = run(deployment.client, plan, LOAD_SECONDS, CLIENT_THREADS)

    assert not tally.failures, tally.failures[:5]
    assert tally.server_errors() == {}, tally.statuses
    kinds = tally.by_kind()
    assert set(kinds) == {"search", "download", "request", "job", "append"}, kinds
    for kind in ("search", "download", "append"):
        assert tally.statuses[(kind, 200)] > 0, tally.statuses
    assert tally.statuses[("request", 201)] > 0, tally.statuses
    assert tally.statuses[("job", 202)] > 0, tally.statuses
    served = [p.read_text().count('"event": "request"') for p in _api_logs(deployment)]
    assert len(served) == 2 and min(served) > 0, f"nginx spread the load: {served}"

    log = deployment.accord("log", "verify")
    assert log.returncode == 0, log.stdout + log.stderr
    assert log.stdout.startswith("OK  log 127.0.0.1:")
    blobs = deployment.accord("verify")
    assert blobs.returncode == 0, blobs.stdout + blobs.stderr
    assert "all good" in blobs.stdout


def test_cors_is_closed_by_default(deployment: Deployment) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    with deployment.client() as http:
        simple = http.get("/api/v1/datasets", headers=origin)
        assert simple.status_code == 200
        assert "access-control-allow-origin" not in simple.headers
        preflight = http.options(
            "/api/v1/datasets",
            headers={**origin, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code < 500
        assert "access-control-allow-origin" not in preflight.headers
        assert "access-control-allow-methods" not in preflight.headers


def _api_logs(deployment: Deployment) -> list[Path]:
    return sorted((deployment.work / "logs").glob("api-*.log"))


def _database() -> str:
    base = os.environ[PG_ENV]
    name = f"accord_scale_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(os.environ[PG_ENV], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
