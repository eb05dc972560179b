// The conversation page, enhanced: replies stream in over SSE from the JSON API.
// Without this file the page still works: forms post and the reply appears on reload.
import { enhanceCodeBlocks } from "/static/codeblocks.js";
import { named } from "/static/sidebar.js";
import { citationList, sseEvents, toolLinks } from "/static/sse.js";

const chat = document.getElementById("chat");
const composer = document.getElementById("composer");
const textarea = document.getElementById("content");
const mentionInput = document.getElementById("mention");
const mentionList = document.getElementById("mention-list");
const list = document.getElementById("messages");
const statusLine = document.getElementById("chat-status");
const stopButton = document.getElementById("stop");
const sendButton = document.getElementById("send");
const editButton = document.getElementById("edit-last");
const continueForm = document.getElementById("continue-form");
const conversation = chat.dataset.conversation;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const api = `/api/conversations/${conversation}`;
let streaming = false;
let editing = false;
let mentionName = "";

function say(text, isError = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", isError);
}

function messageItem(role, author) {
  const item = document.createElement("li");
  item.className = `message ${role}`;
  const who = document.createElement("p");
  who.className = "message-author";
  who.textContent = author;
  const body = document.createElement("div");
  body.className = role === "user" ? "message-body user-text" : "message-body markdown";
  item.append(who, body);
  list.append(item);
  return item;
}

function addCopyButton(item) {
  if (!item.classList.contains("assistant") || item.querySelector(".copy")) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy";
  button.textContent = chat.dataset.labelCopy;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(item.querySelector(".message-body").innerText);
    button.textContent = chat.dataset.labelCopied;
  });
  item.append(button);
}

function setStreaming(on) {
  streaming = on;
  stopButton.hidden = !on;
  sendButton.disabled = on;
  const lastIsReply = list.lastElementChild?.classList.contains("assistant");
  document.getElementById("regenerate-form").hidden = on || !lastIsReply;
  if (on) continueForm.hidden = true;
  editButton.hidden = on || !list.querySelector(".message.user");
  document.querySelector(".chat-empty")?.remove();
}

// A reply waiting for the person's word on consequential tool calls: what would be done, Allow / Deny.
// "Always allow" only when every call changes nothing (the server refuses it otherwise too).
function confirmCard(reply, calls) {
  const always = calls.every((call) => call.can_always_allow);
  const card = document.createElement("div");
  card.className = "tool-confirm";
  card.setAttribute("role", "group");
  card.setAttribute("aria-label", chat.dataset.labelConfirm);
  // A call to an OAuth action the person has not signed in to: "Sign in to <host>" instead of Allow (the provider
  // sends them back to this page with ?resume=<reply>, which carries the reply on).
  const hosts = [...new Map(calls.filter((call) => call.sign_in).map((call) => [call.sign_in.host, call.sign_in])).values()];
  const intro = hosts.length ? chat.dataset.labelSignInIntro.replace("{host}", hosts.map((h) => h.host).join(", ")) : always ? chat.dataset.labelConfirmSend : chat.dataset.labelConfirmIntro;
  card.append(Object.assign(document.createElement("p"), { className: "tool-confirm-intro", textContent: intro }));
  for (const call of calls) {
    const list = Object.assign(document.createElement("dl"), { className: "tool-confirm-call" });
    const row = (label, value, className, tag = "dd") => {
      const definition = document.createElement("dd");
      const holder = tag === "pre" ? Object.assign(document.createElement("pre"), { className }) : definition;
      if (tag !== "pre") definition.className = className;
      holder.textContent = value;
      if (tag === "pre") definition.append(holder);
      list.append(Object.assign(document.createElement("dt"), { textContent: label }), definition);
    };
    row(chat.dataset.labelOperation, call.title, "tool-confirm-operation");
    if (call.server) row(chat.dataset.labelServer, call.server, "tool-confirm-server");
    row(chat.dataset.labelArguments, call.arguments, "tool-confirm-arguments", "pre");
    card.append(list);
  }
  const buttons = Object.assign(document.createElement("form"), { className: "tool-confirm-buttons" });
  const deny = Object.assign(document.createElement("button"), { type: "submit", className: "button tool-deny", textContent: chat.dataset.labelDeny });
  deny.value = "deny";
  for (const signIn of hosts) {
    const back = `/c/${chat.dataset.conversation}?resume=${reply.dataset.id}`;
    buttons.append(Object.assign(document.createElement("a"), {
      className: "button primary tool-sign-in", href: `${signIn.url}?next=${encodeURIComponent(back)}`,
      textContent: chat.dataset.labelSignIn.replace("{host}", signIn.host),
    }));
  }
  if (!hosts.length) {
    const allow = Object.assign(document.createElement("button"), { type: "submit", className: "button primary tool-allow", textContent: chat.dataset.labelAllow });
    allow.value = "allow";
    buttons.append(allow);
    if (always) {
      const forever = Object.assign(document.createElement("button"), { type: "submit", className: "button tool-always", textContent: chat.dataset.labelAlways });
      forever.value = "always";
      buttons.append(forever);
    }
  }
  buttons.append(deny);
  card.append(buttons);
  reply.querySelector(".message-body").after(card);
  enableConfirm(reply, card);
}

function enableConfirm(reply, card) {
  card.querySelector("form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (streaming) return;
    const decision = event.submitter?.value; // Enter in no button: neither allowed nor remembered
    card.remove();
    streamReply(`${api}/messages/${reply.dataset.id}/confirm`, { allow: decision === "allow" || decision === "always", always: decision === "always" }, null, reply);
  });
}

// The newest text stays in view while it streams, unless the person scrolled up to read.
function nearBottom() {
  return innerHeight + scrollY >= document.documentElement.scrollHeight - 120;
}
function followNewest(wasNearBottom) {
  if (wasNearBottom) window.scrollTo(0, document.documentElement.scrollHeight);
}

// `existing`: a reply carried on in place, after a decision on its tool calls or by Continue
// (a reply the token limit cut); its new text streams after what it already shows.
async function streamReply(path, body, author, existing = null) {
  setStreaming(true);
  say("");
  const reply = existing ?? messageItem("assistant", author);
  const previous = { status: reply.dataset.status, cut: Boolean(reply.querySelector(".cut-note")) };
  reply.dataset.status = "streaming";
  const body_ = reply.querySelector(".message-body");
  // Plain text while streaming (nothing is parsed as HTML), after what the reply already shows.
  const text = existing ? body_.appendChild(Object.assign(document.createElement("span"), { className: "continuation" })) : body_;
  const undo = () => {
    if (!existing) return reply.remove();
    text.remove();
    reply.dataset.status = previous.status;
  };
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
  } catch {
    undo();
    setStreaming(false);
    continueForm.hidden = !previous.cut;
    say(chat.dataset.labelNetwork, true);
    return false;
  }
  if (!response.ok) {
    undo();
    setStreaming(false);
    continueForm.hidden = !previous.cut;
    const problem = await response.json().catch(() => null);
    say(problem?.error?.message || response.statusText, true);
    if (problem?.error?.upgrade_url) {
      // A plan refusal links to the plans rather than naming the address as text.
      const link = Object.assign(document.createElement("a"), { href: problem.error.upgrade_url, textContent: chat.dataset.labelPlans });
      statusLine.append(" ", link);
    }
    if (problem?.error?.buy_url) {
      // A priced GPT the person has no credit for: a link to buy credit.
      const link = Object.assign(document.createElement("a"), { href: problem.error.buy_url, textContent: chat.dataset.labelBuyCredit });
      statusLine.append(" ", link);
    }
    return false;
  }
  try {
    for await (const [name, data] of sseEvents(response)) {
      if (name === "delta") {
        const follow = nearBottom();
        text.append(data.text);
        say("");
        followNewest(follow);
      } else if (name === "tool") {
        // "Used Calculator: 2+2 = 4": what the GPT did, shown above its answer (as on reload)
        body_.before(Object.assign(document.createElement("p"), { className: "tool-use", textContent: data.line }));
        if (data.sources?.length) body_.before(toolLinks(data.sources, chat.dataset.labelPagesUsed || "Pages used"));
      } else if (name === "queued") {
        say(chat.dataset.labelQueued.replace("{n}", data.position));
      } else if (name === "done") {
        body_.innerHTML = data.html; // sanitized by the server; a continuation's is the whole reply
        enhanceCodeBlocks(reply);
        reply.dataset.id = data.id;
        reply.dataset.status = data.status;
        reply.querySelector(".cut-note")?.remove();
        if (data.cut) {
          body_.after(Object.assign(document.createElement("p"), { className: "message-note cut-note", textContent: chat.dataset.labelCut }));
        }
        continueForm.hidden = !data.cut;
        named(conversation, data.title);
        if (data.status === "stopped" && data.error) {
          // Stopped by the instruction-leak filter: said under the reply, as on reload.
          body_.after(Object.assign(document.createElement("p"), { className: "message-note error", role: "alert", textContent: data.error }));
        } else if (data.status === "stopped") say(chat.dataset.labelStopped);
        if (data.status === "failed") say(data.error || chat.dataset.labelFailed, true);
        if (data.withheld) say(data.withheld, true); // the guardrails replaced what streamed with this notice
        if (data.stored === false) say(chat.dataset.labelUnsaved, true);
        if (data.citations?.length) body_.after(citationList(data.citations, chat.dataset.labelSources));
        if (data.status === "waiting") confirmCard(reply, data.confirm);
        addCopyButton(reply);
      }
    }
  } catch {
    say(chat.dataset.labelNetwork, true);
  }
  setStreaming(false);
  return true;
}

async function send(content) {
  const trimmed = content.trim();
  if (!trimmed || streaming) return;
  const author = mentionInput.value ? mentionName : chat.dataset.gptName;
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; // for the GPT's tools that tell the time
  const body = editing ? { content, timezone } : { content, mention: mentionInput.value || null, timezone };
  const path = editing ? `${api}/edit` : `${api}/messages`;
  if (editing) {
    // The last exchange is replaced: drop it from the page as the server does.
    const users = list.querySelectorAll(".message.user");
    const lastUser = users[users.length - 1];
    while (lastUser.nextElementSibling) lastUser.nextElementSibling.remove();
    lastUser.remove();
  }
  const mine = messageItem("user", chat.dataset.labelYou);
  mine.querySelector(".message-body").textContent = trimmed;
  textarea.value = "";
  const ok = await streamReply(path, body, author);
  if (!ok) {
    mine.remove();
    textarea.value = content; // refused: the user's text goes back where it was
  }
  editing = false;
  mentionInput.value = "";
  mentionName = "";
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  send(textarea.value);
});

textarea.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && mentionList.hidden) {
    event.preventDefault();
    send(textarea.value);
  }
});

for (const starter of document.querySelectorAll(".chat-empty .starter")) {
  starter.addEventListener("click", (event) => {
    event.preventDefault();
    send(starter.value);
  });
}

document.getElementById("regenerate-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const last = list.lastElementChild;
  const author = last?.querySelector(".message-author")?.textContent || chat.dataset.gptName;
  if (last?.classList.contains("assistant")) last.remove();
  streamReply(`${api}/regenerate`, {}, author);
});

continueForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const last = list.lastElementChild;
  if (last?.classList.contains("assistant")) streamReply(`${api}/continue`, {}, "", last);
});

stopButton.addEventListener("click", () => {
  fetch(`${api}/stop`, { method: "POST", headers: { "X-CSRF-Token": csrf } });
});

// Esc stops the reply being written (unless it closes a dialog or the drawer first).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !streaming || event.defaultPrevented || document.querySelector("dialog[open]")) return;
  event.preventDefault();
  stopButton.click();
});

editButton.addEventListener("click", () => {
  const users = list.querySelectorAll(".message.user .message-body");
  textarea.value = users[users.length - 1].textContent;
  editing = true;
  textarea.focus();
});

// @-mention: list the GPTs the user may use while they type "@name".
textarea.addEventListener("input", async () => {
  if (mentionName && !textarea.value.includes(`@${mentionName}`)) {
    mentionInput.value = "";
    mentionName = "";
  }
  const typed = textarea.value.slice(0, textarea.selectionStart).match(/(^|\s)@([^\s@]*)$/);
  if (!typed) {
    mentionList.hidden = true;
    return;
  }
  const response = await fetch(`/api/mentions?q=${encodeURIComponent(typed[2])}`);
  const gpts = response.ok ? await response.json() : [];
  mentionList.replaceChildren(
    ...gpts.map((gpt) => {
      const option = document.createElement("li");
      option.setAttribute("role", "option");
      option.tabIndex = 0;
      option.textContent = gpt.name;
      const choose = () => {
        const start = textarea.selectionStart - typed[2].length - 1;
        textarea.value = `${textarea.value.slice(0, start)}@${gpt.name} ${textarea.value.slice(textarea.selectionStart)}`;
        mentionInput.value = gpt.id;
        mentionName = gpt.name;
        mentionList.hidden = true;
        textarea.focus();
      };
      option.addEventListener("click", choose);
      option.addEventListener("keydown", (event) => event.key === "Enter" && (event.preventDefault(), choose()));
      return option;
    }),
  );
  mentionList.hidden = gpts.length === 0;
});

for (const item of list.querySelectorAll(".message.assistant")) addCopyButton(item);
for (const card of list.querySelectorAll(".message.assistant .tool-confirm")) enableConfirm(card.closest(".message"), card);
// Back from signing in to an OAuth action's provider: the reply carries on at once when none of its calls needs Allow.
const resumed = list.querySelector('.tool-confirm[data-resume="allow"]');
history.replaceState(null, "", location.pathname + location.search.replace(/([?&])resume=\d+&?/, "$1").replace(/[?&]$/, ""));
if (resumed) {
  const reply = resumed.closest(".message");
  resumed.remove();
  streamReply(`${api}/messages/${reply.dataset.id}/confirm`, { allow: true }, null, reply);
}
if (list.lastElementChild) window.scrollTo(0, document.documentElement.scrollHeight); // a conversation opens at its newest message
editButton.hidden = !list.querySelector(".message.user");
if (textarea.dataset.autosend && textarea.value.trim()) {
  history.replaceState(null, "", location.pathname); // a reload must not send it twice
  send(textarea.value);
}
