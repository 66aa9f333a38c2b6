"""The life of a recording after the call: deletion, legal holds, retention."""
