"""Imported first by the clients here. They run by path as scripts, inside
torgate and as whatever user the test chose, so only their own directory is
on sys.path; the modules every suite's clients share (common, dnswire) are
in tests/lib/clients."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib",
                                "clients"))
