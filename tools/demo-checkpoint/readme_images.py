#!/usr/bin/env python3
"""Renders the README's demo-checkpoint figure through the C# pipeline (the CLI's `generate` verb).

    python3 readme_images.py --fixtures ../../tests/SanaSprint.Inference.Tests/Fixtures/demo-heldout \
        --out ../../docs/demo/demo-checkpoint.png [--samples 0,1,5] [--size 256]

For each chosen held-out sketch: the sketch, the scene it was drawn from, then the frames at 1, 2 and 4 sCM steps
(ControlNet guidance, seed 0, the sample's caption as the prompt), one row per sketch.

    python3 readme_images.py --fixtures ../../tests/SanaSprint.Inference.Tests/Fixtures/demo-heldout \
        --out ../../docs/demo/preview-vs-full.png --compare-decoders [--samples 0,1,5] [--steps 2]

With --compare-decoders: the sketch, then the same frame (same sketch, prompt, seed and steps) decoded by the demo's
tiny preview autoencoder (`generate --decoder preview`: the live frames) and by its DC-AE (`--decoder full`: the frame
at rest, downloads, kept results).

--cli replaces `dotnet run --project src/SanaSprint.Cli --` (e.g. `dotnet src/SanaSprint.Cli/bin/Release/net10.0/sanasprint.dll`).
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
    ap.add_argument("--compare-decoders", action="store_true")
    ap.add_argument("--steps", type=int, default=2, help="sCM steps of the --compare-decoders frames")
    ap.add_argument("--cli", default=None, help="command that runs the CLI (default: dotnet run --project src/SanaSprint.Cli --)")
    args = ap.parse_args()
    cli = args.cli.split() if args.cli else ["dotnet", "run", "--project", os.path.join(ROOT, "src", "SanaSprint.Cli"), "--"]
    with open(os.path.join(args.fixtures, "manifest.json")) as f:
        manifest = json.load(f)["samples"]
    rows, captions = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in (int(s) for s in args.samples.split(",")):
            m = manifest[k]
            sketch = os.path.join(os.path.abspath(args.fixtures), m["sketch"])
            cells = [np.asarray(Image.open(sketch).convert("RGB").resize((args.size, args.size)))]
            if args.compare_decoders:
                runs = [(args.steps, "preview"), (args.steps, "full")]
            else:
                cells.append(np.asarray(Image.open(os.path.join(args.fixtures, m["target"])).convert("RGB").resize((args.size, args.size))))
                runs = [(1, "full"), (2, "full"), (4, "full")]
            for steps, decoder in runs:
                out = os.path.join(tmp, f"{k}-{steps}-{decoder}.png")
                subprocess.run(cli + ["generate", "--mode", "controlnet", "--sketch", sketch, "--prompt", m["caption"], "--steps", str(steps),
                                      "--seed", "0", "--size", f"{args.size}x{args.size}", "--device", "cpu", "--decoder", decoder,
                                      "--out", out], check=True)
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
