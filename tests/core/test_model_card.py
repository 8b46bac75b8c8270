"""The model card states the run's real figures and configuration."""

from __future__ import annotations

from core.model_card import architecture_summary, model_card
from core.runs import SHIPPED_RUN_DIR, RunStore


def test_model_card_of_the_shipped_model(tmp_path):
    store = RunStore(tmp_path, shipped_dir=SHIPPED_RUN_DIR)
    run = store.get("shipped")
    card = model_card(run, store.history("shipped"), architecture_summary(store.load_model("shipped")))
    assert f"{run.test_accuracy:.2%}" in card
    assert f"| architecture | {run.config.architecture} |" in card
    assert card.count("\n| ") >= len(store.history("shipped")) + 10  # config rows + one row per epoch
    assert "conv1" in card and f"{run.parameter_count:,}" in card
