// The editor's Actions section: add an OpenAPI action (pasted, uploaded or by URL), choose its enabled operations,
// test a call, remove it. Talks to the JSON API (/api/gpts/{id}/actions).
const section = document.querySelector("[data-actions]");

if (section) {
  const gpt = section.dataset.actions;
  const labels = section.dataset;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const list = section.querySelector("[data-actions-list]");
  const form = section.querySelector("[data-action-add]");
  const errorBox = section.querySelector("[data-action-error]");
  const keyBox = section.querySelector("[data-action-key]");
  const api = `/api/gpts/${gpt}/actions`;

  const el = (tag, props = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  };

  const send = (path, method, body) =>
    fetch(path, {
      method,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  const problem = async (response) => {
    const error = (await response.json().catch(() => ({}))).error || {};
    return [error.message || response.statusText, error.field].filter(Boolean).join(" — ");
  };

  const showError = (box, message) => {
    box.textContent = message;
    box.hidden = !message;
  };

  function operationRow(action, operation, index) {
    const id = `op-${action.id}-${index}`;
    const check = el("input", { type: "checkbox", id, checked: operation.enabled, value: operation.operation_id });
    const mark = operation.consequential
      ? el("span", { className: "badge consequential", title: labels.labelAsksHint, textContent: labels.labelAsks })
      : el("span", { className: "badge", textContent: labels.labelRuns });
    const label = el("label", { htmlFor: id, className: "check" }, check, " ", el("code", { textContent: operation.operation_id }));
    const route = el("span", { className: "muted", textContent: ` ${operation.method} ${operation.path} ` });
    const testButton = el("button", { type: "button", textContent: labels.labelTest });
    testButton.setAttribute("aria-label", `${labels.labelTest} ${operation.operation_id}`);
    const row = el("li", { className: "action-operation" }, label, route, mark);
    if (operation.description) row.append(el("p", { className: "hint", textContent: operation.description }));
    row.append(testButton);
    testButton.addEventListener("click", () => {
      if (row.querySelector(".action-test")) return;
      const argumentsId = `${id}-arguments`;
      const argumentsBox = el("textarea", { id: argumentsId, rows: 3, spellcheck: false, value: "{}" });
      const run = el("button", { type: "submit", textContent: labels.labelTest });
      const output = el("pre", { className: "action-test-result" });
      output.setAttribute("aria-live", "polite");
      const tester = el("form", { className: "action-test" }, el("label", { htmlFor: argumentsId, textContent: labels.labelArguments }), argumentsBox, run, output);
      tester.addEventListener("submit", async (event) => {
        event.preventDefault();
        let parsed;
        try {
          parsed = JSON.parse(argumentsBox.value || "{}");
        } catch (error) {
          output.textContent = error.message;
          return;
        }
        output.textContent = "…";
        const response = await send(`${api}/${action.id}/test`, "POST", { operation_id: operation.operation_id, arguments: parsed });
        if (!response.ok) {
          const error = response.status === 409 ? (await response.clone().json().catch(() => ({}))).error || {} : {};
          output.textContent = await problem(response);
          if (error.sign_in_url) {  // an OAuth action: the editor signs in as anyone chatting does, then comes back here
            const back = `${location.pathname}${location.search}`;
            output.append("\n", el("a", { className: "button", href: `${error.sign_in_url}?next=${encodeURIComponent(back)}`, textContent: labels.labelSignInTest }));
          }
          return;
        }
        const answer = await response.json();
        const body = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body, null, 2);
        output.textContent = `${labels.labelStatus.replace("{status}", answer.status)}${answer.cut ? ` ${labels.labelCut}` : ""}\n${body}`;
      });
      row.append(tester);
      argumentsBox.focus();
    });
    return row;
  }

  function actionCard(action) {
    const card = el("article", { className: "action-card" });
    card.dataset.action = action.id;
    const server = action.operations[0]?.server || "";
    card.append(el("h3", { textContent: action.title || server }));
    card.append(el("p", { className: "muted", textContent: `${labels.labelServer}: ${server} · ${{ api_key: labels.labelKeySet, oauth: labels.labelOauthSet }[action.auth.type] || labels.labelNoAuth}` }));
    const operations = el("ul", { className: "action-operations" }, ...action.operations.map((operation, index) => operationRow(action, operation, index)));
    const privacyId = `privacy-${action.id}`;
    const privacy = el("input", { type: "url", id: privacyId, value: action.privacy_url });
    const save = el("button", { type: "submit", className: "primary", textContent: labels.labelSave });
    const remove = el("button", { type: "button", className: "danger", textContent: labels.labelRemove });
    const status = el("p", { className: "hint" });
    status.setAttribute("role", "status");
    const choose = el("form", { className: "action-choose" }, operations, el("label", { htmlFor: privacyId, textContent: labels.labelPrivacy }), privacy, save, remove, status);
    choose.addEventListener("submit", async (event) => {
      event.preventDefault();
      const enabled = [...operations.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
      const response = await send(`${api}/${action.id}`, "PATCH", { enabled, privacy_url: privacy.value });
      status.textContent = response.ok ? labels.labelSaved : await problem(response);
    });
    remove.addEventListener("click", async () => {
      if (!window.confirm(labels.labelConfirmRemove)) return;
      const response = await send(`${api}/${action.id}`, "DELETE");
      if (response.ok) card.remove();
      else status.textContent = await problem(response);
    });
    card.append(choose, authForm(action));
    return card;
  }

  // Change how the calls authenticate; an empty key keeps the stored one (it is never shown again).
  function authForm(action) {
    const id = (name) => `${name}-${action.id}`;
    const field = (tag, name, props, label) => [el("label", { htmlFor: id(name), textContent: label }), el(tag, { id: id(name), name, ...props })];
    const options = (pairs) => pairs.map(([value, text]) => el("option", { value, textContent: text }));
    const [typeLabel, type] = field("select", "type", {}, labels.labelType);
    type.append(...options([["none", labels.labelNoAuth], ["api_key", labels.labelApiKey], ["oauth", labels.labelOauth]]));
    type.value = action.auth.type;
    const [keyLabel, key] = field("input", "key", { type: "password", autocomplete: "off", placeholder: action.auth.key_set ? labels.labelKeepKey : "" }, labels.labelApiKey);
    const [placeLabel, place] = field("select", "place", {}, labels.labelSentAs);
    place.append(...options([["bearer", labels.labelBearer], ["basic", labels.labelBasic], ["custom", labels.labelCustom], ["query", labels.labelQuery]]));
    place.value = action.auth.in === "query" ? "query" : action.auth.scheme || "bearer";
    const [nameLabel, name] = field("input", "name", { value: action.auth.name && action.auth.name !== "Authorization" ? action.auth.name : "" }, labels.labelKeyName);
    const keyPart = el("div", { className: "action-key", hidden: type.value !== "api_key" }, keyLabel, key, placeLabel, place, nameLabel, name);
    // OAuth: the provider's addresses, the scope, the client (write-only: empty keeps it), how the token request authenticates.
    const oauth = action.auth.type === "oauth" ? action.auth : {};
    const [authorizeLabel, authorize] = field("input", "authorization_url", { type: "url", value: oauth.authorization_url || "" }, labels.labelAuthorizationUrl);
    const [tokenLabel, token] = field("input", "token_url", { type: "url", value: oauth.token_url || "" }, labels.labelTokenUrl);
    const [scopeLabel, scope] = field("input", "scope", { value: oauth.scope || "" }, labels.labelScope);
    const keep = oauth.key_set ? labels.labelKeepClient : "";
    const [clientLabel, client] = field("input", "client_id", { autocomplete: "off", placeholder: keep }, labels.labelClientId);
    const [secretLabel, secret] = field("input", "client_secret", { type: "password", autocomplete: "off", placeholder: keep }, labels.labelClientSecret);
    const [exchangeLabel, exchange] = field("select", "token_exchange", {}, labels.labelTokenExchange);
    exchange.append(...options([["post", labels.labelExchangePost], ["basic", labels.labelExchangeBasic]]));
    exchange.value = oauth.token_exchange || "post";
    const redirect = el("p", { className: "hint action-redirect", textContent: `${labels.labelRedirect} ${oauth.redirect_url || `${location.origin}/actions/oauth/callback`}` });
    const oauthPart = el("div", { className: "action-oauth", hidden: type.value !== "oauth" },
      authorizeLabel, authorize, tokenLabel, token, scopeLabel, scope, clientLabel, client, secretLabel, secret, exchangeLabel, exchange, redirect);
    type.addEventListener("change", () => {
      keyPart.hidden = type.value !== "api_key";
      oauthPart.hidden = type.value !== "oauth";
    });
    const status = el("p", { className: "hint" });
    status.setAttribute("role", "status");
    const save = el("button", { type: "submit", textContent: labels.labelSaveAuth });
    const form = el("form", { className: "action-auth" }, el("fieldset", {}, el("legend", { textContent: labels.labelAuthentication }), typeLabel, type, keyPart, oauthPart, save, status));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const auth = type.value === "api_key"
        ? { type: "api_key", in: place.value === "query" ? "query" : "header", scheme: place.value === "query" ? "custom" : place.value, name: name.value.trim(), ...(key.value ? { key: key.value } : {}) }
        : type.value === "oauth"
          ? { type: "oauth", authorization_url: authorize.value.trim(), token_url: token.value.trim(), scope: scope.value.trim(), token_exchange: exchange.value,
              ...(client.value.trim() ? { client_id: client.value.trim() } : {}), ...(secret.value ? { client_secret: secret.value } : {}) }
          : { type: "none" };
      const response = await send(`${api}/${action.id}`, "PATCH", { auth });
      status.textContent = response.ok ? labels.labelSaved : await problem(response);
      if (response.ok) {
        key.value = client.value = secret.value = "";
        if (type.value === "oauth") client.placeholder = secret.placeholder = labels.labelKeepClient;
      }
    });
    return form;
  }

  async function refresh() {
    const response = await fetch(api, { headers: { Accept: "application/json" } });
    if (response.ok) list.replaceChildren(...(await response.json()).map(actionCard));
  }

  form.elements.auth_type.addEventListener("change", () => {
    keyBox.hidden = form.elements.auth_type.value !== "api_key";
  });

  form.elements.file.addEventListener("change", async () => {
    const file = form.elements.file.files[0];
    if (file) form.elements.schema.value = await file.text();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(errorBox, "");
    const fields = form.elements;
    const body = fields.url.value.trim() && !fields.schema.value.trim() ? { url: fields.url.value.trim() } : { schema: fields.schema.value };
    if (fields.auth_type.value === "api_key") {
      const place = fields.place.value;
      body.auth = { type: "api_key", key: fields.key.value, in: place === "query" ? "query" : "header", scheme: place === "query" ? "custom" : place, name: fields.name.value.trim() };
    }
    if (fields.privacy_url.value.trim()) body.privacy_url = fields.privacy_url.value.trim();
    const response = await send(api, "POST", body);
    if (!response.ok) {
      showError(errorBox, await problem(response));
      return;
    }
    form.reset();
    keyBox.hidden = true;
    await refresh();
  });

  refresh();
}
