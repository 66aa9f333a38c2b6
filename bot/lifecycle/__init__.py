"""The life of a recording after the call: deletion, legal holds, retention.

``setup.build_lifecycle`` wires the deletion side; ``ports`` holds the seams to legal holds
and retention.
"""
