// Server-Sent Events from a fetch() response: yields [event, data] as frames arrive.
// Shared by the chat and the builder's draft preview.

export async function* sseEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = frame.match(/^event: (.*)$/m)?.[1];
      const data = frame.match(/^data: (.*)$/m)?.[1];
      if (name && data) yield [name, JSON.parse(data)];
    }
  }
}

// A reply's numbered sources, as the server renders them on reload (chat/_citations.html).
export function citationList(citations, label) {
  const list = Object.assign(document.createElement("ol"), { className: "citations" });
  list.setAttribute("aria-label", label);
  for (const citation of citations) {
    const item = Object.assign(document.createElement("li"), { className: "citation", value: citation.number, title: citation.quote });
    const details = document.createElement("details");
    details.append(Object.assign(document.createElement("summary"), { textContent: `[${citation.number}] ${citation.label}` }),
                   Object.assign(document.createElement("blockquote"), { textContent: citation.quote }));
    item.append(details);
    // The builder lets users download the cited file (the server sets the link only then; the route checks again).
    if (citation.download?.startsWith("/api/gpts/")) {
      const link = Object.assign(document.createElement("a"), { className: "citation-download", href: citation.download, textContent: citation.download_label });
      link.setAttribute("download", "");
      item.append(" ", link);
    }
    list.append(item);
  }
  return list;
}

// The pages a tool drew on (web search results, a page read, a map), as the chat page renders them (chat/_tool_links.html).
export function toolLinks(sources, label) {
  const list = Object.assign(document.createElement("ul"), { className: "tool-links" });
  list.setAttribute("aria-label", label);
  for (const source of sources) {
    if (!/^https?:\/\//.test(source.url)) continue;
    const link = Object.assign(document.createElement("a"), { href: source.url, textContent: source.title, target: "_blank",
                                                            rel: "nofollow noopener noreferrer ugc" });
    const item = document.createElement("li");
    item.append(link);
    list.append(item);
  }
  return list;
}
