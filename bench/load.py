"""Is the page server still responsive while a model trains? Many sessions drawing and switching pages.

    python -m bench.load [--sessions 20] [--duration-s 600] [--idle-s 60] [--app-dir DIR] [--label NAME]
                         [--trainer-niceness N] [--no-training] [--mode demo] [--runs-dir DIR]

Starts `streamlit run Home.py` from --app-dir (default: this checkout; another checkout measures another
design) on a free loopback port with a temporary run store, and opens every page once to warm it up. Then
it starts a `best` training from the Train page and measures its speed alone for --idle-s seconds. Then
--sessions sessions each loop: draw a digit on Predict and wait for the Prediction (three actions in
four), or open another page, with a pause of 0.5-1.5 s between actions, for --duration-s seconds. The
sessions are `bench.streamlit_client` sessions, which speak Streamlit's websocket protocol: twenty
Chromium pages would take both cores themselves.

Prints and writes to bench/results/load-<label>.json: answer times (p50, p95, max) for drawings and page
switches, errors (an exception on the page, no Prediction, a time-out or a dropped connection), the
server's resident memory sampled every 10 s, the training's speed under load against its idle speed, the
share of the two cores the server, the trainer and the client itself took under load. Stops the training
and the server at the end. --trainer-niceness sets the trainer's CPU priority (`DIGIT_LAB_TRAINER_NICENESS`);
--no-training measures the sessions alone, which shows how much of the two cores the pages need.

`--mode demo` serves the app in demo mode (DIGIT_LAB_MODE=demo), where no session may start a training:
the script then starts none, and measures the speed of a training someone else runs in the same store
(`--runs-dir`, for `DIGIT_LAB_RUNS=DIR python -m core train` or a normal server) if one runs through the
measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bench.benchmark import free_port, wait_for_health
from bench.dev_data import PROJECT_ROOT
from bench.soak import resident_mb
from bench.streamlit_client import PageRun, StreamlitSession, canvas_state
from core.data import load_sample
from core.job_files import current_job, read_job
from core.job_runner import TRAINER_NICENESS_VARIABLE
from core.mode import MODE_KEY, Mode
from core.recipes import get_recipe

ARCHITECTURE = "best"
CANVAS_SIDE = 280
OTHER_PAGES = ("Train", "Misclassified", "Confusion_matrix", "Runs")  # in every design measured so far
ANSWER_TIMEOUT_S = 30.0
MEMORY_SAMPLE_S = 10.0
PROGRESS = re.compile(r"Epoch (\d+)/\d+ · batch (\d+)/(\d+)")
CORES = 2


def digit_drawings(count: int) -> list[str]:
    """MNIST test digits as a canvas would send them: white ink on black, 280 x 280 RGBA, PNG data URLs."""
    sample = load_sample()
    drawings = []
    for image in sample.x_test[:count]:  # (28, 28) uint8, white on black
        ink = cv2.resize(image, (CANVAS_SIDE, CANVAS_SIDE), interpolation=cv2.INTER_LINEAR)
        rgba = np.dstack([ink, ink, ink, np.full_like(ink, 255)])  # (280, 280, 4)
        png = cv2.imencode(".png", rgba)[1].tobytes()
        drawings.append("data:image/png;base64," + base64.b64encode(png).decode())
    return drawings


@dataclass
class Tally:
    """What every session saw, shared by the sessions (one asyncio thread: no lock needed)."""

    draw_s: list[float] = field(default_factory=list)
    switch_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def one_session(url: str, drawings: list[str], deadline: float, tally: Tally, seed: int) -> None:
    """One user: draws digits on Predict and now and then opens another page, until the deadline."""
    rng = random.Random(seed)
    try:
        async with StreamlitSession(url) as session:
            first = await asyncio.wait_for(session.run("Predict"), ANSWER_TIMEOUT_S)
            canvas_id = first.of_type("bidi_component")[0].bidi_component.id
            on_predict = True
            while time.monotonic() < deadline:
                await asyncio.sleep(rng.uniform(0.5, 1.5))  # a person between two actions
                if rng.random() < 0.75:
                    if not on_predict:
                        await asyncio.wait_for(session.run("Predict"), ANSWER_TIMEOUT_S)
                    state = canvas_state(canvas_id, rng.choice(drawings))
                    run = await asyncio.wait_for(session.run("Predict", [state]), ANSWER_TIMEOUT_S)
                    on_predict = True
                    if run.exceptions or run.metric("Prediction") is None:
                        tally.errors.append(f"drawing: {run.exceptions or 'no Prediction shown'}")
                    else:
                        tally.draw_s.append(run.seconds)
                else:
                    run = await asyncio.wait_for(session.run(rng.choice(OTHER_PAGES)), ANSWER_TIMEOUT_S)
                    on_predict = False
                    if run.exceptions:
                        tally.errors.append(f"page: {run.exceptions}")
                    else:
                        tally.switch_s.append(run.seconds)
    except Exception as error:  # a time-out or a dropped connection is a figure here, never a crash
        tally.errors.append(f"{type(error).__name__}: {error}")


def trained_batches(run: PageRun) -> int | None:
    """Batches trained so far, from the Train page's progress bar ("Epoch e/E · batch b/B · …")."""
    for element in run.of_type("progress"):
        found = PROGRESS.search(element.progress.text)
        if found:
            epoch, batch, per_epoch = (int(value) for value in found.groups())
            return (epoch - 1) * per_epoch + batch
    return None


async def start_training(url: str, epochs: int) -> None:
    """Starts a `best` training from the Train page, as a person would, and waits until it trains."""
    async with StreamlitSession(url) as session:
        page = await session.run("Train")
        architecture = WidgetState(id=page.widget_id("selectbox", "Architecture"), string_value=ARCHITECTURE)
        page = await session.run("Train", [architecture])  # its on_change loads the recipe
        epochs_state = WidgetState(id=page.widget_id("number_input", "Epochs"), double_value=epochs)
        start = WidgetState(id=page.widget_id("button", "Start training"), trigger_value=True)
        await session.run("Train", [architecture, epochs_state, start])
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if (trained_batches(await session.run("Train")) or 0) > 0:  # past loading TensorFlow and the data
                return
            await asyncio.sleep(1)
    raise TimeoutError("the training never reported progress")


async def training_speed(url: str, seconds: float) -> float:
    """Images per second the running training adds over `seconds`, read from the Train page."""
    batch_size = get_recipe(ARCHITECTURE).batch_size
    async with StreamlitSession(url) as session:
        first, started = trained_batches(await session.run("Train")), time.monotonic()
        await asyncio.sleep(seconds)
        last, ended = trained_batches(await session.run("Train")), time.monotonic()
    if first is None or last is None or last <= first:
        raise RuntimeError("the training was not running through the window (finished or failed?)")
    return (last - first) * batch_size / (ended - started)


async def stop_training(url: str) -> None:
    async with StreamlitSession(url) as session:
        page = await session.run("Train")
        try:
            await session.run("Train", [WidgetState(id=page.widget_id("button", "Stop"), trigger_value=True)])
        except LookupError:
            pass  # no job running any more


async def sample_memory(pid: int, deadline: float, samples: list[tuple[float, float]], started: float) -> None:
    while time.monotonic() < deadline:
        samples.append((round(time.monotonic() - started, 1), round(resident_mb(pid), 1)))
        await asyncio.sleep(MEMORY_SAMPLE_S)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process (all its threads) has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def running_trainer_pid(runs_root: Path) -> int | None:
    """The pid of the process training the store's current job, or None when none runs."""
    folder = current_job(runs_root)
    record = read_job(folder).record if folder is not None else None
    return record.pid if record is not None and record.is_running else None


async def speed_if_training(url: str, seconds: float) -> float | None:
    """`training_speed`, or None when no training runs through the window (a demo server starts none)."""
    try:
        return await training_speed(url, seconds)
    except Exception as error:  # none running, or the watching session timed out: a figure, never a crash
        print(f"no training measured: {type(error).__name__}: {error}", file=sys.stderr)
        return None


def percentile(values: list[float], share: float) -> float | None:
    return float(np.percentile(values, share)) if values else None


async def warm_up(url: str) -> None:
    """Opens every page once, so the measured window sees a server that has loaded its models and data."""
    async with StreamlitSession(url) as session:
        for page in ("Predict", *OTHER_PAGES):
            await asyncio.wait_for(session.run(page), ANSWER_TIMEOUT_S * 4)


async def measure(
    url: str,
    server_pid: int,
    runs_root: Path,
    sessions: int,
    duration_s: float,
    idle_s: float,
    epochs: int | None,
    mode: Mode,
) -> dict:
    """The sessions' answers while this script's training runs (epochs), or with none of its own (None).

    With none of its own, a training someone else runs in the same store is measured if there is one.
    """
    await warm_up(url)
    idle_speed = None
    if epochs is not None:
        await start_training(url, epochs)
        idle_speed = await training_speed(url, idle_s)
        print(f"training alone: {idle_speed:,.0f} images/s", file=sys.stderr)
    trainer = running_trainer_pid(runs_root)

    drawings, tally, memory = digit_drawings(200), Tally(), []
    pids = {"server": server_pid} | ({"trainer": trainer} if trainer else {})
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    usage_before, started = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    deadline = started + duration_s
    loaded = asyncio.ensure_future(speed_if_training(url, duration_s - 5)) if trainer else None
    await asyncio.gather(
        sample_memory(server_pid, deadline, memory, started),
        *(one_session(url, drawings, deadline, tally, seed) for seed in range(sessions)),
    )
    loaded_speed = await loaded if loaded else None
    usage_after, wall = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - started
    cpu_share = {name: (cpu_seconds(pid) - cpu_before[name]) / (wall * CORES) for name, pid in pids.items()}
    client_cpu = (usage_after.ru_utime + usage_after.ru_stime) - (usage_before.ru_utime + usage_before.ru_stime)
    if epochs is not None:
        await stop_training(url)
    answers = tally.draw_s + tally.switch_s
    return {
        "sessions": sessions,
        "mode": mode.value,
        "duration_s": duration_s,
        "drawings": len(tally.draw_s),
        "page_switches": len(tally.switch_s),
        "errors": len(tally.errors),
        "error_examples": tally.errors[:5],
        "answer_p50_s": percentile(answers, 50),
        "answer_p95_s": percentile(answers, 95),
        "answer_max_s": max(answers) if answers else None,
        "drawing_p95_s": percentile(tally.draw_s, 95),
        "page_switch_p95_s": percentile(tally.switch_s, 95),
        "training_idle_images_per_s": idle_speed,
        "training_loaded_images_per_s": loaded_speed,
        "training_speed_ratio": loaded_speed / idle_speed if idle_speed and loaded_speed else None,
        "server_memory_mb": memory,
        "server_cpu_share": cpu_share["server"],
        "trainer_cpu_share": cpu_share.get("trainer"),
        "client_cpu_share": client_cpu / (wall * CORES),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration-s", type=float, default=600.0)
    parser.add_argument("--idle-s", type=float, default=60.0)
    parser.add_argument("--epochs", type=int, default=40, help="longer than the test: the training is stopped at the end")
    parser.add_argument("--app-dir", type=Path, default=PROJECT_ROOT, help="the checkout whose server is measured")
    parser.add_argument("--label", default="current")
    parser.add_argument("--trainer-niceness", type=int, help=f"sets {TRAINER_NICENESS_VARIABLE} for the trainer")
    parser.add_argument("--no-training", action="store_true", help="the sessions alone, with no training")
    parser.add_argument("--mode", type=Mode, choices=list(Mode), default=Mode.NORMAL, help="the server's mode")
    parser.add_argument("--runs-dir", type=Path, help="the run store to serve (default: a temporary one)")
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as temporary:
        runs_dir = str(args.runs_dir or temporary)
        print(f"run store: {runs_dir} · mode: {args.mode}", file=sys.stderr)
        env = dict(os.environ, DIGIT_LAB_RUNS=runs_dir, **{MODE_KEY: args.mode.value})
        if args.trainer_niceness is not None:
            env[TRAINER_NICENESS_VARIABLE] = str(args.trainer_niceness)
        log = open(Path(temporary) / "server.log", "wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "Home.py", f"--server.port={port}", "--server.headless=true"],
            cwd=args.app_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_health(url)
            epochs = None if args.no_training or args.mode == Mode.DEMO else args.epochs  # demo: refused
            results = asyncio.run(
                measure(url, server.pid, Path(runs_dir), args.sessions, args.duration_s, args.idle_s, epochs, args.mode)
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a server starved of CPU may not get to its exit in time
                server.kill()
                server.wait()
            log.close()
    results["label"] = args.label
    output = PROJECT_ROOT / "bench" / "results" / f"load-{args.label}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1), encoding="utf-8")
    memory = [mb for _, mb in results["server_memory_mb"]]
    idle, loaded, ratio = (
        results[key] for key in ("training_idle_images_per_s", "training_loaded_images_per_s", "training_speed_ratio")
    )
    training = (
        f"{idle:,.0f} → {loaded:,.0f} ({ratio:.0%})" if ratio is not None
        else f"{loaded:,.0f} images/s, started elsewhere" if loaded is not None else "no training"
    )
    times = " | ".join(
        "–" if results[key] is None else f"{results[key]:.2f}"  # no answer at all: every action failed
        for key in ("answer_p50_s", "answer_p95_s", "drawing_p95_s", "page_switch_p95_s")
    )
    trainer_share = results["trainer_cpu_share"]
    print(
        f"| {args.label} ({args.mode}) | {args.sessions} | {results['drawings']} | {results['page_switches']} | "
        f"{results['errors']} | {times} | {memory[0]:,.0f} → {memory[-1]:,.0f} (max {max(memory):,.0f}) | "
        f"{training} | {results['server_cpu_share']:.0%} / "
        f"{'-' if trainer_share is None else f'{trainer_share:.0%}'} / {results['client_cpu_share']:.0%} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
