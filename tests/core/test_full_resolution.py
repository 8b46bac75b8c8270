"""Tests for core.full_resolution: a digit found at working size is cut from the picture's own pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.full_resolution import full_size_window, grade_ink

SCALE = 3
WINDOW = np.s_[2:14, 3:15]  # a 12 x 12 window of a 20 x 20 working-size picture


def _page(paper: int, ink: int) -> np.ndarray:
    """A 60 x 60 full-size picture (three times the working size) with one ring of ink in the window."""
    page = np.full((20 * SCALE, 20 * SCALE), paper, np.uint8)
    cv2.circle(page, (9 * SCALE, 8 * SCALE), 4 * SCALE, ink, 4)
    return page


def _working_masks(page: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ink's mask and its rim inside `WINDOW`, as `core.segmentation` finds them at working size."""
    small = cv2.resize(page, (20, 20), interpolation=cv2.INTER_AREA)
    paper = int(np.median(small))
    own = (np.abs(small.astype(int) - paper) > 30).astype(np.uint8)[WINDOW]
    return own, cv2.dilate(own, np.ones((3, 3), np.uint8))


@pytest.mark.parametrize(("paper", "ink"), [(230, 30), (30, 230), (140, 20)], ids=["dark-ink", "light-ink", "dim-paper"])
def test_the_ink_comes_out_bright_on_zero_at_full_size_whichever_its_polarity_and_the_papers_level(paper: int, ink: int) -> None:
    page = _page(paper, ink)
    own, rim = _working_masks(page)

    cut = grade_ink(page[full_size_window(WINDOW, (float(SCALE), float(SCALE)), page.shape)], own, rim)

    assert cut.shape == (12 * SCALE, 12 * SCALE)
    drawn = _page(0, 255)[2 * SCALE : 14 * SCALE, 3 * SCALE : 15 * SCALE] > 0  # the ring's own pixels
    assert cut[drawn].min() >= 200
    assert cut[~drawn].max() <= 40  # the ring's hole and the paper round it


def test_paper_outside_the_working_size_rim_is_zero_even_where_other_ink_lies() -> None:
    page = _page(230, 30)
    own, rim = _working_masks(page)
    assert not rim[:2, 10:].any()
    page[2 * SCALE : 4 * SCALE, 13 * SCALE : 15 * SCALE] = 30  # a neighbour's stroke there, in the window's corner

    cut = grade_ink(page[full_size_window(WINDOW, (float(SCALE), float(SCALE)), page.shape)], own, rim)

    assert cut[: 2 * SCALE, 10 * SCALE :].max() == 0
