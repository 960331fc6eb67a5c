"""The API's JSON renderer: DRF's, with the bytes written by orjson.

Rendering is a fixed share of every response: a candidates page of 50 people with their
explanations is about 54 KB, which DRF's renderer (the standard library's ``json``) writes in
0.5 ms and orjson in 0.07 ms, the same bytes. The output is DRF's to the byte
(tests/api/test_renderers.py compares them): compact, UTF-8 rather than ``\\u`` escapes, U+2028
and U+2029 escaped as DRF escapes them, and every value orjson has no native form for (dates and
times, decimals, lazy translations, querysets, …) passed to DRF's own encoder, so dates and times
come out in DRF's format (``Z`` for UTC, milliseconds). What orjson refuses (an integer beyond 64
bits), and a request for indented output (the browsable API, ``; indent=``), DRF's renderer
writes itself. Two differences remain: a float below 0.0001 is written in orjson's shorter form
(``0.00001``, ``2.5e-9`` for DRF's ``1e-05``, ``2.5e-09``: the same numbers, and the API returns
none that small), and a NaN or infinite float is written ``null``, where DRF's strict renderer
fails the response."""

from __future__ import annotations

import orjson
from rest_framework import renderers

OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
LINE_SEPARATOR, PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if indent is not None or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=self.encoder_class().default, option=OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF does: the two separators are valid JSON but end a line in JavaScript.
        if LINE_SEPARATOR in out:
            out = out.replace(LINE_SEPARATOR, b"\\u2028")
        if PARAGRAPH_SEPARATOR in out:
            out = out.replace(PARAGRAPH_SEPARATOR, b"\\u2029")
        return out
