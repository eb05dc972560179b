"""Layout checks for the browser tests: a page must fit the screen it is shown on."""

from __future__ import annotations

# The elements that stick out past the right edge, innermost first, so a failure names the culprit.
OVERFLOWING = """() => {
  const width = innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 0.5) {
      let inScroller = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const style = getComputedStyle(p);
        if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) { inScroller = true; break; }
      }
      out.push(`${inScroller ? 'scrolled ' : ''}${el.tagName.toLowerCase()}.${el.className} right=${Math.round(box.right)}`);
    }
  }
  const tops = [...document.querySelectorAll('body, body > *, main > *, main > * > *')].map(e => `${e.tagName}.${e.className}:${Math.round(e.getBoundingClientRect().right)}/${e.scrollWidth}`);
  return {tops, scrollWidth: document.scrollingElement.scrollWidth, innerWidth: width, culprits: out.filter(line => !line.startsWith('scrolled ')).slice(0, 8).concat(out.slice(0, 4))};
}"""


def assert_fits_the_screen(page) -> None:
    """No horizontal scrolling: the document is no wider than the window (a 390 px phone included)."""
    found = page.evaluate(OVERFLOWING)
    assert found["scrollWidth"] <= found["innerWidth"], f"{page.url} is wider than the screen: {found}"
