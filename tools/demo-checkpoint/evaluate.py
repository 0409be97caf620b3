#!/usr/bin/env python3
"""Semantic metrics of an exported demo checkpoint on held-out procedural sketches (to calibrate issue 8's C# tests).

    python3 evaluate.py --ckpt /tmp/demo-ckpt [--n 16] [--size 256] [--seed 12345]

Reloads the exported folders into the PyTorch modules with strict key matching (a round-trip check of the export),
then, at 1, 2 and 4 steps, with ControlNet guidance:
  * edge overlap: the fraction of the frame's strong edges (top 10 % Sobel magnitude) that lie on the sketch's scribble
    map, against the same fraction for a different ("shuffled") sketch's map. It reports the mean and the share of
    samples where the true sketch wins.
  * colour words: the same sketch with "a red <object> ..." and "a blue <object> ...". It reports the mean (R - B)
    difference over the scribble region's interior bounding box, and how often red > blue.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sana_tiny import data as D  # noqa: E402
from sana_tiny import models as M  # noqa: E402
from sana_tiny.export import load_safetensors_any  # noqa: E402
import train as T  # noqa: E402


def _load(cls, folder, weights):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    m = cls(cfg)
    m.load_state_dict(load_safetensors_any(os.path.join(folder, weights)), strict=True)
    return m.eval()


def strong_edges(img):
    """img: 3xHxW in [-1, 1] -> bool HxW, top 10 % Sobel magnitude of the luma."""
    y = (0.299 * img[0] + 0.587 * img[1] + 0.114 * img[2])[None, None]
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])[None, None]
    gx = F.conv2d(y, kx, padding=1)
    gy = F.conv2d(y, kx.transpose(2, 3), padding=1)
    mag = (gx ** 2 + gy ** 2).sqrt()[0, 0]
    mag[:2], mag[-2:], mag[:, :2], mag[:, -2:] = 0, 0, 0, 0
    return mag >= torch.quantile(mag.flatten(), 0.9)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", required=True, help="the --out folder of train.py")
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--seed", type=int, default=12345, help="held-out sample stream (not the training seed)")
    args = ap.parse_args()
    import sentencepiece as spm

    pipe = os.path.join(args.ckpt, "sana_sprint_demo")
    vae = _load(M.AutoencoderDC, os.path.join(pipe, "vae"), "diffusion_pytorch_model.safetensors")
    tr = _load(M.SanaTransformer2DModel, os.path.join(pipe, "transformer"), "diffusion_pytorch_model.safetensors")
    cn = _load(M.SanaControlNetModel, os.path.join(args.ckpt, "sana_controlnet_demo"), "diffusion_pytorch_model.safetensors")
    gemma = _load(M.Gemma2Model, os.path.join(pipe, "text_encoder"), "model.safetensors")
    sp = spm.SentencePieceProcessor(model_file=os.path.join(pipe, "tokenizer", "tokenizer.model"))
    pe = T.PromptEncoder(sp, gemma)
    scaling = vae.config["scaling_factor"]

    samples = [D.make_sample(np.random.default_rng([args.seed, i]), args.size) for i in range(args.n)]
    maps = [torch.from_numpy(D.scribble_map(s)) for _, s, _ in samples]
    with torch.no_grad():
        cond = vae.encode(torch.from_numpy(np.stack([D.scribble_control(s) for _, s, _ in samples]))) * scaling
    te, tm = pe.encode([c for _, _, c in samples])
    report = {}
    for steps in (1, 2, 4):
        own, shuffled = [], []
        red_minus_blue = []
        for i in range(args.n):
            img = T.sample(tr, cn, vae, scaling, te[i:i + 1], tm[i:i + 1], cond[i:i + 1], steps, seed=i)[0]
            e = strong_edges(img)
            own.append(float((e & maps[i]).sum() / e.sum()))
            shuffled.append(float((e & maps[(i + 1) % args.n]).sum() / e.sum()))
            # Colour words on the same sketch: the first object's noun with "red" vs "blue".
            noun = next((k for k in D.OBJECTS if f" {k}" in samples[i][2]), "circle")
            ys, xs = np.nonzero(maps[i].numpy())
            box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)) if len(ys) else (slice(None), slice(None))
            rb = []
            for colour in ("red", "blue"):
                t, m = pe.encode([f"a {colour} {noun} on a white background, flat colours"])
                out = T.sample(tr, cn, vae, scaling, t, m, cond[i:i + 1], steps, seed=i)[0]
                rb.append(float((out[0][box] - out[2][box]).mean()))
            red_minus_blue.append(rb[0] - rb[1])
        report[f"steps{steps}"] = {
            "edge_overlap_own": float(np.mean(own)), "edge_overlap_shuffled": float(np.mean(shuffled)),
            "own_beats_shuffled": float(np.mean(np.array(own) > np.array(shuffled))),
            "red_minus_blue_RB": float(np.mean(red_minus_blue)), "red_redder_share": float(np.mean(np.array(red_minus_blue) > 0)),
        }
        print(f"steps {steps}: {report[f'steps{steps}']}", flush=True)
    with open(os.path.join(args.ckpt, "eval.json"), "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
