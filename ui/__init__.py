"""Streamlit glue shared by the pages, kept apart from `core/` (which never imports Streamlit).

- `pages.py` declares every page once; `entrypoint.py` turns that list into the navigation and draws
  the frame every page shares; `session_keys.py` names the session keys pages share.
- `loaders/`: cached objects. `light.py` never needs TensorFlow; `model.py` loads it on first call
  (a run's Keras model, test-set scoring); `explainers.py` and `warmup.py` are TensorFlow-backed.
- `widgets/`: pieces several pages draw (sidebar, charts, tables, pickers, the recipe form, page buttons).
- `views/`: one page's larger section, moved out so the page stays a screen long.

Which files load TensorFlow when imported is listed once, in `core.TENSORFLOW_MODULES`.
"""
