#!/usr/bin/env python3
"""Makes the shipped chat example from the shipped corpora (standard library only, deterministic).

Questions about who speaks and what comes next, in the three shapes tlab reads:
  - Tiny Shakespeare: "Who speaks this line?" (the speaker's name) and "What line comes next?"
    (the next line of the same speech), sometimes both as a two-turn conversation;
  - Pride and Prejudice: who says a quoted line, from the narration around it ("...," said Elizabeth).
Questions from the first 90% of each text go to train.jsonl, from the last 10% to val.jsonl.
Records are {"messages"} conversations (some with a system prompt), {"prompt", "completion"}
pairs and Alpaca {"instruction", "input", "output"} records.

    python3 scripts/make-chat-example.py    # writes examples/data/chat/{train,val}.jsonl
"""
import json
import pathlib
import random
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data"
OUT = DATA / "chat"
MAX_LINE = 60          # characters of a quoted line, so nearly every example fits a 256-character window
SHAKESPEARE_QUESTIONS = 1800
SYSTEM = "Answer questions about plays and novels."
SPEECH = re.compile(
    r'^"([^"]{8,200}?)[,.!?;]?" (?:said|replied|cried|added|continued|returned) '
    r'((?:Mr\.|Mrs\.|Miss|Lady|Sir|Colonel) [A-Z][a-z]+|[A-Z][a-z]+)\b')
# One person, two names.
SAME = {"Darcy": "Mr. Darcy", "Bingley": "Mr. Bingley", "Fitzwilliam": "Colonel Fitzwilliam"}


def shakespeare_speeches():
    """(position, speaker, lines) for each speech, position as a fraction of the text."""
    text = (DATA / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    speeches = []
    for i, block in enumerate(blocks):
        lines = block.split("\n")
        if len(lines) >= 2 and lines[0].endswith(":"):
            speeches.append((i / len(blocks), lines[0][:-1], [l.strip() for l in lines[1:] if l.strip()]))
    return speeches


def austen_quotes():
    """(position, speaker, quote) for each paragraph that opens with a quote attributed by name."""
    text = (DATA / "pride-and-prejudice" / "input.txt").read_text(encoding="utf-8")
    paragraphs = [p.replace("\n", " ") for p in re.split(r"\n\s*\n", text)]
    quotes = []
    for i, paragraph in enumerate(paragraphs):
        match = SPEECH.match(paragraph)
        if match and len(match.group(1)) <= MAX_LINE:
            quotes.append((i / len(paragraphs), SAME.get(match.group(2), match.group(2)), match.group(1)))
    return quotes


def record(rng, question, answer, instruction, item):
    """One example in a shape drawn at random: mostly conversations, some pairs and Alpaca records."""
    shape = rng.random()
    if shape < 0.6:
        messages = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        if rng.random() < 0.3:
            messages.insert(0, {"role": "system", "content": SYSTEM})
        return {"messages": messages}
    if shape < 0.8:
        return {"prompt": question, "completion": answer}
    return {"instruction": instruction, "input": item, "output": answer}


def shakespeare_examples(rng, speeches):
    examples = []
    for _ in range(SHAKESPEARE_QUESTIONS):
        position, speaker, lines = rng.choice(speeches)
        short = [i for i, line in enumerate(lines) if len(line) <= MAX_LINE]
        if not short:
            continue
        at = rng.choice(short)
        line = lines[at]
        follows = at + 1 < len(lines) and len(lines[at + 1]) <= MAX_LINE
        kind = rng.random()
        if follows and kind < 0.2:
            # Two turns: who speaks, then what comes next.
            example = {"messages": [
                {"role": "user", "content": "Who speaks this line?\n" + line},
                {"role": "assistant", "content": speaker},
                {"role": "user", "content": "What does " + speaker + " say next?"},
                {"role": "assistant", "content": lines[at + 1]}]}
        elif follows and kind < 0.55:
            example = record(rng, "What line comes next?\n" + line, lines[at + 1],
                             "Give the line that comes next.", line)
        else:
            example = record(rng, "Who speaks this line?\n" + line, speaker, "Name the speaker of this line.", line)
        examples.append((position, example))
    return examples


def austen_examples(rng, quotes):
    examples = []
    for position, speaker, quote in quotes:
        question = 'In Pride and Prejudice, who says "' + quote + '"?'
        examples.append((position, record(rng, question, speaker, "Name who says this in Pride and Prejudice.", quote)))
    return examples


def main():
    rng = random.Random(1337)
    examples = shakespeare_examples(rng, shakespeare_speeches()) + austen_examples(rng, austen_quotes())
    rng.shuffle(examples)
    OUT.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, keep in (("train", lambda p: p < 0.9), ("val", lambda p: p >= 0.9)):
        lines = [json.dumps(e, ensure_ascii=False) for p, e in examples if keep(p)]
        (OUT / (name + ".jsonl")).write_text("\n".join(lines) + "\n", encoding="utf-8")
        counts[name] = len(lines)
    print(f"{counts['train']} train and {counts['val']} val examples in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
