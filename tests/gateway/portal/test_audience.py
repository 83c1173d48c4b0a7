"""On the assembled gateway, the gateway's own endpoints (portal API, admin API, the mounted
backends) are for tokens issued for the gateway itself; a token asked for one API opens that
API only."""

from __future__ import annotations

from tests.gateway.portal.conftest import ISSUER, Portal, bearer

CRM = f"{ISSUER}/system/crm/v1"


async def _token(portal: Portal, client_id: str, secret: str, resource: list[str]) -> str:
    data: dict[str, str | list[str]] = {"grant_type": "client_credentials"}
    if resource:
        data["resource"] = resource
    async with portal.http() as http:
        issued = await http.post("/oauth/token", data=data, auth=(client_id, secret))
    assert issued.status_code == 200, issued.text
    token: str = issued.json()["access_token"]
    return token


async def test_a_token_for_an_api_opens_none_of_the_gateways_own_endpoints(
    portal: Portal,
) -> None:
    client, secret = await portal.strata.gateway.oauth.create_client(
        "operator script", "admin crm:read"
    )
    assert secret is not None
    for_crm = bearer(await _token(portal, client.id, secret, [CRM]))
    for_both = bearer(await _token(portal, client.id, secret, []))
    own = ("/admin/clients", "/portal/api/apps", "/backends/crm/health")
    async with portal.http() as http:
        refused = [await http.get(path, headers=for_crm) for path in own]
        crm = await http.get("/system/crm/v1/customers?limit=1", headers=for_crm)
        admin = await http.get("/admin/clients", headers=for_both)
        backend = await http.get("/backends/crm/health", headers=for_both)

    for answer in refused:
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert "another audience" in answer.headers["www-authenticate"]
    assert crm.status_code == 200, crm.text
    assert admin.status_code == 200, admin.text
    assert backend.status_code != 401, backend.text
