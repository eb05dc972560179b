// Small progressive enhancements; every page works without this file.
document.documentElement.classList.add("js");

// The language menu applies the choice at once instead of waiting for its button.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}
