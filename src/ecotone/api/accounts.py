"""Signing in and out, the caller's own account, accounts and tokens, sharing between hubs, and a person's data on
request."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..services import accounts, people
from ..store import Atlas
from ..store.atlas import NotSignedIn
from .auth import SESSION_COOKIE, principal
from .deps import atlas_of, json_response
from .schemas import ProblemDetail

__all__ = ["router"]

router = APIRouter(responses={401: {"model": ProblemDetail}, 403: {"model": ProblemDetail},
                              404: {"model": ProblemDetail}, 422: {"model": ProblemDetail}})
Id = Annotated[int, Path(ge=1, le=2 ** 63 - 1)]


class SignIn(BaseModel):
    """An e-mail and a password."""

    model_config = ConfigDict(extra="forbid")
    # No length rules here: an over-long e-mail or password is a failed sign-in like any other, said in words
    email: str
    password: str


class Me(BaseModel):
    """Who is calling: anonymous, or an account with its role, hubs and organisation."""

    signed_in: bool
    email: Optional[str] = None
    role: Optional[str] = None
    hub_ids: list[int] = []
    organization_id: Optional[int] = None
    via: str


class UserCreate(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    name: str = Field(min_length=1, max_length=300)
    role: str = Field(pattern="^(admin|manager|editor|viewer)$")
    password: str = Field(min_length=accounts.MIN_PASSWORD, max_length=1000)
    hubs: list[str] = Field(default=[], max_length=100)
    organization: Optional[str] = Field(None, max_length=300)


class UserUpdate(BaseModel):
    """Fields of an account to change; ``hubs`` replaces its hubs."""

    model_config = ConfigDict(extra="forbid")
    name: Optional[str] = Field(None, min_length=1, max_length=300)
    role: Optional[str] = Field(None, pattern="^(admin|manager|editor|viewer)$")
    password: Optional[str] = Field(None, min_length=accounts.MIN_PASSWORD, max_length=1000)
    hubs: Optional[list[str]] = Field(None, max_length=100)
    organization: Optional[str] = Field(None, max_length=300)
    active: Optional[bool] = None


class TokenCreate(BaseModel):
    """A label for a new API token of the caller's own."""

    model_config = ConfigDict(extra="forbid")
    label: Optional[str] = Field(None, max_length=200)


class ShareCreate(BaseModel):
    """The hub to grant network access to."""

    model_config = ConfigDict(extra="forbid")
    with_hub: str = Field(max_length=300, description="The hub (name or id) whose members may see network records.")


@router.post("/login", tags=["accounts"], summary="Sign in: a session cookie for the browser")
def login(request: Request, body: SignIn, atlas: Atlas = Depends(atlas_of)) -> Response:
    secret, who = accounts.sign_in(atlas, body.email, body.password)
    response = json_response({"email": who.email, "role": who.role.value if who.role else None})
    response.set_cookie(SESSION_COOKIE, secret, max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout", tags=["accounts"], status_code=204, summary="Sign out of this browser session")
def logout(request: Request, atlas: Atlas = Depends(atlas_of)) -> Response:
    if request.cookies.get(SESSION_COOKIE):
        accounts.sign_out(atlas, request.cookies[SESSION_COOKIE])
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/v1/me", tags=["accounts"], response_model=Me, summary="Who is calling")
def me(request: Request) -> dict[str, Any]:
    p = principal(request)
    return {"signed_in": p.signed_in, "email": p.email, "role": p.role.value if p.role else None,
            "hub_ids": sorted(p.hubs), "organization_id": p.organization_id, "via": p.via}


@router.get("/api/v1/users", tags=["accounts"], summary="Accounts (admins: all; managers: their hubs' members)")
def users(atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    found = accounts.list_users(atlas)
    return {"data": found, "count": len(found)}


@router.post("/api/v1/users", tags=["accounts"], status_code=201, summary="Create an account")
def add_user(body: UserCreate, atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    return accounts.add_user(atlas, body.email, name=body.name, role=body.role, password=body.password,
                             hubs=body.hubs, organization=body.organization)


@router.patch("/api/v1/users/{email}", tags=["accounts"], summary="Change an account")
def update_user(email: str, body: UserUpdate, atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    return accounts.update_user(atlas, email, **body.model_dump(exclude_unset=True))


@router.delete("/api/v1/users/{email}", tags=["accounts"], status_code=204, summary="Remove an account")
def remove_user(email: str, atlas: Atlas = Depends(atlas_of)) -> Response:
    accounts.remove_user(atlas, email)
    return Response(status_code=204)


@router.post("/api/v1/tokens", tags=["accounts"], status_code=201,
             summary="A new API token of your own (shown once; only its hash is kept)")
def create_token(request: Request, body: TokenCreate, atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    p = principal(request)
    if not p.signed_in:
        raise NotSignedIn("sign in to create an API token")
    return {"token": accounts.create_token(atlas, p.email or "", body.label), "label": body.label}


@router.delete("/api/v1/tokens/{token_id}", tags=["accounts"], status_code=204, summary="Revoke a token")
def revoke_token(token_id: Id, atlas: Atlas = Depends(atlas_of)) -> Response:
    accounts.revoke_token(atlas, token_id)
    return Response(status_code=204)


@router.get("/api/v1/hubs/{hub_id}/shares", tags=["hubs"], summary="Which hubs a hub shares with, and which share "
            "with it")
def hub_shares(hub_id: Id, atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    atlas.hub_id(hub_id)
    found = accounts.shares(atlas, str(hub_id))
    return {"data": found, "count": len(found)}


@router.post("/api/v1/hubs/{hub_id}/shares", tags=["hubs"], status_code=201,
             summary="Grant another hub network access to this hub's records (its managers and admins)")
def share(body: ShareCreate, hub_id: Id, atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    return accounts.share(atlas, str(hub_id), body.with_hub)


@router.delete("/api/v1/hubs/{hub_id}/shares/{with_hub_id}", tags=["hubs"], status_code=204,
               summary="Withdraw a grant")
def unshare(hub_id: Id, with_hub_id: Id, atlas: Atlas = Depends(atlas_of)) -> Response:
    accounts.unshare(atlas, str(hub_id), str(with_hub_id))
    return Response(status_code=204)


@router.get("/api/v1/people/{record_id}/data", tags=["people"],
            summary="Everything held about a person (GDPR art. 15)")
def person_data(record_id: Id, atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    return people.export_person(atlas, str(record_id))


@router.delete("/api/v1/people/{record_id}/data", tags=["people"],
               summary="Erase a person and their fields in the history (GDPR art. 17)")
def erase_person(record_id: Id, atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    return people.erase_person(atlas, str(record_id))
