"""Pure-Python core of mlmanager: never imports Qt, never runs model code."""
