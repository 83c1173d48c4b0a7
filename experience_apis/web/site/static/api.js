// Calls to the web experience API through the gateway, with the signed-in user's token.
// Every failure becomes an ApiError carrying the problem+json answer (title, detail, errors).

import { accessToken, forget, refresh } from "./auth.js";

const API_BASE = "/experience/web/v1";
// Answers worth the same request again (with the same Idempotency-Key, so never twice done).
const TRANSIENT_STATUSES = new Set([502, 503, 504]);
const RETRY_DELAY_MS = 400;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title);
    this.status = status;
    this.title = problem.title || `Request failed (${status})`;
    this.detail = problem.detail || "";
    this.kind = problem.type || "";
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }

  /** Worth retrying: nothing answered, or a system behind the API failed. */
  get transient() {
    return this.status === 0 || TRANSIENT_STATUSES.has(this.status);
  }
}

export const SIGNED_OUT = 401;

async function problemOf(response) {
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    const body = await response.json().catch(() => null);
    if (body && typeof body === "object") return body;
  }
  return { title: `Request failed (${response.status})`, detail: response.statusText };
}

async function send(method, path, { body, headers }, token) {
  const init = {
    method,
    headers: { accept: "application/json", authorization: `Bearer ${token}`, ...headers },
  };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(API_BASE + path, init);
  } catch {
    throw new ApiError(0, {
      title: "No connection",
      detail: "The store could not be reached. Check the connection and try again.",
    });
  }
}

async function sendSignedIn(method, path, options) {
  let token = await accessToken();
  if (token === null) throw signedOut();
  let response = await send(method, path, options, token);
  if (response.status === 401) {
    // The token may have been revoked or expired early: one fresh token, one more try.
    token = await refresh();
    if (token === null) throw signedOut();
    response = await send(method, path, options, token);
    if (response.status === 401) {
      forget(); // refused even fresh: sign in again rather than loop
      throw signedOut();
    }
  }
  return response;
}

function signedOut() {
  return new ApiError(SIGNED_OUT, {
    title: "Signed out",
    detail: "Your session has ended. Please sign in again.",
  });
}

/**
 * One call; `retries` more tries for a transient failure (only for requests that are safe to
 * repeat: reads, and writes carrying an Idempotency-Key). Resolves to `{ status, headers,
 * data }`; rejects with an ApiError.
 */
export async function call(method, path, { body, idempotencyKey, retries = 0 } = {}) {
  const headers = idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {};
  for (let attempt = 0; ; attempt += 1) {
    try {
      const response = await sendSignedIn(method, path, { body, headers });
      if (!response.ok) throw new ApiError(response.status, await problemOf(response));
      const data = response.status === 204 ? null : await response.json();
      return { status: response.status, headers: response.headers, data };
    } catch (error) {
      if (!(error instanceof ApiError) || !error.transient || attempt >= retries) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * (attempt + 1)));
    }
  }
}

/**
 * One attempt at a write: its Idempotency-Key is made once and reused when the same request
 * is tried again after a transient failure, so a retry never orders or pays twice. A
 * different request, a success or a definite refusal starts a new attempt.
 */
export class Attempt {
  #key = null;
  #request = null;

  async run(request, send) {
    const fingerprint = JSON.stringify(request);
    if (this.#key === null || this.#request !== fingerprint) {
      this.#key = crypto.randomUUID();
      this.#request = fingerprint;
    }
    try {
      const answer = await send(this.#key);
      this.#key = null;
      return answer;
    } catch (error) {
      if (!error.transient) this.#key = null;
      throw error;
    }
  }
}

const query = (params) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
};

const read = async (path) => (await call("GET", path, { retries: 1 })).data;

export const api = {
  dashboard: () => read("/dashboard"),
  products: ({ limit = 12, cursor, q } = {}) => read(`/products${query({ limit, cursor, q })}`),
  product: (sku) => read(`/products/${encodeURIComponent(sku)}`),
  orders: ({ limit = 10, cursor } = {}) => read(`/orders${query({ limit, cursor })}`),
  order: (id) => read(`/orders/${encodeURIComponent(id)}`),
  /** Places an order; the key is the caller's, made once per attempt and kept for retries. */
  checkout: async (lines, idempotencyKey) =>
    (await call("POST", "/checkout", { body: { lines }, idempotencyKey, retries: 2 })).data,
  pay: async (orderId, idempotencyKey) =>
    (
      await call("POST", `/orders/${encodeURIComponent(orderId)}/payments`, {
        body: {},
        idempotencyKey,
        retries: 2,
      })
    ).data,
};
