"""The architectures of chapter 5, once, for every chapter that trains them. One family per file:

* :mod:`.resnet`: ``Bottleneck`` (also the downscaling block), ``resnet_stage``, ``resnet50``,
  ``small_resnet`` (LBDL Figs. 5.3–5.5);
* :mod:`.seq2seq`: ``Seq2Seq``, the transformer encoder–decoder (Figs. 5.6–5.7);
* :mod:`.gpt`: ``GPT`` with its ``Block`` and ``CausalSelfAttention`` and a key/value cache (Fig. 5.8);
* :mod:`.vit`: ``ViT``, the vision transformer (Fig. 5.9);
* :mod:`.unet`: ``UNet``, an encoder–decoder with skips, and ``PyramidPooling`` (§6.1, §6.4, Fig. 6.3).

The layers they share (attention, the pre-norm block) are in :mod:`lbdlutils.layers`.
"""

from . import gpt, resnet, seq2seq, unet, vit
from .gpt import GPT, Block, CausalSelfAttention
from .resnet import Bottleneck, resnet50, resnet_stage, small_resnet
from .seq2seq import Seq2Seq
from .unet import PyramidPooling, UNet
from .vit import ViT

__all__ = [
    "Block", "Bottleneck", "CausalSelfAttention", "GPT", "PyramidPooling", "Seq2Seq", "UNet", "ViT", "gpt", "resnet",
    "resnet50", "resnet_stage", "seq2seq", "small_resnet", "unet", "vit",
]
