"""The web page's working parts, one module per job.

`app.py` lays the page out and wires its events; everything it calls lives
here: turning widgets into `nst.Settings`, running a stylisation as a stream
of updates, what a run keeps, the status texts and the page's limits. Nothing
in `nst/` imports this package.
"""
