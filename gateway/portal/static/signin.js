// The Strata developer portal's sign-in: authorization code with PKCE S256 and a state,
// the access token kept in this tab's sessionStorage only, so it ends with the tab (and no
// refresh token is kept). Loaded before portal.js, which uses window.StrataPortalSignIn.
(function () {
  "use strict";

  var TOKEN_KEY = "strata-portal.token";
  var PENDING_KEY = "strata-portal.pending";
  var SIGN_IN_HASH = "#sign-in";

  function base64url(bytes) {
    var text = "";
    new Uint8Array(bytes).forEach(function (byte) {
      text += String.fromCharCode(byte);
    });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomString(byteCount) {
    var bytes = new Uint8Array(byteCount);
    crypto.getRandomValues(bytes);
    return base64url(bytes);
  }

  async function s256(verifier) {
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    return base64url(digest);
  }

  function readJson(key) {
    try {
      return JSON.parse(sessionStorage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function tokenClaims(accessToken) {
    try {
      // Only to greet the developer by name; the server checks the token, not this.
      var payload = atob(accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"));
      var bytes = Uint8Array.from(payload, function (c) { return c.charCodeAt(0); });
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      return {};
    }
  }

  function form(fields) {
    return {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields)
    };
  }

  window.StrataPortalSignIn = function (config) {
    var redirect = new URL(config.redirectUri);

    function currentToken() {
      var token = readJson(TOKEN_KEY);
      if (!token || !token.accessToken) {
        return null;
      }
      if (Date.now() >= token.expiresAt) {
        sessionStorage.removeItem(TOKEN_KEY);
        return null;
      }
      return token;
    }

    function forget() {
      sessionStorage.removeItem(TOKEN_KEY);
    }

    // Leaves for the sign-in page; throws (with a message for the developer) if it cannot.
    async function signIn() {
      if (location.origin !== redirect.origin) {
        // The code comes back to the registered redirect URI; start from its origin so the
        // PKCE verifier kept in this tab's sessionStorage is there to meet it.
        location.assign(redirect.origin + redirect.pathname.replace(/\/callback$/, "") +
          SIGN_IN_HASH);
        return;
      }
      if (!window.crypto || !crypto.subtle) {
        throw new Error("Signing in needs a secure page (https, or http on localhost).");
      }
      var pending = { state: randomString(16), verifier: randomString(48) };
      sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
      var url = new URL(config.authorizeUrl, location.href);
      url.search = new URLSearchParams({
        response_type: "code",
        client_id: config.clientId,
        redirect_uri: config.redirectUri,
        scope: config.scope,
        state: pending.state,
        code_challenge: await s256(pending.verifier),
        code_challenge_method: "S256"
      }).toString();
      location.assign(url.href);
    }

    function isCallback() {
      return location.pathname.replace(/\/+$/, "").endsWith("/callback");
    }

    function wantsSignIn() {
      return location.hash === SIGN_IN_HASH;
    }

    // On the callback: checks the answer belongs to the sign-in started in this tab (state)
    // and comes from our issuer, then trades the code (with the verifier) for a token.
    async function finishSignIn() {
      var answer = new URLSearchParams(location.search);
      var pending = readJson(PENDING_KEY);
      sessionStorage.removeItem(PENDING_KEY);
      // The code must not linger in the address bar or the history.
      history.replaceState(null, "", config.pagePath);
      if (answer.get("error")) {
        throw new Error("Sign-in did not complete: " +
          (answer.get("error_description") || answer.get("error")));
      }
      if (!pending || !answer.get("state") || answer.get("state") !== pending.state) {
        throw new Error(
          "This sign-in answer does not belong to a sign-in started here. Sign in again.");
      }
      if (answer.get("iss") && answer.get("iss") !== config.issuer) {
        throw new Error("The sign-in answer came from another issuer. Sign in again.");
      }
      var response = await fetch(config.tokenUrl, form({
        grant_type: "authorization_code",
        code: answer.get("code") || "",
        redirect_uri: config.redirectUri,
        client_id: config.clientId,
        code_verifier: pending.verifier
      }));
      var body = await response.json().catch(function () { return {}; });
      if (!response.ok) {
        throw new Error("Sign-in failed: " +
          (body.error_description || body.error || response.status));
      }
      var claims = tokenClaims(body.access_token);
      sessionStorage.setItem(TOKEN_KEY, JSON.stringify({
        accessToken: body.access_token,
        expiresAt: Date.now() + (Number(body.expires_in) || 300) * 1000,
        username: claims.username || claims.sub || "developer"
      }));
    }

    async function signOut() {
      var token = currentToken();
      forget();
      if (token) {
        // Best effort: the token would expire soon anyway.
        var revoke = form({ token: token.accessToken, client_id: config.clientId });
        await fetch(config.revokeUrl, revoke).catch(function () {});
      }
    }

    return {
      currentToken: currentToken,
      forget: forget,
      signIn: signIn,
      isCallback: isCallback,
      wantsSignIn: wantsSignIn,
      finishSignIn: finishSignIn,
      signOut: signOut
    };
  };
})();
