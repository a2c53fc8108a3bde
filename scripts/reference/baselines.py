"""Loss of the trivial predictors on Tiny Shakespeare, split as tlab's tests split it.

A test that claims a model learned something must set its bar below what these reach: a broken
attention leaves a decoder with the current character only (the bigram), and an encoder with
the masked position's own input (the context-free masked predictor).

Run: /work/venv/bin/python scripts/reference/baselines.py   (the numbers are in docs/TESTING.md)
"""
import math
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "examples/data/tinyshakespeare/input.txt").read_text(encoding="utf-8")


def split(text, val_fraction=0.1):
    # TokenSplits.split: the first round(n * (1 - f)) train, the rest validate (Math.round = floor(x + 0.5)).
    n = math.floor(len(text) * (1 - val_fraction) + 0.5)
    return text[:n], text[n:]


def unigram(train):
    counts = Counter(train)
    total = sum(counts.values())
    return {c: k / total for c, k in counts.items()}


def cross_entropy_unigram(train, evaluated):
    p = unigram(train)
    return -sum(math.log(p[c]) for c in evaluated) / len(evaluated)


def cross_entropy_ngram(train, evaluated, order, alpha=0.01):
    """Next character from the previous order - 1 (add-alpha smoothing; the best a lookup table does)."""
    vocab = sorted(set(train) | set(evaluated))
    k = order - 1
    joint = Counter(train[i - k:i + 1] for i in range(k, len(train)))
    context = Counter(train[i - k:i] for i in range(k, len(train)))
    total = 0.0
    for i in range(k, len(evaluated)):
        gram = evaluated[i - k:i + 1]
        total -= math.log((joint[gram] + alpha) / (context[gram[:-1]] + alpha * len(vocab)))
    return total / (len(evaluated) - k)


def context_free_masked(train, evaluated, vocab_size):
    """MaskedWindows: a chosen position shows the mask 80%, a random corpus symbol 10%, itself 10%.

    The best predictor that sees only that input: after the mask the unigram; after symbol c,
    p(t | c) proportional to 0.1 p(t) / V + 0.1 p(t) [t == c]. Scored on the evaluated text's
    frequencies (the expected loss of the chosen positions).
    """
    p = unigram(train)
    q = Counter(evaluated)
    n = len(evaluated)
    q = {c: k / n for c, k in q.items()}
    loss = 0.8 * -sum(q[t] * math.log(p[t]) for t in q)
    for c in p:  # the shown symbol (random draws reach every corpus symbol)
        norm = 0.1 * (1.0 / vocab_size) + 0.1 * p[c]
        for t in q:
            pt = p[t] * (0.1 / vocab_size + (0.1 if t == c else 0.0)) / norm
            weight = q[t] * (0.1 / vocab_size + (0.1 if t == c else 0.0))
            loss -= weight * math.log(pt)
    return loss


def main():
    vocab = len(set(TEXT))
    train, val = split(TEXT)
    print(f"corpus: {len(TEXT)} characters, {vocab} symbols; train {len(train)}, val {len(val)}")
    print(f"uniform                           ln {vocab} = {math.log(vocab):.4f}")
    print(f"unigram (train -> val)            {cross_entropy_unigram(train, val):.4f}")
    print(f"bigram, current char (train->val) {cross_entropy_ngram(train, val, 2):.4f}")
    print(f"trigram, two chars (train->val)   {cross_entropy_ngram(train, val, 3):.4f}")
    print(f"context-free masked (train->val)  {context_free_masked(train, val, vocab):.4f}")
    head = TEXT[:200_000]
    print("first 200000 characters (EveryCombinationTrainsTest trains and scores on them):")
    print(f"  unigram entropy                 {cross_entropy_unigram(head, head):.4f}")
    print(f"  bigram, current char            {cross_entropy_ngram(head, head, 2):.4f}")


if __name__ == "__main__":
    main()
