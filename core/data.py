"""MNIST as read-only uint8 arrays from a folder, an .npz, the Keras cache or download, else a bundled sample.

Every source passes the same validation; each source skipped leaves its reason in `MnistData.problems`.
"""

from __future__ import annotations

import gzip
import logging
import os
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from core.mnist_format import IMAGE_SIDE, NUM_CLASSES

logger = logging.getLogger(__name__)

MNIST_ENV_VAR = "DIGIT_LAB_MNIST"
SAMPLE_KEYWORD = "sample"  # $DIGIT_LAB_MNIST=sample chooses the bundled sample outright
SAMPLE_PATH = Path(__file__).parent / "assets" / "mnist_sample.npz"
SOURCES = ("folder", "npz", "keras-cache", "keras-download", "sample")
# (train, test) rows of every complete copy of MNIST; only the bundled sample may be smaller.
FULL_SIZE_ROWS = (60_000, 10_000)

_IDX_MAGIC_LABELS = 0x00000801  # unsigned bytes, 1 dimension
_IDX_MAGIC_IMAGES = 0x00000803  # unsigned bytes, 3 dimensions
_GZIP_MAGIC = b"\x1f\x8b"
# Canonical name first, then the "train-images.idx3-ubyte" spelling some mirrors and unzip tools produce.
_IDX_NAMES = {
    "x_train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "y_train": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "x_test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "y_test": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


class DatasetError(ValueError):
    """A dataset file is missing or malformed; the message names the file and what is wrong."""


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays elementwise makes `==` raise, not answer.
class MnistData:
    """MNIST split into train and test, with where it came from.

    Attributes:
        x_train: (n, 28, 28) uint8 images, 0 background and 255 ink; read-only.
        y_train: (n,) uint8 labels in 0..9; read-only.
        x_test: (m, 28, 28) uint8 images; read-only.
        y_test: (m,) uint8 labels; read-only.
        source: one of "folder", "npz", "keras-cache", "keras-download", "sample".
        location: human-readable path (or call) the arrays came from.
        problems: why earlier sources were skipped, one sentence each.
    """

    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    source: str
    location: str
    problems: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # The arrays are shared by every session through st.cache_resource, so one page writing
        # into them would corrupt all others: freeze them whoever built this value.
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            array.setflags(write=False)

    @property
    def is_sample(self) -> bool:
        """True when these are the bundled 6,000-image sample rather than full MNIST."""
        return self.source == "sample"


def read_idx(path: Path) -> np.ndarray:
    """Reads one MNIST IDX file, gzipped or plain, after checking its header and size.

    Args:
        path: an IDX file; gzip is detected from the content, so the name need not end in ".gz".

    Returns:
        (n, 28, 28) uint8 images for magic 0x803 or (n,) uint8 labels for magic 0x801; read-only.

    Raises:
        DatasetError: the file is missing, is a broken gzip stream, has another magic number,
            images that are not 28x28, or fewer or more bytes than its header promises.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DatasetError(f"{path}: cannot read the file ({error.strerror or error})") from error
    if not raw:
        raise DatasetError(f"{path}: empty file")
    if raw.startswith(_GZIP_MAGIC) or path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise DatasetError(f"{path}: not a valid gzip file ({error})") from error
        if not raw:
            raise DatasetError(f"{path}: gzip stream is empty, no IDX data inside")

    if len(raw) < 4:
        raise DatasetError(f"{path}: {len(raw)} bytes is too short for an IDX header")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in (_IDX_MAGIC_LABELS, _IDX_MAGIC_IMAGES):
        raise DatasetError(
            f"{path}: wrong magic number 0x{magic:08x} "
            f"(expected 0x{_IDX_MAGIC_LABELS:08x} for labels or 0x{_IDX_MAGIC_IMAGES:08x} for images)"
        )
    num_dims = magic & 0xFF  # the magic's low byte counts the dimensions
    header_size = 4 + 4 * num_dims
    if len(raw) < header_size:
        raise DatasetError(f"{path}: truncated inside the IDX header ({len(raw)} of {header_size} bytes)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(num_dims))
    if num_dims == 3 and shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DatasetError(
            f"{path}: wrong dimensions, images are {shape[1]}x{shape[2]}, expected {IMAGE_SIDE}x{IMAGE_SIDE}"
        )

    expected_bytes = int(np.prod(shape))
    found_bytes = len(raw) - header_size
    if found_bytes < expected_bytes:
        raise DatasetError(
            f"{path}: truncated, the header promises {expected_bytes} data bytes "
            f"but only {found_bytes} follow"
        )
    if found_bytes > expected_bytes:
        raise DatasetError(f"{path}: {found_bytes - expected_bytes} unexpected trailing bytes after the data")
    # frombuffer over immutable bytes is zero-copy and already read-only.
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)  # (n,) or (n, 28, 28)


def _check_split(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    images_name: str,
    labels_name: str,
    expected_rows: int | None,
) -> None:
    """Raises DatasetError naming the offending file unless images/labels form a valid MNIST split."""
    for array, name in ((images, images_name), (labels, labels_name)):
        if not isinstance(array, np.ndarray) or array.dtype != np.uint8:
            found = getattr(array, "dtype", type(array).__name__)
            raise DatasetError(f"{name}: dtype {found}, expected uint8")
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DatasetError(f"{images_name}: shape {images.shape}, expected (n, {IMAGE_SIDE}, {IMAGE_SIDE})")
    if labels.ndim != 1:
        raise DatasetError(f"{labels_name}: shape {labels.shape}, expected (n,)")
    if len(images) == 0:
        raise DatasetError(f"{images_name}: contains no images")
    if len(images) != len(labels):
        raise DatasetError(
            f"{images_name} has {len(images)} images but {labels_name} has {len(labels)} labels"
        )
    largest_label = int(labels.max())  # uint8 cannot be negative, so only the top end can be wrong
    if largest_label >= NUM_CLASSES:
        raise DatasetError(f"{labels_name}: label {largest_label} is out of range 0..{NUM_CLASSES - 1}")
    if expected_rows is not None and len(images) != expected_rows:
        raise DatasetError(
            f"{images_name}: {len(images)} images, full MNIST has {expected_rows} "
            "(an incomplete copy would silently skew accuracy)"
        )


def _make_data(arrays: dict[str, np.ndarray], names: dict[str, str], source: str, location: str) -> MnistData:
    """Validates both splits (full size unless source is "sample") and wraps them read-only."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    train_rows, test_rows = (None, None) if source == "sample" else FULL_SIZE_ROWS
    for split, rows in (("train", train_rows), ("test", test_rows)):
        _check_split(
            arrays[f"x_{split}"],
            arrays[f"y_{split}"],
            images_name=names[f"x_{split}"],
            labels_name=names[f"y_{split}"],
            expected_rows=rows,
        )
    return MnistData(**arrays, source=source, location=location)


def _find_idx_file(folder: Path, key: str) -> Path:
    """Returns the first existing spelling of one of the four IDX files, gzipped preferred."""
    candidates = [folder / f"{base}{suffix}" for base in _IDX_NAMES[key] for suffix in (".gz", "")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked_for = ", ".join(candidate.name for candidate in candidates)
    raise DatasetError(f"{folder / _IDX_NAMES[key][0]}: missing file (looked for {looked_for})")


def read_mnist_folder(folder: Path) -> MnistData:
    """Reads the four MNIST IDX files from a folder.

    Args:
        folder: holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
            t10k-labels-idx1-ubyte, each optionally ".gz" and optionally spelled "train-images.idx3-ubyte".

    Returns:
        Full MNIST with source "folder".

    Raises:
        DatasetError: the folder or one of its files is missing or malformed, or a split is not full size.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not an existing folder")
    paths = {key: _find_idx_file(folder, key) for key in _IDX_NAMES}
    arrays = {key: read_idx(path) for key, path in paths.items()}
    names = {key: str(path) for key, path in paths.items()}
    return _make_data(arrays, names, source="folder", location=str(folder))


def read_mnist_npz(path: Path, source: str = "npz") -> MnistData:
    """Reads MNIST from an .npz with keys x_train, y_train, x_test, y_test (Keras' mnist.npz layout).

    Args:
        path: the .npz archive.
        source: recorded in the result; "sample" is the only one allowed fewer than 60,000/10,000 rows.

    Returns:
        The four arrays, read-only, with the given source.

    Raises:
        DatasetError: the file is missing, not a readable .npz, lacks a key, or holds invalid arrays.
        ValueError: source is not one of SOURCES.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    # Every failure mode of a damaged zip (short read, bad CRC, bad deflate stream, pickled object
    # arrays refused by allow_pickle=False) surfaces as one of these.
    unreadable = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)
    try:
        # allow_pickle=False: a downloaded or user-supplied file must not be able to run code.
        loaded = np.load(path, allow_pickle=False)
    except unreadable as error:
        raise DatasetError(f"{path}: not a readable .npz file ({error})") from error
    if not isinstance(loaded, np.lib.npyio.NpzFile):  # np.load also accepts a bare .npy array
        raise DatasetError(f"{path}: a single .npy array, not an .npz archive")
    with loaded as archive:
        missing = [key for key in _NPZ_KEYS if key not in archive.files]
        if missing:
            raise DatasetError(f"{path}: missing array(s) {', '.join(missing)}")
        try:
            arrays = {key: archive[key] for key in _NPZ_KEYS}
        except unreadable as error:
            raise DatasetError(f"{path}: not a readable .npz file ({error})") from error
    names = {key: f"{path}[{key}]" for key in _NPZ_KEYS}
    return _make_data(arrays, names, source=source, location=str(path))


def load_sample() -> MnistData:
    """Loads the bundled class-balanced sample (5,000 train / 1,000 test images of real MNIST).

    Returns:
        The sample with source "sample".

    Raises:
        DatasetError: the bundled file is missing or damaged (a broken checkout).
    """
    return read_mnist_npz(SAMPLE_PATH, source="sample")


def _keras_cache_path() -> Path:
    """Where keras.datasets.mnist.load_data() keeps its download, following KERAS_HOME like Keras does."""
    keras_home = os.environ.get("KERAS_HOME")
    base = Path(keras_home) if keras_home else Path.home() / ".keras"
    return base / "datasets" / "mnist.npz"


def _download_with_keras() -> dict[str, np.ndarray]:
    """Fetches MNIST through Keras; imported here because importing Keras costs seconds per page."""
    import keras  # noqa: PLC0415 - deliberately lazy

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _read_env_path(path: Path) -> MnistData:
    """Reads the $DIGIT_LAB_MNIST target, a folder of IDX files or an .npz archive."""
    if path.is_dir():
        return read_mnist_folder(path)
    if path.is_file():
        return read_mnist_npz(path, source="npz")
    raise DatasetError(f"{path}: does not exist (set by ${MNIST_ENV_VAR})")


def load_mnist(*, fallback_to_sample: bool = True, allow_download: bool = True) -> MnistData:
    """Loads MNIST from the first source that works.

    Order: the folder or .npz named by $DIGIT_LAB_MNIST (or the word "sample"); the Keras cache
    ($KERAS_HOME/datasets/mnist.npz, else ~/.keras/datasets/mnist.npz, read with numpy so Keras
    is not imported); keras.datasets.mnist.load_data(); the bundled sample.

    Args:
        fallback_to_sample: when False, a broken $DIGIT_LAB_MNIST path, or no full MNIST anywhere,
            raises instead of falling through.
        allow_download: when False, never import Keras or touch the network.

    Returns:
        The data, with `problems` listing why each earlier source was skipped.

    Raises:
        DatasetError: fallback_to_sample is False and $DIGIT_LAB_MNIST is broken or no full copy was
            found, or the bundled sample itself is missing.
    """
    problems: list[str] = []

    env_value = os.environ.get(MNIST_ENV_VAR, "").strip()
    if env_value == SAMPLE_KEYWORD:
        # An explicit choice (offline demos, fast tests), not a fallback: nothing else is tried.
        return replace(load_sample(), problems=(f"${MNIST_ENV_VAR}={SAMPLE_KEYWORD} selects the bundled sample",))
    if env_value:
        try:
            return replace(_read_env_path(Path(env_value).expanduser()), problems=tuple(problems))
        except DatasetError as error:
            if not fallback_to_sample:
                raise
            problems.append(f"${MNIST_ENV_VAR}: {error}")
    else:
        problems.append(f"${MNIST_ENV_VAR} is not set")

    cache_path = _keras_cache_path()
    if cache_path.is_file():
        try:
            return replace(read_mnist_npz(cache_path, source="keras-cache"), problems=tuple(problems))
        except DatasetError as error:
            problems.append(f"Keras cache: {error}")
    else:
        problems.append(f"Keras cache: {cache_path} does not exist")

    if allow_download:
        call = "keras.datasets.mnist.load_data()"
        try:
            arrays = _download_with_keras()
            names = {key: f"{call}[{key}]" for key in _NPZ_KEYS}
            location = str(cache_path) if cache_path.is_file() else call
            return _make_data(arrays, names, source="keras-download", location=location)
        except Exception as error:  # noqa: BLE001 - no network, no Keras, bad download: all mean "skip"
            # The reason reaches the user through `problems`; the traceback, for a bug of ours, the log.
            logger.debug("%s failed", call, exc_info=True)
            problems.append(f"Keras download: {call} failed ({type(error).__name__}: {error})")
    else:
        problems.append("Keras download: not attempted (allow_download=False)")

    if not fallback_to_sample:
        raise DatasetError("no full MNIST found: " + "; ".join(problems))
    try:
        return replace(load_sample(), problems=tuple(problems))
    except DatasetError as error:
        raise DatasetError(f"{error}; earlier sources failed too: " + "; ".join(problems)) from error
