// The editor's Knowledge section: upload files to the draft, watch them become ready, remove them,
// and test retrieval as a reply would do it. Talks to the JSON API (/api/gpts/{id}/files).
const section = document.querySelector("[data-knowledge]");

if (section) {
  const gpt = section.dataset.knowledge;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const rows = section.querySelector("[data-knowledge-files]");
  const upload = section.querySelector("[data-knowledge-upload]");
  const errorBox = section.querySelector("[data-knowledge-error]");
  const hits = section.querySelector("[data-knowledge-hits]");
  const labels = section.dataset;
  let timer = null;

  const statusText = (file) => {
    if (file.status === "embedding") return labels.labelEmbedding.replace("{done}", file.chunks_done).replace("{total}", file.chunks_total);
    const label = labels[`label${file.status[0].toUpperCase()}${file.status.slice(1)}`] || file.status;
    return file.error ? `${label}: ${file.error}` : label;
  };

  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  };

  const remove = async (file) => {
    if (!window.confirm(labels.labelConfirm)) return;
    const response = await fetch(`/api/gpts/${gpt}/files/${file.id}`, { method: "DELETE", headers: { "X-CSRF-Token": csrf } });
    if (!response.ok) showError((await response.json().catch(() => ({}))).error?.message || response.statusText);
    refresh();
  };

  const render = (files) => {
    rows.replaceChildren(...files.map((file) => {
      const row = document.createElement("tr");
      row.dataset.status = file.status;
      row.dataset.file = file.id;
      const name = Object.assign(document.createElement("td"), { textContent: file.name });
      const status = Object.assign(document.createElement("td"), { className: `knowledge-status ${file.status}`, textContent: statusText(file) });
      const actions = document.createElement("td");
      const button = Object.assign(document.createElement("button"), { type: "button", textContent: labels.labelRemove });
      button.setAttribute("aria-label", `${labels.labelRemove} ${file.name}`);
      button.addEventListener("click", () => remove(file));
      actions.append(button);
      row.append(name, status, actions);
      return row;
    }));
  };

  async function refresh() {
    clearTimeout(timer);
    const response = await fetch(`/api/gpts/${gpt}/files`, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const files = await response.json();
    render(files);
    // Poll while a file is on its way; stop once every file is ready or failed.
    if (files.some((file) => !["ready", "failed"].includes(file.status))) timer = setTimeout(refresh, 1000);
  }

  upload.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = upload.elements.file;
    if (!input.files.length) return;
    showError(labels.labelUploading);
    errorBox.removeAttribute("role");
    const body = new FormData();
    body.append("file", input.files[0]);
    const response = await fetch(`/api/gpts/${gpt}/files`, { method: "POST", headers: { "X-CSRF-Token": csrf }, body });
    errorBox.setAttribute("role", "alert");
    if (!response.ok) {
      showError((await response.json().catch(() => ({}))).error?.message || response.statusText);
    } else {
      showError("");
      input.value = "";
    }
    refresh();
  });

  section.querySelector("[data-knowledge-search]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = event.target.elements.q.value;
    const response = await fetch(`/api/gpts/${gpt}/knowledge/search?${new URLSearchParams({ q, limit: 5 })}`);
    const items = response.ok ? (await response.json()).items : [];
    hits.replaceChildren(...items.map((item) => {
      const li = document.createElement("li");
      const where = item.page ? `${item.file_name}, ${labels.labelPage.replace("{page}", item.page)}` : item.file_name;
      li.append(Object.assign(document.createElement("strong"), { textContent: where }),
                Object.assign(document.createElement("p"), { textContent: item.text.slice(0, 400) }));
      return li;
    }));
    if (!items.length) hits.replaceChildren(Object.assign(document.createElement("li"), { textContent: labels.labelNone }));
  });

  refresh();
}
