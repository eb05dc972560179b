// The chat pages' sidebar: a drawer on a phone, renaming and deleting in place (the forms and
// the confirmation page do the same without this file), and the title of a conversation its
// first message just named.

const sidebar = document.getElementById("chat-sidebar");
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const toggle = document.querySelector(".drawer-toggle");
const backdrop = document.querySelector(".drawer-backdrop");

function setDrawer(open) {
  sidebar.classList.toggle("open", open);
  backdrop.hidden = !open;
  toggle?.setAttribute("aria-expanded", String(open));
  if (open) sidebar.querySelector("a, button, input")?.focus();
  else if (toggle && sidebar.contains(document.activeElement)) toggle.focus();
}

if (sidebar && toggle) {
  document.documentElement.classList.add("has-drawer");
  toggle.addEventListener("click", () => setDrawer(!sidebar.classList.contains("open")));
  for (const closer of document.querySelectorAll("[data-drawer-close]")) closer.addEventListener("click", () => setDrawer(false));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !sidebar.classList.contains("open")) return;
    event.preventDefault(); // Esc closes the drawer, and does not also stop a reply (chat.js)
    setDrawer(false);
  });
}

function titleOf(item, title) {
  const link = item.querySelector(":scope > a");
  link.textContent = title;
  link.removeAttribute("data-untitled");
  item.querySelector(".item-menu summary .visually-hidden").textContent = item.querySelector(".item-menu summary .visually-hidden")
    .textContent.replace(/“.*”/, `“${title}”`);
  item.querySelector(".delete-form").dataset.title = title;
}

// Called by chat.js once the first message named the conversation.
export function named(conversationId, title) {
  const item = sidebar?.querySelector(`.chat-item[data-id="${conversationId}"]`);
  if (item && title && item.querySelector(":scope > a[data-untitled]")) {
    titleOf(item, title);
    item.querySelector(".rename-form input[name=title]").value = title;
  }
}

for (const form of sidebar?.querySelectorAll(".rename-form") ?? []) {
  const alert = Object.assign(document.createElement("p"), { className: "error", hidden: true });
  alert.setAttribute("role", "alert");
  form.append(alert);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const item = form.closest(".chat-item");
    const response = await fetch(`/api/conversations/${item.dataset.id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ title: form.elements.title.value }),
    }).catch(() => null);
    const body = await response?.json().catch(() => null);
    if (!response?.ok) {
      alert.textContent = body?.error?.message || sidebar.dataset.labelFailed;
      alert.hidden = false;
      return;
    }
    alert.hidden = true;
    titleOf(item, body.title);
    form.closest("details").open = false;
    if (item.querySelector(":scope > a[aria-current=page]")) {
      document.title = `${body.title} · Agora`;
      const field = document.getElementById("title"); // the conversation options' own rename field
      if (field) field.value = body.title;
    }
  });
}

const dialog = document.getElementById("delete-dialog");

function askToDelete(item, title, problem = "") {
  const alert = dialog.querySelector("[role=alert]");
  alert.textContent = problem;
  alert.hidden = !problem;
  dialog.querySelector("#delete-dialog-text").textContent = sidebar.dataset.labelDelete.replace("{title}", title);
  dialog.returnValue = "";
  dialog.showModal();
  dialog.querySelector("button[value=cancel]").focus(); // the safe choice first
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "delete") return;
    const response = await fetch(`/api/conversations/${item.dataset.id}`, { method: "DELETE", headers: { "X-CSRF-Token": csrf } }).catch(() => null);
    if (!response?.ok && response?.status !== 404) { // 404: already gone (deleted in another tab)
      const body = await response?.json().catch(() => null);
      askToDelete(item, title, body?.error?.message || sidebar.dataset.labelFailed);
      return;
    }
    if (item.querySelector(":scope > a[aria-current=page]")) {
      location.assign("/c");
      return;
    }
    const group = item.closest(".chat-group");
    item.remove();
    if (!group.querySelector(".chat-item")) group.remove();
  }, { once: true });
}

for (const form of sidebar?.querySelectorAll(".delete-form") ?? []) {
  form.addEventListener("submit", (event) => {
    if (!dialog?.showModal) return; // the confirmation page asks instead
    event.preventDefault();
    askToDelete(form.closest(".chat-item"), form.dataset.title);
  });
}
