"""Reading request documents and answering with XML, shared by the record services."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from fastapi import Request
from starlette.responses import Response

from system_apis.backends.erp.errors import XML_MEDIA_TYPE, ErpFault
from system_apis.backends.erp.wire import MAX_DOCUMENT_BYTES, Fields, parse_document, render

RECORD_SERVICE = "/services/rest/record/v1"
_XML_TYPES = ("application/xml", "text/xml")


async def read_document(request: Request, root: str) -> Fields:
    """The body as a ``<root>`` document; stops reading as soon as it is too large."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in _XML_TYPES and not content_type.endswith("+xml"):
        raise ErpFault(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"The request must be XML (application/xml), not {content_type}.",
        )
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_DOCUMENT_BYTES:
            break
    return parse_document(bytes(body), root)


def xml_response(element: Element, status_code: int = 200) -> Response:
    return Response(render(element), status_code=status_code, media_type=XML_MEDIA_TYPE)
