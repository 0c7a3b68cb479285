"""The FastAPI app factory: API routers from the domains, HTML pages, static files, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import swagger_ui_bundle
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from accord import __version__
from accord.access import api as access_api
from accord.access import pages as access_pages
from accord.agreements import api as agreements_api
from accord.agreements import pages as agreements_pages
from accord.catalog import api as catalog_api
from accord.catalog import drs as catalog_drs
from accord.catalog import pages as catalog_pages
from accord.config import load_settings
from accord.deid import api as deid_api
from accord.deid import pages as deid_pages
from accord.federation import api as federation_api
from accord.federation import pages as federation_pages
from accord.governance import api as governance_api
from accord.governance import pages as governance_pages
from accord.governance import software as governance_software
from accord.identity import api as identity_api
from accord.identity import pages as identity_pages
from accord.identity import second_factor_api as identity_factors
from accord.identity.token_cache import TokenCache
from accord.ledger import api as ledger_api
from accord.node import NodeContext, read_identity
from accord.ops import api as ops_api
from accord.ops.logs import RequestLog, configure_logging
from accord.ops.metrics import Metrics, MetricsMiddleware
from accord.ops.ratelimit import MemoryLimiter
from accord.reports import api as reports_api
from accord.reports import pages as reports_pages
from accord.sandbox import api as sandbox_api
from accord.standards import api as standards_api
from accord.standards.conneg import ContentNegotiation
from accord.storage import api as storage_api
from accord.web import i18n as web_i18n
from accord.web import pages, problems, system
from accord.web.caching import StaticCaching, static_url_for
from accord.web.middleware import BodyLimit, SecurityHeaders
from accord.web.routes import add_routes

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)

# Routers of every domain, in the order their paths should match. A domain adds one line here.
ROUTERS: list[APIRouter] = [
    system.router,
    identity_api.router,
    identity_pages.router,
    identity_factors.router,
    agreements_api.router,
    agreements_pages.router,
    ledger_api.router,
    storage_api.router,
    catalog_api.router,
    catalog_drs.router,
    standards_api.router,
    catalog_pages.router,
    access_api.router,
    access_pages.router,
    deid_api.router,
    deid_pages.router,
    ops_api.router,
    sandbox_api.router,
    federation_api.router,
    federation_pages.router,
    governance_api.router,
    governance_api.wellknown,
    governance_pages.router,
    reports_api.router,
    reports_pages.router,
    pages.router,
]
# Extra descriptor sections (callables node -> dict) contributed by domains.
DESCRIPTOR_SECTIONS: list[Callable[[NodeContext], dict[str, Any]]] = [
    ledger_api.descriptor_section,
    federation_api.descriptor_section,
    governance_software.descriptor_section,
]
# Mounted static folders: public by declaration (the route audit test reads this).
PUBLIC_MOUNTS = ("/static", "/static/swagger")
# Path prefixes whose bodies may exceed the default limit (they stream and check their own).
UPLOAD_PREFIXES: list[str] = [storage_api.PREFIX]
# Path prefixes of static assets, served with cache headers.
STATIC_PREFIXES: list[str] = ["/static/", "/catalog/static/"]


def create_app(node: NodeContext) -> FastAPI:
    app = FastAPI(
        title="Accord node API",
        version=__version__,
        summary="Trustworthy cross-border research data sharing",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # The node reports through its Prometheus metrics and JSON logs; FastAPI's own
        # OpenTelemetry hooks would only ask on every request whether a provider is set.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.openapi_version = "3.1.0"
    app.state.node = node
    app.state.templates = _templates()
    app.state.descriptor_sections = DESCRIPTOR_SECTIONS
    app.state.metrics = Metrics()
    app.state.token_limiter = MemoryLimiter()
    app.state.token_cache = TokenCache()
    app.state.acting_principal = None  # accord.web.security.act_as
    problems.install(app)
    for router in ROUTERS:
        add_routes(app, router)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_DIR), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(
        BodyLimit,
        default=node.settings.max_body_bytes,
        limits=[(prefix, node.settings.max_upload_bytes) for prefix in UPLOAD_PREFIXES],
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(StaticCaching, prefixes=STATIC_PREFIXES)
    app.add_middleware(web_i18n.Language)
    app.add_middleware(ContentNegotiation)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestLog, enabled=node.settings.access_log)
    return app


def _templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Every page string goes through gettext (``{{ _("...") }}`` or ``{% trans %}``), in the
    # reader's language (accord.web.i18n); dates, numbers and sizes through its format filters.
    web_i18n.install(environment)
    templates = Jinja2Templates(env=environment)
    templates.env.globals["version"] = __version__
    templates.env.globals["static_url"] = static_url_for(STATIC_DIR)
    return templates


def app_from_environment() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (each server process builds its own node)."""
    configure_logging()
    settings = load_settings()
    identity = read_identity(settings.data_dir)
    if identity is None:
        raise SystemExit(f"no node in {settings.data_dir}: run `accord init` first")
    return create_app(NodeContext(settings, identity))
