"""My digits: the digits kept or corrected on Predict, to browse, relabel, delete, export and import."""

from ui.entrypoint import require_entrypoint
from ui.views.my_digits import show_my_digits

require_entrypoint()

show_my_digits()
