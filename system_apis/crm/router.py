"""Routes of the CRM system API: customers and their activities, in the canonical model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from pydantic import AwareDatetime

from strata.errors import problem_responses
from strata.json_body import StrictJsonRoute
from system_apis.canonical import Customer, CustomerKind, Page
from system_apis.crm.schemas import (
    Activity,
    ActivityCreate,
    CustomerCreate,
    CustomerFields,
    CustomerUpdate,
)
from system_apis.crm.service import CustomerFilters, CustomerService

# Filters are text of the canonical model too: no control characters.
_TEXT = r"^[^\x00-\x1f\x7f]*$"
CustomerId = Annotated[
    str,
    Path(
        description="The customer's id: its 18-character CRM account id (the 15-character "
        "form is accepted too)",
        examples=["001Dn0000000001IAA"],
    ),
]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page"),
]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page")]
_BACKEND_ERRORS = (502, 503, 504)

_CUSTOMER_EXAMPLE = {
    "id": "001Dn0000000001IAA",
    "kind": "company",
    "name": "Globex Energy Inc.",
    "first_name": None,
    "last_name": None,
    "email": "globex1@example.com",
    "phone": "+1-415-555-1001",
    "industry": "Energy",
    "billing_address": {
        "street": "1 Market St",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
        "country": "US",
    },
    "active": True,
    "created_at": "2025-01-09T15:46:00Z",
    "updated_at": "2025-01-09T15:46:00Z",
}
_CREATE_EXAMPLES = {
    "company": {
        "summary": "A company",
        "value": {
            "kind": "company",
            "name": "Initech Technology LLC",
            "email": "purchasing@initech.example.com",
            "phone": "+1-415-555-0100",
            "industry": "Technology",
            "billing_address": {
                "street": "4120 Freidrich Ln",
                "city": "Austin",
                "state": "TX",
                "postal_code": "78744",
                "country": "US",
            },
            "external_id": "ERP-C-1042",
        },
    },
    "person": {
        "summary": "A person",
        "value": {
            "kind": "person",
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace.hopper@example.com",
        },
    },
}


def _service(request: Request) -> CustomerService:
    service: CustomerService = request.app.state.crm_service
    return service


Service = Annotated[CustomerService, Depends(_service)]


def _location(request: Request, path: str) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/") + path


def customers_router() -> APIRouter:
    router = APIRouter(route_class=StrictJsonRoute, prefix="/customers", tags=["customers"])

    @router.get(
        "",
        summary="List customers",
        description="Customers in id order, a page at a time. Filters combine with AND; "
        "text filters ignore case.",
        responses=problem_responses(422, *_BACKEND_ERRORS),
    )
    async def list_customers(
        service: Service,
        name: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=255,
                pattern=_TEXT,
                description="Part of the name",
                examples=["globex"],
            ),
        ] = None,
        city: Annotated[
            str | None, Query(min_length=1, max_length=40, pattern=_TEXT, examples=["Oakland"])
        ] = None,
        industry: Annotated[
            str | None, Query(min_length=1, max_length=255, pattern=_TEXT, examples=["Retail"])
        ] = None,
        active: Annotated[bool | None, Query()] = None,
        kind: Annotated[CustomerKind | None, Query()] = None,
        updated_since: Annotated[
            AwareDatetime | None,
            Query(
                description="Only customers changed at or after this time",
                examples=["2025-06-01T00:00:00Z"],
            ),
        ] = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[Customer]:
        filters = CustomerFilters(name, city, industry, active, kind, updated_since)
        return await service.list_customers(filters, cursor, limit)

    @router.get(
        "/{customer_id}",
        summary="Get a customer",
        responses={
            200: {"content": {"application/json": {"example": _CUSTOMER_EXAMPLE}}},
            **problem_responses(404, 422, *_BACKEND_ERRORS),
        },
    )
    async def get_customer(service: Service, customer_id: CustomerId) -> Customer:
        return await service.get_customer(customer_id)

    @router.post(
        "",
        status_code=201,
        summary="Create a customer",
        description="Creates a company or a person; answers with the customer and its URL in "
        "`Location`. Not retried on a backend failure: check before creating again.",
        responses=problem_responses(409, 422, *_BACKEND_ERRORS),
    )
    async def create_customer(
        request: Request,
        response: Response,
        service: Service,
        data: Annotated[CustomerCreate, Body(openapi_examples=_CREATE_EXAMPLES)],
    ) -> Customer:
        customer = await service.create_customer(data)
        response.headers["Location"] = _location(request, f"/customers/{customer.id}")
        return customer

    @router.patch(
        "/{customer_id}",
        summary="Change a customer",
        description="Changes only the fields given; `null` clears a field. "
        "`billing_address` changes only the parts given.",
        responses=problem_responses(404, 422, *_BACKEND_ERRORS),
    )
    async def update_customer(
        service: Service,
        customer_id: CustomerId,
        changes: Annotated[
            CustomerUpdate,
            Body(
                openapi_examples={
                    "phone": {
                        "summary": "New phone, city cleared",
                        "value": {"phone": "+1-510-555-0199", "billing_address": {"city": None}},
                    },
                }
            ),
        ],
    ) -> Customer:
        return await service.update_customer(customer_id, changes)

    @router.put(
        "/by-external-id/{external_id:path}",
        summary="Create or replace a customer by external id",
        description="Creates the customer with this external id (201, with `Location`) or "
        "replaces the one that has it (200); fields left out are cleared. Safe to repeat. "
        "The kind of an existing customer cannot change.",
        responses={
            201: {"description": "Created", "model": Customer},
            **problem_responses(409, 422, *_BACKEND_ERRORS),
        },
    )
    async def upsert_customer(
        request: Request,
        response: Response,
        service: Service,
        external_id: Annotated[
            str, Path(description="The caller's id for the customer", examples=["ERP-C-1042"])
        ],
        data: Annotated[CustomerFields, Body(openapi_examples=_CREATE_EXAMPLES)],
    ) -> Customer:
        customer, created = await service.upsert_customer(external_id, data)
        if created:
            response.status_code = 201
            response.headers["Location"] = _location(request, f"/customers/{customer.id}")
        return customer

    _add_activity_routes(router)
    return router


def _add_activity_routes(router: APIRouter) -> None:
    @router.get(
        "/{customer_id}/activities",
        summary="List a customer's activities",
        description="Newest first. History reaches back 2000 activities (the CRM's limit on "
        "reading into a result).",
        responses=problem_responses(404, 422, *_BACKEND_ERRORS),
    )
    async def list_activities(
        service: Service,
        customer_id: CustomerId,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[Activity]:
        return await service.list_activities(customer_id, cursor, limit)

    @router.post(
        "/{customer_id}/activities",
        status_code=201,
        summary="Record an activity",
        description="Records a call, email, meeting or order on the customer. With an "
        "`external_id`, recording the same one again updates it (200) instead of adding "
        "another, so the call is safe to repeat. An `external_id` that another customer's "
        "activity has is 409, and that activity stays as it was.",
        responses={
            200: {"description": "Already recorded; updated", "model": Activity},
            **problem_responses(404, 409, 422, *_BACKEND_ERRORS),
        },
    )
    async def record_activity(
        request: Request,
        response: Response,
        service: Service,
        customer_id: CustomerId,
        data: Annotated[
            ActivityCreate,
            Body(
                openapi_examples={
                    "order": {
                        "summary": "An order placed",
                        "value": {
                            "kind": "order",
                            "subject": "Order #1042",
                            "occurred_at": "2026-11-25T14:30:00Z",
                            "description": "3 items, total USD 431.00",
                            "external_id": "order-1042",
                        },
                    },
                }
            ),
        ],
    ) -> Activity:
        activity, created = await service.record_activity(customer_id, data)
        if not created:
            response.status_code = 200
        response.headers["Location"] = _location(
            request, f"/customers/{activity.customer_id}/activities/{activity.id}"
        )
        return activity

    @router.get(
        "/{customer_id}/activities/{activity_id}",
        summary="Get an activity",
        responses=problem_responses(404, 422, *_BACKEND_ERRORS),
    )
    async def get_activity(
        service: Service,
        customer_id: CustomerId,
        activity_id: Annotated[str, Path(examples=["00TDn0000000001IAA"])],
    ) -> Activity:
        return await service.get_activity(customer_id, activity_id)
