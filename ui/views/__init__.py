"""A page's larger sections, moved out of the page file so each page reads top to bottom on one screen."""
