"""The access API: requests, reviews, grants, duties, appeals, breaches, sanctions, inbox.

Routes parse, authorise (one declared permission each; objects are checked in the services),
call the services and shape the answer; write routes commit. Actions are POSTs to
sub-resources (``/requests/{id}/decision``, ``/grants/{id}/revocation``).
"""

from __future__ import annotations

from fastapi import APIRouter

from accord.access.api import appeals, breaches, grants, notifications, requests, reviews

router = APIRouter()
for module in (requests, reviews, grants, appeals, breaches, notifications):
    router.include_router(module.router)

__all__ = ["router"]
