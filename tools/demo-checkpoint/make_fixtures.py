#!/usr/bin/env python3
"""Writes held-out procedural sketches for the C# semantic tests of the demo checkpoint (issue 8).

    python3 make_fixtures.py --out ../../tests/SanaSprint.Inference.Tests/Fixtures/demo-heldout [--n 8] [--seed 12345]

The samples come from the stream [seed, i] with a seed the training never uses (training uses [train seed, i] with
small seeds), so they are held out. Only single-object scenes are kept, so that a colour word in the prompt names
the one drawn object. Writes NN-sketch.png (black strokes on white, as the canvas sends them), NN-target.png (the
scene the sketch was drawn from, for the eye only) and manifest.json with each caption and the object's noun.
"""
import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sana_tiny import data as D  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--seed", type=int, default=12345)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows, i = [], 0
    while len(rows) < args.n:
        image, sketch, caption = D.make_sample(np.random.default_rng([args.seed, i]), args.size)
        i += 1
        if " and " in caption:
            continue
        noun = next(k for k in D.OBJECTS if f" {k} " in f" {caption.split(' on ')[0].split(' under ')[0]} ")
        k = len(rows)
        Image.fromarray(sketch).save(os.path.join(args.out, f"{k:02d}-sketch.png"), optimize=True)
        Image.fromarray(image).save(os.path.join(args.out, f"{k:02d}-target.png"), optimize=True)
        rows.append({"sketch": f"{k:02d}-sketch.png", "target": f"{k:02d}-target.png", "caption": caption, "noun": noun,
                     "stream": [args.seed, i - 1]})
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump({"seed": args.seed, "size": args.size, "samples": rows}, f, indent=2)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
