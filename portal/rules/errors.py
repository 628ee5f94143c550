"""The one exception the rule language raises: a Chinese message saying what to fix."""

from __future__ import annotations

from decimal import DivisionUndefined


class RuleError(ValueError):
    """A rule or formula that cannot be saved, with the position and fact at fault."""

    def __init__(
        self,
        message: str,
        *,
        column: int | None = None,
        fact: str | None = None,
        line: int | None = None,
        suggestion: str | None = None,
    ) -> None:
        """Keep the message for display and the position for highlighting in the form."""
        super().__init__(message)
        self.message = message
        self.column = column  # 1-based character position in the whole text
        self.line = line  # 1-based line, for texts written over several lines
        self.fact = fact  # the fact name involved, as written
        self.suggestion = suggestion  # the closest known fact name for a misspelt one

    def __str__(self) -> str:
        """The Chinese message, which already names the position."""
        return self.message


def is_division_by_zero(error: ArithmeticError) -> bool:
    """Whether an arithmetic error came from dividing by zero (0 / 0 included).

    Decimal's DivisionByZero and DivisionUndefined (0 / 0) are ZeroDivisionErrors; any other
    InvalidOperation or an Overflow is a number out of range, not a division by zero.
    """
    if isinstance(error, ZeroDivisionError):
        return True
    # The C decimal module raises 0 / 0 as InvalidOperation([DivisionUndefined]).
    signals = error.args[0] if error.args and isinstance(error.args[0], list) else error.args
    return any(signal is DivisionUndefined for signal in signals)
