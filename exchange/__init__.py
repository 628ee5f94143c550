"""A stand-in for a provincial government data exchange (政务数据共享交换平台).

It is a separate system from the portal: its own process, database and models, and it never
imports from `portal`. The portal talks to it only over HTTP, by the contract in
docs/exchange-api.md, so a real exchange can replace it by configuration alone.
"""
