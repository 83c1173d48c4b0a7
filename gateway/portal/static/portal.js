// The Strata developer portal: the catalog by layer, and the signed-in developer's own client
// apps (sign-in itself is signin.js). Plain JS, no build step, no third-party code; every
// value from the server goes in as text.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("portal-config").textContent);
  var session = window.StrataPortalSignIn(config);
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
    if (body.detail) {
      return body.detail;  // Strata's detail already names each wrong field.
    }
    var text = body.title || "The server answered " + status + ".";
    if (Array.isArray(body.errors) && body.errors.length) {
      text += " (" + body.errors.map(function (error) {
        return (error.field ? error.field + ": " : "") + error.message;
      }).join("; ") + ")";
    }
    return text;
  }

  // --- the developer's session ------------------------------------------------------------

  async function signIn() {
    showError("");
    try {
      await session.signIn();
    } catch (error) {
      showError(error.message);
    }
  }

  async function signOut() {
    hideSecret();
    showMessage("");
    showError("");
    await session.signOut();
    renderSession();
  }

  // --- calls ------------------------------------------------------------------------------

  async function callApi(method, path, payload) {
    var token = session.currentToken();
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
      session.forget();
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

  function accessLine(api) {
    if (api.public) {
      return "Public: anyone may call it, no token needed";
    }
    var read = api.scopes.read ? api.scopes.read + " for reads" : "reads refused";
    var write = api.scopes.write ? api.scopes.write + " for writes" : "writes refused";
    return "Scopes: " + read + "; " + write;
  }

  function apiItem(api) {
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
      el("p", { "class": "hint", "data-testid": "access-" + api.name }, [accessLine(api)])
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
    return el("tr", { "data-testid": "app-" + app.client_id, "class": "status-" + app.status }, [
      el("td", { "data-testid": "app-name-" + app.client_id }, [app.name]),
      el("td", {}, [el("code", {}, [app.client_id])]),
      el("td", {}, [app.public ? "public" : "confidential"]),
      el("td", {}, [app.scopes.join(" ")]),
      el("td", {}, [app.tier]),
      statusCell(app),
      el("td", {}, [new Date(app.created_at).toLocaleString()]),
      el("td", {}, [remove, confirm])
    ]);
  }

  // A pending app gets no token until an operator approves it; the server says why.
  function statusCell(app) {
    var children = [el("strong", {}, [app.status])];
    if (app.status_reason) {
      children.push(el("span", { "class": "hint" }, [" " + app.status_reason]));
    }
    return el("td", { "data-testid": "app-status-" + app.client_id }, children);
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
      if ($("new-client-id").textContent === app.client_id) {
        hideSecret();  // Its credentials no longer work: stop offering them.
      }
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
    $("new-app-pending").textContent = created.status === "pending"
      ? "This app is pending: it " + created.status_reason + "."
      : "";
    show($("new-app-pending"), created.status === "pending");
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
    var token = session.currentToken();
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
    if (session.isCallback()) {
      await session.finishSignIn().catch(function (error) {
        showError(error.message);
      });
    }
    renderSession();
    loadCatalog();
    loadScopes();
    if (session.currentToken()) {
      loadApps();
    } else if (session.wantsSignIn()) {
      history.replaceState(null, "", config.pagePath);
      signIn();
    }
  }

  start();
})();
