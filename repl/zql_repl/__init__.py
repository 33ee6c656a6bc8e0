"""The interactive ZQL shell (prompt_toolkit adapter over the zql engines)."""
