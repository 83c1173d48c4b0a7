// Signing in: OAuth 2.0 authorization code with PKCE (RFC 7636) for the public client
// "strata-web". The endpoints come from the authorization server's metadata (RFC 8414). The
// PKCE verifier and state live in sessionStorage for the round trip; tokens live in memory
// and sessionStorage (gone when the tab closes; never localStorage).

const CLIENT_ID = "strata-web";
const SCOPE = "me:read me:write";
const METADATA_PATH = "/.well-known/oauth-authorization-server";
const PENDING_KEY = "strata.web.sign-in";
const TOKENS_KEY = "strata.web.tokens";
// Refresh a little before the access token expires (30 s, or a tenth of a short lifetime),
// so a call never races the expiry.
const EXPIRY_MARGIN_MS = 30_000;

export class AuthError extends Error {
  constructor(title, detail) {
    super(`${title}: ${detail}`);
    this.title = title;
    this.detail = detail;
  }
}

export const redirectUri = () => `${location.origin}/app/callback`;

let metadata = null;
let tokens = readStoredTokens();
let refreshing = null;

async function serverMetadata() {
  if (metadata === null) {
    const response = await fetch(METADATA_PATH, { headers: { accept: "application/json" } });
    if (!response.ok) {
      throw new AuthError("Sign-in is unavailable", `The sign-in server answered ${response.status}.`);
    }
    metadata = await response.json();
  }
  return metadata;
}

function base64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function randomString(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

async function s256(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Leaves for the sign-in page; `returnTo` is the hash to show once signed in. */
export async function signIn(returnTo = "#/dashboard") {
  if (!window.isSecureContext || !crypto.subtle) {
    // Browsers offer the hashing PKCE needs only to https pages and to 127.0.0.1/localhost.
    throw new AuthError(
      "Sign-in needs a secure page",
      "Open the app over HTTPS, or at http://127.0.0.1 or http://localhost.",
    );
  }
  const server = await serverMetadata();
  const home = new URL(server.issuer).origin;
  if (location.origin !== home) {
    // The app's registered redirect URI is on the issuer's origin (127.0.0.1 and localhost
    // are different origins): continue there, where the code will come back to.
    location.assign(`${home}/app${returnTo}`);
    return;
  }
  const verifier = randomString(32); // 43 characters, the shortest RFC 7636 allows
  const state = randomString(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(server.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    scope: SCOPE,
    state,
    code_challenge: await s256(verifier),
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

/** Completes the sign-in on the callback page; returns the hash to show next. */
export async function finishSignIn(params) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null");
  sessionStorage.removeItem(PENDING_KEY);
  // The state proves this answer belongs to a sign-in this tab started (no login CSRF).
  if (pending === null || params.get("state") !== pending.state) {
    throw new AuthError(
      "Sign-in not completed",
      "The answer from the sign-in page does not match a sign-in started here. Please sign in again.",
    );
  }
  if (params.has("error")) {
    const reason = params.get("error_description") || params.get("error");
    throw new AuthError("Sign-in not completed", reason);
  }
  const server = await serverMetadata();
  // RFC 9207: the answer names the server that sent it (no mix-up with another server).
  if (params.has("iss") && params.get("iss") !== server.issuer) {
    throw new AuthError("Sign-in not completed", "The answer came from an unexpected server.");
  }
  const code = params.get("code");
  if (!code) throw new AuthError("Sign-in not completed", "The sign-in page sent no code.");
  keep(
    await tokenRequest(server, {
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
      client_id: CLIENT_ID,
    }),
  );
  return pending.returnTo || "#/dashboard";
}

async function tokenRequest(server, form) {
  const response = await fetch(server.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(form),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const reason = answer.error_description || answer.error || `status ${response.status}`;
    throw new AuthError("Sign-in failed", reason);
  }
  return answer;
}

function keep(answer) {
  const lifetime = Number(answer.expires_in ?? 300) * 1000;
  tokens = {
    accessToken: answer.access_token,
    // A refresh answer may omit the refresh token: the old one stays valid then.
    refreshToken: answer.refresh_token ?? tokens?.refreshToken ?? null,
    refreshAt: Date.now() + lifetime - Math.min(EXPIRY_MARGIN_MS, lifetime / 10),
    scope: answer.scope ?? SCOPE,
  };
  sessionStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
}

function readStoredTokens() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKENS_KEY) ?? "null");
  } catch {
    return null;
  }
}

/** Forgets this tab's tokens without telling the server (they were refused anyway). */
export function forget() {
  tokens = null;
  sessionStorage.removeItem(TOKENS_KEY);
  sessionStorage.removeItem(PENDING_KEY);
}

export const isSignedIn = () => tokens !== null;

/** A current access token (refreshed when it is about to expire), or null when signed out. */
export async function accessToken() {
  if (tokens === null) return null;
  if (Date.now() < tokens.refreshAt) return tokens.accessToken;
  return refresh();
}

/** Trades the refresh token for new tokens (one trade at a time); null when that fails. */
export function refresh() {
  refreshing ??= (async () => {
    try {
      if (!tokens?.refreshToken) {
        forget();
        return null;
      }
      const server = await serverMetadata();
      keep(
        await tokenRequest(server, {
          grant_type: "refresh_token",
          refresh_token: tokens.refreshToken,
          client_id: CLIENT_ID,
        }),
      );
      return tokens.accessToken;
    } catch {
      forget(); // the refresh token was refused (expired or revoked): sign in again
      return null;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Revokes the refresh token (RFC 7009) and forgets everything this tab kept. */
export async function signOut() {
  const refreshToken = tokens?.refreshToken;
  forget();
  if (!refreshToken) return;
  const server = await serverMetadata();
  await fetch(server.revocation_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      token: refreshToken,
      token_type_hint: "refresh_token",
      client_id: CLIENT_ID,
    }),
  });
}

/** The signed-in user's name from the access token's claims (display only, not trusted). */
export function username() {
  try {
    const payload = tokens.accessToken.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    return JSON.parse(atob(payload)).username ?? null;
  } catch {
    return null;
  }
}
