// Code blocks in rendered Markdown (replies, shared conversations, the editor's preview): a bar
// above each with its language and a Copy button. The server renders the code (chat/markdown.py);
// this only adds the bar, so a page without scripts shows the same code without it.

const labels = document.body.dataset;

export function enhanceCodeBlocks(root) {
  for (const pre of root.querySelectorAll(".markdown pre")) {
    if (pre.parentElement.classList.contains("code-block")) continue;
    const code = pre.querySelector("code");
    const language = [...(code?.classList ?? [])].find((name) => name.startsWith("language-"))?.slice("language-".length) ?? "";
    const bar = Object.assign(document.createElement("div"), { className: "code-head" });
    bar.append(Object.assign(document.createElement("span"), { className: "code-language", textContent: language }));
    if (navigator.clipboard) {
      const button = Object.assign(document.createElement("button"), { type: "button", className: "code-copy", textContent: labels.labelCopyCode });
      button.addEventListener("click", async () => {
        await navigator.clipboard.writeText((code ?? pre).textContent);
        button.textContent = labels.labelCopied;
        setTimeout(() => (button.textContent = labels.labelCopyCode), 2000);
      });
      bar.append(button);
    }
    const block = Object.assign(document.createElement("div"), { className: "code-block" });
    pre.replaceWith(block);
    block.append(bar, pre);
  }
}

enhanceCodeBlocks(document);
