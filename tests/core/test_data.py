"""Tests for core.data (MNIST sources, validation, fallbacks) and core.sample (the bundled sample).

Tiny IDX/npz files are built in tmp_path; only the `slow` tests read full MNIST via $DIGIT_LAB_MNIST.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import data
from core.data import (
    MNIST_ENV_VAR,
    SAMPLE_PATH,
    DatasetError,
    MnistData,
    load_mnist,
    load_sample,
    read_idx,
    read_mnist_folder,
    read_mnist_npz,
)
from core.sample import SAMPLE_SEED, TEST_PER_CLASS, TRAIN_PER_CLASS, build_sample
from tests.prerequisites import FULL_MNIST_REASON, require_full_mnist

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# From the development data's README (../shared/data/README.md beside the project).
FULL_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
FULL_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
FULL_SHA256 = {  # of the uncompressed IDX files
    "x_train": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "y_train": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "x_test": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "y_test": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
SMALL_TRAIN_ROWS, SMALL_TEST_ROWS = 20, 10
CANONICAL_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
DOTTED_NAMES = {key: name.replace("-idx", ".idx") for key, name in CANONICAL_NAMES.items()}


# ----------------------------------------------------------------------------- helpers


def make_arrays(train_rows: int = SMALL_TRAIN_ROWS, test_rows: int = SMALL_TEST_ROWS, seed: int = 0):
    """Random uint8 images with labels cycling 0..9, in the Keras mnist.npz layout."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, size=(train_rows, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(train_rows) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, size=(test_rows, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(test_rows)[::-1] % 10).astype(np.uint8),
    }


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """Encodes an array as an IDX file: big-endian magic, one int32 per dimension, then the bytes."""
    if magic is None:
        magic = 0x800 | array.ndim
    header = magic.to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_file(path: Path, raw: bytes) -> Path:
    """Writes raw bytes, gzipped when the name ends in .gz."""
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def write_folder(folder: Path, arrays: dict[str, np.ndarray], *, gz: bool = True, dotted: bool = False) -> Path:
    """Writes the four MNIST IDX files into folder and returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    names = DOTTED_NAMES if dotted else CANONICAL_NAMES
    for key, array in arrays.items():
        write_file(folder / (names[key] + (".gz" if gz else "")), idx_bytes(array))
    return folder


def assert_same_arrays(loaded: MnistData, arrays: dict[str, np.ndarray]) -> None:
    for key, expected in arrays.items():
        actual = getattr(loaded, key)
        assert actual.dtype == np.uint8, key
        np.testing.assert_array_equal(actual, expected, err_msg=key)


class DownloadSpy:
    """Stands in for the Keras download so no test imports Keras or touches the network."""

    def __init__(self, result: dict[str, np.ndarray] | None = None) -> None:
        self.calls = 0
        self.result = result

    def __call__(self) -> dict[str, np.ndarray]:
        self.calls += 1
        if self.result is None:
            raise OSError("network unreachable (simulated)")
        return self.result


@pytest.fixture(autouse=True)
def isolated_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> DownloadSpy:
    """Hides the real env var, Keras cache and network from every test."""
    monkeypatch.delenv(MNIST_ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    spy = DownloadSpy()
    monkeypatch.setattr(data, "_download_with_keras", spy)
    return spy


@pytest.fixture
def small_full_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets 20/10-row files stand in for full MNIST (60000/10000) so tests stay tiny."""
    monkeypatch.setattr(data, "FULL_SIZE_ROWS", (SMALL_TRAIN_ROWS, SMALL_TEST_ROWS))


def write_keras_cache(keras_home: Path, arrays: dict[str, np.ndarray]) -> Path:
    cache = keras_home / "datasets" / "mnist.npz"
    cache.parent.mkdir(parents=True)
    np.savez(cache, **arrays)
    return cache


# ----------------------------------------------------------------------------- read_idx


@pytest.mark.parametrize("suffix", [".gz", ""])
@pytest.mark.parametrize("key", ["x_train", "y_train"])
def test_read_idx_round_trips(tmp_path: Path, suffix: str, key: str) -> None:
    array = make_arrays()[key]
    path = write_file(tmp_path / f"file{suffix}", idx_bytes(array))
    loaded = read_idx(path)
    assert loaded.shape == array.shape
    assert loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded, array)
    assert not loaded.flags.writeable


def test_read_idx_detects_gzip_by_content_not_name(tmp_path: Path) -> None:
    array = make_arrays()["x_test"]
    path = tmp_path / "t10k-images-idx3-ubyte"  # no .gz, but gzipped bytes
    path.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(path), array)


# ----------------------------------------------------------------------------- folders


@pytest.mark.parametrize(
    ("gz", "dotted"),
    [(True, False), (False, False), (True, True), (False, True)],
    ids=["gz", "plain", "gz-dotted", "plain-dotted"],
)
def test_folder_reads_gz_and_plain_names(tmp_path: Path, small_full_size: None, gz: bool, dotted: bool) -> None:
    arrays = make_arrays()
    folder = write_folder(tmp_path / "mnist", arrays, gz=gz, dotted=dotted)
    loaded = read_mnist_folder(folder)
    assert (loaded.source, loaded.location, loaded.problems) == ("folder", str(folder), ())
    assert not loaded.is_sample
    assert_same_arrays(loaded, arrays)


def test_folder_accepts_a_mix_of_gz_and_plain_files(tmp_path: Path, small_full_size: None) -> None:
    arrays = make_arrays()
    folder = write_folder(tmp_path / "mnist", arrays, gz=True)
    gz_path = folder / "t10k-labels-idx1-ubyte.gz"
    gz_path.unlink()
    write_file(folder / "t10k-labels-idx1-ubyte", idx_bytes(arrays["y_test"]))
    assert_same_arrays(read_mnist_folder(folder), arrays)


def _with_magic(raw: bytes, magic: int) -> bytes:
    return magic.to_bytes(4, "big") + raw[4:]


# Each case: file to damage, how to turn its valid IDX bytes into the bytes on disk, a word the
# message must contain. Cases ending "(raw)" are written as-is, the rest gzipped like the others.
CORRUPTIONS = {
    "truncated": ("train-images-idx3-ubyte.gz", lambda raw: raw[:-100], "truncated"),
    "truncated header": ("t10k-labels-idx1-ubyte.gz", lambda raw: raw[:6], "header"),
    "trailing bytes": ("t10k-labels-idx1-ubyte.gz", lambda raw: raw + b"\x00\x07\x00", "trailing"),
    "wrong magic": ("train-labels-idx1-ubyte.gz", lambda raw: _with_magic(raw, 0x0802), "magic"),
    "image magic on labels": ("train-labels-idx1-ubyte.gz", lambda raw: _with_magic(raw, 0x0803), "dimensions"),
    "wrong dimensions": (
        "t10k-images-idx3-ubyte.gz",
        lambda raw: idx_bytes(np.zeros((SMALL_TEST_ROWS, 28, 27), np.uint8)),
        "dimensions",
    ),
    "empty gzip (raw)": ("train-images-idx3-ubyte.gz", lambda raw: b"", "empty"),
    "gzip of nothing (raw)": ("train-images-idx3-ubyte.gz", lambda raw: gzip.compress(b""), "empty"),
    "garbage gzip (raw)": ("train-images-idx3-ubyte.gz", lambda raw: b"\x1f\x8bnot really gzip at all", "gzip"),
    "not gzip at all (raw)": ("train-labels-idx1-ubyte.gz", lambda raw: b"<html>404</html>", "gzip"),
    "cut gzip stream (raw)": ("t10k-images-idx3-ubyte.gz", lambda raw: gzip.compress(raw)[:200], "gzip"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupt_idx_file_names_the_file(tmp_path: Path, small_full_size: None, case: str) -> None:
    file_name, corrupt, expected_word = CORRUPTIONS[case]
    folder = write_folder(tmp_path / "mnist", make_arrays())
    key = next(key for key, name in CANONICAL_NAMES.items() if file_name.startswith(name))
    raw = corrupt(idx_bytes(make_arrays()[key]))
    path = folder / file_name
    if case.endswith("(raw)"):
        path.write_bytes(raw)
    else:
        write_file(path, raw)

    with pytest.raises(DatasetError) as caught:
        read_mnist_folder(folder)
    assert file_name in str(caught.value)
    assert expected_word in str(caught.value).lower()
    # The same file read on its own gives the same diagnosis.
    with pytest.raises(DatasetError, match=expected_word):
        read_idx(path)


def test_plain_truncated_file_names_the_file(tmp_path: Path) -> None:
    path = write_file(tmp_path / "train-labels-idx1-ubyte", idx_bytes(make_arrays()["y_train"])[:-1])
    with pytest.raises(DatasetError, match="train-labels-idx1-ubyte: truncated"):
        read_idx(path)


def test_labels_out_of_range_name_the_labels_file(tmp_path: Path, small_full_size: None) -> None:
    arrays = make_arrays()
    arrays["y_train"] = arrays["y_train"].copy()
    arrays["y_train"][3] = 10
    folder = write_folder(tmp_path / "mnist", arrays)
    with pytest.raises(DatasetError, match=r"train-labels-idx1-ubyte\.gz: label 10 is out of range 0\.\.9"):
        read_mnist_folder(folder)


def test_image_and_label_count_mismatch_names_both_files(tmp_path: Path, small_full_size: None) -> None:
    arrays = make_arrays()
    arrays["y_test"] = arrays["y_test"][:-1]
    folder = write_folder(tmp_path / "mnist", arrays)
    with pytest.raises(DatasetError) as caught:
        read_mnist_folder(folder)
    message = str(caught.value)
    assert "t10k-images-idx3-ubyte.gz has 10 images" in message
    assert "t10k-labels-idx1-ubyte.gz has 9 labels" in message


def test_missing_file_is_named(tmp_path: Path, small_full_size: None) -> None:
    folder = write_folder(tmp_path / "mnist", make_arrays())
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte: missing file"):
        read_mnist_folder(folder)


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no-such-folder: not an existing folder"):
        read_mnist_folder(tmp_path / "no-such-folder")


def test_empty_split_is_rejected(tmp_path: Path) -> None:
    arrays = make_arrays(train_rows=0)
    folder = write_folder(tmp_path / "mnist", arrays)
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte\.gz: contains no images"):
        read_mnist_folder(folder)


def test_full_sources_must_have_60000_and_10000_rows(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "mnist", make_arrays())  # 20/10 rows, FULL_SIZE_ROWS not patched
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte\.gz: 20 images, full MNIST has 60000"):
        read_mnist_folder(folder)
    npz = tmp_path / "mnist.npz"
    np.savez(npz, **make_arrays())
    with pytest.raises(DatasetError, match="60000"):
        read_mnist_npz(npz)
    # The sample is exempt: the same small file is fine under source "sample".
    assert read_mnist_npz(npz, source="sample").x_train.shape == (SMALL_TRAIN_ROWS, 28, 28)


# ----------------------------------------------------------------------------- npz


def test_npz_round_trip(tmp_path: Path, small_full_size: None) -> None:
    arrays = make_arrays()
    path = tmp_path / "mnist.npz"
    np.savez_compressed(path, **arrays)
    loaded = read_mnist_npz(path)
    assert (loaded.source, loaded.location) == ("npz", str(path))
    assert_same_arrays(loaded, arrays)


def _npz_without_y_test(path: Path) -> None:
    arrays = make_arrays()
    del arrays["y_test"]
    np.savez(path, **arrays)


def _bare_npy_named_npz(path: Path) -> None:
    with path.open("wb") as file:
        np.save(file, np.zeros(3))


def _npz_with_float_images(path: Path) -> None:
    arrays = make_arrays()
    arrays["x_train"] = arrays["x_train"].astype(np.float32) / 255  # (20, 28, 28) float32
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("writer", "expected"),
    [
        (_npz_without_y_test, r"missing array\(s\) y_test"),
        (_npz_with_float_images, r"mnist\.npz\[x_train\]: dtype float32, expected uint8"),
        (lambda path: path.write_bytes(b"PK\x03\x04 truncated zip"), "not a readable .npz"),
        (_bare_npy_named_npz, ".npy"),
    ],
    ids=["missing key", "float images", "garbage", "bare npy"],
)
def test_bad_npz_names_the_file(tmp_path: Path, small_full_size: None, writer, expected: str) -> None:
    path = tmp_path / "mnist.npz"
    writer(path)
    with pytest.raises(DatasetError, match=expected) as caught:
        read_mnist_npz(path)
    assert "mnist.npz" in str(caught.value)


# ----------------------------------------------------------------------------- load_mnist order


def test_env_var_folder_wins_over_keras_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_full_size: None, isolated_sources: DownloadSpy
) -> None:
    env_arrays, cache_arrays = make_arrays(seed=1), make_arrays(seed=2)
    folder = write_folder(tmp_path / "mine", env_arrays)
    write_keras_cache(tmp_path / "keras-home", cache_arrays)
    monkeypatch.setenv(MNIST_ENV_VAR, str(folder))
    loaded = load_mnist()
    assert (loaded.source, loaded.location, loaded.problems) == ("folder", str(folder), ())
    assert_same_arrays(loaded, env_arrays)
    assert isolated_sources.calls == 0


def test_env_var_can_name_an_npz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_full_size: None) -> None:
    arrays = make_arrays(seed=3)
    path = tmp_path / "elsewhere.npz"
    np.savez_compressed(path, **arrays)
    monkeypatch.setenv(MNIST_ENV_VAR, str(path))
    loaded = load_mnist(fallback_to_sample=False, allow_download=False)
    assert (loaded.source, loaded.location) == ("npz", str(path))
    assert_same_arrays(loaded, arrays)


def test_keras_cache_found_through_keras_home(
    tmp_path: Path, small_full_size: None, isolated_sources: DownloadSpy
) -> None:
    arrays = make_arrays(seed=4)
    cache = write_keras_cache(tmp_path / "keras-home", arrays)
    loaded = load_mnist()
    assert (loaded.source, loaded.location) == ("keras-cache", str(cache))
    assert loaded.problems == (f"${MNIST_ENV_VAR} is not set",)
    assert_same_arrays(loaded, arrays)
    assert isolated_sources.calls == 0


def test_keras_cache_defaults_to_home_dot_keras(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_full_size: None
) -> None:
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cache = write_keras_cache(tmp_path / "home" / ".keras", make_arrays())
    loaded = load_mnist(allow_download=False)
    assert (loaded.source, loaded.location) == ("keras-cache", str(cache))


def test_nothing_available_falls_back_to_sample_with_reasons(tmp_path: Path, isolated_sources: DownloadSpy) -> None:
    loaded = load_mnist()
    assert loaded.source == "sample" and loaded.is_sample
    assert isolated_sources.calls == 1
    env_problem, cache_problem, download_problem = loaded.problems
    assert MNIST_ENV_VAR in env_problem
    assert str(tmp_path / "keras-home" / "datasets" / "mnist.npz") in cache_problem
    assert "network unreachable (simulated)" in download_problem


def test_allow_download_false_never_calls_keras(isolated_sources: DownloadSpy) -> None:
    loaded = load_mnist(allow_download=False)
    assert loaded.is_sample
    assert isolated_sources.calls == 0
    assert "allow_download=False" in loaded.problems[-1]


def test_successful_download_is_used(monkeypatch: pytest.MonkeyPatch, small_full_size: None) -> None:
    arrays = make_arrays(seed=5)
    monkeypatch.setattr(data, "_download_with_keras", DownloadSpy(result=arrays))
    loaded = load_mnist()
    assert loaded.source == "keras-download"
    assert_same_arrays(loaded, arrays)
    assert all(array.flags.writeable is False for array in (loaded.x_train, loaded.y_test))


def test_invalid_download_becomes_a_problem(monkeypatch: pytest.MonkeyPatch, small_full_size: None) -> None:
    arrays = make_arrays()
    arrays["y_train"] = arrays["y_train"].astype(np.int64)  # wrong dtype from a hypothetical bad mirror
    monkeypatch.setattr(data, "_download_with_keras", DownloadSpy(result=arrays))
    loaded = load_mnist()
    assert loaded.is_sample
    assert "y_train]: dtype int64" in loaded.problems[-1]


def test_corrupt_keras_cache_is_skipped_and_reported(tmp_path: Path) -> None:
    cache = tmp_path / "keras-home" / "datasets" / "mnist.npz"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"half a download")
    loaded = load_mnist(allow_download=False)
    assert loaded.is_sample
    assert any(str(cache) in problem and "not a readable .npz" in problem for problem in loaded.problems)


@pytest.mark.parametrize("broken", ["missing", "corrupt"])
def test_broken_env_path_raises_without_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    folder = tmp_path / "my-mnist"
    if broken == "corrupt":
        write_folder(folder, make_arrays())
        (folder / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b broken")
    monkeypatch.setenv(MNIST_ENV_VAR, str(folder))
    with pytest.raises(DatasetError, match="my-mnist"):
        load_mnist(fallback_to_sample=False)


def test_broken_env_path_with_fallback_continues_to_keras_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_full_size: None
) -> None:
    monkeypatch.setenv(MNIST_ENV_VAR, str(tmp_path / "typo-mnist"))
    cache_arrays = make_arrays(seed=6)
    write_keras_cache(tmp_path / "keras-home", cache_arrays)
    loaded = load_mnist()
    assert loaded.source == "keras-cache"
    assert_same_arrays(loaded, cache_arrays)
    assert len(loaded.problems) == 1
    assert "typo-mnist: does not exist" in loaded.problems[0]


def test_no_full_mnist_and_no_fallback_raises() -> None:
    with pytest.raises(DatasetError, match="no full MNIST found") as caught:
        load_mnist(fallback_to_sample=False)
    assert "mnist.npz does not exist" in str(caught.value)
    assert "network unreachable" in str(caught.value)


# ----------------------------------------------------------------------------- read-only


@pytest.mark.parametrize("source", ["folder", "npz", "sample"])
def test_arrays_are_read_only(tmp_path: Path, small_full_size: None, source: str) -> None:
    if source == "folder":
        loaded = read_mnist_folder(write_folder(tmp_path / "mnist", make_arrays(), gz=False))
    elif source == "npz":
        np.savez(tmp_path / "mnist.npz", **make_arrays())
        loaded = read_mnist_npz(tmp_path / "mnist.npz")
    else:
        loaded = load_sample()
    for name in ("x_train", "y_train", "x_test", "y_test"):
        array = getattr(loaded, name)
        assert not array.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1


def test_mnist_data_freezes_arrays_passed_in() -> None:
    arrays = make_arrays()
    value = MnistData(**arrays, source="sample", location="test")
    assert not value.x_train.flags.writeable
    with pytest.raises(AttributeError):
        value.source = "npz"  # frozen dataclass


# ----------------------------------------------------------------------------- the sample


def test_bundled_sample_is_balanced_and_small() -> None:
    assert SAMPLE_PATH.stat().st_size <= 1_500_000
    sample = load_sample()
    assert (sample.source, sample.location, sample.is_sample) == ("sample", str(SAMPLE_PATH), True)
    assert sample.x_train.shape == (10 * TRAIN_PER_CLASS, 28, 28)
    assert sample.x_test.shape == (10 * TEST_PER_CLASS, 28, 28)
    assert np.bincount(sample.y_train, minlength=10).tolist() == [TRAIN_PER_CLASS] * 10
    assert np.bincount(sample.y_test, minlength=10).tolist() == [TEST_PER_CLASS] * 10
    # Real digits, not blanks: MNIST images are about 19% ink, with white strokes on black.
    ink_fraction = float((sample.x_train > 127).mean())
    assert 0.1 < ink_fraction < 0.3
    # Interleaved like MNIST, so Keras' unshuffled validation_split still sees every class.
    assert len(np.unique(sample.y_train[-500:])) == 10


def test_build_sample_is_balanced_deterministic_and_drawn_from_the_data() -> None:
    source = MnistData(**make_arrays(train_rows=100, test_rows=50), source="sample", location="test")
    first = build_sample(source, train_per_class=3, test_per_class=2, seed=7)
    again = build_sample(source, train_per_class=3, test_per_class=2, seed=7)
    other = build_sample(source, train_per_class=3, test_per_class=2, seed=8)
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    assert not np.array_equal(first["x_train"], other["x_train"])
    assert np.bincount(first["y_train"], minlength=10).tolist() == [3] * 10
    assert np.bincount(first["y_test"], minlength=10).tolist() == [2] * 10
    # Every chosen image is a row of the source with its own label.
    for image, label in zip(first["x_train"], first["y_train"]):
        rows = np.flatnonzero((source.x_train == image).all(axis=(1, 2)))
        assert len(rows) == 1 and source.y_train[rows[0]] == label


def test_build_sample_refuses_more_than_a_class_has() -> None:
    source = MnistData(**make_arrays(train_rows=100, test_rows=50), source="sample", location="test")
    with pytest.raises(ValueError, match="only 5 images of digit"):
        build_sample(source, train_per_class=3, test_per_class=6, seed=0)


# ----------------------------------------------------------------------------- import cost


def test_loading_does_not_import_keras(tmp_path: Path) -> None:
    code = (
        "import sys; from core.data import load_mnist; data = load_mnist(allow_download=False); "
        "print(data.source, 'keras' in sys.modules, 'tensorflow' in sys.modules, 'streamlit' in sys.modules)"
    )
    env = {key: value for key, value in os.environ.items() if key != MNIST_ENV_VAR}
    env["KERAS_HOME"] = str(tmp_path / "empty-keras-home")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["sample", "False", "False", "False"]


# ----------------------------------------------------------------------------- full MNIST


def test_full_mnist_guard_fails_in_ci_and_skips_elsewhere() -> None:
    assert require_full_mnist("/some/mnist", "true") == Path("/some/mnist")
    with pytest.raises(pytest.fail.Exception, match=MNIST_ENV_VAR):
        require_full_mnist(None, "true")
    with pytest.raises(pytest.skip.Exception, match=re.escape(FULL_MNIST_REASON)):
        require_full_mnist(None, None)
    with pytest.raises(pytest.skip.Exception, match=re.escape(FULL_MNIST_REASON)):
        require_full_mnist("", "false")


def _idx_sha256(array: np.ndarray) -> str:
    return hashlib.sha256(idx_bytes(array)).hexdigest()


@pytest.mark.slow
def test_full_mnist_through_env_var(full_mnist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MNIST_ENV_VAR, str(full_mnist))
    full = load_mnist(fallback_to_sample=False, allow_download=False)
    assert full.source in ("folder", "npz")
    assert full.problems == ()
    assert full.x_train.shape == (60_000, 28, 28) and full.x_test.shape == (10_000, 28, 28)
    assert np.bincount(full.y_train, minlength=10).tolist() == FULL_TRAIN_COUNTS
    assert np.bincount(full.y_test, minlength=10).tolist() == FULL_TEST_COUNTS
    # Re-encoding the arrays must reproduce the published checksums byte for byte.
    for key, expected in FULL_SHA256.items():
        assert _idx_sha256(getattr(full, key)) == expected, key

    # Oracle for the bundled sample: rebuilding it from full MNIST gives exactly the shipped arrays.
    rebuilt = build_sample(full, TRAIN_PER_CLASS, TEST_PER_CLASS, SAMPLE_SEED)
    shipped = load_sample()
    for key, array in rebuilt.items():
        np.testing.assert_array_equal(getattr(shipped, key), array, err_msg=key)
