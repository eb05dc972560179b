// Small progressive enhancements; every page works without this file.
document.documentElement.classList.add("js");

// The language menu applies the choice at once instead of waiting for its button.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

// A file larger than its field accepts is dropped when chosen, with the reason beside it:
// sent, it would make the server refuse the whole form unread, and what was typed with it.
for (const input of document.querySelectorAll("input[type=file][data-max-bytes]")) {
  const alert = document.createElement("p");
  alert.className = "error";
  alert.setAttribute("role", "alert");
  alert.hidden = true;
  input.after(alert);
  input.addEventListener("change", () => {
    const tooLarge = [...input.files].some((file) => file.size > Number(input.dataset.maxBytes));
    alert.textContent = tooLarge ? input.dataset.tooLarge : "";
    alert.hidden = !tooLarge;
    if (tooLarge) input.value = "";
  });
}

// A copy button beside a read-only field (an invitation link): shown only where a script can copy.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  button.hidden = !navigator.clipboard;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(field.value);
    button.textContent = button.dataset.copied;
  });
}

// Where a composer says so, Enter sends and Shift+Enter starts a new line, as in the chat.
for (const area of document.querySelectorAll("textarea[data-enter-sends]")) {
  area.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    area.form.requestSubmit();
  });
}

// The browser's time zone, for what the server groups by day (the chat's "Today", "Yesterday").
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (zone && /^[\w+\-/]+$/.test(zone) && !document.cookie.split("; ").includes(`tz=${zone}`)) {
  document.cookie = `tz=${zone}; path=/; max-age=31536000; samesite=lax`;
}
