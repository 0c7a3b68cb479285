"""Access pages: the request form with the engine's live answer, "my requests and grants",
the committee's queue and decision page, appeals, breach reports, the review body's pages, and
the inbox. Pages call the same services as the API; forms post with the session's CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter

from accord.access.pages import checker, committee, inbox, requester, review_body

router = APIRouter(include_in_schema=False)
for module in (requester, committee, review_body, inbox, checker):
    router.include_router(module.router)

__all__ = ["router"]
