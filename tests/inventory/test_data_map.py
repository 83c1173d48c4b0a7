"""The inventory data map, both ways: Shopify records ⇄ canonical models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from system_apis.canonical import (
    Address,
    Location,
    Money,
    Product,
    Reservation,
    ReservationStatus,
    StockLevel,
)
from system_apis.inventory import data_map
from system_apis.inventory.native import (
    ShopifyLevel,
    ShopifyLocation,
    ShopifyProduct,
    ShopifyQuantity,
    ShopifyReservation,
    ShopifyVariant,
)

MAX_ID = 2**63 - 1
ids = st.integers(min_value=1, max_value=MAX_ID)
# What the canonical model takes: no control characters (nor U+FFFE, U+FFFF); tab and line
# breaks in free text only (descriptions, streets).
text_characters = st.characters(
    codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters="\ufffe\uffff"
)
text = st.text(text_characters | st.sampled_from("\t\n\r"), max_size=60)
words = st.text(text_characters, min_size=1, max_size=40)
# Shopify writes times to the second, in the shop's zone.
instants = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2090, 1, 1),
    timezones=st.just(UTC),
).map(lambda moment: moment.replace(microsecond=0))
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
prices = st.decimals(
    min_value=0, max_value=Decimal("99999999.99"), places=2, allow_nan=False, allow_infinity=False
)
currencies = st.sampled_from(["USD", "EUR", "CAD", "JPY"])
quantities = st.integers(min_value=0, max_value=10**9)


@st.composite
def canonical_products(draw: st.DrawFn) -> Product:
    return Product(
        id=str(draw(ids)),
        sku=draw(words),
        name=draw(words),
        description=draw(st.none() | text),
        category=draw(st.none() | words),
        price=Money(amount=draw(prices), currency=draw(currencies)),
        active=draw(st.booleans()),
    )


@st.composite
def canonical_locations(draw: st.DrawFn) -> Location:
    optional = st.none() | words
    return Location(
        id=str(draw(ids)),
        code=draw(words),
        name=draw(words),
        address=Address(
            street=draw(st.none() | text),
            city=draw(optional),
            state=draw(optional),
            postal_code=draw(optional),
            country=draw(st.none() | st.sampled_from(["US", "CA", "MX"])),
        ),
        latitude=draw(st.none() | st.floats(-90, 90)),
        longitude=draw(st.none() | st.floats(-180, 180)),
    )


@st.composite
def canonical_levels(draw: st.DrawFn) -> StockLevel:
    available, committed, unsellable = (draw(quantities) for _ in range(3))
    return StockLevel(
        sku=draw(words),
        location_id=str(draw(ids)),
        location_code=draw(words),
        on_hand=available + committed + unsellable,
        committed=committed,
        available=available,
        updated_at=draw(instants),
    )


@st.composite
def native_levels(draw: st.DrawFn) -> ShopifyLevel:
    named = {
        name: draw(quantities)
        for name in ("available", "committed", "reserved", "damaged", "incoming")
    }
    named["on_hand"] = sum(named[n] for n in ("available", "committed", "reserved", "damaged"))
    return ShopifyLevel(
        inventory_item_id=draw(ids),
        location_id=draw(ids),
        available=named["available"],
        quantities=tuple(ShopifyQuantity(name=n, quantity=q) for n, q in named.items()),
        updated_at=draw(instants).astimezone(draw(offsets)),
    )


@st.composite
def canonical_reservations(draw: st.DrawFn) -> Reservation:
    created = draw(instants)
    return Reservation(
        id=str(draw(ids)),
        sku=draw(words),
        location_id=str(draw(ids)),
        quantity=draw(st.integers(min_value=1, max_value=10**9)),
        status=draw(st.sampled_from(ReservationStatus)),
        external_id=draw(st.none() | words),
        expires_at=created + timedelta(seconds=draw(st.integers(1, 30 * 86400))),
        created_at=created,
    )


# --- ids, names, text, statuses -----------------------------------------------------------


@given(ids)
def test_ids_round_trip(native: int) -> None:
    assert data_map.native_id(data_map.canonical_id(native)) == native


@pytest.mark.parametrize(
    "canonical", ["", "0", "-5", "12a", "\uff11\uff12", str(2**63), "1.0", " 7"]
)
def test_strings_that_cannot_be_shopify_ids(canonical: str) -> None:
    assert data_map.native_id(canonical) is None


@given(words)
def test_names_round_trip(name: str) -> None:
    assert data_map.name_from_native(*data_map.name_to_native(name)) == name


@given(
    words.filter(lambda t: data_map.NAME_SEPARATOR not in t),
    words.filter(lambda t: data_map.NAME_SEPARATOR not in t),
)
def test_product_and_variant_titles_round_trip(title: str, variant: str) -> None:
    assert data_map.name_to_native(data_map.name_from_native(title, variant)) == (title, variant)


def test_a_single_variant_product_is_named_by_its_title() -> None:
    assert data_map.name_from_native("Desk Lamp", "Default Title") == "Desk Lamp"
    assert data_map.name_from_native("Desk Lamp", "Brass") == "Desk Lamp - Brass"
    assert data_map.name_to_native("Desk Lamp - Brass") == ("Desk Lamp", "Brass")


@given(st.none() | text)
def test_descriptions_round_trip_through_html(description: str | None) -> None:
    body_html = data_map.description_to_html(description)
    assert data_map.description_from_html(body_html) == description


def test_html_tags_are_dropped_and_entities_read() -> None:
    assert data_map.description_from_html("<p>Tall &amp; <b>sturdy</b></p>") == "Tall & sturdy"


@given(st.booleans())
def test_active_round_trips(active: bool) -> None:
    assert data_map.active_from_status(data_map.status_from_active(active)) is active


def test_archived_and_draft_products_are_not_active() -> None:
    assert [data_map.active_from_status(s) for s in ("active", "archived", "draft")] == [
        True,
        False,
        False,
    ]


@given(st.sampled_from(ReservationStatus))
def test_reservation_statuses_round_trip(status: ReservationStatus) -> None:
    native = data_map.reservation_status_to_native(status)
    assert data_map.reservation_status_from_native(native) == status


def test_an_open_shopify_reservation_is_held() -> None:
    assert data_map.reservation_status_from_native("open") == ReservationStatus.HELD


# --- products -----------------------------------------------------------------------------


@given(canonical_products(), ids, ids, instants)
def test_products_round_trip_from_canonical(
    product: Product, product_id: int, item_id: int, moment: datetime
) -> None:
    native = data_map.product_to_native(
        product,
        product_id=product_id,
        inventory_item_id=item_id,
        created_at=moment,
        updated_at=moment,
    )
    assert native.variants[0].inventory_item_id == item_id
    [back] = data_map.products_from_native(native, product.price.currency)
    assert back == product


@given(prices, currencies)
def test_prices_round_trip_as_shopify_strings(amount: Decimal, currency: str) -> None:
    money = Money(amount=amount, currency=currency)
    native = data_map.price_to_native(money)
    assert native == f"{amount:.2f}"
    assert data_map.money_from_native(Decimal(native), currency) == money


def _shopify_product(**changes: object) -> ShopifyProduct:
    fields: dict[str, object] = {
        "id": 8421730000001,
        "title": "Standing Desk",
        "body_html": "<p>Oak top.</p>",
        "product_type": "furniture",
        "status": "active",
        "variants": (
            ShopifyVariant(
                id=1, title="Oak", sku="DESK-OAK", price=Decimal("349.00"), inventory_item_id=11
            ),
            ShopifyVariant(
                id=2, title="Ash", sku="DESK-ASH", price=Decimal("359.50"), inventory_item_id=12
            ),
            ShopifyVariant(
                id=3, title="Sample", sku=None, price=Decimal("0.00"), inventory_item_id=13
            ),
        ),
        "created_at": datetime(2025, 1, 6, 1, tzinfo=timezone(timedelta(hours=-8))),
        "updated_at": datetime(2025, 1, 6, 1, tzinfo=timezone(timedelta(hours=-8))),
    }
    fields.update(changes)
    return ShopifyProduct.model_validate(fields)


def test_each_variant_with_a_sku_is_one_canonical_product() -> None:
    products = data_map.products_from_native(_shopify_product(), "USD")
    assert [(p.id, p.sku, p.name, p.price.amount) for p in products] == [
        ("1", "DESK-OAK", "Standing Desk - Oak", Decimal("349.00")),
        ("2", "DESK-ASH", "Standing Desk - Ash", Decimal("359.50")),
    ]
    assert {(p.description, p.category, p.active) for p in products} == {
        ("Oak top.", "furniture", True)
    }
    only_ash = data_map.products_from_native(_shopify_product(), "USD", {"DESK-ASH"})
    assert [p.sku for p in only_ash] == ["DESK-ASH"]


def test_a_product_without_type_has_no_category() -> None:
    [product, _] = data_map.products_from_native(_shopify_product(product_type=""), "USD")
    assert product.category is None


def test_a_variant_without_sku_cannot_be_a_product() -> None:
    native = _shopify_product()
    with pytest.raises(data_map.DataMapError, match="no SKU"):
        data_map.product_from_native(native, native.variants[2], "USD")


# --- locations ----------------------------------------------------------------------------


@given(canonical_locations())
def test_locations_round_trip_from_canonical(location: Location) -> None:
    assert data_map.location_from_native(data_map.location_to_native(location)) == location


@given(st.none() | text, st.none() | text)
def test_two_address_lines_make_one_street(address1: str | None, address2: str | None) -> None:
    street = data_map.street_from_native(address1, address2)
    if address2 is None:
        assert street == address1
    else:
        assert street == f"{address1 or ''}\n{address2}"


def test_a_shopify_location_maps_to_a_canonical_one() -> None:
    native = ShopifyLocation(
        id=71043000004,
        name="Sacramento Warehouse",
        code="WH-SAC",
        address1="9000 Power Inn Rd",
        address2="Dock 4",
        city="Sacramento",
        province_code="CA",
        zip="95829",
        country_code="US",
        latitude=38.4815,
        longitude=-121.4086,
        active=True,
    )
    assert data_map.location_from_native(native) == Location(
        id="71043000004",
        code="WH-SAC",
        name="Sacramento Warehouse",
        address=Address(
            street="9000 Power Inn Rd\nDock 4",
            city="Sacramento",
            state="CA",
            postal_code="95829",
            country="US",
        ),
        latitude=38.4815,
        longitude=-121.4086,
    )


# --- stock levels -------------------------------------------------------------------------


@given(native_levels(), words, words)
def test_available_and_committed_as_the_canonical_model_means_them(
    native: ShopifyLevel,
    sku: str,
    code: str,
) -> None:
    named = {q.name: q.quantity for q in native.quantities}
    level = data_map.stock_level_from_native(native, sku, code)
    assert level.on_hand == named["on_hand"]
    assert level.committed == named["committed"] + named["reserved"]
    assert (
        level.available
        == named["available"]
        == (named["on_hand"] - named["committed"] - named["reserved"] - named["damaged"])
    )
    assert level.location_id == str(native.location_id)
    assert level.updated_at == native.updated_at and level.updated_at.tzinfo == UTC


@given(canonical_levels(), ids)
def test_levels_round_trip_from_canonical(level: StockLevel, item_id: int) -> None:
    native = data_map.stock_level_to_native(level, item_id)
    assert data_map.stock_level_from_native(native, level.sku, level.location_code) == level


def _level(**named: int) -> ShopifyLevel:
    return ShopifyLevel(
        inventory_item_id=1,
        location_id=2,
        available=named.get("available", 0),
        quantities=tuple(ShopifyQuantity(name=n, quantity=q) for n, q in named.items()),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("named", "complaint"),
    [
        (
            {
                "available": 1,
                "committed": 0,
                "reserved": 0,
                "damaged": 0,
                "incoming": 0,
                "on_hand": 5,
            },
            "is not available",
        ),
        ({"available": 1, "on_hand": 1}, "lacks the quantities"),
    ],
)
def test_levels_that_do_not_add_up_are_refused(named: dict[str, int], complaint: str) -> None:
    with pytest.raises(data_map.DataMapError, match=complaint):
        data_map.stock_level_from_native(_level(**named), "SKU", "CODE")


def test_adjustments_map_to_adjust_or_compare_and_set() -> None:
    assert data_map.adjustment_to_native(11, 22, -3, None) == (
        "adjust",
        {"inventory_item_id": 11, "location_id": 22, "available_adjustment": -3},
    )
    assert data_map.adjustment_to_native(11, 22, -3, 10) == (
        "set",
        {"inventory_item_id": 11, "location_id": 22, "available": 7, "compare_quantity": 10},
    )


# --- reservations -------------------------------------------------------------------------


@given(canonical_reservations(), ids)
def test_reservations_round_trip_from_canonical(reservation: Reservation, item_id: int) -> None:
    native = data_map.reservation_to_native(reservation, item_id)
    assert data_map.reservation_from_native(native, reservation.sku) == reservation


@given(
    ids,
    ids,
    ids,
    st.integers(1, 10**9),
    st.sampled_from(["open", "committed", "released", "expired"]),
    st.none() | words,
    instants,
    offsets,
)
def test_reservations_round_trip_from_shopify(
    reservation_id: int,
    item_id: int,
    location_id: int,
    quantity: int,
    status: str,
    external_id: str | None,
    created: datetime,
    zone: timezone,
) -> None:
    native = ShopifyReservation.model_validate(
        {
            "id": reservation_id,
            "inventory_item_id": item_id,
            "location_id": location_id,
            "quantity": quantity,
            "status": status,
            "external_id": external_id,
            "expires_at": (created + timedelta(minutes=15)).astimezone(zone),
            "created_at": created.astimezone(zone),
        }
    )
    canonical = data_map.reservation_from_native(native, "SKU-1")
    assert canonical.expires_at.tzinfo == UTC
    assert data_map.reservation_to_native(canonical, item_id) == native


def test_shop_local_times_become_utc() -> None:
    native = ShopifyReservation.model_validate(
        {
            "id": 1,
            "inventory_item_id": 2,
            "location_id": 3,
            "quantity": 4,
            "status": "open",
            "external_id": None,
            "expires_at": "2026-03-02T09:45:00-08:00",
            "created_at": "2026-07-02T09:30:00-07:00",
        }
    )
    canonical = data_map.reservation_from_native(native, "SKU-1")
    assert canonical.expires_at == datetime(2026, 3, 2, 17, 45, tzinfo=UTC)
    assert canonical.created_at == datetime(2026, 7, 2, 16, 30, tzinfo=UTC)
    assert canonical.status == ReservationStatus.HELD
    assert (canonical.id, canonical.location_id) == ("1", "3")


def test_reservation_requests_ask_for_a_relative_expiry() -> None:
    assert data_map.reservation_request_to_native(11, 22, 3, None, 900) == {
        "reservation": {
            "inventory_item_id": 11,
            "location_id": 22,
            "quantity": 3,
            "expires_in": 900,
        }
    }
    with_id = data_map.reservation_request_to_native(11, 22, 3, "cart-1", 60)
    assert with_id["reservation"]["external_id"] == "cart-1"
