#!/usr/bin/env python3
"""Trains the entity tagger's CRFs from feature dumps written by `ner_features dump` (see README.md).

usage:
  train.py train FEATS WEIGHTS_OUT [--c1 X] [--c2 Y] [--iter N] [--holdout FRAC]
      Trains one CRF (L-BFGS, elastic net) and writes its non-zero weights for `ner_features pack`.
      With --holdout, trains on the documents before the last FRAC of FEATS and prints the entity F1 over
      PER/ORG/LOC on those last documents (for choosing c1/c2 without touching the development set).
  train.py jackknife FEATS TAGS_OUT --folds K [--c1 X] [--c2 Y] [--iter N] [--jobs J]
      Labels every document with a CRF trained on the other folds (document i is in fold i % K), for
      training the second pass on first-pass labels that are as wrong as they will be on unseen text.
"""
import argparse
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor

import pycrfsuite


def read_docs(path):
    """Documents as lists of sentences, each (labels, features per token)."""
    docs, sent_y, sent_x = [], [], []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if line == '#doc':
                docs.append([])
                continue
            if not line:
                if sent_y:
                    docs[-1].append((sent_y, sent_x))
                sent_y, sent_x = [], []
                continue
            parts = line.split('\t')
            sent_y.append(parts[0])
            sent_x.append(parts[1:])
    if sent_y:
        docs[-1].append((sent_y, sent_x))
    return docs


def train(docs, model_path, c1, c2, iters):
    t = pycrfsuite.Trainer(verbose=False)
    for doc in docs:
        for y, x in doc:
            t.append(x, y)
    t.set_params({'c1': c1, 'c2': c2, 'max_iterations': iters, 'feature.possible_transitions': True})
    t.train(model_path)


def tag(model_path, docs):
    tg = pycrfsuite.Tagger()
    tg.open(model_path)
    out = [[tg.tag(x) for _, x in doc] for doc in docs]
    tg.close()
    return out


def spans(labels):
    out, start, kind = set(), None, None
    for i, l in enumerate(list(labels) + ['O']):
        pre, _, k = l.partition('-')
        if kind is not None and (l == 'O' or pre == 'B' or k != kind):
            out.add((start, i, kind))
            kind = None
        if l != 'O' and kind is None:
            start, kind = i, k
    return out


def f1(gold_docs, pred_docs, kinds=('PER', 'ORG', 'LOC')):
    tp = fp = fn = 0
    for gd, pd in zip(gold_docs, pred_docs):
        for (y, _), p in zip(gd, pd):
            g = {s for s in spans(y) if s[2] in kinds}
            q = {s for s in spans(p) if s[2] in kinds}
            tp += len(g & q)
            fp += len(q - g)
            fn += len(g - q)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return 2 * prec * rec / (prec + rec) if prec + rec else 0.0


def write_weights(model_path, out_path):
    tg = pycrfsuite.Tagger()
    tg.open(model_path)
    info = tg.info()
    labels = list(tg.labels())
    index = {l: i for i, l in enumerate(labels)}
    with open(out_path, 'w', encoding='utf-8') as f:
        f.write('labels ' + ' '.join(labels) + '\n')
        for (a, b), w in sorted(info.transitions.items()):
            f.write(f't {index[a]} {index[b]} {w:.6g}\n')
        n = 0
        for (attr, label), w in sorted(info.state_features.items()):
            if w != 0.0:
                f.write(f'f {attr} {index[label]} {w:.6g}\n')
                n += 1
    tg.close()
    print(f'{out_path}: {n} state weights, {len(info.transitions)} transitions', file=sys.stderr)


def fold_job(args):
    feats, k, folds, c1, c2, iters = args
    docs = read_docs(feats)
    train_docs = [d for i, d in enumerate(docs) if i % folds != k]
    test_idx = [i for i in range(len(docs)) if i % folds == k]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'fold.crfsuite')
        train(train_docs, path, c1, c2, iters)
        return test_idx, tag(path, [docs[i] for i in test_idx])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('command', choices=['train', 'jackknife'])
    ap.add_argument('feats')
    ap.add_argument('out')
    ap.add_argument('--c1', type=float, default=0.05)
    ap.add_argument('--c2', type=float, default=0.01)
    ap.add_argument('--iter', type=int, default=200)
    ap.add_argument('--holdout', type=float, default=0.0)
    ap.add_argument('--folds', type=int, default=5)
    ap.add_argument('--jobs', type=int, default=1)
    a = ap.parse_args()
    if a.command == 'train':
        docs = read_docs(a.feats)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'model.crfsuite')
            if a.holdout > 0:
                cut = int(len(docs) * (1 - a.holdout))
                train(docs[:cut], path, a.c1, a.c2, a.iter)
                score = f1(docs[cut:], tag(path, docs[cut:]))
                print(f'c1={a.c1} c2={a.c2} iter={a.iter}: held-out F1 (PER/ORG/LOC) {score:.4f}')
            else:
                train(docs, path, a.c1, a.c2, a.iter)
            write_weights(path, a.out)
    else:
        n_docs = len(read_docs(a.feats))
        results = [None] * n_docs
        jobs = [(a.feats, k, a.folds, a.c1, a.c2, a.iter) for k in range(a.folds)]
        with ProcessPoolExecutor(max_workers=a.jobs) as ex:
            for idx, tagged in ex.map(fold_job, jobs):
                for i, t in zip(idx, tagged):
                    results[i] = t
        docs = read_docs(a.feats)
        print(f'jackknife F1 (PER/ORG/LOC) {f1(docs, results):.4f}', file=sys.stderr)
        with open(a.out, 'w', encoding='utf-8') as f:
            for doc in results:
                for sent in doc:
                    f.write('\n'.join(sent) + '\n\n')


if __name__ == '__main__':
    main()
