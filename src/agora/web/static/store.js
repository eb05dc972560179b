// Type-ahead for the store search box (ARIA combobox with a listbox of GPT names).
// Without JavaScript the box is a plain search form.

const input = document.querySelector("input[data-suggest]");
if (input) {
  const list = document.getElementById(input.getAttribute("aria-controls"));
  let active = -1;
  let timer = null;
  let lastQuery = "";
  let controller = null;

  const options = () => [...list.querySelectorAll("[role=option]")];

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    const all = options();
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index >= 0) input.setAttribute("aria-activedescendant", all[index].id);
    else input.removeAttribute("aria-activedescendant");
  }

  async function suggest(query) {
    controller?.abort();
    controller = new AbortController();
    try {
      const response = await fetch(`/api/store/suggest?q=${encodeURIComponent(query)}`, { signal: controller.signal });
      if (!response.ok) return close();
      const items = await response.json();
      if (input.value.trim() !== query) return; // the user typed on meanwhile
      list.replaceChildren(
        ...items.map((item, i) => {
          const option = document.createElement("li");
          option.id = `suggestion-${i}`;
          option.setAttribute("role", "option");
          option.dataset.href = `/g/${item.id}`;
          option.textContent = item.name; // text, never HTML: names are user content
          option.addEventListener("mousedown", (event) => {
            event.preventDefault();
            window.location.assign(option.dataset.href);
          });
          return option;
        }),
      );
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", String(items.length > 0));
      highlight(-1);
    } catch (error) {
      if (error.name !== "AbortError") close();
    }
  }

  input.addEventListener("input", () => {
    const query = input.value.trim();
    clearTimeout(timer);
    if (query.length < 2) return close();
    if (query === lastQuery) return;
    timer = setTimeout(() => {
      lastQuery = query;
      suggest(query);
    }, 120);
  });

  input.addEventListener("keydown", (event) => {
    const all = options();
    if (list.hidden || all.length === 0) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight((active + 1) % all.length);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active <= 0 ? all.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.assign(all[active].dataset.href);
    } else if (event.key === "Escape") {
      close();
    }
  });

  input.addEventListener("blur", () => setTimeout(close, 100));
}
