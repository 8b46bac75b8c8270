pages = (
    ("pages/1_Train.py", "Train", ":material/model_training:", "train an architecture and watch the curves live"),
    ("pages/2_Misclassified.py", "Misclassified", ":material/error:", "browse the test images the model gets wrong"),
    ("pages/3_Confusion_matrix.py", "Confusion matrix", ":material/grid_on:", "which digits are confused, per-class precision and recall"),
    ("pages/4_Feature_maps.py", "Feature maps", ":material/biotech:", "what each convolution layer sees"),
    ("pages/5_Predict.py", "Predict", ":material/brush:", "draw a digit or upload photos"),
    ("pages/6_Runs.py", "Runs", ":material/folder_open:", "compare, activate, download or delete trained models"),
    ("pages/7_Insight.py", "Insight", ":material/lightbulb:", "calibration, and the digits in the network's feature space"),
)
for path, label, icon, help_text in pages:
    st.page_link(path, label=f"{label}: {help_text}", icon=icon)
