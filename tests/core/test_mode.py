"""Demo mode: how a server learns it, and every shared-state write its run store refuses.

Training's start and stop are refused by the job registry: tests/core/test_jobs.py.
"""

from __future__ import annotations

import pytest

from core.mode import MODE_KEY, DemoModeRefusal, Mode, SharedAction, configured_mode, refuse_in_demo
from core.runs import DEFAULT_FILE, RunStore
from tests.core.test_runs import make_result


@pytest.mark.parametrize(
    "environment, secret, expected",
    [
        ({}, None, Mode.NORMAL),
        ({MODE_KEY: ""}, "", Mode.NORMAL),
        ({MODE_KEY: "demo"}, None, Mode.DEMO),
        ({}, "demo", Mode.DEMO),
        ({MODE_KEY: " Demo "}, None, Mode.DEMO),
        ({MODE_KEY: "normal"}, "demo", Mode.DEMO),  # neither source can undo the other's demo
        ({MODE_KEY: "demo"}, "normal", Mode.DEMO),
    ],
)
def test_configured_mode(environment, secret, expected):
    assert configured_mode(environment, secret) is expected


def test_an_unknown_mode_is_an_error_naming_the_key():
    with pytest.raises(ValueError, match=f"{MODE_KEY} in secrets.toml must be 'normal' or 'demo', not 'dmeo'"):
        configured_mode({}, "dmeo")


def test_refuse_in_demo_says_what_and_why():
    for action in SharedAction:
        refuse_in_demo(Mode.NORMAL, action)
        with pytest.raises(DemoModeRefusal, match=f"^{action} is off on this demo server"):
            refuse_in_demo(Mode.DEMO, action)


def test_a_demo_store_refuses_every_write_and_a_normal_one_on_the_same_folder_keeps_them(runs_dir):
    normal = RunStore(runs_dir, shipped_dir=None)
    first, second = normal.save(make_result("seed")), normal.save(make_result("fast"))
    normal.set_default(first.run_id)
    demo = RunStore(runs_dir, shipped_dir=None, mode=Mode.DEMO)
    before = sorted(path.name for path in runs_dir.iterdir())

    with pytest.raises(DemoModeRefusal, match="Changing the default model"):
        demo.set_default(second.run_id)
    with pytest.raises(DemoModeRefusal, match="Deleting a run"):
        demo.delete(second.run_id)
    with pytest.raises(DemoModeRefusal, match="Saving a run"):
        demo.save(make_result())

    assert sorted(path.name for path in runs_dir.iterdir()) == before
    assert DEFAULT_FILE in before
    assert [run.run_id for run in demo.list_runs()] == [second.run_id, first.run_id]  # reading stays
    assert demo.default_run_id() == first.run_id
    normal.set_default(second.run_id)
    normal.delete(first.run_id)
    assert demo.default_run_id() == second.run_id
