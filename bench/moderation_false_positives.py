"""False positives of the automated checks on the 505 demo GPTs (the LobeHub agents Agora seeds): docs/moderation.md.

Every demo GPT is an ordinary assistant, so every flag is a false positive. Run: .venv/bin/python bench/moderation_false_positives.py
[--threshold 0.9]. Prints, per check, how many GPTs it flags and which, and the classifier's flags at several thresholds.
"""

from __future__ import annotations

import argparse
from collections import Counter
from itertools import combinations

from agora.config import Settings
from agora.demo.catalogue import entries
from agora.moderation import clones, impersonation
from agora.moderation.checks import screened_texts
from agora.moderation.providers.builtin import BuiltinModeration, wordlist_categories


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=Settings(_env_file=None).moderation_profanity_threshold)
    args = parser.parse_args()
    catalogue = list(entries())
    provider = BuiltinModeration(profanity_threshold=0.0)  # every score, to count at several thresholds
    by_gpt_scores, wordlist_flags = [], []
    for entry in catalogue:
        texts = screened_texts(entry.content)
        scores = [s.categories.get("harassment", 0.0) for s in provider.screen(list(texts.values()))]
        by_gpt_scores.append(max(scores, default=0.0))
        found = {c for text in texts.values() for c in wordlist_categories(text)}
        if found:
            wordlist_flags.append((entry.content.name, sorted(found)))
    total = len(catalogue)
    print(f"demo GPTs: {total}")
    print(f"wordlists (EN+FR): {len(wordlist_flags)} flagged ({100 * len(wordlist_flags) / total:.1f} %): {wordlist_flags}")
    for threshold in (0.5, 0.7, 0.8, 0.9, 0.95):
        flagged = sum(score >= threshold for score in by_gpt_scores)
        marker = "  <- AGORA_MODERATION_PROFANITY_THRESHOLD" if threshold == args.threshold else ""
        print(f"classifier at {threshold}: {flagged} flagged ({100 * flagged / total:.1f} %){marker}")
    worst = sorted(zip(by_gpt_scores, (e.content.name for e in catalogue), strict=True), reverse=True)[:5]
    print("highest classifier scores:", [(name, round(score, 3)) for score, name in worst])

    brands = [n.strip() for n in Settings(_env_file=None).moderation_protected_names.split(",")]
    claimed = Counter()
    for entry in catalogue:
        content = entry.content
        texts = [content.name, content.description] + [t for tr in content.localized.values() for t in (tr.name, tr.description)]
        for name in impersonation.claimed_names(texts, brands):
            claimed[name] += 1
    impersonating = sum(1 for e in catalogue if impersonation.claimed_names(
        [e.content.name, e.content.description] + [t for tr in e.content.localized.values() for t in (tr.name, tr.description)], brands))
    print(f"impersonation (brands {brands}): {impersonating} flagged ({100 * impersonating / total:.1f} %): {dict(claimed)}")

    signatures = [(e, clones.signature(e.content.instructions)) for e in catalogue]
    comparable = [(e, s) for e, s in signatures if s is not None]
    pairs = [(a.content.name, b.content.name, round(clones.similarity(sa, sb), 3))
             for (a, sa), (b, sb) in combinations(comparable, 2)
             if a.author != b.author and clones.similarity(sa, sb) >= Settings(_env_file=None).moderation_clone_threshold]
    print(f"clones: {len(comparable)} GPTs with instructions long enough to compare; {len(pairs)} pairs by different authors"
          f" at or above the threshold: {pairs}")


if __name__ == "__main__":
    main()
