#!/usr/bin/env python3
"""Renders the README's demo-checkpoint figure through the C# pipeline (the CLI's `generate` verb).

    python3 readme_images.py --fixtures ../../tests/SanaSprint.Inference.Tests/Fixtures/demo-heldout \
        --out ../../docs/demo/demo-checkpoint.png [--samples 0,1,5] [--size 256]

For each chosen held-out sketch: the sketch, the scene it was drawn from, then the frames at 1, 2 and 4 sCM steps
(ControlNet guidance, seed 0, the sample's caption as the prompt), one row per sketch.
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--samples", default="0,1,5")
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    with open(os.path.join(args.fixtures, "manifest.json")) as f:
        manifest = json.load(f)["samples"]
    rows, captions = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in (int(s) for s in args.samples.split(",")):
            m = manifest[k]
            sketch = os.path.join(os.path.abspath(args.fixtures), m["sketch"])
            cells = [np.asarray(Image.open(sketch).convert("RGB").resize((args.size, args.size))),
                     np.asarray(Image.open(os.path.join(args.fixtures, m["target"])).convert("RGB").resize((args.size, args.size)))]
            for steps in (1, 2, 4):
                out = os.path.join(tmp, f"{k}-{steps}.png")
                subprocess.run(["dotnet", "run", "--project", os.path.join(ROOT, "src", "SanaSprint.Cli"), "--", "generate",
                                "--mode", "controlnet", "--sketch", sketch, "--prompt", m["caption"], "--steps", str(steps),
                                "--seed", "0", "--size", f"{args.size}x{args.size}", "--device", "cpu", "--out", out], check=True)
                cells.append(np.asarray(Image.open(out).convert("RGB")))
            gap = np.full((args.size, 4, 3), 255, np.uint8)
            rows.append(np.concatenate([c for cell in cells for c in (cell, gap)][:-1], axis=1))
            captions.append(m["caption"])
    gap = np.full((4, rows[0].shape[1], 3), 255, np.uint8)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    Image.fromarray(np.concatenate([c for r in rows for c in (r, gap)][:-1], axis=0)).save(args.out, optimize=True)
    print("\n".join(captions))


if __name__ == "__main__":
    main()
