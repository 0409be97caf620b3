"""The tiny autoencoder of madebyollin/taesd (taesd.py: conv, Clamp, Block, F32Encoder, F32Decoder), with the layer
order and state-dict keys of the published TAESana and configurable channel widths.

TAESana is 64-256 channels wide; the demo's DC-AE is only 16-128 channels wide, so its tiny autoencoder must be
narrower still to save time. The C# TinyAutoencoder reads the widths from the weights' shapes; the layer order (and so
the keys, the ReLUs, the five stride-2 convs / upsamplings = 32x compression, the decoder's tanh clamp) is taesd's.
"""
import torch
import torch.nn as nn

# TAESana's widths, for reference: encoder stem 32, 64 then 64 throughout; decoder 256, 128, 64, 64, 64, 64.
TAESANA_ENCODER_WIDTHS = (32, 64, 64, 64, 64)
TAESANA_DECODER_WIDTHS = (256, 128, 64, 64, 64, 64)


def conv(n_in, n_out, **kwargs):
    return nn.Conv2d(n_in, n_out, 3, padding=1, **kwargs)


class Clamp(nn.Module):
    def forward(self, x):
        return torch.tanh(x / 3) * 3


class Block(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.conv = nn.Sequential(conv(n_in, n_out), nn.ReLU(), conv(n_out, n_out), nn.ReLU(), conv(n_out, n_out))
        self.skip = nn.Conv2d(n_in, n_out, 1, bias=False) if n_in != n_out else nn.Identity()
        self.fuse = nn.ReLU()

    def forward(self, x):
        return self.fuse(self.conv(x) + self.skip(x))


def f32_encoder(latent_channels=32, widths=TAESANA_ENCODER_WIDTHS):
    """taesd F32Encoder: images in [0, 1] -> DC-AE latents (unscaled). widths = (stem 1, stem 2 and first block,
    stage 1, stage 2, stage 3)."""
    w0, w1, w2, w3, w4 = widths
    return nn.Sequential(
        conv(3, w0, stride=2), nn.ReLU(), conv(w0, w1, stride=2), nn.ReLU(), Block(w1, w1),
        conv(w1, w2, stride=2, bias=False), Block(w2, w2), Block(w2, w2), Block(w2, w2),
        conv(w2, w3, stride=2, bias=False), Block(w3, w3), Block(w3, w3), Block(w3, w3),
        conv(w3, w4, stride=2, bias=False), Block(w4, w4), Block(w4, w4), Block(w4, w4),
        conv(w4, latent_channels),
    )


def f32_decoder(latent_channels=32, widths=TAESANA_DECODER_WIDTHS):
    """taesd F32Decoder: DC-AE latents (unscaled) -> images in [0, 1] (not clamped). widths = the six stage widths."""
    layers = [Clamp(), conv(latent_channels, widths[0]), nn.ReLU()]
    for s in range(5):
        c = widths[s]
        layers += [Block(c, c), Block(c, c), Block(c, c), nn.Upsample(scale_factor=2), conv(c, widths[s + 1], bias=False)]
    layers += [Block(widths[5], widths[5]), conv(widths[5], 3)]
    return nn.Sequential(*layers)
