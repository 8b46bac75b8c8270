LAST_INPUT_KEY = "predict_last_input"  # read by the Feature maps page
REQUEST_KEY = "feature_maps_request"
"""Session key carrying what to open: a test-set index, or None for the last input on Predict."""
