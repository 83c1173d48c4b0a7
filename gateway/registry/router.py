"""The admin API for registered APIs: ``/admin/apis``.

Every route depends on the guard given to the factory (the gateway passes OAuth's
``require_scopes("admin")``). Responses carry ``ETag: "<revision>"``; a PATCH or DELETE with
``If-Match`` only applies when the API is still at that revision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response, status

from gateway.registry import upstream_auth
from gateway.registry.schemas import ApiList, ApiOut, ApiRegistration, ApiUpdate, Layer
from gateway.registry.service import RegistryService
from gateway.registry.store import RegisteredApi
from strata.errors import problem_responses
from strata.json_body import StrictJsonRoute

_NO_MATCH = -1
IfMatch = Annotated[str | None, Header(description='Only if still at this ETag: "<revision>"')]


def to_out(api: RegisteredApi) -> ApiOut:
    return ApiOut(
        name=api.name,
        layer=api.layer,
        version=api.version,
        description=api.description,
        prefix=api.prefix,
        targets=list(api.targets),
        timeout_seconds=api.timeout_seconds,
        retries=api.retries,
        read_scope=api.read_scope,
        write_scope=api.write_scope,
        public=api.public,
        rate_tier=api.rate_tier,
        cors_origins=list(api.cors_origins),
        openapi_url=api.openapi_url,
        upstream_auth=upstream_auth.shown(api.upstream_auth),
        builtin=api.builtin,
        revision=api.revision,
        created_at=api.created_at,
        updated_at=api.updated_at,
    )


def _etag(api: RegisteredApi) -> str:
    return f'"{api.revision}"'


def _expected_revision(if_match: str | None) -> int | None:
    """The revision an ``If-Match`` header asks for; None for no header or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() and len(tag) <= 18 else _NO_MATCH


def create_admin_router(service: RegistryService, guard: Callable[..., Any]) -> APIRouter:
    router = APIRouter(
        route_class=StrictJsonRoute,
        prefix="/admin/apis",
        tags=["admin: apis"],
        dependencies=[Depends(guard)],
    )

    @router.post(
        "",
        status_code=status.HTTP_201_CREATED,
        summary="Register an API",
        responses=problem_responses(401, 403, 409, 422),
    )
    async def register_api(registration: ApiRegistration, response: Response) -> ApiOut:
        api = await service.register(registration)
        response.headers["Location"] = f"{router.prefix}/{api.name}"
        response.headers["ETag"] = _etag(api)
        return to_out(api)

    @router.get("", summary="List registered APIs", responses=problem_responses(401, 403, 422))
    async def list_apis(
        layer: Annotated[Layer | None, Query(description="Only this layer")] = None,
    ) -> ApiList:
        revision = await service.revision()
        apis = await service.list(layer)
        return ApiList(items=[to_out(api) for api in apis], revision=revision)

    @router.get("/{name}", summary="One registered API", responses=problem_responses(401, 403, 404))
    async def get_api(name: str, response: Response) -> ApiOut:
        api = await service.get(name)
        response.headers["ETag"] = _etag(api)
        return to_out(api)

    @router.patch(
        "/{name}",
        summary="Change a registered API",
        responses=problem_responses(401, 403, 404, 409, 412, 422),
    )
    async def update_api(
        name: str, changes: ApiUpdate, response: Response, if_match: IfMatch = None
    ) -> ApiOut:
        api = await service.update(name, changes, expected_revision=_expected_revision(if_match))
        response.headers["ETag"] = _etag(api)
        return to_out(api)

    @router.delete(
        "/{name}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Remove a registered API",
        responses=problem_responses(401, 403, 404, 409, 412),
    )
    async def delete_api(name: str, if_match: IfMatch = None) -> Response:
        await service.delete(name, expected_revision=_expected_revision(if_match))
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
