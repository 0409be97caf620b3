#!/usr/bin/env python3
"""Holds the tool's PyTorch modules to the diffusers/transformers reference tensors in a golden folder.

    python3 check_parity.py [/work/shared/golden]

Loads each golden component (diffusers layout) into this tool's modules with strict key matching, feeds the
recorded inputs and compares with the recorded outputs (max |diff| / max |ref|, tolerance 1e-4). A pass means the
modules trained here compute the same function the C# loader builds from the same weights.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sana_tiny import models as M  # noqa: E402
from sana_tiny.export import load_safetensors, load_safetensors_any  # noqa: E402
import train as T  # noqa: E402

TOL = 1e-4


def _load(module, folder, weights):
    module.load_state_dict(load_safetensors(os.path.join(folder, weights)), strict=True)
    return module.eval()


def _cfg(folder):
    with open(os.path.join(folder, "config.json")) as f:
        return json.load(f)


def _rel(a, b):
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/golden"
    results = {}
    with torch.no_grad():
        # DC-AE encoder / decoder
        for case, fn in [("dcae_encoder_tiny", lambda v, g: (v.encode(g["in.x"]), g["out.latent"])),
                         ("dcae_decoder_tiny", lambda v, g: (v.decode(g["in.z"]), g["out.sample"]))]:
            d = os.path.join(root, case)
            vae = _load(M.AutoencoderDC(_cfg(d)), d, "diffusion_pytorch_model.safetensors")
            got, ref = fn(vae, load_safetensors_any(os.path.join(d, "golden.safetensors")))
            results[case] = _rel(got, ref)

        # ControlNet
        d = os.path.join(root, "controlnet_tiny")
        cn = _load(M.SanaControlNetModel(_cfg(d)), d, "diffusion_pytorch_model.safetensors")
        g = load_safetensors_any(os.path.join(d, "golden.safetensors"))
        blocks = cn(g["in.hidden_states"], g["in.encoder_hidden_states"], g["in.encoder_attention_mask"], g["in.timestep"],
                    g["in.controlnet_cond"], float(g["in.conditioning_scale"][0]))
        results["controlnet_tiny"] = max(_rel(b, g[f"out.block_{i}"]) for i, b in enumerate(blocks))

        # Sprint transformer inside the sCM loop (flow <-> TrigFlow wrapping as train.trig_F)
        d = os.path.join(root, "pipeline_sprint_tiny")
        tr = _load(M.SanaTransformer2DModel(_cfg(os.path.join(d, "transformer"))), os.path.join(d, "transformer"),
                   "diffusion_pytorch_model.safetensors")
        g = load_safetensors_any(os.path.join(d, "golden.safetensors"))
        worst = 0.0
        for key in [k for k in g if k.startswith("in.") and k.endswith(".hidden_states")]:
            p = key[3:-len(".hidden_states")]
            out = tr(g[key], g["in.prompt_embeds"], g["in.prompt_attention_mask"], g[f"in.{p}.timestep"], g[f"in.{p}.guidance"])
            worst = max(worst, _rel(out, g[f"out.{p}.transformer_out"]))
        results["pipeline_sprint_tiny.transformer"] = worst
        # Whole 1-step loop in TrigFlow terms: x0 = cos(s) x - sin(s) sigma_d F, latents = x0 / sigma_d.
        x = g["in.latents"] * T.SIGMA_D
        s = torch.full((x.shape[0],), 1.5708)
        f = T.trig_F(tr, None, x / T.SIGMA_D, s, g["in.n1.step0.guidance"], g["in.prompt_embeds"], g["in.prompt_attention_mask"], None,
                     use_control=False)
        x0 = math.cos(1.5708) * x - math.sin(1.5708) * T.SIGMA_D * f
        results["pipeline_sprint_tiny.n1.latents"] = _rel(x0 / T.SIGMA_D, g["out.n1.latents"])

        # Gemma-2
        d = os.path.join(root, "text", "gemma2_tiny")
        gm = _load(M.Gemma2Model(_cfg(os.path.join(d, "text_encoder"))), os.path.join(d, "text_encoder"), "model.safetensors")
        g = load_safetensors_any(os.path.join(d, "golden.safetensors"))
        out = gm(g["in.input_ids"], g["in.attention_mask"])
        m = g["in.attention_mask"].bool()
        results["gemma2_tiny (real tokens)"] = _rel(out[m], g["out.last_hidden_state.eager"][m])

    ok = True
    for k, v in results.items():
        flag = "ok" if v <= TOL else "FAIL"
        ok &= v <= TOL
        print(f"{k:40s} max|d|/max|ref| = {v:.2e}  {flag}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
