#!/usr/bin/env python3
"""Trains the tiny SANA-Sprint demo checkpoint from a seed and writes it in diffusers layout.

    python3 train.py --seed 0 --out /tmp/demo-ckpt [--budget-minutes 180] [--samples 12000]

Stages (as the SANA / SANA-Sprint recipe, scaled down):
  0. data      procedural scenes + sketches + captions; SentencePiece tokenizer; frozen tiny Gemma-2 prompt embeddings
  1. ae        DC-AE (f = 32, c = 32) reconstruction (L1 + MSE); scaling_factor = 1 / std(latents)
  2. teacher   flow-matching Sprint transformer + Sana ControlNet on the sketches (caption / control dropout for CFG)
  3. scm       sCM continuous-time consistency distillation in TrigFlow (JVP tangents, CFG teacher, tangent
               warm-up and normalisation) into the student transformer + ControlNet (1-4 steps); no LADD
  4. export    <out>/sana_sprint_demo + <out>/sana_controlnet_demo, samples.png, train_log.json
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sana_tiny import data as D  # noqa: E402
from sana_tiny import export as E  # noqa: E402
from sana_tiny import models as M  # noqa: E402

SIGMA_D = 0.5
TEXT_LEN = 48  # selected prompt positions kept in training (BOS + last CHI token + caption); the rest is masked


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Stage:
    """Runs a training loop for a time budget (and/or a step cap) and records the loss curve."""

    caps = {}  # stage name -> fixed step count (--steps)

    def __init__(self, name, minutes, max_steps=None):
        self.name, self.seconds, self.max_steps = name, minutes * 60, Stage.caps.get(name, max_steps)
        self.start = time.time()
        self.steps, self.losses = 0, []

    def running(self):
        if self.max_steps is not None and self.steps >= self.max_steps:
            return False
        return time.time() - self.start < self.seconds or self.steps < 2

    def record(self, loss, every=10):
        self.steps += 1
        self.losses.append(float(loss))
        if self.steps % every == 0:
            log(f"{self.name} step {self.steps} loss {np.mean(self.losses[-every:]):.4f}")

    def summary(self):
        n = max(1, min(20, len(self.losses) // 5))
        return {"steps": self.steps, "seconds": round(time.time() - self.start, 1),
                "loss_first": float(np.mean(self.losses[:n])), "loss_last": float(np.mean(self.losses[-n:]))}


# ---------------------------------------------------------------------------------------------------------------
# Stage 0: data, tokenizer, prompt embeddings
# ---------------------------------------------------------------------------------------------------------------
def _sample(job):
    seed, i, size = job
    im, sk, cap = D.make_sample(np.random.default_rng([seed, i]), size)
    return im, D.scribble_map(sk), cap


def make_dataset(seed, n, size, workers=1):
    """Sample i comes from its own stream [seed, i], so the dataset does not depend on the worker count."""
    jobs = [(seed, i, size) for i in range(n)]
    if workers > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(workers) as pool:
            rows = pool.map(_sample, jobs, chunksize=16)
    else:
        rows = [_sample(j) for j in jobs]
    images = np.stack([r[0] for r in rows])
    controls = np.stack([r[1] for r in rows])
    return images, controls, [r[2] for r in rows]


class PromptEncoder:
    """The C# prompt path: lower().strip(), CHI prefix, BOS, Gemma, selection [0] + [n_chi-1 ...] (masked padding)."""

    def __init__(self, sp, gemma, device="cpu"):
        self.sp, self.gemma, self.device = sp, gemma, device
        self.n_chi = 1 + len(sp.encode(E.CHI))

    def ids(self, caption):
        return [2] + self.sp.encode(E.CHI + caption.lower().strip())

    @torch.no_grad()
    def encode(self, captions, batch=64):
        embs, masks = [], []
        for b in range(0, len(captions), batch):
            rows = [self.ids(c) for c in captions[b:b + batch]]
            n = max(len(r) for r in rows)
            ids = torch.zeros(len(rows), n, dtype=torch.long)
            mask = torch.zeros(len(rows), n, dtype=torch.long)
            for i, r in enumerate(rows):
                ids[i, :len(r)], mask[i, :len(r)] = torch.tensor(r), 1
            h = self.gemma(ids.to(self.device), mask.to(self.device)).cpu()
            for i, r in enumerate(rows):
                sel = [0] + list(range(self.n_chi - 1, len(r)))[: TEXT_LEN - 1]
                e = torch.zeros(TEXT_LEN, h.shape[-1])
                e[: len(sel)] = h[i, sel]
                m = torch.zeros(TEXT_LEN, dtype=torch.long)
                m[: len(sel)] = 1
                embs.append(e)
                masks.append(m)
        return torch.stack(embs).to(self.device), torch.stack(masks).to(self.device)


def pretrain_text(gemma, sp, captions, minutes, lr=1e-3, device="cpu"):
    """Optional: a few minutes of next-token prediction on the captions so the frozen encoder's states carry meaning."""
    st = Stage("text", minutes)
    opt = torch.optim.AdamW(gemma.parameters(), lr=lr, weight_decay=0.0)
    rng = np.random.default_rng(1)
    while st.running():
        rows = [[2] + sp.encode(captions[i].lower()) + [1] for i in rng.integers(0, len(captions), 32)]
        n = max(len(r) for r in rows)
        ids = torch.zeros(len(rows), n, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, r in enumerate(rows):
            ids[i, :len(r)], mask[i, :len(r)] = torch.tensor(r), 1
        ids, mask = ids.to(device), mask.to(device)
        logits = gemma.logits(gemma(ids, mask))
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
        loss = (loss * mask[:, 1:].reshape(-1)).sum() / mask[:, 1:].sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        st.record(loss.item(), every=20)
    return st.summary()


# ---------------------------------------------------------------------------------------------------------------
# Stage 1: DC-AE
# ---------------------------------------------------------------------------------------------------------------
def train_ae(vae, images, minutes, crop=128, batch=8, lr=5e-4, seed=0, device="cpu"):
    st = Stage("ae", minutes)
    opt = torch.optim.AdamW(vae.parameters(), lr=lr, weight_decay=0.0)
    rng = np.random.default_rng(seed + 11)
    n, size = images.shape[0], images.shape[1]
    while st.running():
        idx = rng.integers(0, n, batch)
        y0, x0 = rng.integers(0, size - crop + 1, 2) // 32 * 32
        x = torch.from_numpy(images[idx, y0:y0 + crop, x0:x0 + crop].astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1).to(device)
        z = vae.encode(x)
        rec = vae.decode(z)
        loss = F.l1_loss(rec, x) + F.mse_loss(rec, x) + 1e-4 * z.pow(2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        st.record(loss.item())
    return st.summary()


@torch.no_grad()
def encode_all(vae, images_nchw_fn, n, batch=32, device="cpu"):
    out = []
    for b in range(0, n, batch):
        out.append(vae.encode(images_nchw_fn(b, min(n, b + batch)).to(device)))
    return torch.cat(out)


# ---------------------------------------------------------------------------------------------------------------
# Stages 2 and 3: flow-matching teacher, sCM student
# ---------------------------------------------------------------------------------------------------------------
def flow_velocity(tr, cn, x_in, tprime, g, text, mask, cond, use_control):
    control = cn(x_in, text, mask, tprime, cond) if use_control else None
    return tr(x_in, text, mask, tprime, g, control)


def trig_F(tr, cn, xhat, s, g, text, mask, cond, use_control=True):
    """The pipeline's flow -> TrigFlow wrapping (spec §2): F(x/sigma_d, s)."""
    cs, sn = torch.cos(s)[:, None, None, None], torch.sin(s)[:, None, None, None]
    tp = sn / (cs + sn)
    x_in = xhat / (cs + sn)
    v = flow_velocity(tr, cn, x_in, tp.flatten(), g, text, mask, cond, use_control)
    r = torch.sqrt(tp ** 2 + (1 - tp) ** 2)
    return ((1 - 2 * tp) * x_in + (1 - 2 * tp + 2 * tp ** 2) * v) / r


def train_teacher(tr, cn, lat, clat, temb, tmask, uncond, minutes, batch=32, lr=3e-4, seed=0):
    st = Stage("teacher", minutes)
    params = list(tr.parameters()) + list(cn.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(seed + 21)
    dev = lat.device
    n = lat.shape[0]
    while st.running():
        idx = torch.randint(0, n, (batch,), generator=gen).to(dev)
        x0, cond = lat[idx], clat[idx]
        text, mask = temb[idx].clone(), tmask[idx].clone()
        drop = torch.rand(batch, generator=gen).to(dev) < 0.1
        text[drop], mask[drop] = uncond[0], uncond[1]
        t = torch.sigmoid(torch.randn(batch, generator=gen).to(dev))  # logit-normal flow time
        eps = torch.randn(x0.shape, generator=gen).to(dev)
        xt = (1 - t)[:, None, None, None] * x0 + t[:, None, None, None] * eps
        g = torch.rand(batch, generator=gen).to(dev) * 0.4 + 0.2
        use_control = bool(torch.rand(1, generator=gen) > 0.15)
        v = flow_velocity(tr, cn, xt, t, g, text, mask, cond, use_control)
        loss = F.mse_loss(v, eps - x0)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        st.record(loss.item())
    return st.summary()


def jvp_F(tr, cn, xhat, s, tangent_x, g, text, mask, cond):
    """dF/ds along (tangent_x, 1) by forward-mode AD; falls back to a central finite difference."""
    import torch.autograd.forward_ad as fwAD

    try:
        with fwAD.dual_level():
            xd = fwAD.make_dual(xhat, tangent_x)
            sd = fwAD.make_dual(s, torch.ones_like(s))
            out = trig_F(tr, cn, xd, sd, g, text, mask, cond)
            primal, tangent = fwAD.unpack_dual(out)
            return primal.detach(), tangent.detach(), "jvp"
    except (RuntimeError, NotImplementedError):
        h = 1e-3
        fp = trig_F(tr, cn, xhat + h * tangent_x, s + h, g, text, mask, cond)
        fm = trig_F(tr, cn, xhat - h * tangent_x, s - h, g, text, mask, cond)
        return trig_F(tr, cn, xhat, s, g, text, mask, cond).detach(), ((fp - fm) / (2 * h)).detach(), "finite-difference"


def train_scm(tr, cn, t_tr, t_cn, lat, clat, temb, tmask, uncond, minutes, batch=16, lr=5e-5, seed=0, warmup_steps=200):
    st = Stage("scm", minutes)
    params = list(tr.parameters()) + list(cn.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0, betas=(0.9, 0.99))
    gen = torch.Generator().manual_seed(seed + 31)
    dev = lat.device
    n = lat.shape[0]
    mode = None
    for p in list(t_tr.parameters()) + list(t_cn.parameters()):
        p.requires_grad_(False)
    while st.running():
        idx = torch.randint(0, n, (batch,), generator=gen).to(dev)
        x0, cond = SIGMA_D * lat[idx], clat[idx]
        text, mask = temb[idx], tmask[idx]
        z = torch.randn(x0.shape, generator=gen).to(dev) * SIGMA_D
        tau = torch.randn(batch, generator=gen).to(dev) * 1.6 - 0.8
        t = torch.atan(torch.exp(tau) / SIGMA_D).clamp(1e-3, 1.5608)
        c4, s4 = torch.cos(t)[:, None, None, None], torch.sin(t)[:, None, None, None]
        xt = c4 * x0 + s4 * z
        omega = torch.rand(batch, generator=gen).to(dev) * 2.0 + 3.5  # guidance scales 3.5-5.5 (app default 4.5)
        g = omega * 0.1
        with torch.no_grad():
            # Teacher TrigFlow velocity with classifier-free guidance (text dropped, control kept).
            fc = trig_F(t_tr, t_cn, xt / SIGMA_D, t, torch.full((batch,), 0.4, device=dev), text, mask, cond)
            ut, um = uncond[0].expand(batch, -1, -1), uncond[1].expand(batch, -1)
            fu = trig_F(t_tr, t_cn, xt / SIGMA_D, t, torch.full((batch,), 0.4, device=dev), ut, um, cond)
            dxdt = SIGMA_D * (fu + omega[:, None, None, None] * (fc - fu))
            f_minus, dfdt, mode = jvp_F(tr, cn, xt / SIGMA_D, t, dxdt / SIGMA_D, g, text, mask, cond)
        r = min(1.0, st.steps / max(1, warmup_steps))
        gvec = -c4 ** 2 * (SIGMA_D * f_minus - dxdt) - r * c4 * s4 * (xt + SIGMA_D * dfdt)
        gnorm = gvec.flatten(1).norm(dim=1)[:, None, None, None] / math.sqrt(gvec[0].numel())
        gvec = gvec / (gnorm + 0.1)
        f = trig_F(tr, cn, xt / SIGMA_D, t, g, text, mask, cond)
        loss = F.mse_loss(f, (f_minus + gvec).detach())
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        st.record(loss.item())
    out = st.summary()
    out["tangent"] = mode
    return out


@torch.no_grad()
def sample(tr, cn, vae, scaling, text, mask, cond, steps, seed, guidance=4.5):
    """The C# pipeline's sCM loop (spec §2) in PyTorch: returns images in [-1, 1]."""
    gen = torch.Generator().manual_seed(seed)
    dev = cond.device
    b, _, h, w = cond.shape
    s_list = [1.5708, 1.3, 0.0] if steps == 2 else list(np.linspace(1.5708, 0, steps + 1))
    x = SIGMA_D * torch.randn((b, E.LATENT_CHANNELS, h, w), generator=gen).to(dev)
    g = torch.full((b,), guidance * 0.1, device=dev)
    x0 = x
    for s, s_next in zip(s_list[:-1], s_list[1:]):
        st = torch.full((b,), float(s), device=dev)
        f = trig_F(tr, cn, x / SIGMA_D, st, g, text, mask, cond)
        x0 = math.cos(s) * x - math.sin(s) * SIGMA_D * f
        x = math.cos(s_next) * x0 + math.sin(s_next) * SIGMA_D * torch.randn(x.shape, generator=gen).to(dev)
    return vae.decode(x0 / SIGMA_D / scaling)


# ---------------------------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget-minutes", type=float, default=180.0, help="total training time, split over the stages")
    ap.add_argument("--samples", type=int, default=12000, help="procedural training samples")
    ap.add_argument("--size", type=int, default=256, help="training image size (multiple of 32)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1, help="processes generating the dataset")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--ae-batch", type=int, default=8)
    ap.add_argument("--ae-crop", type=int, default=128, help="AE training crop (multiple of 32, <= size)")
    ap.add_argument("--batch", type=int, default=32, help="teacher batch")
    ap.add_argument("--scm-batch", type=int, default=16)
    ap.add_argument("--vocab", type=int, default=1024, help="SentencePiece vocabulary size")
    ap.add_argument("--dtype", default="F32", choices=["F32", "F16", "BF16"], help="safetensors dtype of the export")
    ap.add_argument("--split", default="text=0.03,ae=0.32,teacher=0.40,scm=0.25", help="fractions of the budget per stage")
    ap.add_argument("--steps", default="", help="fixed step counts per stage instead of the time budget, e.g. "
                    "text=60,ae=1500,teacher=600,scm=200 (reproduces a run from its train_log.json)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    split = {k: float(v) for k, v in (p.split("=") for p in args.split.split(","))}
    minutes = {k: args.budget_minutes * v for k, v in split.items()}
    steps = {k: int(v) for k, v in (p.split("=") for p in args.steps.split(",") if p)}
    if steps:  # step counts decide, not the clock: the same seed and counts give the same checkpoint
        minutes = {k: float("inf") if k in steps else 0.0 for k in ("text", "ae", "teacher", "scm")}
    Stage.caps = steps
    os.makedirs(args.out, exist_ok=True)
    report = {"seed": args.seed, "budget_minutes": args.budget_minutes, "samples": args.samples, "size": args.size, "stages": {}}
    t_all = time.time()

    # 0. Data, tokenizer, text encoder
    t0 = time.time()
    images, controls, captions = make_dataset(args.seed, args.samples, args.size, args.workers)
    dev = torch.device(args.device)
    report["stages"]["data"] = {"seconds": round(time.time() - t0, 1)}
    log(f"data: {len(captions)} samples in {time.time() - t0:.0f}s; e.g. '{captions[0]}'")
    import sentencepiece as spm

    tok_bytes = E.train_tokenizer(captions, vocab_size=args.vocab)
    sp = spm.SentencePieceProcessor(model_proto=tok_bytes)
    tcfg = E.text_config(sp.get_piece_size())
    gemma = M.Gemma2Model(tcfg).to(dev)
    report["stages"]["text"] = pretrain_text(gemma, sp, captions, minutes.get("text", 0), device=dev)
    gemma.eval()
    for p in gemma.parameters():
        p.requires_grad_(False)
    pe = PromptEncoder(sp, gemma, dev)
    uniq = sorted(set(captions))
    emb_u, mask_u = pe.encode(uniq)
    pos = {c: i for i, c in enumerate(uniq)}
    sel = torch.tensor([pos[c] for c in captions], device=dev)
    temb, tmask = emb_u[sel], mask_u[sel]
    uncond = pe.encode([""])
    log(f"text: vocab {sp.get_piece_size()}, n_chi {pe.n_chi}, {len(uniq)} unique captions")

    # 1. DC-AE
    vae = M.AutoencoderDC(E.vae_config()).to(dev)
    report["stages"]["ae"] = train_ae(vae, images, minutes["ae"], crop=min(args.ae_crop, args.size), batch=args.ae_batch, seed=args.seed, device=dev)
    vae.eval()
    for p in vae.parameters():
        p.requires_grad_(False)
    lat_raw = encode_all(vae, lambda a, b: torch.from_numpy(images[a:b].astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1), len(images), device=dev)
    scaling = float(1.0 / lat_raw.std())
    vae.config["scaling_factor"] = round(scaling, 5)
    scaling = vae.config["scaling_factor"]
    lat = lat_raw * scaling
    ctrl_img = lambda a, b: torch.from_numpy(np.repeat(controls[a:b, None].astype(np.float32) * 2 - 1, 3, axis=1))  # noqa: E731
    clat = encode_all(vae, ctrl_img, len(images), device=dev) * scaling
    with torch.no_grad():
        x = torch.from_numpy(images[:16].astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1).to(dev)
        rec = vae.decode(lat[:16] / scaling)
        report["stages"]["ae"]["psnr_first16"] = float(10 * torch.log10(4 / F.mse_loss(rec, x)))
    log(f"ae: scaling_factor {scaling}, {report['stages']['ae']}")

    # 2. Teacher: flow matching, transformer + ControlNet jointly
    d_text = tcfg["hidden_size"]
    tr = M.SanaTransformer2DModel(E.transformer_config("SanaTransformer2DModel", 6, d_text)).to(dev)
    cn = M.SanaControlNetModel(E.transformer_config("SanaControlNetModel", 3, d_text, sprint=False)).to(dev)
    report["stages"]["teacher"] = train_teacher(tr, cn, lat, clat, temb, tmask, uncond, minutes["teacher"], batch=args.batch, seed=args.seed)
    log(f"teacher: {report['stages']['teacher']}")

    # 3. sCM distillation (student initialised from the teacher)
    t_tr, t_cn = copy.deepcopy(tr).eval(), copy.deepcopy(cn).eval()
    report["stages"]["scm"] = train_scm(tr, cn, t_tr, t_cn, lat, clat, temb, tmask, uncond, minutes["scm"], batch=args.scm_batch, seed=args.seed)
    log(f"scm: {report['stages']['scm']}")

    # 4. Export
    tr.eval()
    cn.eval()
    pipe, ctrl, total = E.export(args.out, vae, tr, cn, gemma, tok_bytes, args.dtype)
    report["export"] = {"pipeline": pipe, "controlnet": ctrl, "total_bytes": total}
    report["total_seconds"] = round(time.time() - t_all, 1)
    log(f"export: {total / 1e6:.2f} MB in {args.out}")

    # Samples at 1, 2, 4 steps for held-out sketches (a different seed from the training data).
    from PIL import Image

    rng = np.random.default_rng(args.seed + 1000)
    held = [D.make_sample(rng, args.size) for _ in range(3)]
    cond = torch.from_numpy(np.stack([D.scribble_control(s) for _, s, _ in held])).to(dev)
    with torch.no_grad():
        cl = vae.encode(cond) * scaling
    te, tm = pe.encode([c for _, _, c in held])
    rows = []
    for k, (im, sk, cap) in enumerate(held):
        cells = [sk, im]
        for steps in (1, 2, 4):
            out = sample(tr, cn, vae, scaling, te[k:k + 1], tm[k:k + 1], cl[k:k + 1], steps, seed=k)
            cells.append(((out[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy())
        rows.append(np.concatenate(cells, axis=1))
        report.setdefault("held_out_captions", []).append(cap)
    Image.fromarray(np.concatenate(rows, axis=0)).save(os.path.join(args.out, "samples.png"))
    with open(os.path.join(args.out, "train_log.json"), "w") as f:
        json.dump(report, f, indent=2)
    log(json.dumps(report, indent=2))
    if total > 30_000_000:
        sys.exit(f"error: the checkpoint is {total / 1e6:.1f} MB, over the 30 MB limit of issue 8 (try --dtype F16)")


if __name__ == "__main__":
    main()
