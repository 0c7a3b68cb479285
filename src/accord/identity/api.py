"""Identity API: organisations, users, roles, accreditations, tokens, and ``/me``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from accord.identity import schemas, service
from accord.identity.models import User
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import NodeContext
from accord.paging import Page
from accord.web.deps import SessionDep
from accord.web.links import paged
from accord.web.security import require, token_holder_of

router = APIRouter(prefix="/api/v1", tags=["identity"])

Limit = Annotated[int, Query(ge=1, le=200)]


def _user_out(user: User) -> schemas.UserOut:
    return schemas.UserOut.model_validate(user)


@router.get("/me", response_model=schemas.Me)
async def me(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.SIGNED_IN))],
) -> schemas.Me | Response:
    """The caller's account (for tokens, as the token cache holds it, serialised once:
    decisions 0008 and 0010)."""
    holder = token_holder_of(request)
    if holder is not None:
        return Response(holder.account_json, media_type="application/json")
    node: NodeContext = request.app.state.node
    return await run_in_threadpool(_account, node, principal)


@router.put("/me/preferences", response_model=schemas.Me)
def set_preferences(
    data: schemas.Preferences,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.SIGNED_IN))],
) -> schemas.Me:
    """Your preferences: the language you read (emails; pages after you sign in)."""
    service.set_preferences(session, principal, data)
    session.commit()
    return service.account(session, principal)


def _account(node: NodeContext, principal: Principal) -> schemas.Me:
    with node.session(readonly=True) as session:
        return service.account(session, principal)


@router.get("/organisations", response_model=Page[schemas.OrganisationOut])
def list_organisations(
    session: SessionDep,
    response: Response,
    _: Annotated[Principal | None, Depends(require(Permission.PUBLIC))],
    limit: Limit = 50,
    cursor: str | None = None,
) -> Page[schemas.OrganisationOut]:
    rows, next_cursor = service.list_organisations(session, limit=limit, cursor=cursor)
    items = [schemas.OrganisationOut.model_validate(r) for r in rows]
    return paged(response, "/api/v1/organisations", items, next_cursor, limit)


@router.post("/organisations", status_code=201, response_model=schemas.OrganisationOut)
def create_organisation(
    body: schemas.OrganisationCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.ORG_CREATE))],
) -> schemas.OrganisationOut:
    org = service.create_organisation(session, principal, body)
    session.commit()
    return schemas.OrganisationOut.model_validate(org)


@router.get("/organisations/{org_id}", response_model=schemas.OrganisationOut)
def get_organisation(
    org_id: str,
    session: SessionDep,
    _: Annotated[Principal | None, Depends(require(Permission.PUBLIC))],
) -> schemas.OrganisationOut:
    return schemas.OrganisationOut.model_validate(service.get_organisation(session, org_id))


@router.get("/users", response_model=Page[schemas.UserOut])
def list_users(
    session: SessionDep,
    response: Response,
    _: Annotated[Principal, Depends(require(Permission.USER_READ))],
    limit: Limit = 50,
    cursor: str | None = None,
    email: Annotated[str | None, Query(max_length=320, description="Exact email")] = None,
) -> Page[schemas.UserOut]:
    rows, next_cursor = service.list_users(session, limit=limit, cursor=cursor, email=email)
    return paged(response, "/api/v1/users", [_user_out(u) for u in rows], next_cursor, limit)


@router.post("/users", status_code=201, response_model=schemas.UserCreated)
def create_user(
    body: schemas.UserCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.USER_CREATE))],
) -> schemas.UserCreated:
    user, password = service.create_user(session, principal, body)
    session.commit()
    return schemas.UserCreated(user=_user_out(user), password=password)


@router.get("/users/{user_id}", response_model=schemas.UserOut)
def get_user(
    user_id: str,
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.USER_READ))],
) -> schemas.UserOut:
    return _user_out(service.get_user(session, user_id))


@router.post("/users/{user_id}/suspension", response_model=schemas.UserOut)
def suspend_user(
    user_id: str,
    body: schemas.Suspension,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.USER_UPDATE))],
) -> schemas.UserOut:
    user = service.set_user_status(session, principal, user_id, suspended=True, reason=body.reason)
    session.commit()
    return _user_out(user)


@router.delete("/users/{user_id}/suspension", response_model=schemas.UserOut)
def reactivate_user(
    user_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.USER_UPDATE))],
) -> schemas.UserOut:
    user = service.set_user_status(
        session, principal, user_id, suspended=False, reason="reactivated"
    )
    session.commit()
    return _user_out(user)


@router.post("/users/{user_id}/roles", status_code=201, response_model=schemas.UserOut)
def add_role(
    user_id: str,
    body: schemas.RoleAdd,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.USER_UPDATE))],
) -> schemas.UserOut:
    user = service.add_role(session, principal, user_id, body)
    session.commit()
    return _user_out(user)


@router.delete("/users/{user_id}/roles/{assignment_id}", response_model=schemas.UserOut)
def remove_role(
    user_id: str,
    assignment_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.USER_UPDATE))],
) -> schemas.UserOut:
    user = service.remove_role(session, principal, user_id, assignment_id)
    session.commit()
    return _user_out(user)


@router.post(
    "/users/{user_id}/accreditations",
    status_code=201,
    response_model=schemas.AccreditationOut,
)
def add_accreditation(
    user_id: str,
    body: schemas.AccreditationCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.ACCREDITATION_GRANT))],
) -> schemas.AccreditationOut:
    accreditation = service.add_accreditation(session, principal, user_id, body)
    session.commit()
    return schemas.AccreditationOut.model_validate(accreditation)


@router.get("/tokens", response_model=list[schemas.TokenOut])
def list_tokens(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TOKEN_CREATE))],
) -> list[schemas.TokenOut]:
    return [
        schemas.TokenOut.model_validate(t) for t in service.list_tokens(session, principal.user_id)
    ]


@router.post("/tokens", status_code=201, response_model=schemas.TokenCreated)
def create_token(
    body: schemas.TokenCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TOKEN_CREATE))],
    user_id: str | None = Query(default=None, description="Admins may issue for another user"),
) -> schemas.TokenCreated:
    secret, token = service.create_token(session, principal, user_id or principal.user_id, body)
    session.commit()
    return schemas.TokenCreated(**schemas.TokenOut.model_validate(token).model_dump(), token=secret)


@router.post("/tokens/{token_id}/revocation", response_model=schemas.TokenOut)
def revoke_token(
    token_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TOKEN_REVOKE))],
) -> schemas.TokenOut:
    token = service.revoke_token(session, principal, token_id)
    session.commit()
    return schemas.TokenOut.model_validate(token)
