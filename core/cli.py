"""The command line: `python -m core train`, `python -m core adapt`, `python -m core refit RUN`,
`python -m core predict IMAGE...` and `python -m core robustness RUN`.

Machine-readable results go to stdout (`key=value` fields, or one tab-separated line per image);
progress and errors for people go to stderr. Bad input never prints a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence, TextIO

from core.config import COMPUTE_DTYPES, NON_DIGIT_METHODS
from core.logging_setup import LOG_LEVEL_ENV_VAR, configure_logging
from core.progress import BatchProgress

if TYPE_CHECKING:
    from core.data import MnistData
    from core.job_files import JobFolder
    from core.job_runner import JobOutcome
    from core.runs import RunStore
from core.recipes import DEFAULT_ARCHITECTURE, RECIPES

# TensorFlow's C++ start-up chatter would bury our output; set before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _format_fields(**fields: object) -> str:
    """`key=value` pairs, floats with enough digits to compare runs."""
    parts = []
    for key, value in fields.items():
        parts.append(f"{key}={value:.6g}" if isinstance(value, float) else f"{key}={value}")
    return " ".join(parts)


def _batch_printer(epochs: int, err: TextIO) -> Callable[[BatchProgress], None]:
    """Prints where a job stands on one line, rewritten at most twice a second."""
    last_shown = [0.0]

    def on_batch(progress: BatchProgress) -> None:
        # A line per batch would flood a log file; twice a second is plenty for a person.
        if progress.elapsed_s - last_shown[0] < 0.5 and progress.batch < progress.batches_per_epoch:
            return
        last_shown[0] = progress.elapsed_s
        print(
            f"\repoch {progress.epoch}/{epochs} batch {progress.batch}/{progress.batches_per_epoch} "
            f"loss {progress.loss:.4f} {progress.images_per_second:,.0f} img/s",
            end="",
            file=err,
            flush=True,
        )

    return on_batch


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Digit Lab: train and use MNIST CNNs.")
    commands = parser.add_subparsers(dest="command", required=True)
    # On every command, so `-v` works after the command name too.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="store_true", help=f"log debugging detail to stderr (default: ${LOG_LEVEL_ENV_VAR} or INFO)"
    )

    train = commands.add_parser("train", parents=[common], help="train an architecture and save it as a run")
    train.add_argument(
        "--arch",
        default=DEFAULT_ARCHITECTURE,
        help=f"architecture name: {', '.join(RECIPES)} (default: {DEFAULT_ARCHITECTURE})",
    )
    train.add_argument("--epochs", type=int, help="number of epochs (default: the architecture's recipe)")
    train.add_argument("--batch-size", type=int, help="images per batch")
    train.add_argument("--optimizer", help="adam, adadelta, sgd or rmsprop")
    train.add_argument("--learning-rate", type=float, help="peak learning rate")
    train.add_argument("--schedule", help="constant or one-cycle")
    train.add_argument("--label-smoothing", type=float, help="share of each target spread over all classes (0-1)")
    train.add_argument("--compute-dtype", choices=COMPUTE_DTYPES,
                       help="arithmetic of training steps; saved models stay float32 (default: the recipe's)")
    train.add_argument("--train-size", type=int, help="use only this many training images")
    train.add_argument("--validation-split", type=float, help="share of training images held out (default 0.1)")
    train.add_argument("--seed", type=int, default=0, help="random seed; same seed and config, same run")
    augment = train.add_mutually_exclusive_group()
    augment.add_argument("--augment", dest="augment", action="store_true", default=None, help="random distortions")
    augment.add_argument("--no-augment", dest="augment", action="store_false", help="no distortions")
    templates = train.add_mutually_exclusive_group()
    templates.add_argument("--template-digits", dest="template_digits", action="store_true", default=None,
                           help="also train on pen-drawn digits in styles MNIST lacks (flagged 1s, crossed 7s; "
                           "default: the recipe's)")
    templates.add_argument("--no-template-digits", dest="template_digits", action="store_false",
                           help="no template digits")
    uji = train.add_mutually_exclusive_group()
    uji.add_argument("--uji-digits", dest="uji_digits", action="store_true", default=None,
                     help="also train on UJI writers 1-40's European pen digits (default: the recipe's)")
    uji.add_argument("--no-uji-digits", dest="uji_digits", action="store_false", help="MNIST digits only")
    train.add_argument("--uji-share", type=float,
                       help="the UJI digits' weight together, as a share of MNIST's (default: the recipe's)")
    train.add_argument("--non-digits", choices=NON_DIGIT_METHODS,
                       help='how to learn "not a digit" from drawn marks (default: the recipe\'s)')
    train.add_argument("--runs-dir", type=Path, help="where runs are saved (default: $DIGIT_LAB_RUNS or runs/)")
    train.add_argument("--sample", action="store_true", help="train on the bundled 6,000-image sample (offline demos)")
    # The default rule (core.default_model): without either flag, the run becomes the default only if it
    # scores higher on the test set than the current default.
    default = train.add_mutually_exclusive_group()
    default.add_argument("--make-default", dest="default_request", action="store_const", const="always",
                         default="if-better", help="make the new run the default model even if it scores lower")
    default.add_argument("--no-activate", dest="default_request", action="store_const", const="never",
                         help="never make the new run the default model, even if it scores higher")

    adapt = commands.add_parser(
        "adapt", parents=[common], help="fine-tune a run on the kept digits, replaying MNIST, into a new run"
    )
    adapt.add_argument("--run", help="the run to adapt (default: the default model)")
    adapt.add_argument("--kept-digits", type=Path, metavar="PATH",
                       help="the kept-digit database (default: the app's, beside the run store)")
    adapt.add_argument("--writer", help="adapt to this writer's kept digits only (default: everyone's)")
    adapt.add_argument("--seed", type=int, default=0, help="seeds the held-back split and the fine-tune")
    adapt.add_argument("--runs-dir", type=Path, help="where runs are found and saved (default: $DIGIT_LAB_RUNS or runs/)")
    adapt.add_argument("--sample", action="store_true", help="replay and score the bundled sample (offline demos)")

    refit = commands.add_parser(
        "refit", parents=[common], help='fit a run\'s "not a digit" output again on today\'s marks, into a new run'
    )
    refit.add_argument("run", metavar="RUN", help="a run id (see the Runs page), or 'shipped'")
    refit.add_argument("--runs-dir", type=Path, help="where runs are found and saved (default: $DIGIT_LAB_RUNS or runs/)")
    refit.add_argument("--sample", action="store_true", help="refit a run trained on the bundled sample (tests, demos)")

    predict = commands.add_parser("predict", parents=[common], help="print the digits in each image, text lines separated by |")
    predict.add_argument("--model", type=Path, help="a .keras file or a run folder (default: the default run)")
    predict.add_argument("--runs-dir", type=Path, help="where runs are found (default: $DIGIT_LAB_RUNS or runs/)")
    predict.add_argument("images", nargs="+", type=Path, metavar="IMAGE")

    robustness = commands.add_parser(
        "robustness", parents=[common], help="test accuracy under rotation, scale, shift, thickness, blur, noise, occlusion and contrast"
    )
    robustness.add_argument("run", metavar="RUN", help="a run id (see the Runs page), or 'shipped'")
    robustness.add_argument("--runs-dir", type=Path, help="where runs are found (default: $DIGIT_LAB_RUNS or runs/)")
    robustness.add_argument("--sample", action="store_true", help="measure on the bundled 1,000-image test sample")
    return parser


def _run_job_here(job: JobFolder, store: RunStore, data: MnistData, err: TextIO, **progress: Any) -> JobOutcome | int:
    """Runs a job this process created, watched live on the pages; an exit status when it cannot run.

    `progress` is `on_batch` and `on_epoch`, as `core.job_runner.run_job` takes them.
    """
    from core.job_files import request_stop
    from core.job_runner import run_job, yield_cpu_to_pages
    from core.job_trainer import JobBusyError

    # Ctrl-C ends the job at the next batch and still saves the run, marked "stopped" (as Stop does on Train).
    signal.signal(signal.SIGINT, lambda *_: request_stop(job))
    print(f"job: {job.job_id} (watch it live on the Train page)", file=err)
    yield_cpu_to_pages(own_session=False)
    try:
        return run_job(job, store, lambda: data, **progress)
    except JobBusyError as error:
        print(f"error: {error} Wait for it, or stop it on the Train page.", file=err)
        return EXIT_FAILURE
    except ValueError as error:
        print(f"error: {error}", file=err)
        return EXIT_USAGE


def run_train(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.config import TrainingConfig
    from core.data import load_mnist, load_sample
    from core.default_model import DefaultRequest
    from core.progress import RunStatus
    from core.runs import RunStore, default_runs_dir

    try:
        config = TrainingConfig.for_architecture(
            args.arch,
            epochs=args.epochs,
            batch_size=args.batch_size,
            optimizer=args.optimizer,
            learning_rate=args.learning_rate,
            schedule=args.schedule,
            label_smoothing=args.label_smoothing,
            compute_dtype=args.compute_dtype,
            train_size=args.train_size,
            validation_split=args.validation_split,
            augment=args.augment,
            template_digits=args.template_digits,
            uji_digits=args.uji_digits,
            uji_share=args.uji_share,
            non_digits=args.non_digits,
            seed=args.seed,
        )
    except ValueError as error:
        print(f"error: {error}", file=err)
        return EXIT_USAGE
    data = load_sample() if args.sample else load_mnist()
    print(f"data: {data.source} ({data.location}), {len(data.x_train)} train / {len(data.x_test)} test", file=err)
    for problem in data.problems:
        print(f"note: {problem}", file=err)

    from core.job_files import create_job

    store = RunStore(args.runs_dir or default_runs_dir())
    # This process is the trainer: its progress goes to the run store too, so the dashboard shows it live.
    job = create_job(store.root, config, DefaultRequest(args.default_request))

    on_batch = _batch_printer(config.epochs, err)

    def on_epoch(metrics) -> None:
        print(file=err)
        print(
            _format_fields(
                epoch=metrics.epoch,
                loss=metrics.loss,
                accuracy=metrics.accuracy,
                val_loss=metrics.val_loss,
                val_accuracy=metrics.val_accuracy,
                elapsed_s=metrics.elapsed_s,
            ),
            file=out,
            flush=True,
        )

    outcome = _run_job_here(job, store, data, err, on_batch=on_batch, on_epoch=on_epoch)
    if isinstance(outcome, int):
        return outcome
    if outcome.status == RunStatus.DIVERGED:
        print("warning: the loss became NaN, infinite or exploded (learning rate too high?); the run is not the default", file=err)
    elif outcome.made_default:
        print("note: the new run is now the default model", file=err)
    elif outcome.default is not None:
        print(f"note: the default model stays {outcome.default.label} (--make-default overrides)", file=err)
    print(
        _format_fields(
            test_accuracy=outcome.test_accuracy,
            status=outcome.status,
            duration_s=outcome.duration_s,
            run=outcome.run.path,
        ),
        file=out,
        flush=True,
    )
    return EXIT_OK


def run_adapt(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Adapts a run to the kept digits in this process (watched live on the pages, like `train`), prints the figures."""
    from core.adapt import adaptation_config, check_kept_digits
    from core.data import load_mnist, load_sample
    from core.default_model import DefaultRequest
    from core.job_files import create_job
    from core.runs import RunStore, default_runs_dir

    store = RunStore(args.runs_dir or default_runs_dir())
    try:
        run_id = args.run or store.default_run_id()
        if run_id is None:
            raise ValueError("there is no model to adapt; train one first or pass --run")
        source = store.get(run_id)
    except ValueError as error:
        print(f"error: {error}", file=err)
        return EXIT_USAGE
    try:
        from core.kept_digits import open_store

        images, labels = open_store(args.kept_digits).training_arrays(args.writer)
        check_kept_digits(images, labels)
    except Exception as error:  # a missing, corrupt or foreign database: its message, never a traceback
        print(f"error: kept digits: {error}", file=err)
        return EXIT_FAILURE
    data = load_sample() if args.sample else load_mnist()
    print(f"adapting {source.label} to {len(labels)} kept digits; MNIST from {data.source} ({data.location})", file=err)
    config = adaptation_config(source, len(labels), args.seed)
    job = create_job(store.root, config, DefaultRequest.NEVER, (images, labels))
    outcome = _run_job_here(job, store, data, err, on_batch=_batch_printer(config.epochs, err))
    if isinstance(outcome, int):
        return outcome
    print(file=err)
    report = outcome.adaptation
    assert report is not None  # an adaptation job always reports
    print(
        _format_fields(
            kept_digits=report.kept_digits,
            held_back=report.held_back,
            held_back_before=report.held_back_before,
            held_back_after=report.held_back_after,
            mnist_before=report.mnist_before,
            mnist_after=report.mnist_after,
            seconds=report.seconds,
            status=outcome.status,
            run=outcome.run.run_id,
        ),
        file=out,
        flush=True,
    )
    print(f"note: the default model stays as it was; choose {outcome.run.run_id} on Runs to use it", file=err)
    return EXIT_OK


def run_refit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Fits a run's "not a digit" output again (`core.refit`), saves the result as a new run, prints its figures."""
    from core.data import load_mnist, load_sample
    from core.refit import check_refittable, refit_not_a_digit
    from core.runs import RunStore, default_runs_dir
    from core.uncertainty import is_not_a_digit

    store = RunStore(args.runs_dir or default_runs_dir())
    try:
        source = store.get(args.run)
        check_refittable(source)
        # The run's own split is remade from its seed: only the data it trained on will do, never a fallback.
        data = load_sample() if args.sample else load_mnist(fallback_to_sample=False)
    except ValueError as error:  # an unknown or unfit run, or no full MNIST (DatasetError)
        print(f"error: {error}", file=err)
        return EXIT_USAGE
    print(f'refitting {source.label}\'s "not a digit" output; MNIST from {data.source} ({data.location})', file=err)
    try:
        result = refit_not_a_digit(source, tuple(store.history(source.run_id)), data)
        run = store.save(result)
    except (ValueError, OSError) as error:  # a broken model file, a full disk, a demo server's store
        print(f"error: {error}", file=err)
        return EXIT_FAILURE
    print(
        _format_fields(
            test_accuracy=result.test_accuracy,
            test_not_a_digit=float(is_not_a_digit(result.test_probabilities).mean()),
            not_sure_floor=result.not_sure_floor,
            source=source.run_id,
            run=run.run_id,
        ),
        file=out,
        flush=True,
    )
    print(f"note: the default model stays as it was; choose {run.run_id} on Runs to use it", file=err)
    return EXIT_OK


def run_predict(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.images import decode_image
    from core.preprocessing import MAX_WORKING_SIDE
    from core.runs import default_runs_dir, model_file_to_use
    from core.segmentation import segment_digits

    try:
        model_path = model_file_to_use(args.model, args.runs_dir or default_runs_dir())
    except ValueError as error:
        print(f"error: {error}", file=err)
        return EXIT_USAGE
    # Decode and segment every file before loading the model, so bad files fail fast.
    inputs = []  # (path, its picture, its digits in reading order, upright)
    failed = False
    for path in args.images:
        try:
            image = decode_image(path.read_bytes(), name=path.name, working_side=MAX_WORKING_SIDE)
            inputs.append((path, image, segment_digits(image)))
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            print(f"error: {path}: {reason}", file=err)
            failed = True
    if inputs:
        import numpy as np

        from core.numpy_model import load_predictor
        from core.reading import read_either_way_up
        from core.runs import not_sure_floor_for

        not_sure_floor = not_sure_floor_for(model_path)

        try:
            predict = load_predictor(model_path)  # NumPy: no TensorFlow import for our architectures
        except ValueError as error:
            print(f"error: {error}", file=err)
            return EXIT_FAILURE
        # One model call for every digit of every image: the per-call overhead dominates small batches.
        batch = np.stack([digit.preprocessed.model_input for _, _, digits in inputs for digit in digits])  # (n, 28, 28)
        probabilities = predict(batch)  # (n, classes)
        start = 0
        for path, image, digits in inputs:
            rows = probabilities[start : start + len(digits)]  # (this image's digits, classes)
            start += len(digits)
            reading = read_either_way_up(image, digits, rows, predict, not_sure_floor)  # a page may lie sideways
            # "?" where unsure, "-" where no digit; a number is only as certain as its least certain mark.
            lowest = float(reading.probabilities.max(axis=1).min())
            print(f"{path}\t{reading.text}\t{lowest:.4f}", file=out, flush=True)
    return EXIT_FAILURE if failed else EXIT_OK


def run_robustness(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Measures a run's robustness grid over the test set, stores it with the run, prints it as a table."""
    from core.data import load_mnist, load_sample
    from core.robustness import measure_run
    from core.runs import RunStore, default_runs_dir

    store = RunStore(args.runs_dir or default_runs_dir())
    try:
        run = store.get(args.run)
    except ValueError as error:
        print(f"error: {error}", file=err)
        return EXIT_USAGE
    data = load_sample() if args.sample else load_mnist()
    print(f"data: {data.source} ({data.location}), {len(data.x_test)} test digits", file=err)
    last_shown = [-1]

    def on_progress(share: float) -> None:
        if int(share * 10) > last_shown[0]:  # a line per tenth, not per setting
            last_shown[0] = int(share * 10)
            print(f"progress={share:.0%}", file=err, flush=True)

    try:
        result = measure_run(run.path, data.x_test, data.y_test, on_progress)
    except ValueError as error:
        print(f"error: {error}", file=err)
        return EXIT_FAILURE
    print("perturbation\tunit\tstrength\taccuracy", file=out)
    for curve in result.curves:
        for strength, accuracy in zip(curve.strengths, curve.accuracy):
            print(f"{curve.name}\t{curve.unit}\t{strength:g}\t{accuracy:.4f}", file=out)
    print(_format_fields(run=run.run_id, test_digits=result.test_size, seconds=round(result.seconds, 1)), file=err)
    return EXIT_OK


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Runs one command and returns the process exit status (argparse exits 2 on usage errors)."""
    args = build_parser().parse_args(argv)
    configure_logging(logging.DEBUG if args.verbose else None)
    commands = {
        "train": run_train, "adapt": run_adapt, "refit": run_refit, "predict": run_predict, "robustness": run_robustness
    }
    return commands[args.command](args, out, err)
