"""Search paging in the ERP's style: 1-based ``pageIndex``, ``pageSize``, and a result that
reports ``totalRecords`` and ``totalPages``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class PageRequest:
    page_index: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page_index - 1) * self.page_size


def page_request(
    page_index: Annotated[int, Query(alias="pageIndex", ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> PageRequest:
    return PageRequest(page_index, page_size)
