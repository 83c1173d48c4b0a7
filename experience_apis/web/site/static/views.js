// The screens but the order page (order.js). Each view fills a fresh container from the web experience API; `ctx` gives it
// the API, navigation, the message area, and whether it is still the screen being shown.

import { Attempt } from "./api.js";
import { badge, card, dateTime, day, h, money, plural, table } from "./dom.js";

const orderLink = (order) =>
  h("a", { href: `#/orders/${encodeURIComponent(order.id)}`, testid: "order-link" }, order.id);

export function signedOutView(container, { onSignIn }) {
  container.append(
    h(
      "section",
      { class: "hero", testid: "signed-out" },
      h("h1", {}, "Your business, connected"),
      h(
        "p",
        {},
        "This store runs on Strata, an API-led connectivity gateway. Your account lives in a ",
        "CRM, orders and invoices in an ERP, stock in an inventory system: the web experience ",
        "API brings them together for this page, through the gateway.",
      ),
      h(
        "ul",
        { class: "features" },
        h("li", {}, "Your dashboard: balance, recent orders and invoices"),
        h("li", {}, "The catalog, with live availability at every location"),
        h("li", {}, "Checkout and payment, with every step of the order traced"),
      ),
      h("button", { class: "button primary", testid: "sign-in", on: { click: onSignIn } }, "Sign in"),
      h("p", { class: "hint" }, "Demo customers: dana, eli or fran; password <name>-demo-password."),
    ),
  );
}

export async function dashboardView(container, ctx) {
  const dashboard = await ctx.api.dashboard();
  const { customer } = dashboard;
  const degraded = dashboard.degraded ?? [];
  // A part whose system is down is shown as unavailable, never as "nothing".
  const part = (name, render) =>
    degraded.includes(name)
      ? h("p", { class: "empty", testid: "unavailable" }, "Unavailable right now.")
      : render();
  const sections = [
    h(
      "div",
      { class: "page-head" },
      h("h1", { testid: "customer-name" }, customer?.name ?? "Your account"),
      customer?.name ? h("p", { class: "muted" }, profileLine(customer)) : null,
    ),
    degraded.length
      ? h(
          "p",
          { class: "notice", testid: "degraded" },
          `Some of your information is unavailable right now (${degraded.join(", ")}). `,
          "The rest is up to date.",
        )
      : null,
    h(
      "div",
      { class: "grid two" },
      card("Balance", { testid: "balance" }, part("balance", () => balance(dashboard.balance))),
      card("Recent activity", { testid: "activity" }, part("activity", () => activity(dashboard.activity))),
    ),
    card(
      "Recent orders",
      { testid: "recent-orders" },
      part("recent_orders", () => orderTable(dashboard.recent_orders)),
      h("p", {}, h("a", { href: "#/orders" }, "All orders →")),
    ),
    card("Invoices", { testid: "invoices" }, part("invoices", () => invoiceTable(dashboard.invoices))),
  ];
  container.append(...sections.filter(Boolean));
}

function profileLine(customer) {
  return [customer.email, customer.phone, `Customer ${customer.id}`].filter(Boolean).join(" · ");
}

function balance(balances) {
  if (balances.length === 0) return h("p", { class: "empty" }, "Nothing owed.");
  return balances.map((entry) =>
    h(
      "div",
      { class: "figure" },
      h("strong", { testid: "balance-open" }, money(entry.open)),
      h("span", { class: "muted" }, ` on ${plural(entry.open_invoices, "open invoice")}`),
    ),
  );
}

function activity(entries) {
  if (entries.length === 0) return h("p", { class: "empty" }, "Nothing yet.");
  return h(
    "ul",
    { class: "plain" },
    entries.map((entry) =>
      h(
        "li",
        {},
        h("span", {}, entry.subject || entry.kind || "Activity"),
        h("span", { class: "muted" }, ` ${dateTime(entry.occurred_at)}`),
      ),
    ),
  );
}

function orderTable(orders) {
  return table(
    [
      ["Order", orderLink],
      ["Placed", (order) => dateTime(order.placed_at)],
      ["Status", (order) => badge(order.status)],
      ["Total", (order) => money(order.total)],
      ["Invoice", (order) => order.invoice_number ?? "—"],
      ["Due", (order) => (order.amount_due ? money(order.amount_due) : "—")],
    ],
    orders,
    { rowTestid: () => "order-row", empty: "No orders yet. Browse the products to place one." },
  );
}

function invoiceTable(invoices) {
  return table(
    [
      ["Invoice", (invoice) => invoice.number],
      ["Status", (invoice) => badge(invoice.status)],
      ["Total", (invoice) => money(invoice.total)],
      ["Amount due", (invoice) => money(invoice.amount_due)],
      ["Due date", (invoice) => day(invoice.due_date)],
    ],
    invoices,
    { rowTestid: () => "invoice-row", empty: "No invoices yet." },
  );
}

/** A "More" button over keyset pages: `fetchPage(cursor)` answers `{ items, next_cursor }`. */
function pager(label, testid, fetchPage, showItems, report) {
  const button = h("button", { class: "button", testid }, label);
  let cursor = null;
  const load = async () => {
    button.disabled = true;
    try {
      const page = await fetchPage(cursor);
      showItems(page.items);
      cursor = page.next_cursor;
      button.hidden = !cursor;
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener("click", () => load().catch(report));
  return { button, load };
}

export async function ordersView(container, ctx) {
  const rows = h("div", {});
  const orders = [];
  const more = pager(
    "More orders",
    "more-orders",
    (cursor) => ctx.api.orders({ limit: 10, cursor }),
    (items) => {
      orders.push(...items);
      rows.replaceChildren(orderTable(orders));
    },
    ctx.report,
  );
  await more.load();
  container.append(h("h1", {}, "Your orders"), card(null, { testid: "orders" }, rows, more.button));
}

export async function productsView(container, ctx) {
  const grid = h("div", { class: "products", testid: "products" });
  const more = pager(
    "More products",
    "more-products",
    (cursor) => ctx.api.products({ limit: 12, cursor }),
    (items) => grid.append(...items.map((product) => productCard(product, ctx))),
    ctx.report,
  );
  await more.load();
  container.append(
    h("div", { class: "page-head" }, h("h1", {}, "Products")),
    grid,
    h("div", { class: "center" }, more.button),
  );
}

function productCard(product, ctx) {
  const quantity = h("input", {
    type: "number",
    min: 1,
    max: Math.max(product.available, 1),
    value: 1,
    class: "quantity",
    "aria-label": `Quantity of ${product.name}`,
    testid: "quantity",
  });
  const order = h("button", { class: "button primary", testid: "order-button" }, "Order");
  order.disabled = !product.in_stock || product.active === false;
  const attempt = new Attempt();
  order.addEventListener("click", async () => {
    const lines = [{ sku: product.sku, quantity: Number(quantity.value) }];
    order.disabled = true;
    order.textContent = "Placing order…";
    try {
      const placed = await attempt.run(lines, (key) => ctx.api.checkout(lines, key));
      ctx.notify(`Order placed: ${placed.id}`);
      ctx.navigate(`#/orders/${encodeURIComponent(placed.id)}`);
    } catch (error) {
      ctx.report(error);
      order.disabled = false;
      order.textContent = "Order";
    }
  });
  return h(
    "article",
    { class: "product", testid: "product-card", data: { sku: product.sku } },
    h("h3", { testid: "product-name" }, product.name),
    h("p", { class: "sku muted" }, product.sku),
    product.description ? h("p", { class: "description" }, product.description) : null,
    h("p", { class: "price", testid: "product-price" }, money(product.price)),
    h(
      "p",
      {
        class: product.in_stock && product.active !== false ? "stock in" : "stock out",
        testid: "product-available",
      },
      stockText(product),
    ),
    locationList(product.locations ?? []),
    h("div", { class: "order-row" }, quantity, order),
  );
}

function stockText(product) {
  if (product.active === false) return "No longer sold";
  return product.in_stock ? `${product.available} available` : "Out of stock";
}

function locationList(locations) {
  const stocked = locations.filter((location) => location.available > 0);
  if (stocked.length === 0) return null;
  return h(
    "ul",
    { class: "locations" },
    stocked.map((location) =>
      h("li", {}, h("span", {}, location.name), h("span", {}, String(location.available))),
    ),
  );
}
