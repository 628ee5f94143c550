"""Financing guarantees (云上担保): guarantee institutions' products, their cooperation with bank
products, the guarantee requests banks send with a credit decision, and the letters issued."""
