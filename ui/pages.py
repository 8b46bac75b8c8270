"""Every page of Digit Lab, declared once: Home.py's navigation, Home's links and page buttons read `PAGES`.

Page scripts live in pages/, and a page's URL is its file name (pages/Train.py is served at /Train;
Home, the default page, at /). ui/entrypoint.py turns this list into Streamlit's navigation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

APP_NAME = "Digit Lab"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class AppPage:
    """One page: its script, and how navigation, the browser tab and Home's links show it."""

    script: str  # relative to Home.py
    title: str  # the navigation label; the browser tab reads "<title> · Digit Lab"
    favicon: str  # an emoji: a ":material/…:" favicon is fetched from the internet, and the app works offline
    icon: str = ""  # the Material icon beside Home's link to the page
    summary: str = ""  # what Home's link says the page is for
    heading: str = ""  # the page's title, when it is not `title`

    @property
    def path(self) -> Path:
        """The script's absolute path: Streamlit resolves a relative one against the main script's folder,
        which is not the project's when AppTest runs Home.py's code from a temporary file."""
        return PROJECT_ROOT / self.script


HOME = AppPage("pages/Overview.py", "Home", "✍️", heading=APP_NAME)
TRAIN = AppPage(
    "pages/Train.py", "Train", "🏋️", ":material/model_training:", "train an architecture and watch the curves live"
)
MISCLASSIFIED = AppPage(
    "pages/Misclassified.py", "Misclassified", "❌", ":material/error:", "browse the test images the model gets wrong",
    heading="Misclassified test images",
)
CONFUSION_MATRIX = AppPage(
    "pages/Confusion_matrix.py", "Confusion matrix", "🧮", ":material/grid_on:",
    "which digits are confused, per-class precision and recall",
)
FEATURE_MAPS = AppPage(
    "pages/Feature_maps.py", "Feature maps", "🔬", ":material/biotech:", "what each convolution layer sees"
)
PREDICT = AppPage("pages/Predict.py", "Predict", "🎨", ":material/brush:", "draw a digit or upload photos")
RUNS = AppPage(
    "pages/Runs.py", "Runs", "🗂️", ":material/folder_open:", "compare, activate, download or delete trained models"
)
INSIGHT = AppPage(
    "pages/Insight.py", "Insight", "💡", ":material/lightbulb:",
    "calibration, and the digits in the network's feature space",
)

WHAT_IF = AppPage(
    "pages/What_if.py", "What if", "🌀", ":material/tune:",
    "bend a digit (rotate, thin, blur, hide part of it) and watch the answer change",
)
COMPARE_RUNS = AppPage(
    "pages/Compare_runs.py", "Compare runs", "⚖️", ":material/compare:",
    "two runs side by side with McNemar's test, and robustness curves",
)
MY_DIGITS = AppPage(
    "pages/My_digits.py", "My digits", "📒", ":material/collections_bookmark:",
    "the digits you kept or corrected on Predict: browse, relabel, export",
)

PAGES = (
    HOME, TRAIN, MISCLASSIFIED, CONFUSION_MATRIX, FEATURE_MAPS, PREDICT, MY_DIGITS, WHAT_IF, RUNS, COMPARE_RUNS, INSIGHT
)
"""In navigation order; the first is the default page."""
