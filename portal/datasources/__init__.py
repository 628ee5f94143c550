"""Verified facts about firms from the provincial government data exchange (数据共享).

One client per source over the exchange's signed JSON API (docs/exchange-api.md), typed facts
with source, as-of date and reference, and the services that store them, use them and record
every look at them.
"""
