#!/usr/bin/env python3
"""Where a story clustering loses on ../shared/bench/stories/dev.jsonl.

usage: stories_diagnose.py GOLD.jsonl PRED.jsonl

Scores PRED (as `tidings eval stories` writes it) on the undated (NeuS) and dated (AllSides) articles apart,
and against the gold stories with the cross-source duplicates joined: the file's two sources share events, and
an article that appears in both (same title) carries a different gold story in each, so a grouping by event is
marked wrong for joining them. Also prints the best a perfect grouping of events could score on the gold as
it is.
"""
import collections
import json
import sys


def score(ids, gold, pred):
    gm, pm = collections.defaultdict(set), collections.defaultdict(set)
    for i in ids:
        gm[gold[i]].add(i)
        pm[pred[i]].add(i)
    bp = br = 0.0
    for i in ids:
        g, p = gm[gold[i]], pm[pred[i]]
        both = len(g & p)
        bp += both / len(p)
        br += both / len(g)
    bp, br = bp / len(ids), br / len(ids)
    bf = 2 * bp * br / (bp + br) if bp + br else 0.0
    pairs = lambda m: sum(len(x) * (len(x) - 1) // 2 for x in m.values())
    tp = sum(c * (c - 1) // 2 for p in pm.values() for c in collections.Counter(gold[i] for i in p).values())
    pp, pr = tp / max(pairs(pm), 1), tp / max(pairs(gm), 1)
    pf = 2 * pp * pr / (pp + pr) if pp + pr else 0.0
    return f'B3 F1 {bf:.4f} (P {bp:.3f} R {br:.3f})  pairwise F1 {pf:.4f} (P {pp:.3f} R {pr:.3f})'


def main():
    rows = [json.loads(line) for line in open(sys.argv[1], encoding='utf-8') if line.strip()]
    pred = {}
    for line in open(sys.argv[2], encoding='utf-8'):
        if line.strip():
            r = json.loads(line)
            pred[str(r['id'])] = str(r['story'])
    gold = {r['id']: r['story'] for r in rows}
    for r in rows:
        pred.setdefault(r['id'], '__single__' + r['id'])
    ids = [r['id'] for r in rows]
    print('all articles            ', score(ids, gold, pred))
    print('undated (NeuS) only     ', score([r['id'] for r in rows if r['published'] is None], gold, pred))
    print('dated (AllSides) only   ', score([r['id'] for r in rows if r['published'] is not None], gold, pred))

    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    by_title = collections.defaultdict(list)
    for r in rows:
        by_title[r['title'].strip().lower()].append(r['story'])
    for stories in by_title.values():
        for s in stories[1:]:
            a, b = find(stories[0]), find(s)
            if a != b:
                parent[b] = a
    joined = {r['id']: find(r['story']) for r in rows}
    dated = sum(1 for r in rows if r['published'] is not None)
    doubled = sum(1 for r in rows if r['published'] is not None and len(set(by_title[r['title'].strip().lower()])) > 1)
    print(f'{doubled} of {dated} dated articles share their title with an article of another gold story')
    print('gold duplicates joined  ', score(ids, joined, pred))
    print('perfect event grouping  ', score(ids, gold, joined))


if __name__ == '__main__':
    main()
