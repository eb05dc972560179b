// The MCP servers section (GPT editor and admin page): connect a server, see its tools marked read-only or
// asking first, choose which are enabled, refresh, remove. Talks to the JSON API named by data-mcp.
const section = document.querySelector("[data-mcp]");

if (section) {
  const api = section.dataset.mcp;
  const inGpt = section.dataset.scope === "gpt";
  const labels = section.dataset;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const list = section.querySelector("[data-mcp-servers]");
  const add = section.querySelector("[data-mcp-add]");
  const addStdio = section.querySelector("[data-mcp-add-stdio]");
  const errorBox = section.querySelector("[data-mcp-error]");
  const tokenField = section.querySelector("[data-mcp-token]");

  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  };

  const send = async (method, path, body) => {
    const headers = { "X-CSRF-Token": csrf, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.ok) return response.status === 204 ? null : response.json();
    const error = (await response.json().catch(() => ({}))).error;
    throw new Error(error?.message || response.statusText);
  };

  const element = (tag, properties = {}, ...children) => {
    const made = Object.assign(document.createElement(tag), properties);
    made.append(...children);
    return made;
  };

  const act = async (work) => {
    showError("");
    try {
      await work();
    } catch (failure) {
      showError(failure.message);
    }
    refresh();
  };

  const toolItem = (server, tool, editable) => {
    const box = element("input", { type: "checkbox", checked: tool.enabled, disabled: !editable, name: "tool" });
    box.value = tool.name;
    box.dataset.mcpTool = tool.name;
    box.addEventListener("change", () => act(() => {
      const names = [...list.querySelectorAll(`[data-mcp-server="${server.id}"] input[name="tool"]:checked`)].map((input) => input.value);
      return send("PATCH", `/${server.id}`, { enabled_tools: names });
    }));
    const mark = element("span", { className: tool.read_only ? "mcp-mark read-only" : "mcp-mark consequential",
                                   textContent: tool.read_only ? labels.labelReadOnly : labels.labelConsequential });
    const label = element("label", { className: "check" }, box, " ", element("strong", { textContent: tool.title || tool.name }), " ", mark);
    const item = element("li", {}, label);
    if (tool.description) item.append(element("p", { className: "hint", textContent: tool.description }));
    return item;
  };

  const serverCard = (server) => {
    const instance = server.scope === "instance";
    const ownedHere = !(inGpt && instance);
    const card = element("article", { className: "mcp-server" });
    card.dataset.mcpServer = server.id;
    const auth = server.transport === "stdio" ? labels.labelStdio : server.auth === "bearer" ? labels.labelAuthBearer : labels.labelAuthNone;
    card.append(element("h3", { textContent: server.name }),
                element("p", { className: "hint" }, `${server.url} · ${auth}${instance && inGpt ? ` · ${labels.labelInstance}` : ""}`));
    if (server.last_error) card.append(element("p", { className: "error", textContent: labels.labelFailed.replace("{reason}", server.last_error) }));
    if (inGpt && instance) {
      const use = element("input", { type: "checkbox", checked: server.used, name: "used" });
      use.addEventListener("change", () => act(() => send("PATCH", `/${server.id}`, { used: use.checked })));
      card.append(element("label", { className: "check" }, use, " ", labels.labelUse));
    }
    const tools = element("ul", { className: "mcp-tools" }, ...server.tools.map((tool) => toolItem(server, tool, ownedHere)));
    tools.setAttribute("aria-label", labels.labelTools.replace("{name}", server.name));
    card.append(server.tools.length ? tools : element("p", { className: "hint", textContent: labels.labelNoTools }));
    if (ownedHere) {
      const refreshButton = element("button", { type: "button", textContent: labels.labelRefresh });
      refreshButton.addEventListener("click", () => act(() => send("POST", `/${server.id}/refresh`)));
      const removeButton = element("button", { type: "button", textContent: labels.labelRemove });
      removeButton.setAttribute("aria-label", `${labels.labelRemove} ${server.name}`);
      removeButton.addEventListener("click", () => {
        if (window.confirm(labels.labelConfirm)) act(() => send("DELETE", `/${server.id}`));
      });
      card.append(element("p", { className: "mcp-buttons" }, refreshButton, " ", removeButton));
    }
    return card;
  };

  async function refresh() {
    const response = await fetch(api, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const servers = await response.json();
    list.replaceChildren(...(servers.length ? servers.map(serverCard) : [element("p", { className: "hint", textContent: labels.labelNone })]));
    list.dataset.loaded = "true";
  }

  add.elements.auth.addEventListener("change", () => {
    tokenField.hidden = add.elements.auth.value !== "bearer";
  });

  add.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = add.querySelector("button[type=submit]");
    const body = { url: add.elements.url.value, auth: { type: add.elements.auth.value } };
    if (body.auth.type === "bearer") body.auth.token = add.elements.token.value;
    button.disabled = true; // one submission at a time: a double click must not add the server twice
    showError(labels.labelConnecting);
    try {
      await send("POST", "", body);
      showError("");
      add.reset();
      tokenField.hidden = true;
    } catch (failure) {
      showError(failure.message);
    } finally {
      button.disabled = false;
    }
    refresh();
  });

  addStdio?.addEventListener("submit", (event) => {
    event.preventDefault();
    act(() => send("POST", "", { stdio: addStdio.elements.stdio.value }));
  });

  refresh();
}
