"""Tests for core.cli, run as a user runs it: `python -m core ...` in a subprocess from the project root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.cli import build_parser
from core.config import TrainingConfig
from core.default_model import DefaultRequest
from core.job_files import JobState, list_jobs, read_job
from core.runs import MODEL_FILE, RUNS_ENV_VAR, SHIPPED_RUN_ID, RunStore
from tests.upload_corpus import HEIC_PHOTO

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def run_cli(*args: str | Path, runs_dir: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, RUNS_ENV_VAR: str(runs_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("DIGIT_LAB_MNIST", None)
    return subprocess.run(
        [sys.executable, "-m", "core", *map(str, args)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def fields(line: str) -> dict[str, str]:
    """`key=value key=value` into a dict."""
    return dict(part.split("=", 1) for part in line.split())


def draw_one(path: Path) -> Path:
    """A thick dark vertical bar on white paper, like a "1" photographed on a page."""
    paper = np.full((160, 120, 3), 255, np.uint8)  # (h, w, 3) BGR white
    cv2.line(paper, (60, 25), (58, 135), (20, 20, 20), thickness=14)
    assert cv2.imwrite(str(path), paper)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One `train` run on the bundled sample, shared by the tests that need a saved model."""
    runs_dir = tmp_path_factory.mktemp("cli") / "runs"
    completed = run_cli(
        "train", "--sample", "--arch", "fast", "--epochs", "1", "--train-size", "1500", runs_dir=runs_dir
    )
    return completed, runs_dir


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("images")
    not_an_image = folder / "notes.png"
    not_an_image.write_text("this is a text file, not a picture\n", encoding="utf-8")
    blank = folder / "blank.png"
    assert cv2.imwrite(str(blank), np.full((50, 50), 255, np.uint8))
    return {
        "png": draw_one(folder / "one.png"),
        "jpg": draw_one(folder / "one.jpg"),
        "not_an_image": not_an_image,
        "blank": blank,
        "missing": folder / "missing.png",
    }


def assert_no_traceback(completed: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in completed.stderr, completed.stderr
    assert "Traceback" not in completed.stdout


def prediction_lines(stdout: str) -> dict[str, tuple[int, float]]:
    predictions = {}
    for line in stdout.splitlines():
        path, digit, confidence = line.split("\t")
        predictions[path] = (int(digit), float(confidence))
    return predictions


# ----------------------------------------------------------------------------- train


@pytest.mark.slow
def test_train_prints_epochs_and_the_saved_run(trained):
    completed, runs_dir = trained
    assert completed.returncode == EXIT_OK, completed.stderr
    assert_no_traceback(completed)
    lines = completed.stdout.splitlines()
    # stdout is machine-readable: one line per epoch, then the result; progress goes to stderr.
    assert len(lines) == 2, completed.stdout
    epoch = fields(lines[0])
    assert epoch["epoch"] == "1"
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "elapsed_s"):
        float(epoch[key])
    assert 0 <= float(epoch["accuracy"]) <= 1 and 0 <= float(epoch["val_accuracy"]) <= 1
    assert float(epoch["elapsed_s"]) > 0

    result = fields(lines[1])
    assert 0 <= float(result["test_accuracy"]) <= 1
    assert result["status"] == "completed"
    run = Path(result["run"])
    assert run.parent == runs_dir
    assert (run / MODEL_FILE).is_file()
    assert "data: sample" in completed.stderr


@pytest.mark.slow
def test_train_keeps_a_default_that_scores_higher(trained):
    completed, runs_dir = trained
    run = Path(fields(completed.stdout.splitlines()[-1])["run"])
    assert RunStore(runs_dir).default_run_id() == SHIPPED_RUN_ID  # 1 epoch on 1,500 images: far below it
    assert f"the default model stays {SHIPPED_RUN_ID} " in completed.stderr
    record = RunStore(runs_dir, shipped_dir=None).get(run.name)
    assert record.config.epochs == 1 and record.config.train_size == 1500
    assert record.data_source == "sample"


@pytest.mark.slow
def test_train_with_make_default_makes_even_a_weaker_run_the_default(tmp_path):
    runs_dir = tmp_path / "runs"
    completed = run_cli("train", "--sample", "--epochs", "1", "--train-size", "300", "--make-default", runs_dir=runs_dir)
    assert completed.returncode == EXIT_OK, completed.stderr
    run = Path(fields(completed.stdout.splitlines()[-1])["run"])
    assert RunStore(runs_dir).default_run_id() == run.name
    assert "now the default model" in completed.stderr


@pytest.mark.parametrize(
    "flags, request_", [((), "if-better"), (("--make-default",), "always"), (("--no-activate",), "never")]
)
def test_train_flags_choose_the_default_request(flags, request_):
    assert build_parser().parse_args(["train", *flags]).default_request == DefaultRequest(request_)


def test_make_default_and_no_activate_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--make-default", "--no-activate"])
    assert "not allowed with" in capsys.readouterr().err


@pytest.mark.slow
def test_train_flags_that_change_the_recipe_are_saved_with_the_run(tmp_path):
    runs_dir = tmp_path / "runs"
    completed = run_cli("train", "--sample", "--epochs", "1", "--train-size", "300", "--no-template-digits",
                        "--uji-share", "0.2", "--compute-dtype", "bfloat16", runs_dir=runs_dir)
    assert completed.returncode == EXIT_OK, completed.stderr
    run = Path(fields(completed.stdout.splitlines()[-1])["run"])
    config = RunStore(runs_dir, shipped_dir=None).get(run.name).config
    assert config.template_digits is False  # `fast`'s recipe adds them
    assert config.uji_share == 0.2
    assert config.compute_dtype == "bfloat16"


def test_uji_digits_follow_the_recipe_unless_a_flag_says_otherwise():
    parser = build_parser()
    assert parser.parse_args(["train", "--arch", "best"]).uji_digits is None  # None: the recipe decides
    assert parser.parse_args(["train", "--uji-digits"]).uji_digits is True
    assert parser.parse_args(["train", "--no-uji-digits"]).uji_digits is False
    assert TrainingConfig.for_architecture("best", uji_digits=None).uji_digits is True  # the shipped recipe
    assert TrainingConfig.for_architecture("best", uji_digits=False).uji_digits is False


def test_template_digits_and_the_uji_share_follow_the_recipe_unless_a_flag_says_otherwise():
    parser = build_parser()
    assert parser.parse_args(["train"]).template_digits is None  # None: the recipe decides
    assert parser.parse_args(["train", "--no-template-digits"]).template_digits is False
    assert parser.parse_args(["train", "--template-digits"]).template_digits is True
    assert parser.parse_args(["train"]).uji_share is None
    assert parser.parse_args(["train", "--uji-share", "0.3"]).uji_share == 0.3
    assert TrainingConfig.for_architecture("fast").template_digits is True
    assert TrainingConfig.for_architecture("best").template_digits is True
    assert TrainingConfig.for_architecture("seed").template_digits is False


def test_the_compute_type_follows_the_recipe_unless_a_flag_says_otherwise(capsys):
    parser = build_parser()
    assert parser.parse_args(["train"]).compute_dtype is None  # None: the recipe decides
    assert parser.parse_args(["train", "--compute-dtype", "bfloat16"]).compute_dtype == "bfloat16"
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--compute-dtype", "float16"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.slow
def test_a_diverged_run_is_saved_but_not_made_the_default(tmp_path):
    runs_dir = tmp_path / "runs"
    completed = run_cli(
        *("train", "--sample", "--arch", "fast", "--epochs", "1", "--train-size", "500", "--batch-size", "64"),
        *("--optimizer", "sgd", "--learning-rate", "10", "--schedule", "constant"),
        runs_dir=runs_dir,
    )
    assert completed.returncode == EXIT_OK, completed.stderr
    assert_no_traceback(completed)
    result = fields(completed.stdout.splitlines()[-1])
    assert result["status"] == "diverged"
    assert (Path(result["run"]) / MODEL_FILE).is_file()
    assert "warning:" in completed.stderr
    assert not (runs_dir / "default.json").exists()


# ----------------------------------------------------------------------------- predict


@pytest.mark.slow
def test_predict_prints_one_line_per_image(trained, images):
    _, runs_dir = trained
    completed = run_cli("predict", "--runs-dir", runs_dir, images["png"], images["jpg"], runs_dir=runs_dir)
    assert completed.returncode == EXIT_OK, completed.stderr
    assert_no_traceback(completed)
    predictions = prediction_lines(completed.stdout)
    assert list(predictions) == [str(images["png"]), str(images["jpg"])]
    for digit, confidence in predictions.values():
        assert 0 <= digit <= 9
        assert 0 <= confidence <= 1
    assert not [line for line in completed.stderr.splitlines() if line.startswith("error: ")]


@pytest.mark.slow
def test_predict_with_a_run_folder_as_model(trained, images, tmp_path):
    completed, _ = trained
    run = Path(fields(completed.stdout.splitlines()[-1])["run"])
    # An empty runs folder: the model must come from --model alone.
    result = run_cli("predict", "--model", run, images["png"], runs_dir=tmp_path / "empty")
    assert result.returncode == EXIT_OK, result.stderr
    assert list(prediction_lines(result.stdout)) == [str(images["png"])]


@pytest.mark.slow
def test_predict_reports_bad_files_and_still_predicts_the_good_one(trained, images):
    _, runs_dir = trained
    completed = run_cli(
        "predict", "--runs-dir", runs_dir, images["not_an_image"], images["png"], images["missing"], runs_dir=runs_dir
    )
    assert completed.returncode == EXIT_FAILURE
    assert_no_traceback(completed)
    assert list(prediction_lines(completed.stdout)) == [str(images["png"])]
    errors = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2, completed.stderr
    assert errors[0].startswith(f"error: {images['not_an_image']}: ")
    assert errors[1].startswith(f"error: {images['missing']}: ")
    assert "No such file" in errors[1]


def test_predict_with_only_bad_files_fails_cleanly(images, tmp_path):
    # Exit 1: the shipped model is found, every file is bad; errors, no traceback.
    completed = run_cli("predict", images["blank"], images["missing"], runs_dir=tmp_path / "runs")
    assert completed.returncode == EXIT_FAILURE
    assert_no_traceback(completed)
    assert completed.stdout == ""
    assert "error: " in completed.stderr


def test_predict_with_no_runs_uses_the_shipped_model(images, tmp_path):
    completed = run_cli("predict", images["png"], runs_dir=tmp_path / "runs")
    assert completed.returncode == EXIT_OK, completed.stderr
    assert_no_traceback(completed)
    ((digit, confidence),) = prediction_lines(completed.stdout).values()
    # The shipped model is fully trained: a clear bar is a confident "1".
    assert digit == 1 and confidence > 0.5


def test_predict_prints_each_text_line_apart(tmp_path):
    paper = np.full((340, 320, 3), 255, np.uint8)  # two 1s above one 1, on white paper
    for x, top in ((80, 30), (180, 30), (130, 200)):
        cv2.line(paper, (x, top), (x - 2, top + 110), (20, 20, 20), thickness=14)
    two_lines = tmp_path / "two_lines.png"
    assert cv2.imwrite(str(two_lines), paper)

    completed = run_cli("predict", two_lines, runs_dir=tmp_path / "runs")

    assert completed.returncode == EXIT_OK, completed.stderr
    assert completed.stdout.split("\t")[:2] == [str(two_lines), "11|1"]


def test_predict_reads_an_iphone_heic_photo(tmp_path):
    completed = run_cli("predict", HEIC_PHOTO, runs_dir=tmp_path / "runs")  # a 7 on unevenly lit paper

    assert completed.returncode == EXIT_OK, completed.stderr
    assert completed.stdout.split("\t")[:2] == [str(HEIC_PHOTO), "7"]


def test_predict_prints_a_dash_for_each_mark_that_is_not_a_digit(images, tmp_path):
    from core.architectures import build_model
    from tests.not_a_digit_model import always_not_a_digit

    model_path = tmp_path / "not_a_digit.keras"
    always_not_a_digit(build_model("fast", classes=11)).save(model_path)
    completed = run_cli("predict", "--model", model_path, images["png"], runs_dir=tmp_path / "runs")
    assert completed.returncode == EXIT_OK, completed.stderr
    path, digits, confidence = completed.stdout.strip().split("\t")
    assert (path, digits) == (str(images["png"]), "-")
    assert float(confidence) > 0.99  # sure it is no digit


def test_predict_with_a_missing_model_file(images, tmp_path):
    completed = run_cli("predict", "--model", tmp_path / "nothing.keras", images["png"], runs_dir=tmp_path / "runs")
    assert completed.returncode == EXIT_FAILURE
    assert_no_traceback(completed)
    assert "does not exist" in completed.stderr


def test_verbose_logs_debugging_detail_to_stderr(images, tmp_path):
    # A bare model file has no run beside it, so its "not sure" threshold is the default: a DEBUG line.
    args = ("predict", "--model", tmp_path / "nothing.keras", images["png"])
    quiet, verbose = run_cli(*args, runs_dir=tmp_path / "runs"), run_cli(*args, "-v", runs_dir=tmp_path / "runs")
    assert quiet.returncode == verbose.returncode == EXIT_FAILURE
    assert " DEBUG " not in quiet.stderr
    assert " DEBUG core.runs: " in verbose.stderr


# ----------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "usage:"),
        (["train", "--arch", "resnet", "--sample"], "resnet"),
        (["train", "--epochs", "0", "--sample"], "Epochs"),
        (["train", "--epochs", "three"], "invalid int value"),
        (["train", "--learning-rate", "nan", "--sample"], "Learning rate"),
        (["train", "--sample", "--train-size", "100", "--batch-size", "512"], "Batch size"),
        (["predict"], "usage:"),
        (["fly"], "invalid choice"),
    ],
    ids=[
        "no-args",
        "unknown-arch",
        "zero-epochs",
        "epochs-not-a-number",
        "nan-learning-rate",
        "batch-too-big",
        "predict-no-images",
        "unknown-command",
    ],
)
def test_usage_errors_exit_2_without_traceback(args, message, tmp_path):
    completed = run_cli(*args, runs_dir=tmp_path / "runs")
    assert completed.returncode == EXIT_USAGE
    assert_no_traceback(completed)
    assert message in completed.stderr
    assert completed.stdout == ""
    # No run is saved; a job that got as far as training is kept under .jobs/, marked failed with the reason.
    runs = tmp_path / "runs"
    assert not runs.exists() or [path.name for path in runs.iterdir()] in ([], [".jobs"])
    for job in list_jobs(runs):
        assert read_job(job).record.state == JobState.FAILED and message in read_job(job).record.error


# ----------------------------------------------------------------------------- robustness


def test_robustness_prints_the_grid_and_stores_it_with_the_run(trained):
    from core.robustness import AXES, load_result

    _, runs_dir = trained
    (run,) = [run for run in RunStore(runs_dir, shipped_dir=None).list_runs()]
    completed = run_cli("robustness", run.run_id, "--sample", runs_dir=runs_dir)
    assert completed.returncode == EXIT_OK, completed.stderr
    assert_no_traceback(completed)
    header, *rows = completed.stdout.splitlines()
    assert header.split("\t") == ["perturbation", "unit", "strength", "accuracy"]
    assert len(rows) == sum(len(axis.strengths) for axis in AXES)
    stored = load_result(run.path)
    assert stored is not None and stored.test_size == 1000
    rotation = next(curve for curve in stored.curves if curve.name == "rotation")
    resting = rotation.accuracy[rotation.strengths.index(0)]
    assert f"rotation\tdegrees\t0\t{resting:.4f}" in rows
    assert resting == pytest.approx(run.test_accuracy, abs=0.02)  # measured on the same sample test set
    assert "progress=100%" in completed.stderr


def test_robustness_of_an_unknown_run_is_a_usage_error(tmp_path):
    completed = run_cli("robustness", "no-such-run", "--sample", runs_dir=tmp_path / "runs")
    assert completed.returncode == EXIT_USAGE
    assert "no run named" in completed.stderr
    assert_no_traceback(completed)
