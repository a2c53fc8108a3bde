#!/usr/bin/env python3
"""Writes core/src/main/resources/dev/tlab/kernels/kernels.pt: the TorchScript module through which
tlab reaches libtorch ops that DJL 0.36 has no binding for. Needs torch >= 2.0 (for
scaled_dot_product_attention); the file it writes loads on DJL's libtorch 2.7.1 and on newer ones.

  python3 scripts/kernels/make_kernels.py [OUT]      (scripts/torch-venv.sh makes such a Python)

Each method takes tensors only, because DJL runs a module's methods with autograd only through
IValueUtils.forward(block, NDList, true), which passes tensors. Numbers travel as 0-d CPU tensors.
"""
import sys
from pathlib import Path

import torch
import torch.nn.functional as F


class Kernels(torch.nn.Module):
    """Fused attention over [B, H, T, D] queries, keys and values, with dropout rate p."""

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v, dropout_p=float(p.item()))

    @torch.jit.export
    def causal(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v, dropout_p=float(p.item()), is_causal=True)

    @torch.jit.export
    def masked(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor,
               p: torch.Tensor) -> torch.Tensor:
        """mask: additive, in q's type, broadcastable to [B, H, Tq, Tk]; its gradient flows."""
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=float(p.item()))

    @torch.jit.export
    def to_bfloat16(self, x: torch.Tensor) -> torch.Tensor:
        """A cast that keeps the gradient; DJL's own cast cannot name bfloat16."""
        return x.to(torch.bfloat16)

    @torch.jit.export
    def cast_like(self, x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """x in like's type, keeping the gradient: one kernel, whatever the two types."""
        return x.to(like.dtype)


def main():
    root = Path(__file__).resolve().parents[2]
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "core/src/main/resources/dev/tlab/kernels/kernels.pt"
    module = torch.jit.script(Kernels())
    torch.jit.save(module, str(out))
    print(f"wrote {out} ({out.stat().st_size} bytes) with torch {torch.__version__}")


if __name__ == "__main__":
    main()
