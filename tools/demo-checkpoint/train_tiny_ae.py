#!/usr/bin/env python3
"""Distils the demo checkpoint's tiny preview autoencoder from its DC-AE, as madebyollin/taesd distils TAESD/TAESana
from their VAEs: the tiny encoder learns to map images to the DC-AE's (unscaled) latents, the tiny decoder learns to map
DC-AE latents to the DC-AE decoder's images.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 train_tiny_ae.py \\
        --vae ../../src/SanaSprint.Inference.Demo/Checkpoint/sana_sprint_demo/vae \\
        --out ../../src/SanaSprint.Inference.Demo/Checkpoint/taesana_demo --samples 600 --minutes 22

Data: the procedural scenes and sketches of sana_tiny/data.py (stream [seed, i], 256 px), random 128-px crops (the size
the DC-AE was trained on). Encoder inputs are the scene crops and the ControlNet control images (the scribble map, white
strokes on black: what the pipeline encodes in ControlNet mode), targets the DC-AE encoder's latents of the same crops.
Decoder inputs are the DC-AE latents of the scene crops, targets the DC-AE decoder's images of those latents (clamped to
[-1, 1] as the pipeline's postprocess does). All targets are computed once, then the two parts train on the clock.

Widths: taesd's layer order (so the C# TinyAutoencoder reads the files like the published TAESana), narrower channels
(the demo DC-AE is 16-128 wide; TAESana is 64-256). The demo DC-AE's latents have std ≈ 1/scaling_factor ≈ 5.4, while
taesd's decoder soft-clamps its input to (-3, 3); the decoder file therefore carries `latent_scale` = scaling_factor,
which the decoder multiplies its input by before the clamp (published TAESana files have none: 1).

Writes taesana_encoder.safetensors, taesana_decoder.safetensors (F16) and tiny_ae_log.json to --out.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sana_tiny import data as D  # noqa: E402
from sana_tiny import models as M  # noqa: E402
from sana_tiny import taesd as TA  # noqa: E402
from sana_tiny.export import load_safetensors_any, save_safetensors  # noqa: E402


class ScaledDecoder(nn.Module):
    """The decoder with its input scale (a buffer saved as `latent_scale`, shape [1])."""

    def __init__(self, seq, scale):
        super().__init__()
        self.seq = seq
        self.register_buffer("latent_scale", torch.tensor([scale], dtype=torch.float32))

    def forward(self, z):
        return self.seq(z * self.latent_scale)

    def export_state(self):
        state = dict(self.seq.state_dict())
        state["latent_scale"] = self.latent_scale
        return state


def load_vae(folder):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    vae = M.AutoencoderDC(cfg)
    vae.load_state_dict(load_safetensors_any(os.path.join(folder, "diffusion_pytorch_model.safetensors")), strict=True)
    return vae.eval(), cfg


def crops(seed, start, n, size, crop):
    """n samples from streams [seed, start + i]: scene and control crops at the same random place, in [-1, 1]."""
    scenes, controls = [], []
    for i in range(start, start + n):
        rng = np.random.default_rng([seed, i])
        image, sketch, _ = D.make_sample(rng, size)
        y, x = (int(v) * 32 for v in rng.integers(0, (size - crop) // 32 + 1, 2))  # latent-cell aligned
        scenes.append(D.to_tensor_image(image)[:, y:y + crop, x:x + crop])
        controls.append(D.scribble_control(sketch)[:, y:y + crop, x:x + crop])
    return torch.from_numpy(np.stack(scenes)), torch.from_numpy(np.stack(controls))


@torch.no_grad()
def targets(vae, scenes, controls, batch=8):
    zs, zc, ys = [], [], []
    for i in range(0, len(scenes), batch):
        z = vae.encode(scenes[i:i + batch])
        zs.append(z)
        zc.append(vae.encode(controls[i:i + batch]))
        ys.append(vae.decode(z).clamp(-1, 1))
    return torch.cat(zs), torch.cat(zc), torch.cat(ys)


def train_part(model, inputs, target_fn, loss_fn, seconds, batch, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    start, steps, losses = time.time(), 0, []
    n = len(inputs)
    rng = np.random.default_rng(0)
    while time.time() - start < seconds:
        frac = (time.time() - start) / seconds
        for g in opt.param_groups:  # linear decay to 5 % over the budget
            g["lr"] = lr * (1 - 0.95 * frac)
        idx = torch.from_numpy(rng.choice(n, batch, replace=False))
        out = model(inputs[idx])
        loss = loss_fn(out, target_fn(idx))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
        steps += 1
        if steps % 50 == 0:
            print(f"  step {steps} {time.time() - start:.0f}s loss {np.mean(losses[-50:]):.4f}", flush=True)
    k = max(1, min(20, len(losses) // 5))
    return {"steps": steps, "seconds": round(time.time() - start, 1), "loss_first": float(np.mean(losses[:k])),
            "loss_last": float(np.mean(losses[-k:]))}


def psnr(a, b):
    """a, b in [-1, 1]."""
    mse = float(((a.clamp(-1, 1) - b.clamp(-1, 1)) / 2).pow(2).mean())
    return 10 * np.log10(1 / max(mse, 1e-12))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vae", required=True, help="the demo pipeline's vae/ folder (DC-AE config + weights)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--samples", type=int, default=600)
    ap.add_argument("--heldout", type=int, default=24)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--minutes", type=float, default=22, help="training time for both parts (targets not counted)")
    ap.add_argument("--encoder-share", type=float, default=0.35)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--encoder-widths", default="8,16,32,32,32")
    ap.add_argument("--decoder-widths", default="64,64,32,16,8,8")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    log = {"args": vars(args)}

    vae, cfg = load_vae(args.vae)
    latent_channels, scaling = cfg["latent_channels"], cfg["scaling_factor"]
    t0 = time.time()
    scenes, controls = crops(args.seed, 0, args.samples, args.size, args.crop)
    zs, zc, ys = targets(vae, scenes, controls)
    h_scenes, h_controls = crops(args.seed + 1, 0, args.heldout, args.size, args.crop)
    hzs, hzc, hys = targets(vae, h_scenes, h_controls)
    log["targets_seconds"] = round(time.time() - t0, 1)
    print(f"targets: {len(scenes)} samples + {args.heldout} held out in {log['targets_seconds']} s; latent std {zs.std():.2f}", flush=True)

    enc = TA.f32_encoder(latent_channels, tuple(int(w) for w in args.encoder_widths.split(",")))
    dec = ScaledDecoder(TA.f32_decoder(latent_channels, tuple(int(w) for w in args.decoder_widths.split(","))), scaling)
    budget = args.minutes * 60

    # Encoder: [0, 1] images (scenes and controls) -> DC-AE latents; MSE in units of the latent variance.
    enc_in = torch.cat([scenes, controls]) * 0.5 + 0.5
    enc_t = torch.cat([zs, zc])
    var = float(enc_t.var())
    print("encoder", flush=True)
    log["encoder"] = train_part(enc, enc_in, lambda i: enc_t[i], lambda o, t: F.mse_loss(o, t) / var,
                                budget * args.encoder_share, args.batch, 2e-3)
    # Decoder: DC-AE latents -> DC-AE decodes in [0, 1]; L1 + MSE.
    print("decoder", flush=True)
    dec_t = ys * 0.5 + 0.5
    log["decoder"] = train_part(dec, zs, lambda i: dec_t[i], lambda o, t: F.l1_loss(o, t) + F.mse_loss(o, t),
                                budget * (1 - args.encoder_share), args.batch, 2e-3)

    with torch.no_grad():
        enc.eval()
        dec.eval()
        he = enc(torch.cat([h_scenes, h_controls]) * 0.5 + 0.5)
        ht = torch.cat([hzs, hzc])
        hd = dec(hzs) * 2 - 1
        log["heldout"] = {
            "encoder_relative_mse": float(F.mse_loss(he, ht) / ht.var()),
            "decoder_psnr_vs_dcae_db": psnr(hd, hys),
            "tiny_roundtrip_psnr_vs_dcae_roundtrip_db": psnr(dec(he[:len(h_scenes)]) * 2 - 1, hys),
            "dcae_roundtrip_psnr_vs_input_db": psnr(hys, h_scenes),
        }
    print(json.dumps(log["heldout"]), flush=True)
    save_safetensors(os.path.join(args.out, "taesana_encoder.safetensors"), enc.state_dict(), "F16")
    save_safetensors(os.path.join(args.out, "taesana_decoder.safetensors"), dec.export_state(), "F16")
    with open(os.path.join(args.out, "tiny_ae_log.json"), "w") as f:
        json.dump(log, f, indent=2)


if __name__ == "__main__":
    main()
