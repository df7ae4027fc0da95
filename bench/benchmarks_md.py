"""BENCHMARKS.md: each bench script owns one `## ` section and replaces it (or appends it)."""

import os
import re

PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "BENCHMARKS.md")


def write_section(heading, text):
    """Replaces the section that starts with `heading` by `text`, or appends `text`."""
    with open(PATH) as f:
        doc = f.read()
    pattern = re.compile(r"^" + re.escape(heading) + r"[^\n]*\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(doc):
        doc = pattern.sub(lambda _: text.rstrip("\n") + "\n\n", doc, count=1).rstrip("\n") + "\n"
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    with open(PATH, "w") as f:
        f.write(doc)
    return PATH
