"""Colour contrast for the browser tests: every visible piece of text against what is behind it (WCAG 2 formula)."""

from __future__ import annotations

# For each element holding visible text: its colour, and the first opaque background found
# walking up from it (semi-transparent layers blended on the way), as the eye sees them.
LOW_CONTRAST = """(minimum) => {
  const parse = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const over = (top, below) => ({
    r: top.r * top.a + below.r * (1 - top.a), g: top.g * top.a + below.g * (1 - top.a), b: top.b * top.a + below.b * (1 - top.a), a: 1,
  });
  const luminance = ({ r, g, b }) => {
    const f = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour.a > 0) {
        layers.push(colour);
        if (colour.a >= 1) break;
      }
    }
    let result = layers.length && layers[layers.length - 1].a >= 1 ? layers.pop() : { r: 255, g: 255, b: 255, a: 1 };
    while (layers.length) result = over(layers.pop(), result);
    return result;
  };
  const found = [];
  for (const el of document.body.querySelectorAll("*")) {
    const text = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join("").trim();
    if (!text || el.closest("[hidden], .visually-hidden, option, script, style") || el.disabled) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== "visible" || Number(style.opacity) === 0 || !el.getClientRects().length) continue;
    const back = background(el);
    const fore = over(parse(style.color), back);
    const [light, dark] = [luminance(fore), luminance(back)].sort((x, y) => y - x);
    const ratio = (light + 0.05) / (dark + 0.05);
    if (ratio < minimum) found.push(`${el.tagName.toLowerCase()}.${el.className} "${text.slice(0, 30)}": ${ratio.toFixed(2)}`);
  }
  return found;
}"""


def assert_readable(page, minimum: float = 4.5) -> None:
    """Every visible text of the page reads at `minimum`:1 or more against its background."""
    low = page.evaluate(LOW_CONTRAST, minimum)
    assert not low, f"{page.url}: text below {minimum}:1 contrast: {low[:10]}"
