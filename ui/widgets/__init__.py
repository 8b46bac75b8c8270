"""Widgets several pages draw: each function draws one piece and returns what the page needs from it."""
