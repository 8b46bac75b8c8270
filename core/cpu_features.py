"""Whether this machine's CPU does bfloat16 arithmetic itself.

`best`'s recipe trains in bfloat16 because it is a quarter faster on a CPU with bfloat16 instructions (2 Zen 4
cores, issue 17). Where the CPU has none, TensorFlow emulates it, and the same training is about six times
slower than in float32 (README, Performance): there the recipe trains in float32.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

BFLOAT16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})
"""The flags naming bfloat16 instructions: x86's in /proc/cpuinfo's `flags` line, Arm's in its `Features`."""

CPU_INFO = Path("/proc/cpuinfo")


def lists_bfloat16(cpu_info: str) -> bool:
    """Whether the text of /proc/cpuinfo names bfloat16 instructions for its first processor."""
    for line in cpu_info.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return not BFLOAT16_FLAGS.isdisjoint(value.split())
    return False


@functools.cache
def cpu_has_bfloat16() -> bool:
    """Whether this CPU computes in bfloat16 itself; False where that cannot be read (no /proc/cpuinfo)."""
    try:
        cpu_info = CPU_INFO.read_text()
    except OSError as error:
        logger.info("cannot read the CPU's instruction sets (%s): bfloat16 taken to be emulated", error)
        return False
    return lists_bfloat16(cpu_info)


def compute_dtype_here(preferred: str) -> str:
    """The arithmetic a recipe that prefers `preferred` trains in on this machine: bfloat16 only on a CPU that
    has bfloat16 instructions, float32 otherwise."""
    if preferred == "bfloat16" and not cpu_has_bfloat16():
        logger.info("this CPU has no bfloat16 instructions: the recipe trains in float32, about 6x faster here")
        return "float32"
    return preferred
