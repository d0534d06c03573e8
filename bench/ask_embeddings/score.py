"""Scores the output of `ask-embeddings` (see Cargo.toml): the embedding model alone, beside the rules, and the
better of the two per question, on the set the rules were developed on and on the held-out sets."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1] if len(sys.argv) > 1 else "/tmp/ask-embeddings.jsonl")]
answerable = [r for r in rows if r["answerable"]]
unanswerable = [r for r in rows if not r["answerable"]]


def best(r):
    return max(r["sentences"], key=lambda s: s[0])


def pct(n, d):
    return f"{100 * n / max(d, 1):.1f}%"


for name, keep in [("main", lambda r: r["set"] == "ask.jsonl"), ("held-out", lambda r: r["set"] != "ask.jsonl"),
                   ("all", lambda r: True)]:
    a = [r for r in answerable if keep(r)]
    print(f"{name}: {len(a)} answerable; right first sentence: embeddings alone {pct(sum(best(r)[1] for r in a), len(a))}, "
          f"rules {pct(sum(bool(r['rules']) for r in a), len(a))}, the better of the two "
          f"{pct(sum(bool(r['rules']) or best(r)[1] for r in a), len(a))}")

print("embeddings only where the rules find no answer (all sets):")
declined_by_rules = sum(1 for r in unanswerable if r["rules"] is None)
print(f"  rules alone: right {pct(sum(bool(r['rules']) for r in answerable), len(answerable))}, "
      f"declined {pct(declined_by_rules, len(unanswerable))}")
for threshold in [0.5, 0.55, 0.6, 0.65, 0.7, 0.75]:
    right = sum(bool(r["rules"]) if r["rules"] is not None else (best(r)[0] >= threshold and best(r)[1])
                for r in answerable)
    declined = sum(1 for r in unanswerable if r["rules"] is None and best(r)[0] < threshold)
    print(f"  cosine >= {threshold}: right {pct(right, len(answerable))}, declined {pct(declined, len(unanswerable))}")
