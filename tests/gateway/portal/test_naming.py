"""A portal app may not pass for one of Strata's own: the consent page shows its name."""

from __future__ import annotations

import pytest

from gateway.portal.naming import folded
from tests.acceptance_support import assert_problem
from tests.gateway.portal.conftest import Portal, bearer

LOOK_ALIKES = [
    "Strata web app",
    "strata",
    "My STRATA tool",
    "S.t.r.a.t.a portal",
    "S t r a t a",
    "S-t_r/a·t:a",
    "Str\u200bata",  # a zero-width space
    "\uff33\uff54\uff52\uff41\uff54\uff41",  # full-width letters
    "\u0405trata",  # a Cyrillic capital dze for the S
    "Str\u0430t\u0430",  # Cyrillic a
    "STR\u0391\u03a4A",  # Greek capital alpha and tau
    "$trata",
    "Str\u00e0t\u00e1",  # accents
]


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_names_fold_to_what_they_read(name: str) -> None:
    assert "strata" in folded(name)


@pytest.mark.parametrize("name", ["Stratus planner", "Devi's shop", "Star data"])
def test_other_names_keep_their_reading(name: str) -> None:
    assert "strata" not in folded(name)


async def test_a_portal_app_may_not_pass_for_stratas_own(portal: Portal, devi: str) -> None:
    async with portal.http() as http:
        for name in LOOK_ALIKES[:7]:
            answer = await http.post(
                "/portal/api/apps",
                json={"name": name, "scopes": ["inventory:read"]},
                headers=bearer(devi),
            )
            body = assert_problem(answer, 422, "validation")
            assert [error["field"] for error in body["errors"]] == ["name"], name
            assert "Strata" in body["errors"][0]["message"]
    assert await portal.app_ids(devi) == []
    # An operator may still name a client so (Strata's own are registered that way).
    client, _ = await portal.strata.gateway.oauth.create_client("Strata sync", "crm:read")
    assert client.name == "Strata sync"
