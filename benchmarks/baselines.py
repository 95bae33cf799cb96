"""The cost of JSON alone: read each line, parse it, dump it back (orjson), decide nothing.

No engine can beat this end to end; the distance to it is what deciding costs.
"""

from __future__ import annotations

import sys

import orjson


def main(source: str, target: str) -> None:
    loads, dumps, newline = orjson.loads, orjson.dumps, orjson.OPT_APPEND_NEWLINE
    with open(source, "rb") as src, open(target, "wb") as out:
        write = out.write
        for raw in src:
            if not raw.strip():
                continue
            try:
                write(dumps(loads(raw), option=newline))
            except ValueError:
                write(b'{"error":"invalid_json"}\n')


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
