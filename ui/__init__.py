"""Streamlit glue shared by the pages, kept apart from `core/` (which never imports Streamlit).

- `pages.py` declares every page once; `session_keys.py` names the session keys pages share.
- `loaders/`: cached objects. `light.py` never imports TensorFlow; `model.py` loads it on first call
  (a run's Keras model, test-set scoring); `explainers.py` and `warmup.py` are TensorFlow-backed.
- `widgets/`: pieces several pages draw (sidebar, charts, tables, pickers, the form, page buttons).
  Only `grad_cam.py` may import TensorFlow (`training_form.py` still does, through `core.architectures`,
  until the recipe table leaves that module: issue 14, item 3).
- `views/`: one page's larger section, moved out so the page stays a screen long.
"""
