"""Make the preset compression dictionaries from a store: `python tools/make_dictionary.py DATABASE_URL... VERSION`.

Writes engine/store/dictionaries/workflow-VERSION.txt and document-VERSION.txt from the workflow states and
document bodies in the given store (run it on a store this repository's own routes filled, e.g. the demo
installation after `jiuzhu demo` and the over-HTTP benchmark's cases). One sample is taken per distinct
(route, step) for states and per kind for documents, the most frequent last: zlib finds a match cheapest
near the end of a dictionary. A dictionary, once shipped, is never changed (stored values name it by its
Adler-32); a better one is a new VERSION.
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from engine.store.compression import DICTIONARY_DIR
from engine.store.database import Database
from engine.store.models import Case, Document

LIMIT = 24 * 1024  # leaves room in zlib's 32 KB window for the value itself
# An ID number in a sample (the demo's and the bench's are made up, but a store's may not be) is written as
# eighteen zeros: the dictionary keeps the shape of the text, never a person's number.
ID_NUMBER = re.compile(rb"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")


def _dictionary(samples: list[tuple[str, str]]) -> bytes:
    """Samples (group, text): one text per group, the commonest group last, cut to LIMIT from the front."""
    counts = Counter(group for group, _ in samples)
    chosen: dict[str, str] = {}
    for group, body in samples:
        chosen.setdefault(group, body)
    ordered = sorted(chosen, key=lambda group: counts[group])
    data = ID_NUMBER.sub(b"0" * 18, "".join(chosen[group] for group in ordered).encode())
    return data[-LIMIT:]


def main(argv: list[str]) -> int:
    """Read the stores, write the two dictionary files, print their sizes."""
    if len(argv) < 3:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    version = int(argv[-1])
    states: list[tuple[str, str]] = []
    documents: list[tuple[str, str]] = []
    for url in argv[1:-1]:
        database = Database(url)
        with database.unit_of_work() as uow:
            s = uow.session
            states += [(f"{c.process_id}/{c.status}/{c.current_step}", c.state)
                       for c in s.scalars(select(Case).order_by(Case.id))]
            documents += [(d.kind, d.body) for d in s.scalars(select(Document).order_by(Document.id))]
        database.dispose()
    for kind, samples in (("workflow", states), ("document", documents)):
        path = DICTIONARY_DIR / f"{kind}-{version}.txt"
        if path.exists():
            print(f"{path} exists: a shipped dictionary is never changed, give a new version", file=sys.stderr)
            return 1
        data = _dictionary(samples)
        Path(path).write_bytes(data)
        print(f"{path}: {len(data):,} bytes from {len(samples)} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
