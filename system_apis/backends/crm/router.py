"""The CRM stand-in's REST API, shaped like Salesforce's ``/services/data/v59.0``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from system_apis.backends.crm import describe
from system_apis.backends.crm.cursors import QueryRunner, batch_size_from
from system_apis.backends.crm.errors import malformed_query, not_found
from system_apis.backends.crm.records import DATA_PATH, parse_body
from system_apis.backends.crm.service import SObjects, selected_fields
from system_apis.backends.crm.sobjects import SObjectSpec, sobject

QueryOptions = Annotated[str | None, Header(alias="Sforce-Query-Options")]
Soql = Annotated[str | None, Query(alias="q")]
Fields = Annotated[str | None, Query(alias="fields")]


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _object(name: str) -> SObjectSpec:
    spec = sobject(name)
    if spec is None:
        raise not_found()
    return spec


def _saved(record_id: str, status: int, **extra: Any) -> JSONResponse:
    body = {"id": record_id, "success": True, "errors": [], **extra}
    return JSONResponse(body, status_code=status)


def versions_router() -> APIRouter:
    router = APIRouter(prefix="/services/data", tags=["versions"])

    @router.get("")
    async def list_versions(request: Request) -> list[dict[str, str]]:
        return describe.versions(_root(request))

    return router


def data_router(records: SObjects, queries: QueryRunner) -> APIRouter:
    router = APIRouter(prefix=DATA_PATH, tags=["data"])
    _add_query_routes(router, queries)
    _add_describe_routes(router)
    _add_record_routes(router, records)
    _add_external_id_routes(router, records)
    return router


def _add_query_routes(router: APIRouter, queries: QueryRunner) -> None:
    async def start(
        request: Request, soql: str | None, options: str | None, include_deleted: bool
    ) -> dict[str, Any]:
        if not soql or not soql.strip():
            raise malformed_query("Missing required query parameter: q")
        batch = batch_size_from(options, queries.min_batch_size)
        return await queries.start(
            soql,
            include_deleted=include_deleted,
            batch_size=batch,
            root=_root(request),
        )

    @router.get("/query")
    async def query(request: Request, q: Soql = None, options: QueryOptions = None) -> Any:
        return await start(request, q, options, include_deleted=False)

    @router.get("/queryAll")
    async def query_all(request: Request, q: Soql = None, options: QueryOptions = None) -> Any:
        return await start(request, q, options, include_deleted=True)

    @router.get("/query/{locator}")
    async def query_more(request: Request, locator: str) -> Any:
        return await queries.more(locator, include_deleted=False, root=_root(request))

    @router.get("/queryAll/{locator}")
    async def query_all_more(request: Request, locator: str) -> Any:
        return await queries.more(locator, include_deleted=True, root=_root(request))


def _add_describe_routes(router: APIRouter) -> None:
    @router.get("")
    async def list_resources(request: Request) -> dict[str, str]:
        return describe.resources(_root(request))

    @router.get("/sobjects")
    async def describe_global(request: Request) -> dict[str, Any]:
        return describe.describe_global(_root(request))

    @router.get("/sobjects/{object_name}")
    async def object_info(request: Request, object_name: str) -> dict[str, Any]:
        summary = describe.object_summary(_object(object_name), _root(request))
        return {"objectDescribe": summary, "recentItems": []}

    @router.get("/sobjects/{object_name}/describe")
    async def describe_object(request: Request, object_name: str) -> dict[str, Any]:
        return describe.describe(_object(object_name), _root(request))


def _add_record_routes(router: APIRouter, records: SObjects) -> None:
    @router.post("/sobjects/{object_name}")
    async def create(request: Request, object_name: str) -> JSONResponse:
        spec = _object(object_name)
        record_id = await records.create(spec, parse_body(await request.body(), spec))
        return _saved(record_id, 201)

    @router.get("/sobjects/{object_name}/{record_id}")
    async def read(
        request: Request, object_name: str, record_id: str, fields: Fields = None
    ) -> dict[str, Any]:
        spec = _object(object_name)
        chosen = selected_fields(spec, fields)
        return await records.read(spec, record_id, chosen, _root(request))

    @router.patch("/sobjects/{object_name}/{record_id}", status_code=204)
    async def update(request: Request, object_name: str, record_id: str) -> Response:
        spec = _object(object_name)
        await records.update(spec, record_id, parse_body(await request.body(), spec))
        return Response(status_code=204)

    @router.delete("/sobjects/{object_name}/{record_id}", status_code=204)
    async def delete(object_name: str, record_id: str) -> Response:
        await records.delete(_object(object_name), record_id)
        return Response(status_code=204)


def _add_external_id_routes(router: APIRouter, records: SObjects) -> None:
    @router.get("/sobjects/{object_name}/{field_name}/{value:path}")
    async def read_by_external_id(
        request: Request, object_name: str, field_name: str, value: str, fields: Fields = None
    ) -> dict[str, Any]:
        spec = _object(object_name)
        chosen = selected_fields(spec, fields)
        return await records.read_by_external_id(spec, field_name, value, chosen, _root(request))

    @router.patch("/sobjects/{object_name}/{field_name}/{value:path}")
    async def upsert(
        request: Request, object_name: str, field_name: str, value: str
    ) -> JSONResponse:
        spec = _object(object_name)
        body = parse_body(await request.body(), spec)
        record_id, created = await records.upsert(spec, field_name, value, body)
        return _saved(record_id, 201 if created else 200, created=created)
