"""What is said about a result besides its rows: counts, durations, why nothing matched.

Shared by ``zql search`` and the shell (re-exported by :mod:`zql.rows`). Pure.
"""

from __future__ import annotations

__all__ = ["empty_result_hint", "noun", "seconds"]

_NOUNS = {"testcase": ("test case", "test cases"), "execution": ("execution", "executions"),
          "requirement": ("requirement", "requirements")}


def noun(entity: str, count: int) -> str:
    """``count`` and the entity's name in the right number.

    >>> noun("testcase", 1), noun("execution", 1234)
    ('1 test case', '1,234 executions')
    """
    one, many = _NOUNS.get(entity, (entity, entity + "s"))
    return f"{count:,} {one if count == 1 else many}"


def seconds(elapsed: float) -> str:
    """A duration as people read it.

    >>> seconds(0.0123), seconds(2.5)
    ('12 ms', '2.50 s')
    """
    return f"{elapsed * 1000:.0f} ms" if elapsed < 1 else f"{elapsed:.2f} s"


def empty_result_hint(*, warned: bool, release: object = None, project: object = None,
                      quick: bool = False, widen: str = "--release/--project") -> str:
    """The likeliest reason a search found nothing, as one hint (``zql search`` and the shell).

    >>> empty_result_hint(warned=True)
    'a value or field above is not what the server knows; fix it and search again'
    >>> empty_result_hint(warned=False, release="Atlas 4.0", widen="\\\\release -")
    "only release 'Atlas 4.0' was searched; \\\\release - searches everywhere"
    """
    if warned:
        return "a value or field above is not what the server knows; fix it and search again"
    where = [f"{name} {value!r}" for name, value in (("release", release), ("project", project))
             if value]
    if where:
        both = where[0] if len(where) == 1 else f"{where[0]} and {where[1]}"
        return f"only {both} was searched; {widen} searches everywhere"
    if quick:
        return "no item holds all these words; try fewer"
    return ("no item matches every condition; loosen one (~ matches words, = whole values); "
            "\\explain in the shell shows how the query is read")
