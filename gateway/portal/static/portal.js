// The Strata developer portal: the catalog by layer, sign-in (authorization code + PKCE S256,
// the token kept in sessionStorage only), and the developer's own client apps.
// Plain JS, no build step, no third-party code; every value from the server goes in as text.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("portal-config").textContent);
  var TOKEN_KEY = "strata-portal.token";
  var PENDING_KEY = "strata-portal.pending";
  var SIGN_IN_HASH = "#sign-in";
  var LAYER_ORDER = ["system", "process", "experience"];
  var LAYER_TITLES = {
    system: "System APIs",
    process: "Process APIs",
    experience: "Experience APIs"
  };

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  // --- messages ---------------------------------------------------------------------------

  function showError(text) {
    $("error").textContent = text;
    show($("error"), Boolean(text));
  }

  function showMessage(text) {
    $("message").textContent = text;
    show($("message"), Boolean(text));
  }

  function problemText(status, body) {
    if (!body || typeof body !== "object") {
      return "The server answered " + status + ".";
    }
    var text = body.detail || body.title || "The server answered " + status + ".";
    if (Array.isArray(body.errors) && body.errors.length) {
      text += " (" + body.errors.map(function (error) {
        return (error.field ? error.field + ": " : "") + error.message;
      }).join("; ") + ")";
    }
    return text;
  }

  // --- PKCE and the token -----------------------------------------------------------------

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

  function redirectOrigin() {
    return new URL(config.redirectUri).origin;
  }

  async function signIn() {
    showError("");
    if (location.origin !== redirectOrigin()) {
      // The code comes back to the registered redirect URI; start from its origin so the
      // PKCE verifier kept in this tab's sessionStorage is there to meet it.
      location.assign(redirectOrigin() + new URL(config.redirectUri).pathname.replace(
        /\/callback$/, "") + SIGN_IN_HASH);
      return;
    }
    if (!window.crypto || !crypto.subtle) {
      showError("Signing in needs a secure page (https, or http on localhost).");
      return;
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

  async function finishSignIn() {
    var answer = new URLSearchParams(location.search);
    var pending = readJson(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    // The code must not linger in the address bar or the history.
    history.replaceState(null, "", config.pagePath);
    if (answer.get("error")) {
      showError("Sign-in did not complete: " +
        (answer.get("error_description") || answer.get("error")));
      return;
    }
    if (!pending || !answer.get("state") || answer.get("state") !== pending.state) {
      showError("This sign-in answer does not belong to a sign-in started here. Sign in again.");
      return;
    }
    if (answer.get("iss") && answer.get("iss") !== config.issuer) {
      showError("The sign-in answer came from another issuer. Sign in again.");
      return;
    }
    var response = await fetch(config.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: answer.get("code") || "",
        redirect_uri: config.redirectUri,
        client_id: config.clientId,
        code_verifier: pending.verifier
      })
    });
    var body = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      showError("Sign-in failed: " + (body.error_description || body.error || response.status));
      return;
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
    sessionStorage.removeItem(TOKEN_KEY);
    hideSecret();
    renderSession();
    if (token) {
      // Best effort: the token would expire soon anyway.
      await fetch(config.revokeUrl, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: token.accessToken, client_id: config.clientId })
      }).catch(function () {});
    }
  }

  // --- calls ------------------------------------------------------------------------------

  async function callApi(method, path, payload) {
    var token = currentToken();
    if (!token) {
      renderSession();
      throw new Error("Your session has ended. Sign in again.");
    }
    var headers = { Accept: "application/json", Authorization: "Bearer " + token.accessToken };
    var options = { method: method, headers: headers };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    var response = await fetch(config.apiBase + path, options);
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      renderSession();
      throw new Error("Your session has ended. Sign in again.");
    }
    if (response.status === 204) {
      return null;
    }
    var body = await response.json().catch(function () { return null; });
    if (!response.ok) {
      throw new Error(problemText(response.status, body));
    }
    return body;
  }

  // --- the catalog ------------------------------------------------------------------------

  function layerOrder(apis) {
    var layers = LAYER_ORDER.slice();
    apis.forEach(function (api) {
      if (layers.indexOf(api.layer) < 0) {
        layers.push(api.layer);
      }
    });
    return layers;
  }

  function layerTitle(layer) {
    return LAYER_TITLES[layer] || layer.charAt(0).toUpperCase() + layer.slice(1) + " APIs";
  }

  function apiItem(api) {
    var scopes = [api.scopes.read, api.scopes.write].filter(Boolean).join(", ") || "any token";
    return el("li", { "class": "api", "data-testid": "api-" + api.name }, [
      el("div", { "class": "api-head" }, [
        el("strong", {}, [api.title || api.name]),
        " ",
        el("code", {}, [api.path]),
        " ",
        el("a", { href: api.links.docs, "data-testid": "docs-" + api.name }, ["Docs"]),
        " · ",
        el("a", { href: api.links.openapi }, ["OpenAPI"])
      ]),
      el("p", { "class": "api-description" }, [api.description || ""]),
      el("p", { "class": "hint" }, ["Scopes: " + scopes])
    ]);
  }

  function renderCatalog(apis) {
    var mount = $("catalog-layers");
    mount.textContent = "";
    layerOrder(apis).forEach(function (layer) {
      var members = apis.filter(function (api) { return api.layer === layer; });
      var list = el("ul", { "class": "apis" }, members.map(apiItem));
      if (!members.length) {
        list.appendChild(el("li", { "class": "hint" }, ["None registered yet."]));
      }
      mount.appendChild(el("section", {
        "class": "layer",
        id: "layer-" + layer,
        "data-testid": "layer-" + layer
      }, [el("h3", {}, [layerTitle(layer)]), list]));
    });
    show($("catalog-status"), false);
  }

  async function loadCatalog() {
    try {
      var response = await fetch(config.catalogUrl, { headers: { Accept: "application/json" } });
      var body = await response.json();
      if (!response.ok) {
        throw new Error(problemText(response.status, body));
      }
      renderCatalog(body.items);
    } catch (error) {
      $("catalog-status").textContent = "The catalog could not be loaded: " + error.message;
    }
  }

  // --- scopes and apps --------------------------------------------------------------------

  async function loadScopes() {
    var box = $("scope-choices");
    try {
      var response = await fetch(config.apiBase + "/scopes");
      var body = await response.json();
      body.items.forEach(function (scope) {
        var input = el("input", {
          type: "checkbox",
          name: "scope",
          value: scope.name,
          id: "scope-" + scope.name,
          "data-testid": "scope-" + scope.name
        });
        box.appendChild(el("label", { "class": "inline scope", "for": input.id }, [
          input, " ", el("code", {}, [scope.name]), " ", scope.description
        ]));
      });
      show($("scopes-status"), false);
    } catch (error) {
      $("scopes-status").textContent = "The scopes could not be loaded.";
    }
  }

  function appRow(app) {
    var remove = el("button", {
      type: "button",
      "class": "danger",
      "data-testid": "delete-" + app.client_id
    }, ["Delete"]);
    var confirm = el("button", {
      type: "button",
      "class": "danger",
      "data-testid": "confirm-delete-" + app.client_id,
      hidden: ""
    }, ["Delete for good"]);
    remove.addEventListener("click", function () {
      show(remove, false);
      show(confirm, true);
      confirm.focus();
    });
    confirm.addEventListener("click", function () { deleteApp(app); });
    return el("tr", { "data-testid": "app-" + app.client_id }, [
      el("td", { "data-testid": "app-name-" + app.client_id }, [app.name]),
      el("td", {}, [el("code", {}, [app.client_id])]),
      el("td", {}, [app.public ? "public" : "confidential"]),
      el("td", {}, [app.scopes.join(" ")]),
      el("td", {}, [app.tier]),
      el("td", {}, [new Date(app.created_at).toLocaleString()]),
      el("td", {}, [remove, confirm])
    ]);
  }

  async function loadApps() {
    try {
      var body = await callApi("GET", "/apps");
      var list = $("app-list");
      list.textContent = "";
      body.items.forEach(function (app) { list.appendChild(appRow(app)); });
      show($("app-table"), body.items.length > 0);
      show($("apps-empty"), body.items.length === 0);
      $("apps-count").textContent = body.items.length + " of " + body.limit + " apps";
    } catch (error) {
      showError(error.message);
    }
  }

  async function deleteApp(app) {
    showError("");
    try {
      await callApi("DELETE", "/apps/" + encodeURIComponent(app.client_id));
      showMessage("Deleted " + app.name + "; its tokens no longer work.");
    } catch (error) {
      showError(error.message);
    }
    await loadApps();
  }

  function formRequest() {
    var scopes = Array.prototype.map.call(
      document.querySelectorAll("#scope-choices input[name=scope]:checked"),
      function (input) { return input.value; }
    );
    var redirects = $("app-redirects").value.split("\n").map(function (line) {
      return line.trim();
    }).filter(Boolean);
    return {
      name: $("app-name").value.trim(),
      scopes: scopes,
      redirect_uris: redirects,
      public: $("app-public").checked
    };
  }

  async function createApp(event) {
    event.preventDefault();
    showError("");
    showMessage("");
    var request = formRequest();
    if (!request.name) {
      showError("Give the app a name.");
      return;
    }
    if (!request.scopes.length) {
      showError("Choose at least one scope.");
      return;
    }
    $("create-submit").disabled = true;
    try {
      var created = await callApi("POST", "/apps", request);
      showSecret(created);
      $("create-app").reset();
      await loadApps();
    } catch (error) {
      showError(error.message);
    } finally {
      $("create-submit").disabled = false;
    }
  }

  // --- the secret, shown once ---------------------------------------------------------------

  function showSecret(created) {
    $("new-app-name").textContent = created.name;
    $("new-client-id").textContent = created.client_id;
    $("new-client-secret").textContent = created.client_secret || "";
    var secret = Boolean(created.client_secret);
    show($("secret-warning"), secret);
    show($("new-client-secret-label"), secret);
    show($("new-client-secret-row"), secret);
    show($("public-note"), !secret);
    $("copy-secret").textContent = "Copy";
    show($("new-secret"), true);
  }

  function hideSecret() {
    // Gone from the page, not only hidden: it is never shown again.
    $("new-client-secret").textContent = "";
    show($("new-secret"), false);
  }

  async function copySecret() {
    var secret = $("new-client-secret").textContent;
    try {
      await navigator.clipboard.writeText(secret);
    } catch (error) {
      var range = document.createRange();
      range.selectNodeContents($("new-client-secret"));
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      document.execCommand("copy");
    }
    $("copy-secret").textContent = "Copied";
  }

  // --- the page -------------------------------------------------------------------------------

  function renderSession() {
    var token = currentToken();
    show($("sign-in"), !token);
    show($("sign-out"), Boolean(token));
    show($("signed-in-as"), Boolean(token));
    $("signed-in-as").textContent = token ? "Signed in as " + token.username : "";
    show($("apps-signed-out"), !token);
    show($("apps-signed-in"), Boolean(token));
  }

  async function start() {
    $("sign-in").addEventListener("click", signIn);
    $("sign-out").addEventListener("click", signOut);
    $("create-app").addEventListener("submit", createApp);
    $("copy-secret").addEventListener("click", copySecret);
    $("dismiss-secret").addEventListener("click", hideSecret);
    if (isCallback()) {
      await finishSignIn().catch(function (error) {
        showError("Sign-in failed: " + error.message);
      });
    }
    renderSession();
    loadCatalog();
    loadScopes();
    if (currentToken()) {
      loadApps();
    } else if (location.hash === SIGN_IN_HASH) {
      history.replaceState(null, "", config.pagePath);
      signIn();
    }
  }

  start();
})();
