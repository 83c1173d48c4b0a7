"""Routes of the mobile experience API."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["mobile"])
