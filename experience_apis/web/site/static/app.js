// The web app's entry point: finishes a sign-in on /app/callback, then routes by the URL's
// hash (#/dashboard, #/products, #/orders, #/orders/{id}) to a view.

import { api, SIGNED_OUT } from "./api.js";
import { finishSignIn, isSignedIn, signIn, signOut, username } from "./auth.js";
import { h } from "./dom.js";
import { orderView } from "./order.js";
import { dashboardView, ordersView, productsView, signedOutView } from "./views.js";

const APP_PATH = "/app";
const CALLBACK_PATH = "/app/callback";
const HOME = "#/dashboard";

const view = document.querySelector("#view");
const message = document.querySelector("[data-testid=message]");
const nav = document.querySelector("[data-testid=nav]");
const who = document.querySelector("[data-testid=signed-in-as]");
const signOutButton = document.querySelector("[data-testid=sign-out]");

// Each route change bumps the generation: a slow view that finishes after the user moved on
// is dropped instead of replacing the newer screen.
let generation = 0;
// A view that navigates after telling the user something keeps the message on the next screen.
let keepNextMessage = false;

const ROUTES = [
  [/^#\/dashboard$/, dashboardView],
  [/^#\/products$/, productsView],
  [/^#\/orders$/, ordersView],
  [/^#\/orders\/([^/]+)$/, (container, ctx, id) => orderView(container, ctx, decodeURIComponent(id))],
];

function show(text, tone) {
  message.replaceChildren(...(Array.isArray(text) ? text : [text]));
  message.className = `message ${tone}`;
  message.hidden = false;
}

function clearMessage() {
  message.hidden = true;
  message.replaceChildren();
}

/** Shows a failure: the problem's title and detail, and each field it names. */
function report(error) {
  if (error?.status === SIGNED_OUT) {
    show(`${error.title}: ${error.detail}`, "error");
    route({ keepMessage: true });
    return;
  }
  const title = error?.title || "Something went wrong";
  const detail = error?.detail || (error?.title ? "" : String(error?.message ?? error));
  // Each field the problem names, unless the detail already says just that.
  const fields = (error?.errors ?? [])
    .map((item) => [item.field, item.message].filter(Boolean).join(": "))
    .filter((text) => text && !detail.includes(text))
    .map((text) => h("li", {}, text));
  show(
    [
      h("strong", { testid: "message-title" }, title),
      detail ? h("span", { testid: "message-detail" }, ` ${detail}`) : null,
      fields.length ? h("ul", {}, fields) : null,
    ].filter(Boolean),
    "error",
  );
  // Not an answer from the API but a fault in this app: make it loud for developers too.
  if (!(error?.title || error?.status)) console.error(error);
}

function updateHeader() {
  const signedIn = isSignedIn();
  nav.hidden = !signedIn;
  signOutButton.hidden = !signedIn;
  who.textContent = signedIn ? (username() ?? "") : "";
  const current = (location.hash || HOME).split("/")[1];
  for (const link of nav.querySelectorAll("a")) {
    link.classList.toggle("active", link.dataset.route === current);
  }
}

async function route({ keepMessage = false } = {}) {
  const mine = (generation += 1);
  if (!keepMessage) clearMessage();
  updateHeader();
  const container = h("div", {});
  if (!isSignedIn()) {
    signedOutView(container, { onSignIn: () => signIn(location.hash || HOME).catch(report) });
    view.replaceChildren(container);
    return;
  }
  const hash = location.hash || HOME;
  const match = ROUTES.map(([pattern, render]) => [hash.match(pattern), render]).find(([m]) => m);
  if (!match) {
    location.replace(HOME);
    return;
  }
  const [found, render] = match;
  view.replaceChildren(h("p", { class: "loading", testid: "loading" }, "Loading…"));
  const ctx = {
    api,
    report,
    notify: (text) => show(text, "info"),
    navigate: (target) => {
      if (location.hash === target) route({ keepMessage: true });
      else {
        keepNextMessage = true;
        location.hash = target;
      }
    },
    stillCurrent: () => mine === generation,
  };
  try {
    await render(container, ctx, ...found.slice(1));
    if (mine === generation) view.replaceChildren(container);
  } catch (error) {
    if (mine !== generation) return;
    view.replaceChildren(h("p", { class: "empty" }, "This page could not be loaded."));
    report(error);
  }
}

async function start() {
  signOutButton.addEventListener("click", async () => {
    let failure = null;
    try {
      await signOut(); // this tab forgets its tokens even when the server cannot be told
    } catch (error) {
      failure = error;
    }
    history.replaceState(null, "", APP_PATH);
    await route();
    if (failure) report(failure);
    else show("You are signed out.", "info");
  });
  window.addEventListener("hashchange", () => {
    const keep = keepNextMessage;
    keepNextMessage = false;
    route({ keepMessage: keep });
  });
  if (location.pathname === CALLBACK_PATH) {
    const params = new URLSearchParams(location.search);
    // The code is spent either way: take it out of the address bar and the history.
    history.replaceState(null, "", APP_PATH);
    try {
      const next = await finishSignIn(params);
      history.replaceState(null, "", APP_PATH + next);
    } catch (error) {
      await route();
      report(error);
      return;
    }
  }
  await route();
}

start();
