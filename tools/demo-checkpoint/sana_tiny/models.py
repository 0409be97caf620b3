"""Tiny SANA-Sprint-architecture modules in PyTorch.

Module and parameter names follow diffusers (AutoencoderDC, SanaTransformer2DModel, SanaControlNetModel) and
transformers (Gemma2Model), so ``state_dict()`` keys equal the keys of a diffusers-layout safetensors file. The math
follows the shared spec (/work/shared/spec/sana-sprint.md §3-§6); nothing here is copied from those libraries.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------------------------------------------
class RMSNorm(nn.Module):
    """diffusers RMSNorm: x * rsqrt(mean(x^2) + eps) * weight (+ bias), over the last dim."""

    def __init__(self, dim, eps=1e-5, elementwise_affine=True, bias=False):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim)) if elementwise_affine else None
        self.bias = nn.Parameter(torch.zeros(dim)) if bias else None

    def forward(self, x):
        x = x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)
        if self.weight is not None:
            x = x * self.weight
        if self.bias is not None:
            x = x + self.bias
        return x


def channel_norm(norm, x):
    """Apply a channel-last norm to an NCHW tensor."""
    return norm(x.movedim(1, -1)).movedim(-1, 1)


class GLUMBConv(nn.Module):
    """Inverted 1x1 conv -> SiLU -> depthwise 3x3 -> GLU (a * SiLU(gate)) -> 1x1 (no bias) [-> RMSNorm] [+ x]."""

    def __init__(self, in_channels, out_channels, expand_ratio=4, norm_type=None, residual_connection=True):
        super().__init__()
        hidden = int(expand_ratio * in_channels)
        self.residual_connection = residual_connection
        self.conv_inverted = nn.Conv2d(in_channels, hidden * 2, 1, 1, 0)
        self.conv_depth = nn.Conv2d(hidden * 2, hidden * 2, 3, 1, 1, groups=hidden * 2)
        self.conv_point = nn.Conv2d(hidden, out_channels, 1, 1, 0, bias=False)
        self.norm = RMSNorm(out_channels, eps=1e-5, bias=True) if norm_type == "rms_norm" else None

    def forward(self, x):
        residual = x
        h = self.conv_depth(F.silu(self.conv_inverted(x)))
        h, gate = h.chunk(2, dim=1)
        h = self.conv_point(h * F.silu(gate))
        if self.norm is not None:
            h = channel_norm(self.norm, h)
        return h + residual if self.residual_connection else h


# ----------------------------------------------------------------------------------------------------------------
# AutoencoderDC (spec §5)
# ----------------------------------------------------------------------------------------------------------------
class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, 1, 1)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.norm = RMSNorm(c, eps=1e-5, bias=True)

    def forward(self, x):
        return channel_norm(self.norm, self.conv2(F.silu(self.conv1(x)))) + x


class MultiscaleProjection(nn.Module):
    def __init__(self, channels, heads, kernel_size):
        super().__init__()
        self.proj_in = nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, groups=channels, bias=False)
        self.proj_out = nn.Conv2d(channels, channels, 1, 1, 0, groups=3 * heads, bias=False)

    def forward(self, x):
        return self.proj_out(self.proj_in(x))


class MultiscaleLinearAttention(nn.Module):
    """SanaMultiscaleLinearAttention (ReLU linear attention over 3*head_dim channel groups, rms_norm, residual)."""

    def __init__(self, c, head_dim, kernel_sizes=(5,)):
        super().__init__()
        self.head_dim = head_dim
        heads = c // head_dim
        self.to_q = nn.Linear(c, c, bias=False)
        self.to_k = nn.Linear(c, c, bias=False)
        self.to_v = nn.Linear(c, c, bias=False)
        self.to_qkv_multiscale = nn.ModuleList([MultiscaleProjection(3 * c, heads, k) for k in kernel_sizes])
        self.to_out = nn.Linear(c * (1 + len(kernel_sizes)), c, bias=False)
        self.norm_out = RMSNorm(c, eps=1e-5, bias=True)

    def forward(self, x):
        b, _, h, w = x.shape
        cl = x.movedim(1, -1)
        qkv = torch.cat([self.to_q(cl), self.to_k(cl), self.to_v(cl)], dim=3).movedim(-1, 1)
        qkv = torch.cat([qkv] + [m(qkv) for m in self.to_qkv_multiscale], dim=1).float()
        qkv = qkv.reshape(b, -1, 3 * self.head_dim, h * w)
        q, k, v = qkv.chunk(3, dim=2)
        q, k = F.relu(q), F.relu(k)
        if h * w > self.head_dim:  # linear attention
            v = F.pad(v, (0, 0, 0, 1), value=1.0)
            out = torch.matmul(torch.matmul(v, k.transpose(-1, -2)), q)
            out = out[:, :, :-1] / (out[:, :, -1:] + 1e-15)
        else:  # quadratic (tiny feature maps)
            s = torch.matmul(k.transpose(-1, -2), q)
            s = s / (s.sum(dim=2, keepdim=True) + 1e-15)
            out = torch.matmul(v, s)
        out = out.reshape(b, -1, h, w)
        out = self.to_out(out.movedim(1, -1))
        return self.norm_out(out).movedim(-1, 1) + x


class EfficientViTBlock(nn.Module):
    def __init__(self, c, head_dim, qkv_multiscales=(5,)):
        super().__init__()
        self.attn = MultiscaleLinearAttention(c, head_dim, qkv_multiscales)
        self.conv_out = GLUMBConv(c, c, expand_ratio=4, norm_type="rms_norm", residual_connection=True)

    def forward(self, x):
        return self.conv_out(self.attn(x))


class DCDownBlock(nn.Module):
    """Conv mode: stride-2 conv + pixel-unshuffle/group-mean shortcut."""

    def __init__(self, cin, cout):
        super().__init__()
        self.group = cin * 4 // cout
        self.conv = nn.Conv2d(cin, cout, 3, 2, 1)

    def forward(self, x):
        y = F.pixel_unshuffle(x, 2).unflatten(1, (-1, self.group)).mean(dim=2)
        return self.conv(x) + y


class DCUpBlock(nn.Module):
    """Interpolate mode: nearest x2 + conv, plus repeat-interleave/pixel-shuffle shortcut."""

    def __init__(self, cin, cout):
        super().__init__()
        self.repeats = cout * 4 // cin
        self.conv = nn.Conv2d(cin, cout, 3, 1, 1)

    def forward(self, x):
        main = self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))
        return main + F.pixel_shuffle(x.repeat_interleave(self.repeats, dim=1), 2)


def _dc_block(kind, c, head_dim, ms):
    return ResBlock(c) if kind == "ResBlock" else EfficientViTBlock(c, head_dim, tuple(ms))


class DCEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, types, layers = cfg["encoder_block_out_channels"], cfg["encoder_block_types"], cfg["encoder_layers_per_block"]
        hd, ms = cfg["attention_head_dim"], cfg["encoder_qkv_multiscales"]
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch[0], 3, 1, 1)
        blocks = []
        for i, c in enumerate(ch):
            seq = [_dc_block(types[i], c, hd, ms[i]) for _ in range(layers[i])]
            if i < len(ch) - 1:
                seq.append(DCDownBlock(c, ch[i + 1]))
            blocks.append(nn.Sequential(*seq))
        self.down_blocks = nn.ModuleList(blocks)
        self.conv_out = nn.Conv2d(ch[-1], cfg["latent_channels"], 3, 1, 1)
        self.group = ch[-1] // cfg["latent_channels"]

    def forward(self, x):
        x = self.conv_in(x)
        for blk in self.down_blocks:
            x = blk(x)
        return self.conv_out(x) + x.unflatten(1, (-1, self.group)).mean(dim=2)


class DCDecoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, types, layers = cfg["decoder_block_out_channels"], cfg["decoder_block_types"], cfg["decoder_layers_per_block"]
        hd, ms = cfg["attention_head_dim"], cfg["decoder_qkv_multiscales"]
        self.conv_in = nn.Conv2d(cfg["latent_channels"], ch[-1], 3, 1, 1)
        self.repeats = ch[-1] // cfg["latent_channels"]
        blocks = []
        for i, c in enumerate(ch):
            seq = [DCUpBlock(ch[i + 1], c)] if i < len(ch) - 1 else []
            seq += [_dc_block(types[i], c, hd, ms[i]) for _ in range(layers[i])]
            blocks.append(nn.Sequential(*seq))
        self.up_blocks = nn.ModuleList(blocks)
        self.norm_out = RMSNorm(ch[0], eps=1e-5, bias=True)
        self.conv_out = nn.Conv2d(ch[0], cfg["in_channels"], 3, 1, 1)

    def forward(self, z):
        x = self.conv_in(z) + z.repeat_interleave(self.repeats, dim=1)
        for blk in reversed(self.up_blocks):
            x = blk(x)
        return self.conv_out(F.relu(channel_norm(self.norm_out, x)))


class AutoencoderDC(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.config = cfg
        self.encoder = DCEncoder(cfg)
        self.decoder = DCDecoder(cfg)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)


# ----------------------------------------------------------------------------------------------------------------
# Sana transformer / ControlNet (spec §3, §4)
# ----------------------------------------------------------------------------------------------------------------
def sinusoidal(t, dim=256):
    """diffusers get_timestep_embedding(flip_sin_to_cos=True, downscale_freq_shift=0): [cos, sin]."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TimestepEmbedding(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.linear_1 = nn.Linear(256, d)
        self.linear_2 = nn.Linear(d, d)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class CombinedTimestepGuidance(nn.Module):
    """SanaCombinedTimestepGuidanceEmbeddings: (time_embed.timestep_embedder, .guidance_embedder, .linear)."""

    def __init__(self, d):
        super().__init__()
        self.timestep_embedder = TimestepEmbedding(d)
        self.guidance_embedder = TimestepEmbedding(d)
        self.linear = nn.Linear(d, 6 * d)

    def forward(self, t, g):
        c = self.timestep_embedder(sinusoidal(t)) + self.guidance_embedder(sinusoidal(g))
        return self.linear(F.silu(c)), c


class _Emb(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.timestep_embedder = TimestepEmbedding(d)


class AdaLayerNormSingle(nn.Module):
    """AdaLayerNormSingle: (time_embed.emb.timestep_embedder, time_embed.linear)."""

    def __init__(self, d):
        super().__init__()
        self.emb = _Emb(d)
        self.linear = nn.Linear(d, 6 * d)

    def forward(self, t, g=None):
        c = self.emb.timestep_embedder(sinusoidal(t))
        return self.linear(F.silu(c)), c


class CaptionProjection(nn.Module):
    def __init__(self, cin, d):
        super().__init__()
        self.linear_1 = nn.Linear(cin, d)
        self.linear_2 = nn.Linear(d, d)

    def forward(self, y):
        return self.linear_2(F.gelu(self.linear_1(y), approximate="tanh"))


class PatchEmbed(nn.Module):
    def __init__(self, cin, d):
        super().__init__()
        self.proj = nn.Conv2d(cin, d, 1, 1, 0)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    """attn1 (linear, no q/k/v bias) or attn2 (softmax cross-attention with biases); optional rms-norm across heads."""

    def __init__(self, d, heads, head_dim, cross, qk_norm, kv_dim=None):
        super().__init__()
        inner = heads * head_dim
        self.heads, self.head_dim, self.cross = heads, head_dim, cross
        self.to_q = nn.Linear(d, inner, bias=cross)
        self.to_k = nn.Linear(kv_dim or d, inner, bias=cross)
        self.to_v = nn.Linear(kv_dim or d, inner, bias=cross)
        if qk_norm:
            self.norm_q = RMSNorm(inner, eps=1e-5)
            self.norm_k = RMSNorm(inner, eps=1e-5)
        else:
            self.norm_q = self.norm_k = None
        self.to_out = nn.ModuleList([nn.Linear(inner, d, bias=True), nn.Dropout(0.0)])

    def forward(self, x, context=None, bias=None):
        q = self.to_q(x)
        src = context if self.cross else x
        k, v = self.to_k(src), self.to_v(src)
        if self.norm_q is not None:
            q, k = self.norm_q(q), self.norm_k(k)
        b, n, _ = q.shape
        if not self.cross:
            q = F.relu(q.transpose(1, 2).unflatten(1, (self.heads, -1))).float()          # B,H,d,N
            k = F.relu(k.transpose(1, 2).unflatten(1, (self.heads, -1))).float().transpose(2, 3)  # B,H,N,d
            v = v.transpose(1, 2).unflatten(1, (self.heads, -1)).float()                 # B,H,d,N
            v = F.pad(v, (0, 0, 0, 1), value=1.0)
            out = torch.matmul(torch.matmul(v, k), q)
            out = out[:, :, :-1] / (out[:, :, -1:] + 1e-15)
            out = out.flatten(1, 2).transpose(1, 2).to(x.dtype)
        else:
            s = k.shape[1]
            q = q.view(b, n, self.heads, self.head_dim).transpose(1, 2)
            k = k.view(b, s, self.heads, self.head_dim).transpose(1, 2)
            v = v.view(b, s, self.heads, self.head_dim).transpose(1, 2)
            att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
            if bias is not None:
                att = att + bias
            out = torch.matmul(att.softmax(-1), v).transpose(1, 2).reshape(b, n, -1)
        return self.to_out[0](out)


class SanaBlock(nn.Module):
    def __init__(self, cfg, qk_norm):
        super().__init__()
        d = cfg["num_attention_heads"] * cfg["attention_head_dim"]
        self.d = d
        self.scale_shift_table = nn.Parameter(torch.randn(6, d) / d ** 0.5)
        self.attn1 = Attention(d, cfg["num_attention_heads"], cfg["attention_head_dim"], False, qk_norm)
        self.attn2 = Attention(d, cfg["num_cross_attention_heads"], cfg["cross_attention_head_dim"], True, qk_norm,
                               kv_dim=cfg["cross_attention_dim"])
        self.ff = GLUMBConv(d, d, expand_ratio=cfg["mlp_ratio"], norm_type=None, residual_connection=False)

    def forward(self, x, context, bias, t6, hw):
        b = x.shape[0]
        sm, cm, gm, sf, cf, gf = (self.scale_shift_table[None] + t6.reshape(b, 6, -1)).chunk(6, dim=1)
        n = F.layer_norm(x, (self.d,), eps=1e-6) * (1 + cm) + sm
        x = x + gm * self.attn1(n)
        x = x + self.attn2(x, context, bias)
        n = F.layer_norm(x, (self.d,), eps=1e-6) * (1 + cf) + sf
        n = n.unflatten(1, hw).permute(0, 3, 1, 2)
        f = self.ff(n).flatten(2).transpose(1, 2)
        return x + gf * f


def mask_bias(mask):
    return ((1 - mask.float()) * -10000.0)[:, None, None, :]


class SanaTransformer2DModel(nn.Module):
    """Sprint variant: guidance embedding, rms_norm_across_heads qk-norm, no positional embedding, patch size 1."""

    def __init__(self, cfg):
        super().__init__()
        self.config = cfg
        d = cfg["num_attention_heads"] * cfg["attention_head_dim"]
        self.patch_embed = PatchEmbed(cfg["in_channels"], d)
        self.time_embed = CombinedTimestepGuidance(d)
        self.caption_projection = CaptionProjection(cfg["caption_channels"], d)
        self.caption_norm = RMSNorm(d, eps=1e-5)
        self.transformer_blocks = nn.ModuleList([SanaBlock(cfg, True) for _ in range(cfg["num_layers"])])
        self.scale_shift_table = nn.Parameter(torch.randn(2, d) / d ** 0.5)
        self.proj_out = nn.Linear(d, cfg["out_channels"])
        self.d = d

    def forward(self, x, text, mask, t, g, control=None):
        b, _, h, w = x.shape
        bias = mask_bias(mask)
        x = self.patch_embed(x)
        t6, emb = self.time_embed(t, g)
        ctx = self.caption_norm(self.caption_projection(text))
        for i, blk in enumerate(self.transformer_blocks):
            x = blk(x, ctx, bias, t6, (h, w))
            if control is not None and 0 < i <= len(control):
                x = x + control[i - 1]
        shift, scale = (self.scale_shift_table[None] + emb[:, None]).chunk(2, dim=1)
        x = F.layer_norm(x, (self.d,), eps=1e-6) * (1 + scale) + shift
        x = self.proj_out(x)
        return x.transpose(1, 2).reshape(b, -1, h, w)


class SanaControlNetModel(nn.Module):
    """diffusers SanaControlNetModel (own time/caption embedding, blocks without qk-norm, zero-initialised outputs)."""

    def __init__(self, cfg):
        super().__init__()
        self.config = cfg
        d = cfg["num_attention_heads"] * cfg["attention_head_dim"]
        self.patch_embed = PatchEmbed(cfg["in_channels"], d)
        self.time_embed = AdaLayerNormSingle(d)
        self.caption_projection = CaptionProjection(cfg["caption_channels"], d)
        self.caption_norm = RMSNorm(d, eps=1e-5)
        self.transformer_blocks = nn.ModuleList([SanaBlock(cfg, False) for _ in range(cfg["num_layers"])])
        self.input_block = nn.Linear(d, d)
        self.controlnet_blocks = nn.ModuleList([nn.Linear(d, d) for _ in range(cfg["num_layers"])])
        for m in self.controlnet_blocks:
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)
        nn.init.normal_(self.input_block.weight, std=0.02)
        nn.init.zeros_(self.input_block.bias)

    def forward(self, x, text, mask, t, cond, scale=1.0):
        b, _, h, w = x.shape
        bias = mask_bias(mask)
        u = self.patch_embed(x) + self.input_block(self.patch_embed(cond))
        t6, _ = self.time_embed(t)
        ctx = self.caption_norm(self.caption_projection(text))
        out = []
        for blk, proj in zip(self.transformer_blocks, self.controlnet_blocks):
            u = blk(u, ctx, bias, t6, (h, w))
            out.append(proj(u) * scale)
        return out


# ----------------------------------------------------------------------------------------------------------------
# Gemma-2 decoder (spec §6.2)
# ----------------------------------------------------------------------------------------------------------------
class GemmaRMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        y = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * (1.0 + self.weight.float())).to(x.dtype)


class GemmaAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, h, kv, hd = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
        self.h, self.kv, self.hd = h, kv, hd
        self.scale = cfg["query_pre_attn_scalar"] ** -0.5
        self.cap = cfg["attn_logit_softcapping"]
        self.theta = cfg["rope_theta"]
        self.q_proj = nn.Linear(d, h * hd, bias=False)
        self.k_proj = nn.Linear(d, kv * hd, bias=False)
        self.v_proj = nn.Linear(d, kv * hd, bias=False)
        self.o_proj = nn.Linear(h * hd, d, bias=False)

    def rope(self, x, pos):
        inv = 1.0 / (self.theta ** (torch.arange(0, self.hd, 2, dtype=torch.float32, device=x.device) / self.hd))
        ang = pos[:, None].float() * inv[None]
        emb = torch.cat([ang, ang], dim=-1)
        cos, sin = emb.cos(), emb.sin()
        x1, x2 = x[..., : self.hd // 2], x[..., self.hd // 2:]
        return x * cos + torch.cat([-x2, x1], dim=-1) * sin

    def forward(self, x, add_mask):
        b, n, _ = x.shape
        pos = torch.arange(n, device=x.device)
        q = self.rope(self.q_proj(x).view(b, n, self.h, self.hd).transpose(1, 2), pos)
        k = self.rope(self.k_proj(x).view(b, n, self.kv, self.hd).transpose(1, 2), pos)
        v = self.v_proj(x).view(b, n, self.kv, self.hd).transpose(1, 2)
        rep = self.h // self.kv
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        s = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        s = torch.tanh(s / self.cap) * self.cap + add_mask
        out = torch.matmul(s.float().softmax(-1).to(v.dtype), v)
        return self.o_proj(out.transpose(1, 2).reshape(b, n, -1))


class GemmaMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, i = cfg["hidden_size"], cfg["intermediate_size"]
        self.gate_proj = nn.Linear(d, i, bias=False)
        self.up_proj = nn.Linear(d, i, bias=False)
        self.down_proj = nn.Linear(i, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.gelu(self.gate_proj(x), approximate="tanh") * self.up_proj(x))


class GemmaLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, eps = cfg["hidden_size"], cfg["rms_norm_eps"]
        self.self_attn = GemmaAttention(cfg)
        self.mlp = GemmaMLP(cfg)
        self.input_layernorm = GemmaRMSNorm(d, eps)
        self.post_attention_layernorm = GemmaRMSNorm(d, eps)
        self.pre_feedforward_layernorm = GemmaRMSNorm(d, eps)
        self.post_feedforward_layernorm = GemmaRMSNorm(d, eps)

    def forward(self, h, add_mask):
        h = h + self.post_attention_layernorm(self.self_attn(self.input_layernorm(h), add_mask))
        return h + self.post_feedforward_layernorm(self.mlp(self.pre_feedforward_layernorm(h)))


class Gemma2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.config = cfg
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList([GemmaLayer(cfg) for _ in range(cfg["num_hidden_layers"])])
        self.norm = GemmaRMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        nn.init.normal_(self.embed_tokens.weight, std=cfg["initializer_range"])
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=cfg["initializer_range"])

    def forward(self, ids, mask):
        """Returns last_hidden_state. ids, mask: [B, L] (mask 1 = real token)."""
        n = ids.shape[1]
        dev = ids.device
        h = self.embed_tokens(ids) * torch.tensor(self.config["hidden_size"] ** 0.5, dtype=torch.float32, device=dev)
        causal = torch.ones(n, n, dtype=torch.bool, device=dev).tril()
        allowed = causal[None] & mask.bool()[:, None, :]
        # Even layers use a sliding window: query i sees keys j > i - sliding_window.
        window = torch.ones(n, n, dtype=torch.bool, device=dev).triu(-(self.config["sliding_window"] - 1))
        lowest = torch.finfo(torch.float32).min
        add = torch.zeros(allowed.shape, device=dev).masked_fill(~allowed, lowest)[:, None]
        add_sliding = torch.zeros(allowed.shape, device=dev).masked_fill(~(allowed & window[None]), lowest)[:, None]
        for i, layer in enumerate(self.layers):
            h = layer(h, add_sliding if i % 2 == 0 else add)
        return self.norm(h)

    def logits(self, hidden):
        """LM head (tied embeddings) with the final soft-cap; used only to pretrain the tiny encoder."""
        cap = self.config["final_logit_softcapping"]
        return torch.tanh(hidden @ self.embed_tokens.weight.t() / cap) * cap
