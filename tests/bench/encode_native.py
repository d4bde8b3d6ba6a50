"""Native anchor for encode.mjs: Python `tokenizers` on the same lines.

Reads {"tokenizer": path, "lines": [...], "rounds": n} as JSON on stdin and
prints {"ms": best, "tokens": n, "ids_digest": ...} as JSON.
"""

import hashlib
import json
import sys
import time

from tokenizers import Tokenizer

job = json.load(sys.stdin)
tokenizer = Tokenizer.from_file(job["tokenizer"])
# As transformers and hubguard: the file's own padding/truncation (MiniLM
# pads to 128) do not apply to plain encoding.
tokenizer.no_padding()
tokenizer.no_truncation()
best = float("inf")
for _ in range(job["rounds"]):
    start = time.perf_counter()
    ids = [tokenizer.encode(line).ids for line in job["lines"]]
    best = min(best, time.perf_counter() - start)
digest = hashlib.sha256(json.dumps(ids, separators=(",", ":")).encode()).hexdigest()
print(json.dumps({"ms": best * 1000, "tokens": sum(map(len, ids)), "ids_digest": digest}))
