// The order page: its lines, invoice (with "Pay" while something is due) and the trace of
// the steps that placed it. An order still settling is looked at again until it settles.

import { Attempt } from "./api.js";
import { badge, card, dateTime, day, h, isZero, money, plural, table } from "./dom.js";

// Orders in these states are still moving: their page looks again shortly.
const SETTLING = new Set(["processing", "rolling_back", "cancelling"]);
const POLL_INTERVAL_MS = 1000;
const POLL_LIMIT = 30;

export async function orderView(container, ctx, orderId) {
  let order = await ctx.api.order(orderId);
  const body = h("div", {});
  const attempt = new Attempt();
  const pay = async (button) => {
    button.disabled = true;
    button.textContent = "Paying…";
    try {
      order = await attempt.run({ pay: order.id }, (key) => ctx.api.pay(order.id, key));
      ctx.notify(order.status === "paid" ? "Payment received. Thank you!" : "Payment recorded.");
      render();
    } catch (error) {
      ctx.report(error);
      button.disabled = false;
      button.textContent = "Pay now";
    }
  };
  const render = () => body.replaceChildren(...orderSections(order, pay).filter(Boolean));
  render();
  container.append(body);
  if (SETTLING.has(order.status)) {
    // Shown now; looked at again until the order settles (while this page is on screen).
    const follow = async () => {
      for (let polls = 0; SETTLING.has(order.status) && polls < POLL_LIMIT; polls += 1) {
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
        if (!ctx.stillCurrent()) return;
        order = await ctx.api.order(orderId);
        if (ctx.stillCurrent()) render();
      }
    };
    follow().catch((error) => ctx.stillCurrent() && ctx.report(error));
  }
}

function orderSections(order, pay) {
  return [
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Order ", h("span", { class: "mono", testid: "order-id" }, order.id)),
      h("p", {}, badge(order.status, "order-status"), ` Placed ${dateTime(order.placed_at)}`),
    ),
    order.failure ? h("p", { class: "notice", testid: "order-failure" }, order.failure) : null,
    h(
      "div",
      { class: "grid two" },
      card("Items", { testid: "order-lines" }, lineTable(order), totals(order)),
      invoiceCard(order, pay),
    ),
    card("How it went", { testid: "trace" }, traceList(order.trace ?? [])),
  ];
}

function lineTable(order) {
  return table(
    [
      ["Product", (line) => h("span", {}, line.name ?? line.sku, h("br"), h("small", { class: "muted" }, line.sku))],
      ["Qty", (line) => String(line.quantity)],
      ["Unit price", (line) => money(line.unit_price)],
      ["Amount", (line) => money(line.amount)],
    ],
    order.lines ?? [],
  );
}

function totals(order) {
  return h(
    "dl",
    { class: "totals" },
    h("dt", {}, "Total"),
    h("dd", { testid: "order-total" }, money(order.total)),
    order.amount_paid ? [h("dt", {}, "Paid"), h("dd", { testid: "amount-paid" }, money(order.amount_paid))] : null,
  );
}

function invoiceCard(order, pay) {
  const { invoice, sales_order: salesOrder } = order;
  if (!invoice) {
    return card("Invoice", { testid: "invoice" }, h("p", { class: "empty" }, "Not invoiced yet."));
  }
  const paid = isZero(invoice.amount_due);
  const button = order.can_pay
    ? h("button", { class: "button primary", testid: "pay-button" }, `Pay ${money(invoice.amount_due)}`)
    : null;
  button?.addEventListener("click", () => pay(button));
  return card(
    "Invoice",
    { testid: "invoice" },
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Number"),
      h("dd", { testid: "invoice-number" }, invoice.number),
      h("dt", {}, "Status"),
      h("dd", {}, badge(invoice.status, "invoice-status")),
      h("dt", {}, "Total"),
      h("dd", {}, money(invoice.total)),
      h("dt", {}, "Amount due"),
      h("dd", { testid: "amount-due", class: paid ? "settled" : "owing" }, money(invoice.amount_due)),
      h("dt", {}, "Due date"),
      h("dd", {}, day(invoice.due_date)),
      salesOrder ? [h("dt", {}, "Sales order"), h("dd", {}, `${salesOrder.number} (${salesOrder.status})`)] : null,
    ),
    button,
  );
}

function traceList(steps) {
  if (steps.length === 0) return h("p", { class: "empty" }, "No steps recorded yet.");
  return h(
    "ol",
    { class: "trace" },
    steps.map((step) =>
      h(
        "li",
        { testid: "trace-step", data: { step: step.step, status: step.status } },
        h("span", { class: "step" }, humanize(step.step)),
        badge(step.status),
        h(
          "span",
          { class: "muted" },
          ` ${plural(step.attempts ?? 0, "attempt")} · ${dateTime(step.finished_at ?? step.started_at)}`,
        ),
        step.error ? h("p", { class: "step-error" }, describe(step.error)) : null,
        step.undone ? h("p", { class: "muted step-undone" }, `Undone: ${step.undone}`) : null,
      ),
    ),
  );
}

const humanize = (name) => String(name).replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());

function describe(error) {
  if (typeof error === "string") return error;
  return error?.detail || error?.title || JSON.stringify(error);
}
