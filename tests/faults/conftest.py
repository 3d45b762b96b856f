"""The fault suite's figures go to tests/figures.py, printed after the run whether it passed or not."""
