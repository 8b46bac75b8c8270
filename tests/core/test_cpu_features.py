"""Tests for core.cpu_features: bfloat16 only where the CPU has instructions for it."""

from __future__ import annotations

import pytest

from core import cpu_features
from core.config import TrainingConfig
from core.cpu_features import compute_dtype_here, lists_bfloat16

ZEN4 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n"
ZEN3 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 fma\nbugs\t\t: sysret_ss_attrs\n"
SAPPHIRE_RAPIDS = "flags\t\t: fpu avx2 avx512f amx_bf16 amx_tile\n"
NEOVERSE_V1 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\nCPU implementer\t: 0x41\n"
NEOVERSE_N1 = "processor\t: 0\nFeatures\t: fp asimd aes crc32 atomics\n"


@pytest.mark.parametrize(
    ("cpu_info", "expected"),
    [(ZEN4, True), (ZEN3, False), (SAPPHIRE_RAPIDS, True), (NEOVERSE_V1, True), (NEOVERSE_N1, False), ("", False)],
    ids=["zen4", "zen3", "sapphire rapids", "neoverse v1", "neoverse n1", "nothing"],
)
def test_bfloat16_instructions_are_read_from_the_cpu_flags(cpu_info, expected):
    assert lists_bfloat16(cpu_info) is expected


@pytest.mark.parametrize("has_bfloat16", [True, False])
def test_best_trains_in_bfloat16_only_on_a_cpu_that_has_it(monkeypatch, has_bfloat16):
    monkeypatch.setattr(cpu_features, "cpu_has_bfloat16", lambda: has_bfloat16)

    expected = "bfloat16" if has_bfloat16 else "float32"
    assert compute_dtype_here("bfloat16") == expected
    assert TrainingConfig.for_architecture("best").compute_dtype == expected
    assert compute_dtype_here("float32") == "float32"
    # Asked for by name, bfloat16 is what the user gets, fast or slow.
    assert TrainingConfig.for_architecture("best", compute_dtype="bfloat16").compute_dtype == "bfloat16"
