"""A user's own sitecustomize: it marks that it ran (in USER_SITE_MARK, one line a process)."""

import os

if os.environ.get("USER_SITE_MARK"):
    with open(os.environ["USER_SITE_MARK"], "a") as handle:
        handle.write(f"{os.getpid()}\n")
