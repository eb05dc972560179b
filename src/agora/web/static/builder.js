// The GPT builder's enhancements: live preview, unsaved-changes warning, confirmations.
// Every page works without this file; it only makes the editor quicker to use.
import { enhanceCodeBlocks } from "/static/codeblocks.js";
import { citationList, sseEvents, toolLinks } from "/static/sse.js";

const form = document.querySelector("[data-builder-form]");

if (form) {
  const show = (name) => document.querySelector(`[data-show="${name}"]`);

  // The preview mirrors the form as the builder types: what users will see first.
  const renderPreview = () => {
    const value = (name) => form.elements[name]?.value ?? "";
    show("name").textContent = value("name").trim() || show("name").textContent;
    show("description").textContent = value("description");
    show("welcome_message").textContent = value("welcome_message");
    show("instructions").textContent = value("instructions");
    const emoji = value("avatar").trim();
    const picture = show("avatar-image");
    if (emoji || !picture) {
      show("avatar").textContent = emoji || "🤖";
      show("avatar").hidden = false;
      if (picture) picture.hidden = true;
    }
    const list = show("starters");
    list.replaceChildren(
      ...[...form.querySelectorAll('input[name="starters"]')]
        .map((input) => input.value.trim())
        .filter(Boolean)
        .map((text) => Object.assign(document.createElement("li"), { textContent: text })),
    );
  };

  // The sticky bar (note, Save, Publish) sits over the bottom of the screen: a field reached by
  // Tab or a click that lands under it is scrolled up above it.
  const bar = form.querySelector(".builder-actions");
  form.addEventListener("focusin", (event) => {
    if (!bar || bar.contains(event.target) || getComputedStyle(bar).position !== "sticky") return;
    const field = event.target.getBoundingClientRect();
    const top = bar.getBoundingClientRect().top;
    if (field.bottom > top) window.scrollBy(0, Math.min(field.bottom - top + 8, field.top - 8));
  });

  // A picked file previews at once, before it is uploaded with the next save.
  const fileInput = form.elements["avatar_file"];
  fileInput?.addEventListener("change", () => {
    const file = fileInput.files[0];
    if (!file) return;
    let picture = show("avatar-image");
    if (!picture) {
      picture = Object.assign(document.createElement("img"), { className: "avatar-image large", alt: "", width: 64, height: 64 });
      picture.dataset.show = "avatar-image";
      show("avatar").before(picture);
    }
    picture.src = URL.createObjectURL(file);
    picture.hidden = false;
    show("avatar").hidden = true;
    form.elements["avatar"].value = "";
  });

  // Warn before leaving with unsaved edits; saving or publishing clears the warning.
  let dirty = false;
  form.addEventListener("input", () => {
    dirty = true;
    renderPreview();
  });
  form.addEventListener("change", () => (dirty = true));
  form.addEventListener("submit", () => (dirty = false));
  window.addEventListener("beforeunload", (event) => {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = document.querySelector("[data-unsaved-message]")?.textContent ?? "";
  });
  // Links inside the page (Versions, View) ask too: beforeunload alone is easy to miss.
  for (const link of document.querySelectorAll(".builder-links a:not([download])")) {
    link.addEventListener("click", (event) => {
      const message = document.querySelector("[data-unsaved-message]")?.textContent;
      if (dirty && message && !window.confirm(message)) event.preventDefault();
      else dirty = false;
    });
  }
}

// Destructive buttons (delete) ask first.
for (const confirmForm of document.querySelectorAll("form[data-confirm]")) {
  confirmForm.addEventListener("submit", (event) => {
    if (!window.confirm(confirmForm.dataset.confirm)) event.preventDefault();
  });
}

// Chat with the saved draft (POST /api/gpts/{id}/preview, streamed as Server-Sent Events).
const previewForm = document.querySelector("[data-preview-chat]");
if (previewForm) {
  const log = document.querySelector("[data-preview-log]");
  const input = previewForm.querySelector("textarea");
  const errorBox = previewForm.querySelector("[data-preview-error]");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const history = [];

  const bubble = (role, text) => {
    const item = document.createElement("li");
    item.className = `message ${role}`;
    const body = document.createElement("div");
    body.className = role === "user" ? "message-body user-text" : "message-body markdown";
    body.textContent = text; // plain text while it streams; the server's sanitized HTML once done
    item.append(body);
    log.append(item);
    return item;
  };

  previewForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const content = input.value.trim();
    if (!content) return;
    errorBox.hidden = true;
    history.push({ role: "user", content });
    bubble("user", content);
    input.value = "";
    const reply = bubble("assistant", "");
    reply.dataset.status = "streaming";
    const text = reply.querySelector(".message-body");
    let written = "";
    const response = await fetch(`/api/gpts/${previewForm.dataset.previewChat}/preview`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ messages: history, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      errorBox.textContent = body.error?.message || response.statusText;
      errorBox.hidden = false;
      history.pop();
      reply.remove();
      return;
    }
    for await (const [name, data] of sseEvents(response)) {
      if (name === "delta") {
        written += data.text;
        text.append(data.text);
      }
      if (name === "tool") {
        reply.before(Object.assign(document.createElement("li"), { className: "tool-use", textContent: data.line }));
        if (data.sources?.length) {
          const item = Object.assign(document.createElement("li"), { className: "tool-use" });
          item.append(toolLinks(data.sources, previewForm.dataset.labelPagesUsed || "Pages used"));
          reply.before(item);
        }
      }
      if (name === "done") {
        reply.dataset.status = data.status;
        text.innerHTML = data.html; // rendered as the chat renders it (chat/markdown.py), sanitized by the server
        enhanceCodeBlocks(reply);
        // A consequential call the draft wanted to make: shown, not made (the preview keeps nothing to carry on from).
        for (const call of data.confirm || []) {
          const line = previewForm.dataset.labelWaiting.replace("{title}", call.title).replace("{server}", call.server).replace("{arguments}", call.arguments);
          reply.after(Object.assign(document.createElement("li"), { className: "tool-use tool-waiting", textContent: line }));
        }
        if (data.citations?.length) reply.append(citationList(data.citations, previewForm.dataset.labelSources || "Sources"));
        if (data.withheld) written = data.withheld;
        if (data.error || data.withheld) {
          errorBox.textContent = data.error || data.withheld; // withheld: the guardrails replaced the reply with this notice
          errorBox.hidden = false;
        }
      }
    }
    history.push({ role: "assistant", content: written }); // what the model wrote, not its rendering
  });
}
