"""The deterministic demo world that ``strata serve`` seeds into an empty database.

It describes the company's customers, products, stores and order history in neutral terms;
each backend's seeder writes its own slice in its own product's format. The same seed gives
the same world, so a demo, a screenshot and a test all see the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from system_apis.backends.crm.ids import ACCOUNT_PREFIX, salesforce_id

DEFAULT_SEED = 20261125
EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoCustomer:
    number: int
    crm_id: str
    is_person: bool
    company_name: str | None
    first_name: str | None
    last_name: str | None
    email: str
    phone: str
    industry: str | None
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    created_at: datetime
    active: bool

    @property
    def display_name(self) -> str:
        if self.company_name:
            return self.company_name
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    description: str
    category: str
    price: Decimal
    currency: str = "USD"


@dataclass(frozen=True)
class DemoLocation:
    code: str
    name: str
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class DemoStock:
    sku: str
    location_code: str
    on_hand: int


@dataclass(frozen=True)
class DemoOrderLine:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class DemoOrder:
    number: int
    customer_crm_id: str
    created_at: datetime
    status: str  # pending_approval | pending_fulfillment | billed | closed | cancelled
    lines: tuple[DemoOrderLine, ...]
    currency: str = "USD"
    invoice_paid: bool | None = None  # None: not invoiced

    @property
    def total(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0"))


@dataclass(frozen=True)
class DemoWorld:
    customers: tuple[DemoCustomer, ...]
    products: tuple[DemoProduct, ...]
    locations: tuple[DemoLocation, ...]
    stock: tuple[DemoStock, ...]
    orders: tuple[DemoOrder, ...] = field(default=())


_COMPANY_WORDS = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Pied Piper",
    "Gringotts",
    "Oscorp",
    "Monarch",
    "Nakatomi",
    "Massive Dynamic",
    "Aperture",
    "Black Mesa",
    "Dunder Mifflin",
    "Prestige",
    "Sirius",
    "Zorg",
)
_COMPANY_SUFFIXES = ("Inc.", "LLC", "Corp.", "Ltd.", "Group", "Holdings")
_FIRST_NAMES = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Ken",
    "Radia",
    "Linus",
    "Frances",
    "Tim",
    "Katherine",
    "Dennis",
    "Hedy",
    "John",
    "Sophie",
    "Niklaus",
)
_LAST_NAMES = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Perlman",
    "Torvalds",
    "Allen",
    "Berners-Lee",
    "Johnson",
    "Ritchie",
    "Lamarr",
    "McCarthy",
    "Wilson",
    "Wirth",
)
_INDUSTRIES = ("Manufacturing", "Retail", "Technology", "Healthcare", "Energy", "Hospitality")
_STREETS = ("Main St", "Oak Ave", "Market St", "Elm St", "Harbor Blvd", "Mission St", "Pine St")
_CITIES = (
    ("San Francisco", "CA", "941"),
    ("Oakland", "CA", "946"),
    ("San Jose", "CA", "951"),
    ("Sacramento", "CA", "958"),
    ("Portland", "OR", "972"),
    ("Seattle", "WA", "981"),
)
_LOCATIONS = (
    DemoLocation(
        "SFO-1",
        "San Francisco Flagship",
        "1 Market St",
        "San Francisco",
        "CA",
        "94105",
        "US",
        37.7941,
        -122.3950,
    ),
    DemoLocation(
        "OAK-1", "Oakland Store", "500 Broadway", "Oakland", "CA", "94607", "US", 37.7993, -122.2747
    ),
    DemoLocation(
        "SJC-1",
        "San Jose Store",
        "200 Santana Row",
        "San Jose",
        "CA",
        "95128",
        "US",
        37.3211,
        -121.9476,
    ),
    DemoLocation(
        "WH-SAC",
        "Sacramento Warehouse",
        "9000 Power Inn Rd",
        "Sacramento",
        "CA",
        "95829",
        "US",
        38.4815,
        -121.4086,
    ),
)
_PRODUCT_KINDS = (
    ("Ergonomic Chair", "furniture", "95.00"),
    ("Standing Desk", "furniture", "349.00"),
    ("Monitor Arm", "accessories", "59.90"),
    ("USB-C Dock", "electronics", "129.00"),
    ("Noise-Cancelling Headset", "electronics", "199.00"),
    ("Desk Lamp", "lighting", "39.50"),
    ("Mechanical Keyboard", "electronics", "89.00"),
    ("Wireless Mouse", "electronics", "24.99"),
    ("Whiteboard", "office", "74.00"),
    ("Filing Cabinet", "furniture", "149.00"),
    ("Webcam 4K", "electronics", "119.00"),
    ("Cable Kit", "accessories", "12.49"),
)
_PRODUCT_VARIANTS = ("Graphite", "Silver", "Walnut")


def _customers(rng: random.Random, count: int) -> list[DemoCustomer]:
    customers = []
    for number in range(1, count + 1):
        is_person = number % 4 == 0
        first = rng.choice(_FIRST_NAMES) if is_person else None
        last = rng.choice(_LAST_NAMES) if is_person else None
        industry = None if is_person else rng.choice(_INDUSTRIES)
        company = None
        if not is_person:
            company = f"{_COMPANY_WORDS[number % len(_COMPANY_WORDS)]} "
            company += f"{industry} {rng.choice(_COMPANY_SUFFIXES)}"
        city, state, zip_prefix = rng.choice(_CITIES)
        handle = (f"{first}.{last}" if is_person else (company or "")).split(" ")[0].lower()
        customers.append(
            DemoCustomer(
                number=number,
                crm_id=salesforce_id(ACCOUNT_PREFIX, number),
                is_person=is_person,
                company_name=company,
                first_name=first,
                last_name=last,
                email=f"{handle}{number}@example.com",
                phone=f"+1-415-555-{1000 + number:04d}",
                industry=industry,
                street=f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}",
                city=city,
                state=state,
                postal_code=f"{zip_prefix}{rng.randint(0, 99):02d}",
                country="US",
                created_at=EPOCH + timedelta(days=number * 3, minutes=rng.randint(0, 600)),
                active=number % 17 != 0,
            )
        )
    return customers


def _products() -> list[DemoProduct]:
    products = []
    for kind_index, (kind, category, price) in enumerate(_PRODUCT_KINDS):
        for variant_index, variant in enumerate(_PRODUCT_VARIANTS):
            sku = f"{category[:3].upper()}-{kind_index + 1:03d}-{variant[:3].upper()}"
            products.append(
                DemoProduct(
                    sku=sku,
                    name=f"{kind} ({variant})",
                    description=f"{kind} in {variant.lower()} finish.",
                    category=category,
                    price=Decimal(price) + Decimal(variant_index * 5),
                )
            )
    return products


def _stock(rng: random.Random, products: list[DemoProduct]) -> list[DemoStock]:
    stock = []
    for product in products:
        for location in _LOCATIONS:
            # Some items are out of stock in some stores, so availability has something to say.
            on_hand = 0 if rng.random() < 0.15 else rng.randint(1, 40)
            if location.code.startswith("WH"):
                on_hand = rng.randint(50, 300)
            stock.append(DemoStock(product.sku, location.code, on_hand))
    return stock


def _orders(
    rng: random.Random,
    customers: list[DemoCustomer],
    products: list[DemoProduct],
) -> list[DemoOrder]:
    statuses = (
        "billed",
        "billed",
        "closed",
        "pending_fulfillment",
        "pending_approval",
        "cancelled",
    )
    orders = []
    number = 0
    for customer in customers:
        for _ in range(rng.randint(0, 3)):
            number += 1
            picked = rng.sample(products, rng.randint(1, 3))
            lines = tuple(DemoOrderLine(p.sku, rng.randint(1, 5), p.price) for p in picked)
            status = rng.choice(statuses)
            invoice_paid = None
            if status in ("billed", "closed"):
                invoice_paid = status == "closed" or rng.random() < 0.5
            orders.append(
                DemoOrder(
                    number=number,
                    customer_crm_id=customer.crm_id,
                    created_at=customer.created_at + timedelta(days=rng.randint(1, 300)),
                    status=status,
                    lines=lines,
                    invoice_paid=invoice_paid,
                )
            )
    return orders


def build_world(seed: int = DEFAULT_SEED, customer_count: int = 60) -> DemoWorld:
    rng = random.Random(seed)
    customers = _customers(rng, customer_count)
    products = _products()
    return DemoWorld(
        customers=tuple(customers),
        products=tuple(products),
        locations=_LOCATIONS,
        stock=tuple(_stock(rng, products)),
        orders=tuple(_orders(rng, customers, products)),
    )
