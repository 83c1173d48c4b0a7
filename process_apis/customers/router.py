"""Routes of the customer 360 process API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request

from process_apis.customers.schemas import CustomerOverview
from process_apis.customers.service import CustomerService
from process_apis.identity import CallerRestriction
from strata.errors import problem_responses
from strata.json_body import StrictJsonRoute

CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"


def _service(request: Request) -> CustomerService:
    service: CustomerService = request.app.state.customers
    return service


Service = Annotated[CustomerService, Depends(_service)]
CustomerId = Annotated[
    str,
    Path(
        pattern=CUSTOMER_ID_PATTERN,
        description="The canonical customer id (the CRM account id)",
        examples=["001Dn0000000001IAA"],
    ),
]

OVERVIEW_EXAMPLE: dict[str, Any] = {
    "customer_id": "001Dn0000000001IAA",
    "profile": {
        "id": "001Dn0000000001IAA",
        "kind": "company",
        "name": "Globex Energy Inc.",
        "first_name": None,
        "last_name": None,
        "email": "purchasing@globex.example.com",
        "phone": "+1-415-555-1002",
        "industry": "Energy",
        "billing_address": {
            "street": "1 Market St",
            "city": "San Francisco",
            "state": "CA",
            "postal_code": "94105",
            "country": "US",
        },
        "active": True,
        "created_at": "2025-01-06T09:00:00Z",
        "updated_at": "2025-06-01T10:00:00Z",
    },
    "recent_activity": [
        {
            "id": "00TDn0000000001IAA",
            "customer_id": "001Dn0000000001IAA",
            "kind": "order",
            "subject": "Order SO-10093",
            "status": "completed",
            "occurred_at": "2026-11-25T14:30:00Z",
            "description": None,
        }
    ],
    "orders": None,
    "order_count": None,
    "invoices": None,
    "open_balance": None,
    "degraded": ["orders", "invoices"],
    "missing": [
        {
            "part": "orders",
            "system": "erp",
            "status": 503,
            "detail": "The erp system is unavailable: it answered 503.",
        },
        {
            "part": "invoices",
            "system": "erp",
            "status": 503,
            "detail": "The erp system is unavailable: it answered 503.",
        },
    ],
}

router = APIRouter(route_class=StrictJsonRoute, prefix="/customers", tags=["customers"])


@router.get(
    "/{customer_id}/overview",
    summary="A customer seen from every system",
    description="The CRM profile and recent activity, the ERP's orders and invoices and the "
    "open balance, fetched at the same time. When a system is down or slow, the rest still "
    "comes back (200) and `degraded` names each part that is missing (`missing` says why). "
    "An unknown customer is 404, and so is any other customer to a shopper's token (a "
    "person linked to a customer); 503 only when nothing at all could be fetched.",
    response_model=CustomerOverview,
    responses={
        200: {
            "description": "The overview (possibly degraded)",
            "content": {"application/json": {"example": OVERVIEW_EXAMPLE}},
        },
        **problem_responses(404, 422, 503),
    },
)
async def customer_overview(
    customer_id: CustomerId,
    service: Service,
    restriction: CallerRestriction,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> CustomerOverview:
    return await service.overview(customer_id, restriction, authorization)
