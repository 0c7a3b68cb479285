"""Sandboxed analysis: the code goes to the data, only checked outputs come out.

A researcher with a sandbox grant sends a job (SQL, or a differentially private measurement)
about one dataset version. A worker process runs it in a locked-down DuckDB made fresh for the
job, beside the data; disclosure control (or the privacy budget) checks the output; outputs the
checks flag wait for an output checker; only released outputs leave the node.
"""
