"""The open API (/api/v1) for banks' and guarantors' own systems, and its clients."""
