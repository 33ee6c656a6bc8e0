"""The ZQL language server (``zql lsp``): a thin pygls adapter over pure engines.

Only :mod:`zql.lsp.server` imports pygls, and only when the server starts; the rest of this
package (positions, analysis, hover texts) is plain Python that the tests drive directly.

>>> from zql.lsp.positions import LineIndex
>>> LineIndex("😀").position(1)
(0, 2)
"""
