"""Layout checks for the browser tests: a page must fit the screen it is shown on."""

from __future__ import annotations

# What sticks out past the right edge (inside a scrolling box or not), so a failure names the culprit.
OVERFLOWING = """() => {
  const width = innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (!box.width || box.right <= width + 0.5) continue;
    let scrolled = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)) { scrolled = true; break; }
    }
    out.push(`${scrolled ? 'scrolled ' : ''}${el.tagName.toLowerCase()}.${el.className} right=${Math.round(box.right)}`);
  }
  const outside = out.filter(line => !line.startsWith('scrolled '));
  return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: width, culprits: outside.slice(0, 8).concat(out.slice(0, 4))};
}"""


def assert_fits_the_screen(page) -> None:
    """No horizontal scrolling: the document is no wider than the window (a 390 px phone included)."""
    found = page.evaluate(OVERFLOWING)
    assert found["scrollWidth"] <= found["innerWidth"], f"{page.url} is wider than the screen: {found}"
