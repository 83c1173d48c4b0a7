// Small DOM helpers. Text always goes in as text nodes (never as HTML), so nothing the API
// returns can inject markup.

/**
 * h("a", { href: "#/x", class: "link", testid: "x", on: { click } }, "text", childNode)
 * `testid` sets data-testid; `data` sets other data-* attributes; null children are skipped.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "testid") element.dataset.testid = value;
    else if (name === "data") Object.assign(element.dataset, value);
    else if (name === "on") {
      for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    } else if (name === "class") element.className = value;
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const moneyFormats = new Map();

/** "$1,234.50" from {"amount": "1234.50", "currency": "USD"}; an em dash when unknown. */
export function money(value) {
  if (!value || value.amount === undefined) return "—";
  const currency = value.currency || "USD";
  if (!moneyFormats.has(currency)) {
    moneyFormats.set(currency, new Intl.NumberFormat(undefined, { style: "currency", currency }));
  }
  return moneyFormats.get(currency).format(Number(value.amount));
}

export const plural = (count, noun) => `${count} ${noun}${count === 1 ? "" : "s"}`;

export const isZero = (value) => Boolean(value) && Number(value.amount) === 0;

const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short",
});
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

export const dateTime = (text) => (text ? dateTimeFormat.format(new Date(text)) : "—");
// A due date is a calendar day: a bare date (or a UTC midnight) shows as that day everywhere.
export const day = (text) =>
  text ? dateFormat.format(new Date(text.includes("T") ? text : `${text}T00:00:00Z`)) : "—";

/** A coloured status label; `testid` lets tests read the status itself. */
export const badge = (status, testid) =>
  h("span", { class: `badge badge-${String(status).replaceAll("_", "-")}`, testid }, status);

/** A table: `columns` are [heading, cell(row)] pairs; `rowTestid(row)` marks each row. */
export function table(columns, rows, { testid, rowTestid, empty = "Nothing yet." } = {}) {
  if (rows.length === 0) return h("p", { class: "empty", testid }, empty);
  return h(
    "table",
    { class: "table", testid },
    h("thead", {}, h("tr", {}, columns.map(([heading]) => h("th", {}, heading)))),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h(
          "tr",
          { testid: rowTestid?.(row) },
          columns.map(([, cell]) => h("td", {}, cell(row))),
        ),
      ),
    ),
  );
}

export const card = (title, attributes, ...children) =>
  h("section", { class: "card", ...attributes }, title ? h("h2", {}, title) : null, ...children);
